//! Photos through the real router: an owner's admin uploads a picture (multipart, as the
//! editor's plain form sends it); it is checked, re-encoded and thumbnailed under the data folder,
//! served, and shown on the resource page. Wrong types, oversized pictures and other people are
//! refused with nothing stored.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::TestApp;

fn png(width: u32, height: u32) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut out = Vec::new();
    picture
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

async fn upload(
    app: &TestApp,
    resource: i64,
    session: &str,
    bytes: &[u8],
    accept: &str,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let boundary = "labshare-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = Request::post(format!("/resources/{resource}/photos"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header("cookie", format!("labshare_session={session}"))
        .header("accept", accept)
        .body(Body::from(body))
        .unwrap();
    app.request(req).await
}

#[tokio::test]
async fn an_owner_uploads_a_photo_that_is_checked_thumbnailed_served_and_shown() {
    let app = TestApp::new().await;
    let resource = common::race::open_resource(&app, (0, 0)).await;
    let admin = app
        .sign_in(&common::admin_of_resource(&app, resource).await)
        .await;

    // The editor's plain form: back to the editor, the photo stored twice (original, thumbnail).
    let (status, headers, _) = upload(&app, resource, &admin, &png(1600, 900), "text/html").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers["location"],
        format!("/resources/{resource}/edit?photo=added")
    );
    let (file, thumb, width, height): (String, String, i64, i64) = sqlx::query_as(
        "SELECT file, thumb, width, height FROM resource_photos WHERE resource_id = $1",
    )
    .bind(resource)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!((width, height), (1600, 900));
    let dir = app.dir.path().join("photos");
    let small = image::open(dir.join(&thumb)).expect("a thumbnail");
    assert!(
        small.width() <= 480 && small.height() <= 480,
        "{}x{}",
        small.width(),
        small.height()
    );
    assert_eq!(image::open(dir.join(&file)).unwrap().width(), 1600);

    // Served, and shown on the public page.
    let (status, headers, _) = app.get(&format!("/photos/{thumb}"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/jpeg");
    let (_, _, html) = app.get(&format!("/resources/{resource}"), &[]).await;
    assert!(html.contains(&format!("/photos/{thumb}")));

    // Refusals change nothing: not a picture, too large, someone else.
    let (status, _, body) = upload(
        &app,
        resource,
        &admin,
        b"%PDF-1.7 not a picture",
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("photo_type"), "{body}");
    let (status, headers, _) = upload(
        &app,
        resource,
        &admin,
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        "text/html",
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers["location"],
        format!("/resources/{resource}/edit?photo_error=photo_type")
    );
    let (status, _, body) = upload(
        &app,
        resource,
        &admin,
        &vec![0u8; 9 * 1024 * 1024],
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("photo_too_large"), "{body}");
    let booker = app.sign_in("liu.fang@nk-furniture.example").await;
    let (status, _, _) = upload(&app, resource, &booker, &png(10, 10), "application/json").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM resource_photos").await, 1);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);

    // Removed with its files.
    let id = app
        .scalar("SELECT id FROM resource_photos")
        .await
        .to_string();
    let (status, _, body) = app
        .call("remove_photo", &[("id", &id)], Some(&admin), &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}
