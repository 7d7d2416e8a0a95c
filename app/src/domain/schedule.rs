//! Opening hours and the week view: which parts of a week a resource is open, busy or blacked out.
//! Generic over the time zone so the same code runs on the server (chrono-tz) and in the browser.

use super::time::{subtract, TimeSlot};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// One opening period on a weekday, in local minutes since midnight: [opens, closes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OpeningPeriod {
    /// 1 = Monday … 7 = Sunday (ISO 8601).
    pub weekday: u8,
    pub opens_minute: u16,
    pub closes_minute: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OpeningError {
    #[error("weekday must be 1 to 7")]
    Weekday,
    #[error("a period must close after it opens, within one day")]
    Period,
}

impl OpeningPeriod {
    pub fn new(weekday: u8, opens_minute: u16, closes_minute: u16) -> Result<Self, OpeningError> {
        if !(1..=7).contains(&weekday) {
            return Err(OpeningError::Weekday);
        }
        if opens_minute >= closes_minute || closes_minute > 24 * 60 {
            return Err(OpeningError::Period);
        }
        Ok(Self {
            weekday,
            opens_minute,
            closes_minute,
        })
    }
}

/// A resource's weekly opening hours.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OpeningHours {
    pub periods: Vec<OpeningPeriod>,
}

fn local_instant<Tz: TimeZone>(tz: &Tz, day: NaiveDate, minute: u16) -> Option<DateTime<Utc>> {
    let naive = if minute >= 24 * 60 {
        day.succ_opt()?.and_time(NaiveTime::MIN)
    } else {
        day.and_hms_opt(u32::from(minute / 60), u32::from(minute % 60), 0)?
    };
    // On a DST gap the earliest valid instant is taken; Asia/Shanghai has none, but zones may differ.
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

impl OpeningHours {
    /// The open windows (UTC) on local days `from ..= to`, skipping `closed_days`.
    pub fn open_windows<Tz: TimeZone>(
        &self,
        tz: &Tz,
        from: NaiveDate,
        to: NaiveDate,
        closed_days: &[NaiveDate],
    ) -> Vec<TimeSlot> {
        let mut out = Vec::new();
        for day in from.iter_days().take_while(|d| *d <= to) {
            if closed_days.contains(&day) {
                continue;
            }
            let weekday = day.weekday().number_from_monday() as u8;
            for p in self.periods.iter().filter(|p| p.weekday == weekday) {
                let (Some(start), Some(end)) = (
                    local_instant(tz, day, p.opens_minute),
                    local_instant(tz, day, p.closes_minute),
                ) else {
                    continue;
                };
                if let Ok(slot) = TimeSlot::new(start, end) {
                    out.push(slot);
                }
            }
        }
        super::time::normalize(out)
    }

    /// Earliest opening and latest closing minute over the week, if open at all.
    pub fn span(&self) -> Option<(u16, u16)> {
        let open = self.periods.iter().map(|p| p.opens_minute).min()?;
        let close = self.periods.iter().map(|p| p.closes_minute).max()?;
        Some((open, close))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CellState {
    Closed,
    Free,
    Busy,
    Blackout,
    Past,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayColumn {
    pub date: NaiveDate,
    pub cells: Vec<CellState>,
}

/// The week view: days across, rows of `step_minutes` down, from `first_minute` local time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekGrid {
    pub week_start: NaiveDate,
    pub first_minute: u16,
    pub step_minutes: u16,
    pub days: Vec<DayColumn>,
    /// Free windows from now on within this week, for "next free slots".
    pub free_windows: Vec<TimeSlot>,
}

/// Rows shown when a resource has no opening hours at all.
const DEFAULT_SPAN: (u16, u16) = (8 * 60, 18 * 60);

impl WeekGrid {
    /// The Monday of the week that holds `day`.
    pub fn monday_of(day: NaiveDate) -> NaiveDate {
        day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
    }

    #[allow(clippy::too_many_arguments)]
    pub fn build<Tz: TimeZone>(
        tz: &Tz,
        week_start: NaiveDate,
        hours: &OpeningHours,
        closed_days: &[NaiveDate],
        busy: &[TimeSlot],
        blackouts: &[TimeSlot],
        now: DateTime<Utc>,
        step_minutes: u16,
    ) -> WeekGrid {
        let step = step_minutes.clamp(15, 120);
        let (mut first, mut last) = hours.span().unwrap_or(DEFAULT_SPAN);
        first -= first % step;
        last = last.div_ceil(step) * step;
        let week_end = week_start + Duration::days(6);
        let open = hours.open_windows(tz, week_start, week_end, closed_days);

        let days = week_start
            .iter_days()
            .take(7)
            .map(|date| {
                let cells = (first..last)
                    .step_by(usize::from(step))
                    .map(|m| {
                        let (Some(s), Some(e)) = (
                            local_instant(tz, date, m),
                            local_instant(tz, date, m + step),
                        ) else {
                            return CellState::Closed;
                        };
                        let Ok(cell) = TimeSlot::new(s, e) else {
                            return CellState::Closed;
                        };
                        if blackouts.iter().any(|b| b.overlaps(&cell)) {
                            CellState::Blackout
                        } else if busy.iter().any(|b| b.overlaps(&cell)) {
                            CellState::Busy
                        } else if !open.iter().any(|o| o.contains(&cell)) {
                            CellState::Closed
                        } else if cell.end() <= now {
                            CellState::Past
                        } else {
                            CellState::Free
                        }
                    })
                    .collect();
                DayColumn { date, cells }
            })
            .collect();

        let mut taken: Vec<TimeSlot> = busy.iter().chain(blackouts).copied().collect();
        if let Some(start) = open.first().map(|o| o.start()) {
            if let Ok(past) = TimeSlot::new(start, now) {
                taken.push(past);
            }
        }
        let free_windows = subtract(&open, &taken);
        WeekGrid {
            week_start,
            first_minute: first,
            step_minutes: step,
            days,
            free_windows,
        }
    }

    /// Local minute of the day at which row `i` starts.
    pub fn row_minute(&self, i: usize) -> u16 {
        self.first_minute + self.step_minutes * i as u16
    }

    pub fn rows(&self) -> usize {
        self.days.first().map_or(0, |d| d.cells.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    fn shanghai() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    fn weekdays_8_to_17() -> OpeningHours {
        OpeningHours {
            periods: (1..=5)
                .map(|d| OpeningPeriod::new(d, 8 * 60, 17 * 60).unwrap())
                .collect(),
        }
    }

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        shanghai()
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn opening_periods_are_validated() {
        assert_eq!(OpeningPeriod::new(0, 0, 60), Err(OpeningError::Weekday));
        assert_eq!(OpeningPeriod::new(1, 600, 600), Err(OpeningError::Period));
        assert_eq!(OpeningPeriod::new(1, 600, 1441), Err(OpeningError::Period));
        assert!(OpeningPeriod::new(7, 0, 1440).is_ok());
    }

    #[test]
    fn open_windows_follow_local_time_and_skip_closed_days() {
        let mon = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let wed = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let w = weekdays_8_to_17().open_windows(&shanghai(), mon, mon + Duration::days(6), &[wed]);
        assert_eq!(w.len(), 4, "Mon, Tue, Thu, Fri");
        assert_eq!(
            w[0],
            TimeSlot::new(at(2026, 11, 23, 8, 0), at(2026, 11, 23, 17, 0)).unwrap()
        );
        // 08:00 in Shanghai is 00:00 UTC.
        assert_eq!(w[0].start().format("%H:%M").to_string(), "00:00");
    }

    #[test]
    fn week_grid_marks_busy_blackout_closed_past_and_free() {
        let mon = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let busy = [TimeSlot::new(at(2026, 11, 24, 9, 0), at(2026, 11, 24, 10, 0)).unwrap()];
        let blackout = [TimeSlot::new(at(2026, 11, 26, 8, 0), at(2026, 11, 26, 12, 0)).unwrap()];
        let now = at(2026, 11, 23, 12, 0);
        let g = WeekGrid::build(
            &shanghai(),
            mon,
            &weekdays_8_to_17(),
            &[],
            &busy,
            &blackout,
            now,
            60,
        );
        assert_eq!((g.first_minute, g.rows()), (8 * 60, 9));
        assert_eq!(
            g.days[0].cells[0],
            CellState::Past,
            "Monday 08:00 is before now"
        );
        assert_eq!(g.days[0].cells[5], CellState::Free, "Monday 13:00");
        assert_eq!(g.days[1].cells[1], CellState::Busy, "Tuesday 09:00");
        assert_eq!(g.days[3].cells[2], CellState::Blackout, "Thursday 10:00");
        assert_eq!(g.days[5].cells[0], CellState::Closed, "Saturday");
        // Free from now: Mon 12–17, Tue 8–9 and 10–17, Wed 8–17, Thu 12–17, Fri 8–17.
        assert_eq!(g.free_windows.len(), 6);
        assert_eq!(g.free_windows[0].start(), now);
        assert!(g
            .free_windows
            .iter()
            .all(|f| !f.overlaps(&busy[0]) && !f.overlaps(&blackout[0])));
    }

    #[test]
    fn monday_of_any_day() {
        let sun = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        assert_eq!(
            WeekGrid::monday_of(sun),
            NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
        );
    }
}

/// Minutes of a local day, `[from, to)`, 0–1440.
pub type DaySpan = (u16, u16);

/// One resource's day on the zone schedule: when it is open, booked, and blacked out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayRow {
    pub resource: super::vocabulary::Named<super::ids::ResourceId>,
    pub institution: super::vocabulary::Bilingual,
    pub open: Vec<DaySpan>,
    pub booked: Vec<DaySpan>,
    pub blackout: Vec<DaySpan>,
}

/// The zone schedule: one day across many resources, a page at a time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DaySchedule {
    pub day: NaiveDate,
    pub rows: Vec<DayRow>,
    pub total: usize,
    pub page: usize,
    pub size: usize,
    pub categories: Vec<super::vocabulary::Named<super::ids::CategoryId>>,
    pub institutions: Vec<super::vocabulary::Named<super::ids::OrganisationId>>,
}

/// Resources a schedule page may show.
pub const SCHEDULE_SIZES: [usize; 4] = [100, 200, 500, 1000];

/// The part of `[start, end)` (Unix seconds) inside the local day starting at `midnight`, as
/// minutes of that day.
pub fn day_span(midnight: i64, start: i64, end: i64) -> Option<DaySpan> {
    let from = (start - midnight).clamp(0, 86_400) / 60;
    let to = ((end - midnight).clamp(0, 86_400) + 59) / 60;
    (from < to).then_some((from as u16, to as u16))
}
