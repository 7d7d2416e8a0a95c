//! Time-first search across all institutions. A fixed number of queries whatever the number of
//! resources; the rules themselves are the shared domain code.

use super::catalogue::{bind_all, filter_sql, FilterArg};
use super::Db;
use crate::domain::availability::{FreeQuery, FreeResult, Unbookable, WINDOWS_PER_RESOURCE};
use crate::domain::catalogue::ResourceStatus;
use crate::domain::ids::ResourceId;
use crate::domain::rules::{BookingRules, Situation};
use crate::domain::schedule::OpeningHours;
use crate::domain::time::TimeSlot;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use std::collections::HashMap;

/// One page of a time-first search, and how many answered in all.
#[derive(Debug, Clone)]
pub struct FreeAnswer {
    pub results: Vec<FreeResult>,
    /// Resources with at least one window, over all pages.
    pub bookable: usize,
    /// Resources that answered (every one matching the filter), over all pages.
    pub total: usize,
}

/// The longest buffer the editor allows on either side of a booking (a day).
pub const MAX_BUFFER_SECONDS: i64 = 1440 * 60;

/// The longest time one booking can block: the editor's longest booking (30 days) and both
/// buffers at their maximum.
pub const MAX_BLOCK_SECONDS: i64 = 43_200 * 60 + 2 * MAX_BUFFER_SECONDS;

impl Db {
    /// Every matching resource's answer, bookable first and earliest window first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn find_free<Tz: TimeZone>(
        &self,
        query: &FreeQuery,
        tz: &Tz,
        now: DateTime<Utc>,
    ) -> Result<Vec<FreeResult>, sqlx::Error> {
        Ok(self
            .find_free_page(query, tz, now, 1, usize::MAX)
            .await?
            .results)
    }

    /// Page `page` (from 1, `per_page` long) of the answers, bookable first and earliest window
    /// first. The windows of every matching resource come from four queries (rules and status,
    /// weekly hours, bookings and blackouts near the range, closed days); the cards are read for
    /// the page only.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn find_free_page<Tz: TimeZone>(
        &self,
        query: &FreeQuery,
        tz: &Tz,
        now: DateTime<Utc>,
        page: usize,
        per_page: usize,
    ) -> Result<FreeAnswer, sqlx::Error> {
        let today = now.with_timezone(tz).date_naive();
        let (where_sql, args) = filter_sql(&query.filter, today, self.dialect());

        // Which resources match (ids only); their rules, status and hours come from memory. The
        // ids, and the intervals below, travel as one text each: through the driver a row costs
        // about two microseconds, more than the search spends on a resource.
        let d = self.dialect();
        let sql = format!(
            "SELECT {} FROM resources r{where_sql}",
            d.comma_list("r.id", false)
        );
        let ids: Option<String> = bind_all!(sqlx::query_scalar(&sql), &args)
            .fetch_one(self.pool())
            .await?;
        let ids: Vec<i64> = ids
            .unwrap_or_default()
            .split(',')
            .filter_map(|id| id.parse().ok())
            .collect();
        let bookables = self.bookables().await?;

        // Everything that blocks time in the range or within the widest buffer of it (a booking
        // there can still keep a new one's buffer out), for the filtered resources.
        let margin = 60
            * bookables
                .values()
                .map(|b| {
                    b.rules
                        .buffer_before_minutes
                        .max(b.rules.buffer_after_minutes)
                })
                .max()
                .unwrap_or(0);
        let (from, until) = (
            query.range.start().timestamp() - margin,
            query.range.end().timestamp() + margin,
        );
        let n = args.len();
        // The lower bound on blocked_from turns the read into one range scan of an index.
        let sql = format!(
            "SELECT {list} FROM (\
             SELECT x.resource_id AS rid, x.blocked_from AS s, x.blocked_until AS e FROM bookings x JOIN resources r ON r.id = x.resource_id{where_sql} \
               AND x.status IN ('pending', 'confirmed') AND x.blocked_from < ${} AND ${} < x.blocked_until AND x.blocked_from >= ${} \
             UNION ALL \
             SELECT k.resource_id, k.starts_at, k.ends_at FROM blackouts k JOIN resources r ON r.id = k.resource_id{where_sql} \
               AND k.starts_at < ${} AND ${} < k.ends_at) t",
            n + 1,
            n + 2,
            n + 3,
            n + 1,
            n + 2,
            list = d.comma_list(&d.concat(&["t.rid", "':'", "t.s", "':'", "t.e"]), false),
        );
        let taken_text: Option<String> = bind_all!(sqlx::query_scalar(&sql), &args)
            .bind(until)
            .bind(from)
            .bind(from - MAX_BLOCK_SECONDS)
            .fetch_one(self.pool())
            .await?;
        let mut taken: HashMap<i64, Vec<TimeSlot>> = HashMap::new();
        for item in taken_text.as_deref().unwrap_or_default().split(',') {
            let mut parts = item.splitn(3, ':').map(str::parse::<i64>);
            let (Some(Ok(rid)), Some(Ok(s)), Some(Ok(e))) =
                (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            if let Ok(slot) = TimeSlot::from_unix(s, e) {
                taken.entry(rid).or_default().push(slot);
            }
        }

        let day = |t: DateTime<Utc>| {
            t.with_timezone(tz)
                .date_naive()
                .format("%Y-%m-%d")
                .to_string()
        };
        let closures: Vec<(Option<i64>, String)> = sqlx::query_as(
            "SELECT resource_id, day FROM closure_days WHERE day >= $1 AND day <= $2",
        )
        .bind(day(query.range.start()))
        .bind(day(query.range.end()))
        .fetch_all(self.pool())
        .await?;
        let mut zone_closed: Vec<NaiveDate> = Vec::new();
        let mut closed: HashMap<i64, Vec<NaiveDate>> = HashMap::new();
        for (resource, d) in closures {
            let Ok(d) = NaiveDate::parse_from_str(&d, "%Y-%m-%d") else {
                continue;
            };
            match resource {
                Some(r) => closed.entry(r).or_default().push(d),
                None => zone_closed.push(d),
            }
        }

        // Open windows over the range's days, once per weekly pattern (most resources share one)
        // unless a resource has closed days of its own.
        let local = |t: DateTime<Utc>| t.with_timezone(tz).date_naive();
        let days = (local(query.range.start()), local(query.range.end()));
        let open_of = |hours: &OpeningHours, closed: &[NaiveDate]| {
            hours.open_windows(tz, days.0, days.1, closed)
        };
        let mut shared: HashMap<&OpeningHours, Vec<TimeSlot>> = HashMap::new();
        let mut answers: Vec<(i64, Vec<TimeSlot>, Option<Unbookable>)> =
            Vec::with_capacity(ids.len());
        for id in ids {
            let Some(bookable) = bookables.get(&id) else {
                continue;
            };
            let mut closed_days = zone_closed.clone();
            closed_days.extend(closed.get(&id).into_iter().flatten().copied());
            let own;
            let open = if closed.contains_key(&id) {
                own = open_of(&bookable.hours, &closed_days);
                &own
            } else {
                shared
                    .entry(&bookable.hours)
                    .or_insert_with(|| open_of(&bookable.hours, &zone_closed))
            };
            let situation = Situation {
                tz,
                now,
                status: bookable.status,
                hours: &bookable.hours,
                closed_days: &closed_days,
                taken: taken.get(&id).map(Vec::as_slice).unwrap_or_default(),
            };
            let (windows, unbookable) = search_one(&bookable.rules, &situation, query, open);
            answers.push((id, windows, unbookable));
        }
        // Bookable first, earliest free window first; ties in catalogue order of ids.
        answers.sort_by_key(|(id, windows, _)| {
            (windows.is_empty(), windows.first().map(|w| w.start()), *id)
        });
        let bookable = answers.iter().filter(|a| !a.1.is_empty()).count();
        let total = answers.len();
        let skip = page.saturating_sub(1).saturating_mul(per_page);
        let page_answers: Vec<_> = answers.into_iter().skip(skip).take(per_page).collect();

        let ids: Vec<ResourceId> = page_answers.iter().map(|a| ResourceId(a.0)).collect();
        let mut cards = self.cards_of(&ids, today).await?;
        let results = page_answers
            .into_iter()
            .filter_map(|(id, windows, unbookable)| {
                Some(FreeResult {
                    resource: cards.remove(&id)?,
                    windows,
                    unbookable,
                })
            })
            .collect();
        Ok(FreeAnswer {
            results,
            bookable,
            total,
        })
    }
}

/// The windows of one resource long enough for the wanted time, or why there are none.
fn search_one<Tz: TimeZone>(
    rules: &BookingRules,
    s: &Situation<'_, Tz>,
    q: &FreeQuery,
    open: &[TimeSlot],
) -> (Vec<TimeSlot>, Option<Unbookable>) {
    if s.status != ResourceStatus::Available {
        return (Vec::new(), Some(Unbookable::NotAvailable(s.status)));
    }
    if q.minutes > rules.max_duration_minutes {
        return (
            Vec::new(),
            Some(Unbookable::TooLong(rules.max_duration_minutes)),
        );
    }
    if q.range.end() <= s.now + Duration::minutes(rules.min_notice_minutes) {
        return (
            Vec::new(),
            Some(Unbookable::NoticeTooShort(rules.min_notice_minutes)),
        );
    }
    let wanted = q.minutes.max(rules.min_duration_minutes);
    let windows: Vec<TimeSlot> = rules
        .free_windows_within(s, &q.range, open)
        .into_iter()
        .filter(|w| w.minutes() >= wanted)
        .take(WINDOWS_PER_RESOURCE)
        .collect();
    if !windows.is_empty() {
        return (windows, None);
    }
    let reason = if open.iter().any(|o| o.overlaps(&q.range)) {
        Unbookable::FullyBooked
    } else {
        Unbookable::Closed
    };
    (Vec::new(), Some(reason))
}

/// A resource's open and busy times over local days `from ..= to` (the REST API's availability).
#[derive(Debug, Clone)]
pub struct ResourceTimes {
    pub open: Vec<TimeSlot>,
    /// Bookings (with their buffers) and blackouts.
    pub busy: Vec<TimeSlot>,
}

impl Db {
    /// `None` when the resource does not exist.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn resource_times<Tz: TimeZone>(
        &self,
        resource: ResourceId,
        tz: &Tz,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Option<ResourceTimes>, sqlx::Error> {
        if self.resource_row(resource).await?.is_none() {
            return Ok(None);
        }
        let hours = self.opening_hours_of(resource).await?;
        let closed: Vec<(String,)> = sqlx::query_as(
            "SELECT day FROM closure_days WHERE (resource_id IS NULL OR resource_id = $1) AND day >= $2 AND day <= $3",
        )
        .bind(resource.0)
        .bind(from.format("%Y-%m-%d").to_string())
        .bind(to.format("%Y-%m-%d").to_string())
        .fetch_all(self.pool())
        .await?;
        let closed: Vec<NaiveDate> = closed
            .iter()
            .filter_map(|(d,)| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .collect();
        let open = hours.open_windows(tz, from, to, &closed);
        let (Some(first), Some(last)) = (open.first(), open.last()) else {
            return Ok(Some(ResourceTimes {
                open,
                busy: Vec::new(),
            }));
        };
        let (lo, hi) = (first.start().timestamp(), last.end().timestamp());
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT blocked_from, blocked_until FROM bookings WHERE resource_id = $1 \
               AND status IN ('pending', 'confirmed') AND blocked_from < $3 AND blocked_until > $2 \
             UNION ALL SELECT starts_at, ends_at FROM blackouts WHERE resource_id = $1 AND starts_at < $3 AND ends_at > $2",
        )
        .bind(resource.0)
        .bind(lo)
        .bind(hi)
        .fetch_all(self.pool())
        .await?;
        let busy = crate::domain::time::normalize(
            rows.into_iter()
                .filter_map(|(s, e)| TimeSlot::from_unix(s.max(lo), e.min(hi)).ok())
                .collect(),
        );
        Ok(Some(ResourceTimes { open, busy }))
    }
}
