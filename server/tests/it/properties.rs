//! Property tests over the real router and a real SQLite file: random sequences of create, cancel
//! and reschedule. After every step no two active bookings overlap (buffers included, checked by
//! SQL), every active booking satisfies the rules, and a request is accepted exactly when an
//! independent reading of the rules says it should be.

use crate::common;

use axum::http::StatusCode;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Timelike};
use common::race::{open_resource, overlapping_pairs};
use common::TestApp;
use proptest::prelude::*;

const BOOKER: &str = "liu.fang@nk-furniture.example";
/// Monday 7 December 2026, the first day the random slots fall on.
fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
}
const BEFORE: i64 = 30 * 60;
const AFTER: i64 = 15 * 60;

#[derive(Debug, Clone)]
enum Op {
    /// Day 0–6 from the first day, start in half hours from midnight, length in half hours.
    Create {
        day: i64,
        start: i64,
        len: i64,
    },
    Cancel {
        pick: usize,
    },
    Reschedule {
        pick: usize,
        day: i64,
        start: i64,
        len: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..7i64, 10..40i64, 1..12i64).prop_map(|(day, start, len)| Op::Create { day, start, len }),
        1 => any::<usize>().prop_map(|pick| Op::Cancel { pick }),
        2 => (any::<usize>(), 0..7i64, 10..40i64, 1..12i64)
            .prop_map(|(pick, day, start, len)| Op::Reschedule { pick, day, start, len }),
    ]
}

fn local(day: i64, half_hours: i64) -> NaiveDateTime {
    first_day().and_hms_opt(0, 0, 0).unwrap()
        + Duration::days(day)
        + Duration::minutes(30 * half_hours)
}

fn input(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M").to_string()
}

/// The rules of the test resource, read independently of the rule engine: whole hours, one to
/// eight hours long, inside Monday–Friday 08:00–18:00.
fn rules_allow(from: NaiveDateTime, to: NaiveDateTime) -> bool {
    let minutes = (to - from).num_minutes();
    let aligned = from.minute() == 0 && minutes % 60 == 0;
    let open = from.weekday().number_from_monday() <= 5
        && from.date() == to.date()
        && from.hour() >= 8
        && (to.hour() < 18 || (to.hour() == 18 && to.minute() == 0));
    aligned && (60..=480).contains(&minutes) && open
}

fn unix(t: NaiveDateTime) -> i64 {
    chrono_tz::Asia::Shanghai
        .from_local_datetime(&t)
        .single()
        .unwrap()
        .timestamp()
}

struct World {
    app: TestApp,
    token: String,
    resource: i64,
}

impl World {
    async fn new() -> World {
        let app = TestApp::new().await;
        let resource = open_resource(&app, (30, 15)).await;
        let pool = app.state.db.pool();
        sqlx::query("DELETE FROM opening_hours WHERE resource_id = $1")
            .bind(resource)
            .execute(pool)
            .await
            .unwrap();
        for weekday in 1..=5 {
            sqlx::query("INSERT INTO opening_hours (resource_id, weekday, opens_minute, closes_minute) VALUES ($1, $2, 480, 1080)")
                .bind(resource)
                .bind(weekday)
                .execute(pool)
                .await
                .unwrap();
        }
        let token = app.sign_in(BOOKER).await;
        World {
            app,
            token,
            resource,
        }
    }

    /// Active bookings of the resource: (id, starts, ends).
    async fn active(&self) -> Vec<(i64, i64, i64)> {
        sqlx::query_as(
            "SELECT id, starts_at, ends_at FROM bookings WHERE resource_id = $1 AND status IN ('pending', 'confirmed') ORDER BY id",
        )
        .bind(self.resource)
        .fetch_all(self.app.state.db.pool())
        .await
        .unwrap()
    }

    /// Whether [from, to) with buffers is clear of every active booking but `except`.
    async fn clear(&self, from: i64, to: i64, except: Option<i64>) -> bool {
        self.active().await.iter().all(|(id, s, e)| {
            Some(*id) == except || !(from - BEFORE < e + AFTER && s - BEFORE < to + AFTER)
        })
    }

    async fn book(&self, from: NaiveDateTime, to: NaiveDateTime) -> StatusCode {
        let resource = self.resource.to_string();
        let (starts, ends) = (input(from), input(to));
        let fields = [
            ("resource", resource.as_str()),
            ("starts", starts.as_str()),
            ("ends", ends.as_str()),
            ("purpose", "性质测试"),
            ("contact_phone", "13900001111"),
        ];
        self.app
            .call("book", &fields, Some(&self.token), &[])
            .await
            .0
    }
}

async fn run(ops: Vec<Op>) {
    let w = World::new().await;
    for op in ops {
        match op {
            Op::Create { day, start, len } => {
                let (from, to) = (local(day, start), local(day, start + len));
                let expected = rules_allow(from, to) && w.clear(unix(from), unix(to), None).await;
                let status = w.book(from, to).await;
                assert_eq!(
                    status == StatusCode::OK,
                    expected,
                    "create {from}–{to}: {status}"
                );
                assert!(status.is_success() || status.is_client_error(), "{status}");
            }
            Op::Cancel { pick } => {
                let active = w.active().await;
                if active.is_empty() {
                    continue;
                }
                let id = active[pick % active.len()].0.to_string();
                let (status, _, body) = w
                    .app
                    .call("cancel_booking", &[("booking", &id)], Some(&w.token), &[])
                    .await;
                assert_eq!(status, StatusCode::OK, "{body}");
            }
            Op::Reschedule {
                pick,
                day,
                start,
                len,
            } => {
                let active = w.active().await;
                if active.is_empty() {
                    continue;
                }
                let (id, old_start, old_end) = active[pick % active.len()];
                let (from, to) = (local(day, start), local(day, start + len));
                let expected =
                    rules_allow(from, to) && w.clear(unix(from), unix(to), Some(id)).await;
                let (starts, ends, booking) = (input(from), input(to), id.to_string());
                let (status, _, body) = w
                    .app
                    .call(
                        "reschedule",
                        &[("booking", &booking), ("starts", &starts), ("ends", &ends)],
                        Some(&w.token),
                        &[],
                    )
                    .await;
                assert_eq!(
                    status == StatusCode::OK,
                    expected,
                    "move {id} to {from}–{to}: {status} {body}"
                );
                let now: (i64, i64) =
                    sqlx::query_as("SELECT starts_at, ends_at FROM bookings WHERE id = $1")
                        .bind(id)
                        .fetch_one(w.app.state.db.pool())
                        .await
                        .unwrap();
                if !expected {
                    assert_eq!(now, (old_start, old_end), "a refused move changes nothing");
                }
            }
        }
        assert_eq!(overlapping_pairs(&w.app, w.resource).await, 0);
        for (id, s, e) in w.active().await {
            let tz = chrono_tz::Asia::Shanghai;
            let from = tz.timestamp_opt(s, 0).unwrap().naive_local();
            let to = tz.timestamp_opt(e, 0).unwrap().naive_local();
            assert!(
                rules_allow(from, to),
                "active booking {id} {from}–{to} breaks the rules"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, max_shrink_iters: 32, ..ProptestConfig::default() })]

    #[test]
    fn random_create_cancel_reschedule_keep_bookings_apart_and_within_the_rules(ops in prop::collection::vec(op(), 1..24)) {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(run(ops));
    }
}
