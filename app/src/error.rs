//! The one application error that crosses the wire. Its variants are what the interface can act on;
//! nothing in it ever carries database text or a stack trace.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Input was refused; `key` names the translation of the message, `field` the input concerned.
    #[error("invalid {field}: {key}")]
    Validation { field: String, key: String },
    /// The time was just taken by someone else; `alternatives` are the nearest free slots of the
    /// same length (Unix seconds).
    #[error("the time was just taken")]
    Conflict { alternatives: Vec<(i64, i64)> },
    /// The request breaks the resource's rules; each violation names the rule.
    #[error("refused by the rules")]
    Refused {
        violations: Vec<crate::domain::rules::RuleViolation>,
        alternatives: Vec<(i64, i64)>,
    },
    /// A blackout would cancel these active bookings; nothing was changed. Send it again with
    /// the choice to cancel them (and a reason for their bookers).
    #[error("the blackout hits bookings")]
    BlackoutHits {
        hits: Vec<crate::domain::editor::BlackoutHit>,
    },
    #[error("not allowed")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("not signed in")]
    NotSignedIn,
    /// Too many failed attempts; the person may try again after the given number of seconds.
    #[error("too many attempts")]
    TooManyAttempts { retry_after_secs: i64 },
    /// The server cannot store anything just now (its disk is full, or its data folder read-only):
    /// nothing was changed; try again later.
    #[error("storage unavailable {trace_id}")]
    Unavailable { trace_id: String },
    /// Something failed inside; the details are in the server log under `trace_id`.
    #[error("internal error {trace_id}")]
    Internal { trace_id: String },
    /// The request never reached the application (network, encoding).
    #[error("request failed")]
    Transport,
}

impl AppError {
    pub fn validation(field: &str, key: &str) -> Self {
        AppError::Validation {
            field: field.into(),
            key: key.into(),
        }
    }

    /// The HTTP status the server answers with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Validation { .. } => 400,
            AppError::Conflict { .. } => 409,
            AppError::Refused { .. } => 422,
            AppError::BlackoutHits { .. } => 409,
            AppError::Forbidden => 403,
            AppError::NotFound => 404,
            AppError::NotSignedIn => 401,
            AppError::TooManyAttempts { .. } => 429,
            AppError::Unavailable { .. } => 503,
            AppError::Internal { .. } => 500,
            AppError::Transport => 502,
        }
    }
}

impl From<crate::domain::policy::Denied> for AppError {
    fn from(denied: crate::domain::policy::Denied) -> Self {
        match denied {
            crate::domain::policy::Denied::NotSignedIn => AppError::NotSignedIn,
            crate::domain::policy::Denied::Forbidden => AppError::Forbidden,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    /// The framework's own errors. On the server these are requests it could not read (missing
    /// or malformed arguments, a body that does not decode): the client's error, answered 400 with
    /// the field named where the decoder names it. In the browser they are transport failures.
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let error = match value {
            ServerFnErrorErr::MissingArg(name) => {
                AppError::validation(&field_name(&name), "bad_request")
            }
            ServerFnErrorErr::Args(message) => {
                AppError::validation(&field_in(&message), "bad_request")
            }
            // Decoding the request body on the server; decoding the answer in the browser.
            ServerFnErrorErr::Deserialization(message) if cfg!(feature = "ssr") => {
                AppError::validation(&field_in(&message), "bad_request")
            }
            ServerFnErrorErr::ServerError(message)
            | ServerFnErrorErr::MiddlewareError(message)
            | ServerFnErrorErr::Response(message) => server_failure(message),
            _ => AppError::Transport,
        };
        // The arguments are read before the function's body runs, so its status is set here.
        #[cfg(feature = "ssr")]
        if let (Some(response), Ok(status)) = (
            leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
            http::StatusCode::from_u16(error.status()),
        ) {
            response.set_status(status);
        }
        error
    }
}

/// The server's own failure while answering: logged with a trace id (in the browser, where these
/// arrive as a broken answer, a transport failure).
#[cfg(feature = "ssr")]
fn server_failure(message: String) -> AppError {
    AppError::internal("server function", message)
}

#[cfg(not(feature = "ssr"))]
fn server_failure(_message: String) -> AppError {
    AppError::Transport
}

/// The field a decoder's message names ("missing field `email`", "unknown field `x`"), or
/// "request" when it names none. Only a plain identifier is taken, so nothing the client sent
/// is echoed back.
fn field_in(message: &str) -> String {
    for marker in ["missing field `", "unknown field `", "duplicate field `"] {
        if let Some(rest) = message.split(marker).nth(1) {
            if let Some(name) = rest.split('`').next() {
                return field_name(name);
            }
        }
    }
    "request".into()
}

fn field_name(raw: &str) -> String {
    let plain = !raw.is_empty()
        && raw.len() <= 40
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if plain {
        raw.to_string()
    } else {
        "request".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoder_messages_name_the_field_and_nothing_else() {
        assert_eq!(field_in("missing field `email`"), "email");
        assert_eq!(field_in("invalid digit found in string"), "request");
        assert_eq!(
            field_in("unknown field `<script>`, expected one of"),
            "request"
        );
        assert_eq!(field_name("query.days"), "query.days");
    }

    #[test]
    fn unreadable_requests_are_the_clients_error() {
        let e = AppError::from_server_fn_error(ServerFnErrorErr::Args(
            "missing field `resource`".into(),
        ));
        assert_eq!(e, AppError::validation("resource", "bad_request"));
        assert_eq!(e.status(), 400);
        let e = AppError::from_server_fn_error(ServerFnErrorErr::MissingArg("slot".into()));
        assert_eq!(e.status(), 400);
        let e = AppError::from_server_fn_error(ServerFnErrorErr::Request("offline".into()));
        assert_eq!(e, AppError::Transport);
    }
}

#[cfg(feature = "ssr")]
mod server {
    use super::AppError;
    use std::sync::atomic::{AtomicU64, Ordering};

    static NEXT_TRACE: AtomicU64 = AtomicU64::new(1);

    impl AppError {
        /// Logs an internal failure with its context and returns the opaque error the user sees.
        pub fn internal(context: &str, err: impl std::fmt::Display) -> Self {
            let n = NEXT_TRACE.fetch_add(1, Ordering::Relaxed);
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default();
            let trace_id = format!("{secs:x}-{n}");
            tracing::error!(%trace_id, context, error = %err, "internal error");
            AppError::Internal { trace_id }
        }
    }
}
