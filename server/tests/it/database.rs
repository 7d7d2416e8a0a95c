//! The schema and the demo zone on a real SQLite file: conflict freedom is the database's job.

use crate::common;

use app::backend::is_overlap;
use common::{assert_overlap, insert_booking, TestApp};

#[tokio::test]
async fn the_database_refuses_overlapping_active_bookings() {
    let app = TestApp::with_demo(true).await;
    let r = app.scalar("SELECT MAX(id) FROM resources").await;
    let base = 4_000_000_000; // far beyond the demo's bookings

    let first = insert_booking(&app, r, base, base + 3600, "confirmed")
        .await
        .expect("first booking");
    assert_overlap(insert_booking(&app, r, base + 1800, base + 5400, "pending").await);
    assert_overlap(insert_booking(&app, r, base - 60, base + 60, "confirmed").await);
    // Half-open: touching ends are fine.
    insert_booking(&app, r, base + 3600, base + 7200, "pending")
        .await
        .expect("adjacent after");
    insert_booking(&app, r, base - 3600, base, "confirmed")
        .await
        .expect("adjacent before");
    // Inactive rows block nothing, and may overlap anything.
    insert_booking(&app, r, base, base + 3600, "cancelled")
        .await
        .expect("cancelled row");
    // Another resource is independent.
    insert_booking(&app, r - 1, base, base + 3600, "confirmed")
        .await
        .expect("other resource");

    // Reactivating or moving a row onto another active one is refused too (the UPDATE trigger).
    sqlx::query("UPDATE bookings SET status = 'cancelled' WHERE id = $1")
        .bind(first)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let (cancelled,): (i64,) = sqlx::query_as("SELECT id FROM bookings WHERE resource_id = $1 AND status = 'cancelled' AND starts_at = $2 AND id <> $3")
        .bind(r)
        .bind(base)
        .bind(first)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE bookings SET status = 'confirmed' WHERE id = $1")
        .bind(first)
        .execute(app.state.db.pool())
        .await
        .expect("the slot is free again");
    let moved = sqlx::query("UPDATE bookings SET status = 'pending' WHERE id = $1")
        .bind(cancelled)
        .execute(app.state.db.pool())
        .await;
    assert_overlap(moved);
}

#[tokio::test]
async fn blackouts_and_bookings_exclude_each_other() {
    let app = TestApp::with_demo(false).await;
    sqlx::query("INSERT INTO zones (id, name_zh, name_en, province, created_at) VALUES (1, 'z', 'z', 'p', 0)").execute(app.state.db.pool()).await.unwrap();
    sqlx::query("INSERT INTO organisations (id, zone_id, kind, name_zh, name_en, created_at) VALUES (1, 1, 'institution', 'i', 'i', 0)").execute(app.state.db.pool()).await.unwrap();
    sqlx::query("INSERT INTO users (id, organisation_id, email, display_name, created_at) VALUES (1, 1, 'a@b.example', 'a', 0)").execute(app.state.db.pool()).await.unwrap();
    sqlx::query("INSERT INTO categories (id, code, name_zh, name_en) VALUES (1, 'c', 'c', 'c')")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    sqlx::query("INSERT INTO resources (id, institution_id, category_id, kind, name_zh, name_en, created_at, updated_at) VALUES (1, 1, 1, 'instrument', 'r', 'r', 0, 0)")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let blackout = |from: i64, until: i64| {
        sqlx::query("INSERT INTO blackouts (resource_id, starts_at, ends_at, reason_kind, created_at) VALUES (1, $1, $2, 'calibration', 0) RETURNING id")
            .bind(from)
            .bind(until)
    };
    blackout(1000, 2000)
        .execute(app.state.db.pool())
        .await
        .expect("blackout");
    assert_overlap(insert_booking(&app, 1, 1500, 2500, "pending").await);
    insert_booking(&app, 1, 2000, 3000, "confirmed")
        .await
        .expect("after the blackout");
    let over = blackout(2500, 2600).execute(app.state.db.pool()).await;
    match over {
        Err(sqlx::Error::Database(db)) => assert!(is_overlap(db.as_ref())),
        other => panic!("a blackout over an active booking must be refused, got {other:?}"),
    }
}

#[tokio::test]
async fn the_demo_zone_is_realistic_and_loaded_once() {
    let app = TestApp::new().await;
    let institutions = app
        .scalar("SELECT COUNT(*) FROM organisations WHERE kind = 'institution'")
        .await;
    assert!(
        (6..=8).contains(&institutions),
        "{institutions} institutions"
    );
    assert!(app.scalar("SELECT COUNT(*) FROM resources").await >= 40);
    assert!(
        app.scalar("SELECT COUNT(DISTINCT category_id) FROM resources")
            .await
            >= 8
    );
    assert!(
        app.scalar("SELECT COUNT(*) FROM resources WHERE kind = 'facility'")
            .await
            >= 10
    );
    assert!(
        app.scalar("SELECT COUNT(*) FROM resources WHERE kind = 'instrument'")
            .await
            >= 20
    );
    assert!(
        app.scalar("SELECT COUNT(*) FROM resources WHERE status = 'maintenance'")
            .await
            >= 1
    );
    // A year of past use and the coming weeks: thousands of bookings, not millions.
    let bookings = app.scalar("SELECT COUNT(*) FROM bookings").await;
    assert!(
        (3_000..=20_000).contains(&bookings),
        "a year of bookings, got {bookings}"
    );
    let now = common::now().timestamp();
    assert!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM bookings WHERE ends_at <= {now} AND status = 'completed'"
        ))
        .await
            > 50
    );
    assert!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM bookings WHERE starts_at > {now} AND status = 'confirmed'"
        ))
        .await
            > 20
    );
    assert!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM bookings WHERE starts_at > {now} AND status = 'pending'"
        ))
        .await
            > 0
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM bookings b LEFT JOIN booking_events e ON e.booking_id = b.id WHERE e.id IS NULL").await, 0, "every booking has its audit trail");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM resources r LEFT JOIN rates x ON x.resource_id = r.id WHERE x.resource_id IS NULL").await, 0, "every resource has rates");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM resources r LEFT JOIN booking_rules x ON x.resource_id = r.id WHERE x.resource_id IS NULL").await, 0, "every resource has rules");
    let today = common::now().format("%Y-%m-%d").to_string();
    let soon = (common::now() + chrono::Duration::days(60))
        .format("%Y-%m-%d")
        .to_string();
    assert!(app.scalar(&format!("SELECT COUNT(*) FROM accreditations WHERE valid_until >= '{today}' AND valid_until <= '{soon}'")).await >= 1, "some accreditation expiring");
    assert!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM accreditations WHERE valid_until < '{today}'"
        ))
        .await
            >= 1,
        "some accreditation expired"
    );
    // No two active bookings of one resource overlap, nor any active booking a blackout.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM bookings a JOIN bookings b ON a.resource_id = b.resource_id AND a.id < b.id \
                    WHERE a.status IN ('pending','confirmed') AND b.status IN ('pending','confirmed') \
                    AND a.blocked_from < b.blocked_until AND b.blocked_from < a.blocked_until").await,
        0
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM bookings a JOIN blackouts k ON a.resource_id = k.resource_id \
                    WHERE a.status IN ('pending','confirmed') AND a.blocked_from < k.ends_at AND k.starts_at < a.blocked_until").await,
        0
    );

    // A second start on the same database changes nothing.
    let again = app
        .state
        .db
        .seed_demo_if_empty(&chrono_tz::Asia::Shanghai, common::now())
        .await
        .unwrap();
    assert!(again.is_none());
    assert_eq!(app.scalar("SELECT COUNT(*) FROM bookings").await, bookings);
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys() {
    let app = TestApp::sqlite(false).await;
    let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(mode.to_lowercase(), "wal");
    assert_eq!(app.scalar("PRAGMA foreign_keys").await, 1);
    // FULL: a commit (and so an acknowledged booking) is on the disk before it returns.
    assert_eq!(app.scalar("PRAGMA synchronous").await, 2);
    let orphan = sqlx::query("INSERT INTO rates (resource_id, customer_category, per_hour_fen) VALUES (424242, 'own', 1)").execute(app.state.db.pool()).await;
    assert!(orphan.is_err(), "foreign keys are enforced");
    assert!(
        app.dir.path().join("test.db").exists(),
        "a real file under the data folder"
    );
}

/// The zone manager trying the demo sees a zone in use: over the last twelve months the busiest
/// instruments are booked well over a third of their open time, the zone as a whole around a
/// quarter to a half, some equipment stands nearly idle, and most use is by other organisations.
#[tokio::test]
async fn the_demo_zone_has_a_believable_year_of_use() {
    use app::backend::report::Scope;
    use app::domain::ids::ZoneId;
    use app::domain::report::{Period, PeriodKind};
    let app = TestApp::new().await;
    let today = common::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    let period = Period {
        kind: PeriodKind::Custom,
        from: today - chrono::Duration::days(365),
        to: today - chrono::Duration::days(1),
    };
    let zone = ZoneId(app.scalar("SELECT MIN(id) FROM zones").await);
    let report = app
        .state
        .db
        .report(
            Scope::Zone(zone),
            period,
            &chrono_tz::Asia::Shanghai,
            today,
            0.10,
        )
        .await
        .expect("report");
    let zone_use = report.totals.utilisation().expect("open time");
    assert!(
        (0.2..=0.5).contains(&zone_use),
        "the zone is used {zone_use:.3} of its open time"
    );
    let mut busiest: Vec<f64> = report
        .resources
        .iter()
        .filter_map(|line| line.figures.utilisation())
        .collect();
    busiest.sort_by(|a, b| b.total_cmp(a));
    busiest.truncate(5);
    assert!(
        busiest.len() == 5 && busiest.iter().all(|u| *u > 0.4),
        "the five busiest are used {busiest:?}"
    );
    assert!(
        report.idle_count >= 3,
        "some equipment stands nearly idle ({} under 10 %)",
        report.idle_count
    );
    let share = report.totals.share_rate().expect("used time");
    assert!(
        (0.5..=0.95).contains(&share),
        "most use is by other organisations: {share:.3}"
    );
    assert!(report.totals.sme > 0 && report.totals.no_shows > 0 && report.totals.cancelled > 0);
}
