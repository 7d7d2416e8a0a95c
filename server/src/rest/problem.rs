//! Errors as RFC 9457 problem details (`application/problem+json`), one stable `type` per kind.
//! Each type is a link into the API reference, where it is explained.

use super::model::{Refusal, Span};
use app::error::AppError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono_tz::Tz;
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Every kind of problem: its `type` slug, HTTP status and title.
pub const KINDS: &[(&str, u16, &str, &str)] = &[
    ("bad-request", 400, "Malformed request", "The body or a parameter is not in the documented form (not JSON, a wrong type, an unknown field)."),
    ("validation", 400, "Invalid input", "A value was understood but refused: `field` names it and `code` says why (the same code the pages translate)."),
    ("unauthorized", 401, "Authentication required", "No credentials, or a token that is unknown, revoked or whose person can no longer sign in."),
    ("forbidden", 403, "Forbidden", "The caller may not do this (their roles, or the token's scope: see `required_scope`)."),
    ("not-found", 404, "Not found", "No such thing, or not one the caller may see."),
    ("method-not-allowed", 405, "Method not allowed", "The path exists but does not answer this method."),
    ("conflict", 409, "Time taken", "The time was just taken by someone else; `alternatives` are the nearest free slots of the same length."),
    ("blackout-hits", 409, "Bookings in the way", "A blackout would cancel active bookings (`bookings`); send it again with `cancel_hits` to cancel them."),
    ("unsupported-media-type", 415, "Unsupported media type", "The body must be JSON (`Content-Type: application/json`)."),
    ("rule-refused", 422, "Refused by the rules", "The resource's rules refuse the request: `refusals` names each rule, `alternatives` what would work."),
    ("idempotency-key-reused", 422, "Idempotency key reused", "The Idempotency-Key was used in the last 24 hours for a different request."),
    ("idempotency-key-in-use", 409, "Idempotency key in use", "A request with this Idempotency-Key is still being processed; retry shortly."),
    ("too-many-requests", 429, "Too many requests", "Slow down: wait `retry_after` seconds (also in the Retry-After header)."),
    ("unavailable", 503, "Storage unavailable", "The server cannot store anything just now; nothing was changed. Retry later."),
    ("internal", 500, "Internal error", "Something failed inside; `trace_id` finds it in the server's log."),
];

/// An RFC 9457 problem, with this API's extensions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A link to this kind's explanation; stable.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The input concerned (validation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Why (validation): a stable code, as the pages' translations name it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The rules that refuse (rule-refused).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refusals: Vec<Refusal>,
    /// Slots that would work (conflict, rule-refused).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<Span>,
    /// Booking ids a blackout would cancel (blackout-hits).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bookings: Vec<i64>,
    /// The token scope the operation needs (forbidden by scope).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_scope: Option<String>,
    /// Seconds to wait (too-many-requests).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<i64>,
    /// Finds the failure in the server's log (internal, unavailable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}

impl Problem {
    pub fn new(slug: &str) -> Problem {
        let (_, status, title, _) = KINDS
            .iter()
            .find(|(s, ..)| *s == slug)
            .copied()
            .unwrap_or(KINDS[KINDS.len() - 1]);
        Problem {
            kind: format!("/api/v1/docs#problem-{slug}"),
            title: title.into(),
            status,
            detail: None,
            field: None,
            code: None,
            refusals: Vec::new(),
            alternatives: Vec::new(),
            bookings: Vec::new(),
            required_scope: None,
            retry_after: None,
            trace_id: None,
        }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Problem {
        self.detail = Some(detail.into());
        self
    }

    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new("bad-request").detail(detail)
    }

    /// The problem an application error is, times shown in `tz`.
    pub fn from_app(error: AppError, tz: &Tz) -> Problem {
        let spans = |a: &[(i64, i64)]| a.iter().map(|s| Span::of(tz, *s)).collect();
        match error {
            AppError::Validation { field, key } => {
                let mut p = Problem::new("validation");
                p.detail = Some(format!("{field}: {key}"));
                p.field = Some(field);
                p.code = Some(key);
                p
            }
            AppError::Conflict { alternatives } => {
                let mut p = Problem::new("conflict");
                p.alternatives = spans(&alternatives);
                p
            }
            AppError::Refused {
                violations,
                alternatives,
            } => {
                let mut p = Problem::new("rule-refused");
                p.refusals = violations.iter().map(Refusal::from).collect();
                p.alternatives = spans(&alternatives);
                p
            }
            AppError::BlackoutHits { hits } => {
                let mut p = Problem::new("blackout-hits");
                p.bookings = hits.iter().map(|h| h.booking).collect();
                p
            }
            AppError::Forbidden => Problem::new("forbidden"),
            AppError::NotFound => Problem::new("not-found"),
            AppError::NotSignedIn => Problem::new("unauthorized"),
            AppError::TooManyAttempts { retry_after_secs } => {
                let mut p = Problem::new("too-many-requests");
                p.retry_after = Some(retry_after_secs.max(1));
                p
            }
            AppError::Unavailable { trace_id } => {
                let mut p = Problem::new("unavailable");
                p.trace_id = Some(trace_id);
                p
            }
            AppError::Internal { trace_id } => {
                let mut p = Problem::new("internal");
                p.trace_id = Some(trace_id);
                p
            }
            AppError::Transport => Problem::new("internal"),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut res = (status, body).into_response();
        let headers = res.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(wait) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(wait.max(1)));
        }
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"labshare\""),
            );
        }
        res
    }
}
