//! Time-first search: "free for at least D between A and B", across every institution.

use super::catalogue::{CatalogueFilter, ResourceStatus, ResourceSummary};
use super::rules::BookingRules;
use super::time::{normalize, subtract, TimeSlot};
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreeQuery {
    pub range: TimeSlot,
    /// The free time wanted, in minutes.
    pub minutes: i64,
    pub filter: CatalogueFilter,
}

/// Why a resource offers nothing in the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unbookable {
    NotAvailable(ResourceStatus),
    /// The wanted time is longer than one booking may be (the maximum, in minutes).
    TooLong(i64),
    /// The whole range lies inside the minimum notice (minutes).
    NoticeTooShort(i64),
    /// Not open at all in the range.
    Closed,
    /// Open, but every opening is taken or too short.
    FullyBooked,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FreeResult {
    pub resource: ResourceSummary,
    /// The first free windows long enough for the wanted time, earliest first.
    pub windows: Vec<TimeSlot>,
    pub unbookable: Option<Unbookable>,
}

/// Answers per page of a time-first search.
pub const FREE_PAGE_SIZE: usize = 50;

/// How many windows each result lists.
pub const WINDOWS_PER_RESOURCE: usize = 3;

/// What the "find free time" page shows: the query as understood, and the answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FreeSearchPage {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub minutes: i64,
    /// Page `page` (from 1) of the answers, [`FREE_PAGE_SIZE`] a page.
    pub results: Vec<FreeResult>,
    /// Resources with a window, and resources that answered, over all pages.
    pub bookable: usize,
    pub total: usize,
    pub page: usize,
    pub categories: Vec<super::catalogue::Named<super::ids::CategoryId>>,
    pub institutions: Vec<super::catalogue::Named<super::ids::OrganisationId>>,
    pub utc_offset_seconds: i32,
}

/// The longest date range one search may cover, in days.
pub const MAX_RANGE_DAYS: i64 = 31;

/// The free windows of every resource that shares one weekly pattern (and closed days) and the
/// rules that shape a window — time step, notice, minimum duration — worked out once per search:
/// each stretch of open time in the range, with the window it gives when nothing is taken. A
/// resource of the class then only works on the stretches its own bookings and blackouts touch,
/// and stops at as many windows as are wanted.
pub struct SharedWindows {
    stretches: Vec<(TimeSlot, Option<TimeSlot>)>,
}

impl SharedWindows {
    /// `open`: the class's open windows over (at least) the local days of `range`.
    pub fn new<Tz: TimeZone>(
        rules: &BookingRules,
        tz: &Tz,
        now: DateTime<Utc>,
        range: &TimeSlot,
        open: &[TimeSlot],
    ) -> Self {
        let stretches = rules
            .usable_open(now, range, open)
            .into_iter()
            .map(|stretch| (stretch, rules.window_of(tz, now, &stretch)))
            .collect();
        SharedWindows { stretches }
    }

    /// The first `limit` windows of at least `wanted` minutes of an available resource of this
    /// class with `taken` (bookings with their buffers, and blackouts, in any order): exactly
    /// [`BookingRules::free_windows_within`]'s, filtered and cut (see the property test).
    /// `rules` must be the class's.
    #[allow(clippy::too_many_arguments)]
    pub fn windows<Tz: TimeZone>(
        &self,
        rules: &BookingRules,
        tz: &Tz,
        now: DateTime<Utc>,
        taken: &[TimeSlot],
        wanted: i64,
        limit: usize,
    ) -> Vec<TimeSlot> {
        let mut out = Vec::new();
        if limit > 0 {
            self.visit(rules, tz, now, taken, wanted, |w| {
                out.push(w);
                out.len() < limit
            });
        }
        out
    }

    /// The first of [`Self::windows`], without allocating when the stretch it lies in is
    /// untouched (the common case).
    pub fn first<Tz: TimeZone>(
        &self,
        rules: &BookingRules,
        tz: &Tz,
        now: DateTime<Utc>,
        taken: &[TimeSlot],
        wanted: i64,
    ) -> Option<TimeSlot> {
        let mut first = None;
        self.visit(rules, tz, now, taken, wanted, |w| {
            first = Some(w);
            false
        });
        first
    }

    /// Hands the windows to `keep` in order until it answers false.
    fn visit<Tz: TimeZone>(
        &self,
        rules: &BookingRules,
        tz: &Tz,
        now: DateTime<Utc>,
        taken: &[TimeSlot],
        wanted: i64,
        mut keep: impl FnMut(TimeSlot) -> bool,
    ) {
        for (stretch, whole) in &self.stretches {
            let touches = |t: &TimeSlot| rules.widen(t).filter(|w| w.overlaps(stretch));
            if !taken.iter().any(|t| touches(t).is_some()) {
                if let Some(w) = whole.filter(|w| w.minutes() >= wanted) {
                    if !keep(w) {
                        return;
                    }
                }
                continue;
            }
            let near: Vec<TimeSlot> = taken.iter().filter_map(touches).collect();
            for free in subtract(std::slice::from_ref(stretch), &normalize(near)) {
                if let Some(w) = rules
                    .window_of(tz, now, &free)
                    .filter(|w| w.minutes() >= wanted)
                {
                    if !keep(w) {
                        return;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::rules::tests::{arb_taken, at, office_hours, rules, situation, slot, tz};
    use crate::domain::rules::BookingRules;
    use crate::domain::time::TimeSlot;
    use proptest::prelude::*;

    proptest! {
        /// The time-first search's shared windows give exactly the engine's windows, for any
        /// taken time, buffers, wanted length and limit, and with the notice cutting into the week.
        #[test]
        fn shared_windows_agree_with_the_engine(taken in arb_taken(), before in 0i64..4, after in 0i64..4, wanted in 1i64..12, limit in 1usize..8, notice in 0i64..200, step in prop::sample::select(vec![15i64, 30, 60])) {
            let hours = office_hours();
            let r = BookingRules { buffer_before_minutes: before * 15, buffer_after_minutes: after * 15, min_notice_minutes: notice * 15, slot_minutes: step, ..rules() };
            let week = slot(at(23, 0, 0), at(30, 0, 0));
            let open = hours.open_windows(&tz(), week.start().with_timezone(&tz()).date_naive(), week.end().with_timezone(&tz()).date_naive(), &[]);
            let s = situation(&hours, &taken, &[]);
            let wanted = (wanted * 30).max(r.min_duration_minutes);
            let engine: Vec<TimeSlot> = r.free_windows_within(&s, &week, &open).into_iter().filter(|w| w.minutes() >= wanted).take(limit).collect();
            let shared = super::SharedWindows::new(&r, &tz(), s.now, &week, &open);
            prop_assert_eq!(shared.windows(&r, &tz(), s.now, &taken, wanted, limit), engine);
        }

    }
}
