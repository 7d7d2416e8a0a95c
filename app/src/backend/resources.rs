//! Institutions managing their resources.

use super::AppState;
use crate::domain::account::Actor;
use crate::domain::catalogue::ResourceStatus;
use crate::domain::ids::{OrganisationId, ResourceId};
use crate::domain::policy::{require, Action, Target};
use crate::error::AppError;

pub const MAX_STATUS_REASON_CHARS: usize = 200;

/// The institution that owns a resource.
pub async fn owner(state: &AppState, resource: ResourceId) -> Result<OrganisationId, AppError> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT institution_id FROM resources WHERE id = $1")
        .bind(resource.0)
        .fetch_optional(state.db.pool())
        .await?;
    row.map(|(id,)| OrganisationId(id))
        .ok_or(AppError::NotFound)
}

/// Sets a resource available, under maintenance or retired. Anything but available needs a
/// reason, which customers see.
pub async fn set_status(
    state: &AppState,
    actor: Option<&Actor>,
    resource: ResourceId,
    status: ResourceStatus,
    reason: &str,
) -> Result<(), AppError> {
    let institution = owner(state, resource).await?;
    require(
        actor,
        Action::ManageResource,
        Target::Resource { institution },
    )?;
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
