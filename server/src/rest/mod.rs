//! The public REST API, `/api/v1`: JSON over the same services as the pages, personal tokens,
//! RFC 9457 problems, cursor pagination, `Idempotency-Key` on every POST, ETags on reads, and
//! iCalendar feeds. The OpenAPI 3.1 document is generated from this code (utoipa) and served at
//! `/api/v1/openapi.json`, with a reference page at `/api/v1/docs`.

// A problem is made on the error path only, once a request; its size costs nothing there.
#![allow(clippy::result_large_err)]

pub mod auth;
mod bookings;
mod docs;
mod idempotency;
mod manage;
pub mod model;
pub mod problem;
mod resources;
mod services;

use app::backend::AppState;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use problem::Problem;
use sha2::{Digest, Sha256};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::OpenApi;

/// A JSON answer or a problem.
pub type Answer<T> = Result<Json<T>, Problem>;

/// The largest body a call may send.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Instrument & Facility Sharing Platform API",
        version = "1.0.0",
        description = "Read the catalogue and availability of every institution's instruments and facilities, book them, follow bookings, run an institution's queue and read the zone's figures; find testing services and order them. Authenticate with a personal token (profile page) as `Authorization: Bearer …`. Errors are RFC 9457 problem details. POST accepts `Idempotency-Key`; GET answers carry ETags.",
    ),
    paths(
        resources::list, resources::detail, resources::availability, resources::free,
        resources::quote, resources::me,
        bookings::create, bookings::mine, bookings::read, bookings::cancel, bookings::reschedule,
        bookings::approve, bookings::reject, bookings::outcome, bookings::queue,
        manage::blackouts, manage::add_blackout, manage::remove_blackout,
        manage::zone_report, manage::institution_report,
        manage::resource_feed, manage::person_feed, manage::institution_feed,
        services::list, services::detail, services::place, services::mine, services::read,
        services::act,
    ),
    components(schemas(Problem)),
    modifiers(&Conventions),
    tags(
        (name = "resources", description = "The catalogue, availability and the time-first search"),
        (name = "bookings", description = "Quotes and the caller's bookings"),
        (name = "institutions", description = "An institution's queue and blackouts (its admins)"),
        (name = "reports", description = "Utilisation and sharing (zone managers, institution admins)"),
        (name = "calendars", description = "iCalendar feeds"),
        (name = "services", description = "Testing services (检测服务) and their orders (委托单)"),
        (name = "account", description = "The caller"),
    ),
)]
pub struct ApiDoc;

/// What every operation shares: the bearer scheme, and the problems it may answer with.
struct Conventions;

impl utoipa::Modify for Conventions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A personal API token from the profile page (lsk_…)"))
                    .build(),
            ),
        );
        let problem = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    problem::PROBLEM_JSON,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                (&mut item.get, false),
                (&mut item.post, true),
                (&mut item.delete, true),
            ];
            for (operation, writes) in operations {
                let Some(op) = operation.as_mut() else {
                    continue;
                };
                let secured = op.security.is_some();
                let mut statuses: Vec<(&str, &str)> = vec![
                    (
                        "400",
                        "Malformed or invalid input (bad-request, validation)",
                    ),
                    ("404", "Not found (not-found)"),
                    ("429", "Too many requests (too-many-requests)"),
                    ("500", "Internal error (internal)"),
                    ("503", "Storage unavailable (unavailable)"),
                ];
                if secured {
                    statuses.push(("401", "No valid credentials (unauthorized)"));
                    statuses.push((
                        "403",
                        "Not allowed, or not with this token's scope (forbidden)",
                    ));
                }
                if writes {
                    statuses.push((
                        "409",
                        "Time taken, bookings in the way, or the idempotency key in use",
                    ));
                    statuses.push(("415", "The body is not JSON (unsupported-media-type)"));
                    statuses.push(("422", "Refused by the rules, or an idempotency key reused (rule-refused, idempotency-key-reused)"));
                }
                for (status, description) in statuses {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| problem(description).into());
                }
            }
        }
    }
}

/// The document, built once.
pub fn openapi_json() -> &'static str {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DOC.get_or_init(|| ApiDoc::openapi().to_pretty_json().unwrap_or_default())
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], openapi_json()).into_response()
}

/// The routes under `/api/v1`.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/docs", get(docs::page))
        .route("/me", get(resources::me))
        .route("/resources", get(resources::list))
        .route("/resources/{id}", get(resources::detail))
        .route("/resources/{id}/availability", get(resources::availability))
        .route(
            "/resources/{id}/blackouts",
            get(manage::blackouts).post(manage::add_blackout),
        )
        .route("/blackouts/{id}", delete(manage::remove_blackout))
        .route("/free", get(resources::free))
        .route("/quotes", post(resources::quote))
        .route("/bookings", get(bookings::mine).post(bookings::create))
        .route("/bookings/{id}", get(bookings::read))
        .route("/bookings/{id}/cancel", post(bookings::cancel))
        .route("/bookings/{id}/reschedule", post(bookings::reschedule))
        .route("/bookings/{id}/approve", post(bookings::approve))
        .route("/bookings/{id}/reject", post(bookings::reject))
        .route("/bookings/{id}/outcome", post(bookings::outcome))
        .route("/institutions/{id}/bookings", get(bookings::queue))
        .route("/services", get(services::list))
        .route("/services/{id}", get(services::detail))
        .route("/orders", get(services::mine).post(services::place))
        .route("/orders/{id}", get(services::read))
        .route("/orders/{id}/actions", post(services::act))
        .route("/reports/zone", get(manage::zone_report))
        .route(
            "/reports/institutions/{id}",
            get(manage::institution_report),
        )
        .route("/calendars/resources/{id}", get(manage::resource_feed))
        .route("/calendars/{secret}/bookings.ics", get(manage::person_feed))
        .route(
            "/calendars/{secret}/institutions/{id}",
            get(manage::institution_feed),
        )
        .fallback(|| async { Problem::new("not-found") })
        .method_not_allowed_fallback(|| async { Problem::new("method-not-allowed") })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            idempotency::replay,
        ))
        .layer(axum::middleware::from_fn(etags))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// A page number as an opaque cursor (and back).
pub fn cursor(raw: Option<&str>) -> Result<i64, Problem> {
    match raw.filter(|c| !c.is_empty()) {
        None => Ok(1),
        Some(c) => decode_cursor(c)
            .and_then(|t| t.strip_prefix('p')?.parse::<i64>().ok())
            .filter(|p| (1..=1_000_000).contains(p))
            .ok_or_else(|| Problem::bad_request("cursor: not one this API gave")),
    }
}

pub fn next_cursor(more: bool, page: i64) -> Option<String> {
    more.then(|| encode_cursor(&format!("p{page}")))
}

pub fn encode_cursor(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

pub fn decode_cursor(hex: &str) -> Option<String> {
    if !hex.len().is_multiple_of(2) || hex.len() > 200 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

/// ETags on reads: a hash of the answer; `If-None-Match` with it gets 304 and no body.
async fn etags(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    let asked: Option<String> = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let res = next.run(req).await;
    if res.status() != StatusCode::OK {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024 * 1024).await else {
        return Problem::new("internal").into_response();
    };
    let digest = Sha256::digest(&bytes);
    let tag = format!(
        "\"{}\"",
        digest[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    if let Ok(v) = HeaderValue::from_str(&tag) {
        parts.headers.insert(header::ETAG, v);
    }
    // Revalidate every time: a client may keep the answer, and ask again with its tag.
    parts.headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    let matches = asked.is_some_and(|a| {
        a.split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == tag || t == "*")
    });
    if matches {
        parts.headers.remove(header::CONTENT_TYPE);
        parts.headers.remove(header::CONTENT_LENGTH);
        return (StatusCode::NOT_MODIFIED, parts.headers).into_response();
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}
