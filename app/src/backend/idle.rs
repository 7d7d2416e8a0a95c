//! Idle equipment: resources used least over a recent period, by the definitions in
//! `domain::utilisation`, so institutions can advertise them and bookers find them.

use super::catalogue::{bind_all, filter_sql, FilterArg};
use super::Db;
use crate::domain::catalogue::CatalogueFilter;
use crate::domain::ids::ResourceId;
use crate::domain::schedule::{OpeningHours, OpeningPeriod};
use crate::domain::time::TimeSlot;
use crate::domain::utilisation::{available_seconds, IdleRow};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use std::collections::HashMap;

/// How many rows the idle view lists at most.
pub const IDLE_LIMIT: usize = 60;

impl Db {
    /// Available resources matching `filter` whose utilisation over the local days
    /// `from ..= to` is below `below` (0–1), least used first, at most [`IDLE_LIMIT`]; and how
    /// many there are in all. Resources not open at all in the period are left out.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn idle<Tz: TimeZone>(
        &self,
        filter: &CatalogueFilter,
        tz: &Tz,
        (from, to): (NaiveDate, NaiveDate),
        below: f64,
    ) -> Result<(Vec<IdleRow>, usize), sqlx::Error> {
        let midnight = |d: NaiveDate| {
            tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default()
        };
        let Ok(period) = TimeSlot::new(midnight(from), midnight(to + chrono::Duration::days(1)))
        else {
            return Ok((Vec::new(), 0));
        };
        let (a, b) = (period.start().timestamp(), period.end().timestamp());
        let (mut where_sql, args) = filter_sql(filter, from, self.dialect());
        where_sql.push_str(" AND r.status = 'available'");
        let n = args.len();

        let sql = format!(
            "SELECT h.resource_id, h.weekday, h.opens_minute, h.closes_minute \
             FROM opening_hours h JOIN resources r ON r.id = h.resource_id{where_sql}"
        );
        let hour_rows: Vec<(i64, i64, i64, i64)> = bind_all!(sqlx::query_as(&sql), &args)
            .fetch_all(self.pool())
            .await?;
        let mut hours: HashMap<i64, OpeningHours> = HashMap::new();
        for (rid, w, o, c) in hour_rows {
            if let (Ok(w), Ok(o), Ok(c)) = (u8::try_from(w), u16::try_from(o), u16::try_from(c)) {
                if let Ok(p) = OpeningPeriod::new(w, o, c) {
                    hours.entry(rid).or_default().periods.push(p);
                }
            }
        }

        let sql = format!(
            "SELECT k.resource_id, k.starts_at, k.ends_at FROM blackouts k JOIN resources r ON r.id = k.resource_id{where_sql} \
               AND k.starts_at < ${} AND ${} < k.ends_at",
            n + 1,
            n + 2
        );
        let blackout_rows: Vec<(i64, i64, i64)> = bind_all!(sqlx::query_as(&sql), &args)
            .bind(b)
            .bind(a)
            .fetch_all(self.pool())
            .await?;
        let blackouts = super::report::slots_by_resource(blackout_rows);

        let (zone_closed, closed) = self.closed_days(from, to).await?;

        // Used time, summed in the database with each booking clipped to the period.
        let sql = format!(
            "SELECT x.resource_id, CAST(SUM({clipped}) AS BIGINT) \
             FROM bookings x JOIN resources r ON r.id = x.resource_id{where_sql} \
               AND x.status IN ('confirmed', 'completed') AND x.starts_at < ${b} AND ${a} < x.ends_at \
               AND x.starts_at >= ${a} - {max_block} \
             GROUP BY x.resource_id",
            a = n + 1,
            b = n + 2,
            max_block = super::bookable::MAX_BLOCK_SECONDS,
            clipped = self.dialect().clipped("x.starts_at", "x.ends_at", &format!("${}", n + 1), &format!("${}", n + 2)),
        );
        let used_rows: Vec<(i64, i64)> = bind_all!(sqlx::query_as(&sql), &args)
            .bind(a)
            .bind(b)
            .fetch_all(self.pool())
            .await?;
        let used: HashMap<i64, i64> = used_rows.into_iter().collect();

        let mut rows: Vec<(i64, i64, i64)> = hours
            .iter()
            .filter_map(|(rid, h)| {
                let mut days = zone_closed.clone();
                days.extend(closed.get(rid).into_iter().flatten().copied());
                let available = available_seconds(
                    h,
                    tz,
                    &period,
                    &days,
                    blackouts.get(rid).map(Vec::as_slice).unwrap_or_default(),
                );
                let used = used.get(rid).copied().unwrap_or(0);
                (available > 0 && (used as f64) < below * available as f64)
                    .then_some((*rid, available, used))
            })
            .collect();
        rows.sort_by(|x, y| {
            let share = |r: &(i64, i64, i64)| r.2 as f64 / r.1 as f64;
            share(x)
                .total_cmp(&share(y))
                .then(y.1.cmp(&x.1))
                .then(x.0.cmp(&y.0))
        });
        let total = rows.len();
        rows.truncate(IDLE_LIMIT);
        let ids: Vec<ResourceId> = rows.iter().map(|r| ResourceId(r.0)).collect();
        let mut cards = self.cards_of(&ids, from).await?;
        let out = rows
            .into_iter()
            .filter_map(|(rid, available, used)| {
                Some(IdleRow {
                    resource: cards.remove(&rid)?,
                    available_hours: available as f64 / 3600.0,
                    used_hours: used as f64 / 3600.0,
                    utilisation: Some(used as f64 / available as f64),
                })
            })
            .collect();
        Ok((out, total))
    }
}

/// The last `days` whole local days before `now`.
pub fn recent_days<Tz: TimeZone>(now: DateTime<Utc>, tz: &Tz, days: i64) -> (NaiveDate, NaiveDate) {
    let today = now.with_timezone(tz).date_naive();
    (
        today - chrono::Duration::days(days),
        today - chrono::Duration::days(1),
    )
}
