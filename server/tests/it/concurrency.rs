//! Pages rendered concurrently by several routers in one process never stall. Leptos 0.8 can
//! lose a `<Suspense>` wake-up under concurrency (see `api::reply` and `server::router`); this
//! hammers the pages whose resources refuse or answer at once, from three apps at a time.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use std::time::Duration;

/// A request that takes this long is stuck, not slow.
const STUCK: Duration = Duration::from_secs(30);

async fn hammer(paths: &[(&str, StatusCode)], signed_in: bool) {
    let app = TestApp::new().await;
    let cookie = if signed_in {
        format!(
            "labshare_session={}",
            app.sign_in("admin@jxiic.example").await
        )
    } else {
        String::new()
    };
    let headers = [("cookie", cookie.as_str())];
    for round in 0..120 {
        for (path, expected) in paths {
            let response = tokio::time::timeout(STUCK, app.get(path, &headers)).await;
            let (status, _, body) =
                response.unwrap_or_else(|_| panic!("round {round}: {path} never finished"));
            assert_eq!(status, *expected, "round {round}: {path}");
            // A whole page: the document, then the trailer with the resolved resources.
            let whole = body.contains("</html>")
                && body
                    .trim_end()
                    .ends_with("__INCOMPLETE_CHUNKS=[];</script>");
            assert!(whole, "round {round}: {path} was cut short");
        }
    }
}

#[tokio::test]
async fn signed_out_pages_that_refuse_at_once() {
    hammer(
        &[
            ("/institution/members", StatusCode::UNAUTHORIZED),
            ("/profile", StatusCode::UNAUTHORIZED),
            ("/", StatusCode::OK),
        ],
        false,
    )
    .await;
}

#[tokio::test]
async fn signed_in_pages() {
    hammer(
        &[
            ("/profile", StatusCode::OK),
            ("/institution/members", StatusCode::OK),
            ("/free", StatusCode::OK),
        ],
        true,
    )
    .await;
}

#[tokio::test]
async fn pages_refused_to_a_signed_out_visitor() {
    hammer(
        &[
            ("/admin/people", StatusCode::UNAUTHORIZED),
            ("/resources/1?week=not-a-date", StatusCode::BAD_REQUEST),
        ],
        false,
    )
    .await;
}

/// Pages rendered concurrently by a real server on 127.0.0.1 (the page title used to be
/// formatted after the request's reactive owner was gone, and panicked now and then).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_served_over_real_http_concurrently_all_answer() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::new().await;
    let (addr, server) = common::race::serve(&app).await;
    let resource = app.scalar("SELECT MIN(id) FROM resources").await;
    let paths = std::sync::Arc::new(vec![
        "/".to_string(),
        "/?q=%E6%9A%97%E5%AE%A4".to_string(),
        "/free?hours=2".to_string(),
        format!("/resources/{resource}"),
        "/idle".to_string(),
    ]);
    let mut tasks = Vec::new();
    for client in 0..8 {
        let paths = paths.clone();
        tasks.push(tokio::spawn(async move {
            let mut failures = Vec::new();
            for n in 0..15 {
                let path = &paths[(client + n) % paths.len()];
                let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
                let request =
                    format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
                stream.write_all(request.as_bytes()).await.unwrap();
                let mut response = Vec::new();
                stream.read_to_end(&mut response).await.unwrap();
                let text = String::from_utf8_lossy(&response);
                if !text.starts_with("HTTP/1.1 200") || !text.contains("</html>") {
                    failures.push(format!(
                        "{path}: {}",
                        text.lines().next().unwrap_or_default()
                    ));
                }
            }
            failures
        }));
    }
    let mut failures = Vec::new();
    for t in tasks {
        failures.extend(t.await.unwrap());
    }
    server.abort();
    assert!(failures.is_empty(), "{failures:?}");
}
