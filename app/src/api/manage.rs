//! Server functions that change resources. The backend asks the policy with the
//! facts it reads (owner, booker), so the check and the change use the same row.

use crate::error::AppError;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use {
    crate::backend::{session, state},
    crate::domain::catalogue::ResourceStatus,
    crate::domain::ids::ResourceId,
};

/// Sets a resource's status (available, maintenance, retired) with a reason.
#[server(endpoint = "set_resource_status")]
pub async fn set_resource_status(
    resource: i64,
    status: String,
    reason: Option<String>,
) -> Result<(), AppError> {
    super::reply(async move {
        let state = state()?;
        let status = ResourceStatus::parse(&status)
            .ok_or_else(|| AppError::validation("status", "choice_unknown"))?;
        crate::backend::resources::set_status(
            &state,
            session::actor().as_ref(),
            ResourceId(resource),
            status,
            reason.as_deref().unwrap_or_default(),
        )
        .await?;
        super::after_form(&format!("/resources/{resource}"));
        Ok(())
    })
    .await
}
