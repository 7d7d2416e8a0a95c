//! Booking: quoting, creating, listing and changing bookings. Every transition is one transaction
//! that guards on the state it leaves (so two racing changes cannot both apply), writes an audit
//! row, and queues its mail. The rules are checked first for a good answer; the database's overlap
//! guard is what makes a booking safe.

use super::mail::{booking_uid, enqueue, Invite, InviteMethod, Mail};
use super::{AppState, Db};
use crate::domain::account::{check_phone, Actor, Language, Membership, Role};
use crate::domain::booking::*;
use crate::domain::catalogue::{
    Bilingual, BookingStatus, CustomerCategory, RateView, ResourceStatus,
};
use crate::domain::ids::{BookingId, OrganisationId, ResourceId, UserId, ZoneId};
use crate::domain::money::Money;
use crate::domain::policy::{can, require, Action, Target};
use crate::domain::rules::{BookingRules, RuleViolation, Situation};
use crate::domain::schedule::OpeningHours;
use crate::domain::time::TimeSlot;
use crate::error::AppError;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use sqlx::{AnyConnection, FromRow};

pub const MAX_REASON_CHARS: usize = 500;
/// How far around the wanted slot the context is read, for "what would work instead".
const AROUND_DAYS: i64 = 15;

/// What a change to a booking, and its mail, need to know about it.
#[derive(Debug, Clone, FromRow)]
pub struct BookingFacts {
    pub id: i64,
    pub resource_id: i64,
    pub user_id: i64,
    /// The organisation the booking was made for.
    pub organisation_id: i64,
    pub institution_id: i64,
    pub status: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub price_fen: i64,
    pub customer_category: String,
    pub purpose: String,
    pub cancel_cutoff_minutes: i64,
    pub resource_zh: String,
    pub resource_en: String,
    pub building: String,
    pub room: String,
    pub institution_zh: String,
    pub institution_en: String,
    pub organisation_zh: String,
    pub organisation_en: String,
    pub booker_email: String,
    pub booker_name: String,
    pub booker_locale: String,
    /// Counts the booking's changes: the calendar invitation's SEQUENCE.
    pub sequence: i64,
}

macro_rules! facts_select {
    () => { "SELECT b.id, b.resource_id, b.user_id, b.organisation_id, r.institution_id, b.status, b.starts_at, b.ends_at, \
        b.price_fen, b.customer_category, b.purpose, \
        COALESCE(br.cancel_cutoff_minutes, 0) AS cancel_cutoff_minutes, \
        r.name_zh AS resource_zh, r.name_en AS resource_en, r.building, r.room, \
        o.name_zh AS institution_zh, o.name_en AS institution_en, \
        c.name_zh AS organisation_zh, c.name_en AS organisation_en, \
        u.email AS booker_email, u.display_name AS booker_name, u.locale AS booker_locale, b.sequence \
     FROM bookings b JOIN resources r ON r.id = b.resource_id JOIN organisations o ON o.id = r.institution_id \
     JOIN organisations c ON c.id = b.organisation_id JOIN users u ON u.id = b.user_id \
     LEFT JOIN booking_rules br ON br.resource_id = r.id "
    };
}

const FACTS_SQL: &str = concat!(facts_select!(), "WHERE b.id = $1");

/// The facts of every booking `condition` (on `b`, the bookings) selects, in start order.
pub(crate) async fn facts_where(
    db: &Db,
    condition: &str,
    binds: &[i64],
) -> Result<Vec<BookingFacts>, sqlx::Error> {
    let sql = format!(
        "{} WHERE {condition} ORDER BY b.starts_at, b.id",
        facts_select!()
    );
    let mut query = sqlx::query_as(&sql);
    for value in binds {
        query = query.bind(*value);
    }
    query.fetch_all(db.pool()).await
}

impl BookingFacts {
    pub fn target(&self) -> Target {
        Target::Booking {
            booker: UserId(self.user_id),
            institution: OrganisationId(self.institution_id),
        }
    }

    fn status(&self) -> BookingStatus {
        BookingStatus::parse(&self.status).unwrap_or(BookingStatus::Cancelled)
    }

    /// A mail about this booking to `to`, in `language`, with the details every booking mail
    /// shows plus `extra`.
    fn mail(
        &self,
        state: &AppState,
        template: &'static str,
        (to, to_name, language): (&str, &str, Language),
        extra: serde_json::Value,
    ) -> Mail {
        let english = language == Language::En;
        let pick = |zh: &str, en: &str| {
            if english && !en.is_empty() {
                en.to_string()
            } else {
                zh.to_string()
            }
        };
        let locale = crate::wording::locale_of(language);
        let category = CustomerCategory::parse(&self.customer_category)
            .map(|c| crate::wording::category_label(locale, c))
            .unwrap_or_default();
        let mut context = json!({
            "name": to_name,
            "resource": pick(&self.resource_zh, &self.resource_en),
            "institution": pick(&self.institution_zh, &self.institution_en),
            "organisation": pick(&self.organisation_zh, &self.organisation_en),
            "booker": self.booker_name,
            "when": crate::wording::time_span(locale, &state.tz, self.starts_at, self.ends_at),
            "booking": self.id,
            "price": Money::from_fen(self.price_fen).unwrap_or_default().display(),
            "category": category,
            "location": format!("{} {}", self.building, self.room).trim().to_string(),
            "purpose": self.purpose,
            "link": format!("{}/bookings/{}", state.settings.public_url, self.id),
            "reason": "",
            "by": "",
        });
        if let (Some(map), Some(more)) = (context.as_object_mut(), extra.as_object()) {
            for (k, v) in more {
                map.insert(k.clone(), v.clone());
            }
        }
        Mail {
            booking: Some(self.id),
            ..Mail::new((to, to_name, language), template, context)
        }
    }

    /// The calendar event for this booking as the booker sees it, at change number `sequence`.
    pub(crate) fn invite(&self, state: &AppState, method: InviteMethod, sequence: i64) -> Invite {
        let english = self.booker_locale == Language::En.as_str();
        let pick = |zh: &str, en: &str| {
            if english && !en.is_empty() {
                en.to_string()
            } else {
                zh.to_string()
            }
        };
        let resource = pick(&self.resource_zh, &self.resource_en);
        let institution = pick(&self.institution_zh, &self.institution_en);
        Invite {
            method,
            uid: booking_uid(self.id, &state.settings.public_url),
            sequence,
            starts: self.starts_at,
            ends: self.ends_at,
            summary: resource.clone(),
            location: format!("{institution} {} {}", self.building, self.room)
                .trim()
                .to_string(),
            description: format!("{}/bookings/{}", state.settings.public_url, self.id),
            organizer: (state.settings.mail_from.clone(), institution),
            attendee: (self.booker_email.clone(), self.booker_name.clone()),
        }
    }

    fn mail_to_booker(
        &self,
        state: &AppState,
        template: &'static str,
        extra: serde_json::Value,
    ) -> Mail {
        let language = Language::parse(&self.booker_locale).unwrap_or(Language::ZhCn);
        self.mail(
            state,
            template,
            (&self.booker_email, &self.booker_name, language),
            extra,
        )
    }
}

async fn facts_on(conn: &mut AnyConnection, id: i64) -> Result<Option<BookingFacts>, sqlx::Error> {
    sqlx::query_as(FACTS_SQL)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
}

/// Everything the rules need about one resource around one slot.
struct Context {
    institution: OrganisationId,
    institution_zone: Option<ZoneId>,
    status: ResourceStatus,
    rules: BookingRules,
    hours: OpeningHours,
    closed: Vec<NaiveDate>,
    taken: Vec<TimeSlot>,
    rates: Vec<RateView>,
}

impl Db {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn booking_facts(&self, id: BookingId) -> Result<Option<BookingFacts>, sqlx::Error> {
        sqlx::query_as(FACTS_SQL)
            .bind(id.0)
            .fetch_optional(self.pool())
            .await
    }

    async fn booking_context(
        &self,
        resource: ResourceId,
        slot: &TimeSlot,
        tz: &chrono_tz::Tz,
    ) -> Result<Context, AppError> {
        let row: Option<(i64, Option<i64>, String)> = sqlx::query_as(
            "SELECT r.institution_id, o.zone_id, r.status FROM resources r \
             JOIN organisations o ON o.id = r.institution_id WHERE r.id = $1",
        )
        .bind(resource.0)
        .fetch_optional(self.pool())
        .await?;
        let (institution, zone, status) = row.ok_or(AppError::NotFound)?;
        let rules = self.rules_of(resource).await?.ok_or(AppError::NotFound)?;
        let hours = self.opening_hours_of(resource).await?;
        let rates = self.rates_of(resource).await?;
        let from = slot.start().timestamp() - AROUND_DAYS * 86_400;
        let until = slot.end().timestamp() + AROUND_DAYS * 86_400;
        let taken: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT blocked_from, blocked_until FROM bookings \
             WHERE resource_id = $1 AND status IN ('pending', 'confirmed') AND blocked_from < $3 AND $2 < blocked_until \
             UNION ALL \
             SELECT starts_at, ends_at FROM blackouts WHERE resource_id = $1 AND starts_at < $3 AND $2 < ends_at",
        )
        .bind(resource.0)
        .bind(from)
        .bind(until)
        .fetch_all(self.pool())
        .await?;
        let day = |t: i64| {
            DateTime::from_timestamp(t, 0)
                .unwrap_or_default()
                .with_timezone(tz)
                .date_naive()
                .format("%Y-%m-%d")
                .to_string()
        };
        let closed: Vec<(String,)> = sqlx::query_as(
            "SELECT day FROM closure_days WHERE (resource_id IS NULL OR resource_id = $1) AND day >= $2 AND day <= $3",
        )
        .bind(resource.0)
        .bind(day(from))
        .bind(day(until))
        .fetch_all(self.pool())
        .await?;
        Ok(Context {
            institution: OrganisationId(institution),
            institution_zone: zone.map(ZoneId),
            status: ResourceStatus::parse(&status).unwrap_or(ResourceStatus::Retired),
            rules,
            hours,
            closed: closed
                .iter()
                .filter_map(|(d,)| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .collect(),
            taken: taken
                .into_iter()
                .filter_map(|(s, e)| TimeSlot::from_unix(s, e).ok())
                .collect(),
            rates,
        })
    }

    /// The booker's organisation as prices and audiences see it.
    pub(crate) async fn customer(&self, actor: &Actor) -> Result<Customer, AppError> {
        let (sme,): (i64,) = sqlx::query_as(
            "SELECT CASE WHEN is_sme THEN 1 ELSE 0 END FROM organisations WHERE id = $1",
        )
        .bind(actor.organisation.0)
        .fetch_one(self.pool())
        .await?;
        Ok(Customer {
            organisation: actor.organisation,
            zone: actor.zone,
            // A member whose membership waits for confirmation books as an outsider.
            is_sme: sme != 0 && actor.membership == Membership::Confirmed,
        })
    }

    /// An institution's admins (address, name, language), to tell about a request for them.
    async fn admins_of(
        &self,
        institution: i64,
    ) -> Result<Vec<(String, String, String)>, sqlx::Error> {
        let mut conn = self.pool().acquire().await?;
        super::admins_on(&mut conn, institution).await
    }
}

fn quote_in(
    context: &Context,
    customer: Customer,
    slot: &TimeSlot,
    tz: &chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Quote {
    let (relation, category) = standing(customer, context.institution, context.institution_zone);
    let situation = Situation {
        tz,
        now,
        status: context.status,
        hours: &context.hours,
        closed_days: &context.closed,
        taken: &context.taken,
    };
    let violations = context.rules.check(&situation, relation, slot);
    let alternatives = if violations.is_empty() {
        Vec::new()
    } else {
        context
            .rules
            .alternatives(&situation, slot, 3)
            .iter()
            .map(|s| (s.start().timestamp(), s.end().timestamp()))
            .collect()
    };
    let (category, price) = price(&context.rates, category, slot.minutes());
    Quote {
        category,
        price,
        minutes: slot.minutes(),
        approval_required: context.rules.approval_required,
        violations,
        alternatives,
    }
}

/// A quote as an answer: itself when every rule passes; "just taken" when only the time fails;
/// the broken rules otherwise. Each refusal carries the nearby slots that would work.
fn verdict(quote: Quote) -> Result<Quote, AppError> {
    if quote.violations.is_empty() {
        Ok(quote)
    } else if quote.violations == [RuleViolation::Taken] {
        Err(AppError::Conflict {
            alternatives: quote.alternatives,
        })
    } else {
        Err(AppError::Refused {
            violations: quote.violations,
            alternatives: quote.alternatives,
        })
    }
}

/// The answer when the database refused a write as overlapping (someone was quicker between the
/// check and the write): "just taken", with what is free now. `own` is the blocked interval of
/// the booking being moved, which does not stand in its own way.
async fn taken_now(
    state: &AppState,
    resource: ResourceId,
    slot: &TimeSlot,
    customer: Customer,
    own: Option<TimeSlot>,
) -> AppError {
    let mut context = match state.db.booking_context(resource, slot, &state.tz).await {
        Ok(context) => context,
        Err(e) => return e,
    };
    context.taken.retain(|t| Some(*t) != own);
    let fresh = quote_in(&context, customer, slot, &state.tz, state.clock.now());
    AppError::Conflict {
        alternatives: fresh.alternatives,
    }
}

/// The price and the rule check for a slot, before anything is written.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn quote(
    state: &AppState,
    actor: Option<&Actor>,
    resource: ResourceId,
    slot: &TimeSlot,
) -> Result<Quote, AppError> {
    let actor = actor.ok_or(AppError::NotSignedIn)?;
    let context = state.db.booking_context(resource, slot, &state.tz).await?;
    require(
        Some(actor),
        Action::Book,
        Target::Resource {
            institution: context.institution,
        },
    )?;
    let customer = state.db.customer(actor).await?;
    Ok(quote_in(
        &context,
        customer,
        slot,
        &state.tz,
        state.clock.now(),
    ))
}

fn check_text(value: &str, field: &str, max: usize, required: bool) -> Result<String, AppError> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(AppError::validation(field, "text_missing"));
    }
    let control = value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t');
    if value.chars().count() > max || control {
        return Err(AppError::validation(field, "text_long"));
    }
    Ok(value.to_string())
}

/// What a person asks for when booking.
#[derive(Debug, Clone)]
pub struct NewBooking {
    pub resource: ResourceId,
    pub slot: TimeSlot,
    pub purpose: String,
    pub sample_description: String,
    pub sample_count: i64,
    pub contact_phone: String,
}

/// Books a slot: confirmed at once, or held as pending where the resource needs approval. If the
/// database refuses it as overlapping (someone was quicker), the answer is a conflict with the
/// nearest free slots.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    state: &AppState,
    actor: Option<&Actor>,
    new: NewBooking,
) -> Result<Booked, AppError> {
    let actor = actor.ok_or(AppError::NotSignedIn)?;
    let context = state
        .db
        .booking_context(new.resource, &new.slot, &state.tz)
        .await?;
    require(
        Some(actor),
        Action::Book,
        Target::Resource {
            institution: context.institution,
        },
    )?;
    let purpose = check_text(&new.purpose, "purpose", 500, true)?;
    let samples = check_text(&new.sample_description, "sample_description", 1000, false)?;
    if !(0..=100_000).contains(&new.sample_count) {
        return Err(AppError::validation("sample_count", "sample_count_invalid"));
    }
    let phone =
        check_phone(&new.contact_phone).map_err(|k| AppError::validation("contact_phone", k))?;
    let customer = state.db.customer(actor).await?;
    let now = state.clock.now();
    let quote = quote_in(&context, customer, &new.slot, &state.tz, now);
    let quote = verdict(quote)?;
    let status = if context.rules.approval_required {
        BookingStatus::Pending
    } else {
        BookingStatus::Confirmed
    };
    let admins = if status == BookingStatus::Pending {
        state.db.admins_of(context.institution.0).await?
    } else {
        Vec::new()
    };
    let blocked = context.rules.blocked(&new.slot);
    let at = now.timestamp();

    let quotas = state.db.quotas_of(new.resource).await?;
    let (user, organisation) = (actor.user, actor.organisation);
    let (resource, slot) = (new.resource, new.slot);
    let sample_count = new.sample_count;
    let shared = state.clone();
    let written = state
        .db
        .write(move |tx| {
            Box::pin(async move {
                let state = &shared;
                if let Some(turn) = state.db.dialect().resource_turn() {
                    sqlx::query(turn).bind(resource.0).execute(&mut *tx).await?;
                }
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO bookings (resource_id, user_id, organisation_id, starts_at, ends_at, blocked_from, blocked_until, \
                       status, customer_category, price_fen, purpose, sample_description, sample_count, contact_phone, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id",
                )
                .bind(resource.0)
                .bind(user.0)
                .bind(organisation.0)
                .bind(slot.start().timestamp())
                .bind(slot.end().timestamp())
                .bind(blocked.start().timestamp())
                .bind(blocked.end().timestamp())
                .bind(status.as_str())
                .bind(quote.category.as_str())
                .bind(quote.price.fen())
                .bind(&purpose)
                .bind(&samples)
                .bind(sample_count)
                .bind(&phone)
                .bind(at)
                .fetch_one(&mut *tx)
                .await?;
                // Counted after the row is written, in its transaction: nothing slips in between.
                within_quotas(tx, state, &quotas, resource, (user, organisation), &slot).await?;
                sqlx::query(
                    "INSERT INTO booking_events (booking_id, actor_id, at, from_status, to_status, reason) VALUES ($1, $2, $3, NULL, $4, '')",
                )
                .bind(id)
                .bind(user.0)
                .bind(at)
                .bind(status.as_str())
                .execute(&mut *tx)
                .await?;
                let facts = facts_on(tx, id).await?.ok_or(AppError::NotFound)?;
                let template = if status == BookingStatus::Pending {
                    "booking_received"
                } else {
                    "booking_confirmed"
                };
                let mut mail = facts.mail_to_booker(state, template, json!({}));
                if status == BookingStatus::Confirmed {
                    mail.invite = Some(facts.invite(state, InviteMethod::Request, facts.sequence));
                }
                enqueue(tx, &mail, at, &state.settings.public_url).await?;
                for (email, name, locale) in &admins {
                    let language = Language::parse(locale).unwrap_or(Language::ZhCn);
                    let mail = facts.mail(state, "booking_request", (email, name, language), json!({}));
                    enqueue(tx, &mail, at, &state.settings.public_url).await?;
                }
                Ok((id, quote))
            })
        })
        .await;
    let (id, quote) = match written {
        Ok(written) => written,
        // The database refused the overlap: someone was quicker.
        Err(AppError::Conflict { .. }) => {
            return Err(taken_now(state, new.resource, &new.slot, customer, None).await);
        }
        Err(e) => return Err(e),
    };
    tracing::info!(
        booking = id,
        resource = new.resource.0,
        status = status.as_str(),
        "booked"
    );
    Ok(Booked {
        id: BookingId(id),
        status,
        price: quote.price,
    })
}

/// Whether `actor` may cancel the booking now: its booker until the cut-off, the owning
/// institution's admins any time (with a reason).
fn may_cancel(actor: &Actor, facts: &BookingFacts, now: i64) -> Result<bool, AppError> {
    if !can(actor, Action::CancelBooking, facts.target()) {
        return Err(AppError::Forbidden);
    }
    let as_admin = actor.has(Role::InstitutionAdmin(OrganisationId(facts.institution_id)));
    if !facts.status().is_active() {
        return Err(AppError::validation("booking", "not_cancellable"));
    }
    if !as_admin && now > facts.starts_at - facts.cancel_cutoff_minutes * 60 {
        return Err(AppError::validation("booking", "cancel_cutoff_passed"));
    }
    Ok(as_admin)
}

/// Whether the person and their organisation stay within the resource's quotas with the
/// bookings on `tx` (the new or moved one included): at most so many active bookings still to
/// come, and so many minutes in the zone's calendar week of `slot`.
async fn within_quotas(
    tx: &mut AnyConnection,
    state: &AppState,
    quotas: &crate::domain::rules::Quotas,
    resource: ResourceId,
    (user, organisation): (UserId, OrganisationId),
    slot: &TimeSlot,
) -> Result<(), AppError> {
    if *quotas == crate::domain::rules::Quotas::default() {
        return Ok(());
    }
    let now = state.clock.now().timestamp();
    let day = slot.start().with_timezone(&state.tz).date_naive();
    let monday = crate::domain::schedule::WeekGrid::monday_of(day);
    let midnight = |d: chrono::NaiveDate| {
        use chrono::TimeZone;
        state
            .tz
            .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map(|t| t.timestamp())
            .unwrap_or(now)
    };
    let (week_start, week_end) = (
        midnight(monday),
        midnight(monday + chrono::Duration::days(7)),
    );
    let clipped = state
        .db
        .dialect()
        .clipped("x.starts_at", "x.ends_at", "$4", "$5");
    let mut violations = Vec::new();
    for (organisation_wide, column, id) in [
        (false, "user_id", user.0),
        (true, "organisation_id", organisation.0),
    ] {
        let (active, week): (i64, i64) = sqlx::query_as(&format!(
            "SELECT COALESCE(SUM(CASE WHEN x.ends_at > $3 THEN 1 ELSE 0 END), 0), \
               CAST(COALESCE(SUM(CASE WHEN x.starts_at < $5 AND x.ends_at > $4 THEN {clipped} ELSE 0 END), 0) AS BIGINT) \
             FROM bookings x WHERE x.resource_id = $1 AND x.{column} = $2 AND x.status IN ('pending', 'confirmed')"
        ))
        .bind(resource.0)
        .bind(id)
        .bind(now)
        .bind(week_start)
        .bind(week_end)
        .fetch_one(&mut *tx)
        .await?;
        violations.extend(quotas.check(organisation_wide, active, week / 60));
    }
    if violations.is_empty() {
        Ok(())
    } else {
        Err(AppError::Refused {
            violations,
            alternatives: Vec::new(),
        })
    }
}

/// The gate for changing a booking: its facts, read from its row, and the person signed in, if
/// they may cancel it (its booker, or an admin of the owner institution).
async fn booker_or_admin<'a>(
    state: &AppState,
    actor: Option<&'a Actor>,
    booking: BookingId,
) -> Result<(BookingFacts, &'a Actor), AppError> {
    let facts = state
        .db
        .booking_facts(booking)
        .await?
        .ok_or(AppError::NotFound)?;
    require(actor, Action::CancelBooking, facts.target())?;
    Ok((facts, actor.ok_or(AppError::NotSignedIn)?))
}

/// Cancels a booking. The booker is told by mail.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn cancel(
    state: &AppState,
    actor: Option<&Actor>,
    booking: BookingId,
    reason: &str,
) -> Result<(), AppError> {
    let (facts, actor) = booker_or_admin(state, actor, booking).await?;
    let reason = reason.trim();
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(AppError::validation("reason", "reason_long"));
    }
    let now = state.clock.now().timestamp();
    let as_admin = may_cancel(actor, &facts, now)?;
    if as_admin && actor.user.0 != facts.user_id && reason.is_empty() {
        return Err(AppError::validation("reason", "reason_missing"));
    }

    let (shared, who, why, what) = (
        state.clone(),
        actor.clone(),
        reason.to_string(),
        facts.clone(),
    );
    state
        .db
        .write(move |tx| {
            Box::pin(async move {
                if !cancel_on(tx, &shared, &what, &who, &why, now).await? {
                    // Someone else changed it first; nothing was done here.
                    return Err(AppError::validation("booking", "not_cancellable"));
                }
                Ok(())
            })
        })
        .await?;
    tracing::info!(
        booking = facts.id,
        actor = actor.user.0,
        "booking cancelled"
    );
    Ok(())
}

#[derive(FromRow)]
struct RowDb {
    id: i64,
    resource_id: i64,
    resource_zh: String,
    resource_en: String,
    institution_id: i64,
    institution_zh: String,
    institution_en: String,
    booker_id: i64,
    booker_name: String,
    organisation_zh: String,
    organisation_en: String,
    starts_at: i64,
    ends_at: i64,
    status: String,
    price_fen: i64,
    purpose: String,
    cancel_cutoff_minutes: i64,
}

const ROW_SQL: &str = "SELECT b.id, b.resource_id, r.name_zh AS resource_zh, r.name_en AS resource_en, \
        r.institution_id, o.name_zh AS institution_zh, o.name_en AS institution_en, \
        u.id AS booker_id, u.display_name AS booker_name, c.name_zh AS organisation_zh, c.name_en AS organisation_en, \
        b.starts_at, b.ends_at, b.status, b.price_fen, b.purpose, COALESCE(br.cancel_cutoff_minutes, 0) AS cancel_cutoff_minutes \
     FROM bookings b JOIN resources r ON r.id = b.resource_id JOIN organisations o ON o.id = r.institution_id \
     JOIN users u ON u.id = b.user_id JOIN organisations c ON c.id = b.organisation_id \
     LEFT JOIN booking_rules br ON br.resource_id = r.id";

impl RowDb {
    fn into_row(self, viewer: &Actor, now: i64) -> BookingRow {
        let status = BookingStatus::parse(&self.status).unwrap_or(BookingStatus::Cancelled);
        let target = Target::Booking {
            booker: UserId(self.booker_id),
            institution: OrganisationId(self.institution_id),
        };
        let admin = viewer.has(Role::InstitutionAdmin(OrganisationId(self.institution_id)));
        let can_cancel = can(viewer, Action::CancelBooking, target)
            && status.is_active()
            && (admin || now <= self.starts_at - self.cancel_cutoff_minutes * 60);
        BookingRow {
            id: BookingId(self.id),
            resource: ResourceId(self.resource_id),
            resource_name: Bilingual {
                zh: self.resource_zh,
                en: self.resource_en,
            },
            institution: Bilingual {
                zh: self.institution_zh,
                en: self.institution_en,
            },
            booker_name: self.booker_name,
            organisation: Bilingual {
                zh: self.organisation_zh,
                en: self.organisation_en,
            },
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            status,
            price: Money::from_fen(self.price_fen).unwrap_or_default(),
            purpose: self.purpose,
            can_cancel,
        }
    }
}

/// The signed-in person's bookings: upcoming (active, not yet ended), past, and cancelled or
/// otherwise closed.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn mine(state: &AppState, actor: Option<&Actor>) -> Result<MyBookings, AppError> {
    let actor = actor.ok_or(AppError::NotSignedIn)?;
    let rows: Vec<RowDb> = sqlx::query_as(&format!(
        "{ROW_SQL} WHERE b.user_id = $1 ORDER BY b.starts_at DESC LIMIT 500"
    ))
    .bind(actor.user.0)
    .fetch_all(state.db.pool())
    .await?;
    let now = state.clock.now().timestamp();
    let mut page = MyBookings {
        upcoming: Vec::new(),
        past: Vec::new(),
        cancelled: Vec::new(),
        utc_offset_seconds: super::utc_offset(state),
    };
    for row in rows {
        let row = row.into_row(actor, now);
        match row.status {
            BookingStatus::Cancelled | BookingStatus::Rejected | BookingStatus::Expired => {
                page.cancelled.push(row)
            }
            s if s.is_active() && row.ends_at > now => page.upcoming.push(row),
            _ => page.past.push(row),
        }
    }
    page.upcoming.reverse();
    Ok(page)
}

/// One booking with its history, for its booker and the owning institution's admins.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn detail(
    state: &AppState,
    actor: Option<&Actor>,
    id: BookingId,
) -> Result<BookingDetail, AppError> {
    let actor = actor.ok_or(AppError::NotSignedIn)?;
    let row: RowDb = sqlx::query_as(&format!("{ROW_SQL} WHERE b.id = $1"))
        .bind(id.0)
        .fetch_optional(state.db.pool())
        .await?
        .ok_or(AppError::NotFound)?;
    // Seeing a booking is allowed to whoever may cancel it: its booker and the owner's admins.
    // Anyone else is told it is not there, as for an id that does not exist: the answer does not
    // reveal which booking numbers are taken.
    let target = Target::Booking {
        booker: UserId(row.booker_id),
        institution: OrganisationId(row.institution_id),
    };
    require(Some(actor), Action::CancelBooking, target).map_err(|_| AppError::NotFound)?;
    #[derive(FromRow)]
    struct ExtraRow {
        customer_category: String,
        sample_description: String,
        sample_count: i64,
        contact_phone: String,
        status_reason: String,
    }
    let extra: ExtraRow = sqlx::query_as(
        "SELECT customer_category, sample_description, sample_count, contact_phone, status_reason FROM bookings WHERE id = $1",
    )
    .bind(id.0)
    .fetch_one(state.db.pool())
    .await?;
    #[derive(FromRow)]
    struct EventRow {
        at: i64,
        actor: Option<String>,
        from_status: Option<String>,
        to_status: String,
        reason: String,
    }
    let events: Vec<EventRow> = sqlx::query_as(
        "SELECT e.at, u.display_name AS actor, e.from_status, e.to_status, e.reason FROM booking_events e \
         LEFT JOIN users u ON u.id = e.actor_id WHERE e.booking_id = $1 ORDER BY e.at, e.id",
    )
    .bind(id.0)
    .fetch_all(state.db.pool())
    .await?;
    let now = state.clock.now().timestamp();
    Ok(BookingDetail {
        row: row.into_row(actor, now),
        customer_category: CustomerCategory::parse(&extra.customer_category)
            .unwrap_or(CustomerCategory::External),
        sample_description: extra.sample_description,
        sample_count: extra.sample_count,
        contact_phone: extra.contact_phone,
        status_reason: extra.status_reason,
        history: events
            .into_iter()
            .filter_map(|e| {
                Some(BookingEvent {
                    at: e.at,
                    actor: e.actor.unwrap_or_default(),
                    from: e.from_status.as_deref().and_then(BookingStatus::parse),
                    to: BookingStatus::parse(&e.to_status)?,
                    reason: e.reason,
                })
            })
            .collect(),
        utc_offset_seconds: super::utc_offset(state),
    })
}

/// Cancels an active booking on `tx` (guarded on its current state), records it and queues the
/// booker's mail, with the calendar cancellation when the booking had been confirmed. False when
/// the booking had changed meanwhile (nothing done).
pub(super) async fn cancel_on(
    tx: &mut AnyConnection,
    state: &AppState,
    facts: &BookingFacts,
    actor: &Actor,
    reason: &str,
    now: i64,
) -> Result<bool, AppError> {
    let from = facts.status();
    if !transition(
        tx,
        facts,
        Some(actor),
        (from, BookingStatus::Cancelled),
        reason,
        now,
    )
    .await?
    {
        return Ok(false);
    }
    let mut mail = facts.mail_to_booker(
        state,
        "booking_cancelled",
        json!({ "reason": reason, "by": actor.name }),
    );
    if from == BookingStatus::Confirmed {
        // Only a confirmed booking was ever sent to the booker's calendar.
        mail.invite = Some(facts.invite(state, InviteMethod::Cancel, facts.sequence + 1));
    }
    enqueue(tx, &mail, now, &state.settings.public_url).await?;
    Ok(true)
}

/// Moves a booking from `from` to `to` inside `tx`, guarded on `from`, with its audit row. Returns
/// false when someone else changed it first.
async fn transition(
    tx: &mut AnyConnection,
    facts: &BookingFacts,
    actor: Option<&Actor>,
    (from, to): (BookingStatus, BookingStatus),
    reason: &str,
    now: i64,
) -> Result<bool, AppError> {
    let changed = sqlx::query(
        "UPDATE bookings SET status = $1, status_reason = $2, sequence = sequence + 1, updated_at = $3, \
           decided_by = $4, decided_at = $3 WHERE id = $5 AND status = $6",
    )
    .bind(to.as_str())
    .bind(reason)
    .bind(now)
    .bind(actor.map(|a| a.user.0))
    .bind(facts.id)
    .bind(from.as_str())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 0 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO booking_events (booking_id, actor_id, at, from_status, to_status, reason) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(facts.id)
    .bind(actor.map(|a| a.user.0))
    .bind(now)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(reason)
    .execute(&mut *tx)
    .await?;
    Ok(true)
}

/// A booking's facts, for a change only the owning institution's admins may make.
async fn facts_for_admins(
    state: &AppState,
    actor: Option<&Actor>,
    booking: BookingId,
) -> Result<BookingFacts, AppError> {
    let facts = state
        .db
        .booking_facts(booking)
        .await?
        .ok_or(AppError::NotFound)?;
    let institution = Target::Institution {
        id: OrganisationId(facts.institution_id),
        zone: None,
    };
    require(actor, Action::RunInstitution, institution)?;
    Ok(facts)
}

/// Approves or rejects a pending request (the owning institution's admins). A rejection needs a
/// reason, which the booker reads.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn decide(
    state: &AppState,
    actor: Option<&Actor>,
    booking: BookingId,
    approve: bool,
    reason: &str,
) -> Result<(), AppError> {
    let facts = facts_for_admins(state, actor, booking).await?;
    let reason = check_text(reason, "reason", MAX_REASON_CHARS, !approve)?;
    if facts.status() != BookingStatus::Pending {
        return Err(AppError::validation("booking", "not_pending"));
    }
    let to = if approve {
        BookingStatus::Confirmed
    } else {
        BookingStatus::Rejected
    };
    let now = state.clock.now().timestamp();
    let (shared, who, id) = (state.clone(), actor.cloned(), facts.id);
    state
        .db
        .write(move |tx| {
            Box::pin(async move {
                let (state, actor) = (&shared, who.as_ref());
                if !transition(
                    tx,
                    &facts,
                    actor,
                    (BookingStatus::Pending, to),
                    &reason,
                    now,
                )
                .await?
                {
                    return Err(AppError::validation("booking", "not_pending"));
                }
                let template = if approve {
                    "booking_confirmed"
                } else {
                    "booking_rejected"
                };
                let by = actor.map(|a| a.name.clone()).unwrap_or_default();
                let mut mail =
                    facts.mail_to_booker(state, template, json!({ "reason": reason, "by": by }));
                if approve {
                    mail.invite =
                        Some(facts.invite(state, InviteMethod::Request, facts.sequence + 1));
                }
                enqueue(tx, &mail, now, &state.settings.public_url).await
            })
        })
        .await?;
    tracing::info!(booking = id, approve, "request decided");
    Ok(())
}

/// After the fact: a confirmed booking that has ended was used (completed) or not (no-show).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn record_outcome(
    state: &AppState,
    actor: Option<&Actor>,
    booking: BookingId,
    outcome: BookingStatus,
) -> Result<(), AppError> {
    let facts = facts_for_admins(state, actor, booking).await?;
    if !matches!(outcome, BookingStatus::Completed | BookingStatus::NoShow) {
        return Err(AppError::validation("outcome", "choice_unknown"));
    }
    let now = state.clock.now().timestamp();
    if facts.status() != BookingStatus::Confirmed || facts.ends_at > now {
        return Err(AppError::validation("booking", "not_finished"));
    }
    let mut tx = state.db.pool().begin().await?;
    if !transition(
        &mut tx,
        &facts,
        actor,
        (BookingStatus::Confirmed, outcome),
        "",
        now,
    )
    .await?
    {
        return Err(AppError::validation("booking", "not_finished"));
    }
    tx.commit().await?;
    Ok(())
}

/// Moves a booking to another slot of the same resource in one statement: the new time is taken
/// and the old released together, or (if the database refuses the new time) nothing changes.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn reschedule(
    state: &AppState,
    actor: Option<&Actor>,
    booking: BookingId,
    slot: TimeSlot,
) -> Result<(), AppError> {
    let (facts, actor) = booker_or_admin(state, actor, booking).await?;
    let now = state.clock.now();
    may_cancel(actor, &facts, now.timestamp())?;
    let resource = ResourceId(facts.resource_id);
    let mut context = state.db.booking_context(resource, &slot, &state.tz).await?;
    // The booking's own time does not stand in its way.
    let old = TimeSlot::from_unix(facts.starts_at, facts.ends_at)
        .map_err(|e| AppError::internal("slot", e))?;
    let own = context.rules.blocked(&old);
    context.taken.retain(|t| *t != own);
    let customer = Customer {
        organisation: OrganisationId(0),
        zone: None,
        is_sme: false,
    };
    // Who may book was settled when it was booked; the time rules apply to the new slot.
    let mut quote = quote_in(&context, customer, &slot, &state.tz, now);
    quote
        .violations
        .retain(|v| !matches!(v, RuleViolation::NotAllowed(_)));
    verdict(quote)?;
    // The new time is priced anew, at the category the booking was made in; where the resource
    // needs approval, a confirmed booking that moves waits for it again (an admin's own move
    // stands).
    let category =
        CustomerCategory::parse(&facts.customer_category).unwrap_or(CustomerCategory::External);
    let (_, price) = crate::domain::booking::price(&context.rates, category, slot.minutes());
    let status = facts.status();
    let as_admin = actor.has(crate::domain::account::Role::InstitutionAdmin(
        OrganisationId(facts.institution_id),
    ));
    let new_status =
        if status == BookingStatus::Confirmed && context.rules.approval_required && !as_admin {
            BookingStatus::Pending
        } else {
            status
        };
    let blocked = context.rules.blocked(&slot);
    let at = now.timestamp();
    // The history records the old time in numbers, readable in either language.
    let local = |t: i64| {
        DateTime::from_timestamp(t, 0)
            .unwrap_or_default()
            .with_timezone(&state.tz)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    let old_when = format!("{} – {}", local(facts.starts_at), local(facts.ends_at));
    let quotas = state.db.quotas_of(resource).await?;
    let (shared, who, id) = (state.clone(), actor.clone(), facts.id);
    let written = state
        .db
        .write(move |tx| {
            Box::pin(async move {
                let (state, actor) = (&shared, &who);
                if let Some(turn) = state.db.dialect().resource_turn() {
                    sqlx::query(turn).bind(resource.0).execute(&mut *tx).await?;
                }
                let moved = sqlx::query(
                    "UPDATE bookings SET starts_at = $1, ends_at = $2, blocked_from = $3, blocked_until = $4, sequence = sequence + 1, \
                       updated_at = $5, reminded_at = NULL, price_fen = $9, status = $10 \
                     WHERE id = $6 AND status = $7 AND starts_at = $8",
                )
                .bind(slot.start().timestamp())
                .bind(slot.end().timestamp())
                .bind(blocked.start().timestamp())
                .bind(blocked.end().timestamp())
                .bind(at)
                .bind(facts.id)
                .bind(status.as_str())
                .bind(facts.starts_at)
                .bind(price.fen())
                .bind(new_status.as_str())
                .execute(&mut *tx)
                .await?;
                if moved.rows_affected() != 1 {
                    return Err(AppError::validation("booking", "not_cancellable"));
                }
                within_quotas(
                    tx,
                    state,
                    &quotas,
                    resource,
                    (UserId(facts.user_id), OrganisationId(facts.organisation_id)),
                    &slot,
                )
                .await?;
                sqlx::query(
                    "INSERT INTO booking_events (booking_id, actor_id, at, from_status, to_status, reason) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(facts.id)
                .bind(actor.user.0)
                .bind(at)
                .bind(status.as_str())
                .bind(new_status.as_str())
                .bind(format!("{old_when} →"))
                .execute(&mut *tx)
                .await?;
                let moved_facts = facts_on(tx, facts.id).await?.ok_or(AppError::NotFound)?;
                let mut mail = moved_facts.mail_to_booker(
                    state,
                    "booking_rescheduled",
                    json!({ "by": actor.name }),
                );
                if new_status == BookingStatus::Confirmed {
                    mail.invite =
                        Some(moved_facts.invite(state, InviteMethod::Request, moved_facts.sequence));
                }
                enqueue(tx, &mail, at, &state.settings.public_url).await
            })
        })
        .await;
    match written {
        Ok(_) => {}
        // The database refused the new time: someone was quicker.
        Err(AppError::Conflict { .. }) => {
            return Err(taken_now(state, resource, &slot, customer, Some(own)).await);
        }
        Err(e) => return Err(e),
    }
    tracing::info!(booking = id, "rescheduled");
    Ok(())
}

/// Expires pending requests nobody decided in time (or whose start has come), releasing their
/// slots, and tells each booker. Safe to run from several processes at once: each row is claimed
/// by a guarded update, so it expires (and is mailed) once. Returns how many expired.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn expire_pending(state: &AppState, max_pending_secs: i64) -> Result<usize, AppError> {
    let now = state.clock.now().timestamp();
    let due: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM bookings WHERE status = 'pending' AND (created_at <= $1 OR starts_at <= $2) ORDER BY id LIMIT 500",
    )
    .bind(now - max_pending_secs)
    .bind(now)
    .fetch_all(state.db.pool())
    .await?;
    let expired = sweep(state, due, Sweep::Expire, now).await?;
    if expired > 0 {
        tracing::info!(expired, "expired pending requests");
    }
    Ok(expired)
}

/// An institution's requests and bookings, for its admins: pending requests first, then what is
/// coming, then what has ended without an outcome recorded.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn institution_queue(
    state: &AppState,
    actor: Option<&Actor>,
    institution: Option<i64>,
) -> Result<InstitutionQueue, AppError> {
    let me = actor.ok_or(AppError::NotSignedIn)?;
    let id = match institution {
        Some(id) => OrganisationId(id),
        None => me.administered().next().ok_or(AppError::Forbidden)?,
    };
    let (name, zone) = state.db.institution(id).await?.ok_or(AppError::NotFound)?;
    require(
        actor,
        Action::RunInstitution,
        Target::Institution { id, zone },
    )?;
    let now = state.clock.now().timestamp();
    let rows = |sql: String| {
        let state = state.clone();
        async move {
            let rows: Vec<RowDb> = sqlx::query_as(&sql)
                .bind(id.0)
                .bind(now)
                .fetch_all(state.db.pool())
                .await?;
            Ok::<_, AppError>(
                rows.into_iter()
                    .map(|r| r.into_row(me, now))
                    .collect::<Vec<_>>(),
            )
        }
    };
    let pending = rows(format!(
        "{ROW_SQL} WHERE r.institution_id = $1 AND b.status = 'pending' AND b.ends_at > $2 ORDER BY b.starts_at LIMIT 200"
    ))
    .await?;
    let upcoming = rows(format!(
        "{ROW_SQL} WHERE r.institution_id = $1 AND b.status = 'confirmed' AND b.ends_at > $2 ORDER BY b.starts_at LIMIT 200"
    ))
    .await?;
    let to_record = rows(format!(
        "{ROW_SQL} WHERE r.institution_id = $1 AND b.status = 'confirmed' AND b.ends_at <= $2 ORDER BY b.ends_at DESC LIMIT 200"
    ))
    .await?;
    Ok(InstitutionQueue {
        institution: id,
        name,
        pending,
        upcoming,
        to_record,
        utc_offset_seconds: super::utc_offset(state),
    })
}

/// Reminds bookers of confirmed bookings starting within `lead_secs`, once per booked time (a
/// reschedule clears the mark). A booking confirmed or moved when it was already that close gets
/// no separate reminder: its confirmation was sent then. Several processes may run this at once:
/// the mark is set by a guarded update in the same transaction as the mail.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn send_reminders(state: &AppState, lead_secs: i64) -> Result<usize, AppError> {
    let now = state.clock.now().timestamp();
    let due: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM bookings WHERE status = 'confirmed' AND starts_at > $1 AND starts_at <= $2 \
           AND reminded_at IS NULL AND updated_at <= starts_at - $3 ORDER BY starts_at LIMIT 500",
    )
    .bind(now)
    .bind(now + lead_secs)
    .bind(lead_secs)
    .fetch_all(state.db.pool())
    .await?;
    let sent = sweep(state, due, Sweep::Remind, now).await?;
    if sent > 0 {
        tracing::info!(sent, "queued booking reminders");
    }
    Ok(sent)
}

/// What a background sweep does to each booking it finds due.
#[derive(Debug, Clone, Copy)]
enum Sweep {
    /// A pending request nobody decided: expire it and tell the booker.
    Expire,
    /// A confirmed booking about to start: remind the booker, once.
    Remind,
}

/// Claims each due booking and queues its mail in one transaction, so that any number of
/// server processes may sweep at once: the claim is a conditional update that only one wins,
/// and a booking changed since it was found is left alone.
async fn sweep(state: &AppState, due: Vec<i64>, what: Sweep, now: i64) -> Result<usize, AppError> {
    let mut done = 0;
    for id in due {
        let Some(facts) = state.db.booking_facts(BookingId(id)).await? else {
            continue;
        };
        let mut tx = state.db.pool().begin().await?;
        let (claimed, template) = match what {
            Sweep::Expire => (
                transition(
                    &mut tx,
                    &facts,
                    None,
                    (BookingStatus::Pending, BookingStatus::Expired),
                    "",
                    now,
                )
                .await?,
                "booking_expired",
            ),
            Sweep::Remind => (
                sqlx::query(
                    "UPDATE bookings SET reminded_at = $1 WHERE id = $2 AND reminded_at IS NULL \
                       AND status = 'confirmed' AND starts_at = $3",
                )
                .bind(now)
                .bind(id)
                .bind(facts.starts_at)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1,
                "booking_reminder",
            ),
        };
        if claimed {
            let mail = facts.mail_to_booker(state, template, json!({}));
            enqueue(&mut tx, &mail, now, &state.settings.public_url).await?;
            tx.commit().await?;
            done += 1;
        }
    }
    Ok(done)
}
