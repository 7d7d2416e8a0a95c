//! Per-client rate limits (governor's GCRA, keyed by the client's address as the session layer
//! resolved it, trusted proxies included): what a person does by hand never meets them; a script
//! hammering sign-in, sign-up, password reset, booking, search, the schedule or the exports gets
//! 429 with `Retry-After`.

use app::backend::session::RequestSession;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::Arc;

/// What a request is, for its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Signing in or up, resetting a password, accepting an invitation: a handful a minute.
    Account,
    /// Booking, moving and cancelling.
    Booking,
    /// The catalogue, the time-first search and the idle list.
    Search,
    /// The zone schedule (up to a thousand resources a page).
    Schedule,
    /// Report downloads.
    Export,
    /// The REST API (`/api/v1`), every call.
    Api,
}

impl Kind {
    /// The kind of a request by its path, if it is limited at all.
    pub fn of(path: &str) -> Option<Kind> {
        let function = path.strip_prefix("/api/");
        match (path, function) {
            (
                _,
                Some(
                    "sign_in"
                    | "sign_up"
                    | "request_password_reset"
                    | "reset_password"
                    | "verify_email"
                    | "accept_invitation"
                    | "change_password",
                ),
            ) => Some(Kind::Account),
            (_, Some("book" | "reschedule" | "cancel_booking")) => Some(Kind::Booking),
            ("/" | "/free" | "/idle", _) | (_, Some("catalogue" | "free" | "idle")) => {
                Some(Kind::Search)
            }
            ("/schedule", _) | (_, Some("schedule")) => Some(Kind::Schedule),
            ("/reports/export", _) => Some(Kind::Export),
            (_, Some(rest)) if rest.starts_with("v1/") => Some(Kind::Api),
            _ => None,
        }
    }

    /// Requests a minute, and how many may come at once.
    fn quota(self) -> (u32, u32) {
        match self {
            Kind::Account => (10, 10),
            Kind::Booking => (60, 30),
            Kind::Search => (120, 60),
            Kind::Schedule => (60, 20),
            Kind::Export => (20, 10),
            Kind::Api => (300, 100),
        }
    }
}

/// Each kind's limiter, keyed by client.
type Table = Vec<(Kind, DefaultKeyedRateLimiter<String>)>;

/// One keyed limiter a kind; `scale` multiplies every quota (0 turns the limits off).
#[derive(Clone)]
pub struct Limits {
    limiters: Option<Arc<Table>>,
}

impl Limits {
    pub fn new(scale: u32) -> Limits {
        if scale == 0 {
            return Limits { limiters: None };
        }
        let limiters = [
            Kind::Account,
            Kind::Booking,
            Kind::Search,
            Kind::Schedule,
            Kind::Export,
            Kind::Api,
        ]
        .into_iter()
        .map(|kind| {
            let (per_minute, burst) = kind.quota();
            let per_minute =
                NonZeroU32::new(per_minute.saturating_mul(scale)).unwrap_or(NonZeroU32::MIN);
            let burst = NonZeroU32::new(burst.saturating_mul(scale)).unwrap_or(NonZeroU32::MIN);
            (
                kind,
                RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst)),
            )
        })
        .collect();
        Limits {
            limiters: Some(Arc::new(limiters)),
        }
    }

    /// Whether `client` may make a request of `kind` now; if not, how many seconds to wait.
    pub fn check(&self, kind: Kind, client: &str) -> Result<(), u64> {
        let Some(limiters) = &self.limiters else {
            return Ok(());
        };
        let Some((_, limiter)) = limiters.iter().find(|(k, _)| *k == kind) else {
            return Ok(());
        };
        // Forget clients that have been quiet, so the table does not grow without end.
        if limiter.len() > 50_000 {
            limiter.retain_recent();
        }
        limiter.check_key(&client.to_string()).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

/// The middleware: after the session layer, which resolved the client's address.
pub async fn limit(
    axum::extract::State(limits): axum::extract::State<Limits>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if let Some(kind) = Kind::of(req.uri().path()) {
        let client = req
            .extensions()
            .get::<RequestSession>()
            .map(|s| s.address.clone())
            .unwrap_or_default();
        if let Err(wait) = limits.check(kind, &client) {
            tracing::warn!(?kind, client, wait, "rate limit");
            let error = app::error::AppError::TooManyAttempts {
                retry_after_secs: wait as i64,
            };
            if kind == Kind::Api {
                return crate::rest::problem::Problem::from_app(error, &chrono_tz::UTC)
                    .into_response();
            }
            let mut res = (StatusCode::TOO_MANY_REQUESTS, axum::Json(error)).into_response();
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(wait.max(1)));
            return res;
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_sorted_into_their_limits() {
        assert_eq!(Kind::of("/api/sign_in"), Some(Kind::Account));
        assert_eq!(Kind::of("/api/book"), Some(Kind::Booking));
        assert_eq!(Kind::of("/free"), Some(Kind::Search));
        assert_eq!(Kind::of("/schedule"), Some(Kind::Schedule));
        assert_eq!(Kind::of("/reports/export"), Some(Kind::Export));
        assert_eq!(Kind::of("/resources/3"), None);
        assert_eq!(Kind::of("/api/me"), None);
        assert_eq!(Kind::of("/api/v1/bookings"), Some(Kind::Api));
    }

    #[test]
    fn a_burst_passes_and_then_the_client_waits_alone() {
        let limits = Limits::new(1);
        for _ in 0..10 {
            assert_eq!(limits.check(Kind::Account, "198.51.100.1"), Ok(()));
        }
        let wait = limits.check(Kind::Account, "198.51.100.1").unwrap_err();
        assert!((1..=6).contains(&wait), "{wait}");
        assert_eq!(limits.check(Kind::Account, "198.51.100.2"), Ok(()));
        assert!(Limits::new(0).check(Kind::Account, "x").is_ok());
    }
}
