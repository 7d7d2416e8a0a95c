//! Booking through the real router on a real SQLite file: quotes, rule refusals with what would
//! work instead, the database refusing overlaps under a real race, cancellation, and the audit
//! trail and mails that go with every change.

use crate::common;

use axum::http::StatusCode;
use common::race::{open_resource, overlapping_pairs, race};
use common::TestApp;

const BOOKER: &str = "liu.fang@nk-furniture.example";

fn booking<'a>(resource: &'a str, starts: &'a str, ends: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("resource", resource),
        ("starts", starts),
        ("ends", ends),
        ("purpose", "出口家具阻燃性能检测"),
        ("sample_description", "软体沙发面料 3 块"),
        ("sample_count", "3"),
        ("contact_phone", "13970001000"),
    ]
}

#[tokio::test]
async fn a_booking_is_priced_confirmed_audited_and_mailed() {
    let app = TestApp::new().await;
    let resource = open_resource(&app, (0, 0)).await.to_string();
    let token = app.sign_in(BOOKER).await;

    let (status, _, body) = app
        .call(
            "quote",
            &[
                ("resource", &resource),
                ("starts", "2026-12-01T09:00"),
                ("ends", "2026-12-01T12:00"),
            ],
            Some(&token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let quote: serde_json::Value = serde_json::from_str(&body).unwrap();
    // The booker's organisation is an SME in the zone; the resource has only an external rate.
    assert_eq!(quote["category"], "external");
    assert_eq!(quote["price"], 30000, "3 h at ¥100.00");
    assert_eq!(quote["violations"], serde_json::json!([]));

    let (status, _, body) = app
        .call(
            "book",
            &booking(&resource, "2026-12-01T09:00", "2026-12-01T12:00"),
            Some(&token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let booked: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(booked["status"], "confirmed");
    let id = booked["id"].as_i64().unwrap();
    let (starts, ends, price, category): (i64, i64, i64, String) = sqlx::query_as(
        "SELECT starts_at, ends_at, price_fen, customer_category FROM bookings WHERE id = $1",
    )
    .bind(id)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    // 09:00 in Shanghai is 01:00 UTC.
    assert_eq!(starts, 1_796_086_800);
    assert_eq!(ends - starts, 3 * 3600);
    assert_eq!((price, category.as_str()), (30000, "external"));
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM booking_events WHERE booking_id = {id} AND from_status IS NULL AND to_status = 'confirmed'")).await,
        1
    );
    let (subject, text) = app.last_mail_to(BOOKER).await.unwrap();
    assert!(
        subject.starts_with("预约已确认：竞争测试仪 2026年12月1日 周二 09:00–12:00"),
        "{subject}"
    );
    assert!(
        text.contains("¥300.00") && text.contains(&format!("/bookings/{id}")),
        "{text}"
    );

    // The same time again: taken, with nearby free slots of the same length.
    let (status, _, body) = app
        .call(
            "book",
            &booking(&resource, "2026-12-01T10:00", "2026-12-01T13:00"),
            Some(&token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let conflict: serde_json::Value = serde_json::from_str(&body).unwrap();
    let alternatives = conflict["Conflict"]["alternatives"].as_array().unwrap();
    assert!(!alternatives.is_empty());
    for pair in alternatives {
        let (a, b) = (pair[0].as_i64().unwrap(), pair[1].as_i64().unwrap());
        assert_eq!(b - a, 3 * 3600);
        assert!(b <= starts || a >= ends, "an alternative is free");
    }
}

#[tokio::test]
async fn the_rules_refuse_with_the_rule_and_what_would_work() {
    let app = TestApp::new().await;
    let resource = open_resource(&app, (0, 0)).await.to_string();
    let token = app.sign_in(BOOKER).await;
    let bookings = app.scalar("SELECT COUNT(*) FROM bookings").await;
    let cases: [(&str, &str, &str); 4] = [
        ("2026-12-01T09:30", "2026-12-01T10:30", "Granularity"),
        ("2026-12-01T09:00", "2026-12-01T18:00", "TooLong"),
        ("2026-11-25T08:00", "2026-11-25T09:00", "NoticeTooShort"),
        ("2028-01-03T09:00", "2028-01-03T10:00", "TooFarAhead"),
    ];
    for (starts, ends, rule) in cases {
        let (status, _, body) = app
            .call("book", &booking(&resource, starts, ends), Some(&token), &[])
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{rule}: {body}");
        assert!(body.contains(rule), "{rule}: {body}");
    }
    // Bad input is refused before any rule, field by field.
    for (fields, key) in [
        (
            booking(&resource, "tomorrow", "2026-12-01T10:00"),
            "time_invalid",
        ),
        (
            booking(&resource, "2026-12-01T10:00", "2026-12-01T09:00"),
            "time_order",
        ),
        (
            booking(&resource, "2026-12-01T09:00", "2026-12-01T10:00")
                .into_iter()
                .map(|(k, v)| if k == "purpose" { (k, "  ") } else { (k, v) })
                .collect(),
            "text_missing",
        ),
    ] {
        let (status, _, body) = app.call("book", &fields, Some(&token), &[]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{key}: {body}");
        assert!(body.contains(key), "{key}: {body}");
    }
    // Signed out: refused, and nothing was written by any of it.
    let (status, _, _) = app
        .call(
            "book",
            &booking(&resource, "2026-12-01T09:00", "2026-12-01T10:00"),
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM bookings").await, bookings);
}

#[tokio::test]
async fn approval_holds_the_slot_and_tells_the_admins() {
    let app = TestApp::new().await;
    let id = open_resource(&app, (30, 30)).await;
    sqlx::query("UPDATE booking_rules SET approval_required = TRUE WHERE resource_id = $1")
        .bind(id)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let resource = id.to_string();
    let token = app.sign_in(BOOKER).await;
    let (status, _, body) = app
        .call(
            "book",
            &booking(&resource, "2026-12-02T10:00", "2026-12-02T11:00"),
            Some(&token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("\"pending\""));
    let (from, until): (i64, i64) =
        sqlx::query_as("SELECT blocked_from, blocked_until FROM bookings WHERE resource_id = $1")
            .bind(id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(until - from, 2 * 3600, "the buffers are held too");
    let (subject, _) = app.last_mail_to(BOOKER).await.unwrap();
    assert!(subject.starts_with("预约申请已提交，等待审核"), "{subject}");
    let admin: String = sqlx::query_scalar(
        "SELECT u.email FROM user_roles r JOIN users u ON u.id = r.user_id JOIN resources x ON x.institution_id = r.scope_id \
         WHERE r.role = 'institution_admin' AND x.id = $1",
    )
    .bind(id)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    let (subject, text) = app.last_mail_to(&admin).await.unwrap();
    assert!(subject.starts_with("新的预约申请待审核"), "{subject}");
    assert!(text.contains("刘芳"));
    // A slot within the buffer after it is taken as well.
    let (status, _, _) = app
        .call(
            "book",
            &booking(&resource, "2026-12-02T11:00", "2026-12-02T12:00"),
            Some(&token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn cancelling_releases_the_slot_and_is_recorded() {
    let app = TestApp::new().await;
    let resource = open_resource(&app, (0, 0)).await.to_string();
    let token = app.sign_in(BOOKER).await;
    let (_, _, body) = app
        .call(
            "book",
            &booking(&resource, "2026-12-03T14:00", "2026-12-03T16:00"),
            Some(&token),
            &[],
        )
        .await;
    let id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let (status, _, body) = app
        .call(
            "cancel_booking",
            &[("booking", &id), ("reason", "样品未备齐")],
            Some(&token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, _) = app
        .call("cancel_booking", &[("booking", &id)], Some(&token), &[])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "cancelled once only");
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM booking_events WHERE booking_id = {id} AND from_status = 'confirmed' AND to_status = 'cancelled' AND reason = '样品未备齐'")).await,
        1
    );
    let (subject, text) = app.last_mail_to(BOOKER).await.unwrap();
    assert!(subject.starts_with("预约已取消"), "{subject}");
    assert!(text.contains("样品未备齐"));
    // The slot is free again.
    let (status, _, body) = app
        .call(
            "book",
            &booking(&resource, "2026-12-03T14:00", "2026-12-03T16:00"),
            Some(&token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // My bookings and the detail page show it, with its history.
    let (status, _, html) = app
        .get(
            "/bookings",
            &[("cookie", &format!("labshare_session={token}"))],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(common::text(&html).contains("竞争测试仪"));
    let (status, _, html) = app
        .get(
            &format!("/bookings/{id}"),
            &[("cookie", &format!("labshare_session={token}"))],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(common::text(&html).contains("样品未备齐"));
}

/// 64 clients book the same slot at once, over 20 slots, through a real server on 127.0.0.1.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_clients_racing_for_each_of_twenty_slots_get_exactly_one_booking_each() {
    let app = TestApp::new().await;
    let resource = open_resource(&app, (0, 0)).await;
    let outcome = race(&app, resource, 64, 20, "2026-12-10").await;
    assert_eq!(outcome.server_errors, 0, "{outcome:?}");
    assert!(
        outcome.other.is_empty(),
        "{:?}",
        &outcome.other[..outcome.other.len().min(3)]
    );
    assert_eq!(outcome.won, 20);
    assert_eq!(outcome.conflicts, 64 * 20 - 20);
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM bookings WHERE resource_id = {resource} AND status IN ('pending', 'confirmed')")).await,
        20
    );
    assert_eq!(overlapping_pairs(&app, resource).await, 0);
}

async fn status_of(app: &TestApp, id: &str) -> String {
    sqlx::query_scalar("SELECT status FROM bookings WHERE id = $1")
        .bind(id.parse::<i64>().unwrap())
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn pending_request(
    app: &TestApp,
    token: &str,
    resource: &str,
    starts: &str,
    ends: &str,
) -> String {
    let (status, _, body) = app
        .call("book", &booking(resource, starts, ends), Some(token), &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "pending");
    v["id"].as_i64().unwrap().to_string()
}

#[tokio::test]
async fn admins_approve_or_reject_requests_and_undecided_ones_expire() {
    let app = TestApp::new().await;
    let id = open_resource(&app, (0, 0)).await;
    sqlx::query("UPDATE booking_rules SET approval_required = TRUE WHERE resource_id = $1")
        .bind(id)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let resource = id.to_string();
    let booker = app.sign_in(BOOKER).await;
    let admin = app
        .sign_in(&common::admin_of_resource(&app, id).await)
        .await;
    let first = pending_request(
        &app,
        &booker,
        &resource,
        "2026-12-04T09:00",
        "2026-12-04T10:00",
    )
    .await;
    let second = pending_request(
        &app,
        &booker,
        &resource,
        "2026-12-04T10:00",
        "2026-12-04T11:00",
    )
    .await;
    let third = pending_request(
        &app,
        &booker,
        &resource,
        "2026-12-04T11:00",
        "2026-12-04T12:00",
    )
    .await;

    // The queue shows them to the admin, and to nobody else.
    let (status, _, body) = app.call("queue", &[], Some(&admin), &[]).await;
    assert_eq!(status, StatusCode::OK);
    let queue: serde_json::Value = serde_json::from_str(&body).unwrap();
    let waiting: Vec<String> = queue["pending"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["resource"] == id)
        .map(|r| r["id"].to_string())
        .collect();
    assert_eq!(waiting, [first.clone(), second.clone(), third.clone()]);
    let (status, _, _) = app.call("queue", &[], Some(&booker), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = app
        .call(
            "decide",
            &[("booking", &first), ("decision", "approve")],
            Some(&booker),
            &[],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a booker cannot approve their own request"
    );

    let (status, _, body) = app
        .call(
            "decide",
            &[("booking", &first), ("decision", "approve")],
            Some(&admin),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(status_of(&app, &first).await, "confirmed");
    assert!(app
        .last_mail_to(BOOKER)
        .await
        .unwrap()
        .0
        .starts_with("预约已确认"));
    let (status, _, body) = app
        .call(
            "decide",
            &[("booking", &first), ("decision", "reject"), ("reason", "x")],
            Some(&admin),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "decided once: {body}");

    let (status, _, body) = app
        .call(
            "decide",
            &[("booking", &second), ("decision", "reject")],
            Some(&admin),
            &[],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a rejection needs a reason: {body}"
    );
    let (status, _, _) = app
        .call(
            "decide",
            &[
                ("booking", &second),
                ("decision", "reject"),
                ("reason", "设备当天校准"),
            ],
            Some(&admin),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(status_of(&app, &second).await, "rejected");
    let (subject, text) = app.last_mail_to(BOOKER).await.unwrap();
    assert!(
        subject.starts_with("预约申请未通过") && text.contains("设备当天校准"),
        "{subject}"
    );

    // The third is never decided: two days and an hour later (the clock moved, nobody slept) it
    // expires, once, however many runs race.
    let limit = app.state.settings.pending_expiry_secs;
    app::backend::bookings::expire_pending(&app.state, limit)
        .await
        .unwrap();
    assert_eq!(status_of(&app, &third).await, "pending", "not yet");
    app.clock.advance(chrono::Duration::hours(49));
    let due = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM bookings WHERE status = 'pending' AND (created_at <= {} OR starts_at <= {})",
            app.state.clock.now().timestamp() - limit,
            app.state.clock.now().timestamp()
        ))
        .await;
    assert!(due >= 1);
    let (a, b) = tokio::join!(
        app::backend::bookings::expire_pending(&app.state, limit),
        app::backend::bookings::expire_pending(&app.state, limit)
    );
    assert_eq!(
        (a.unwrap() + b.unwrap()) as i64,
        due,
        "each due request expires once"
    );
    assert_eq!(status_of(&app, &third).await, "expired");
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM outbox WHERE booking_id = {third} AND template = 'booking_expired'")).await,
        1
    );
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM booking_events WHERE booking_id = {third} AND to_status = 'expired' AND actor_id IS NULL")).await,
        1
    );
    // Its slot is free again (a new session: the old one went idle in those two days).
    let booker = app.sign_in(BOOKER).await;
    pending_request(
        &app,
        &booker,
        &resource,
        "2026-12-04T11:00",
        "2026-12-04T12:00",
    )
    .await;
}

#[tokio::test]
async fn rescheduling_moves_atomically_or_not_at_all() {
    let app = TestApp::new().await;
    let resource = open_resource(&app, (0, 0)).await.to_string();
    let token = app.sign_in(BOOKER).await;
    let book = |s: &'static str, e: &'static str| {
        let (app, token, resource) = (&app, &token, &resource);
        async move {
            let (status, _, body) = app
                .call("book", &booking(resource, s, e), Some(token), &[])
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"]
                .as_i64()
                .unwrap()
                .to_string()
        }
    };
    let mine = book("2026-12-05T09:00", "2026-12-05T11:00").await;
    let _other = book("2026-12-05T13:00", "2026-12-05T15:00").await;
    let times = |id: String| {
        let app = &app;
        async move {
            sqlx::query_as::<_, (i64, i64, i64)>(
                "SELECT starts_at, ends_at, sequence FROM bookings WHERE id = $1",
            )
            .bind(id.parse::<i64>().unwrap())
            .fetch_one(app.state.db.pool())
            .await
            .unwrap()
        }
    };
    let before = times(mine.clone()).await;
    // Onto the other booking: refused, nothing moved.
    let (status, _, body) = app
        .call(
            "reschedule",
            &[
                ("booking", &mine),
                ("starts", "2026-12-05T12:00"),
                ("ends", "2026-12-05T14:00"),
            ],
            Some(&token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(times(mine.clone()).await, before);
    // Overlapping its own old time is fine: it moves out of its own way.
    let (status, _, body) = app
        .call(
            "reschedule",
            &[
                ("booking", &mine),
                ("starts", "2026-12-05T10:00"),
                ("ends", "2026-12-05T12:00"),
            ],
            Some(&token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let after = times(mine.clone()).await;
    assert_eq!(
        (after.0 - before.0, after.1 - before.1, after.2),
        (3600, 3600, before.2 + 1)
    );
    let (subject, _) = app.last_mail_to(BOOKER).await.unwrap();
    assert!(subject.starts_with("预约已改期"), "{subject}");
    // The old first hour is free again for someone else.
    book("2026-12-05T09:00", "2026-12-05T10:00").await;
}

#[tokio::test]
async fn ended_bookings_are_marked_completed_or_no_show_by_the_owner() {
    let app = TestApp::new().await;
    let resource = open_resource(&app, (0, 0)).await;
    let now = common::now().timestamp();
    let id = common::insert_booking(&app, resource, now - 7200, now - 3600, "confirmed")
        .await
        .unwrap();
    // Not yet ended: nothing to record.
    let later = common::insert_booking(&app, resource, now + 3600, now + 7200, "confirmed")
        .await
        .unwrap()
        .to_string();
    let booking_id = id.to_string();
    let admin = app
        .sign_in(&common::admin_of_resource(&app, resource).await)
        .await;
    let (status, _, _) = app
        .call(
            "record_outcome",
            &[("booking", &later), ("outcome", "completed")],
            Some(&admin),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let booker = app.sign_in(BOOKER).await;
    let (status, _, _) = app
        .call(
            "record_outcome",
            &[("booking", &booking_id), ("outcome", "completed")],
            Some(&booker),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = app
        .call(
            "record_outcome",
            &[("booking", &booking_id), ("outcome", "no_show")],
            Some(&admin),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(status_of(&app, &booking_id).await, "no_show");
    let (status, _, _) = app
        .call(
            "record_outcome",
            &[("booking", &booking_id), ("outcome", "completed")],
            Some(&admin),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "recorded once");
}
