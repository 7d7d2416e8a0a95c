//! The zone schedule: one local day across up to a thousand resources, read with five queries
//! whatever the number of resources (the page, its count, the day's opening hours, closed days,
//! blackouts and bookings) — never one query per resource.

use super::catalogue::{bind_all, filter_sql, FilterArg};
use super::Db;
use crate::domain::catalogue::{Bilingual, CatalogueFilter, Named};
use crate::domain::ids::ResourceId;
use crate::domain::schedule::{day_span, DayRow};
use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use std::collections::HashMap;

impl Db {
    /// Page `page` (from 1) of `size` resources matching `filter`, in catalogue order, with what
    /// each is doing on local day `day`; and how many match in all.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn day_schedule<Tz: TimeZone>(
        &self,
        filter: &CatalogueFilter,
        tz: &Tz,
        day: NaiveDate,
        page: usize,
        size: usize,
    ) -> Result<(Vec<DayRow>, usize), sqlx::Error> {
        let midnight = |d: NaiveDate| {
            tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
                .earliest()
                .map(|t| t.with_timezone(&Utc).timestamp())
                .unwrap_or_default()
        };
        let (a, b) = (midnight(day), midnight(day + chrono::Duration::days(1)));
        let (where_sql, args) = filter_sql(filter, day, self.dialect());
        let count_sql = format!("SELECT COUNT(*) FROM resources r{where_sql}");
        let total: i64 = bind_all!(sqlx::query_scalar(&count_sql), &args)
            .fetch_one(self.pool())
            .await?;
        let sql = format!(
            "SELECT r.id, r.name_zh, r.name_en, o.name_zh, o.name_en FROM resources r \
             JOIN organisations o ON o.id = r.institution_id{where_sql} \
             ORDER BY r.category_id, r.name_zh, r.id LIMIT {size} OFFSET {offset}",
            offset = page.saturating_sub(1) * size,
        );
        type Row = (i64, String, String, String, String);
        let rows: Vec<Row> = bind_all!(sqlx::query_as(&sql), &args)
            .fetch_all(self.pool())
            .await?;
        if rows.is_empty() {
            return Ok((Vec::new(), total as usize));
        }
        // The ids come from the database: written into the text as numbers.
        let ids = rows
            .iter()
            .map(|r| r.0.to_string())
            .collect::<Vec<_>>()
            .join(",");

        let weekday = i64::from(day.weekday().number_from_monday());
        let hours: Vec<(i64, i64, i64)> = sqlx::query_as(&format!(
            "SELECT resource_id, opens_minute, closes_minute FROM opening_hours \
             WHERE weekday = $1 AND resource_id IN ({ids}) ORDER BY resource_id, opens_minute"
        ))
        .bind(weekday)
        .fetch_all(self.pool())
        .await?;
        let (zone_closed, own_closed) = self.closed_days(day, day).await?;
        let blackouts: Vec<(i64, i64, i64)> = sqlx::query_as(&format!(
            "SELECT resource_id, starts_at, ends_at FROM blackouts \
             WHERE resource_id IN ({ids}) AND starts_at < $1 AND ends_at > $2"
        ))
        .bind(b)
        .bind(a)
        .fetch_all(self.pool())
        .await?;
        // One short range of the (resource, blocked_from) index per resource: a booking's blocked
        // time starts at most one buffer before it. The status is tested through a cast so that
        // the planner does not take the (status, start) index instead and read the table for
        // every booking of the day's month across all resources (1.8 s at five million).
        let bookings: Vec<(i64, i64, i64)> = sqlx::query_as(&format!(
            "SELECT resource_id, starts_at, ends_at FROM bookings \
             WHERE resource_id IN ({ids}) AND blocked_from >= $4 AND blocked_from < $2 \
               AND starts_at >= $1 AND starts_at < $2 AND ends_at > $3 \
               AND CAST(status AS TEXT) IN ('pending', 'confirmed', 'completed', 'no_show') \
             ORDER BY resource_id, starts_at"
        ))
        .bind(a - super::bookable::MAX_BLOCK_SECONDS)
        .bind(b)
        .bind(a)
        .bind(a - super::bookable::MAX_BLOCK_SECONDS - super::bookable::MAX_BUFFER_SECONDS)
        .fetch_all(self.pool())
        .await?;

        let mut out: Vec<DayRow> = rows
            .into_iter()
            .map(|(id, zh, en, izh, ien)| DayRow {
                resource: Named {
                    id: ResourceId(id),
                    name: Bilingual { zh, en },
                },
                institution: Bilingual { zh: izh, en: ien },
                open: Vec::new(),
                booked: Vec::new(),
                blackout: Vec::new(),
            })
            .collect();
        let index: HashMap<i64, usize> = out
            .iter()
            .enumerate()
            .map(|(i, r)| (r.resource.id.0, i))
            .collect();
        let closed = !zone_closed.is_empty();
        for (rid, o, c) in hours {
            if let Some(row) = index.get(&rid).map(|i| &mut out[*i]) {
                if !closed && !own_closed.contains_key(&rid) {
                    row.open
                        .push((o.clamp(0, 1440) as u16, c.clamp(0, 1440) as u16));
                }
            }
        }
        for (list, is_booking) in [(blackouts, false), (bookings, true)] {
            for (rid, s, e) in list {
                if let (Some(row), Some(span)) =
                    (index.get(&rid).map(|i| &mut out[*i]), day_span(a, s, e))
                {
                    if is_booking {
                        row.booked.push(span);
                    } else {
                        row.blackout.push(span);
                    }
                }
            }
        }
        Ok((out, total as usize))
    }
}
