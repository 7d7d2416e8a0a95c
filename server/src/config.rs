//! Configuration from the environment, every value with a sane default (see README.md).

use anyhow::Context;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`; default: an SQLite file in the data folder.
    pub database_url: String,
    /// `DATA_DIR`; default `./data`.
    pub data_dir: PathBuf,
    /// `LEPTOS_SITE_ADDR`; default 127.0.0.1:3000.
    pub site_addr: SocketAddr,
    /// `LEPTOS_SITE_ROOT`; where cargo-leptos put the wasm, JS and CSS. Default `target/site`.
    pub site_root: String,
    /// `PUBLIC_URL`, used in links sent by mail; default `http://<site_addr>`.
    pub public_url: String,
    /// `ZONE_TZ`; default Asia/Shanghai.
    pub zone_tz: chrono_tz::Tz,
    /// `DEMO_DATA`; load the demo zone into an empty database (default true).
    pub demo_data: bool,
    /// `DB_MAX_CONNECTIONS`; default 8.
    pub db_max_connections: u32,
    /// `LEPTOS_ENV`: DEV or PROD (default PROD).
    pub production: bool,
    /// `SESSION_IDLE_MINUTES`: a session ends after this long without a request (default 2 days).
    pub session_idle_minutes: i64,
    /// `SESSION_MAX_DAYS`: and in any case this long after sign-in (default 14).
    pub session_max_days: i64,
    /// `PENDING_EXPIRY_HOURS`: a request nobody approves or rejects within this long expires
    /// (default 48).
    pub pending_expiry_hours: i64,
    /// `INITIAL_ADMIN_EMAIL`, `INITIAL_ADMIN_PASSWORD` (and optional `INITIAL_ADMIN_NAME`): a site
    /// administrator created at start-up when there is none yet.
    pub initial_admin: Option<(String, String, String)>,
    /// `SMTP_URL`: where mail goes, e.g. `smtp://host:25` (plain), `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS) or `smtps://user:pass@host:465` (TLS). Unset: the dev mailbox, `.eml` files in
    /// `<DATA_DIR>/mailbox`.
    pub smtp_url: Option<String>,
    /// `MAIL_FROM`: the sender address (default `noreply@<host of PUBLIC_URL>`).
    pub mail_from: String,
    /// `MAIL_GIVE_UP_HOURS`: a message still undelivered this long after it was queued (or
    /// retried) is marked failed and shown to site admins (default 72).
    pub mail_give_up_hours: i64,
    /// `MAIL_POLL_SECONDS`: how often the sender looks for due mail (default 5).
    pub mail_poll_seconds: u64,
    /// `REMINDER_LEAD_HOURS`: bookers are reminded this long before the start (default 24).
    pub reminder_lead_hours: i64,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Config {
    pub fn from_env() -> anyhow::Result<Config> {
        let data_dir = PathBuf::from(var("DATA_DIR").unwrap_or_else(|| "data".into()));
        let database_url = var("DATABASE_URL")
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("labshare.db").display()));
        let site_addr: SocketAddr = var("LEPTOS_SITE_ADDR")
            .unwrap_or_else(|| "127.0.0.1:3000".into())
            .parse()
            .context("LEPTOS_SITE_ADDR must be an address such as 127.0.0.1:3000")?;
        let zone_tz = var("ZONE_TZ")
            .unwrap_or_else(|| "Asia/Shanghai".into())
            .parse::<chrono_tz::Tz>()
            .map_err(|e| anyhow::anyhow!("ZONE_TZ is not a known time zone: {e}"))?;
        let demo_data = !matches!(var("DEMO_DATA").as_deref(), Some("0" | "false" | "no"));
        let db_max_connections = var("DB_MAX_CONNECTIONS")
            .map(|v| v.parse().context("DB_MAX_CONNECTIONS must be a number"))
            .transpose()?
            .unwrap_or(8);
        let number = |name: &str, default: i64| -> anyhow::Result<i64> {
            var(name)
                .map(|v| {
                    v.parse()
                        .with_context(|| format!("{name} must be a number"))
                })
                .transpose()
                .map(|v| v.unwrap_or(default))
        };
        let initial_admin = match (var("INITIAL_ADMIN_EMAIL"), var("INITIAL_ADMIN_PASSWORD")) {
            (Some(email), Some(password)) => Some((
                email,
                var("INITIAL_ADMIN_NAME").unwrap_or_else(|| "Site administrator".into()),
                password,
            )),
            (None, None) => None,
            _ => anyhow::bail!("INITIAL_ADMIN_EMAIL and INITIAL_ADMIN_PASSWORD go together"),
        };
        let public_url = var("PUBLIC_URL").unwrap_or_else(|| format!("http://{site_addr}"));
        let mail_from = var("MAIL_FROM")
            .unwrap_or_else(|| format!("noreply@{}", app::backend::mail::mail_host(&public_url)));
        Ok(Config {
            smtp_url: var("SMTP_URL"),
            mail_from,
            mail_give_up_hours: number("MAIL_GIVE_UP_HOURS", 72)?,
            mail_poll_seconds: number("MAIL_POLL_SECONDS", 5)?.max(1) as u64,
            reminder_lead_hours: number("REMINDER_LEAD_HOURS", 24)?,
            session_idle_minutes: number("SESSION_IDLE_MINUTES", 2 * 24 * 60)?,
            session_max_days: number("SESSION_MAX_DAYS", 14)?,
            pending_expiry_hours: number("PENDING_EXPIRY_HOURS", 48)?,
            initial_admin,
            public_url,
            site_root: var("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            production: !matches!(var("LEPTOS_ENV").as_deref(), Some("DEV" | "dev")),
            database_url,
            data_dir,
            site_addr,
            zone_tz,
            demo_data,
            db_max_connections,
        })
    }
}
