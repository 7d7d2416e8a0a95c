//! Calendar feeds (RFC 5545): a person's bookings and an institution's, at the person's secret
//! address; a resource's busy times and blackouts in public, with no personal data. Events of
//! bookings are the mailed invitations' events — same UID, same SEQUENCE — so a calendar that
//! has both shows one event, and the newer change wins.

use super::bookings::{facts_where, BookingFacts};
use super::mail::{mail_host, InviteMethod};
use super::AppState;
use crate::domain::account::{Actor, Language};
use crate::domain::catalogue::BlackoutKind;
use crate::domain::ids::{OrganisationId, ResourceId};
use crate::domain::policy::{require, Action, Target};
use crate::error::AppError;
use crate::i18n::*;
use icalendar::{Calendar, Component, Event, EventLike, EventStatus, Property};

/// How far back a feed reaches; everything later is in it.
pub const FEED_PAST_DAYS: i64 = 90;

fn calendar(name: &str, events: Vec<Event>) -> String {
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("PRODID", "-//labshare//feeds//EN"))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("X-WR-CALNAME", name))
        // Calendar clients poll this often (an hour).
        .append_property(
            Property::new("REFRESH-INTERVAL", "PT1H")
                .add_parameter("VALUE", "DURATION")
                .done(),
        )
        .append_property(Property::new("X-PUBLISHED-TTL", "PT1H"));
    for event in events {
        calendar.push(event);
    }
    calendar.done().to_string()
}

/// A booking's event as its invitation has it; pending ones are tentative, ended ones cancelled.
fn booking_event(state: &AppState, facts: &BookingFacts, now: i64) -> Event {
    let active = matches!(
        facts.status.as_str(),
        "pending" | "confirmed" | "completed" | "no_show"
    );
    let method = if active {
        InviteMethod::Request
    } else {
        InviteMethod::Cancel
    };
    let mut event = facts.invite(state, method, facts.sequence).event(now);
    if facts.status == "pending" {
        event.status(EventStatus::Tentative);
    }
    event
}

/// The person's own bookings.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn person_feed(state: &AppState, actor: &Actor) -> Result<String, AppError> {
    let now = state.clock.now().timestamp();
    let facts = facts_where(
        &state.db,
        "b.user_id = $1 AND b.ends_at >= $2",
        &[actor.user.0, now - FEED_PAST_DAYS * 86_400],
    )
    .await?;
    let locale = crate::wording::locale_of(actor.language);
    let name = format!(
        "{} · {}",
        td_string!(locale, feeds.my_bookings),
        crate::wording::platform_name(locale)
    );
    let events = facts.iter().map(|f| booking_event(state, f, now)).collect();
    Ok(calendar(&name, events))
}

/// Every booking of an institution's resources, for the institution's admins.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn institution_feed(
    state: &AppState,
    actor: &Actor,
    institution: OrganisationId,
) -> Result<String, AppError> {
    let zone = state
        .db
        .institution_zone(institution)
        .await?
        .ok_or(AppError::NotFound)?;
    require(
        Some(actor),
        Action::RunInstitution,
        Target::Institution {
            id: institution,
            zone,
        },
    )?;
    let now = state.clock.now().timestamp();
    let facts = facts_where(
        &state.db,
        "r.institution_id = $1 AND b.ends_at >= $2",
        &[institution.0, now - FEED_PAST_DAYS * 86_400],
    )
    .await?;
    let english = actor.language == Language::En;
    let events = facts
        .iter()
        .map(|f| {
            let mut event = booking_event(state, f, now);
            let pick =
                |zh: &str, en: &str| if english && !en.is_empty() { en } else { zh }.to_string();
            event.summary(&format!(
                "{} · {} · {}",
                pick(&f.resource_zh, &f.resource_en),
                f.booker_name,
                pick(&f.organisation_zh, &f.organisation_en)
            ));
            event
        })
        .collect();
    let name = match facts.first() {
        Some(f) if english && !f.institution_en.is_empty() => f.institution_en.clone(),
        Some(f) => f.institution_zh.clone(),
        None => crate::wording::platform_name(crate::wording::locale_of(actor.language)).into(),
    };
    Ok(calendar(&name, events))
}

/// A resource's busy times and blackouts, public: when, never who.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn resource_feed(
    state: &AppState,
    resource: ResourceId,
    language: Language,
) -> Result<String, AppError> {
    let row = state
        .db
        .resource_row(resource)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = state.clock.now().timestamp();
    let since = now - FEED_PAST_DAYS * 86_400;
    let locale = crate::wording::locale_of(language);
    let host = mail_host(&state.settings.public_url).to_string();
    let at = |t: i64| chrono::DateTime::from_timestamp(t, 0).unwrap_or_default();
    let stamp = at(now);
    let busy: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        "SELECT id, starts_at, ends_at, status FROM bookings \
         WHERE resource_id = $1 AND status IN ('pending', 'confirmed') AND ends_at >= $2 ORDER BY starts_at",
    )
    .bind(resource.0)
    .bind(since)
    .fetch_all(state.db.pool())
    .await?;
    let blackouts: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        "SELECT id, starts_at, ends_at, reason_kind FROM blackouts \
         WHERE resource_id = $1 AND ends_at >= $2 ORDER BY starts_at",
    )
    .bind(resource.0)
    .bind(since)
    .fetch_all(state.db.pool())
    .await?;
    let mut events = Vec::with_capacity(busy.len() + blackouts.len());
    for (id, starts, ends, status) in busy {
        let mut event = Event::new();
        event
            .uid(&format!("busy-{id}@{host}"))
            .timestamp(stamp)
            .starts(at(starts))
            .ends(at(ends))
            .summary(td_string!(locale, feeds.busy))
            .status(if status == "pending" {
                EventStatus::Tentative
            } else {
                EventStatus::Confirmed
            })
            .append_property(Property::new("TRANSP", "OPAQUE"));
        events.push(event.done());
    }
    for (id, starts, ends, kind) in blackouts {
        let why = match BlackoutKind::parse(&kind) {
            Some(BlackoutKind::Maintenance) => td_string!(locale, blackout.maintenance),
            Some(BlackoutKind::Calibration) => td_string!(locale, blackout.calibration),
            _ => td_string!(locale, blackout.internal),
        };
        let mut event = Event::new();
        event
            .uid(&format!("blackout-{id}@{host}"))
            .timestamp(stamp)
            .starts(at(starts))
            .ends(at(ends))
            .summary(why)
            .status(EventStatus::Confirmed)
            .append_property(Property::new("TRANSP", "OPAQUE"));
        events.push(event.done());
    }
    let name = if language == Language::En && !row.name_en.is_empty() {
        row.name_en
    } else {
        row.name_zh
    };
    Ok(calendar(&name, events))
}
