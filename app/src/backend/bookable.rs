//! What makes a resource bookable apart from its bookings — its rules, status and weekly hours —
//! held in memory for the time-first search, which would otherwise read ~10,000 rule rows and
//! ~70,000 hour rows through the database driver on every request.
//!
//! The copy stays exact although any process may change the database: triggers log every change
//! of rules, hours or status in `resource_changes` (migration 0013), and each use first asks the
//! log two cheap questions on its key — its newest entry, and how many entries lie in the recent
//! window — then reloads only the resources logged since. The window (the last [`WINDOW`] entries, not
//! just those after the newest one seen) catches a PostgreSQL transaction that took a sequence
//! number early and committed late.

use super::catalogue::{RulesRow, RULES_COLUMNS};
use crate::domain::catalogue::ResourceStatus;
use crate::domain::rules::BookingRules;
use crate::domain::schedule::{OpeningHours, OpeningPeriod};
use sqlx::AnyPool;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// How many of the newest log entries are re-read to catch late commits.
const WINDOW: i64 = 256;

/// What makes one resource bookable, apart from its bookings.
#[derive(Debug, Clone)]
pub struct Bookable {
    pub rules: BookingRules,
    pub status: ResourceStatus,
    pub hours: OpeningHours,
}

/// Every resource's, by id (resources without rules are not searchable and absent).
pub type Bookables = Arc<HashMap<i64, Arc<Bookable>>>;

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
}

impl BookableCache {
    /// Every resource's rules, status and hours, current as of this call.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn current(&self, pool: &AnyPool) -> Result<Bookables, sqlx::Error> {
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
        if let Some(copy) = state.as_ref().filter(|c| c.version == version) {
            return Ok(copy.bookables.clone());
        }
        let window: Vec<(i64, i64)> =
            sqlx::query_as("SELECT seq, resource_id FROM resource_changes WHERE seq > $1")
                .bind(newest - WINDOW)
                .fetch_all(pool)
                .await?;
        let copy = match state.take() {
            None => Copy {
                bookables: Arc::new(load(pool, None).await?),
                version,
                applied: window.iter().map(|(seq, _)| *seq).collect(),
            },
            Some(old) => {
                // Older than the window and newer than what was seen: a gap the window cannot
                // vouch for, so everything is read again.
                let seen = old.version.0;
                let mut changed: Vec<i64> = window
                    .iter()
                    .filter(|(seq, _)| !old.applied.contains(seq))
                    .map(|(_, r)| *r)
                    .collect();
                let (beyond,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM resource_changes WHERE seq > $1 AND seq <= $2",
                )
                .bind(seen)
                .bind(newest - WINDOW)
                .fetch_one(pool)
                .await?;
                let bookables = if beyond > 0 {
                    Arc::new(load(pool, None).await?)
                } else {
                    changed.sort_unstable();
                    changed.dedup();
                    let fresh = load(pool, Some(&changed)).await?;
                    let mut map: HashMap<i64, Arc<Bookable>> = (*old.bookables).clone();
                    for id in &changed {
                        match fresh.get(id) {
                            Some(s) => map.insert(*id, s.clone()),
                            None => map.remove(id),
                        };
                    }
                    Arc::new(map)
                };
                Copy {
                    bookables,
                    version,
                    applied: window.iter().map(|(seq, _)| *seq).collect(),
                }
            }
        };
        let bookables = copy.bookables.clone();
        *state = Some(copy);
        Ok(bookables)
    }
}

/// Reads what makes `only` these resources bookable, or all of them.
async fn load(
    pool: &AnyPool,
    only: Option<&[i64]>,
) -> Result<HashMap<i64, Arc<Bookable>>, sqlx::Error> {
    if only.is_some_and(|ids| ids.is_empty()) {
        return Ok(HashMap::new());
    }
    // The ids are numbers read from the log, written into the text.
    let (rules_where, hours_where) = match only {
        Some(ids) => {
            let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            (
                format!(" WHERE b.resource_id IN ({list})"),
                format!(" WHERE h.resource_id IN ({list})"),
            )
        }
        None => (String::new(), String::new()),
    };
    let rows: Vec<BookableRow> = sqlx::query_as(&format!(
        "SELECT {RULES_COLUMNS}, r.status AS resource_status FROM booking_rules b \
             JOIN resources r ON r.id = b.resource_id{rules_where}"
    ))
    .fetch_all(pool)
    .await?;
    let hour_rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(&format!(
            "SELECT h.resource_id, h.weekday, h.opens_minute, h.closes_minute FROM opening_hours h{hours_where}"
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
        out.insert(
            id,
            Arc::new(Bookable {
                rules: row.rules.rules()?,
                status,
                hours: hours.remove(&id).unwrap_or_default(),
            }),
        );
    }
    Ok(out)
}
