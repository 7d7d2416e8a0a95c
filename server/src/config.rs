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
    /// `PHOTOS_DIR`: where resource photos are kept; default `<DATA_DIR>/photos`. Several
    /// servers point it at one shared folder.
    pub photos_dir: PathBuf,
    /// `LEPTOS_SITE_ADDR`; default 127.0.0.1:3000.
    pub site_addr: SocketAddr,
    /// `LEPTOS_SITE_ROOT`; where cargo-leptos put the wasm, JS and CSS. Default `target/site`.
    pub site_root: String,
    /// `PUBLIC_URL`, used in links sent by mail; default `http://<site_addr>`.
    pub public_url: String,
    /// `ZONE_TZ`; default Asia/Shanghai.
    pub zone_tz: chrono_tz::Tz,
    /// `DEMO_DATA`: load the demo zone into an empty database (default false; `true` only on a
    /// loopback address, `force` anywhere).
    pub demo_data: bool,
    /// `TRUSTED_PROXIES`: addresses or networks (comma-separated) whose `X-Forwarded-For` or
    /// `Forwarded` header names the client; default none (the TCP peer is the client).
    pub trusted_proxies: Vec<app::backend::Network>,
    /// `RATE_LIMIT_SCALE`: multiplies every per-client rate limit (default 1; 0 turns them off).
    pub rate_limit_scale: u32,
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
        let demo_data = demo_setting(var("DEMO_DATA").as_deref(), site_addr)?;
        let trusted_proxies = var("TRUSTED_PROXIES")
            .unwrap_or_default()
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(|p| {
                app::backend::Network::parse(p)
                    .with_context(|| format!("TRUSTED_PROXIES: {p:?} is not an address or network"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
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
            photos_dir: var("PHOTOS_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("photos")),
            data_dir,
            site_addr,
            zone_tz,
            demo_data,
            trusted_proxies,
            rate_limit_scale: number("RATE_LIMIT_SCALE", 1)?.clamp(0, 10_000) as u32,
            db_max_connections,
        })
    }
}

/// `DEMO_DATA`: the demo zone publishes its accounts' password, so it is loaded only when asked
/// for, and on an address other than loopback only when forced.
pub fn demo_setting(raw: Option<&str>, site_addr: SocketAddr) -> anyhow::Result<bool> {
    match raw {
        None | Some("0" | "false" | "no" | "") => Ok(false),
        Some("1" | "true" | "yes") => {
            anyhow::ensure!(
                site_addr.ip().is_loopback(),
                "DEMO_DATA=true loads accounts whose password is published; refusing to serve \
                 them on {site_addr}. Use a loopback address, or DEMO_DATA=force."
            );
            Ok(true)
        }
        Some("force") => Ok(true),
        Some(other) => anyhow::bail!("DEMO_DATA must be true, false or force, not {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::demo_setting;

    #[test]
    fn the_demo_zone_is_loaded_only_when_asked_and_not_in_public_unless_forced() {
        let local = "127.0.0.1:3000".parse().unwrap();
        let public = "0.0.0.0:80".parse().unwrap();
        assert!(!demo_setting(None, local).unwrap());
        assert!(!demo_setting(Some("false"), public).unwrap());
        assert!(demo_setting(Some("true"), local).unwrap());
        assert!(demo_setting(Some("true"), public).is_err());
        assert!(demo_setting(Some("force"), public).unwrap());
        assert!(demo_setting(Some("maybe"), local).is_err());
    }
}
