//! Changing bookings. Every transition is one transaction that guards on the state it leaves
//! (so two racing changes cannot both apply), writes an audit row, and queues its mail.

use super::mail::{enqueue, time_span, Mail};
use super::{AppState, Db};
use crate::domain::account::{Actor, Language};
use crate::domain::catalogue::BookingStatus;
use crate::domain::ids::{BookingId, OrganisationId, UserId};
use crate::domain::policy::{require, Action, Target};
use crate::error::AppError;
use serde_json::json;
use sqlx::FromRow;

/// What a change to a booking needs to know about it.
#[derive(Debug, Clone, FromRow)]
pub struct BookingFacts {
    pub id: i64,
    pub user_id: i64,
    pub institution_id: i64,
    pub status: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub cancel_cutoff_minutes: i64,
    pub resource_zh: String,
    pub resource_en: String,
    pub institution_zh: String,
    pub institution_en: String,
    pub booker_email: String,
    pub booker_name: String,
    pub booker_locale: String,
}

impl BookingFacts {
    pub fn target(&self) -> Target {
        Target::Booking {
            booker: UserId(self.user_id),
            institution: OrganisationId(self.institution_id),
        }
    }
}

pub const MAX_REASON_CHARS: usize = 500;

impl Db {
    pub async fn booking_facts(&self, id: BookingId) -> Result<Option<BookingFacts>, sqlx::Error> {
        sqlx::query_as(
            "SELECT b.id, b.user_id, r.institution_id, b.status, b.starts_at, b.ends_at, \
                    COALESCE(br.cancel_cutoff_minutes, 0) AS cancel_cutoff_minutes, \
                    r.name_zh AS resource_zh, r.name_en AS resource_en, o.name_zh AS institution_zh, o.name_en AS institution_en, \
                    u.email AS booker_email, u.display_name AS booker_name, u.locale AS booker_locale \
             FROM bookings b JOIN resources r ON r.id = b.resource_id JOIN organisations o ON o.id = r.institution_id \
             JOIN users u ON u.id = b.user_id LEFT JOIN booking_rules br ON br.resource_id = r.id \
             WHERE b.id = $1",
        )
        .bind(id.0)
        .fetch_optional(self.pool())
        .await
    }
}

/// Cancels a booking. Its booker may, until the resource's cut-off before the start; the owning
/// institution's admins may at any time, giving a reason. The booker is told by mail.
pub async fn cancel(
    state: &AppState,
    actor: Option<&Actor>,
    booking: BookingId,
    reason: &str,
) -> Result<(), AppError> {
    let facts = state
        .db
        .booking_facts(booking)
        .await?
        .ok_or(AppError::NotFound)?;
    require(actor, Action::CancelBooking, facts.target())?;
    let actor = actor.ok_or(AppError::NotSignedIn)?;
    let as_admin = actor.has(crate::domain::account::Role::InstitutionAdmin(
        OrganisationId(facts.institution_id),
    ));
    let reason = reason.trim();
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(AppError::validation("reason", "reason_long"));
    }
    if as_admin && actor.user.0 != facts.user_id && reason.is_empty() {
        return Err(AppError::validation("reason", "reason_missing"));
    }
    let from = BookingStatus::parse(&facts.status).ok_or(AppError::NotFound)?;
    if !from.is_active() {
        return Err(AppError::validation("booking", "not_cancellable"));
    }
    let now = state.clock.now().timestamp();
    if !as_admin && now > facts.starts_at - facts.cancel_cutoff_minutes * 60 {
        return Err(AppError::validation("booking", "cancel_cutoff_passed"));
    }

    let mut tx = state.db.pool().begin().await?;
    let changed = sqlx::query(
        "UPDATE bookings SET status = 'cancelled', status_reason = $1, sequence = sequence + 1, updated_at = $2, \
           decided_by = $3, decided_at = $2 \
         WHERE id = $4 AND status = $5",
    )
    .bind(reason)
    .bind(now)
    .bind(actor.user.0)
    .bind(facts.id)
    .bind(from.as_str())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 0 {
        // Someone else changed it first; nothing was done here.
        return Err(AppError::validation("booking", "not_cancellable"));
    }
    sqlx::query(
        "INSERT INTO booking_events (booking_id, actor_id, at, from_status, to_status, reason) \
         VALUES ($1, $2, $3, $4, 'cancelled', $5)",
    )
    .bind(facts.id)
    .bind(actor.user.0)
    .bind(now)
    .bind(from.as_str())
    .bind(reason)
    .execute(&mut *tx)
    .await?;
    let language = Language::parse(&facts.booker_locale).unwrap_or(Language::ZhCn);
    let english = language == Language::En;
    let pick = |zh: &str, en: &str| {
        if english && !en.is_empty() {
            en.to_string()
        } else {
            zh.to_string()
        }
    };
    let mail = Mail {
        to: facts.booker_email.clone(),
        to_name: facts.booker_name.clone(),
        language,
        template: "booking_cancelled",
        context: json!({
            "name": facts.booker_name,
            "resource": pick(&facts.resource_zh, &facts.resource_en),
            "institution": pick(&facts.institution_zh, &facts.institution_en),
            "when": time_span(language, &state.tz, facts.starts_at, facts.ends_at),
            "booking": facts.id,
            "reason": reason,
            "by": actor.name,
        }),
        booking: Some(facts.id),
    };
    enqueue(&mut tx, &mail, now, &state.settings.public_url).await?;
    tx.commit().await?;
    tracing::info!(
        booking = facts.id,
        actor = actor.user.0,
        "booking cancelled"
    );
    Ok(())
}
