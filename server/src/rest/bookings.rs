//! Bookings: create, read, list one's own, cancel, move; for institution admins their queue,
//! approving, rejecting and recording the outcome. Every rule is the booking service's.

use super::auth::{Body, Caller, Id, Params};
use super::model::*;
use super::problem::Problem;
use super::Answer;
use app::backend::bookings;
use app::backend::AppState;
use app::domain::account::TokenScope;
use app::domain::catalogue::BookingStatus;
use app::domain::ids::{BookingId, ResourceId};
use app::error::AppError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

fn problem(state: &AppState) -> impl Fn(AppError) -> Problem + '_ {
    move |e| Problem::from_app(e, &state.tz)
}

async fn full(state: &AppState, caller: &Caller, id: i64) -> Result<BookingFull, Problem> {
    let detail = bookings::detail(state, Some(&caller.actor), BookingId(id))
        .await
        .map_err(problem(state))?;
    Ok(BookingFull::of(&detail, &state.tz))
}

/// Books a slot (scope: book). 409 when the time was just taken, with the nearest free slots;
/// 422 when the rules refuse it, naming each rule. Send an `Idempotency-Key` so that a retry
/// never books twice.
#[utoipa::path(post, path = "/api/v1/bookings", tag = "bookings", request_body = NewBooking,
    params(("Idempotency-Key" = Option<String>, Header, description = "Up to 200 characters; the same key within 24 hours replays the first answer")),
    responses((status = 201, description = "Booked: confirmed, or pending an approval", body = BookingFull)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Body(new): Body<NewBooking>,
) -> Result<(StatusCode, Json<BookingFull>), Problem> {
    let actor = caller.needs(TokenScope::Book)?;
    let slot =
        app::api::booking::slot(&state.tz, &new.starts, &new.ends).map_err(problem(&state))?;
    if new.sample_count < 0 {
        return Err(problem(&state)(AppError::validation(
            "sample_count",
            "sample_count_invalid",
        )));
    }
    let booked = bookings::create(
        &state,
        Some(actor),
        bookings::NewBooking {
            resource: ResourceId(new.resource_id),
            slot,
            purpose: new.purpose,
            sample_description: new.sample_description,
            sample_count: new.sample_count,
            contact_phone: new.contact_phone,
        },
    )
    .await
    .map_err(problem(&state))?;
    Ok((
        StatusCode::CREATED,
        Json(full(&state, &caller, booked.id.0).await?),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MineFilter {
    /// Only bookings in this state: pending, confirmed, rejected, cancelled, expired, completed
    /// or no_show.
    status: Option<String>,
    /// Page length, 1–200 (default 50).
    limit: Option<i64>,
    /// From a previous page's `next_cursor`.
    cursor: Option<String>,
}

/// The caller's bookings, by start time (scope: read).
#[utoipa::path(get, path = "/api/v1/bookings", tag = "bookings", params(MineFilter),
    responses((status = 200, description = "A page of the caller's bookings", body = Page<Booking>)),
    security(("bearer" = [])))]
pub async fn mine(
    State(state): State<AppState>,
    caller: Caller,
    Params(f): Params<MineFilter>,
) -> Answer<Page<Booking>> {
    let actor = caller.needs(TokenScope::Read)?;
    let invalid = |field: &str, key: &str| problem(&state)(AppError::validation(field, key));
    let status = match f.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => {
            Some(BookingStatus::parse(s).ok_or_else(|| invalid("status", "choice_unknown"))?)
        }
        None => None,
    };
    let limit = f.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(invalid("limit", "choice_unknown"));
    }
    // After (starts, id) of the last one seen.
    let after = match f.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(
            super::decode_cursor(c)
                .and_then(|t| {
                    let (s, i) = t.split_once(':')?;
                    Some((s.parse::<i64>().ok()?, i.parse::<i64>().ok()?))
                })
                .ok_or_else(|| Problem::bad_request("cursor: not one this API gave"))?,
        ),
        None => None,
    };
    let all = bookings::mine(&state, Some(actor))
        .await
        .map_err(problem(&state))?;
    let mut rows: Vec<_> = all
        .upcoming
        .into_iter()
        .chain(all.past)
        .chain(all.cancelled)
        .filter(|r| status.is_none_or(|s| r.status == s))
        .filter(|r| after.is_none_or(|a| (r.starts_at, r.id.0) > a))
        .collect();
    rows.sort_by_key(|r| (r.starts_at, r.id.0));
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = match rows.last() {
        Some(last) if more => Some(super::encode_cursor(&format!(
            "{}:{}",
            last.starts_at, last.id.0
        ))),
        _ => None,
    };
    Ok(Json(Page {
        items: rows.iter().map(|r| Booking::of(r, &state.tz)).collect(),
        total: None,
        next_cursor: next,
    }))
}

/// A booking: the caller's own, or one of an institution they run (scope: read).
#[utoipa::path(get, path = "/api/v1/bookings/{id}", tag = "bookings",
    params(("id" = i64, Path, description = "The booking")),
    responses((status = 200, description = "The booking", body = BookingFull)),
    security(("bearer" = [])))]
pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
) -> Answer<BookingFull> {
    caller.needs(TokenScope::Read)?;
    Ok(Json(full(&state, &caller, id).await?))
}

/// Cancels a booking: its booker before the cut-off (scope: book), the institution's admins any
/// time (scope: admin).
#[utoipa::path(post, path = "/api/v1/bookings/{id}/cancel", tag = "bookings", request_body = Reason,
    params(("id" = i64, Path, description = "The booking"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer within 24 hours")),
    responses((status = 200, description = "Cancelled", body = BookingFull)),
    security(("bearer" = [])))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
    Body(reason): Body<Reason>,
) -> Answer<BookingFull> {
    let actor = caller.needs(acting_on(&state, &caller, id).await?)?;
    bookings::cancel(&state, Some(actor), BookingId(id), &reason.reason)
        .await
        .map_err(problem(&state))?;
    Ok(Json(full(&state, &caller, id).await?))
}

/// Moves a booking to another time of the same resource, atomically (scope: book).
#[utoipa::path(post, path = "/api/v1/bookings/{id}/reschedule", tag = "bookings", request_body = SlotRequest,
    params(("id" = i64, Path, description = "The booking"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer within 24 hours")),
    responses((status = 200, description = "Moved (back to pending where approval is needed)", body = BookingFull)),
    security(("bearer" = [])))]
pub async fn reschedule(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
    Body(slot): Body<SlotRequest>,
) -> Answer<BookingFull> {
    let actor = caller.needs(acting_on(&state, &caller, id).await?)?;
    let parsed =
        app::api::booking::slot(&state.tz, &slot.starts, &slot.ends).map_err(problem(&state))?;
    bookings::reschedule(&state, Some(actor), BookingId(id), parsed)
        .await
        .map_err(problem(&state))?;
    Ok(Json(full(&state, &caller, id).await?))
}

/// The scope an act on booking `id` needs: `book` on the caller's own, else `admin` (an
/// institution admin's act, if the caller is one at all).
async fn acting_on(state: &AppState, caller: &Caller, id: i64) -> Result<TokenScope, Problem> {
    let facts = state
        .db
        .booking_facts(BookingId(id))
        .await
        .map_err(|e| problem(state)(e.into()))?;
    Ok(if facts.is_some_and(|f| f.user_id == caller.actor.user.0) {
        TokenScope::Book
    } else {
        TokenScope::Admin
    })
}

/// Approves a pending request (institution admins; scope: admin).
#[utoipa::path(post, path = "/api/v1/bookings/{id}/approve", tag = "institutions",
    params(("id" = i64, Path, description = "The booking"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer within 24 hours")),
    responses((status = 200, description = "Confirmed", body = BookingFull)),
    security(("bearer" = [])))]
pub async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
) -> Answer<BookingFull> {
    let actor = caller.needs(TokenScope::Admin)?;
    bookings::decide(&state, Some(actor), BookingId(id), true, "")
        .await
        .map_err(problem(&state))?;
    Ok(Json(full(&state, &caller, id).await?))
}

/// Rejects a pending request, with a reason for the booker (institution admins; scope: admin).
#[utoipa::path(post, path = "/api/v1/bookings/{id}/reject", tag = "institutions", request_body = Reason,
    params(("id" = i64, Path, description = "The booking"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer within 24 hours")),
    responses((status = 200, description = "Rejected", body = BookingFull)),
    security(("bearer" = [])))]
pub async fn reject(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
    Body(reason): Body<Reason>,
) -> Answer<BookingFull> {
    let actor = caller.needs(TokenScope::Admin)?;
    bookings::decide(&state, Some(actor), BookingId(id), false, &reason.reason)
        .await
        .map_err(problem(&state))?;
    Ok(Json(full(&state, &caller, id).await?))
}

/// Records whether a finished booking was used (institution admins; scope: admin).
#[utoipa::path(post, path = "/api/v1/bookings/{id}/outcome", tag = "institutions", request_body = Outcome,
    params(("id" = i64, Path, description = "The booking"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer within 24 hours")),
    responses((status = 200, description = "Recorded", body = BookingFull)),
    security(("bearer" = [])))]
pub async fn outcome(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
    Body(outcome): Body<Outcome>,
) -> Answer<BookingFull> {
    let actor = caller.needs(TokenScope::Admin)?;
    let status = BookingStatus::parse(&outcome.outcome)
        .ok_or_else(|| problem(&state)(AppError::validation("outcome", "choice_unknown")))?;
    bookings::record_outcome(&state, Some(actor), BookingId(id), status)
        .await
        .map_err(problem(&state))?;
    Ok(Json(full(&state, &caller, id).await?))
}

/// An institution's requests to decide, coming bookings and ended ones without an outcome
/// (its admins; scope: admin).
#[utoipa::path(get, path = "/api/v1/institutions/{id}/bookings", tag = "institutions",
    params(("id" = i64, Path, description = "The institution")),
    responses((status = 200, description = "The institution's queue", body = Queue)),
    security(("bearer" = [])))]
pub async fn queue(State(state): State<AppState>, caller: Caller, Id(id): Id) -> Answer<Queue> {
    let actor = caller.needs(TokenScope::Admin)?;
    let q = bookings::institution_queue(&state, Some(actor), Some(id))
        .await
        .map_err(problem(&state))?;
    let list = |rows: &[app::domain::booking::BookingRow]| {
        rows.iter().map(|r| Booking::of(r, &state.tz)).collect()
    };
    Ok(Json(Queue {
        institution_id: q.institution.0,
        institution: (&q.name).into(),
        pending: list(&q.pending),
        upcoming: list(&q.upcoming),
        to_record: list(&q.to_record),
    }))
}
