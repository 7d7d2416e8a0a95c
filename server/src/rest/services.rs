//! Testing services and their orders: search and compare services, order one, follow and move
//! orders. Every rule is the order service's (`app::backend::orders`).

use super::auth::{Body, Caller, Id, Params};
use super::model::*;
use super::problem::Problem;
use super::Answer;
use app::backend::{orders, services, AppState};
use app::domain::account::TokenScope;
use app::domain::ids::OrganisationId;
use app::domain::money::Money;
use app::domain::services::{next, Delivery, OrderAction, Party};
use app::error::AppError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

fn problem(state: &AppState) -> impl Fn(AppError) -> Problem + '_ {
    move |e| Problem::from_app(e, &state.tz)
}

/// Service search, as the services page has it.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ServiceFilter {
    /// A standard, typed loosely: "GB/T 2423.17", "gb2423", "2423.1".
    standard: Option<String>,
    /// Words that must all appear (names, products, standards, institution).
    q: Option<String>,
    institution: Option<i64>,
}

/// Testing services in search, compared at the caller's rate (public; a token prices them at
/// its organisation's category).
#[utoipa::path(get, path = "/api/v1/services", tag = "services", operation_id = "search_services", params(ServiceFilter),
    responses((status = 200, description = "The matching services", body = Page<Service>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Option<Caller>,
    Params(f): Params<ServiceFilter>,
) -> Answer<Page<Service>> {
    let cut = |s: Option<String>| s.unwrap_or_default().chars().take(100).collect::<String>();
    let query = services::ServiceQuery {
        standard: cut(f.standard),
        words: cut(f.q),
        institution: f.institution.map(OrganisationId),
    };
    let actor = caller.as_ref().map(|c| &c.actor);
    let page = services::search(&state, actor, &query)
        .await
        .map_err(problem(&state))?;
    Ok(Json(Page {
        total: Some(page.services.len() as i64),
        items: page.services.iter().map(Service::from).collect(),
        next_cursor: None,
    }))
}

/// A service with its sample requirements, prices and instruments (public).
#[utoipa::path(get, path = "/api/v1/services/{id}", tag = "services", operation_id = "get_service",
    params(("id" = i64, Path, description = "The service")),
    responses((status = 200, description = "The service", body = ServiceFull)))]
pub async fn detail(
    State(state): State<AppState>,
    caller: Option<Caller>,
    Id(id): Id,
) -> Answer<ServiceFull> {
    let actor = caller.as_ref().map(|c| &c.actor);
    let detail = services::detail(&state, actor, id)
        .await
        .map_err(problem(&state))?;
    Ok(Json(ServiceFull::of(&detail)))
}

async fn full(state: &AppState, caller: &Caller, id: i64) -> Result<OrderFull, Problem> {
    let detail = orders::order_detail(state, Some(&caller.actor), id)
        .await
        .map_err(problem(state))?;
    Ok(OrderFull::of(&detail, &state.tz))
}

/// Orders a service (scope: book). The institution's admins are told; the caller follows the
/// order by mail and here. Send an `Idempotency-Key` so that a retry never orders twice.
#[utoipa::path(post, path = "/api/v1/orders", tag = "services", operation_id = "place_order", request_body = NewOrder,
    params(("Idempotency-Key" = Option<String>, Header, description = "Up to 200 characters; the same key within 24 hours replays the first answer")),
    responses((status = 201, description = "Submitted", body = OrderFull)),
    security(("bearer" = [])))]
pub async fn place(
    State(state): State<AppState>,
    caller: Caller,
    Body(new): Body<NewOrder>,
) -> Result<(StatusCode, Json<OrderFull>), Problem> {
    let actor = caller.needs(TokenScope::Book)?;
    let invalid = |field: &str, key: &str| problem(&state)(AppError::validation(field, key));
    let requested_by = match new.requested_by.as_deref().map(str::trim) {
        Some(day) if !day.is_empty() => Some(
            chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
                .map_err(|_| invalid("requested_by", "date_invalid"))?,
        ),
        _ => None,
    };
    let order = orders::place(
        &state,
        Some(actor),
        orders::NewOrder {
            service: new.service_id,
            samples: new.samples,
            sample_description: new.sample_description,
            delivery: Delivery::parse(new.delivery.trim()),
            tracking_number: new.tracking_number,
            requested_by,
            invoice_title: new.invoice_title,
            credit_code: new.credit_code,
        },
    )
    .await
    .map_err(problem(&state))?;
    Ok((
        StatusCode::CREATED,
        Json(full(&state, &caller, order).await?),
    ))
}

/// The orders the caller's organisation placed, and those to the institutions they run, the
/// newest first (scope: read).
#[utoipa::path(get, path = "/api/v1/orders", tag = "services", operation_id = "list_orders",
    responses((status = 200, description = "The caller's orders", body = Orders)),
    security(("bearer" = [])))]
pub async fn mine(State(state): State<AppState>, caller: Caller) -> Answer<Orders> {
    let actor = caller.needs(TokenScope::Read)?;
    let page = orders::orders(&state, Some(actor))
        .await
        .map_err(problem(&state))?;
    let list = |rows: &[app::domain::services::OrderRow]| {
        rows.iter().map(|r| Order::of(r, &state.tz)).collect()
    };
    Ok(Json(Orders {
        placed: list(&page.placed),
        received: list(&page.received),
    }))
}

/// An order, for the people on either side of it (scope: read).
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "services", operation_id = "get_order",
    params(("id" = i64, Path, description = "The order")),
    responses((status = 200, description = "The order", body = OrderFull)),
    security(("bearer" = [])))]
pub async fn read(State(state): State<AppState>, caller: Caller, Id(id): Id) -> Answer<OrderFull> {
    caller.needs(TokenScope::Read)?;
    Ok(Json(full(&state, &caller, id).await?))
}

/// Moves an order by one step: the customer's steps need scope `book`, the institution's
/// `admin`. A step the order's state does not allow the caller is refused with nothing changed.
#[utoipa::path(post, path = "/api/v1/orders/{id}/actions", tag = "services", operation_id = "act_on_order", request_body = OrderStep,
    params(("id" = i64, Path, description = "The order"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer within 24 hours")),
    responses((status = 200, description = "Moved", body = OrderFull)),
    security(("bearer" = [])))]
pub async fn act(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
    Body(step): Body<OrderStep>,
) -> Answer<OrderFull> {
    let invalid = |field: &str, key: &str| problem(&state)(AppError::validation(field, key));
    let action = OrderAction::parse(step.action.trim())
        .ok_or_else(|| invalid("action", "choice_unknown"))?;
    let quoted = match step.quoted_fen {
        Some(fen) => Some(Money::from_fen(fen).map_err(|_| invalid("quoted", "price_invalid"))?),
        None => None,
    };
    // The customer's side acts with `book`; the institution's with `admin`.
    let facts = state
        .db
        .order_facts(id)
        .await
        .map_err(|e| problem(&state)(e.into()))?;
    let by_customer = facts.as_ref().is_some_and(|f| {
        f.parties(Some(&caller.actor)).contains(&Party::Customer)
            && next(f.status(), action, Party::Customer).is_some()
    });
    let actor = caller.needs(if by_customer {
        TokenScope::Book
    } else {
        TokenScope::Admin
    })?;
    let input = orders::ActionInput {
        note: step.note,
        quoted,
    };
    orders::act(&state, Some(actor), id, action, input)
        .await
        .map_err(problem(&state))?;
    Ok(Json(full(&state, &caller, id).await?))
}
