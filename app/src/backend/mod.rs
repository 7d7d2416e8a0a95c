//! Server-only code: the database, repositories and services. Every SQL text of the application
//! lives under this module; one text serves both backends unless a function says otherwise.

pub mod accounts;
pub mod availability;
pub mod backup;
pub mod bookable;
pub mod bookings;
pub mod bulk;
pub mod catalogue;
pub mod day;
pub mod demo;
pub mod dialect;
pub mod editor;
pub mod feeds;
pub mod idle;
pub mod ledger;
pub mod mail;
pub mod needs;
pub mod orders;
pub mod photos;
pub mod report;
pub mod resources;
pub mod retention;
pub mod rollups;
pub mod secrets;
pub mod service_report;
pub mod services;
pub mod session;
pub mod writer;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};
use std::sync::Arc;
use std::time::Duration;

pub use dialect::Dialect;

/// The connection pool and the dialect of the database behind it.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    dialect: Dialect,
    writer: writer::Writer,
    bookable: Arc<bookable::BookableCache>,
    /// The report calendar this process has checked (see [`rollups`]).
    calendar: Arc<tokio::sync::Mutex<Option<String>>>,
    /// The local day this process last looked for lapsed services (see
    /// [`services::tell_lapses`]).
    lapses_checked: Arc<std::sync::Mutex<Option<chrono::NaiveDate>>>,
}

/// Names under which the database reports a conflict: the SQLite trigger's RAISE message and the
/// PostgreSQL exclusion constraint share them, so one mapping serves both.
const OVERLAP_NAMES: [&str; 2] = ["booking_overlap", "blackout_overlaps_booking"];

pub fn is_overlap(err: &dyn sqlx::error::DatabaseError) -> bool {
    let by_constraint = err.constraint().is_some_and(|c| OVERLAP_NAMES.contains(&c));
    by_constraint || OVERLAP_NAMES.iter().any(|name| err.message() == *name)
}

/// Whether the database refused to write because its storage cannot take it: SQLite's FULL (13),
/// READONLY (8) and IOERR (10, e.g. a disk gone read-only); PostgreSQL's disk_full (53100) and
/// read_only_sql_transaction (25006).
fn is_storage_failure(err: &dyn sqlx::error::DatabaseError) -> bool {
    let code = err.code();
    let code = code.as_deref().unwrap_or_default();
    let primary = code.parse::<i64>().map(|c| c & 0xff).unwrap_or(-1);
    matches!(primary, 8 | 10 | 13) || matches!(code, "53100" | "25006")
}

/// Whether the database refused text it cannot hold: PostgreSQL's character_not_in_repertoire
/// (22021), which a NUL character in any text parameter raises (SQLite stores it). The forms
/// refuse control characters themselves; this keeps any other text (a search, a filter) that
/// carries one from becoming an internal error.
fn is_unstorable_text(err: &dyn sqlx::error::DatabaseError) -> bool {
    err.code().as_deref() == Some("22021")
}

/// Database errors become application errors here, once: a conflict by the trigger's or the
/// constraint's name, a missing row as not found, text the database cannot hold as invalid input,
/// storage that cannot take a write as "unavailable" (nothing was changed: the transaction rolled
/// back), anything else logged and shown only as a trace id.
impl From<sqlx::Error> for crate::error::AppError {
    fn from(err: sqlx::Error) -> Self {
        use crate::error::AppError;
        match &err {
            sqlx::Error::RowNotFound => AppError::NotFound,
            sqlx::Error::Database(db) if is_overlap(db.as_ref()) => AppError::Conflict {
                alternatives: Vec::new(),
            },
            sqlx::Error::Database(db) if is_storage_failure(db.as_ref()) => {
                match AppError::internal("storage", &err) {
                    AppError::Internal { trace_id } => AppError::Unavailable { trace_id },
                    other => other,
                }
            }
            sqlx::Error::Database(db) if is_unstorable_text(db.as_ref()) => {
                AppError::validation("text", "text_control")
            }
            _ => AppError::internal("database", err),
        }
    }
}

impl Db {
    /// Connects to `url` (`sqlite://…` or `postgres://…`). For SQLite the file and its folder are
    /// created when missing, and every connection runs in WAL mode with foreign keys and a busy
    /// timeout, so concurrent writers queue instead of failing.
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let Some(dialect) = Dialect::of_url(url) else {
            anyhow::bail!("DATABASE_URL must start with sqlite: or postgres:");
        };
        let url = match dialect {
            Dialect::Sqlite => {
                let path = url
                    .trim_start_matches("sqlite://")
                    .trim_start_matches("sqlite:");
                let path = path.split('?').next().unwrap_or_default();
                if let Some(dir) = std::path::Path::new(path)
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("creating {}", dir.display()))?;
                }
                if url.contains('?') {
                    url.to_string()
                } else {
                    format!("{url}?mode=rwc")
                }
            }
            Dialect::Postgres => url.to_string(),
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if let Some(setup) = dialect.connection_setup() {
                        conn.execute(setup).await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .context("connecting to the database")?;
        let writer = writer::Writer::start(&pool, dialect == Dialect::Sqlite);
        Ok(Db {
            pool,
            dialect,
            writer,
            bookable: Arc::default(),
            calendar: Arc::default(),
            lapses_checked: Arc::default(),
        })
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = match self.dialect {
            Dialect::Sqlite => sqlx::migrate!("../migrations/sqlite"),
            Dialect::Postgres => sqlx::migrate!("../migrations/postgres"),
        };
        migrator
            .run(&self.pool)
            .await
            .context("applying migrations")
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Runs a booking change in a transaction and answers once it is durable: on SQLite through
    /// the group-commit writer (a savepoint of a shared commit), on PostgreSQL alone. See
    /// [`writer`].
    pub async fn write<T, F>(&self, change: F) -> Result<T, crate::error::AppError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(
                &'c mut sqlx::AnyConnection,
            ) -> writer::BoxFuture<'c, Result<T, crate::error::AppError>>
            + Send
            + 'static,
    {
        self.writer.write(&self.pool, change).await
    }

    /// This process's copy of the resources' rules, status, hours and busy time (see
    /// [`bookable`]); `now` places its horizon when it is (re)loaded.
    pub async fn bookables(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bookable::Bookables, sqlx::Error> {
        self.bookable.current(&self.pool, self.dialect, now).await
    }

    /// The same database with this process's caches empty, as another process sees it.
    pub fn clone_without_caches(&self) -> Db {
        Db {
            bookable: Arc::default(),
            calendar: Arc::default(),
            lapses_checked: Arc::default(),
            ..self.clone()
        }
    }

    /// (commits, changes) of the group-commit writer so far (zeros on PostgreSQL).
    pub fn group_commits(&self) -> (u64, u64) {
        self.writer.counts()
    }

    /// A trivial round trip, for the health endpoint.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Where "now" comes from; tests inject a fixed clock so that nothing depends on sleeping.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until moved, so tests can let hours pass without sleeping.
pub struct ManualClock(std::sync::atomic::AtomicI64);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> ManualClock {
        ManualClock(std::sync::atomic::AtomicI64::new(at.timestamp()))
    }

    pub fn advance(&self, by: chrono::Duration) {
        self.0
            .fetch_add(by.num_seconds(), std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.0.load(std::sync::atomic::Ordering::SeqCst), 0)
            .unwrap_or_default()
    }
}

/// Settings the application reads while serving (from the environment, see README.md).
#[derive(Debug, Clone)]
pub struct Settings {
    /// The address people reach the platform at, used in mailed links; https means Secure cookies.
    pub public_url: String,
    /// A session ends after this long without a request…
    pub session_idle_secs: i64,
    /// …and in any case this long after sign-in.
    pub session_max_secs: i64,
    /// A pending request nobody decides within this long expires.
    pub pending_expiry_secs: i64,
    /// The address mail comes from (also the organizer of calendar invitations).
    pub mail_from: String,
    /// Bookers are reminded this long before a confirmed booking starts.
    pub reminder_lead_secs: i64,
    /// Where resource photos are kept (`<DATA_DIR>/photos`), served under `/photos/`.
    pub photos_dir: std::path::PathBuf,
    /// Addresses (or networks) whose `X-Forwarded-For` / `Forwarded` is believed.
    pub trusted_proxies: Vec<Network>,
    /// Multiplies every per-client rate limit; 0 turns them off.
    pub rate_limit_scale: u32,
}

/// An address or a network (`10.0.0.0/8`, `fd00::/8`, `127.0.0.1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    pub address: std::net::IpAddr,
    pub prefix: u8,
}

impl Network {
    pub fn parse(raw: &str) -> Option<Network> {
        let raw = raw.trim();
        let (address, prefix) = match raw.split_once('/') {
            Some((a, p)) => (a.parse().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (raw.parse().ok()?, None),
        };
        let bits = match address {
            std::net::IpAddr::V4(_) => 32,
            std::net::IpAddr::V6(_) => 128,
        };
        let prefix = prefix.unwrap_or(bits);
        (prefix <= bits).then_some(Network { address, prefix })
    }

    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        let (a, b, bits): (u128, u128, u32) = match (self.address, ip) {
            (IpAddr::V4(a), IpAddr::V4(b)) => (u32::from(a).into(), u32::from(b).into(), 32),
            (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
            (IpAddr::V6(a), IpAddr::V4(b)) => (u128::from(a), u128::from(b.to_ipv6_mapped()), 128),
            (IpAddr::V4(a), IpAddr::V6(b)) => match b.to_ipv4_mapped() {
                Some(b) => (u32::from(a).into(), u32::from(b).into(), 32),
                None => return false,
            },
        };
        let keep = u32::from(self.prefix).min(bits);
        if keep == 0 {
            return true;
        }
        let shift = bits - keep;
        (a >> shift) == (b >> shift)
    }
}

impl Settings {
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// Everything a request needs, built once at start-up and handed to server functions by context.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: leptos::config::LeptosOptions,
    pub db: Db,
    pub tz: chrono_tz::Tz,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
}

impl axum::extract::FromRef<AppState> for leptos::config::LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The zone's offset from UTC at this moment, for showing instants in local time.
/// An institution's admins (address, name, language), read on `tx`.
pub(crate) async fn admins_on(
    tx: &mut sqlx::AnyConnection,
    institution: i64,
) -> Result<Vec<(String, String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT u.email, u.display_name, u.locale FROM user_roles r JOIN users u ON u.id = r.user_id \
         WHERE r.role = 'institution_admin' AND r.scope_id = $1 ORDER BY u.id",
    )
    .bind(institution)
    .fetch_all(&mut *tx)
    .await
}

pub fn utc_offset(state: &AppState) -> i32 {
    use chrono::Offset;
    state
        .clock
        .now()
        .with_timezone(&state.tz)
        .offset()
        .fix()
        .local_minus_utc()
}

/// The state inside a server function.
pub fn state() -> Result<AppState, crate::error::AppError> {
    leptos::prelude::use_context::<AppState>()
        .ok_or_else(|| crate::error::AppError::internal("context", "AppState missing from context"))
}
