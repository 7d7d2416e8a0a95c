//! What makes a resource bookable — its rules, status, weekly hours and the time its bookings
//! and blackouts take over the search horizon — held in memory for the time-first search, which
//! would otherwise read ~10,000 rule rows, ~70,000 hour rows and every booking near the range
//! through the database driver on every request.
//!
//! The copy stays exact although any process may change the database: triggers log every change
//! of rules, hours, status, placement (kind, category, institution), blocking bookings and
//! blackouts in `resource_changes` (migrations 0013 and 0015), and each use first asks the log two
//! cheap questions on its key — its newest entry, and how many entries lie in the recent window —
//! then reloads only the resources logged since. The window (the last [`WINDOW`] entries, not
//! just those after the newest one seen) catches a PostgreSQL transaction that took a sequence
//! number early and committed late.

use super::availability::MAX_BLOCK_SECONDS;
use super::catalogue::{RulesRow, RULES_COLUMNS};
use super::Dialect;
use crate::domain::catalogue::{CatalogueFilter, ResourceKind, ResourceStatus};
use crate::domain::rules::BookingRules;
use crate::domain::schedule::{OpeningHours, OpeningPeriod};
use crate::domain::time::TimeSlot;
use chrono::{DateTime, Duration, Utc};
use sqlx::AnyPool;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// How many of the newest log entries are re-read to catch late commits.
const WINDOW: i64 = 256;

/// How far back from the moment of loading the copy holds busy time (a search starts at the
/// earliest at today's midnight, less the widest buffer).
const HORIZON_BEHIND_DAYS: i64 = 3;
/// How far ahead it holds busy time; searches reaching further read it from the database.
const HORIZON_AHEAD_DAYS: i64 = 150;
/// The copy is loaded afresh, with its horizon moved on, once less than this is left ahead.
const HORIZON_RENEW_DAYS: i64 = 60;
/// Above this many changed resources one full read is cheaper than a list of ids.
const RELOAD_ALL_ABOVE: usize = 2_000;

/// What makes one resource bookable, and where it is listed.
#[derive(Debug, Clone)]
pub struct Bookable {
    pub rules: BookingRules,
    pub status: ResourceStatus,
    pub hours: OpeningHours,
    pub kind: ResourceKind,
    pub category: i64,
    pub institution: i64,
    /// What blocks its time within the copy's horizon: active bookings (with their buffers) and
    /// blackouts, by start.
    pub busy: Vec<TimeSlot>,
}

impl Bookable {
    /// Whether the catalogue filter's kind, category, institution and status let it through
    /// (retired resources never). The other parts of a filter are the database's to answer.
    pub fn listed_by(&self, filter: &CatalogueFilter) -> bool {
        self.status != ResourceStatus::Retired
            && filter.kind.is_none_or(|k| k == self.kind)
            && filter.category.is_none_or(|c| c.0 == self.category)
            && filter.institution.is_none_or(|i| i.0 == self.institution)
            && filter.status.is_none_or(|s| s == self.status)
    }
}

/// Whether `filter` asks only what [`Bookable::listed_by`] answers.
pub fn filter_in_memory(filter: &CatalogueFilter) -> bool {
    filter.text.is_empty()
        && filter.body.is_none()
        && filter.standard.is_none()
        && filter.max_per_hour.is_none()
}

/// Every resource's (resources without rules are not searchable and absent), and the horizon
/// over which their busy time is complete.
#[derive(Debug)]
pub struct Snapshot {
    pub resources: HashMap<i64, Arc<Bookable>>,
    pub horizon: TimeSlot,
}

pub type Bookables = Arc<Snapshot>;

/// The copy and what of the log it reflects.
#[derive(Default)]
pub struct BookableCache {
    state: tokio::sync::Mutex<Option<Copy>>,
}

struct Copy {
    bookables: Bookables,
    /// The log's newest entry and its count of entries above `newest - WINDOW`, when read.
    version: (i64, i64),
    /// Entries of the recent window already applied.
    applied: BTreeSet<i64>,
}

#[derive(sqlx::FromRow)]
struct BookableRow {
    #[sqlx(flatten)]
    rules: RulesRow,
    resource_status: String,
    resource_kind: String,
    category_id: i64,
    institution_id: i64,
}

impl BookableCache {
    /// Every resource's rules, status, hours and busy time, current as of this call. `now`
    /// places the horizon when the copy is (re)loaded; a copy whose horizon runs out within
    /// [`HORIZON_RENEW_DAYS`] of `now` is loaded afresh.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn current(
        &self,
        pool: &AnyPool,
        dialect: Dialect,
        now: DateTime<Utc>,
    ) -> Result<Bookables, sqlx::Error> {
        // One round trip: the newest entry, and how many lie in the window below it.
        let (newest, recent): (i64, i64) = sqlx::query_as(
            "WITH top(n) AS (SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) FROM resource_changes) \
             SELECT top.n, (SELECT COUNT(*) FROM resource_changes WHERE seq > top.n - $1) FROM top",
        )
        .bind(WINDOW)
        .fetch_one(pool)
        .await?;
        let version = (newest, recent);
        let mut state = self.state.lock().await;
        let renew = now + Duration::days(HORIZON_RENEW_DAYS);
        let old = state.take().filter(|c| c.bookables.horizon.end() > renew);
        if let Some(copy) = old.as_ref().filter(|c| c.version == version) {
            let bookables = copy.bookables.clone();
            *state = old;
            return Ok(bookables);
        }
        let Some(old) = old else {
            // First use, or the horizon has run out: read everything, with the log's window as
            // read before (anything committed since is read again next time).
            let window: Vec<(i64, i64)> =
                sqlx::query_as("SELECT seq, resource_id FROM resource_changes WHERE seq > $1")
                    .bind(newest - WINDOW)
                    .fetch_all(pool)
                    .await?;
            let horizon = TimeSlot::new(
                now - Duration::days(HORIZON_BEHIND_DAYS),
                now + Duration::days(HORIZON_AHEAD_DAYS),
            )
            .map_err(|_| sqlx::Error::Decode("horizon".into()))?;
            let copy = Copy {
                bookables: Arc::new(Snapshot {
                    resources: load(pool, dialect, None, &horizon).await?,
                    horizon,
                }),
                version,
                applied: window.iter().map(|(seq, _)| *seq).collect(),
            };
            let bookables = copy.bookables.clone();
            *state = Some(copy);
            return Ok(bookables);
        };
        // Everything after the old window's start: the entries not applied yet are the changes.
        let from = old.version.0.min(newest) - WINDOW;
        let entries: Vec<(i64, i64)> =
            sqlx::query_as("SELECT seq, resource_id FROM resource_changes WHERE seq > $1")
                .bind(from)
                .fetch_all(pool)
                .await?;
        let mut changed: Vec<i64> = entries
            .iter()
            .filter(|(seq, _)| !old.applied.contains(seq))
            .map(|(_, r)| *r)
            .collect::<HashSet<i64>>()
            .into_iter()
            .collect();
        changed.sort_unstable();
        let horizon = old.bookables.horizon;
        let resources = if changed.len() > RELOAD_ALL_ABOVE {
            load(pool, dialect, None, &horizon).await?
        } else {
            let fresh = load(pool, dialect, Some(&changed), &horizon).await?;
            let mut map = old.bookables.resources.clone();
            for id in &changed {
                match fresh.get(id) {
                    Some(s) => map.insert(*id, s.clone()),
                    None => map.remove(id),
                };
            }
            map
        };
        let copy = Copy {
            bookables: Arc::new(Snapshot { resources, horizon }),
            version,
            applied: entries
                .iter()
                .map(|(seq, _)| *seq)
                .filter(|seq| *seq > newest - WINDOW)
                .collect(),
        };
        let bookables = copy.bookables.clone();
        *state = Some(copy);
        Ok(bookables)
    }
}

/// Reads what makes `only` these resources bookable, or all of them, with their busy time
/// within `horizon`.
async fn load(
    pool: &AnyPool,
    dialect: Dialect,
    only: Option<&[i64]>,
    horizon: &TimeSlot,
) -> Result<HashMap<i64, Arc<Bookable>>, sqlx::Error> {
    if only.is_some_and(|ids| ids.is_empty()) {
        return Ok(HashMap::new());
    }
    let only_where = |column: &str| only_where(only, column);
    let rows: Vec<BookableRow> = sqlx::query_as(&format!(
        "SELECT {RULES_COLUMNS}, r.status AS resource_status, r.kind AS resource_kind, r.category_id, r.institution_id \
         FROM booking_rules b JOIN resources r ON r.id = b.resource_id WHERE 1 = 1{}",
        only_where("b.resource_id")
    ))
    .fetch_all(pool)
    .await?;
    let hour_rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT h.resource_id, h.weekday, h.opens_minute, h.closes_minute FROM opening_hours h WHERE 1 = 1{}",
        only_where("h.resource_id")
    ))
    .fetch_all(pool)
    .await?;
    let mut hours: HashMap<i64, OpeningHours> = HashMap::new();
    for (rid, w, o, c) in hour_rows {
        let (Ok(w), Ok(o), Ok(c)) = (u8::try_from(w), u16::try_from(o), u16::try_from(c)) else {
            continue;
        };
        if let Ok(p) = OpeningPeriod::new(w, o, c) {
            hours.entry(rid).or_default().periods.push(p);
        }
    }
    let mut busy = busy_within(pool, dialect, horizon, only).await?;
    let mut out = HashMap::with_capacity(rows.len());
    for row in rows {
        let id = row.rules.resource_id;
        let status = ResourceStatus::parse(&row.resource_status)
            .ok_or_else(|| sqlx::Error::Decode("resource status".into()))?;
        let kind = ResourceKind::parse(&row.resource_kind)
            .ok_or_else(|| sqlx::Error::Decode("resource kind".into()))?;
        let mut busy = busy.remove(&id).unwrap_or_default();
        busy.sort();
        out.insert(
            id,
            Arc::new(Bookable {
                rules: row.rules.rules()?,
                status,
                hours: hours.remove(&id).unwrap_or_default(),
                kind,
                category: row.category_id,
                institution: row.institution_id,
                busy,
            }),
        );
    }
    Ok(out)
}

/// Active bookings' blocked time and blackouts overlapping `horizon`, by resource. They travel
/// as one text: through the driver a row costs about two microseconds.
pub(super) async fn busy_within(
    pool: &AnyPool,
    dialect: Dialect,
    horizon: &TimeSlot,
    only: Option<&[i64]>,
) -> Result<HashMap<i64, Vec<TimeSlot>>, sqlx::Error> {
    let d = dialect;
    // The lower bound on blocked_from turns the read into one range scan of an index.
    let sql = format!(
        "SELECT {list} FROM (\
         SELECT x.resource_id AS rid, x.blocked_from AS s, x.blocked_until AS e FROM bookings x \
           WHERE x.status IN ('pending', 'confirmed') AND x.blocked_from < $1 AND $2 < x.blocked_until AND x.blocked_from >= $3{} \
         UNION ALL \
         SELECT k.resource_id, k.starts_at, k.ends_at FROM blackouts k WHERE k.starts_at < $1 AND $2 < k.ends_at{}) t",
        only_where(only, "x.resource_id"),
        only_where(only, "k.resource_id"),
        list = d.comma_list(&d.concat(&["t.rid", "':'", "t.s", "':'", "t.e"]), false),
    );
    let text: Option<String> = sqlx::query_scalar(&sql)
        .bind(horizon.end().timestamp())
        .bind(horizon.start().timestamp())
        .bind(horizon.start().timestamp() - MAX_BLOCK_SECONDS)
        .fetch_one(pool)
        .await?;
    Ok(parse_busy(text.as_deref().unwrap_or_default()))
}

/// ` AND column IN (…)` for `only` these resources; nothing for all. The ids are numbers read
/// from the log, written into the text.
fn only_where(only: Option<&[i64]>, column: &str) -> String {
    match only {
        Some(ids) => {
            let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            format!(" AND {column} IN ({list})")
        }
        None => String::new(),
    }
}

/// `rid:start:end` items, comma-separated, by resource.
pub(super) fn parse_busy(text: &str) -> HashMap<i64, Vec<TimeSlot>> {
    let mut busy: HashMap<i64, Vec<TimeSlot>> = HashMap::new();
    for item in text.split(',') {
        let mut parts = item.splitn(3, ':').map(str::parse::<i64>);
        let (Some(Ok(rid)), Some(Ok(s)), Some(Ok(e))) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if let Ok(slot) = TimeSlot::from_unix(s, e) {
            busy.entry(rid).or_default().push(slot);
        }
    }
    busy
}
