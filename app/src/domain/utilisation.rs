//! How much a resource is used: the definitions shared by the idle-equipment view and the reports.
//!
//! - **available time**: the opening hours in the period, less closed days and blackouts;
//! - **used time**: confirmed and completed bookings, clipped to the period (no-shows are counted
//!   apart: the time was held but not used);
//! - **utilisation** = used ÷ available.

use super::schedule::OpeningHours;
use super::time::{normalize, subtract, TimeSlot};
use chrono::{NaiveDate, TimeZone};
use serde::{Deserialize, Serialize};

/// How far back the idle list may look, in days.
pub const DAY_CHOICES: [i64; 3] = [30, 90, 365];
/// Percentages of the open time the idle list may be drawn below.
pub const BELOW_CHOICES: [i64; 4] = [5, 10, 25, 50];

/// The resource's open windows within `within`, on the local days it touches.
fn open_within<Tz: TimeZone>(
    hours: &OpeningHours,
    tz: &Tz,
    within: &TimeSlot,
    closed_days: &[NaiveDate],
) -> Vec<TimeSlot> {
    let local = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(tz).date_naive();
    hours
        .open_windows(tz, local(within.start()), local(within.end()), closed_days)
        .iter()
        .filter_map(|w| w.intersection(within))
        .collect()
}

fn seconds(slots: &[TimeSlot]) -> i64 {
    slots.iter().map(|w| w.minutes() * 60).sum()
}

/// Seconds of `period` in which the resource is open and not blacked out.
pub fn available_seconds<Tz: TimeZone>(
    hours: &OpeningHours,
    tz: &Tz,
    period: &TimeSlot,
    closed_days: &[NaiveDate],
    blackouts: &[TimeSlot],
) -> i64 {
    let open = open_within(hours, tz, period, closed_days);
    seconds(&subtract(&open, &normalize(blackouts.to_vec())))
}

/// Seconds of `period` in which the resource would be open but is blacked out, reading the
/// opening hours of the blacked-out days only: [`available_seconds`] without the blackouts less
/// this is [`available_seconds`] with them, so resources sharing weekly hours can share the first.
pub fn blacked_out_seconds<Tz: TimeZone>(
    hours: &OpeningHours,
    tz: &Tz,
    period: &TimeSlot,
    closed_days: &[NaiveDate],
    blackouts: &[TimeSlot],
) -> i64 {
    normalize(blackouts.to_vec())
        .iter()
        .filter_map(|b| b.intersection(period))
        .map(|b| seconds(&open_within(hours, tz, &b, closed_days)))
        .sum()
}

/// Seconds of `period` covered by `bookings` (which never overlap one another).
pub fn used_seconds(period: &TimeSlot, bookings: &[TimeSlot]) -> i64 {
    bookings
        .iter()
        .filter_map(|b| b.intersection(period))
        .map(|b| b.minutes() * 60)
        .sum()
}

/// A resource's use over a period, as the idle view lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdleRow {
    pub resource: super::catalogue::ResourceSummary,
    pub available_hours: f64,
    pub used_hours: f64,
    /// Used ÷ available, 0–1; `None` when the resource was not open at all.
    pub utilisation: Option<f64>,
}

/// The idle-equipment page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdlePage {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Listed: resources used less than this share of their open time.
    pub below: f64,
    pub total: usize,
    pub rows: Vec<IdleRow>,
    pub categories: Vec<super::catalogue::Named<super::ids::CategoryId>>,
    pub institutions: Vec<super::catalogue::Named<super::ids::OrganisationId>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::schedule::OpeningPeriod;
    use chrono::Utc;

    fn at(d: u32, h: u32) -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, d, h, 0, 0).unwrap()
    }

    #[test]
    fn available_time_is_opening_hours_less_closed_days_and_blackouts() {
        // Open 09:00–17:00 UTC on weekdays; 7–13 December 2026 is Monday to Sunday.
        let hours = OpeningHours {
            periods: (1..=5)
                .map(|d| OpeningPeriod::new(d, 540, 1020).unwrap())
                .collect(),
        };
        let week = TimeSlot::new(at(7, 0), at(14, 0)).unwrap();
        assert_eq!(
            available_seconds(&hours, &Utc, &week, &[], &[]),
            5 * 8 * 3600
        );
        let closed = [NaiveDate::from_ymd_opt(2026, 12, 8).unwrap()];
        let blackout = [TimeSlot::new(at(9, 8), at(9, 12)).unwrap()];
        assert_eq!(
            available_seconds(&hours, &Utc, &week, &closed, &blackout),
            (3 * 8 + 5) * 3600
        );
        // A period starting mid-day counts only what lies inside it.
        let part = TimeSlot::new(at(7, 13), at(8, 0)).unwrap();
        assert_eq!(available_seconds(&hours, &Utc, &part, &[], &[]), 4 * 3600);
    }

    proptest::proptest! {
        /// Open time less the blacked-out open time is the available time, whatever the blackouts.
        #[test]
        fn blacked_out_time_is_what_blackouts_take_from_open_time(
            spans in proptest::collection::vec((0i64..14 * 24, 1i64..80), 0..6),
            closed_day in proptest::option::of(7u32..14),
            opens in 0u16..720,
            length in 60u16..720,
        ) {
            let hours = OpeningHours {
                periods: (1..=6)
                    .map(|d| OpeningPeriod::new(d, opens, opens + length).unwrap())
                    .collect(),
            };
            let period = TimeSlot::new(at(7, 5), at(14, 19)).unwrap();
            let blackouts: Vec<TimeSlot> = spans
                .iter()
                .filter_map(|&(h, len)| {
                    let start = at(6, 0) + chrono::Duration::hours(h);
                    TimeSlot::new(start, start + chrono::Duration::hours(len)).ok()
                })
                .collect();
            let closed: Vec<NaiveDate> = closed_day
                .and_then(|d| NaiveDate::from_ymd_opt(2026, 12, d))
                .into_iter()
                .collect();
            let shanghai = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
            proptest::prop_assert_eq!(
                available_seconds(&hours, &shanghai, &period, &closed, &[])
                    - blacked_out_seconds(&hours, &shanghai, &period, &closed, &blackouts),
                available_seconds(&hours, &shanghai, &period, &closed, &blackouts)
            );
        }
    }

    #[test]
    fn used_time_is_clipped_to_the_period() {
        let period = TimeSlot::new(at(7, 0), at(8, 0)).unwrap();
        let bookings = [
            TimeSlot::new(at(6, 22), at(7, 2)).unwrap(),
            TimeSlot::new(at(7, 10), at(7, 12)).unwrap(),
            TimeSlot::new(at(7, 23), at(8, 5)).unwrap(),
        ];
        assert_eq!(used_seconds(&period, &bookings), (2 + 2 + 1) * 3600);
    }
}
