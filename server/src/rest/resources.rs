//! The catalogue, a resource's detail and availability, the time-first search and quotes.

use super::auth::{Body, Caller, Id, Params};
use super::model::*;
use super::problem::Problem;
use super::{cursor, next_cursor, Answer};
use app::api::catalogue::{CatalogueQuery, FreeTimeQuery};
use app::backend::AppState;
use app::domain::account::TokenScope;
use app::domain::ids::ResourceId;
use app::domain::schedule::WeekGrid;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

/// Catalogue filters, as the catalogue page has them.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ResourceFilter {
    /// Words that must all appear (name, model, maker, category, accredited standard).
    q: Option<String>,
    /// instrument or facility.
    kind: Option<String>,
    category: Option<i64>,
    institution: Option<i64>,
    /// cma or cnas: accredited by this body.
    body: Option<String>,
    /// Accredited for this standard (e.g. GB/T 2423.1).
    standard: Option<String>,
    /// Yuan per hour at most, e.g. 300 or 299.50.
    max_price: Option<String>,
    /// available, maintenance, calibration or retired.
    status: Option<String>,
    /// category, name or price.
    sort: Option<String>,
    /// From a previous page's `next_cursor`.
    cursor: Option<String>,
}

/// List and search the catalogue (public).
#[utoipa::path(get, path = "/api/v1/resources", tag = "resources", params(ResourceFilter),
    responses((status = 200, description = "A page of resources", body = Page<Resource>)))]
pub async fn list(
    State(state): State<AppState>,
    Params(f): Params<ResourceFilter>,
) -> Answer<Page<Resource>> {
    let page = cursor(f.cursor.as_deref())?;
    let query = CatalogueQuery {
        q: f.q,
        kind: f.kind,
        category: f.category,
        institution: f.institution,
        body: f.body,
        standard: f.standard,
        max_price: f.max_price,
        status: f.status,
        sort: f.sort,
        page: Some(page),
    };
    let answer = app::api::catalogue::catalogue_page(&state, &query, false)
        .await
        .map_err(|e| Problem::from_app(e, &state.tz))?;
    let shown = (answer.page - 1) * app::domain::catalogue::CATALOGUE_PAGE_SIZE
        + answer.resources.len() as i64;
    Ok(Json(Page {
        items: answer.resources.iter().map(Resource::from).collect(),
        total: Some(answer.total),
        next_cursor: next_cursor(shown < answer.total, answer.page + 1),
    }))
}

/// A resource with its rules, opening hours, rates and accreditation (public).
#[utoipa::path(get, path = "/api/v1/resources/{id}", tag = "resources",
    params(("id" = i64, Path, description = "The resource")),
    responses((status = 200, description = "The resource", body = ResourceFull)))]
pub async fn detail(State(state): State<AppState>, Id(id): Id) -> Answer<ResourceFull> {
    let now = state.clock.now();
    let today = now.with_timezone(&state.tz).date_naive();
    let detail = state
        .db
        .resource_detail(ResourceId(id), &state.tz, WeekGrid::monday_of(today), now)
        .await
        .map_err(|e| Problem::from_app(e.into(), &state.tz))?
        .ok_or_else(|| Problem::new("not-found"))?;
    Ok(Json(ResourceFull::of(&detail, &state.tz)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// First local day, YYYY-MM-DD (default today).
    #[param(format = Date)]
    from: Option<String>,
    /// Last local day, YYYY-MM-DD (default a week after `from`); at most 62 days.
    #[param(format = Date)]
    to: Option<String>,
}

/// When a resource is open, busy and free over some days (public: when, never who).
#[utoipa::path(get, path = "/api/v1/resources/{id}/availability", tag = "resources",
    params(("id" = i64, Path, description = "The resource"), Window),
    responses((status = 200, description = "Open, busy and free times", body = Availability)))]
pub async fn availability(
    State(state): State<AppState>,
    Id(id): Id,
    Params(w): Params<Window>,
) -> Answer<Availability> {
    use chrono::{Duration, NaiveDate};
    let today = state.clock.now().with_timezone(&state.tz).date_naive();
    let day =
        |raw: Option<&str>, field: &str, default: NaiveDate| match raw.filter(|d| !d.is_empty()) {
            Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .ok()
                .filter(|d| app::domain::time::plausible(*d))
                .ok_or_else(|| {
                    Problem::from_app(
                        app::error::AppError::validation(field, "date_invalid"),
                        &state.tz,
                    )
                }),
            None => Ok(default),
        };
    let from = day(w.from.as_deref(), "from", today)?;
    let to = day(w.to.as_deref(), "to", from + Duration::days(6))?;
    if to < from || (to - from).num_days() > 62 {
        return Err(Problem::from_app(
            app::error::AppError::validation("to", "free.error_range"),
            &state.tz,
        ));
    }
    let times = state
        .db
        .resource_times(ResourceId(id), &state.tz, from, to)
        .await
        .map_err(|e| Problem::from_app(e.into(), &state.tz))?
        .ok_or_else(|| Problem::new("not-found"))?;
    let free = app::domain::time::subtract(&times.open, &times.busy);
    let span = |s: &app::domain::time::TimeSlot| {
        Span::of(&state.tz, (s.start().timestamp(), s.end().timestamp()))
    };
    let midnight = |d: NaiveDate| {
        use chrono::TimeZone;
        state
            .tz
            .from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
            .earliest()
            .map(|t| t.timestamp())
            .unwrap_or_default()
    };
    Ok(Json(Availability {
        resource_id: id,
        window: Span::of(
            &state.tz,
            (midnight(from), midnight(to + Duration::days(1))),
        ),
        open: times.open.iter().map(span).collect(),
        busy: times.busy.iter().map(span).collect(),
        free: free.iter().map(span).collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FreeFilter {
    /// First local day, YYYY-MM-DD (default tomorrow).
    #[param(format = Date)]
    from: Option<String>,
    /// Last local day (default a week after `from`).
    #[param(format = Date)]
    to: Option<String>,
    /// The time wanted in one piece, in hours (1–168, default 2).
    hours: Option<i64>,
    kind: Option<String>,
    category: Option<i64>,
    institution: Option<i64>,
    q: Option<String>,
    standard: Option<String>,
    cursor: Option<String>,
}

/// Time-first search: resources free for the time wanted, across all institutions (public).
#[utoipa::path(get, path = "/api/v1/free", tag = "resources", params(FreeFilter),
    responses((status = 200, description = "A page of resources with free windows", body = Page<FreeResource>)))]
pub async fn free(
    State(state): State<AppState>,
    Params(f): Params<FreeFilter>,
) -> Answer<Page<FreeResource>> {
    let page = cursor(f.cursor.as_deref())?;
    let answer = app::api::catalogue::free_search(
        &state,
        FreeTimeQuery {
            from: f.from,
            to: f.to,
            hours: f.hours,
            kind: f.kind,
            category: f.category,
            institution: f.institution,
            q: f.q,
            standard: f.standard,
            page: Some(page),
        },
    )
    .await
    .map_err(|e| Problem::from_app(e, &state.tz))?;
    let shown =
        (answer.page - 1) * app::domain::availability::FREE_PAGE_SIZE + answer.results.len();
    Ok(Json(Page {
        items: answer
            .results
            .iter()
            .map(|r| FreeResource::of(r, &state.tz))
            .collect(),
        total: Some(answer.total as i64),
        next_cursor: next_cursor(shown < answer.total, answer.page as i64 + 1),
    }))
}

/// The price and the rule check of a slot for the caller (scope: read).
#[utoipa::path(post, path = "/api/v1/quotes", tag = "bookings", request_body = SlotRequest,
    responses((status = 200, description = "The quote", body = QuoteOut)),
    security(("bearer" = [])))]
pub async fn quote(
    State(state): State<AppState>,
    caller: Caller,
    Body(slot): Body<SlotRequest>,
) -> Answer<QuoteOut> {
    let actor = caller.needs(TokenScope::Read)?;
    let problem = |e| Problem::from_app(e, &state.tz);
    let resource = slot.resource_id.ok_or_else(|| {
        problem(app::error::AppError::validation(
            "resource_id",
            "resource_missing",
        ))
    })?;
    let parsed = app::api::booking::slot(&state.tz, &slot.starts, &slot.ends).map_err(problem)?;
    let quote = app::backend::bookings::quote(&state, Some(actor), ResourceId(resource), &parsed)
        .await
        .map_err(problem)?;
    Ok(Json(QuoteOut::of(&quote, &state.tz)))
}

/// The caller: who the token (or session) is, and its scope.
#[utoipa::path(get, path = "/api/v1/me", tag = "account",
    responses((status = 200, description = "The caller", body = Me)), security(("bearer" = [])))]
pub async fn me(caller: Caller) -> Answer<Me> {
    Ok(Json(Me::of(&caller.actor, caller.scope.as_str())))
}
