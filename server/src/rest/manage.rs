//! Blackouts (institution admins), reports (the report pages' figures) and calendar feeds.

use super::auth::{Body, Caller, Id, Params};
use super::model::*;
use super::problem::Problem;
use super::Answer;
use app::backend::AppState;
use app::domain::account::{Language, TokenScope};
use app::domain::ids::{OrganisationId, ResourceId};
use app::domain::report::Which;
use app::error::AppError;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A resource's blackouts from 90 days ago on (its institution's admins; scope: admin).
#[utoipa::path(get, path = "/api/v1/resources/{id}/blackouts", tag = "institutions",
    params(("id" = i64, Path, description = "The resource")),
    responses((status = 200, description = "The blackouts", body = Vec<Blackout>)),
    security(("bearer" = [])))]
pub async fn blackouts(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
) -> Answer<Vec<Blackout>> {
    let actor = caller.needs(TokenScope::Admin)?;
    app::backend::resources::manager_of(&state, Some(actor), ResourceId(id))
        .await
        .map_err(|e| Problem::from_app(e, &state.tz))?;
    let since = state.clock.now().timestamp() - app::backend::feeds::FEED_PAST_DAYS * 86_400;
    let rows: Vec<(i64, i64, i64, String, String)> = sqlx::query_as(
        "SELECT id, starts_at, ends_at, reason_kind, note FROM blackouts \
         WHERE resource_id = $1 AND ends_at >= $2 ORDER BY starts_at, id",
    )
    .bind(id)
    .bind(since)
    .fetch_all(state.db.pool())
    .await
    .map_err(|e| Problem::from_app(e.into(), &state.tz))?;
    Ok(Json(
        rows.into_iter()
            .map(|(bid, s, e, kind, note)| Blackout {
                id: bid,
                resource_id: id,
                starts: instant(&state.tz, s),
                ends: instant(&state.tz, e),
                kind,
                note,
            })
            .collect(),
    ))
}

/// Blocks a time of a resource (its institution's admins; scope: admin). Active bookings in the
/// way refuse it (409, naming them) unless `cancel_hits` is set: then they are cancelled, their
/// bookers mailed, and the blackout written, all at once.
#[utoipa::path(post, path = "/api/v1/resources/{id}/blackouts", tag = "institutions", request_body = NewBlackout,
    params(("id" = i64, Path, description = "The resource"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer within 24 hours")),
    responses((status = 201, description = "Blocked", body = Vec<Blackout>)),
    security(("bearer" = [])))]
pub async fn add_blackout(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
    Body(new): Body<NewBlackout>,
) -> Result<(StatusCode, Json<Vec<Blackout>>), Problem> {
    let actor = caller.needs(TokenScope::Admin)?;
    let problem = |e| Problem::from_app(e, &state.tz);
    // The editor's form takes local minutes; RFC 3339 is turned into them here.
    let local = |raw: &str, field: &str| {
        app::api::booking::instant(&state.tz, raw, field).map(|t| {
            t.with_timezone(&state.tz)
                .format("%Y-%m-%dT%H:%M")
                .to_string()
        })
    };
    let form = app::domain::editor::BlackoutForm {
        resource: id,
        kind: new.kind,
        starts: local(&new.starts, "starts").map_err(problem)?,
        ends: local(&new.ends, "ends").map_err(problem)?,
        note: new.note,
        cancel_hits: new.cancel_hits.then(|| "1".to_string()),
        reason: new.reason,
    };
    app::backend::editor::add_blackout(&state, Some(actor), &form)
        .await
        .map_err(problem)?;
    let Json(list) = blackouts(State(state.clone()), caller, Id(id)).await?;
    Ok((StatusCode::CREATED, Json(list)))
}

/// Removes a blackout (its institution's admins; scope: admin).
#[utoipa::path(delete, path = "/api/v1/blackouts/{id}", tag = "institutions",
    params(("id" = i64, Path, description = "The blackout")),
    responses((status = 204, description = "Removed")),
    security(("bearer" = [])))]
pub async fn remove_blackout(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
) -> Result<StatusCode, Problem> {
    let actor = caller.needs(TokenScope::Admin)?;
    app::backend::editor::remove_blackout(&state, Some(actor), id)
        .await
        .map_err(|e| Problem::from_app(e, &state.tz))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The period of a report, as the report pages choose it.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportPeriod {
    /// month, quarter, year (default) or custom.
    kind: Option<String>,
    year: Option<i32>,
    /// The month (1–12) or quarter (1–4).
    number: Option<u32>,
    /// A custom period's first and last day.
    #[param(format = Date)]
    from: Option<String>,
    #[param(format = Date)]
    to: Option<String>,
    /// The idle list: used less than this percentage of the open time (5, 10, 20 or 30).
    below: Option<i64>,
}

/// Utilisation and sharing figures: hours in seconds, money in fen.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Figures {
    pub available_seconds: i64,
    pub used_seconds: i64,
    pub no_show_seconds: i64,
    /// Used by organisations outside the owner.
    pub external_seconds: i64,
    pub sme_seconds: i64,
    pub bookings: i64,
    pub cancelled: i64,
    pub no_shows: i64,
    pub income_fen: i64,
    pub external_organisations: i64,
    /// used / available.
    pub utilisation: Option<f64>,
    /// external / used.
    pub share_rate: Option<f64>,
}

impl From<&app::domain::report::Figures> for Figures {
    fn from(f: &app::domain::report::Figures) -> Self {
        Figures {
            available_seconds: f.available,
            used_seconds: f.used,
            no_show_seconds: f.no_show_time,
            external_seconds: f.external,
            sme_seconds: f.sme,
            bookings: f.bookings,
            cancelled: f.cancelled,
            no_shows: f.no_shows,
            income_fen: f.income_fen,
            external_organisations: f.external_organisations,
            utilisation: f.utilisation(),
            share_rate: f.share_rate(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportLine {
    /// The institution, category or resource.
    pub id: i64,
    pub name: Name,
    pub resources: i64,
    pub figures: Figures,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportMonth {
    #[schema(format = Date)]
    pub from: String,
    #[schema(format = Date)]
    pub to: String,
    pub figures: Figures,
}

/// The figures of the report pages (and their downloads), every resource row included.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportOut {
    /// The zone's or the institution's name.
    pub scope: Name,
    /// zone or institution.
    pub scope_kind: String,
    #[schema(format = Date)]
    pub from: String,
    #[schema(format = Date)]
    pub to: String,
    pub totals: Figures,
    pub institutions: Vec<ReportLine>,
    pub categories: Vec<ReportLine>,
    pub resources: Vec<ReportLine>,
    pub months: Vec<ReportMonth>,
    /// Resources used less than `idle_below` of their open time.
    pub idle: Vec<ReportLine>,
    pub idle_below: f64,
}

impl From<&app::domain::report::Report> for ReportOut {
    fn from(r: &app::domain::report::Report) -> Self {
        use app::domain::report::ReportScope;
        let lines = |l: &[app::domain::report::Line]| {
            l.iter()
                .map(|l| ReportLine {
                    id: l.id,
                    name: (&l.name).into(),
                    resources: l.resources,
                    figures: (&l.figures).into(),
                })
                .collect()
        };
        let (scope, kind) = match &r.scope {
            ReportScope::Zone { name } => (name.into(), "zone"),
            ReportScope::Institution { name, .. } => (name.into(), "institution"),
        };
        ReportOut {
            scope,
            scope_kind: kind.into(),
            from: r.period.from.to_string(),
            to: r.period.to.to_string(),
            totals: (&r.totals).into(),
            institutions: lines(&r.institutions),
            categories: lines(&r.categories),
            resources: lines(&r.resources),
            months: r
                .months
                .iter()
                .map(|m| ReportMonth {
                    from: m.from.to_string(),
                    to: m.to.to_string(),
                    figures: (&m.figures).into(),
                })
                .collect(),
            idle: lines(&r.idle),
            idle_below: r.idle_below,
        }
    }
}

async fn report(
    state: &AppState,
    caller: &Caller,
    which: Which,
    institution: Option<i64>,
    p: ReportPeriod,
) -> Answer<ReportOut> {
    let actor = caller.needs(TokenScope::Admin)?;
    let query = app::api::report::ReportQuery {
        kind: p.kind,
        year: p.year,
        number: p.number,
        from: p.from,
        to: p.to,
        below: p.below,
        institution,
    };
    let r = app::api::report::read_report(state, Some(actor), which, &query)
        .await
        .map_err(|e| Problem::from_app(e, &state.tz))?;
    Ok(Json((&r).into()))
}

/// The zone report (zone managers; scope: admin).
#[utoipa::path(get, path = "/api/v1/reports/zone", tag = "reports", params(ReportPeriod),
    responses((status = 200, description = "The zone's figures", body = ReportOut)),
    security(("bearer" = [])))]
pub async fn zone_report(
    State(state): State<AppState>,
    caller: Caller,
    Params(p): Params<ReportPeriod>,
) -> Answer<ReportOut> {
    report(&state, &caller, Which::Zone, None, p).await
}

/// An institution's report (its admins and the zone's managers; scope: admin).
#[utoipa::path(get, path = "/api/v1/reports/institutions/{id}", tag = "reports",
    params(("id" = i64, Path, description = "The institution"), ReportPeriod),
    responses((status = 200, description = "The institution's figures", body = ReportOut)),
    security(("bearer" = [])))]
pub async fn institution_report(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
    Params(p): Params<ReportPeriod>,
) -> Answer<ReportOut> {
    report(&state, &caller, Which::Institution, Some(id), p).await
}

fn ics(state: &AppState, result: Result<String, AppError>) -> Response {
    match result {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "inline; filename=\"calendar.ics\"",
                ),
            ],
            body,
        )
            .into_response(),
        Err(e) => Problem::from_app(e, &state.tz).into_response(),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FeedLanguage {
    /// zh-CN (default) or en.
    lang: Option<String>,
}

/// A resource's busy times and blackouts as an iCalendar feed (public; no personal data).
#[utoipa::path(get, path = "/api/v1/calendars/resources/{id}", tag = "calendars",
    params(("id" = String, Path, description = "The resource, as `<id>.ics`"), FeedLanguage),
    responses((status = 200, description = "iCalendar", content_type = "text/calendar", body = String)))]
pub async fn resource_feed(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Params(l): Params<FeedLanguage>,
) -> Response {
    let Some(id) = feed_id(&id) else {
        return Problem::new("not-found").into_response();
    };
    let language = match l.lang.as_deref() {
        Some("en") => Language::En,
        _ => Language::ZhCn,
    };
    let result = app::backend::feeds::resource_feed(&state, ResourceId(id), language).await;
    ics(&state, result)
}

/// The `<id>` of `<id>.ics`.
fn feed_id(raw: &str) -> Option<i64> {
    raw.strip_suffix(".ics")?.parse().ok().filter(|id| *id > 0)
}

/// A person's bookings as an iCalendar feed, at their secret address (made on the profile page).
#[utoipa::path(get, path = "/api/v1/calendars/{secret}/bookings.ics", tag = "calendars",
    params(("secret" = String, Path, description = "The secret of the person's calendar address")),
    responses((status = 200, description = "iCalendar", content_type = "text/calendar", body = String)))]
pub async fn person_feed(State(state): State<AppState>, Path(secret): Path<String>) -> Response {
    match state.db.calendar_owner(&secret).await {
        Ok(Some(actor)) => {
            let result = app::backend::feeds::person_feed(&state, &actor).await;
            ics(&state, result)
        }
        Ok(None) => Problem::new("not-found").into_response(),
        Err(e) => Problem::from_app(e.into(), &state.tz).into_response(),
    }
}

/// Every booking of an institution's resources as an iCalendar feed, at the secret address of
/// one of its admins.
#[utoipa::path(get, path = "/api/v1/calendars/{secret}/institutions/{id}", tag = "calendars",
    params(("secret" = String, Path, description = "The secret of an admin's calendar address"),
        ("id" = String, Path, description = "The institution, as `<id>.ics`")),
    responses((status = 200, description = "iCalendar", content_type = "text/calendar", body = String)))]
pub async fn institution_feed(
    State(state): State<AppState>,
    Path((secret, id)): Path<(String, String)>,
) -> Response {
    let Some(id) = feed_id(&id) else {
        return Problem::new("not-found").into_response();
    };
    match state.db.calendar_owner(&secret).await {
        Ok(Some(actor)) => {
            let result =
                app::backend::feeds::institution_feed(&state, &actor, OrganisationId(id)).await;
            ics(&state, result)
        }
        Ok(None) => Problem::new("not-found").into_response(),
        Err(e) => Problem::from_app(e.into(), &state.tz).into_response(),
    }
}
