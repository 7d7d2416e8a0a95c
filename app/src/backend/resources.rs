//! Institutions managing their resources.

use super::{AppState, Db};
use crate::domain::account::Actor;
use crate::domain::catalogue::ResourceStatus;
use crate::domain::ids::{OrganisationId, ResourceId};
use crate::domain::policy::{require, Action, Target};
use crate::error::AppError;

pub const MAX_STATUS_REASON_CHARS: usize = 200;

/// A resource's own columns, and the city of its institution: what the resource page and the
/// editor read of it.
#[derive(Debug, sqlx::FromRow)]
pub struct ResourceRow {
    pub institution_id: i64,
    pub kind: String,
    pub category_id: i64,
    pub name_zh: String,
    pub name_en: String,
    pub model: String,
    pub manufacturer: String,
    pub serial_number: String,
    pub purchase_year: Option<i64>,
    pub original_value_fen: i64,
    pub building: String,
    pub room: String,
    pub description_zh: String,
    pub description_en: String,
    pub specifications: String,
    pub status_reason: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub city_zh: String,
    pub city_en: String,
}

impl Db {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn resource_row(&self, id: ResourceId) -> Result<Option<ResourceRow>, sqlx::Error> {
        sqlx::query_as(
            "SELECT r.institution_id, r.kind, r.category_id, r.name_zh, r.name_en, r.model, r.manufacturer, \
               r.serial_number, r.purchase_year, r.original_value_fen, r.building, r.room, \
               r.description_zh, r.description_en, r.specifications, r.status_reason, \
               r.contact_name, r.contact_phone, o.city_zh, o.city_en \
             FROM resources r JOIN organisations o ON o.id = r.institution_id \
             WHERE r.id = $1",
        )
        .bind(id.0)
        .fetch_optional(self.pool())
        .await
    }
}

/// The institution that owns a resource.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn owner(state: &AppState, resource: ResourceId) -> Result<OrganisationId, AppError> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT institution_id FROM resources WHERE id = $1")
        .bind(resource.0)
        .fetch_optional(state.db.pool())
        .await?;
    row.map(|(id,)| OrganisationId(id))
        .ok_or(AppError::NotFound)
}

/// The gate for managing equipment of `institution`: the person signed in, if they may.
pub fn may_manage(actor: Option<&Actor>, institution: OrganisationId) -> Result<&Actor, AppError> {
    require(
        actor,
        Action::ManageResource,
        Target::Resource { institution },
    )?;
    actor.ok_or(AppError::NotSignedIn)
}

/// The gate for managing an existing resource, asked with the owner read from its row.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn manager_of<'a>(
    state: &AppState,
    actor: Option<&'a Actor>,
    resource: ResourceId,
) -> Result<&'a Actor, AppError> {
    may_manage(actor, owner(state, resource).await?)
}

/// Sets a resource available, under maintenance or retired. Anything but available needs a
/// reason, which customers see.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_status(
    state: &AppState,
    actor: Option<&Actor>,
    resource: ResourceId,
    status: ResourceStatus,
    reason: &str,
) -> Result<(), AppError> {
    manager_of(state, actor, resource).await?;
    let reason = reason.trim();
    if reason.chars().count() > MAX_STATUS_REASON_CHARS {
        return Err(AppError::validation("reason", "reason_long"));
    }
    if status != ResourceStatus::Available && reason.is_empty() {
        return Err(AppError::validation("reason", "reason_missing"));
    }
    let now = state.clock.now().timestamp();
    sqlx::query(
        "UPDATE resources SET status = $1, status_reason = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(status.as_str())
    .bind(if status == ResourceStatus::Available {
        ""
    } else {
        reason
    })
    .bind(now)
    .bind(resource.0)
    .execute(state.db.pool())
    .await?;
    tracing::info!(
        resource = resource.0,
        status = status.as_str(),
        "resource status changed"
    );
    Ok(())
}
