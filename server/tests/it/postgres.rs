//! What only PostgreSQL has, on a throw-away PostgreSQL server of each test's own: its exclusion
//! constraint refusing overlaps, trigram search of Chinese text, TLS, two mail senders on one
//! database. Every other integration test runs on PostgreSQL too, in the test script's second run
//! (`common::test_postgres`); the test script skips this module there, as it starts servers of its
//! own.

use crate::common;

use axum::http::StatusCode;
use common::pg::PgServer;
use common::race::{open_resource, overlapping_pairs, race};
use common::{assert_overlap, insert_booking, text, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_serves_the_catalogue_and_refuses_overlaps() {
    let pg = PgServer::start();
    let url = pg.create_database("labshare_test").await;
    let app = TestApp::on(Some(&url), true).await;
    assert_eq!(app.state.db.dialect(), app::backend::Dialect::Postgres);

    // The same demo zone, the same pages.
    let total = app
        .scalar("SELECT COUNT(*) FROM resources WHERE status <> 'retired'")
        .await;
    assert!(total >= 40);
    let (status, _, html) = app.get("/", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text(&html).contains(&format!("共 {total} 项")));
    let facilities = app
        .scalar("SELECT COUNT(*) FROM resources WHERE status <> 'retired' AND kind = 'facility'")
        .await;
    let (_, _, html) = app
        .get("/?kind=facility", &[("accept-language", "en")])
        .await;
    assert!(text(&html).contains(&format!("{facilities} results")));
    let id = app
        .scalar("SELECT id FROM resources WHERE name_en = '10 m semi-anechoic EMC chamber'")
        .await;
    let (status, _, html) = app.get(&format!("/resources/{id}"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    let page = text(&html);
    assert!(
        page.contains("需机构审核")
            && page.contains("¥2,600.00")
            && page.contains("data-testid=\"week-grid\"")
    );

    // The exclusion constraint: overlapping active bookings are refused, touching ones are not.
    let base = 4_000_000_000;
    insert_booking(&app, id, base, base + 3600, "confirmed")
        .await
        .expect("first");
    assert_overlap(insert_booking(&app, id, base + 600, base + 4200, "pending").await);
    insert_booking(&app, id, base + 3600, base + 7200, "confirmed")
        .await
        .expect("adjacent");
    insert_booking(&app, id, base, base + 3600, "cancelled")
        .await
        .expect("inactive rows never conflict");

    // Blackouts and bookings exclude each other through the triggers.
    sqlx::query("INSERT INTO blackouts (resource_id, starts_at, ends_at, reason_kind, created_at) VALUES ($1, $2, $3, 'calibration', 0)")
        .bind(id)
        .bind(base + 100_000)
        .bind(base + 110_000)
        .execute(app.state.db.pool())
        .await
        .expect("blackout on free time");
    assert_overlap(insert_booking(&app, id, base + 105_000, base + 106_000, "pending").await);
    let over = sqlx::query("INSERT INTO blackouts (resource_id, starts_at, ends_at, reason_kind, created_at) VALUES ($1, $2, $3, 'maintenance', 0)")
        .bind(id)
        .bind(base)
        .bind(base + 10)
        .execute(app.state.db.pool())
        .await;
    assert_overlap(over);

    // No overlaps in the demo data either, checked by SQL.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM bookings a JOIN bookings b ON a.resource_id = b.resource_id AND a.id < b.id \
                    WHERE a.status IN ('pending','confirmed') AND b.status IN ('pending','confirmed') \
                    AND a.blocked_from < b.blocked_until AND b.blocked_from < a.blocked_until").await,
        0
    );

    // The same-slot race through the real HTTP stack: 64 clients × 20 slots.
    let resource = open_resource(&app, (0, 0)).await;
    let outcome = race(&app, resource, 64, 20, "2026-12-10").await;
    assert_eq!(outcome.server_errors, 0, "{outcome:?}");
    assert!(
        outcome.other.is_empty(),
        "{:?}",
        &outcome.other[..outcome.other.len().min(3)]
    );
    assert_eq!((outcome.won, outcome.conflicts), (20, 64 * 20 - 20));
    assert_eq!(overlapping_pairs(&app, resource).await, 0);
    app.state.db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_mail_senders_on_one_postgres_database_deliver_each_message_once() {
    let pg = PgServer::start();
    let url = pg.create_database("labshare_mail").await;
    let app = TestApp::on(Some(&url), false).await;
    common::smtp::two_senders_deliver_each_message_once(&app, 60).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_searches_chinese_text_and_standards_with_trigrams() {
    let pg = PgServer::start();
    let url = pg.create_database("labshare_search").await;
    let app = TestApp::on(Some(&url), true).await;
    let ids = |body: String| -> Vec<i64> {
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        let mut ids: Vec<i64> = json["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect();
        ids.sort_unstable();
        ids
    };
    let pool = app.state.db.pool().clone();
    let expected = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            let mut ids: Vec<i64> = sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap();
            ids.sort_unstable();
            ids
        }
    };
    let (status, _, body) = app
        .call(
            "catalogue",
            &[("query[q]", "电波暗室"), ("english", "false")],
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let found = ids(body);
    assert!(!found.is_empty());
    assert_eq!(
        found,
        expected(
            "SELECT id FROM resources WHERE name_zh LIKE '%电波暗室%' AND status <> 'retired'"
        )
        .await
    );
    let (_, _, body) = app
        .call(
            "catalogue",
            &[("query[q]", "chamber"), ("english", "true")],
            None,
            &[],
        )
        .await;
    assert_eq!(
        ids(body),
        expected("SELECT r.id FROM resources r JOIN categories c ON c.id = r.category_id WHERE r.status <> 'retired' \
                  AND LOWER(r.name_zh || r.name_en || r.model || r.manufacturer || c.name_zh || c.name_en) LIKE '%chamber%'").await
    );
    let (_, _, body) = app
        .call(
            "catalogue",
            &[("query[standard]", "IEC 61000-4-3"), ("english", "false")],
            None,
            &[],
        )
        .await;
    assert_eq!(
        ids(body),
        expected(
            "SELECT DISTINCT a.resource_id FROM accreditations a JOIN accreditation_standards s ON s.accreditation_id = a.id \
             JOIN resources r ON r.id = a.resource_id \
             WHERE s.code = 'IEC 61000-4-3' AND a.valid_from <= '2026-11-25' AND a.valid_until >= '2026-11-25' AND r.status <> 'retired'"
        )
        .await
    );
}

/// PostgreSQL over TLS, as a deployment across machines uses it: with `sslmode=verify-full` the
/// connection is encrypted and the server's certificate checked against the CA named in
/// `sslrootcert`; without that CA the same server is refused.
#[tokio::test]
async fn postgres_over_tls_is_encrypted_and_checks_the_server() {
    let pg = PgServer::start_with_tls();
    let url = format!(
        "{}?sslmode=verify-full&sslrootcert={}",
        pg.url("postgres"),
        pg.ca_file().display()
    );
    let db = app::backend::Db::connect(&url, 2)
        .await
        .expect("a TLS connection");
    let encrypted: bool =
        sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert!(encrypted, "the session is encrypted");
    db.migrate().await.expect("the migrations over TLS");
    db.close().await;
    // The system's CAs do not know this server's: refused.
    let unverified = format!("{}?sslmode=verify-full", pg.url("postgres"));
    assert!(app::backend::Db::connect(&unverified, 1).await.is_err());
}
