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

use super::catalogue::{RulesRow, RULES_COLUMNS};
use super::Dialect;
use crate::domain::catalogue::{CatalogueFilter, ResourceKind, ResourceStatus};
use crate::domain::rules::BookingRules;
use crate::domain::schedule::{OpeningHours, OpeningPeriod};
use crate::domain::time::TimeSlot;
use chrono::{DateTime, Duration, Utc};
use sqlx::AnyPool;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// The longest buffer the editor allows on either side of a booking (a day).
pub const MAX_BUFFER_SECONDS: i64 = 1440 * 60;

/// The longest time one booking can block: the editor's longest booking (30 days) and both
/// buffers at their maximum.
pub const MAX_BLOCK_SECONDS: i64 = 43_200 * 60 + 2 * MAX_BUFFER_SECONDS;

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

/// One resource as the time-first search's pass over all of them reads it: its facts in one
/// place, in id order, its weekly hours as the number of a pattern and its busy time as a range
/// of one shared array — so that the pass reads memory in order instead of following three
/// pointers per resource (measured: those cache misses were a third of the search).
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: i64,
    pub bookable: Bookable,
    /// Its weekly hours' number in [`Snapshot::pattern`].
    pub pattern: u32,
    /// The number of its weekly hours together with the rules that shape a window (time step,
    /// notice, maximum notice, minimum length): resources with the same share their windows in a
    /// search. Below [`Snapshot::shapes`].
    pub shape: u32,
    busy: (u32, u32),
}

/// Every resource's (resources without rules are not searchable and absent), and the horizon
/// over which their busy time is complete.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub horizon: TimeSlot,
    /// By id.
    entries: Vec<Entry>,
    /// Active bookings' blocked time (with buffers) and blackouts within the horizon; each
    /// entry's part sorted by start.
    spans: Vec<TimeSlot>,
    patterns: Vec<OpeningHours>,
    shapes: Vec<Shape>,
}

/// A weekly pattern's number and the rules that shape a window.
type Shape = (u32, [i64; 4]);

fn shape_of(pattern: u32, rules: &BookingRules) -> Shape {
    (
        pattern,
        [
            rules.slot_minutes,
            rules.min_notice_minutes,
            rules.max_notice_days,
            rules.min_duration_minutes,
        ],
    )
}

impl Snapshot {
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn get(&self, id: i64) -> Option<&Entry> {
        self.entries
            .binary_search_by_key(&id, |e| e.id)
            .ok()
            .map(|i| &self.entries[i])
    }

    /// The entry's busy time within the horizon, by start.
    pub fn busy(&self, entry: &Entry) -> &[TimeSlot] {
        let (from, len) = (entry.busy.0 as usize, entry.busy.1 as usize);
        &self.spans[from..from + len]
    }

    pub fn pattern(&self, entry: &Entry) -> &OpeningHours {
        &self.patterns[entry.pattern as usize]
    }

    /// How many shapes the entries have (each entry's is below this).
    pub fn shapes(&self) -> usize {
        self.shapes.len()
    }

    /// Puts `bookable` (or removes the resource, for `None`) with `busy` (or the busy time it
    /// had, for `None`).
    fn put(&mut self, id: i64, bookable: Option<Bookable>, busy: Option<Vec<TimeSlot>>) {
        let at = self.entries.binary_search_by_key(&id, |e| e.id);
        let Some(bookable) = bookable else {
            if let Ok(i) = at {
                self.entries.remove(i);
            }
            return;
        };
        let busy = match busy {
            Some(mut spans) => {
                spans.sort();
                let range = (self.spans.len() as u32, spans.len() as u32);
                self.spans.extend(spans);
                range
            }
            None => at.map(|i| self.entries[i].busy).unwrap_or((0, 0)),
        };
        let pattern = match self.patterns.iter().position(|p| *p == bookable.hours) {
            Some(p) => p as u32,
            None => {
                self.patterns.push(bookable.hours.clone());
                (self.patterns.len() - 1) as u32
            }
        };
        let shape = shape_of(pattern, &bookable.rules);
        let shape = match self.shapes.iter().position(|s| *s == shape) {
            Some(s) => s as u32,
            None => {
                self.shapes.push(shape);
                (self.shapes.len() - 1) as u32
            }
        };
        let entry = Entry {
            id,
            bookable,
            pattern,
            shape,
            busy,
        };
        match at {
            Ok(i) => self.entries[i] = entry,
            Err(i) => self.entries.insert(i, entry),
        }
    }

    /// Drops the spans no entry points at any more, once they are most of the array.
    fn compact(&mut self) {
        let live: usize = self.entries.iter().map(|e| e.busy.1 as usize).sum();
        if self.spans.len() <= 2 * live + 1024 {
            return;
        }
        let mut spans = Vec::with_capacity(live);
        for e in &mut self.entries {
            let (from, len) = (e.busy.0 as usize, e.busy.1 as usize);
            e.busy = (spans.len() as u32, e.busy.1);
            spans.extend_from_slice(&self.spans[from..from + len]);
        }
        self.spans = spans;
    }
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
        // Everything after the old window's start (or the window, the first time): the entries
        // not applied yet are the changes.
        let from = old.as_ref().map_or(newest, |o| o.version.0.min(newest)) - WINDOW;
        let entries: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT seq, resource_id, CAST(busy AS BIGINT) FROM resource_changes WHERE seq > $1",
        )
        .bind(from)
        .fetch_all(pool)
        .await?;
        let applied = entries
            .iter()
            .map(|(seq, _, _)| *seq)
            .filter(|seq| *seq > newest - WINDOW)
            .collect();
        let snapshot = match old {
            Some(old) => {
                let fresh: Vec<(i64, bool)> = entries
                    .iter()
                    .filter(|(seq, _, _)| !old.applied.contains(seq))
                    .map(|(_, r, busy)| (*r, *busy != 0))
                    .collect();
                let mut resources: Vec<i64> = fresh.iter().filter(|c| !c.1).map(|c| c.0).collect();
                resources.sort_unstable();
                resources.dedup();
                if resources.len() > RELOAD_ALL_ABOVE {
                    full(pool, dialect, old.bookables.horizon).await?
                } else {
                    // Busy time is reread for every resource logged; rules and hours only for
                    // those whose entries say more than busy time changed.
                    let mut busy: Vec<i64> = fresh.iter().map(|c| c.0).collect();
                    busy.sort_unstable();
                    busy.dedup();
                    let mut next = (*old.bookables).clone();
                    let mut bookables = load(pool, Some(&resources)).await?;
                    let mut spans = busy_within(pool, dialect, &next.horizon, Some(&busy)).await?;
                    for id in busy {
                        let spans = spans.remove(&id).unwrap_or_default();
                        if resources.binary_search(&id).is_ok() {
                            next.put(id, bookables.remove(&id), Some(spans));
                        } else if let Some(entry) = next.get(id) {
                            let bookable = entry.bookable.clone();
                            next.put(id, Some(bookable), Some(spans));
                        }
                    }
                    next.compact();
                    next
                }
            }
            None => {
                let horizon = TimeSlot::new(
                    now - Duration::days(HORIZON_BEHIND_DAYS),
                    now + Duration::days(HORIZON_AHEAD_DAYS),
                )
                .map_err(|_| sqlx::Error::Decode("horizon".into()))?;
                full(pool, dialect, horizon).await?
            }
        };
        let copy = Copy {
            bookables: Arc::new(snapshot),
            version,
            applied,
        };
        let bookables = copy.bookables.clone();
        *state = Some(copy);
        Ok(bookables)
    }
}

/// Every resource, read afresh.
async fn full(
    pool: &AnyPool,
    dialect: Dialect,
    horizon: TimeSlot,
) -> Result<Snapshot, sqlx::Error> {
    let mut bookables: Vec<(i64, Bookable)> = load(pool, None).await?.into_iter().collect();
    bookables.sort_unstable_by_key(|(id, _)| *id);
    let mut spans = busy_within(pool, dialect, &horizon, None).await?;
    let mut snapshot = Snapshot {
        horizon,
        entries: Vec::with_capacity(bookables.len()),
        spans: Vec::new(),
        patterns: Vec::new(),
        shapes: Vec::new(),
    };
    let mut patterns: HashMap<OpeningHours, u32> = HashMap::new();
    let mut shapes: HashMap<Shape, u32> = HashMap::new();
    for (id, bookable) in bookables {
        let pattern = *patterns.entry(bookable.hours.clone()).or_insert_with(|| {
            snapshot.patterns.push(bookable.hours.clone());
            (snapshot.patterns.len() - 1) as u32
        });
        let shape = *shapes
            .entry(shape_of(pattern, &bookable.rules))
            .or_insert_with(|| {
                snapshot.shapes.push(shape_of(pattern, &bookable.rules));
                (snapshot.shapes.len() - 1) as u32
            });
        let mut busy = spans.remove(&id).unwrap_or_default();
        busy.sort();
        let range = (snapshot.spans.len() as u32, busy.len() as u32);
        snapshot.spans.extend(busy);
        snapshot.entries.push(Entry {
            id,
            bookable,
            pattern,
            shape,
            busy: range,
        });
    }
    Ok(snapshot)
}

/// Reads what makes `only` these resources bookable, or all of them (busy time apart).
async fn load(pool: &AnyPool, only: Option<&[i64]>) -> Result<HashMap<i64, Bookable>, sqlx::Error> {
    if only.is_some_and(|ids| ids.is_empty()) {
        return Ok(HashMap::new());
    }
    let rows: Vec<BookableRow> = sqlx::query_as(&format!(
        "SELECT {RULES_COLUMNS}, r.status AS resource_status, r.kind AS resource_kind, r.category_id, r.institution_id \
         FROM booking_rules b JOIN resources r ON r.id = b.resource_id WHERE 1 = 1{}",
        only_where(only, "b.resource_id")
    ))
    .fetch_all(pool)
    .await?;
    let hour_rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT h.resource_id, h.weekday, h.opens_minute, h.closes_minute FROM opening_hours h WHERE 1 = 1{}",
        only_where(only, "h.resource_id")
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
    let mut out = HashMap::with_capacity(rows.len());
    for row in rows {
        let id = row.rules.resource_id;
        let status = ResourceStatus::parse(&row.resource_status)
            .ok_or_else(|| sqlx::Error::Decode("resource status".into()))?;
        let kind = ResourceKind::parse(&row.resource_kind)
            .ok_or_else(|| sqlx::Error::Decode("resource kind".into()))?;
        let mut hours = hours.remove(&id).unwrap_or_default();
        // One order for the same hours, so that equal patterns compare equal.
        hours
            .periods
            .sort_by_key(|p| (p.weekday, p.opens_minute, p.closes_minute));
        out.insert(
            id,
            Bookable {
                rules: row.rules.rules()?,
                status,
                hours,
                kind,
                category: row.category_id,
                institution: row.institution_id,
            },
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
