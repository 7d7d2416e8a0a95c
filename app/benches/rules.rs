//! Micro-benchmarks of the rule engine and the interval arithmetic: the work every booking check,
//! time-first search and report does per resource. `cargo bench -p app` prints the time of each.

use app::domain::catalogue::{Audience, ResourceStatus};
use app::domain::report::spread_heatmap;
use app::domain::rules::{BookingRules, Relation, Situation};
use app::domain::schedule::{OpeningHours, OpeningPeriod};
use app::domain::time::{normalize, subtract, TimeSlot};
use app::domain::utilisation::available_seconds;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

fn tz() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap()
}

/// Local time on Monday 23 November 2026 plus `day` days.
fn at(day: i64, h: u32, m: u32) -> DateTime<Utc> {
    (tz().with_ymd_and_hms(2026, 11, 23, h, m, 0).unwrap() + Duration::days(day))
        .with_timezone(&Utc)
}

fn rules() -> BookingRules {
    BookingRules {
        slot_minutes: 30,
        min_duration_minutes: 60,
        max_duration_minutes: 480,
        min_notice_minutes: 120,
        max_notice_days: 90,
        buffer_before_minutes: 30,
        buffer_after_minutes: 15,
        approval_required: false,
        audience: Audience::Everyone,
        cancel_cutoff_minutes: 1440,
    }
}

fn office_hours() -> OpeningHours {
    OpeningHours {
        periods: (1..=5)
            .flat_map(|d| {
                [
                    OpeningPeriod::new(d, 510, 720).unwrap(),
                    OpeningPeriod::new(d, 810, 1050).unwrap(),
                ]
            })
            .collect(),
    }
}

/// Two bookings a working day for `days` days.
fn bookings(days: i64) -> Vec<TimeSlot> {
    (0..days)
        .flat_map(|d| {
            [
                TimeSlot::new(at(d, 9, 0), at(d, 11, 0)).unwrap(),
                TimeSlot::new(at(d, 14, 0), at(d, 15, 30)).unwrap(),
            ]
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let hours = office_hours();
    let taken = bookings(31);
    let closed = [NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()];
    let tz = tz();
    let s = Situation {
        tz: &tz,
        now: at(0, 8, 0),
        status: ResourceStatus::Available,
        hours: &hours,
        closed_days: &closed,
        taken: &taken,
    };
    let r = rules();
    let slot = TimeSlot::new(at(9, 15, 30), at(9, 17, 0)).unwrap();
    c.bench_function("rules: check one request (62 bookings nearby)", |b| {
        b.iter(|| r.check(black_box(&s), Relation::ZoneMember, black_box(&slot)))
    });
    let week = TimeSlot::new(at(1, 0, 0), at(8, 0, 0)).unwrap();
    c.bench_function("rules: free windows over 7 days", |b| {
        b.iter(|| r.free_windows(black_box(&s), black_box(&week)))
    });
    let month = TimeSlot::new(at(0, 0, 0), at(31, 0, 0)).unwrap();
    c.bench_function("rules: free windows over 31 days", |b| {
        b.iter(|| r.free_windows(black_box(&s), black_box(&month)))
    });
    let from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let to = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
    c.bench_function("hours: open windows over a year", |b| {
        b.iter(|| hours.open_windows(&tz, black_box(from), black_box(to), &closed))
    });
    let year = TimeSlot::new(
        tz.from_local_datetime(&from.and_hms_opt(0, 0, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc),
        tz.from_local_datetime(&to.and_hms_opt(23, 59, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc),
    )
    .unwrap();
    let blackouts = bookings(20);
    c.bench_function("utilisation: available seconds over a year", |b| {
        b.iter(|| available_seconds(&hours, &tz, black_box(&year), &closed, &blackouts))
    });
    let many = bookings(500);
    let open = hours.open_windows(&tz, from, to, &[]);
    c.bench_function("intervals: normalize 1,000 slots", |b| {
        b.iter(|| normalize(black_box(many.clone())))
    });
    c.bench_function(
        "intervals: subtract 1,000 busy from a year of open windows",
        |b| b.iter(|| subtract(black_box(&open), black_box(&many))),
    );
    let groups: Vec<(i64, i64, i64)> = (0..5_000)
        .map(|i| ((i * 37) % 10_080, 1800 * (1 + i % 16), 1 + i % 7))
        .collect();
    c.bench_function("report: spread 5,000 heatmap groups", |b| {
        b.iter(|| spread_heatmap(black_box(&groups)))
    });
}

criterion_group!(rules_and_intervals, benches);
criterion_main!(rules_and_intervals);
