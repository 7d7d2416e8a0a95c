//! Time-first search on the demo zone, checked against a brute-force search in the test: every
//! aligned start in the range is tried against the rules, with the data read here by plain SQL.

use crate::common;

use app::domain::availability::{FreeQuery, Unbookable};
use app::domain::catalogue::{Audience, CatalogueFilter, ResourceStatus};
use app::domain::rules::{BookingRules, Relation, Situation};
use app::domain::schedule::{OpeningHours, OpeningPeriod};
use app::domain::time::TimeSlot;
use chrono::{Duration, TimeZone};
use chrono_tz::Asia::Shanghai;
use common::TestApp;

type RuleRow = (i64, i64, i64, i64, i64, i64, i64, String, String);

/// Runs the time-first search for `minutes` over `range` and checks every resource's answer
/// against a brute-force search over the rows read here by plain SQL. Returns how many
/// resources had free time.
async fn brute_force_agrees(
    app: &TestApp,
    range: TimeSlot,
    minutes: i64,
) -> (usize, Vec<app::domain::availability::FreeResult>) {
    let now = common::now();
    let pool = app.state.db.pool();
    let query = FreeQuery {
        range,
        minutes,
        filter: CatalogueFilter::default(),
    };
    let results = app
        .state
        .db
        .find_free(&query, &Shanghai, now)
        .await
        .expect("search");
    let listed: i64 = app
        .scalar("SELECT COUNT(*) FROM resources WHERE status <> 'retired'")
        .await;
    assert_eq!(
        results.len() as i64,
        listed,
        "every resource answers, bookable or not"
    );
    let mut with_windows = 0;

    for result in &results {
        let id = result.resource.id.0;
        let row: RuleRow = sqlx::query_as(
            "SELECT b.slot_minutes, b.min_duration_minutes, b.max_duration_minutes, b.min_notice_minutes, b.max_notice_days, \
                    b.buffer_before_minutes, b.buffer_after_minutes, b.audience, r.status \
             FROM booking_rules b JOIN resources r ON r.id = b.resource_id WHERE r.id = $1",
        )
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap();
        let rules = BookingRules {
            slot_minutes: row.0,
            min_duration_minutes: row.1,
            max_duration_minutes: row.2,
            min_notice_minutes: row.3,
            max_notice_days: row.4,
            buffer_before_minutes: row.5,
            buffer_after_minutes: row.6,
            approval_required: false,
            audience: Audience::parse(&row.7).unwrap(),
            cancel_cutoff_minutes: 0,
        };
        let status = ResourceStatus::parse(&row.8).unwrap();
        let periods: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT weekday, opens_minute, closes_minute FROM opening_hours WHERE resource_id = $1",
        )
        .bind(id)
        .fetch_all(pool)
        .await
        .unwrap();
        let hours = OpeningHours {
            periods: periods
                .into_iter()
                .map(|(w, o, c)| OpeningPeriod::new(w as u8, o as u16, c as u16).unwrap())
                .collect(),
        };
        let taken: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT blocked_from, blocked_until FROM bookings WHERE resource_id = $1 AND status IN ('pending', 'confirmed') \
             UNION ALL SELECT starts_at, ends_at FROM blackouts WHERE resource_id = $1",
        )
        .bind(id)
        .fetch_all(pool)
        .await
        .unwrap();
        let taken: Vec<TimeSlot> = taken
            .into_iter()
            .map(|(s, e)| TimeSlot::from_unix(s, e).unwrap())
            .collect();
        let situation = Situation {
            tz: &Shanghai,
            now,
            status,
            hours: &hours,
            closed_days: &[],
            taken: &taken,
        };

        // Brute force: every start on the resource's time step, tried against every rule.
        let length = Duration::minutes(minutes.max(rules.min_duration_minutes));
        let mut first_fit = None;
        let mut start = range.start();
        while start + length <= range.end() {
            let candidate = TimeSlot::new(start, start + length).unwrap();
            if rules
                .check(&situation, Relation::OwnInstitution, &candidate)
                .is_empty()
            {
                first_fit = Some(candidate);
                break;
            }
            start += Duration::minutes(rules.slot_minutes);
        }

        match (first_fit, result.windows.first()) {
            (Some(fit), Some(window)) => {
                with_windows += 1;
                assert_eq!(
                    window.start(),
                    fit.start(),
                    "resource {id}, {minutes} min: earliest window"
                );
                assert!(result.unbookable.is_none());
                for w in &result.windows {
                    assert!(
                        range.contains(w) && w.minutes() >= length.num_minutes(),
                        "resource {id}: {w:?}"
                    );
                    let head = TimeSlot::new(w.start(), w.start() + length).unwrap();
                    assert!(
                        rules
                            .check(&situation, Relation::OwnInstitution, &head)
                            .is_empty(),
                        "resource {id}: {head:?} bookable"
                    );
                }
            }
            (None, None) => {
                let reason = result.unbookable.expect("a reason when nothing is free");
                match reason {
                    Unbookable::NotAvailable(s) => assert_eq!(s, status),
                    Unbookable::TooLong(max) => assert!(minutes > max),
                    Unbookable::Closed
                    | Unbookable::FullyBooked
                    | Unbookable::NoticeTooShort(_) => {}
                }
            }
            (fit, window) => {
                panic!("resource {id}, {minutes} min: brute force {fit:?}, search {window:?}")
            }
        }
    }
    (with_windows, results)
}

#[tokio::test]
async fn time_first_search_matches_a_brute_force_search() {
    let app = TestApp::new().await;
    let range = TimeSlot::new(
        Shanghai
            .with_ymd_and_hms(2026, 11, 26, 0, 0, 0)
            .unwrap()
            .to_utc(),
        Shanghai
            .with_ymd_and_hms(2026, 12, 3, 0, 0, 0)
            .unwrap()
            .to_utc(),
    )
    .unwrap();

    for minutes in [60_i64, 180, 600] {
        let (with_windows, results) = brute_force_agrees(&app, range, minutes).await;
        assert!(
            with_windows > 10,
            "{minutes} min: most resources have free time ({with_windows})"
        );
        if minutes == 600 {
            assert!(
                results
                    .iter()
                    .any(|r| matches!(r.unbookable, Some(Unbookable::TooLong(480)))),
                "instruments cap at 8 h"
            );
        }
    }
}

/// The same check on a generated zone: two years of bookings, buffers, round-the-clock facilities,
/// calibration blackouts, approval and notice rules, across 120 resources.
#[tokio::test]
async fn time_first_search_matches_a_brute_force_search_on_a_generated_zone() {
    let app = TestApp::with_demo(false).await;
    let scale = crate::common::generate::Scale {
        institutions: 4,
        resources: 120,
        bookings: 12_000,
        seed: 7,
    };
    let today = common::now().with_timezone(&Shanghai).date_naive();
    let made = crate::common::generate::generate(&app.state.db, scale, &Shanghai, today)
        .await
        .expect("generated");
    assert_eq!((made.resources, made.bookings), (120, 12_000));
    assert!(made.blackouts > 0);
    // The last range reaches past the horizon of busy time the process keeps in memory, so its
    // busy time is read from the database.
    for (from_day, days, minutes) in [(1, 7, 60_i64), (20, 14, 240), (3, 31, 480), (140, 20, 60)] {
        let start = common::now() + Duration::days(from_day);
        let range = TimeSlot::new(start, start + Duration::days(days)).unwrap();
        let (with_windows, results) = brute_force_agrees(&app, range, minutes).await;
        assert_eq!(results.len(), 120);
        if from_day < 140 {
            assert!(with_windows > 0, "{minutes} min over {days} days");
        }
        pages_agree(&app, range, minutes, &results).await;
    }
}

/// Each page of the search (the page works out further windows only for its own resources) is
/// the same slice of the whole answer, with the same counts.
async fn pages_agree(
    app: &TestApp,
    range: TimeSlot,
    minutes: i64,
    whole: &[app::domain::availability::FreeResult],
) {
    let query = FreeQuery {
        range,
        minutes,
        filter: CatalogueFilter::default(),
    };
    let per_page = 7;
    for page in 1..=(whole.len().div_ceil(per_page) + 1) {
        let answer = app
            .state
            .db
            .find_free_page(&query, &Shanghai, common::now(), page, per_page)
            .await
            .expect("page");
        let expected: Vec<_> = whole
            .iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .collect();
        assert_eq!(
            answer.results.iter().collect::<Vec<_>>(),
            expected,
            "page {page}"
        );
        assert_eq!(answer.total, whole.len());
        assert_eq!(
            answer.bookable,
            whole.iter().filter(|r| !r.windows.is_empty()).count()
        );
    }
}

#[tokio::test]
async fn time_first_search_honours_filters_and_says_why_not() {
    let app = TestApp::new().await;
    let range = TimeSlot::new(common::now(), common::now() + Duration::days(7)).unwrap();
    let filter = CatalogueFilter {
        kind: Some(app::domain::catalogue::ResourceKind::Facility),
        ..Default::default()
    };
    let results = app
        .state
        .db
        .find_free(
            &FreeQuery {
                range,
                minutes: 240,
                filter,
            },
            &Shanghai,
            common::now(),
        )
        .await
        .unwrap();
    assert!(!results.is_empty());
    assert!(results
        .iter()
        .all(|r| r.resource.kind == app::domain::catalogue::ResourceKind::Facility));

    let maintenance = results
        .iter()
        .chain(
            app.state
                .db
                .find_free(
                    &FreeQuery {
                        range,
                        minutes: 60,
                        filter: CatalogueFilter::default(),
                    },
                    &Shanghai,
                    common::now(),
                )
                .await
                .unwrap()
                .iter(),
        )
        .any(|r| r.unbookable == Some(Unbookable::NotAvailable(ResourceStatus::Maintenance)));
    assert!(maintenance, "a resource under maintenance says so");

    // A range entirely inside the minimum notice.
    let soon = TimeSlot::new(common::now(), common::now() + Duration::hours(1)).unwrap();
    let results = app
        .state
        .db
        .find_free(
            &FreeQuery {
                range: soon,
                minutes: 60,
                filter: CatalogueFilter::default(),
            },
            &Shanghai,
            common::now(),
        )
        .await
        .unwrap();
    assert!(results
        .iter()
        .filter(|r| r.resource.status == ResourceStatus::Available)
        .all(|r| matches!(r.unbookable, Some(Unbookable::NoticeTooShort(_)))));
}

/// Each process keeps the resources' rules, hours and status in memory; a second process
/// (here a second connection pool on the same SQLite file, with a cache of its own) changes them
/// and books, and the first process's next search answers as the brute force does.
#[tokio::test]
async fn the_search_stays_exact_after_another_process_changes_rules_hours_and_status() {
    let app = TestApp::new().await;
    exact_after_another_process(&app, &app.database_url()).await;
}

/// A result's number of windows and reason, by resource id.
fn answer_of(
    results: &[app::domain::availability::FreeResult],
    id: i64,
) -> (usize, Option<Unbookable>) {
    results
        .iter()
        .find(|r| r.resource.id.0 == id)
        .map(|r| (r.windows.len(), r.unbookable))
        .unwrap()
}

/// Runs each statement on `pool` (the other process's).
async fn execute_all(pool: &sqlx::AnyPool, statements: &[String]) {
    for sql in statements {
        sqlx::query(sql).execute(pool).await.unwrap();
    }
}

/// The check of [`the_search_stays_exact_after_another_process_changes_rules_hours_and_status`]
/// on the database at `url` (PostgreSQL too).
async fn exact_after_another_process(app: &TestApp, url: &str) {
    let start = common::now() + Duration::days(1);
    let range = TimeSlot::new(start, start + Duration::days(7)).unwrap();
    // Warm this process's copy.
    let (before, _) = brute_force_agrees(app, range, 60).await;
    assert!(before > 10);
    let other = app::backend::Db::connect(url, 2)
        .await
        .expect("second process");
    let ids: Vec<(i64,)> = sqlx::query_as(
        "SELECT r.id FROM resources r JOIN booking_rules b ON b.resource_id = r.id \
         WHERE r.status = 'available' AND NOT EXISTS (SELECT 1 FROM bookings x WHERE x.resource_id = r.id \
           AND x.status IN ('pending', 'confirmed') AND x.blocked_from < $2 AND x.blocked_until > $1) \
         ORDER BY r.id LIMIT 4",
    )
    .bind(range.start().timestamp())
    .bind(range.end().timestamp())
    .fetch_all(other.pool())
    .await
    .unwrap();
    let [(closed,), (short,), (away,), (booked,)] = ids[..] else {
        panic!("four available resources");
    };
    execute_all(
        other.pool(),
        &[
        format!("DELETE FROM opening_hours WHERE resource_id = {closed}"),
        format!("UPDATE booking_rules SET max_duration_minutes = 30, min_duration_minutes = 30 WHERE resource_id = {short}"),
        format!("UPDATE resources SET status = 'maintenance' WHERE id = {away}"),
        format!(
            "INSERT INTO bookings (resource_id, user_id, organisation_id, starts_at, ends_at, blocked_from, blocked_until, status, \
               customer_category, price_fen, created_at, updated_at) \
             VALUES ({booked}, 1, 1, {s}, {e}, {s}, {e}, 'confirmed', 'external', 0, 0, 0)",
            s = range.start().timestamp(),
            e = range.end().timestamp()
        ),
        ],
    )
    .await;
    let (_, results) = brute_force_agrees(app, range, 60).await;
    assert_eq!(answer_of(&results, closed), (0, Some(Unbookable::Closed)));
    assert_eq!(
        answer_of(&results, short),
        (0, Some(Unbookable::TooLong(30)))
    );
    assert_eq!(
        answer_of(&results, away),
        (
            0,
            Some(Unbookable::NotAvailable(ResourceStatus::Maintenance))
        )
    );
    assert_eq!(
        answer_of(&results, booked).0,
        0,
        "booked through the whole range"
    );

    // The other process cancels that booking, and blacks a fifth resource out for the whole
    // range, then lifts the blackout.
    let blacked: (i64,) = sqlx::query_as(
        "SELECT r.id FROM resources r JOIN booking_rules b ON b.resource_id = r.id \
         WHERE r.status = 'available' AND r.id NOT IN ($1, $2, $3, $4) AND NOT EXISTS (SELECT 1 FROM bookings x \
           WHERE x.resource_id = r.id AND x.status IN ('pending', 'confirmed') AND x.blocked_from < $6 AND x.blocked_until > $5) \
         ORDER BY r.id DESC LIMIT 1",
    )
    .bind(closed)
    .bind(short)
    .bind(away)
    .bind(booked)
    .bind(range.start().timestamp())
    .bind(range.end().timestamp())
    .fetch_one(other.pool())
    .await
    .unwrap();
    let blackout = |id: i64| {
        format!(
            "INSERT INTO blackouts (resource_id, starts_at, ends_at, reason_kind, created_at) \
             VALUES ({id}, {}, {}, 'maintenance', 0)",
            range.start().timestamp(),
            range.end().timestamp()
        )
    };
    execute_all(
        other.pool(),
        &[
        format!(
            "UPDATE bookings SET status = 'cancelled' WHERE resource_id = {booked} AND starts_at = {}",
            range.start().timestamp()
        ),
        blackout(blacked.0),
        ],
    )
    .await;
    let (_, results) = brute_force_agrees(app, range, 60).await;
    assert_eq!(
        answer_of(&results, blacked.0).0,
        0,
        "blacked out through the whole range"
    );
    execute_all(
        other.pool(),
        &[format!(
            "DELETE FROM blackouts WHERE resource_id = {}",
            blacked.0
        )],
    )
    .await;
    let (_, results) = brute_force_agrees(app, range, 60).await;
    assert!(
        answer_of(&results, booked).0 > 0,
        "free again once cancelled"
    );
    assert!(
        answer_of(&results, blacked.0).0 > 0,
        "free again once the blackout is lifted"
    );
    other.close().await;
}
