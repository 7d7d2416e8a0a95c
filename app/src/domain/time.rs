//! Instants and half-open intervals `[start, end)`. Instants are UTC; the zone's time zone is used
//! only to interpret opening hours and to display.

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// A non-empty half-open interval of time. A slot ending at 10:00 does not overlap one starting at
/// 10:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawSlot", into = "RawSlot")]
pub struct TimeSlot {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a time slot must end after it starts")]
pub struct EmptySlot;

#[derive(Serialize, Deserialize)]
struct RawSlot {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl TryFrom<RawSlot> for TimeSlot {
    type Error = EmptySlot;
    fn try_from(raw: RawSlot) -> Result<Self, Self::Error> {
        TimeSlot::new(raw.start, raw.end)
    }
}

impl From<TimeSlot> for RawSlot {
    fn from(slot: TimeSlot) -> Self {
        RawSlot {
            start: slot.start,
            end: slot.end,
        }
    }
}

impl TimeSlot {
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self, EmptySlot> {
        if start < end {
            Ok(Self { start, end })
        } else {
            Err(EmptySlot)
        }
    }

    /// From Unix seconds, the form instants take in the database.
    pub fn from_unix(start: i64, end: i64) -> Result<Self, EmptySlot> {
        match (
            Utc.timestamp_opt(start, 0).single(),
            Utc.timestamp_opt(end, 0).single(),
        ) {
            (Some(s), Some(e)) => Self::new(s, e),
            _ => Err(EmptySlot),
        }
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }

    pub fn minutes(&self) -> i64 {
        (self.end - self.start).num_minutes()
    }

    pub fn overlaps(&self, other: &TimeSlot) -> bool {
        self.start < other.end && other.start < self.end
    }

    pub fn contains(&self, other: &TimeSlot) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    pub fn intersection(&self, other: &TimeSlot) -> Option<TimeSlot> {
        TimeSlot::new(self.start.max(other.start), self.end.min(other.end)).ok()
    }
}

/// Sorts and merges slots so that the result is disjoint and non-adjacent.
/// Whether a date a person sent can be meant: between 2000 and 2100, which holds every booking,
/// report and schedule, and keeps date arithmetic far from chrono's limits (year ±262,143).
pub fn plausible(day: chrono::NaiveDate) -> bool {
    use chrono::Datelike;
    (2000..=2100).contains(&day.year())
}

pub fn normalize(mut slots: Vec<TimeSlot>) -> Vec<TimeSlot> {
    slots.sort();
    let mut out: Vec<TimeSlot> = Vec::with_capacity(slots.len());
    for s in slots {
        match out.last_mut() {
            Some(last) if s.start <= last.end => last.end = last.end.max(s.end),
            _ => out.push(s),
        }
    }
    out
}

/// The parts of `available` not covered by any of `busy`: the free windows. Both inputs may be in
/// any order and may overlap; the result is sorted and disjoint.
pub fn subtract(available: &[TimeSlot], busy: &[TimeSlot]) -> Vec<TimeSlot> {
    let busy = normalize(busy.to_vec());
    let mut free = Vec::new();
    for window in normalize(available.to_vec()) {
        let mut cursor = window.start;
        for b in busy.iter().filter(|b| b.overlaps(&window)) {
            if b.start > cursor {
                free.push(TimeSlot {
                    start: cursor,
                    end: b.start,
                });
            }
            cursor = cursor.max(b.end);
        }
        if cursor < window.end {
            free.push(TimeSlot {
                start: cursor,
                end: window.end,
            });
        }
    }
    free
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn slot(a: i64, b: i64) -> TimeSlot {
        TimeSlot::from_unix(a * 60, b * 60).unwrap()
    }

    #[test]
    fn empty_or_reversed_slots_are_refused() {
        assert_eq!(TimeSlot::from_unix(10, 10), Err(EmptySlot));
        assert_eq!(TimeSlot::from_unix(11, 10), Err(EmptySlot));
        assert!(serde_json::from_str::<TimeSlot>(
            r#"{"start":"2026-01-01T10:00:00Z","end":"2026-01-01T09:00:00Z"}"#
        )
        .is_err());
    }

    #[test]
    fn half_open_intervals_touching_do_not_overlap() {
        assert!(!slot(0, 60).overlaps(&slot(60, 120)));
        assert!(slot(0, 61).overlaps(&slot(60, 120)));
    }

    #[test]
    fn subtract_cuts_busy_time_out_of_opening_time() {
        let free = subtract(
            &[slot(0, 600)],
            &[slot(60, 120), slot(100, 200), slot(590, 700)],
        );
        assert_eq!(free, vec![slot(0, 60), slot(200, 590)]);
    }

    fn arb_slots(max: usize) -> impl Strategy<Value = Vec<TimeSlot>> {
        prop::collection::vec((0i64..2000, 1i64..300), 0..max)
            .prop_map(|v| v.into_iter().map(|(s, d)| slot(s, s + d)).collect())
    }

    proptest! {
        /// Minute by minute, a minute is free exactly when it is available and not busy.
        #[test]
        fn subtract_matches_a_minute_by_minute_model(avail in arb_slots(6), busy in arb_slots(10)) {
            let free = subtract(&avail, &busy);
            for w in free.windows(2) {
                prop_assert!(w[0].end < w[1].start, "free windows are disjoint and not adjacent");
            }
            let covers = |set: &[TimeSlot], m: i64| set.iter().any(|s| s.contains(&slot(m, m + 1)));
            for m in 0..2400 {
                let expected = covers(&avail, m) && !busy.iter().any(|b| b.overlaps(&slot(m, m + 1)));
                prop_assert_eq!(covers(&free, m), expected, "minute {}", m);
            }
        }

        #[test]
        fn normalize_keeps_the_covered_minutes(slots in arb_slots(12)) {
            let merged = normalize(slots.clone());
            for m in 0..2400 {
                let one = slot(m, m + 1);
                prop_assert_eq!(slots.iter().any(|s| s.contains(&one)), merged.iter().any(|s| s.contains(&one)));
            }
        }
    }
}
