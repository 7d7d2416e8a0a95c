//! Pages rendered concurrently by several routers in one process never stall. Leptos 0.8 can
//! lose a `<Suspense>` wake-up under concurrency (see `api::reply` and `server::router`); this
//! hammers the pages whose resources refuse or answer at once, from three apps at a time.

mod common;

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
