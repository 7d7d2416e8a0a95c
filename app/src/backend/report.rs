//! Utilisation and sharing reports (definitions in `domain::report`). The period's whole months
//! (or its calendar year) are read from the rollups the booking triggers keep (`rollups`); the
//! partial months at a custom period's edges are summed from the bookings — per resource, per month
//! and per start minute of the week — by range scans of the `bookings_report` covering index. Only
//! sums (one row per resource, month or heatmap group) reach the process. Available time comes from
//! the opening hours, computed once per distinct weekly pattern, less each resource's blackouts,
//! and per resource only where closed days of its own make it differ.

use super::rollups::{period_bounds, Split};
use super::Db;
use crate::domain::catalogue::{
    AccreditationBody, AccreditationStanding, Bilingual, Named, EXPIRY_WARNING_DAYS,
};
use crate::domain::ids::{OrganisationId, ResourceId, ZoneId};
use crate::domain::report::{
    roll_up, spread_heatmap, AccreditationCounts, AccreditationLine, Figures, Line, MonthLine,
    Period, Report, ReportScope,
};
use crate::domain::schedule::{OpeningHours, OpeningPeriod};
use crate::domain::time::TimeSlot;
use crate::domain::utilisation::{available_seconds, blacked_out_seconds};
use chrono::{NaiveDate, Offset, TimeZone, Utc};
use std::collections::HashMap;

/// Whose resources a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Zone(ZoneId),
    Institution(OrganisationId),
}

impl Scope {
    /// The condition on `resources r` selecting the scope's resources; binds one id as `$1`.
    fn resources_sql(self) -> &'static str {
        match self {
            Scope::Zone(_) => {
                "r.institution_id IN (SELECT o.id FROM organisations o WHERE o.zone_id = $1)"
            }
            Scope::Institution(_) => "r.institution_id = $1",
        }
    }

    /// The condition on `bookings x` selecting the scope's bookings; binds the id as `$1`. With
    /// `whole` (a zone report where the zone is the only one) there is nothing to filter. The
    /// unary `+` keeps the planner on the period's range scan of `bookings_report` rather than
    /// one index probe per resource followed by table reads (ten times slower at a million rows).
    fn bookings_sql(self, whole: bool) -> String {
        if whole {
            "CAST($1 AS BIGINT) IS NOT NULL".into()
        } else {
            format!(
                "+x.resource_id IN (SELECT r.id FROM resources r WHERE {})",
                self.resources_sql()
            )
        }
    }

    /// The same for a rollup `x` kept per institution (`x.institution_id`).
    fn institutions_sql(self, whole: bool) -> &'static str {
        match self {
            _ if whole => "CAST($1 AS BIGINT) IS NOT NULL",
            Scope::Zone(_) => {
                "x.institution_id IN (SELECT o.id FROM organisations o WHERE o.zone_id = $1)"
            }
            Scope::Institution(_) => "x.institution_id = $1",
        }
    }

    fn id(self) -> i64 {
        match self {
            Scope::Zone(z) => z.0,
            Scope::Institution(i) => i.0,
        }
    }
}

/// One resource of the scope as the report needs it.
struct Item {
    id: i64,
    name: Bilingual,
    retired: bool,
    institution: i64,
    category: i64,
}

impl Item {
    /// From a `resources` row's id, names, status, institution and category.
    fn of(id: i64, zh: String, en: String, status: &str, institution: i64, category: i64) -> Item {
        Item {
            id,
            name: Bilingual { zh, en },
            retired: status == "retired",
            institution,
            category,
        }
    }
}

/// The per-resource sums the database returns.
#[derive(Default)]
struct Sums {
    figures: Figures,
    organisations: Vec<i64>,
}

/// (resource, start, end) rows as each resource's time slots; empty intervals are dropped.
pub fn slots_by_resource(rows: Vec<(i64, i64, i64)>) -> HashMap<i64, Vec<TimeSlot>> {
    let mut out: HashMap<i64, Vec<TimeSlot>> = HashMap::new();
    for (rid, s, e) in rows {
        if let Ok(slot) = TimeSlot::from_unix(s, e) {
            out.entry(rid).or_default().push(slot);
        }
    }
    out
}

/// The eight sums of the rollup table `usage_months x`, by the names of [`SumColumns`].
const ROLLUP_SUMS: &str = "CAST(SUM(x.used_s) AS BIGINT) AS used_s, CAST(SUM(x.no_show_s) AS BIGINT) AS no_show_s, \
    CAST(SUM(x.external_s) AS BIGINT) AS external_s, CAST(SUM(x.sme_s) AS BIGINT) AS sme_s, \
    CAST(SUM(x.bookings_n) AS BIGINT) AS bookings_n, CAST(SUM(x.cancelled_n) AS BIGINT) AS cancelled_n, \
    CAST(SUM(x.no_shows_n) AS BIGINT) AS no_shows_n, CAST(SUM(x.income_fen) AS BIGINT) AS income_fen";

/// The names of the eight sums, in the order of [`SumColumns`].
const SUM_NAMES: [&str; 8] = [
    "used_s",
    "no_show_s",
    "external_s",
    "sme_s",
    "bookings_n",
    "cancelled_n",
    "no_shows_n",
    "income_fen",
];

/// Ids joined by commas (as `Dialect::comma_list` gives them).
fn parse_ids(list: Option<String>) -> Vec<i64> {
    list.unwrap_or_default()
        .split(',')
        .filter_map(|o| o.parse().ok())
        .collect()
}

/// The eight sums of [`Db::sums_sql`], by the names it gives them.
#[derive(sqlx::FromRow)]
struct SumColumns {
    used_s: i64,
    no_show_s: i64,
    external_s: i64,
    sme_s: i64,
    bookings_n: i64,
    cancelled_n: i64,
    no_shows_n: i64,
    income_fen: i64,
}

impl From<SumColumns> for Figures {
    fn from(c: SumColumns) -> Figures {
        Figures {
            used: c.used_s,
            no_show_time: c.no_show_s,
            external: c.external_s,
            sme: c.sme_s,
            bookings: c.bookings_n,
            cancelled: c.cancelled_n,
            no_shows: c.no_shows_n,
            income_fen: c.income_fen,
            ..Figures::default()
        }
    }
}

/// The sums of one resource (`item`), with its distinct external organisations.
#[derive(sqlx::FromRow)]
struct ResourceSums {
    item: i64,
    #[sqlx(flatten)]
    sums: SumColumns,
    organisations: Option<String>,
}

/// The sums of one month (`item`, its index in the period).
#[derive(sqlx::FromRow)]
struct MonthSums {
    item: i64,
    #[sqlx(flatten)]
    sums: SumColumns,
}

/// A resource's opening hours as "weekday:opens-closes" entries joined by commas.
fn parse_hours(raw: &str) -> OpeningHours {
    let periods = raw
        .split(',')
        .filter_map(|p| {
            let (w, span) = p.split_once(':')?;
            let (o, c) = span.split_once('-')?;
            OpeningPeriod::new(w.parse().ok()?, o.parse().ok()?, c.parse().ok()?).ok()
        })
        .collect();
    OpeningHours { periods }
}

/// Names by id (institutions, categories).
type Names = HashMap<i64, Bilingual>;

/// The zone's closed days, and each resource's own.
pub type ClosedDays = (Vec<NaiveDate>, HashMap<i64, Vec<NaiveDate>>);

impl Db {
    /// The report of `scope` for `period`; `today` judges accreditation, `idle_below` (0–1) lists
    /// the idle resources.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn report<Tz: TimeZone + Sync>(
        &self,
        scope: Scope,
        period: Period,
        tz: &Tz,
        today: NaiveDate,
        idle_below: f64,
    ) -> Result<Report, sqlx::Error> {
        self.prepare_reports(tz).await?;
        let (a, b) = period_bounds(tz, &period);
        let split = Split::of(tz, &period);
        // The zone's offset in the middle of the period places bookings on the weekday × hour grid
        // (exact for zones without daylight saving, such as Asia/Shanghai).
        let offset = Utc
            .timestamp_opt((a + b) / 2, 0)
            .single()
            .map(|t| t.with_timezone(tz).offset().fix().local_minus_utc())
            .unwrap_or(0);

        let zones: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM zones")
            .fetch_one(self.pool())
            .await?;
        let whole = matches!(scope, Scope::Zone(_)) && zones == 1;
        let of_scope = scope.bookings_sql(whole);
        // Independent reads, side by side (each on a connection of its own).
        let (sums, month_sums, heat, items, services, names, accreditation) = tokio::try_join!(
            self.sums_by_resource(scope, &of_scope, &split),
            self.sums_by_month(scope, &of_scope, &split),
            self.heatmap_groups(scope, (&of_scope, whole), &split, i64::from(offset)),
            self.scope_resources(scope),
            self.service_figures(scope, (a, b), tz),
            self.report_names(scope),
            self.accreditation_overview(scope, today),
        )?;
        let available = self
            .available_by_resource(scope, &period, tz, &items)
            .await?;

        // Resources: every one not retired, and retired ones that were booked in the period.
        let mut lines: Vec<(Line, (i64, i64))> = Vec::new();
        let mut organisations: HashMap<i64, Vec<i64>> = HashMap::new();
        let mut sums = sums;
        for item in &items {
            let s = sums.remove(&item.id).unwrap_or_default();
            if item.retired && s.figures == Figures::default() {
                continue;
            }
            let mut figures = s.figures;
            figures.available = available.get(&item.id).map(|m| m.iter().sum()).unwrap_or(0);
            figures.external_organisations = s.organisations.len() as i64;
            organisations.insert(item.id, s.organisations);
            lines.push((
                Line {
                    id: item.id,
                    name: item.name.clone(),
                    institution: None,
                    category: None,
                    resources: 1,
                    figures,
                },
                (item.institution, item.category),
            ));
        }

        let (institution_names, category_names) = names;
        let name =
            |names: &HashMap<i64, Bilingual>, id: i64| names.get(&id).cloned().unwrap_or_default();
        let by_institution: Vec<(Line, i64)> =
            lines.iter().map(|(l, k)| (l.clone(), k.0)).collect();
        let by_category: Vec<(Line, i64)> = lines.iter().map(|(l, k)| (l.clone(), k.1)).collect();
        let institutions = roll_up(
            &by_institution,
            |k| name(&institution_names, k),
            |k| k,
            &organisations,
        );
        let categories = roll_up(
            &by_category,
            |k| name(&category_names, k),
            |k| k,
            &organisations,
        );

        let mut totals = Figures::default();
        let mut all_orgs = crate::domain::report::IdSet::default();
        for (line, _) in &lines {
            totals.add(&line.figures);
            all_orgs.extend(organisations.get(&line.id).into_iter().flatten().copied());
        }
        totals.external_organisations = all_orgs.len() as i64;

        let mut resources: Vec<Line> = lines
            .into_iter()
            .map(|(mut line, (institution, category))| {
                line.institution = Some(name(&institution_names, institution));
                line.category = Some(name(&category_names, category));
                line
            })
            .collect();
        resources.sort_by(|x, y| y.figures.used.cmp(&x.figures.used).then(x.id.cmp(&y.id)));
        let mut idle: Vec<Line> = resources
            .iter()
            .filter(|l| {
                l.figures.available > 0
                    && (l.figures.used as f64) < idle_below * l.figures.available as f64
            })
            .cloned()
            .collect();
        idle.sort_by(|x, y| {
            let share = |l: &Line| l.figures.used as f64 / l.figures.available as f64;
            share(x).total_cmp(&share(y)).then(x.id.cmp(&y.id))
        });

        let month_lines = period
            .months()
            .into_iter()
            .zip(month_sums)
            .enumerate()
            .map(|(i, ((from, to), mut figures))| {
                figures.available = available.values().map(|m| m[i]).sum();
                MonthLine { from, to, figures }
            })
            .collect();

        let (accreditation, accreditation_counts) = accreditation;
        let scope_view = match scope {
            Scope::Zone(_) => ReportScope::Zone {
                name: self.zone_name().await?,
            },
            Scope::Institution(id) => ReportScope::Institution {
                id,
                name: name(&institution_names, id.0),
            },
        };
        let mut institution_choices: Vec<Named<OrganisationId>> = institution_names
            .into_iter()
            .map(|(id, name)| Named {
                id: OrganisationId(id),
                name,
            })
            .collect();
        institution_choices.sort_by(|x, y| x.name.zh.cmp(&y.name.zh));
        Ok(Report {
            scope: scope_view,
            period,
            totals,
            institutions,
            categories,
            resource_count: resources.len(),
            resources,
            months: month_lines,
            heatmap: spread_heatmap(&heat),
            idle_below,
            idle_count: idle.len(),
            idle,
            accreditation,
            accreditation_counts,
            today,
            institution_choices,
            services,
        })
    }

    /// The zone of institution `id` (`None` when there is no such institution).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn institution_zone(
        &self,
        id: OrganisationId,
    ) -> Result<Option<Option<ZoneId>>, sqlx::Error> {
        let row: Option<(Option<i64>,)> = sqlx::query_as(
            "SELECT zone_id FROM organisations WHERE id = $1 AND kind = 'institution'",
        )
        .bind(id.0)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| r.0.map(ZoneId)))
    }

    /// The zone's institution with the lowest id.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn first_institution(
        &self,
        zone: ZoneId,
    ) -> Result<Option<OrganisationId>, sqlx::Error> {
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(id) FROM organisations WHERE kind = 'institution' AND zone_id = $1",
        )
        .bind(zone.0)
        .fetch_one(self.pool())
        .await?;
        Ok(id.map(OrganisationId))
    }

    /// Used, no-show, external and SME time clipped to `[a, b)`, counts and income of the bookings
    /// starting in it, and the distinct external organisations — per resource, in one scan of the
    /// bookings.
    async fn direct_sums_by_resource(
        &self,
        scope: Scope,
        of_scope: &str,
        a: i64,
        b: i64,
    ) -> Result<HashMap<i64, Sums>, sqlx::Error> {
        let external_org = "CASE WHEN x.status IN ('confirmed', 'completed') AND x.customer_category <> 'own' THEN x.organisation_id END";
        let organisations = self.dialect().comma_list(external_org, true);
        let sql = format!(
            "SELECT x.resource_id AS item, {sums}, \
               {organisations} AS organisations \
             FROM bookings x \
             WHERE x.starts_at >= $4 AND x.starts_at < $3 AND x.ends_at > $2 \
               AND {of_scope} \
             GROUP BY x.resource_id",
            sums = self.sums_sql("$2", "$3"),
        );
        let rows: Vec<ResourceSums> = sqlx::query_as(&sql)
            .bind(scope.id())
            .bind(a)
            .bind(b)
            .bind(a - super::bookable::MAX_BLOCK_SECONDS)
            .fetch_all(self.pool())
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let organisations = parse_ids(r.organisations);
                (
                    r.item,
                    Sums {
                        figures: r.sums.into(),
                        organisations,
                    },
                )
            })
            .collect())
    }

    /// The same sums per month (`months` are `[start, end)` instants), without available time and
    /// organisations, from the bookings.
    async fn direct_sums_by_month(
        &self,
        scope: Scope,
        of_scope: &str,
        months: &[(i64, i64)],
    ) -> Result<Vec<Figures>, sqlx::Error> {
        if months.is_empty() {
            return Ok(Vec::new());
        }
        // The month bounds are computed here, not typed by anyone: written into the text.
        let values: Vec<String> = months
            .iter()
            .enumerate()
            .map(|(i, (s, e))| format!("({i}, {s}, {e})"))
            .collect();
        let sql = format!(
            "WITH m(k, s, e) AS (VALUES {values}) \
             SELECT m.k AS item, {sums} \
             FROM m JOIN bookings x ON x.starts_at >= m.s - $2 AND x.starts_at < m.e AND x.ends_at > m.s \
             WHERE {of_scope} \
             GROUP BY m.k",
            values = values.join(", "),
            sums = self.sums_sql("m.s", "m.e"),
        );
        let rows: Vec<MonthSums> = sqlx::query_as(&sql)
            .bind(scope.id())
            .bind(super::bookable::MAX_BLOCK_SECONDS)
            .fetch_all(self.pool())
            .await?;
        let mut out = vec![Figures::default(); months.len()];
        for r in rows {
            if let Some(f) = usize::try_from(r.item).ok().and_then(|k| out.get_mut(k)) {
                *f = r.sums.into();
            }
        }
        Ok(out)
    }

    /// Used bookings clipped to `[a, b)`, grouped by the local minute of the week they start at
    /// and their length: (minute, seconds, count), for `spread_heatmap`, from the bookings.
    async fn direct_heatmap_groups(
        &self,
        scope: Scope,
        of_scope: &str,
        a: i64,
        b: i64,
        offset: i64,
    ) -> Result<Vec<(i64, i64, i64)>, sqlx::Error> {
        let dialect = self.dialect();
        let start = dialect.greatest("x.starts_at", "$2");
        let length = dialect.clipped("x.starts_at", "x.ends_at", "$2", "$3");
        // 1970-01-01 was a Thursday: three days earlier the week began. The status is tested in
        // the sums, not the WHERE, so that the planner keeps to the covering range scan instead of
        // the (status, start) index and a table read per booking.
        let sql = format!(
            "SELECT CAST((({start} + $5 + 259200) % 604800) / 60 AS BIGINT), \
               CAST({length} AS BIGINT), \
               CAST(SUM(CASE WHEN x.status IN ('confirmed', 'completed') THEN 1 ELSE 0 END) AS BIGINT) \
             FROM bookings x \
             WHERE x.starts_at >= $4 AND x.starts_at < $3 AND x.ends_at > $2 \
               AND {of_scope} \
             GROUP BY 1, 2 \
             HAVING SUM(CASE WHEN x.status IN ('confirmed', 'completed') THEN 1 ELSE 0 END) > 0",
        );
        sqlx::query_as(&sql)
            .bind(scope.id())
            .bind(a)
            .bind(b)
            .bind(a - super::bookable::MAX_BLOCK_SECONDS)
            .bind(offset)
            .fetch_all(self.pool())
            .await
    }

    /// Per resource over the period: the whole months from the rollups, the partial months at the
    /// edges from the bookings.
    #[tracing::instrument(level = "debug", skip_all)]
    async fn sums_by_resource(
        &self,
        scope: Scope,
        of_scope: &str,
        split: &Split,
    ) -> Result<HashMap<i64, Sums>, sqlx::Error> {
        let mut out: HashMap<i64, Sums> = HashMap::new();
        let mut add = |parts: HashMap<i64, Sums>| {
            for (id, part) in parts {
                let sums = out.entry(id).or_default();
                sums.figures.add(&part.figures);
                sums.organisations.extend(part.organisations);
            }
        };
        if let Some(whole) = split.whole {
            // A calendar year from its own rollups (one row per resource); else by month.
            // A year is one value of `year_start`: asked with `=`, the primary key (year_start,
            // resource_id, …) hands the rows over already grouped by resource, where a range made
            // SQLite sort them first (164 → 97 ms in its shell at ten thousand resources).
            let (sums_table, orgs_table, from, (a, b)) = match split.year {
                Some(y) => (
                    "usage_years",
                    "usage_orgs_years",
                    "x.year_start = $2 AND x.year_start",
                    (y, y + 1),
                ),
                None => (
                    "usage_months",
                    "usage_orgs",
                    "x.month_start >= $2 AND x.month_start",
                    whole,
                ),
            };
            // One text for the whole answer — "id:eight sums:organisations;…" — rather than a row
            // per resource: through the driver each row costs more than the sums (measured).
            let d = self.dialect();
            let fields: Vec<String> = SUM_NAMES.iter().map(|n| format!("s.{n}")).collect();
            let mut record: Vec<&str> = vec!["s.rid"];
            for f in &fields {
                record.extend(["':'", f.as_str()]);
            }
            record.extend(["':'", "COALESCE(o.list, '')"]);
            let sql = format!(
                "SELECT {answer} FROM (\
                   SELECT x.resource_id AS rid, {sums} FROM {sums_table} x \
                   WHERE {from} < $3 AND {of_scope} GROUP BY x.resource_id) s \
                 LEFT JOIN (\
                   SELECT x.resource_id AS rid, {list} AS list FROM {orgs_table} x \
                   WHERE {from} < $3 AND x.n > 0 AND {of_scope} GROUP BY x.resource_id) o \
                 ON o.rid = s.rid",
                answer = d.joined(&d.concat(&record), ";"),
                sums = ROLLUP_SUMS,
                list = d.comma_list("x.organisation_id", split.year.is_none()),
            );
            let text: Option<String> = sqlx::query_scalar(&sql)
                .bind(scope.id())
                .bind(a)
                .bind(b)
                .fetch_one(self.pool())
                .await?;
            let mut whole: HashMap<i64, Sums> = HashMap::new();
            for record in text.as_deref().unwrap_or_default().split(';') {
                let mut parts = record.split(':');
                let Some(Ok(id)) = parts.next().map(str::parse::<i64>) else {
                    continue;
                };
                let mut v = [0i64; 8];
                for slot in v.iter_mut() {
                    *slot = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
                }
                let figures = Figures::from(SumColumns {
                    used_s: v[0],
                    no_show_s: v[1],
                    external_s: v[2],
                    sme_s: v[3],
                    bookings_n: v[4],
                    cancelled_n: v[5],
                    no_shows_n: v[6],
                    income_fen: v[7],
                });
                let organisations = parse_ids(parts.next().map(str::to_string));
                whole.insert(
                    id,
                    Sums {
                        figures,
                        organisations,
                    },
                );
            }
            add(whole);
        }
        for &(_, (a, b)) in &split.edges {
            add(self.direct_sums_by_resource(scope, of_scope, a, b).await?);
        }
        for sums in out.values_mut() {
            sums.organisations.sort_unstable();
            sums.organisations.dedup();
        }
        Ok(out)
    }

    /// Per month of the period: whole months from the rollups, partial ones from the bookings.
    #[tracing::instrument(level = "debug", skip_all)]
    async fn sums_by_month(
        &self,
        scope: Scope,
        of_scope: &str,
        split: &Split,
    ) -> Result<Vec<Figures>, sqlx::Error> {
        let mut out = vec![Figures::default(); split.months.len()];
        if let Some((a, b)) = split.whole {
            let sql = format!(
                "SELECT x.month_start AS item, {sums} FROM usage_months x \
                 WHERE x.month_start >= $2 AND x.month_start < $3 AND {of_scope} GROUP BY x.month_start",
                sums = ROLLUP_SUMS,
            );
            let rows: Vec<MonthSums> = sqlx::query_as(&sql)
                .bind(scope.id())
                .bind(a)
                .bind(b)
                .fetch_all(self.pool())
                .await?;
            for r in rows {
                if let Some(i) = split.months.iter().position(|m| m.0 == r.item) {
                    out[i] = r.sums.into();
                }
            }
        }
        let edges: Vec<(i64, i64)> = split.edges.iter().map(|e| e.1).collect();
        let direct = self.direct_sums_by_month(scope, of_scope, &edges).await?;
        for ((i, _), figures) in split.edges.iter().zip(direct) {
            out[*i] = figures;
        }
        Ok(out)
    }

    /// The weekday × hour grid's groups over the period: whole months from the rollups (each
    /// booking cut at month boundaries, which spreads over the same hours), edges from the
    /// bookings.
    #[tracing::instrument(level = "debug", skip_all)]
    async fn heatmap_groups(
        &self,
        scope: Scope,
        (of_scope, whole): (&str, bool),
        split: &Split,
        offset: i64,
    ) -> Result<Vec<(i64, i64, i64)>, sqlx::Error> {
        let mut out = Vec::new();
        if let Some(months) = split.whole {
            let institutions = scope.institutions_sql(whole);
            let (table, key, (a, b)) = match split.year {
                Some(y) => ("usage_heat_years", "year_start", (y, y + 1)),
                None => ("usage_heat", "month_start", months),
            };
            let sql = format!(
                "SELECT x.minute, x.length_s, CAST(SUM(x.n) AS BIGINT) FROM {table} x \
                 WHERE x.{key} >= $2 AND x.{key} < $3 AND {institutions} \
                 GROUP BY x.minute, x.length_s HAVING SUM(x.n) > 0",
            );
            out = sqlx::query_as(&sql)
                .bind(scope.id())
                .bind(a)
                .bind(b)
                .fetch_all(self.pool())
                .await?;
        }
        for &(_, (a, b)) in &split.edges {
            out.extend(
                self.direct_heatmap_groups(scope, of_scope, a, b, offset)
                    .await?,
            );
        }
        Ok(out)
    }

    /// The scope's resources in id order. One text for the whole answer (fields split by U+001F,
    /// records by U+001E; names cannot hold control characters), as in [`Db::sums_by_resource`]:
    /// at ten thousand resources a row each through the driver took ~50 ms, the text ~10. Should
    /// a record not split into its six fields, the rows are read one by one instead.
    #[tracing::instrument(level = "debug", skip_all)]
    async fn scope_resources(&self, scope: Scope) -> Result<Vec<Item>, sqlx::Error> {
        const FIELD: &str = "'\u{1f}'";
        let d = self.dialect();
        let mut record = vec!["r.id"];
        for column in [
            "r.name_zh",
            "r.name_en",
            "r.status",
            "r.institution_id",
            "r.category_id",
        ] {
            record.extend([FIELD, column]);
        }
        let sql = format!(
            "SELECT {} FROM resources r WHERE {}",
            d.joined(&d.concat(&record), "\u{1e}"),
            scope.resources_sql()
        );
        let text: Option<String> = sqlx::query_scalar(&sql)
            .bind(scope.id())
            .fetch_one(self.pool())
            .await?;
        let parse = |record: &str| {
            let fields: Vec<&str> = record.split('\u{1f}').collect();
            let [id, zh, en, status, institution, category] = fields[..] else {
                return None;
            };
            Some(Item::of(
                id.parse().ok()?,
                zh.to_string(),
                en.to_string(),
                status,
                institution.parse().ok()?,
                category.parse().ok()?,
            ))
        };
        let text = text.unwrap_or_default();
        let parsed: Option<Vec<Item>> = text
            .split('\u{1e}')
            .filter(|r| !r.is_empty())
            .map(parse)
            .collect();
        let mut items = match parsed {
            Some(items) => items,
            None => self.scope_resource_rows(scope).await?,
        };
        items.sort_unstable_by_key(|i| i.id);
        Ok(items)
    }

    /// [`Db::scope_resources`] a row each.
    async fn scope_resource_rows(&self, scope: Scope) -> Result<Vec<Item>, sqlx::Error> {
        let sql = format!(
            "SELECT r.id, r.name_zh, r.name_en, r.status, r.institution_id, r.category_id \
             FROM resources r WHERE {}",
            scope.resources_sql()
        );
        let rows: Vec<(i64, String, String, String, i64, i64)> = sqlx::query_as(&sql)
            .bind(scope.id())
            .fetch_all(self.pool())
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, zh, en, status, institution, category)| {
                Item::of(id, zh, en, &status, institution, category)
            })
            .collect())
    }

    /// The institutions of the scope's zone (or the one institution) and every category, by id.
    #[tracing::instrument(level = "debug", skip_all)]
    async fn report_names(&self, scope: Scope) -> Result<(Names, Names), sqlx::Error> {
        let sql = match scope {
            Scope::Zone(_) => {
                "SELECT id, name_zh, name_en FROM organisations WHERE kind = 'institution' AND zone_id = $1"
            }
            Scope::Institution(_) => "SELECT id, name_zh, name_en FROM organisations WHERE id = $1",
        };
        let named = |rows: Vec<(i64, String, String)>| {
            rows.into_iter()
                .map(|(id, zh, en)| (id, Bilingual { zh, en }))
                .collect::<HashMap<_, _>>()
        };
        let institutions = sqlx::query_as(sql)
            .bind(scope.id())
            .fetch_all(self.pool())
            .await?;
        let categories = sqlx::query_as("SELECT id, name_zh, name_en FROM categories")
            .fetch_all(self.pool())
            .await?;
        Ok((named(institutions), named(categories)))
    }

    /// Available seconds of each resource in each month of the period. Resources with the same
    /// weekly hours and no closed days of their own share one computation, less what each one's
    /// blackouts take.
    #[tracing::instrument(level = "debug", skip_all)]
    async fn available_by_resource<Tz: TimeZone>(
        &self,
        scope: Scope,
        period: &Period,
        tz: &Tz,
        items: &[Item],
    ) -> Result<HashMap<i64, Vec<i64>>, sqlx::Error> {
        let (a, b) = period_bounds(tz, period);
        // Weekly hours from this process's copy (kept for the time-first search); only resources
        // without booking rules, which the copy leaves out, are read here.
        let snapshot = self.bookables(chrono::Utc::now()).await?;
        let missing: Vec<String> = items
            .iter()
            .filter(|i| snapshot.get(i.id).is_none())
            .map(|i| i.id.to_string())
            .collect();
        let mut hour_rows: Vec<(i64, OpeningHours)> = items
            .iter()
            .filter_map(|i| snapshot.get(i.id).map(|e| (i.id, e.bookable.hours.clone())))
            .collect();
        if !missing.is_empty() {
            let dialect = self.dialect();
            let hours_sql = dialect.comma_list(
                &dialect.concat(&[
                    "h.weekday",
                    "':'",
                    "h.opens_minute",
                    "'-'",
                    "h.closes_minute",
                ]),
                false,
            );
            // Ids read from the database, written into the text.
            let sql = format!(
                "SELECT h.resource_id, {hours_sql} FROM opening_hours h \
                 WHERE h.resource_id IN ({}) GROUP BY h.resource_id",
                missing.join(",")
            );
            let rows: Vec<(i64, String)> = sqlx::query_as(&sql).fetch_all(self.pool()).await?;
            hour_rows.extend(rows.into_iter().map(|(id, raw)| (id, parse_hours(&raw))));
        }

        let sql = format!(
            "SELECT k.resource_id, k.starts_at, k.ends_at FROM blackouts k JOIN resources r ON r.id = k.resource_id \
             WHERE {} AND k.starts_at < $2 AND $3 < k.ends_at",
            scope.resources_sql()
        );
        let blackout_rows: Vec<(i64, i64, i64)> = sqlx::query_as(&sql)
            .bind(scope.id())
            .bind(b)
            .bind(a)
            .fetch_all(self.pool())
            .await?;
        let blackouts = slots_by_resource(blackout_rows);

        let (zone_closed, closed) = self.closed_days(period.from, period.to).await?;
        let months: Vec<TimeSlot> = period
            .months()
            .iter()
            .filter_map(|&(from, to)| {
                let (s, e) = period_bounds(
                    tz,
                    &Period {
                        from,
                        to,
                        ..*period
                    },
                );
                TimeSlot::from_unix(s, e).ok()
            })
            .collect();
        let per_month = |hours: &OpeningHours, days: &[NaiveDate], blackouts: &[TimeSlot]| {
            months
                .iter()
                .map(|m| available_seconds(hours, tz, m, days, blackouts))
                .collect::<Vec<i64>>()
        };

        let mut shared: HashMap<Vec<(u8, u16, u16)>, Vec<i64>> = HashMap::new();
        let mut out = HashMap::new();
        for (rid, hours) in hour_rows {
            if hours.periods.is_empty() {
                continue;
            }
            let mut key: Vec<(u8, u16, u16)> = hours
                .periods
                .iter()
                .map(|p| (p.weekday, p.opens_minute, p.closes_minute))
                .collect();
            key.sort_unstable();
            let own_blackouts = blackouts.get(&rid).map(Vec::as_slice).unwrap_or_default();
            let own_closed = closed.get(&rid);
            let figures = if own_closed.is_none() {
                // The pattern's figures, less what this resource's blackouts take.
                let mut figures = shared
                    .entry(key)
                    .or_insert_with(|| per_month(&hours, &zone_closed, &[]))
                    .clone();
                if !own_blackouts.is_empty() {
                    for (f, m) in figures.iter_mut().zip(&months) {
                        *f -= blacked_out_seconds(&hours, tz, m, &zone_closed, own_blackouts);
                    }
                }
                figures
            } else {
                let mut days = zone_closed.clone();
                days.extend(own_closed.into_iter().flatten().copied());
                per_month(&hours, &days, own_blackouts)
            };
            out.insert(rid, figures);
        }
        // Resources without any opening hours are never open.
        for item in items {
            out.entry(item.id).or_insert_with(|| vec![0; months.len()]);
        }
        Ok(out)
    }

    /// Closed days in `from ..= to`: the zone's, and each resource's own.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn closed_days(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<ClosedDays, sqlx::Error> {
        let rows: Vec<(Option<i64>, String)> = sqlx::query_as(
            "SELECT resource_id, day FROM closure_days WHERE day >= $1 AND day <= $2",
        )
        .bind(from.format("%Y-%m-%d").to_string())
        .bind(to.format("%Y-%m-%d").to_string())
        .fetch_all(self.pool())
        .await?;
        let mut zone = Vec::new();
        let mut own: HashMap<i64, Vec<NaiveDate>> = HashMap::new();
        for (rid, d) in rows {
            if let Ok(d) = NaiveDate::parse_from_str(&d, "%Y-%m-%d") {
                match rid {
                    Some(r) => own.entry(r).or_default().push(d),
                    None => zone.push(d),
                }
            }
        }
        Ok((zone, own))
    }

    /// Accreditation of the scope's resources: the expired and expiring entries, and counts of all
    /// entries by standing on `today`.
    #[tracing::instrument(level = "debug", skip_all)]
    async fn accreditation_overview(
        &self,
        scope: Scope,
        today: NaiveDate,
    ) -> Result<(Vec<AccreditationLine>, AccreditationCounts), sqlx::Error> {
        // Valid entries (in force and not within the warning period, as `AccreditationStanding::on`
        // judges) are only counted; the others are listed.
        let valid = "a.valid_from <= $2 AND a.valid_until > $3";
        let of_scope = format!(
            "FROM accreditations a JOIN resources r ON r.id = a.resource_id JOIN organisations o ON o.id = r.institution_id \
             WHERE {} AND r.status <> 'retired'",
            scope.resources_sql()
        );
        let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        let warned = day(today + chrono::Duration::days(EXPIRY_WARNING_DAYS));
        let valid_count: i64 =
            sqlx::query_scalar(&format!("SELECT COUNT(*) {of_scope} AND {valid}"))
                .bind(scope.id())
                .bind(day(today))
                .bind(&warned)
                .fetch_one(self.pool())
                .await?;
        let sql = format!(
            "SELECT r.id, r.name_zh, r.name_en, o.name_zh, o.name_en, a.body, a.certificate_number, a.valid_from, a.valid_until \
             {of_scope} AND NOT ({valid}) ORDER BY a.valid_until, r.id"
        );
        type Row = (
            i64,
            String,
            String,
            String,
            String,
            String,
            String,
            String,
            String,
        );
        let rows: Vec<Row> = sqlx::query_as(&sql)
            .bind(scope.id())
            .bind(day(today))
            .bind(&warned)
            .fetch_all(self.pool())
            .await?;
        let mut counts = AccreditationCounts {
            valid: valid_count,
            ..AccreditationCounts::default()
        };
        let mut lines = Vec::new();
        for (rid, rzh, ren, izh, ien, body, certificate, from, until) in rows {
            let (Ok(from), Ok(until), Some(body)) = (
                NaiveDate::parse_from_str(&from, "%Y-%m-%d"),
                NaiveDate::parse_from_str(&until, "%Y-%m-%d"),
                AccreditationBody::parse(&body),
            ) else {
                continue;
            };
            let standing = AccreditationStanding::on(today, from, until);
            match standing {
                AccreditationStanding::Valid => {
                    counts.valid += 1;
                    continue;
                }
                AccreditationStanding::Expiring => counts.expiring += 1,
                AccreditationStanding::Expired => counts.expired += 1,
            }
            lines.push(AccreditationLine {
                resource: Named {
                    id: ResourceId(rid),
                    name: Bilingual { zh: rzh, en: ren },
                },
                institution: Bilingual { zh: izh, en: ien },
                body,
                certificate_number: certificate,
                valid_until: until,
                standing,
            });
        }
        // Expiring first (they can still be renewed in time), then the expired, most recent first.
        lines.sort_by(|x, y| {
            let rank = |l: &AccreditationLine| (l.standing == AccreditationStanding::Expired) as u8;
            rank(x)
                .cmp(&rank(y))
                .then(match x.standing {
                    AccreditationStanding::Expired => y.valid_until.cmp(&x.valid_until),
                    _ => x.valid_until.cmp(&y.valid_until),
                })
                .then(x.resource.id.0.cmp(&y.resource.id.0))
        });
        Ok((lines, counts))
    }
}

/// The scope of the report `which` if `actor` may read it: a zone manager their zone's, an
/// institution's admins and its zone's managers an institution's (`institution`, or the first one
/// the reader runs or, for a zone manager, the zone's first). Asked before anything else of the
/// request is looked at.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn authorize(
    state: &super::AppState,
    actor: Option<&crate::domain::account::Actor>,
    which: crate::domain::report::Which,
    institution: Option<OrganisationId>,
) -> Result<Scope, crate::error::AppError> {
    use crate::domain::policy::{require, Action, Target};
    use crate::domain::report::Which;
    use crate::error::AppError;
    let person = actor.ok_or(AppError::NotSignedIn)?;
    let scope = match which {
        Which::Zone => {
            let zone = person.managed_zones().next().ok_or(AppError::Forbidden)?;
            require(actor, Action::ReadZoneReport, Target::Zone(zone))?;
            Scope::Zone(zone)
        }
        Which::Institution => {
            let id = match institution {
                Some(id) => id,
                None => match (person.administered().next(), person.managed_zones().next()) {
                    (Some(id), _) => id,
                    // A zone manager starts at the zone's first institution.
                    (None, Some(zone)) => state
                        .db
                        .first_institution(zone)
                        .await?
                        .ok_or(AppError::NotFound)?,
                    (None, None) => return Err(AppError::Forbidden),
                },
            };
            let zone = state
                .db
                .institution_zone(id)
                .await?
                .ok_or(AppError::NotFound)?;
            require(
                actor,
                Action::ReadInstitutionReport,
                Target::Institution { id, zone },
            )?;
            Scope::Institution(id)
        }
    };
    Ok(scope)
}
