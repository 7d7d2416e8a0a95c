//! Institutions managing their equipment: creating and editing resources with their rules, hours
//! and rates (one transaction each), accreditation entries, and blackouts that refuse to hide
//! bookings unless the admin chooses to cancel them.

use super::bookings::cancel_on;
use super::resources::{manager_of, may_manage, owner};
use super::AppState;
use crate::domain::account::{Actor, Role};
use crate::domain::catalogue::{
    AccreditationBody, Bilingual, BlackoutKind, CatalogueFilter, Named,
};
use crate::domain::editor::*;
use crate::domain::ids::{BookingId, OrganisationId, ResourceId};
use crate::domain::money::Money;
use crate::domain::schedule::OpeningPeriod;
use crate::error::AppError;
use chrono::{Datelike, NaiveDate};
use sqlx::AnyConnection;

fn refused((field, key): Refusal) -> AppError {
    AppError::validation(field, key)
}

/// The institutions `actor` runs, named.
async fn institutions_of(
    state: &AppState,
    actor: &Actor,
) -> Result<Vec<Named<OrganisationId>>, AppError> {
    let ids: Vec<String> = actor
        .roles
        .iter()
        .filter_map(|r| match r {
            Role::InstitutionAdmin(id) => Some(id.0.to_string()),
            _ => None,
        })
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64, String, String)> = sqlx::query_as(&format!(
        "SELECT id, name_zh, name_en FROM organisations WHERE id IN ({}) ORDER BY id",
        ids.join(",")
    ))
    .fetch_all(state.db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, zh, en)| Named {
            id: OrganisationId(id),
            name: Bilingual { zh, en },
        })
        .collect())
}

/// The editor for a new resource of `institution` (default: the first the person runs), or for
/// resource `id`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn editor(
    state: &AppState,
    actor: Option<&Actor>,
    id: Option<ResourceId>,
    institution: Option<OrganisationId>,
) -> Result<ResourceEditor, AppError> {
    let signed_in = actor.ok_or(AppError::NotSignedIn)?;
    let runs = institutions_of(state, signed_in).await?;
    let (form, accreditations, blackouts, photos) = match id {
        Some(id) => {
            manager_of(state, actor, id).await?;
            (
                load_form(state, id).await?,
                accreditations(state, id).await?,
                blackouts(state, id).await?,
                state.db.photos_of(id).await?,
            )
        }
        None => {
            let institution = institution
                .or_else(|| runs.first().map(|n| n.id))
                .ok_or(AppError::Forbidden)?;
            may_manage(actor, institution)?;
            (new_form(institution), Vec::new(), Vec::new(), Vec::new())
        }
    };
    let (categories, _) = state.db.filter_choices().await?;
    Ok(ResourceEditor {
        form,
        categories,
        institutions: runs,
        accreditations,
        blackouts,
        photos,
        utc_offset_seconds: super::utc_offset(state),
    })
}

/// A new resource's form: weekdays 08:30–17:30, half-hour steps, 1–8 hours, booked up to 90
/// days ahead, cancelled up to a day before; no rates.
pub fn new_form(institution: OrganisationId) -> ResourceForm {
    ResourceForm {
        institution: institution.0,
        kind: "instrument".into(),
        audience: "everyone".into(),
        slot_minutes: "30".into(),
        min_duration_minutes: "60".into(),
        max_duration_minutes: "480".into(),
        max_notice_days: "90".into(),
        cancel_cutoff_hours: "24".into(),
        hours_1: "08:30-17:30".into(),
        hours_2: "08:30-17:30".into(),
        hours_3: "08:30-17:30".into(),
        hours_4: "08:30-17:30".into(),
        hours_5: "08:30-17:30".into(),
        ..ResourceForm::default()
    }
}

/// A stored resource as the editor's form.
pub async fn load_form(state: &AppState, id: ResourceId) -> Result<ResourceForm, AppError> {
    let r = state.db.resource_row(id).await?.ok_or(AppError::NotFound)?;
    let rules = state.db.rules_of(id).await?.ok_or(AppError::NotFound)?;
    let quotas = state.db.quotas_of(id).await?;
    let limit =
        |value: Option<i64>, per: i64| value.map(|v| (v / per).to_string()).unwrap_or_default();
    let hours = state.db.opening_hours_of(id).await?;
    let rates = state.db.rates_of(id).await?;
    let closed: Vec<(String, String)> =
        sqlx::query_as("SELECT day, note_zh FROM closure_days WHERE resource_id = $1 ORDER BY day")
            .bind(id.0)
            .fetch_all(state.db.pool())
            .await?;
    let specifications: Vec<crate::domain::catalogue::Specification> =
        serde_json::from_str(&r.specifications).unwrap_or_default();
    let day = |weekday: u8| {
        format_day_hours(
            &hours
                .periods
                .iter()
                .filter(|p| p.weekday == weekday)
                .collect::<Vec<_>>(),
        )
    };
    let rate = |category: crate::domain::catalogue::CustomerCategory| {
        rates
            .iter()
            .find(|x| x.category == category)
            .map(|x| (x.per_hour.plain(), x.minimum.plain()))
            .map(|(p, m)| (p, if m == "0" { String::new() } else { m }))
            .unwrap_or_default()
    };
    use crate::domain::catalogue::CustomerCategory as C;
    let (rate_own, minimum_own) = rate(C::Own);
    let (rate_zone, minimum_zone) = rate(C::Zone);
    let (rate_external, minimum_external) = rate(C::External);
    let (rate_sme, minimum_sme) = rate(C::Sme);
    Ok(ResourceForm {
        id: Some(id.0),
        institution: r.institution_id,
        kind: r.kind,
        category: r.category_id,
        name_zh: r.name_zh,
        name_en: r.name_en,
        model: r.model,
        manufacturer: r.manufacturer,
        serial_number: r.serial_number,
        purchase_year: r.purchase_year.map(|y| y.to_string()).unwrap_or_default(),
        original_value: if r.original_value_fen == 0 {
            String::new()
        } else {
            Money::from_fen(r.original_value_fen)
                .map(Money::plain)
                .unwrap_or_default()
        },
        building: r.building,
        room: r.room,
        description_zh: r.description_zh,
        description_en: r.description_en,
        specifications: specifications
            .iter()
            .map(|s| {
                if s.label_en.is_empty() {
                    format!("{}: {}", s.label_zh, s.value)
                } else {
                    format!("{} / {}: {}", s.label_zh, s.label_en, s.value)
                }
            })
            .collect::<Vec<_>>()
            .join("\n"),
        contact_name: r.contact_name,
        contact_phone: r.contact_phone,
        slot_minutes: rules.slot_minutes.to_string(),
        min_duration_minutes: rules.min_duration_minutes.to_string(),
        max_duration_minutes: rules.max_duration_minutes.to_string(),
        min_notice_hours: (rules.min_notice_minutes / 60).to_string(),
        max_notice_days: rules.max_notice_days.to_string(),
        buffer_before_minutes: rules.buffer_before_minutes.to_string(),
        buffer_after_minutes: rules.buffer_after_minutes.to_string(),
        cancel_cutoff_hours: (rules.cancel_cutoff_minutes / 60).to_string(),
        person_active_limit: limit(quotas.person_active, 1),
        person_week_hours: limit(quotas.person_week_minutes, 60),
        organisation_active_limit: limit(quotas.organisation_active, 1),
        organisation_week_hours: limit(quotas.organisation_week_minutes, 60),
        approval: rules.approval_required.then(|| "on".to_string()),
        audience: rules.audience.as_str().into(),
        hours_1: day(1),
        hours_2: day(2),
        hours_3: day(3),
        hours_4: day(4),
        hours_5: day(5),
        hours_6: day(6),
        hours_7: day(7),
        closed_days: closed
            .into_iter()
            .map(|(d, note)| format!("{d} {note}").trim().to_string())
            .collect::<Vec<_>>()
            .join("\n"),
        rate_own,
        rate_zone,
        rate_external,
        rate_sme,
        minimum_own,
        minimum_zone,
        minimum_external,
        minimum_sme,
    })
}

/// Creates (no id) or updates a resource with its rules, hours, closed days and rates, in one
/// transaction. Returns its id.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn save(
    state: &AppState,
    actor: Option<&Actor>,
    form: &ResourceForm,
) -> Result<ResourceId, AppError> {
    // Whose it is: an existing resource stays with its owner, whatever the form says.
    let institution = match form.id {
        Some(id) => owner(state, ResourceId(id)).await?,
        None => OrganisationId(form.institution),
    };
    let actor = may_manage(actor, institution)?;
    let now = state.clock.now();
    let this_year = i64::from(now.with_timezone(&state.tz).year());
    let r = form.validate(this_year).map_err(refused)?;
    let mut tx = state.db.pool().begin().await?;
    let id = save_in(&mut tx, institution, form.id, &r, now.timestamp()).await?;
    tx.commit().await?;
    tracing::info!(
        resource = id,
        actor = actor.user.0,
        created = form.id.is_none(),
        "resource saved"
    );
    Ok(ResourceId(id))
}

/// Writes a checked resource (a new one when `id` is None) with its rules, hours, closed days and
/// rates, inside the caller's transaction. Used by the editor and by the ledger import.
pub async fn save_in(
    tx: &mut AnyConnection,
    institution: OrganisationId,
    id: Option<i64>,
    r: &ValidResource,
    now: i64,
) -> Result<i64, AppError> {
    let known: Option<(i64,)> = sqlx::query_as("SELECT id FROM categories WHERE id = $1")
        .bind(r.category)
        .fetch_optional(&mut *tx)
        .await?;
    if known.is_none() {
        return Err(AppError::validation("category", "choice_unknown"));
    }
    let zone: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT zone_id FROM organisations WHERE id = $1")
            .bind(institution.0)
            .fetch_optional(&mut *tx)
            .await?;
    let zone = zone.and_then(|(z,)| z);
    let specifications = serde_json::to_string(&r.specifications)
        .map_err(|e| AppError::internal("specifications", e))?;
    let at = now;

    let values = |q| bind_resource(q, r, &specifications, at);
    let id = match id {
        Some(id) => {
            values(sqlx::query_as(
                "UPDATE resources SET kind = $1, category_id = $2, name_zh = $3, name_en = $4, model = $5, manufacturer = $6, \
                   serial_number = $7, purchase_year = $8, original_value_fen = $9, building = $10, room = $11, \
                   description_zh = $12, description_en = $13, specifications = $14, contact_name = $15, contact_phone = $16, \
                   updated_at = $17 WHERE id = $18 RETURNING id",
            ))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?
            .0
        }
        None => {
            values(sqlx::query_as(
                "INSERT INTO resources (kind, category_id, name_zh, name_en, model, manufacturer, serial_number, purchase_year, \
                   original_value_fen, building, room, description_zh, description_en, specifications, contact_name, \
                   contact_phone, created_at, updated_at, institution_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $18) RETURNING id",
            ))
            .bind(institution.0)
            .fetch_one(&mut *tx)
            .await?
            .0
        }
    };
    write_schedule(tx, id, zone, r).await?;
    Ok(id)
}

type ResourceQuery<'q> = sqlx::query::QueryAs<'q, sqlx::Any, (i64,), sqlx::any::AnyArguments<'q>>;

/// Binds a resource's columns as $1…$17 (kind … updated_at) in the order of the statements above.
fn bind_resource<'q>(
    q: ResourceQuery<'q>,
    r: &ValidResource,
    specifications: &str,
    at: i64,
) -> ResourceQuery<'q> {
    q.bind(r.kind.as_str())
        .bind(r.category)
        .bind(r.name.zh.clone())
        .bind(r.name.en.clone())
        .bind(r.model.clone())
        .bind(r.manufacturer.clone())
        .bind(r.serial_number.clone())
        .bind(r.purchase_year)
        .bind(r.original_value.fen())
        .bind(r.building.clone())
        .bind(r.room.clone())
        .bind(r.description.zh.clone())
        .bind(r.description.en.clone())
        .bind(specifications.to_string())
        .bind(r.contact_name.clone())
        .bind(r.contact_phone.clone())
        .bind(at)
}

/// Replaces a resource's rules, weekly hours, closed days and rates on `tx`.
async fn write_schedule(
    tx: &mut AnyConnection,
    id: i64,
    zone: Option<i64>,
    r: &ValidResource,
) -> Result<(), AppError> {
    for table in ["booking_rules", "opening_hours", "rates"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE resource_id = $1"))
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM closure_days WHERE resource_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let rules = &r.rules;
    sqlx::query(
        "INSERT INTO booking_rules (resource_id, slot_minutes, min_duration_minutes, max_duration_minutes, min_notice_minutes, \
           max_notice_days, buffer_before_minutes, buffer_after_minutes, approval_required, audience, cancel_cutoff_minutes, \
           person_active_limit, person_week_minutes_limit, organisation_active_limit, organisation_week_minutes_limit) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(id)
    .bind(rules.slot_minutes)
    .bind(rules.min_duration_minutes)
    .bind(rules.max_duration_minutes)
    .bind(rules.min_notice_minutes)
    .bind(rules.max_notice_days)
    .bind(rules.buffer_before_minutes)
    .bind(rules.buffer_after_minutes)
    .bind(rules.approval_required)
    .bind(rules.audience.as_str())
    .bind(rules.cancel_cutoff_minutes)
    .bind(r.quotas.person_active)
    .bind(r.quotas.person_week_minutes)
    .bind(r.quotas.organisation_active)
    .bind(r.quotas.organisation_week_minutes)
    .execute(&mut *tx)
    .await?;
    for OpeningPeriod {
        weekday,
        opens_minute,
        closes_minute,
    } in &r.hours
    {
        sqlx::query(
            "INSERT INTO opening_hours (resource_id, weekday, opens_minute, closes_minute) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(i64::from(*weekday))
        .bind(i64::from(*opens_minute))
        .bind(i64::from(*closes_minute))
        .execute(&mut *tx)
        .await?;
    }
    if let Some(zone) = zone {
        for (day, note) in &r.closed_days {
            sqlx::query(
                "INSERT INTO closure_days (zone_id, resource_id, day, note_zh, note_en) VALUES ($1, $2, $3, $4, $4)",
            )
            .bind(zone)
            .bind(id)
            .bind(day.format("%Y-%m-%d").to_string())
            .bind(note.clone())
            .execute(&mut *tx)
            .await?;
        }
    }
    for (category, per_hour, minimum) in &r.rates {
        sqlx::query(
            "INSERT INTO rates (resource_id, customer_category, per_hour_fen, minimum_fen) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(category.as_str())
        .bind(per_hour.fen())
        .bind(minimum.fen())
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

async fn accreditations(
    state: &AppState,
    id: ResourceId,
) -> Result<Vec<AccreditationEntry>, AppError> {
    let today = state.clock.now().with_timezone(&state.tz).date_naive();
    let mut entries = state.db.accreditations_of(id, today).await?;
    // The editor lists them in the order they were entered.
    entries.sort_by_key(|entry| entry.id);
    Ok(entries)
}

#[derive(sqlx::FromRow)]
struct BlackoutRow {
    id: i64,
    reason_kind: String,
    starts_at: i64,
    ends_at: i64,
    note: String,
}

async fn blackouts(state: &AppState, id: ResourceId) -> Result<Vec<BlackoutView>, AppError> {
    let now = state.clock.now().timestamp();
    let rows: Vec<BlackoutRow> = sqlx::query_as(
        "SELECT id, reason_kind, starts_at, ends_at, note FROM blackouts WHERE resource_id = $1 AND ends_at > $2 ORDER BY starts_at",
    )
    .bind(id.0)
    .bind(now)
    .fetch_all(state.db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| BlackoutView {
            id: row.id,
            kind: BlackoutKind::parse(&row.reason_kind).unwrap_or(BlackoutKind::Internal),
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            note: row.note,
        })
        .collect())
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn add_accreditation(
    state: &AppState,
    actor: Option<&Actor>,
    form: &AccreditationForm,
) -> Result<(), AppError> {
    let resource = ResourceId(form.resource);
    manager_of(state, actor, resource).await?;
    let a = form.validate().map_err(refused)?;
    let mut tx = state.db.pool().begin().await?;
    let aid = insert_accreditation(&mut tx, resource.0, &a).await?;
    tx.commit().await?;
    tracing::info!(
        resource = resource.0,
        accreditation = aid,
        "accreditation added"
    );
    Ok(())
}

/// Writes an accreditation entry for a resource (the editor's form and the scope import).
pub async fn insert_accreditation(
    tx: &mut sqlx::AnyConnection,
    resource: i64,
    a: &ValidAccreditation,
) -> Result<i64, AppError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO accreditations (resource_id, body, certificate_number, valid_from, valid_until) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(resource)
    .bind(a.body.as_str())
    .bind(&a.certificate_number)
    .bind(a.valid_from.format("%Y-%m-%d").to_string())
    .bind(a.valid_until.format("%Y-%m-%d").to_string())
    .fetch_one(&mut *tx)
    .await?;
    for code in &a.standards {
        sqlx::query("INSERT INTO accreditation_standards (accreditation_id, code) VALUES ($1, $2)")
            .bind(id)
            .bind(code)
            .execute(&mut *tx)
            .await?;
    }
    Ok(id)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn remove_accreditation(
    state: &AppState,
    actor: Option<&Actor>,
    id: i64,
) -> Result<ResourceId, AppError> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT resource_id FROM accreditations WHERE id = $1")
            .bind(id)
            .fetch_optional(state.db.pool())
            .await?;
    let resource = ResourceId(row.ok_or(AppError::NotFound)?.0);
    manager_of(state, actor, resource).await?;
    let mut tx = state.db.pool().begin().await?;
    sqlx::query("DELETE FROM accreditation_standards WHERE accreditation_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM accreditations WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(resource)
}

/// A local time as a form's `datetime-local` field sends it (`YYYY-MM-DDTHH:MM`), in seconds;
/// refused as `field`'s "time_invalid" otherwise.
pub(super) fn local_minute(state: &AppState, raw: &str, field: &str) -> Result<i64, AppError> {
    chrono::NaiveDateTime::parse_from_str(raw.trim(), "%Y-%m-%dT%H:%M")
        .ok()
        .filter(|t| crate::domain::time::plausible(t.date()))
        .and_then(|t| {
            use chrono::TimeZone;
            state.tz.from_local_datetime(&t).earliest()
        })
        .map(|t| t.timestamp())
        .ok_or_else(|| AppError::validation(field, "time_invalid"))
}

/// Blocks a time of a resource. When active bookings hold part of it, nothing is done and they
/// are returned (`BlackoutHits`), unless the form chooses to cancel them: then each is cancelled
/// with the reason (and mailed) and the blackout written, all in one transaction. The database's
/// guard refuses the blackout if a booking slipped in meanwhile.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn add_blackout(
    state: &AppState,
    actor: Option<&Actor>,
    form: &BlackoutForm,
) -> Result<(), AppError> {
    let resource = ResourceId(form.resource);
    let actor = manager_of(state, actor, resource).await?;
    let kind = form.kind().map_err(refused)?;
    let (starts, ends) = (
        local_minute(state, &form.starts, "starts")?,
        local_minute(state, &form.ends, "ends")?,
    );
    if ends <= starts {
        return Err(AppError::validation("ends", "time_order"));
    }
    let note: String = form.note.trim().chars().take(200).collect();
    let reason = form.reason.trim();
    if reason.chars().count() > super::bookings::MAX_REASON_CHARS {
        return Err(AppError::validation("reason", "reason_long"));
    }
    #[derive(sqlx::FromRow)]
    struct HitRow {
        id: i64,
        starts_at: i64,
        ends_at: i64,
        display_name: String,
        name_zh: String,
        name_en: String,
        status: String,
    }
    let hits: Vec<HitRow> = sqlx::query_as(
        "SELECT b.id, b.starts_at, b.ends_at, u.display_name, o.name_zh, o.name_en, b.status FROM bookings b \
         JOIN users u ON u.id = b.user_id JOIN organisations o ON o.id = b.organisation_id \
         WHERE b.resource_id = $1 AND b.status IN ('pending', 'confirmed') AND b.blocked_from < $2 AND $3 < b.blocked_until \
         ORDER BY b.starts_at",
    )
    .bind(resource.0)
    .bind(ends)
    .bind(starts)
    .fetch_all(state.db.pool())
    .await?;
    if !hits.is_empty() && !form.cancels() {
        return Err(AppError::BlackoutHits {
            hits: hits
                .into_iter()
                .map(|hit| BlackoutHit {
                    booking: hit.id,
                    starts_at: hit.starts_at,
                    ends_at: hit.ends_at,
                    booker: hit.display_name,
                    organisation: Bilingual {
                        zh: hit.name_zh,
                        en: hit.name_en,
                    },
                    status: hit.status,
                })
                .collect(),
        });
    }
    if !hits.is_empty() && reason.is_empty() {
        return Err(AppError::validation("reason", "reason_missing"));
    }
    let now = state.clock.now().timestamp();
    let mut tx = state.db.pool().begin().await?;
    for hit in &hits {
        let facts = state
            .db
            .booking_facts(BookingId(hit.id))
            .await?
            .ok_or(AppError::NotFound)?;
        if !cancel_on(&mut tx, state, &facts, actor, reason, now).await? {
            return Err(AppError::Conflict {
                alternatives: Vec::new(),
            });
        }
    }
    sqlx::query(
        "INSERT INTO blackouts (resource_id, starts_at, ends_at, reason_kind, note, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(resource.0)
    .bind(starts)
    .bind(ends)
    .bind(kind.as_str())
    .bind(note)
    .bind(actor.user.0)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(
        resource = resource.0,
        cancelled = hits.len(),
        "blackout added"
    );
    Ok(())
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn remove_blackout(
    state: &AppState,
    actor: Option<&Actor>,
    id: i64,
) -> Result<ResourceId, AppError> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT resource_id FROM blackouts WHERE id = $1")
        .bind(id)
        .fetch_optional(state.db.pool())
        .await?;
    let resource = ResourceId(row.ok_or(AppError::NotFound)?.0);
    manager_of(state, actor, resource).await?;
    sqlx::query("DELETE FROM blackouts WHERE id = $1")
        .bind(id)
        .execute(state.db.pool())
        .await?;
    Ok(resource)
}

/// An institution's equipment (every status) with the accreditation that needs attention.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn institution_resources(
    state: &AppState,
    actor: Option<&Actor>,
    institution: Option<OrganisationId>,
) -> Result<InstitutionResources, AppError> {
    let signed_in = actor.ok_or(AppError::NotSignedIn)?;
    let runs = institutions_of(state, signed_in).await?;
    let institution = institution
        .or_else(|| runs.first().map(|n| n.id))
        .ok_or(AppError::Forbidden)?;
    may_manage(actor, institution)?;
    let today = state.clock.now().with_timezone(&state.tz).date_naive();
    let mut resources = state
        .db
        .summaries(
            &CatalogueFilter {
                institution: Some(institution),
                ..CatalogueFilter::default()
            },
            today,
        )
        .await?;
    let retired: Vec<(i64,)> = sqlx::query_as(
        "SELECT id FROM resources WHERE institution_id = $1 AND status = 'retired' ORDER BY id",
    )
    .bind(institution.0)
    .fetch_all(state.db.pool())
    .await?;
    for (id,) in retired {
        if let Some(detail) = state
            .db
            .resource_detail(
                ResourceId(id),
                &state.tz,
                crate::domain::schedule::WeekGrid::monday_of(today),
                state.clock.now(),
            )
            .await?
        {
            resources.push(detail.summary);
        }
    }
    let horizon = today + chrono::Duration::days(crate::domain::catalogue::EXPIRY_WARNING_DAYS);
    #[derive(sqlx::FromRow)]
    struct WarningRow {
        id: i64,
        name_zh: String,
        name_en: String,
        body: String,
        certificate_number: String,
        valid_until: String,
    }
    let rows: Vec<WarningRow> = sqlx::query_as(
        "SELECT r.id, r.name_zh, r.name_en, a.body, a.certificate_number, a.valid_until FROM accreditations a \
         JOIN resources r ON r.id = a.resource_id \
         WHERE r.institution_id = $1 AND r.status <> 'retired' AND a.valid_until <= $2 ORDER BY a.valid_until",
    )
    .bind(institution.0)
    .bind(horizon.format("%Y-%m-%d").to_string())
    .fetch_all(state.db.pool())
    .await?;
    let warnings = rows
        .into_iter()
        .filter_map(|row| {
            let valid_until = NaiveDate::parse_from_str(&row.valid_until, "%Y-%m-%d").ok()?;
            Some(AccreditationWarning {
                resource: ResourceId(row.id),
                name: Bilingual {
                    zh: row.name_zh,
                    en: row.name_en,
                },
                body: AccreditationBody::parse(&row.body)?,
                certificate_number: row.certificate_number,
                valid_until,
                expired: valid_until < today,
            })
        })
        .collect();
    let name: (String, String) =
        sqlx::query_as("SELECT name_zh, name_en FROM organisations WHERE id = $1")
            .bind(institution.0)
            .fetch_one(state.db.pool())
            .await?;
    Ok(InstitutionResources {
        institution: Named {
            id: institution,
            name: Bilingual {
                zh: name.0,
                en: name.1,
            },
        },
        institutions: runs,
        resources,
        warnings,
    })
}
