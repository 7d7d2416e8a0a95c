//! Report rollups (migration 0014): per resource and local month, the sums a report needs, kept by
//! triggers in the transaction of every booking change. A report reads its whole months from
//! here (about one row per resource and month) instead of scanning the period's bookings; the
//! partial months at a custom period's edges are still summed from the bookings (`report.rs`).
//!
//! The triggers place bookings in months through `report_months`, the zone's local months as UTC
//! instants. The process fills that table for its time zone and rebuilds the rollups from the
//! bookings whenever the calendar it finds is another one (first start after the migration, or a
//! changed `ZONE_TZ`) — under a lock, so several servers starting at once rebuild once.

use super::Db;
use crate::domain::report::Period;
use chrono::{Datelike, NaiveDate, Offset, TimeZone, Utc};
use sqlx::Executor;

/// The years `report_months` covers (the reports' own limits).
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// A month begins at most this long before any instant in it (31 days and an hour of margin);
/// the same constant is in the triggers.
const MONTH_LOOKBACK: i64 = 2_764_800;

/// A period cut into the run of whole calendar months the rollups answer for, and the partial
/// months at its edges, which are summed from the bookings.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// `[start, end)` of the whole months, if there is at least one.
    pub whole: Option<(i64, i64)>,
    /// Each partial month: its index among the period's months and its `[start, end)`.
    pub edges: Vec<(usize, (i64, i64))>,
    /// Every month's `[start, end)`, in order.
    pub months: Vec<(i64, i64)>,
    /// The start of the calendar year when the period is exactly one (year rollups answer it).
    pub year: Option<i64>,
}

impl Split {
    pub fn of<Tz: TimeZone>(tz: &Tz, period: &Period) -> Split {
        let mut split = Split {
            whole: None,
            edges: Vec::new(),
            months: Vec::new(),
            year: None,
        };
        for (i, (from, to)) in period.months().into_iter().enumerate() {
            let bounds = period_bounds(
                tz,
                &Period {
                    from,
                    to,
                    ..*period
                },
            );
            split.months.push(bounds);
            let whole = from.day() == 1
                && to.succ_opt().is_some_and(|next| next.day() == 1)
                && YEARS.contains(&from.year());
            if whole {
                let (start, _) = split.whole.unwrap_or(bounds);
                split.whole = Some((start, bounds.1));
            } else {
                split.edges.push((i, bounds));
            }
        }
        let calendar_year = period.from.month() == 1
            && period.from.day() == 1
            && period.to.month() == 12
            && period.to.day() == 31
            && period.from.year() == period.to.year();
        if calendar_year && split.edges.is_empty() {
            split.year = split.whole.map(|w| w.0);
        }
        split
    }
}

/// One local month of the calendar.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Month {
    start: i64,
    end: i64,
    year_start: i64,
    /// The UTC offset at its start, in seconds.
    offset: i64,
}

/// The UTC instants of local midnight at the start of `from` and at the end of `to`.
pub fn period_bounds<Tz: TimeZone>(tz: &Tz, period: &Period) -> (i64, i64) {
    let midnight = |d: NaiveDate| {
        tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map(|t| t.with_timezone(&Utc).timestamp())
            .unwrap_or_default()
    };
    (
        midnight(period.from),
        midnight(period.to + chrono::Duration::days(1)),
    )
}

/// The zone's local months over [`YEARS`].
fn calendar<Tz: TimeZone>(tz: &Tz) -> Vec<Month> {
    let firsts: Vec<NaiveDate> = YEARS
        .flat_map(|y| (1..=12).filter_map(move |m| NaiveDate::from_ymd_opt(y, m, 1)))
        .chain(NaiveDate::from_ymd_opt(YEARS.end() + 1, 1, 1))
        .collect();
    let midnight = |d: NaiveDate| {
        tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map(|t| {
                (
                    t.with_timezone(&Utc).timestamp(),
                    i64::from(t.offset().fix().local_minus_utc()),
                )
            })
    };
    firsts
        .windows(2)
        .filter_map(|w| {
            let (start, offset) = midnight(w[0])?;
            let (end, _) = midnight(w[1])?;
            let (year_start, _) = midnight(w[0].with_month(1)?)?;
            Some(Month {
                start,
                end,
                year_start,
                offset,
            })
        })
        .collect()
}

async fn stored_fingerprint(conn: &mut sqlx::AnyConnection) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT fingerprint FROM report_calendar WHERE id = 1")
        .fetch_optional(conn)
        .await
}

/// A name for a calendar: its size and an FNV-1a hash of its numbers.
fn fingerprint(months: &[Month]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for m in months {
        for v in [m.start, m.end, m.year_start, m.offset] {
            for byte in v.to_le_bytes() {
                hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
            }
        }
    }
    format!("{}:{hash:016x}", months.len())
}

impl Db {
    /// The eight sums of `report::SumColumns` as SQL columns, for bookings `x` clipped to
    /// `[start, end)` (SQL expressions).
    pub(super) fn sums_sql(&self, start: &str, end: &str) -> String {
        let clip = self
            .dialect()
            .clipped("x.starts_at", "x.ends_at", start, end);
        let used = "x.status IN ('confirmed', 'completed')";
        [
            ("used_s", format!("CASE WHEN {used} THEN {clip} ELSE 0 END")),
            ("no_show_s", format!("CASE WHEN x.status = 'no_show' THEN {clip} ELSE 0 END")),
            ("external_s", format!("CASE WHEN {used} AND x.customer_category <> 'own' THEN {clip} ELSE 0 END")),
            ("sme_s", format!("CASE WHEN {used} AND x.customer_category = 'sme' THEN {clip} ELSE 0 END")),
            ("bookings_n", format!("CASE WHEN x.starts_at >= {start} AND x.status IN ('confirmed', 'completed', 'no_show') THEN 1 ELSE 0 END")),
            ("cancelled_n", format!("CASE WHEN x.starts_at >= {start} AND x.status = 'cancelled' THEN 1 ELSE 0 END")),
            ("no_shows_n", format!("CASE WHEN x.starts_at >= {start} AND x.status = 'no_show' THEN 1 ELSE 0 END")),
            ("income_fen", format!("CASE WHEN x.starts_at >= {start} AND {used} THEN x.price_fen ELSE 0 END")),
        ]
        .map(|(name, sum)| format!("CAST(SUM({sum}) AS BIGINT) AS {name}"))
        .join(", ")
    }

    /// Makes `report_months` the calendar of `tz` and the rollups agree with it, rebuilding them
    /// from the bookings if the calendar was another. Cheap once done (remembered in-process).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn prepare_reports<Tz: TimeZone>(&self, tz: &Tz) -> Result<(), sqlx::Error> {
        // A process serves one zone: once its calendar is settled, reports skip the 1,212 months.
        let mut ready = self.calendar.lock().await;
        if ready.is_some() {
            return Ok(());
        }
        let rows = calendar(tz);
        let wanted = fingerprint(&rows);
        let mut conn = self.pool().acquire().await?;
        if stored_fingerprint(&mut conn).await?.as_deref() != Some(wanted.as_str()) {
            // One rebuild at a time, across processes: SQLite's write lock taken up front,
            // PostgreSQL's table lock; the calendar is read again under it.
            match self.dialect() {
                super::Dialect::Sqlite => conn.execute("BEGIN IMMEDIATE").await?,
                super::Dialect::Postgres => {
                    conn.execute("BEGIN").await?;
                    conn.execute("LOCK TABLE report_calendar IN EXCLUSIVE MODE")
                        .await?
                }
            };
            let result = async {
                if stored_fingerprint(&mut conn).await?.as_deref() != Some(wanted.as_str()) {
                    self.rebuild_rollups(&mut conn, &rows, &wanted).await?;
                }
                Ok::<_, sqlx::Error>(())
            }
            .await;
            match result {
                Ok(()) => conn.execute("COMMIT").await?,
                Err(e) => {
                    let _ = conn.execute("ROLLBACK").await;
                    return Err(e);
                }
            };
        }
        *ready = Some(wanted);
        Ok(())
    }

    /// Within the caller's transaction: the calendar replaced and every rollup summed afresh.
    async fn rebuild_rollups(
        &self,
        conn: &mut sqlx::AnyConnection,
        rows: &[Month],
        fingerprint: &str,
    ) -> Result<(), sqlx::Error> {
        let started = std::time::Instant::now();
        for table in [
            "report_months",
            "usage_months",
            "usage_orgs",
            "usage_years",
            "usage_orgs_years",
            "usage_heat",
            "usage_heat_years",
        ] {
            conn.execute(format!("DELETE FROM {table}").as_str())
                .await?;
        }
        for chunk in rows.chunks(200) {
            // Numbers computed here, not typed by anyone: written into the text.
            let values: Vec<String> = chunk
                .iter()
                .map(|m| format!("({}, {}, {}, {})", m.start, m.end, m.year_start, m.offset))
                .collect();
            let sql = format!(
                "INSERT INTO report_months (starts_at, ends_at, year_start, utc_offset) VALUES {}",
                values.join(", ")
            );
            conn.execute(sql.as_str()).await?;
        }
        let d = self.dialect();
        let overlapping = format!(
            "report_months m ON m.starts_at > x.starts_at - {MONTH_LOOKBACK} AND m.starts_at < x.ends_at AND m.ends_at > x.starts_at"
        );
        let used = "x.status IN ('confirmed', 'completed')";
        let statements = [
            format!(
                "INSERT INTO usage_months (month_start, resource_id, used_s, no_show_s, external_s, sme_s, bookings_n, cancelled_n, no_shows_n, income_fen) \
                 SELECT m.starts_at, x.resource_id, {sums} FROM bookings x JOIN {overlapping} \
                 WHERE x.status IN ('confirmed', 'completed', 'no_show', 'cancelled') \
                 GROUP BY m.starts_at, x.resource_id",
                sums = self.sums_sql("m.starts_at", "m.ends_at"),
            ),
            format!(
                "INSERT INTO usage_orgs (month_start, resource_id, organisation_id, n) \
                 SELECT m.starts_at, x.resource_id, x.organisation_id, COUNT(*) FROM bookings x JOIN {overlapping} \
                 WHERE {used} AND x.customer_category <> 'own' \
                 GROUP BY m.starts_at, x.resource_id, x.organisation_id"
            ),
            format!(
                "INSERT INTO usage_heat (month_start, institution_id, minute, length_s, n) \
                 SELECT m.starts_at, r.institution_id, (({start} + m.utc_offset + 259200) % 604800) / 60, {length}, COUNT(*) \
                 FROM bookings x JOIN resources r ON r.id = x.resource_id JOIN {overlapping} \
                 WHERE {used} GROUP BY 1, 2, 3, 4",
                start = d.greatest("x.starts_at", "m.starts_at"),
                length = d.clipped("x.starts_at", "x.ends_at", "m.starts_at", "m.ends_at"),
            ),
        ];
        for sql in statements {
            conn.execute(sql.as_str()).await?;
        }
        sqlx::query(
            "INSERT INTO report_calendar (id, fingerprint) VALUES (1, $1) \
             ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint",
        )
        .bind(fingerprint)
        .execute(&mut *conn)
        .await?;
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "rebuilt the report rollups for the zone's calendar"
        );
        Ok(())
    }
}
