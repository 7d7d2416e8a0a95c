//! The REST API (/api/v1) through the real router on a real SQLite file: tokens and scopes, every
//! operation and every problem type, cursors, idempotent retries (also racing), ETags, calendar
//! feeds parsed as iCalendar, and the same-slot race through the API.

use crate::common;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use common::race::{open_resource, overlapping_pairs, serve};
use common::TestApp;
use serde_json::{json, Value};
use std::sync::Arc;

const BOOKER: &str = "liu.fang@nk-furniture.example";
const ADMIN: &str = "admin@jxiic.example";
const MANAGER: &str = "manager@jx-zone.example";

/// One API call: method, path, bearer token, JSON body; extra headers.
async fn api(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Value) {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let body = body.map(|b| Body::from(b.to_string())).unwrap_or_default();
    let (status, headers, text) = app.request(req.body(body).unwrap()).await;
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, headers, value)
}

/// A personal token of `email` with `scope`, made through the profile's server function.
async fn token(app: &TestApp, email: &str, scope: &str) -> String {
    let session = app.sign_in(email).await;
    let (status, _, body) = app
        .call(
            "create_api_token",
            &[("token_name", "LIMS"), ("scope", scope)],
            Some(&session),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let made: Value = serde_json::from_str(&body).unwrap();
    made["secret"].as_str().unwrap().to_string()
}

fn is_problem(headers: &HeaderMap, body: &Value, kind: &str, status: u16) {
    assert_eq!(
        headers.get("content-type").unwrap(),
        "application/problem+json",
        "{body}"
    );
    assert_eq!(
        body["type"],
        format!("/api/v1/docs#problem-{kind}"),
        "{body}"
    );
    assert_eq!(body["status"], status, "{body}");
    assert!(body["title"].as_str().is_some_and(|t| !t.is_empty()));
}

fn booking(resource: i64, starts: &str, ends: &str) -> Value {
    json!({
        "resource_id": resource,
        "starts": starts,
        "ends": ends,
        "purpose": "出口家具阻燃性能检测",
        "sample_description": "面料 3 块",
        "sample_count": 3,
        "contact_phone": "13970001000",
    })
}

#[tokio::test]
async fn tokens_have_scopes_and_a_revoked_token_is_refused_at_once() {
    let app = TestApp::new().await;
    let resource = open_resource(&app, (0, 0)).await;
    let read = token(&app, BOOKER, "read").await;
    let book = token(&app, BOOKER, "book").await;
    assert!(read.starts_with("lsk_") && read.len() == 68);
    // Stored as a hash only.
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM api_tokens WHERE token_hash = '{read}'"
        ))
        .await,
        0
    );

    let (status, _, me) = api(&app, "GET", "/api/v1/me", Some(&read), None, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (me["email"].as_str(), me["scope"].as_str()),
        (Some(BOOKER), Some("read"))
    );

    // A read token cannot book, and nothing is written.
    let slot = booking(
        resource,
        "2026-12-03T09:00:00+08:00",
        "2026-12-03T10:00:00+08:00",
    );
    let (status, headers, body) = api(
        &app,
        "POST",
        "/api/v1/bookings",
        Some(&read),
        Some(slot.clone()),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    is_problem(&headers, &body, "forbidden", 403);
    assert_eq!(body["required_scope"], "book");
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM bookings WHERE resource_id = {resource}"
        ))
        .await,
        0
    );

    let (status, _, body) = api(
        &app,
        "POST",
        "/api/v1/bookings",
        Some(&book),
        Some(slot),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["booking"]["status"], "confirmed");
    assert_eq!(body["booking"]["starts"], "2026-12-03T09:00:00+08:00");

    // Revoked on the profile: refused on the very next call.
    let session = app.sign_in(BOOKER).await;
    let (_, _, profile) = app.call("profile", &[], Some(&session), &[]).await;
    let profile: Value = serde_json::from_str(&profile).unwrap();
    let listed = profile["tokens"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert!(
        listed.iter().all(|t| t["last_used_at"].is_i64()),
        "{listed:?}"
    );
    let book_id = listed.iter().find(|t| t["scope"] == "book").unwrap()["id"].to_string();
    let (status, _, _) = app
        .call(
            "revoke_api_token",
            &[("token", &book_id)],
            Some(&session),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, headers, body) = api(&app, "GET", "/api/v1/me", Some(&book), None, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    is_problem(&headers, &body, "unauthorized", 401);
    assert!(headers.get("www-authenticate").is_some());
    // Someone else's token cannot be revoked (as good as absent).
    let other = app.sign_in(ADMIN).await;
    let read_id = listed.iter().find(|t| t["scope"] == "read").unwrap()["id"].to_string();
    let (status, _, _) = app
        .call(
            "revoke_api_token",
            &[("token", &read_id)],
            Some(&other),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Made-up and malformed credentials, and none where one is needed.
    for header in ["Bearer lsk_0000", "Basic abc", "Bearer "] {
        let (status, headers, body) = api(
            &app,
            "GET",
            "/api/v1/me",
            None,
            None,
            &[("authorization", header)],
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{header}");
        is_problem(&headers, &body, "unauthorized", 401);
    }
    let (status, _, _) = api(&app, "GET", "/api/v1/bookings", None, None, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A password reset revokes every token.
    let (status, _, _) = app
        .call("request_password_reset", &[("email", BOOKER)], None, &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, text) = app.last_mail_to(BOOKER).await.unwrap();
    let reset = common::token_in(&text, "/reset-password");
    let (status, _, _) = app
        .call(
            "reset_password",
            &[("token", &reset), ("password", "Lantern-orbit-97")],
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = api(&app, "GET", "/api/v1/me", Some(&read), None, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_catalogue_detail_availability_free_search_and_quotes() {
    let app = TestApp::new().await;
    // Public: no token needed.
    let (status, headers, page) = api(&app, "GET", "/api/v1/resources", None, None, &[]).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(headers.get("etag").is_some());
    let total = page["total"].as_i64().unwrap();
    assert_eq!(
        total,
        app.scalar("SELECT COUNT(*) FROM resources WHERE status <> 'retired'")
            .await
    );
    let first: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    // Following the cursors visits every resource once.
    let mut seen = first.clone();
    let mut next = page["next_cursor"].as_str().map(str::to_string);
    while let Some(cursor) = next {
        let (status, _, page) = api(
            &app,
            "GET",
            &format!("/api/v1/resources?cursor={cursor}"),
            None,
            None,
            &[],
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_i64().unwrap()),
        );
        next = page["next_cursor"].as_str().map(str::to_string);
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len() as i64, unique.len() as i64), (total, total));

    // Filters as the catalogue has them; refusals name the field.
    let (_, _, facilities) = api(
        &app,
        "GET",
        "/api/v1/resources?kind=facility",
        None,
        None,
        &[],
    )
    .await;
    assert_eq!(
        facilities["total"].as_i64().unwrap(),
        app.scalar(
            "SELECT COUNT(*) FROM resources WHERE status <> 'retired' AND kind = 'facility'"
        )
        .await
    );
    let (status, headers, body) = api(
        &app,
        "GET",
        "/api/v1/resources?kind=spaceship",
        None,
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    is_problem(&headers, &body, "validation", 400);
    assert_eq!(
        (body["field"].as_str(), body["code"].as_str()),
        (Some("kind"), Some("choice_unknown"))
    );
    for bad in [
        "/api/v1/resources?cursor=zz",
        "/api/v1/resources?colour=red",
        "/api/v1/resources?category=abc",
    ] {
        let (status, headers, body) = api(&app, "GET", bad, None, None, &[]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        is_problem(&headers, &body, "bad-request", 400);
    }

    // Detail: rules, hours, rates, accreditation.
    let id = app
        .scalar("SELECT id FROM resources WHERE name_en = '10 m semi-anechoic EMC chamber'")
        .await;
    let (status, _, detail) = api(
        &app,
        "GET",
        &format!("/api/v1/resources/{id}"),
        None,
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["rules"]["approval_required"], true);
    assert!(detail["rates"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["per_hour_fen"] == 260000));
    assert!(!detail["accreditations"].as_array().unwrap().is_empty());
    assert!(!detail["opening_hours"].as_array().unwrap().is_empty());
    assert_eq!(detail["time_zone"], "Asia/Shanghai");
    for missing in [
        "/api/v1/resources/999999",
        "/api/v1/resources/abc",
        "/api/v1/nothing-here",
    ] {
        let (status, headers, body) = api(&app, "GET", missing, None, None, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
        is_problem(&headers, &body, "not-found", 404);
    }
    let (status, headers, body) = api(&app, "DELETE", "/api/v1/resources", None, None, &[]).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    is_problem(&headers, &body, "method-not-allowed", 405);

    // Availability: a booking shows as busy (buffers included), never who made it.
    let resource = open_resource(&app, (30, 0)).await;
    let book = token(&app, BOOKER, "book").await;
    let (status, _, _) = api(
        &app,
        "POST",
        "/api/v1/bookings",
        Some(&book),
        Some(booking(resource, "2026-12-04T10:00", "2026-12-04T12:00")),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _, times) = api(
        &app,
        "GET",
        &format!("/api/v1/resources/{resource}/availability?from=2026-12-04&to=2026-12-04"),
        None,
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{times}");
    assert_eq!(
        times["busy"],
        json!([{"starts": "2026-12-04T09:30:00+08:00", "ends": "2026-12-04T12:00:00+08:00"}])
    );
    assert_eq!(
        times["open"],
        json!([{"starts": "2026-12-04T00:00:00+08:00", "ends": "2026-12-05T00:00:00+08:00"}])
    );
    assert_eq!(times["free"].as_array().unwrap().len(), 2);
    assert!(!times.to_string().contains("刘芳"));
    let (status, _, body) = api(
        &app,
        "GET",
        &format!("/api/v1/resources/{resource}/availability?from=2026-12-04&to=2027-06-01"),
        None,
        None,
        &[],
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("to"))
    );

    // The time-first search.
    let (status, _, free) = api(
        &app,
        "GET",
        "/api/v1/free?from=2026-12-07&to=2026-12-08&hours=3",
        None,
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{free}");
    let items = free["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items[0]["windows"]
        .as_array()
        .is_some_and(|w| !w.is_empty()));

    // A quote needs a caller; it names the rules that refuse.
    let quote =
        json!({"resource_id": resource, "starts": "2026-12-04T11:00", "ends": "2026-12-04T13:00"});
    let (status, _, _) = api(
        &app,
        "POST",
        "/api/v1/quotes",
        None,
        Some(quote.clone()),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let read = token(&app, BOOKER, "read").await;
    let (status, _, q) = api(
        &app,
        "POST",
        "/api/v1/quotes",
        Some(&read),
        Some(quote),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{q}");
    assert_eq!(q["refusals"][0]["rule"], "taken");
    assert!(!q["alternatives"].as_array().unwrap().is_empty());
    assert_eq!(q["price_fen"], 20000);
}

#[tokio::test]
async fn every_problem_type_is_answered_as_it_means() {
    let app = TestApp::new().await;
    let resource = open_resource(&app, (0, 0)).await;
    let book = token(&app, BOOKER, "book").await;
    let post = |body: Value| {
        let book = book.clone();
        let app = &app;
        async move {
            api(
                app,
                "POST",
                "/api/v1/bookings",
                Some(&book),
                Some(body),
                &[],
            )
            .await
        }
    };

    // validation: a time that is no time, with the field.
    let (status, headers, body) = post(booking(resource, "tomorrow", "2026-12-03T10:00")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    is_problem(&headers, &body, "validation", 400);
    assert_eq!(
        (body["field"].as_str(), body["code"].as_str()),
        (Some("starts"), Some("time_invalid"))
    );
    // bad-request: not the documented shape.
    let (status, headers, body) = post(json!({"resource_id": "seven"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    is_problem(&headers, &body, "bad-request", 400);
    let (status, headers, body) = post(json!({"resource_id": resource, "starts": "2026-12-03T09:00", "ends": "2026-12-03T10:00", "purpose": "x", "contact_phone": "13970001000", "admin": true})).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "unknown fields are refused: {body}"
    );
    is_problem(&headers, &body, "bad-request", 400);
    let req = Request::post("/api/v1/bookings")
        .header("authorization", format!("Bearer {book}"))
        .header("content-type", "application/json")
        .body(Body::from("{\"resource_id\": "))
        .unwrap();
    let (status, _, _) = app.request(req).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // unsupported-media-type: a form where JSON is wanted.
    let req = Request::post("/api/v1/bookings")
        .header("authorization", format!("Bearer {book}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("resource_id=1"))
        .unwrap();
    let (status, headers, _) = app.request(req).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        headers.get("content-type").unwrap(),
        "application/problem+json"
    );
    // rule-refused: outside the notice, naming the rule; nothing written.
    let (status, headers, body) =
        post(booking(resource, "2028-12-03T09:00", "2028-12-03T10:00")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    is_problem(&headers, &body, "rule-refused", 422);
    assert_eq!(body["refusals"][0]["rule"], "too_far_ahead");
    assert_eq!(body["refusals"][0]["value"], 365);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM bookings WHERE resource_id = {resource}"
        ))
        .await,
        0
    );
    // not-found and forbidden: someone else's booking is as good as absent; a booker's token
    // cannot read the zone report.
    let (status, _, created) =
        post(booking(resource, "2026-12-03T09:00", "2026-12-03T10:00")).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = created["booking"]["id"].as_i64().unwrap();
    let other = token(&app, "chen.qiang@li-source.example", "admin").await;
    let (status, headers, body) = api(
        &app,
        "GET",
        &format!("/api/v1/bookings/{id}"),
        Some(&other),
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    is_problem(&headers, &body, "not-found", 404);
    let (status, headers, body) =
        api(&app, "GET", "/api/v1/reports/zone", Some(&other), None, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    is_problem(&headers, &body, "forbidden", 403);
    // Cancelled by its booker; then the cut-off and state rules answer.
    let (status, _, body) = api(
        &app,
        "POST",
        &format!("/api/v1/bookings/{id}/cancel"),
        Some(&book),
        Some(json!({"reason": "计划变更"})),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["booking"]["status"], "cancelled");
    assert_eq!(body["history"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_person_lists_their_bookings_a_page_at_a_time() {
    let app = TestApp::new().await;
    let resource = open_resource(&app, (0, 0)).await;
    let book = token(&app, "zhao.min@clearvision.example", "book").await;
    let mut made = Vec::new();
    for day in 14..19 {
        let (status, _, b) = api(
            &app,
            "POST",
            "/api/v1/bookings",
            Some(&book),
            Some(booking(
                resource,
                &format!("2026-12-{day}T09:00"),
                &format!("2026-12-{day}T10:00"),
            )),
            &[],
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        made.push(b["booking"]["id"].as_i64().unwrap());
    }
    let (status, _, _) = api(
        &app,
        "POST",
        &format!("/api/v1/bookings/{}/cancel", made[4]),
        Some(&book),
        Some(json!({})),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let everything = app
        .scalar("SELECT COUNT(*) FROM bookings b JOIN users u ON u.id = b.user_id WHERE u.email = 'zhao.min@clearvision.example'")
        .await;
    // Pages of two, by start time, each booking once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/bookings?limit=2&cursor={c}"),
            None => "/api/v1/bookings?limit=2".to_string(),
        };
        let (status, _, page) = api(&app, "GET", &path, Some(&book), None, &[]).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|b| {
            (
                b["starts"].as_str().unwrap().to_string(),
                b["id"].as_i64().unwrap(),
            )
        }));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len() as i64, everything);
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted);
    assert!(made.iter().all(|id| seen.iter().any(|(_, s)| s == id)));
    // Filtered by state.
    let (_, _, cancelled) = api(
        &app,
        "GET",
        "/api/v1/bookings?status=cancelled&limit=200",
        Some(&book),
        None,
        &[],
    )
    .await;
    assert!(cancelled["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|b| b["status"] == "cancelled"));
    assert!(cancelled["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|b| b["id"] == made[4]));
    for bad in [
        "/api/v1/bookings?limit=0",
        "/api/v1/bookings?status=lost",
        "/api/v1/bookings?cursor=7a",
    ] {
        let (status, _, _) = api(&app, "GET", bad, Some(&book), None, &[]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn too_many_requests_answer_429_with_retry_after() {
    let app = TestApp::with_config(|c| c.rate_limit_scale = 1).await;
    let mut last = (StatusCode::OK, HeaderMap::new(), Value::Null);
    for _ in 0..150 {
        last = api(
            &app,
            "GET",
            "/api/v1/resources/1",
            None,
            None,
            &[("x-peer", "203.0.113.9")],
        )
        .await;
        if last.0 == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
    }
    let (status, headers, body) = last;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    is_problem(&headers, &body, "too-many-requests", 429);
    assert!(headers.get("retry-after").is_some() && body["retry_after"].as_i64().unwrap() >= 1);
}

#[tokio::test]
async fn an_idempotent_retry_never_books_twice_even_racing() {
    let app = TestApp::new().await;
    let resource = open_resource(&app, (0, 0)).await;
    let book = token(&app, BOOKER, "book").await;
    let body = booking(resource, "2026-12-05T09:00", "2026-12-05T10:00");
    let key = [("idempotency-key", "lims-order-0001")];
    let (s1, h1, first) = api(
        &app,
        "POST",
        "/api/v1/bookings",
        Some(&book),
        Some(body.clone()),
        &key,
    )
    .await;
    let (s2, h2, again) = api(
        &app,
        "POST",
        "/api/v1/bookings",
        Some(&book),
        Some(body.clone()),
        &key,
    )
    .await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(first, again);
    assert!(h1.get("idempotent-replayed").is_none());
    assert_eq!(h2.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM bookings WHERE resource_id = {resource}"
        ))
        .await,
        1
    );
    // The same key for another request is refused, and changes nothing.
    let other = booking(resource, "2026-12-05T11:00", "2026-12-05T12:00");
    let (status, headers, problem) = api(
        &app,
        "POST",
        "/api/v1/bookings",
        Some(&book),
        Some(other),
        &key,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    is_problem(&headers, &problem, "idempotency-key-reused", 422);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM bookings WHERE resource_id = {resource}"
        ))
        .await,
        1
    );
    // A refusal is an answer too: replayed, not re-run.
    let late = booking(resource, "2029-01-01T09:00", "2029-01-01T10:00");
    let k2 = [("idempotency-key", "lims-order-0002")];
    let (a, _, _) = api(
        &app,
        "POST",
        "/api/v1/bookings",
        Some(&book),
        Some(late.clone()),
        &k2,
    )
    .await;
    let (b, h, _) = api(
        &app,
        "POST",
        "/api/v1/bookings",
        Some(&book),
        Some(late),
        &k2,
    )
    .await;
    assert_eq!(
        (a, b),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            StatusCode::UNPROCESSABLE_ENTITY
        )
    );
    assert_eq!(h.get("content-type").unwrap(), "application/problem+json");
    // After 24 hours the key is forgotten by the retention job.
    app.clock.advance(chrono::Duration::hours(25));
    app.state
        .db
        .purge(app.state.clock.now().timestamp(), 3600)
        .await
        .unwrap();
    assert_eq!(app.scalar("SELECT COUNT(*) FROM idempotency_keys").await, 0);

    // Eight clients send the same keyed request at once over real HTTP: one booking, and every
    // client gets its answer.
    let (addr, server) = serve(&app).await;
    let payload = booking(resource, "2026-12-06T09:00", "2026-12-06T10:00").to_string();
    let barrier = Arc::new(tokio::sync::Barrier::new(8));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (barrier, payload, book) = (barrier.clone(), payload.clone(), book.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            http(
                addr,
                "POST",
                "/api/v1/bookings",
                &book,
                Some(&payload),
                &[("Idempotency-Key", "race-7")],
            )
            .await
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, 201, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        ids.push(v["booking"]["id"].as_i64().unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM bookings WHERE resource_id = {resource} AND status = 'confirmed'"
        ))
        .await,
        2
    );
    server.abort();
}

/// One HTTP/1.1 request over a fresh connection; (status, body).
async fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> (u16, String) {
    let body = body.unwrap_or_default();
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         {extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    common::race::exchange(addr, &request).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_slot_race_through_the_api_makes_one_booking_a_slot() {
    let app = TestApp::new().await;
    let resource = open_resource(&app, (0, 0)).await;
    // Tokens of sixteen different people.
    let people: Vec<(String,)> = sqlx::query_as(
        "SELECT email FROM users WHERE email_verified_at IS NOT NULL ORDER BY id LIMIT 16",
    )
    .fetch_all(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(people.len(), 16);
    let mut tokens = Vec::new();
    for (email,) in &people {
        tokens.push(token(&app, email, "book").await);
    }
    let (addr, server) = serve(&app).await;
    let (clients, slots) = (64, 20);
    let barrier = Arc::new(tokio::sync::Barrier::new(clients));
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (barrier, token) = (barrier.clone(), tokens[c % tokens.len()].clone());
        tasks.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            for s in 0..slots {
                let body = booking(
                    resource,
                    &format!("2026-12-11T{s:02}:00"),
                    &format!("2026-12-11T{:02}:00", s + 1),
                )
                .to_string();
                barrier.wait().await;
                answers
                    .push(http(addr, "POST", "/api/v1/bookings", &token, Some(&body), &[]).await);
            }
            answers
        }));
    }
    let (mut won, mut refused, mut other) = (0, 0, Vec::new());
    for t in tasks {
        for (status, body) in t.await.unwrap() {
            match status {
                201 => won += 1,
                // Taken: by the database's guard (409) or seen by the rules first (422).
                409 | 422 if body.contains("problem-conflict") || body.contains("\"taken\"") => {
                    refused += 1
                }
                _ => other.push((status, body)),
            }
        }
    }
    server.abort();
    assert!(other.is_empty(), "{:?}", &other[..other.len().min(3)]);
    assert_eq!((won, refused), (slots, clients * slots - slots));
    assert_eq!(overlapping_pairs(&app, resource).await, 0);
}

#[tokio::test]
async fn institution_admins_run_their_queue_and_blackouts_through_the_api() {
    let app = TestApp::new().await;
    let resource = open_resource(&app, (0, 0)).await;
    sqlx::query("UPDATE booking_rules SET approval_required = TRUE WHERE resource_id = $1")
        .bind(resource)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let institution = app
        .scalar(&format!(
            "SELECT institution_id FROM resources WHERE id = {resource}"
        ))
        .await;
    let book = token(&app, BOOKER, "book").await;
    let admin = token(&app, ADMIN, "admin").await;
    let admin_read = token(&app, ADMIN, "read").await;
    let mut ids = Vec::new();
    for hour in [9, 11, 13] {
        let (status, _, b) = api(
            &app,
            "POST",
            "/api/v1/bookings",
            Some(&book),
            Some(booking(
                resource,
                &format!("2026-12-08T{hour:02}:00"),
                &format!("2026-12-08T{:02}:00", hour + 1),
            )),
            &[],
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(b["booking"]["status"], "pending");
        ids.push(b["booking"]["id"].as_i64().unwrap());
    }
    // The queue needs the admin scope.
    let path = format!("/api/v1/institutions/{institution}/bookings");
    let (status, _, body) = api(&app, "GET", &path, Some(&admin_read), None, &[]).await;
    assert_eq!(
        (status, body["required_scope"].as_str()),
        (StatusCode::FORBIDDEN, Some("admin"))
    );
    let (status, _, queue) = api(&app, "GET", &path, Some(&admin), None, &[]).await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    let pending: Vec<i64> = queue["pending"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_i64().unwrap())
        .collect();
    assert!(ids.iter().all(|id| pending.contains(id)));
    // A booker's token cannot approve.
    let (status, _, _) = api(
        &app,
        "POST",
        &format!("/api/v1/bookings/{}/approve", ids[0]),
        Some(&book),
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, b) = api(
        &app,
        "POST",
        &format!("/api/v1/bookings/{}/approve", ids[0]),
        Some(&admin),
        None,
        &[],
    )
    .await;
    assert_eq!(
        (status, b["booking"]["status"].as_str()),
        (StatusCode::OK, Some("confirmed"))
    );
    let (status, _, b) = api(
        &app,
        "POST",
        &format!("/api/v1/bookings/{}/reject", ids[1]),
        Some(&admin),
        Some(json!({"reason": "设备预留给内部项目"})),
        &[],
    )
    .await;
    assert_eq!(
        (status, b["booking"]["status"].as_str()),
        (StatusCode::OK, Some("rejected"))
    );
    assert_eq!(b["status_reason"], "设备预留给内部项目");
    // An outcome only for a booking that has ended: this one has not.
    let (status, _, body) = api(
        &app,
        "POST",
        &format!("/api/v1/bookings/{}/outcome", ids[0]),
        Some(&admin),
        Some(json!({"outcome": "completed"})),
        &[],
    )
    .await;
    assert!(status.is_client_error(), "{body}");
    // The booker moves the remaining request.
    let (status, _, b) = api(
        &app,
        "POST",
        &format!("/api/v1/bookings/{}/reschedule", ids[2]),
        Some(&book),
        Some(json!({"starts": "2026-12-09T13:00", "ends": "2026-12-09T15:00"})),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["booking"]["starts"], "2026-12-09T13:00:00+08:00");

    // Blackouts: refused while a booking is in the way, then written with cancel_hits.
    let blackout = json!({"kind": "calibration", "starts": "2026-12-08T08:00", "ends": "2026-12-08T18:00", "note": "年度校准"});
    let bpath = format!("/api/v1/resources/{resource}/blackouts");
    let (status, headers, body) = api(
        &app,
        "POST",
        &bpath,
        Some(&admin),
        Some(blackout.clone()),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    is_problem(&headers, &body, "blackout-hits", 409);
    assert_eq!(body["bookings"], json!([ids[0]]));
    let mut forced = blackout.clone();
    forced["cancel_hits"] = json!(true);
    forced["reason"] = json!("年度校准");
    let (status, _, list) = api(&app, "POST", &bpath, Some(&admin), Some(forced), &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{list}");
    assert_eq!(list[0]["kind"], "calibration");
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM bookings WHERE id = {} AND status = 'cancelled'",
            ids[0]
        ))
        .await,
        1
    );
    let (status, _, _) = api(&app, "GET", &bpath, Some(&book), None, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let blackout_id = list[0]["id"].as_i64().unwrap();
    let (status, _, _) = api(
        &app,
        "DELETE",
        &format!("/api/v1/blackouts/{blackout_id}"),
        Some(&admin),
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = api(
        &app,
        "DELETE",
        &format!("/api/v1/blackouts/{blackout_id}"),
        Some(&admin),
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn reports_give_the_report_pages_figures() {
    let app = TestApp::new().await;
    let manager = token(&app, MANAGER, "admin").await;
    let (status, _, report) = api(
        &app,
        "GET",
        "/api/v1/reports/zone?kind=year&year=2026",
        Some(&manager),
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let session = app.sign_in(MANAGER).await;
    let (status, _, page) = app
        .call(
            "zone_report",
            &[("query[kind]", "year"), ("query[year]", "2026")],
            Some(&session),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let page: Value = serde_json::from_str(&page).unwrap();
    assert_eq!(report["totals"]["used_seconds"], page["totals"]["used"]);
    assert_eq!(report["totals"]["income_fen"], page["totals"]["income_fen"]);
    assert_eq!(report["totals"]["bookings"], page["totals"]["bookings"]);
    assert!(report["totals"]["used_seconds"].as_i64().unwrap() > 0);
    assert_eq!(
        report["resources"].as_array().unwrap().len(),
        page["resource_count"].as_u64().unwrap() as usize
    );
    let institution = report["institutions"][0]["id"].as_i64().unwrap();
    let (status, _, inst) = api(
        &app,
        "GET",
        &format!("/api/v1/reports/institutions/{institution}?kind=year&year=2026"),
        Some(&manager),
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        inst["totals"]["used_seconds"],
        report["institutions"][0]["figures"]["used_seconds"]
    );
    let (status, _, body) = api(
        &app,
        "GET",
        "/api/v1/reports/zone?kind=fortnight",
        Some(&manager),
        None,
        &[],
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("kind"))
    );
}

#[tokio::test]
async fn reads_carry_etags_and_an_unchanged_answer_is_304() {
    let app = TestApp::new().await;
    let id = app.scalar("SELECT MIN(id) FROM resources").await;
    let path = format!("/api/v1/resources/{id}");
    let (status, headers, _) = api(&app, "GET", &path, None, None, &[]).await;
    assert_eq!(status, StatusCode::OK);
    let tag = headers.get("etag").unwrap().to_str().unwrap().to_string();
    assert_eq!(headers.get("cache-control").unwrap(), "private, no-cache");
    let (status, headers, body) =
        api(&app, "GET", &path, None, None, &[("if-none-match", &tag)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert_eq!(headers.get("etag").unwrap().to_str().unwrap(), tag);
    assert_eq!(body, Value::Null);
    // A change gives a new tag.
    sqlx::query("UPDATE resources SET room = 'B-204' WHERE id = $1")
        .bind(id)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let (status, headers, _) =
        api(&app, "GET", &path, None, None, &[("if-none-match", &tag)]).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(headers.get("etag").unwrap().to_str().unwrap(), tag);
}

#[tokio::test]
async fn calendar_feeds_carry_the_invitations_uids_and_no_personal_data_in_public() {
    use icalendar::{Calendar, CalendarComponent, Component};
    let app = TestApp::new().await;
    let resource = open_resource(&app, (0, 0)).await;
    let book = token(&app, BOOKER, "book").await;
    let (_, _, b) = api(
        &app,
        "POST",
        "/api/v1/bookings",
        Some(&book),
        Some(booking(resource, "2026-12-10T09:00", "2026-12-10T11:00")),
        &[],
    )
    .await;
    let id = b["booking"]["id"].as_i64().unwrap();
    let (status, _, _) = api(
        &app,
        "POST",
        &format!("/api/v1/bookings/{id}/reschedule"),
        Some(&book),
        Some(json!({"starts": "2026-12-10T13:00", "ends": "2026-12-10T15:00"})),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // The invitation mailed for the move.
    let (ics,): (String,) = sqlx::query_as(
        "SELECT ics FROM outbox WHERE booking_id = $1 AND ics IS NOT NULL ORDER BY id DESC LIMIT 1",
    )
    .bind(id)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    let mailed = first_event(&ics);

    let session = app.sign_in(BOOKER).await;
    let (status, _, body) = app
        .call("reset_calendar_feed", &[], Some(&session), &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    let url: String = serde_json::from_str(&body).unwrap();
    let path = url
        .split_once("/api/v1/")
        .map(|(_, p)| format!("/api/v1/{p}"))
        .unwrap();
    let (status, headers, feed) = app.get(&path, &[]).await;
    assert_eq!(status, StatusCode::OK, "{feed}");
    assert!(headers
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let calendar: Calendar = feed.parse().expect("an iCalendar feed");
    let event = calendar
        .components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .find(|e| e.get_uid() == mailed.0.as_deref())
        .expect("the mailed invitation's UID is in the feed");
    assert_eq!(event.property_value("SEQUENCE"), mailed.1.as_deref());
    assert_eq!(event.property_value("DTSTART"), Some("20261210T050000Z"));
    // A new address stops the old one.
    let (_, _, _) = app
        .call("reset_calendar_feed", &[], Some(&session), &[])
        .await;
    let (status, _, _) = app.get(&path, &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The resource's public feed: busy, never who.
    let (status, _, public) = app
        .get(&format!("/api/v1/calendars/resources/{resource}.ics"), &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    let parsed: Calendar = public.parse().expect("an iCalendar feed");
    assert!(!parsed.components.is_empty());
    assert!(public.contains("已预约") && !public.contains("刘芳") && !public.contains(BOOKER));
    let (status, _, _) = app.get("/api/v1/calendars/resources/999999.ics", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // An institution's feed at an admin's address; refused at a booker's.
    let admin = app.sign_in(ADMIN).await;
    let (_, _, body) = app
        .call("reset_calendar_feed", &[], Some(&admin), &[])
        .await;
    let url: String = serde_json::from_str(&body).unwrap();
    let institution = app
        .scalar(&format!(
            "SELECT institution_id FROM resources WHERE id = {resource}"
        ))
        .await;
    let admin_path = url
        .split_once("/api/v1/")
        .map(|(_, p)| {
            format!(
                "/api/v1/{}",
                p.replace("bookings.ics", &format!("institutions/{institution}.ics"))
            )
        })
        .unwrap();
    let (status, _, feed) = app.get(&admin_path, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(feed.contains(mailed.0.as_deref().unwrap()) && feed.contains("刘芳"));
    let (_, _, body) = app
        .call("reset_calendar_feed", &[], Some(&session), &[])
        .await;
    let url: String = serde_json::from_str(&body).unwrap();
    let booker_path = url
        .split_once("/api/v1/")
        .map(|(_, p)| {
            format!(
                "/api/v1/{}",
                p.replace("bookings.ics", &format!("institutions/{institution}.ics"))
            )
        })
        .unwrap();
    let (status, _, _) = app.get(&booker_path, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// The UID and SEQUENCE of the first event of an iCalendar text.
fn first_event(ics: &str) -> (Option<String>, Option<String>) {
    use icalendar::{Calendar, CalendarComponent, Component};
    let calendar: Calendar = ics.parse().expect("iCalendar");
    calendar
        .components
        .iter()
        .find_map(|c| match c {
            CalendarComponent::Event(e) => Some((
                e.get_uid().map(str::to_string),
                e.property_value("SEQUENCE").map(str::to_string),
            )),
            _ => None,
        })
        .expect("an event")
}

#[tokio::test]
async fn testing_services_are_compared_ordered_and_moved_through_the_api() {
    let app = TestApp::new().await;
    let furniture_admin = "admin@furniture-nankang.example";
    // Compared at the caller's rate: the public pays the external price, the SME its own.
    let (status, _, page) = api(
        &app,
        "GET",
        "/api/v1/services?standard=gb18580",
        None,
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let formaldehyde = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["standards"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == "GB 18580")
        })
        .expect("the formaldehyde service")
        .clone();
    assert_eq!(formaldehyde["customer_category"], "external");
    assert_eq!(formaldehyde["price_per_sample_fen"], 80_000);
    let id = formaldehyde["id"].as_i64().unwrap();
    let read = token(&app, BOOKER, "read").await;
    let (_, _, page) = api(
        &app,
        "GET",
        "/api/v1/services?standard=gb18580",
        Some(&read),
        None,
        &[],
    )
    .await;
    let mine = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(
        (
            mine["customer_category"].as_str(),
            mine["price_per_sample_fen"].as_i64()
        ),
        (Some("sme"), Some(56_000))
    );
    let (status, _, detail) = api(
        &app,
        "GET",
        &format!("/api/v1/services/{id}"),
        None,
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(
        detail["resources"][0]["name"]["zh"],
        "1 m³ 甲醛释放量气候箱"
    );
    assert_eq!(detail["prices"].as_array().unwrap().len(), 3);
    let (status, headers, body) =
        api(&app, "GET", "/api/v1/services/999999", None, None, &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    is_problem(&headers, &body, "not-found", 404);

    // Ordering needs scope book; a bad delivery or an unknown field is refused, nothing placed.
    let order = json!({
        "service_id": id,
        "samples": 2,
        "sample_description": "刨花板 2 块",
        "delivery": "post",
        "tracking_number": "SF1234567890",
        "requested_by": "2026-12-20",
        "invoice_title": "赣州南康木匠家具有限公司",
        "credit_code": "91350100M000100Y43",
    });
    let before = app.scalar("SELECT COUNT(*) FROM orders").await;
    let (status, headers, body) = api(
        &app,
        "POST",
        "/api/v1/orders",
        Some(&read),
        Some(order.clone()),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    is_problem(&headers, &body, "forbidden", 403);
    let book = token(&app, BOOKER, "book").await;
    let mut bad = order.clone();
    bad["delivery"] = json!("drone");
    let (status, headers, body) =
        api(&app, "POST", "/api/v1/orders", Some(&book), Some(bad), &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    is_problem(&headers, &body, "validation", 400);
    let mut unknown = order.clone();
    unknown["discount"] = json!(50);
    let (status, _, _) = api(
        &app,
        "POST",
        "/api/v1/orders",
        Some(&book),
        Some(unknown),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM orders").await, before);
    let (status, _, placed) = api(
        &app,
        "POST",
        "/api/v1/orders",
        Some(&book),
        Some(order),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    assert_eq!(placed["order"]["status"], "submitted");
    assert_eq!(placed["order"]["price_fen"], 112_000);
    assert_eq!(placed["customer_category"], "sme");
    assert_eq!(placed["next_actions"], json!(["cancel"]));
    let order = placed["order"]["id"].as_i64().unwrap();
    let step =
        |action: &str| json!({ "action": action, "note": "按约定办理", "quoted_fen": 150_000 });
    let path = format!("/api/v1/orders/{order}/actions");

    // The institution quotes with an admin token (a book token is not enough for its steps).
    let admin_book = token(&app, furniture_admin, "book").await;
    let (status, _, body) = api(
        &app,
        "POST",
        &path,
        Some(&admin_book),
        Some(step("quote")),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["required_scope"], "admin");
    let admin = token(&app, furniture_admin, "admin").await;
    let (status, _, quoted) =
        api(&app, "POST", &path, Some(&admin), Some(step("quote")), &[]).await;
    assert_eq!(status, StatusCode::OK, "{quoted}");
    assert_eq!(
        (
            quoted["order"]["status"].as_str(),
            quoted["quoted_fen"].as_i64()
        ),
        (Some("quoted"), Some(150_000))
    );
    // A step the state does not allow is refused with nothing changed; an outsider sees nothing.
    let (status, headers, body) = api(
        &app,
        "POST",
        &path,
        Some(&admin),
        Some(step("start_testing")),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    is_problem(&headers, &body, "validation", 400);
    let outsider = token(&app, ADMIN, "admin").await;
    let (status, _, _) = api(
        &app,
        "GET",
        &format!("/api/v1/orders/{order}"),
        Some(&outsider),
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = api(
        &app,
        "POST",
        &path,
        Some(&outsider),
        Some(step("accept")),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The customer accepts the quote with a book token; both sides list it.
    let (status, _, accepted) = api(
        &app,
        "POST",
        &path,
        Some(&book),
        Some(step("accept_quote")),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["order"]["status"], "accepted");
    let trail: Vec<&str> = accepted["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["to"].as_str().unwrap())
        .collect();
    assert_eq!(trail, ["submitted", "quoted", "accepted"]);
    let (_, _, theirs) = api(&app, "GET", "/api/v1/orders", Some(&admin), None, &[]).await;
    assert!(theirs["received"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["id"] == order));
    let (_, _, ours) = api(&app, "GET", "/api/v1/orders", Some(&read), None, &[]).await;
    assert!(ours["placed"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["id"] == order && o["status"] == "accepted"));
}

#[tokio::test]
async fn the_openapi_document_lists_every_route_and_the_reference_page_reads_it() {
    let app = TestApp::new().await;
    let (status, _, doc) = api(&app, "GET", "/api/v1/openapi.json", None, None, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    // Every route of the API's router is documented (the two documents about it aside).
    let source =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/rest/mod.rs")).unwrap();
    let routes: Vec<String> = source
        .split(".route(")
        .skip(1)
        .filter_map(|rest| rest.trim_start().strip_prefix('"')?.split('"').next())
        .filter(|p| *p != "/openapi.json" && *p != "/docs")
        .map(|p| format!("/api/v1{p}"))
        .collect();
    assert!(routes.len() >= 20, "{routes:?}");
    for route in &routes {
        assert!(
            paths.contains_key(route),
            "{route} is not in the OpenAPI document"
        );
    }
    // Operation ids are unique (OpenAPI requires it; clients name their methods by them).
    let mut ids = std::collections::BTreeSet::new();
    for path in paths.values() {
        for op in path.as_object().unwrap().values() {
            let id = op["operationId"].as_str().expect("an operation id");
            assert!(ids.insert(id.to_string()), "operation id {id} twice");
        }
    }
    for path in paths.values() {
        for (method, op) in path.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.contains_key("400") && responses.contains_key("500"),
                "{method}"
            );
        }
    }
    let (status, _, html) = app.get("/api/v1/docs", &[("accept-language", "en")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("REST API reference") && html.contains("problem-rule-refused"));
    assert!(html.contains("/api/v1/bookings/{id}/reschedule"));
    let (_, _, html) = app.get("/api/v1/docs", &[]).await;
    assert!(html.contains("REST API 参考文档"));
}
