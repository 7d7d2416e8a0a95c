//! Booking rules: the one piece of code that decides whether a slot may be booked and which
//! windows are free. The browser runs it for instant feedback, the server as the authority, and
//! the database's overlap guard stays the final word on conflicts.

use super::schedule::OpeningHours;
use super::time::{normalize, subtract, TimeSlot};
use super::vocabulary::{Audience, ResourceStatus};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Timelike, Utc};
use serde::{Deserialize, Serialize};

/// A resource's rules. Minutes throughout; maximum notice in days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingRules {
    pub slot_minutes: i64,
    pub min_duration_minutes: i64,
    pub max_duration_minutes: i64,
    pub min_notice_minutes: i64,
    pub max_notice_days: i64,
    pub buffer_before_minutes: i64,
    pub buffer_after_minutes: i64,
    pub approval_required: bool,
    pub audience: Audience,
    pub cancel_cutoff_minutes: i64,
}

/// How the person booking stands to the resource's owner, for "who may book".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Relation {
    OwnInstitution,
    ZoneMember,
    Outsider,
}

/// Why a slot cannot be booked; each names the rule, and the interface says what would work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuleViolation {
    NotAvailable(ResourceStatus),
    NotAllowed(Audience),
    /// Start or length is not a multiple of the time step (minutes).
    Granularity(i64),
    TooShort(i64),
    TooLong(i64),
    /// Starts sooner than the minimum notice (minutes).
    NoticeTooShort(i64),
    /// Starts later than the maximum notice (days).
    TooFarAhead(i64),
    OutsideOpeningHours,
    /// Overlaps a booking or blackout, buffers included.
    Taken,
    /// The person (or their organisation) already holds this many active bookings of it.
    ActiveLimit {
        organisation: bool,
        limit: i64,
    },
    /// The person (or their organisation) would book more than this many minutes of it in the
    /// week.
    WeekLimit {
        organisation: bool,
        minutes: i64,
    },
}

/// How much of a resource one person, and one organisation, may hold: active bookings still to
/// come, and minutes of active bookings in one calendar week of the zone. None: no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quotas {
    pub person_active: Option<i64>,
    pub person_week_minutes: Option<i64>,
    pub organisation_active: Option<i64>,
    pub organisation_week_minutes: Option<i64>,
}

impl Quotas {
    /// What the counts of one person's (`organisation` false) or organisation's active bookings
    /// break, with the new booking counted in.
    pub fn check(&self, organisation: bool, active: i64, week_minutes: i64) -> Vec<RuleViolation> {
        let (active_limit, week_limit) = if organisation {
            (self.organisation_active, self.organisation_week_minutes)
        } else {
            (self.person_active, self.person_week_minutes)
        };
        let mut out = Vec::new();
        if let Some(limit) = active_limit.filter(|l| active > *l) {
            out.push(RuleViolation::ActiveLimit {
                organisation,
                limit,
            });
        }
        if let Some(minutes) = week_limit.filter(|l| week_minutes > *l) {
            out.push(RuleViolation::WeekLimit {
                organisation,
                minutes,
            });
        }
        out
    }
}

/// What a rule check needs to know besides the rules themselves.
pub struct Situation<'a, Tz: TimeZone> {
    pub tz: &'a Tz,
    pub now: DateTime<Utc>,
    pub status: ResourceStatus,
    pub hours: &'a OpeningHours,
    pub closed_days: &'a [NaiveDate],
    /// Intervals already blocked: active bookings (with their buffers) and blackouts.
    pub taken: &'a [TimeSlot],
}

impl BookingRules {
    /// The interval a booking of `slot` keeps others out of: the slot widened by the buffers.
    pub fn blocked(&self, slot: &TimeSlot) -> TimeSlot {
        let from = slot.start() - Duration::minutes(self.buffer_before_minutes);
        let until = slot.end() + Duration::minutes(self.buffer_after_minutes);
        TimeSlot::new(from, until).unwrap_or(*slot)
    }

    pub fn admits(&self, relation: Relation) -> bool {
        match self.audience {
            Audience::Everyone => true,
            Audience::Zone => relation != Relation::Outsider,
            Audience::Institution => relation == Relation::OwnInstitution,
        }
    }

    fn aligned<Tz: TimeZone>(&self, tz: &Tz, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(tz);
        let minute = i64::from(local.hour() * 60 + local.minute());
        local.second() == 0 && minute % self.slot_minutes.max(1) == 0
    }

    /// Every rule the slot breaks; empty when it may be booked.
    pub fn check<Tz: TimeZone>(
        &self,
        s: &Situation<'_, Tz>,
        relation: Relation,
        slot: &TimeSlot,
    ) -> Vec<RuleViolation> {
        let mut out = Vec::new();
        if s.status != ResourceStatus::Available {
            out.push(RuleViolation::NotAvailable(s.status));
        }
        if !self.admits(relation) {
            out.push(RuleViolation::NotAllowed(self.audience));
        }
        let minutes = slot.minutes();
        if !self.aligned(s.tz, slot.start()) || minutes % self.slot_minutes.max(1) != 0 {
            out.push(RuleViolation::Granularity(self.slot_minutes));
        }
        if minutes < self.min_duration_minutes {
            out.push(RuleViolation::TooShort(self.min_duration_minutes));
        }
        if minutes > self.max_duration_minutes {
            out.push(RuleViolation::TooLong(self.max_duration_minutes));
        }
        if slot.start() < s.now + Duration::minutes(self.min_notice_minutes) {
            out.push(RuleViolation::NoticeTooShort(self.min_notice_minutes));
        }
        if slot.start() > s.now + Duration::days(self.max_notice_days) {
            out.push(RuleViolation::TooFarAhead(self.max_notice_days));
        }
        let local = |t: DateTime<Utc>| t.with_timezone(s.tz).date_naive();
        let open =
            s.hours
                .open_windows(s.tz, local(slot.start()), local(slot.end()), s.closed_days);
        if !open.iter().any(|w| w.contains(slot)) {
            out.push(RuleViolation::OutsideOpeningHours);
        }
        let blocked = self.blocked(slot);
        if s.taken.iter().any(|t| t.overlaps(&blocked)) {
            out.push(RuleViolation::Taken);
        }
        out
    }

    /// The windows within `range` in which a booking may start and end, honouring opening hours,
    /// closures, notice, buffers and what is taken; each is aligned to the time step and at least
    /// the minimum duration long. A slot is bookable exactly when it lies inside one of these
    /// windows and has an allowed, aligned length (see the property tests).
    pub fn free_windows<Tz: TimeZone>(
        &self,
        s: &Situation<'_, Tz>,
        range: &TimeSlot,
    ) -> Vec<TimeSlot> {
        if s.status != ResourceStatus::Available {
            return Vec::new();
        }
        let local = |t: DateTime<Utc>| t.with_timezone(s.tz).date_naive();
        let open = s.hours.open_windows(
            s.tz,
            local(range.start()),
            local(range.end()),
            s.closed_days,
        );
        self.free_windows_within(s, range, &open)
    }

    /// [`Self::free_windows`] given the resource's open windows over (at least) the local days of
    /// `range`, which resources with the same hours and closed days share.
    pub fn free_windows_within<Tz: TimeZone>(
        &self,
        s: &Situation<'_, Tz>,
        range: &TimeSlot,
        open: &[TimeSlot],
    ) -> Vec<TimeSlot> {
        if s.status != ResourceStatus::Available {
            return Vec::new();
        }
        let open = self.usable_open(s.now, range, open);
        let widened: Vec<TimeSlot> = s.taken.iter().filter_map(|t| self.widen(t)).collect();
        subtract(&open, &normalize(widened))
            .into_iter()
            .filter_map(|w| self.window_of(s.tz, s.now, &w))
            .collect()
    }

    /// The open time within `range` a booking could use before anything taken is subtracted:
    /// `open` cut to the range, and to the earliest start the minimum notice allows after `now`.
    pub fn usable_open(
        &self,
        now: DateTime<Utc>,
        range: &TimeSlot,
        open: &[TimeSlot],
    ) -> Vec<TimeSlot> {
        let earliest = now + Duration::minutes(self.min_notice_minutes);
        let Some(range) = TimeSlot::new(range.start().max(earliest), range.end()).ok() else {
            return Vec::new();
        };
        normalize(open.iter().filter_map(|w| w.intersection(&range)).collect())
    }

    /// What a taken interval `[x, y)` keeps a new booking's own time out of: a booking
    /// `[a, b)` blocks `[a - before, b + after)`, so it must keep clear of
    /// `(x - after, y + before)`.
    pub fn widen(&self, taken: &TimeSlot) -> Option<TimeSlot> {
        TimeSlot::new(
            taken.start() - Duration::minutes(self.buffer_after_minutes),
            taken.end() + Duration::minutes(self.buffer_before_minutes),
        )
        .ok()
    }

    /// The window a free stretch of open time gives: its start rounded up and its end rounded
    /// down to the time step in local time; none when that is shorter than the minimum duration
    /// or starts later than the maximum notice allows.
    pub fn window_of<Tz: TimeZone>(
        &self,
        tz: &Tz,
        now: DateTime<Utc>,
        free: &TimeSlot,
    ) -> Option<TimeSlot> {
        let step = self.slot_minutes.max(1);
        let start = self.round(tz, free.start(), true, step);
        let end = self.round(tz, free.end(), false, step);
        let latest_start = now + Duration::days(self.max_notice_days);
        TimeSlot::new(start, end)
            .ok()
            .filter(|w| start <= latest_start && w.minutes() >= self.min_duration_minutes)
    }

    fn round<Tz: TimeZone>(
        &self,
        tz: &Tz,
        at: DateTime<Utc>,
        up: bool,
        step: i64,
    ) -> DateTime<Utc> {
        let local = at.with_timezone(tz);
        let minute = i64::from(local.hour() * 60 + local.minute());
        let exact = local.second() == 0 && local.nanosecond() == 0 && minute % step == 0;
        if exact {
            return at;
        }
        let base = at
            - Duration::seconds(i64::from(local.second()))
            - Duration::nanoseconds(i64::from(local.nanosecond()));
        let down = base - Duration::minutes(minute % step);
        if up {
            down + Duration::minutes(step)
        } else {
            down
        }
    }

    /// Up to `n` bookable slots of the wanted length nearest to the wanted start, for "what would
    /// work instead". Searches the days around the wanted slot.
    pub fn alternatives<Tz: TimeZone>(
        &self,
        s: &Situation<'_, Tz>,
        wanted: &TimeSlot,
        n: usize,
    ) -> Vec<TimeSlot> {
        let length = Duration::minutes(
            wanted
                .minutes()
                .clamp(self.min_duration_minutes, self.max_duration_minutes),
        );
        let Ok(range) = TimeSlot::new(
            wanted.start() - Duration::days(7),
            wanted.start() + Duration::days(14),
        ) else {
            return Vec::new();
        };
        let mut found: Vec<TimeSlot> = self
            .free_windows(s, &range)
            .into_iter()
            .filter_map(|w| {
                // The start inside the window closest to the wanted start that still fits.
                let last_start = w.end() - length;
                if last_start < w.start() {
                    return None;
                }
                let start = wanted.start().clamp(w.start(), last_start);
                let start = self
                    .round(s.tz, start, start > w.start(), self.slot_minutes.max(1))
                    .max(w.start());
                TimeSlot::new(start, start + length)
                    .ok()
                    .filter(|c| w.contains(c))
            })
            .collect();
        found.sort_by_key(|c| (c.start() - wanted.start()).num_seconds().abs());
        found.truncate(n);
        found
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::schedule::OpeningPeriod;
    use chrono::FixedOffset;
    use proptest::prelude::*;

    pub(crate) fn tz() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    /// Local time on days of the week of Monday 23 Nov 2026.
    pub(crate) fn at(day: u32, h: u32, m: u32) -> DateTime<Utc> {
        tz().with_ymd_and_hms(2026, 11, day, h, m, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    pub(crate) fn rules() -> BookingRules {
        BookingRules {
            slot_minutes: 30,
            min_duration_minutes: 60,
            max_duration_minutes: 240,
            min_notice_minutes: 120,
            max_notice_days: 14,
            buffer_before_minutes: 30,
            buffer_after_minutes: 15,
            approval_required: false,
            audience: Audience::Zone,
            cancel_cutoff_minutes: 1440,
        }
    }

    pub(crate) fn office_hours() -> OpeningHours {
        OpeningHours {
            periods: (1..=5)
                .flat_map(|d| {
                    [
                        OpeningPeriod::new(d, 8 * 60 + 30, 12 * 60).unwrap(),
                        OpeningPeriod::new(d, 13 * 60 + 30, 17 * 60 + 30).unwrap(),
                    ]
                })
                .collect(),
        }
    }

    pub(crate) fn slot(a: DateTime<Utc>, b: DateTime<Utc>) -> TimeSlot {
        TimeSlot::new(a, b).unwrap()
    }

    pub(crate) fn situation<'a>(
        hours: &'a OpeningHours,
        taken: &'a [TimeSlot],
        closed: &'a [NaiveDate],
    ) -> Situation<'a, FixedOffset> {
        static TZ: std::sync::OnceLock<FixedOffset> = std::sync::OnceLock::new();
        Situation {
            tz: TZ.get_or_init(tz),
            now: at(23, 9, 0),
            status: ResourceStatus::Available,
            hours,
            closed_days: closed,
            taken,
        }
    }

    #[test]
    fn each_rule_refuses_what_it_should() {
        let hours = office_hours();
        let taken = [slot(at(24, 14, 0), at(24, 15, 0))];
        let s = situation(&hours, &taken, &[]);
        let r = rules();
        let ok = slot(at(24, 9, 0), at(24, 11, 0));
        assert_eq!(r.check(&s, Relation::ZoneMember, &ok), vec![]);
        let v = |a, b| r.check(&s, Relation::ZoneMember, &slot(a, b));
        assert_eq!(
            v(at(24, 9, 10), at(24, 10, 10)),
            vec![RuleViolation::Granularity(30)]
        );
        assert_eq!(
            v(at(24, 9, 0), at(24, 9, 30)),
            vec![RuleViolation::TooShort(60)]
        );
        assert_eq!(
            v(at(24, 8, 30), at(24, 17, 30)),
            vec![
                RuleViolation::TooLong(240),
                RuleViolation::OutsideOpeningHours,
                RuleViolation::Taken
            ]
        );
        assert_eq!(
            v(at(23, 10, 0), at(23, 11, 0)),
            vec![RuleViolation::NoticeTooShort(120)]
        );
        assert_eq!(
            v(at(23, 11, 0), at(23, 12, 0)),
            vec![],
            "exactly two hours' notice is enough"
        );
        assert_eq!(
            v(at(24, 11, 30), at(24, 12, 30)),
            vec![RuleViolation::OutsideOpeningHours],
            "over the lunch break"
        );
        assert_eq!(
            v(at(28, 9, 0), at(28, 10, 0)),
            vec![RuleViolation::OutsideOpeningHours],
            "Saturday"
        );
        // Buffers: 30 min before and 15 after must keep clear of the 14:00–15:00 booking.
        assert_eq!(
            v(at(24, 15, 0), at(24, 16, 0)),
            vec![RuleViolation::Taken],
            "starts right after: the buffer before hits"
        );
        assert_eq!(v(at(24, 15, 30), at(24, 16, 30)), vec![]);
        assert!(
            v(at(24, 13, 30), at(24, 14, 0)).contains(&RuleViolation::Taken),
            "the buffer after hits"
        );
        assert_eq!(
            r.check(&s, Relation::Outsider, &ok),
            vec![RuleViolation::NotAllowed(Audience::Zone)]
        );
        let far = slot(
            at(23, 9, 0) + Duration::days(15),
            at(23, 10, 0) + Duration::days(15),
        );
        assert!(r
            .check(&s, Relation::ZoneMember, &far)
            .contains(&RuleViolation::TooFarAhead(14)));
        let closed = [NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()];
        let s2 = situation(&hours, &taken, &closed);
        assert_eq!(
            r.check(&s2, Relation::ZoneMember, &ok),
            vec![RuleViolation::OutsideOpeningHours],
            "a closure day"
        );
        let s3 = Situation {
            status: ResourceStatus::Maintenance,
            ..situation(&hours, &taken, &[])
        };
        assert_eq!(
            r.check(&s3, Relation::ZoneMember, &ok),
            vec![RuleViolation::NotAvailable(ResourceStatus::Maintenance)]
        );
    }

    #[test]
    fn free_windows_honour_notice_hours_buffers_and_steps() {
        let hours = office_hours();
        let taken = [slot(at(24, 14, 0), at(24, 15, 0))];
        let s = situation(&hours, &taken, &[]);
        let day = slot(at(23, 0, 0), at(25, 0, 0));
        let free = rules().free_windows(&s, &day);
        assert_eq!(
            free,
            vec![
                slot(at(23, 11, 0), at(23, 12, 0)), // notice: not before 11:00 on Monday
                slot(at(23, 13, 30), at(23, 17, 30)),
                slot(at(24, 8, 30), at(24, 12, 0)),
                // 13:30–13:45 is left by the buffer after, too short for an hour; after the booking,
                // 15:00 + 30 min buffer before → 15:30.
                slot(at(24, 15, 30), at(24, 17, 30)),
            ]
        );
    }

    #[test]
    fn alternatives_are_nearest_bookable_slots_of_the_wanted_length() {
        let hours = office_hours();
        let taken = [slot(at(24, 8, 30), at(24, 12, 0))];
        let s = situation(&hours, &taken, &[]);
        let r = rules();
        let wanted = slot(at(24, 10, 0), at(24, 11, 0));
        let alts = r.alternatives(&s, &wanted, 3);
        assert_eq!(alts.len(), 3);
        for a in &alts {
            assert_eq!(a.minutes(), 60);
            assert_eq!(
                r.check(&s, Relation::ZoneMember, a),
                vec![],
                "{a:?} is bookable"
            );
        }
        assert_eq!(
            alts[0],
            slot(at(24, 13, 30), at(24, 14, 30)),
            "Tuesday after lunch is nearest"
        );
    }

    pub(crate) fn arb_taken() -> impl Strategy<Value = Vec<TimeSlot>> {
        // Bookings over the week of 23 Nov, on 15-minute boundaries.
        prop::collection::vec((0i64..7 * 96, 1i64..24), 0..12).prop_map(|v| {
            v.into_iter()
                .map(|(s, d)| {
                    slot(
                        at(23, 0, 0) + Duration::minutes(s * 15),
                        at(23, 0, 0) + Duration::minutes((s + d) * 15),
                    )
                })
                .collect()
        })
    }

    proptest! {
        /// The check and the free windows agree: an aligned slot of allowed length passes the
        /// check exactly when it lies inside a free window.
        #[test]
        fn check_and_free_windows_agree(taken in arb_taken(), start in 0i64..(7 * 48), len in 1i64..10, before in 0i64..4, after in 0i64..4) {
            let hours = office_hours();
            let s = situation(&hours, &taken, &[]);
            let r = BookingRules { buffer_before_minutes: before * 15, buffer_after_minutes: after * 15, ..rules() };
            let week = slot(at(23, 0, 0), at(30, 0, 0));
            let free = r.free_windows(&s, &week);
            let candidate = slot(at(23, 0, 0) + Duration::minutes(start * 30), at(23, 0, 0) + Duration::minutes((start + len) * 30));
            let violations = r.check(&s, Relation::ZoneMember, &candidate);
            let length_ok = candidate.minutes() >= r.min_duration_minutes && candidate.minutes() <= r.max_duration_minutes;
            let inside = free.iter().any(|w| w.contains(&candidate));
            prop_assert_eq!(violations.is_empty(), inside && length_ok, "{:?} free={:?} violations={:?}", candidate, free, violations);
        }

        /// Whatever is free never touches what is taken, buffers included.
        #[test]
        fn free_windows_keep_clear_of_taken_time(taken in arb_taken(), before in 0i64..4, after in 0i64..4) {
            let hours = office_hours();
            let s = situation(&hours, &taken, &[]);
            let r = BookingRules { buffer_before_minutes: before * 15, buffer_after_minutes: after * 15, ..rules() };
            for w in r.free_windows(&s, &slot(at(23, 0, 0), at(30, 0, 0))) {
                prop_assert!(w.minutes() >= r.min_duration_minutes);
                let blocked = r.blocked(&w);
                prop_assert!(taken.iter().all(|t| !t.overlaps(&blocked)), "{:?} overlaps", w);
            }
        }
    }
}
