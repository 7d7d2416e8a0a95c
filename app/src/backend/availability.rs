//! Time-first search across all institutions. A fixed number of queries whatever the number of
//! resources; the rules themselves are the shared domain code.

use super::bookable::{filter_in_memory, Entry, MAX_BLOCK_SECONDS};
use super::catalogue::{bind_all, filter_sql, FilterArg};
use super::Db;
use crate::domain::availability::{
    FreeQuery, FreeResult, SharedWindows, Unbookable, WINDOWS_PER_RESOURCE,
};
use crate::domain::catalogue::{CatalogueFilter, ResourceStatus};
use crate::domain::ids::ResourceId;
use crate::domain::rules::BookingRules;
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
    /// first. Rules, hours and busy time come from this process's copy (see [`super::bookable`]);
    /// the database is asked which resources match (unless the copy can tell), which days are
    /// closed, and the cards of the page. Every matching resource's first window is worked out
    /// (for the order and the count), its further windows only when it is on the page.
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
        let snapshot = self.bookables(now).await?;
        let chosen: Vec<&Entry> = if filter_in_memory(&query.filter) {
            snapshot
                .entries()
                .iter()
                .filter(|e| e.bookable.listed_by(&query.filter))
                .collect()
        } else {
            self.matching(&query.filter, today)
                .await?
                .into_iter()
                .filter_map(|id| snapshot.get(id))
                .collect()
        };

        // Busy time in the range or within the widest buffer of it (a booking there can still
        // keep a new one's buffer out): from the copy, or for a range beyond its horizon from the
        // database.
        let margin = 60
            * snapshot
                .entries()
                .iter()
                .map(|e| {
                    let r = &e.bookable.rules;
                    r.buffer_before_minutes.max(r.buffer_after_minutes)
                })
                .max()
                .unwrap_or(0);
        let span = TimeSlot::new(
            query.range.start() - Duration::seconds(margin),
            query.range.end() + Duration::seconds(margin),
        )
        .unwrap_or(query.range);
        let outside = if snapshot.horizon.contains(&span) {
            None
        } else {
            Some(super::bookable::busy_within(self.pool(), self.dialect(), &span, None).await?)
        };
        let busy_of = |e: &Entry| -> &[TimeSlot] {
            match &outside {
                Some(map) => map.get(&e.id).map(Vec::as_slice).unwrap_or_default(),
                None => near(snapshot.busy(e), &span),
            }
        };

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

        // Open windows over the range's days once per weekly pattern, and the windows they give
        // once per pattern and window-shaping rules (most resources share both), unless a
        // resource has closed days of its own.
        let local = |t: DateTime<Utc>| t.with_timezone(tz).date_naive();
        let days = (local(query.range.start()), local(query.range.end()));
        let open_of = |hours: &OpeningHours, closed: &[NaiveDate]| {
            hours.open_windows(tz, days.0, days.1, closed)
        };
        let class_of = |rules: &BookingRules, open: &[TimeSlot]| {
            let class = SharedWindows::new(rules, tz, now, &query.range, open);
            (class, open.iter().any(|o| o.overlaps(&query.range)))
        };
        let mut open_shared: HashMap<u32, Vec<TimeSlot>> = HashMap::new();
        // Each shape's class, once met (`usize::MAX` before).
        let mut by_shape: Vec<usize> = vec![usize::MAX; snapshot.shapes()];
        // The shared classes, then one of its own for each resource with closed days.
        let mut classes: Vec<(SharedWindows, bool)> = Vec::new();
        let mut answers: Vec<(&Entry, Result<TimeSlot, Unbookable>, usize)> =
            Vec::with_capacity(chosen.len());
        for e in chosen {
            let b = &e.bookable;
            let own = if closed.is_empty() {
                None
            } else {
                closed.get(&e.id)
            };
            let class = match own {
                Some(own) => {
                    let mut closed_days = zone_closed.clone();
                    closed_days.extend(own.iter().copied());
                    classes.push(class_of(&b.rules, &open_of(&b.hours, &closed_days)));
                    classes.len() - 1
                }
                None => {
                    let shape = e.shape as usize;
                    if by_shape[shape] == usize::MAX {
                        let open = open_shared
                            .entry(e.pattern)
                            .or_insert_with(|| open_of(snapshot.pattern(e), &zone_closed));
                        classes.push(class_of(&b.rules, open));
                        by_shape[shape] = classes.len() - 1;
                    }
                    by_shape[shape]
                }
            };
            let first = match barrier(&b.rules, b.status, query, now) {
                Some(why) => Err(why),
                None => {
                    let wanted = query.minutes.max(b.rules.min_duration_minutes);
                    let (windows, open_in_range) = &classes[class];
                    match windows.first(&b.rules, tz, now, busy_of(e), wanted) {
                        Some(first) => Ok(first),
                        None if *open_in_range => Err(Unbookable::FullyBooked),
                        None => Err(Unbookable::Closed),
                    }
                }
            };
            answers.push((e, first, class));
        }
        // Bookable first, earliest free window first; ties in catalogue order of ids.
        let key = |(e, first, _): &(&Entry, Result<TimeSlot, Unbookable>, usize)| {
            (first.is_err(), first.as_ref().ok().map(|w| w.start()), e.id)
        };
        let bookable = answers.iter().filter(|a| a.1.is_ok()).count();
        let total = answers.len();
        let skip = page.saturating_sub(1).saturating_mul(per_page);
        let end = skip.saturating_add(per_page).min(total);
        // Only the answers up to the page's end need their order.
        if end > 0 && end < total {
            answers.select_nth_unstable_by_key(end - 1, key);
            answers.truncate(end);
        }
        answers.sort_unstable_by_key(key);
        let page_answers: Vec<_> = answers.into_iter().skip(skip).collect();

        let ids: Vec<ResourceId> = page_answers.iter().map(|a| ResourceId(a.0.id)).collect();
        let mut cards = self.cards_of(&ids, today).await?;
        let results = page_answers
            .into_iter()
            .filter_map(|(e, first, class)| {
                let (windows, unbookable) = match first {
                    Ok(_) => {
                        let rules = &e.bookable.rules;
                        let wanted = query.minutes.max(rules.min_duration_minutes);
                        let windows = classes[class].0.windows(
                            rules,
                            tz,
                            now,
                            busy_of(e),
                            wanted,
                            WINDOWS_PER_RESOURCE,
                        );
                        (windows, None)
                    }
                    Err(why) => (Vec::new(), Some(why)),
                };
                Some(FreeResult {
                    resource: cards.remove(&e.id)?,
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

    /// The ids of the resources `filter` lets through (and not retired), from the database.
    async fn matching(
        &self,
        filter: &CatalogueFilter,
        today: NaiveDate,
    ) -> Result<Vec<i64>, sqlx::Error> {
        // The ids travel as one text: through the driver a row costs about two microseconds,
        // more than the search spends on a resource.
        let (where_sql, args) = filter_sql(filter, today, self.dialect());
        let sql = format!(
            "SELECT {} FROM resources r{where_sql}",
            self.dialect().comma_list("r.id", false)
        );
        let ids: Option<String> = bind_all!(sqlx::query_scalar(&sql), &args)
            .fetch_one(self.pool())
            .await?;
        Ok(ids
            .unwrap_or_default()
            .split(',')
            .filter_map(|id| id.parse().ok())
            .collect())
    }
}

/// Why a resource offers nothing in the query's range whatever is taken, if so.
fn barrier(
    rules: &BookingRules,
    status: ResourceStatus,
    q: &FreeQuery,
    now: DateTime<Utc>,
) -> Option<Unbookable> {
    if status != ResourceStatus::Available {
        return Some(Unbookable::NotAvailable(status));
    }
    if q.minutes > rules.max_duration_minutes {
        return Some(Unbookable::TooLong(rules.max_duration_minutes));
    }
    if q.range.end() <= now + Duration::minutes(rules.min_notice_minutes) {
        return Some(Unbookable::NoticeTooShort(rules.min_notice_minutes));
    }
    None
}

/// The part of `busy` (sorted by start) that can touch `span`: nothing blocks longer than
/// [`MAX_BLOCK_SECONDS`].
fn near<'b>(busy: &'b [TimeSlot], span: &TimeSlot) -> &'b [TimeSlot] {
    let from = span.start() - Duration::seconds(MAX_BLOCK_SECONDS);
    let lo = busy.partition_point(|t| t.start() < from);
    let hi = busy.partition_point(|t| t.start() < span.end());
    &busy[lo..hi.max(lo)]
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
