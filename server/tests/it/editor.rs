//! Institutions managing equipment through the real router: a resource created and edited with
//! its rules, hours and rates (and found by search at once); bad input named and nothing written;
//! accreditation found by standard; a blackout that refuses to hide bookings until the admin
//! chooses to cancel them, which mails each booker a calendar cancellation.

use crate::common;

use axum::http::StatusCode;
use common::race::open_resource;
use common::TestApp;

const BOOKER: &str = "liu.fang@nk-furniture.example";

fn fields<'a>(pairs: &'a [(&'a str, &'a str)]) -> Vec<(String, &'a str)> {
    pairs
        .iter()
        .map(|(k, v)| (format!("form[{k}]"), *v))
        .collect()
}

async fn call_form(
    app: &TestApp,
    endpoint: &str,
    pairs: &[(&str, &str)],
    session: &str,
) -> (StatusCode, String) {
    let named = fields(pairs);
    let form: Vec<(&str, &str)> = named.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let (status, _, body) = app.call(endpoint, &form, Some(session), &[]).await;
    (status, body)
}

async fn owner_and_admin(app: &TestApp) -> (i64, String) {
    let resource = open_resource(app, (0, 0)).await;
    let owner = app
        .scalar(&format!(
            "SELECT institution_id FROM resources WHERE id = {resource}"
        ))
        .await;
    let admin = app
        .sign_in(&common::admin_of_resource(app, resource).await)
        .await;
    (owner, admin)
}

#[tokio::test]
async fn an_admin_adds_and_edits_a_resource_with_rules_hours_and_rates() {
    let app = TestApp::new().await;
    let (owner, admin) = owner_and_admin(&app).await;
    let owner = owner.to_string();
    let before = app.scalar("SELECT COUNT(*) FROM resources").await;
    let resource: Vec<(&str, &str)> = vec![
        ("institution", &owner),
        ("kind", "facility"),
        ("category", "1"),
        ("name_zh", "步入式恒温恒湿室"),
        ("name_en", "Walk-in climate room"),
        ("model", "WTH-20"),
        ("manufacturer", "重庆银河"),
        ("purchase_year", "2021"),
        ("original_value", "1280000"),
        ("building", "B 楼"),
        ("room", "105"),
        (
            "specifications",
            "温度范围 / Temperature: -40 ~ 85 ℃\n容积 / Volume: 20 m³",
        ),
        ("contact_name", "周工"),
        ("contact_phone", "0791-8888 1234"),
        ("slot_minutes", "60"),
        ("min_duration_minutes", "120"),
        ("max_duration_minutes", "1440"),
        ("min_notice_hours", "24"),
        ("max_notice_days", "60"),
        ("buffer_before_minutes", "60"),
        ("buffer_after_minutes", "0"),
        ("cancel_cutoff_hours", "48"),
        ("approval", "on"),
        ("audience", "zone"),
        ("hours_1", "08:30-12:00, 13:30-17:30"),
        ("hours_2", "08:30-17:30"),
        ("closed_days", "2027-01-01 元旦"),
        ("rate_sme", "150"),
        ("rate_external", "300"),
        ("minimum_external", "600"),
    ];
    let (status, body) = call_form(&app, "save_resource", &resource, &admin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id: i64 = body.parse().expect("the new id");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM resources").await,
        before + 1
    );
    let rules: (i64, i64, i64, i64, i64, i64, i64, String) = sqlx::query_as(
        "SELECT slot_minutes, min_duration_minutes, max_duration_minutes, min_notice_minutes, max_notice_days, \
           buffer_before_minutes, cancel_cutoff_minutes, audience FROM booking_rules WHERE resource_id = $1",
    )
    .bind(id)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(rules, (60, 120, 1440, 1440, 60, 60, 2880, "zone".into()));
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM opening_hours WHERE resource_id = {id}"
        ))
        .await,
        3
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM closure_days WHERE resource_id = {id} AND day = '2027-01-01'"
        ))
        .await,
        1
    );
    assert_eq!(app.scalar(&format!("SELECT minimum_fen FROM rates WHERE resource_id = {id} AND customer_category = 'external'")).await, 60_000);
    assert_eq!(
        app.scalar(&format!(
            "SELECT original_value_fen FROM resources WHERE id = {id}"
        ))
        .await,
        128_000_000
    );

    // Public at once: the catalogue finds it, and its page shows the rules.
    let (_, _, html) = app
        .get("/?q=%E6%81%92%E6%B8%A9%E6%81%92%E6%B9%BF", &[])
        .await;
    assert!(html.contains(&format!("href=\"/resources/{id}\"")));
    let (_, _, html) = app.get(&format!("/resources/{id}"), &[]).await;
    let page = common::text(&html);
    assert!(
        page.contains("步入式恒温恒湿室") && page.contains("需机构审核"),
        "{page}"
    );

    // The editor shows what was saved; saving a change replaces rules, hours and rates.
    let (status, _, html) = app
        .get(
            &format!("/resources/{id}/edit"),
            &[("cookie", &format!("labshare_session={admin}"))],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("08:30-12:00, 13:30-17:30"),
        "hours shown as entered"
    );
    assert!(html.contains("温度范围 / Temperature: -40 ~ 85 ℃"));
    let id_text = id.to_string();
    let mut changed = resource.clone();
    changed.push(("id", &id_text));
    for (k, v) in changed.iter_mut() {
        match *k {
            "name_zh" => *v = "恒温恒湿室（改）",
            "hours_2" => *v = "",
            "rate_sme" => *v = "",
            "approval" => *v = "",
            _ => {}
        }
    }
    let (status, body) = call_form(&app, "save_resource", &changed, &admin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM resources").await,
        before + 1,
        "edited, not added"
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM opening_hours WHERE resource_id = {id}"
        ))
        .await,
        2
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM rates WHERE resource_id = {id}"
        ))
        .await,
        1
    );
    assert_eq!(
        app.scalar(&format!("SELECT CASE WHEN approval_required THEN 1 ELSE 0 END FROM booking_rules WHERE resource_id = {id}")).await,
        0
    );

    // Bad input: the field is named, and nothing changes.
    for (field, value, key) in [
        ("hours_1", "17:00-08:00", "hours_invalid"),
        ("name_zh", "", "text_missing"),
        ("rate_external", "三百", "price_invalid"),
        ("max_duration_minutes", "60", "duration_order"),
    ] {
        let mut bad = changed.clone();
        for (k, v) in bad.iter_mut() {
            if *k == field {
                *v = value;
            }
        }
        let (status, body) = call_form(&app, "save_resource", &bad, &admin).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {body}");
        assert!(body.contains(field) && body.contains(key), "{body}");
        assert_eq!(
            app.scalar(&format!(
                "SELECT COUNT(*) FROM opening_hours WHERE resource_id = {id}"
            ))
            .await,
            2
        );
    }
    // An admin cannot move a resource to another institution by editing the form.
    let mut moved = changed.clone();
    for (k, v) in moved.iter_mut() {
        if *k == "institution" {
            *v = "1";
        }
    }
    let (status, _) = call_form(&app, "save_resource", &moved, &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.scalar(&format!(
            "SELECT institution_id FROM resources WHERE id = {id}"
        ))
        .await,
        owner.parse::<i64>().unwrap()
    );
}

#[tokio::test]
async fn accreditation_entered_by_the_owner_is_found_by_standard_and_warned_before_expiry() {
    let app = TestApp::new().await;
    let (_, admin) = owner_and_admin(&app).await;
    let resource = app
        .scalar("SELECT MAX(id) FROM resources")
        .await
        .to_string();
    let (status, body) = call_form(
        &app,
        "add_accreditation",
        &[
            ("resource", &resource),
            ("body", "CNAS"),
            ("certificate_number", "CNAS L7777"),
            ("standards", "ISO 16750-3, GB/T 28046.3"),
            ("valid_from", "2025-01-01"),
            ("valid_until", "2026-12-31"),
        ],
        &admin,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, _, body) = app
        .call(
            "catalogue",
            &[("query[standard]", "GB/T28046.3"), ("english", "false")],
            None,
            &[],
        )
        .await;
    assert!(body.contains(&format!("\"id\":{resource}")), "{body}");
    // Expiring within 60 days: the owner's list warns.
    let (status, _, html) = app
        .get(
            "/institution/resources",
            &[("cookie", &format!("labshare_session={admin}"))],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let page = common::text(&html);
    assert!(
        page.contains("CNAS L7777") && page.contains("将于 2026-12-31 到期"),
        "{page}"
    );
    // Bad entries are refused by field.
    let (status, body) = call_form(
        &app,
        "add_accreditation",
        &[
            ("resource", &resource),
            ("body", "CNAS"),
            ("certificate_number", "X"),
            ("standards", "ISO 1"),
            ("valid_from", "2027-01-01"),
            ("valid_until", "2026-01-01"),
        ],
        &admin,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("date_order"), "{body}");
}

#[tokio::test]
async fn a_blackout_over_bookings_names_them_and_cancels_them_only_when_asked() {
    let app = TestApp::new().await;
    let (_, admin) = owner_and_admin(&app).await;
    let resource = app.scalar("SELECT MAX(id) FROM resources").await;
    let r = resource.to_string();
    let booker = app.sign_in(BOOKER).await;
    let mut booked = Vec::new();
    for (starts, ends) in [
        ("2026-12-01T09:00", "2026-12-01T11:00"),
        ("2026-12-01T14:00", "2026-12-01T15:00"),
    ] {
        let (status, _, body) = app
            .call(
                "book",
                &[
                    ("resource", &r),
                    ("starts", starts),
                    ("ends", ends),
                    ("purpose", "检测"),
                    ("contact_phone", "13970001000"),
                ],
                Some(&booker),
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        booked.push(
            serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let blackout = |cancel: &'static str, reason: &'static str| {
        let r = r.clone();
        let admin = admin.clone();
        let app = &app;
        async move {
            call_form(
                app,
                "add_blackout",
                &[
                    ("resource", &r),
                    ("kind", "calibration"),
                    ("starts", "2026-12-01T10:00"),
                    ("ends", "2026-12-01T16:00"),
                    ("note", "年度校准"),
                    ("cancel_hits", cancel),
                    ("reason", reason),
                ],
                &admin,
            )
            .await
        }
    };
    let mails_before = app.scalar("SELECT COUNT(*) FROM outbox").await;

    // Without the choice: refused, both bookings named, nothing changed.
    let (status, body) = blackout("", "").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let hits: serde_json::Value = serde_json::from_str(&body).unwrap();
    let named: Vec<i64> = hits["BlackoutHits"]["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["booking"].as_i64().unwrap())
        .collect();
    assert_eq!(named, booked);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM blackouts WHERE resource_id = {resource}"
        ))
        .await,
        0
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM bookings WHERE resource_id = {resource} AND status = 'cancelled'"
        ))
        .await,
        0
    );

    // Choosing to cancel needs a reason for the bookers.
    let (status, body) = blackout("on", "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("reason_missing"));

    // With both: the bookings are cancelled (each booker mailed, with the calendar cancellation)
    // and the time blocked, in one go.
    let (status, body) = blackout("on", "设备年度校准，敬请谅解").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for id in &booked {
        let (status, reason): (String, String) =
            sqlx::query_as("SELECT status, status_reason FROM bookings WHERE id = $1")
                .bind(id)
                .fetch_one(app.state.db.pool())
                .await
                .unwrap();
        assert_eq!(
            (status.as_str(), reason.as_str()),
            ("cancelled", "设备年度校准，敬请谅解")
        );
        let (body, ics): (String, Option<String>) = sqlx::query_as(
            "SELECT body_text, ics FROM outbox WHERE booking_id = $1 AND template = 'booking_cancelled'",
        )
        .bind(id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
        assert!(body.contains("设备年度校准"));
        assert!(ics.unwrap().contains("METHOD:CANCEL"));
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM outbox").await,
        mails_before + 2
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM blackouts WHERE resource_id = {resource}"
        ))
        .await,
        1
    );

    // The blocked time is no longer offered, and booking into it is refused by the database's guard.
    let (status, _, body) = app
        .call(
            "book",
            &[
                ("resource", &r),
                ("starts", "2026-12-01T12:00"),
                ("ends", "2026-12-01T13:00"),
                ("purpose", "检测"),
                ("contact_phone", "13970001000"),
            ],
            Some(&booker),
            &[],
        )
        .await;
    assert!(
        status == StatusCode::CONFLICT || status == StatusCode::UNPROCESSABLE_ENTITY,
        "{status} {body}"
    );
}
