//! Server functions for booking: the quote before confirming, booking, the person's bookings, a
//! booking's detail, cancelling.

use crate::domain::booking::{Booked, BookingDetail, MyBookings, Quote};
use crate::error::AppError;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use {
    crate::backend::{bookings, session, state},
    crate::domain::ids::{BookingId, ResourceId},
    crate::domain::time::TimeSlot,
};

/// A slot from two local times as the browser's `datetime-local` inputs send them
/// ("2026-12-01T09:00"), in the zone's time zone, or two RFC 3339 instants (the REST API's).
#[cfg(feature = "ssr")]
pub fn slot(tz: &chrono_tz::Tz, starts: &str, ends: &str) -> Result<TimeSlot, AppError> {
    let (starts, ends) = (instant(tz, starts, "starts")?, instant(tz, ends, "ends")?);
    TimeSlot::new(starts, ends).map_err(|_| AppError::validation("ends", "time_order"))
}

/// One instant: RFC 3339 with its offset, or a local time of the zone (minutes or seconds).
#[cfg(feature = "ssr")]
pub fn instant(
    tz: &chrono_tz::Tz,
    raw: &str,
    field: &str,
) -> Result<chrono::DateTime<chrono::Utc>, AppError> {
    use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
    let raw = raw.trim();
    let exact = DateTime::parse_from_rfc3339(raw)
        .ok()
        .filter(|t| crate::domain::time::plausible(t.date_naive()))
        .map(|t| t.with_timezone(&Utc));
    exact
        .or_else(|| {
            NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
                .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
                .ok()
                .filter(|local| crate::domain::time::plausible(local.date()))
                .and_then(|local| tz.from_local_datetime(&local).single())
                .map(|t| t.with_timezone(&Utc))
        })
        .ok_or_else(|| AppError::validation(field, "time_invalid"))
}

/// The price and the rule check for a slot of a resource, for the signed-in person.
#[server(endpoint = "quote")]
pub async fn quote_booking(resource: i64, starts: String, ends: String) -> Result<Quote, AppError> {
    super::reply(async move {
        let state = state()?;
        let slot = slot(&state.tz, &starts, &ends)?;
        bookings::quote(
            &state,
            session::actor().as_ref(),
            ResourceId(resource),
            &slot,
        )
        .await
    })
    .await
}

/// Books a slot. 409 when the time was just taken (with the nearest free slots), 422 when the
/// rules refuse it (with which rule, and what would work instead).
#[allow(clippy::too_many_arguments)]
#[server(endpoint = "book")]
pub async fn book(
    resource: i64,
    starts: String,
    ends: String,
    purpose: String,
    sample_description: Option<String>,
    sample_count: Option<String>,
    contact_phone: String,
) -> Result<Booked, AppError> {
    super::reply(async move {
        let state = state()?;
        let slot = slot(&state.tz, &starts, &ends)?;
        let sample_count = match sample_count
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(n) => n
                .parse()
                .map_err(|_| AppError::validation("sample_count", "sample_count_invalid"))?,
            None => 0,
        };
        let new = bookings::NewBooking {
            resource: ResourceId(resource),
            slot,
            purpose,
            sample_description: sample_description.unwrap_or_default(),
            sample_count,
            contact_phone,
        };
        let booked = bookings::create(&state, session::actor().as_ref(), new).await?;
        super::after_form(&format!("/bookings/{}?new=1", booked.id));
        Ok(booked)
    })
    .await
}

#[server(endpoint = "my_bookings")]
pub async fn list_my_bookings() -> Result<MyBookings, AppError> {
    super::reply(async move { bookings::mine(&state()?, session::actor().as_ref()).await }).await
}

#[server(endpoint = "booking")]
pub async fn get_booking(id: i64) -> Result<BookingDetail, AppError> {
    super::reply(async move {
        bookings::detail(&state()?, session::actor().as_ref(), BookingId(id)).await
    })
    .await
}

/// Cancels a booking: its booker before the cut-off, the owning institution's admins any time.
#[server(endpoint = "cancel_booking")]
pub async fn cancel_booking(booking: i64, reason: Option<String>) -> Result<(), AppError> {
    super::reply(async move {
        let state = state()?;
        bookings::cancel(
            &state,
            session::actor().as_ref(),
            BookingId(booking),
            reason.as_deref().unwrap_or_default(),
        )
        .await?;
        super::after_form_back(&format!("/bookings/{booking}"));
        Ok(())
    })
    .await
}

/// Approves (`decision` = "approve") or rejects a pending request, with a reason for a rejection.
#[server(endpoint = "decide")]
pub async fn decide_booking(
    booking: i64,
    decision: String,
    reason: Option<String>,
) -> Result<(), AppError> {
    super::reply(async move {
        let approve = match decision.as_str() {
            "approve" => true,
            "reject" => false,
            _ => return Err(AppError::validation("decision", "choice_unknown")),
        };
        let state = state()?;
        bookings::decide(
            &state,
            session::actor().as_ref(),
            BookingId(booking),
            approve,
            reason.as_deref().unwrap_or_default(),
        )
        .await?;
        super::after_form("/institution/requests");
        Ok(())
    })
    .await
}

/// Records that a finished booking was used (`completed`) or not (`no_show`).
#[server(endpoint = "record_outcome")]
pub async fn record_outcome(booking: i64, outcome: String) -> Result<(), AppError> {
    use crate::domain::catalogue::BookingStatus;
    super::reply(async move {
        let outcome = BookingStatus::parse(&outcome)
            .ok_or_else(|| AppError::validation("outcome", "choice_unknown"))?;
        let state = state()?;
        bookings::record_outcome(
            &state,
            session::actor().as_ref(),
            BookingId(booking),
            outcome,
        )
        .await?;
        super::after_form("/institution/requests");
        Ok(())
    })
    .await
}

/// Moves a booking to another time of the same resource, atomically.
#[server(endpoint = "reschedule")]
pub async fn reschedule_booking(
    booking: i64,
    starts: String,
    ends: String,
) -> Result<(), AppError> {
    super::reply(async move {
        let state = state()?;
        let slot = slot(&state.tz, &starts, &ends)?;
        bookings::reschedule(&state, session::actor().as_ref(), BookingId(booking), slot).await?;
        super::after_form(&format!("/bookings/{booking}"));
        Ok(())
    })
    .await
}

/// An institution's requests and bookings (default: the first the person administers).
#[server(endpoint = "queue")]
pub async fn institution_queue(
    institution: Option<i64>,
) -> Result<crate::domain::booking::InstitutionQueue, AppError> {
    super::reply(async move {
        bookings::institution_queue(&state()?, session::actor().as_ref(), institution).await
    })
    .await
}
