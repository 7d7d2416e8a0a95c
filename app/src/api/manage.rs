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

use crate::domain::editor::{
    AccreditationForm, BlackoutForm, InstitutionResources, ResourceEditor, ResourceForm,
};

/// The editor for a new resource (of `institution`, default the first the person runs) or for
/// resource `id`. Only the owning institution's admins get it.
#[server(endpoint = "resource_editor")]
pub async fn get_resource_editor(
    id: Option<i64>,
    institution: Option<i64>,
) -> Result<ResourceEditor, AppError> {
    super::reply(async move {
        let state = state()?;
        crate::backend::editor::editor(
            &state,
            session::actor().as_ref(),
            id.map(ResourceId),
            institution.map(crate::domain::ids::OrganisationId),
        )
        .await
    })
    .await
}

/// Creates or updates a resource with its rules, opening hours and rates. Returns its id.
#[server(endpoint = "save_resource")]
pub async fn save_resource(form: ResourceForm) -> Result<i64, AppError> {
    super::reply(async move {
        let state = state()?;
        let id = crate::backend::editor::save(&state, session::actor().as_ref(), &form).await?;
        super::after_form(&format!("/resources/{id}/edit?saved=1"));
        Ok(id.0)
    })
    .await
}

#[server(endpoint = "add_accreditation")]
pub async fn add_accreditation(form: AccreditationForm) -> Result<(), AppError> {
    super::reply(async move {
        let state = state()?;
        crate::backend::editor::add_accreditation(&state, session::actor().as_ref(), &form).await?;
        super::after_form(&format!("/resources/{}/edit", form.resource));
        Ok(())
    })
    .await
}

#[server(endpoint = "remove_accreditation")]
pub async fn remove_accreditation(id: i64) -> Result<(), AppError> {
    super::reply(async move {
        let state = state()?;
        let resource =
            crate::backend::editor::remove_accreditation(&state, session::actor().as_ref(), id)
                .await?;
        super::after_form(&format!("/resources/{resource}/edit"));
        Ok(())
    })
    .await
}

/// Blocks a time for maintenance, calibration or internal use; see the backend for what happens
/// to bookings it hits.
#[server(endpoint = "add_blackout")]
pub async fn add_blackout(form: BlackoutForm) -> Result<(), AppError> {
    super::reply(async move {
        let state = state()?;
        crate::backend::editor::add_blackout(&state, session::actor().as_ref(), &form).await?;
        super::after_form(&format!("/resources/{}/edit", form.resource));
        Ok(())
    })
    .await
}

#[server(endpoint = "remove_blackout")]
pub async fn remove_blackout(id: i64) -> Result<(), AppError> {
    super::reply(async move {
        let state = state()?;
        let resource =
            crate::backend::editor::remove_blackout(&state, session::actor().as_ref(), id).await?;
        super::after_form(&format!("/resources/{resource}/edit"));
        Ok(())
    })
    .await
}

/// An institution's own equipment list with accreditation warnings.
#[server(endpoint = "institution_resources")]
pub async fn list_institution_resources(
    institution: Option<i64>,
) -> Result<InstitutionResources, AppError> {
    super::reply(async move {
        let state = state()?;
        crate::backend::editor::institution_resources(
            &state,
            session::actor().as_ref(),
            institution.map(crate::domain::ids::OrganisationId),
        )
        .await
    })
    .await
}

/// Removes a photo of a resource (its files too).
#[server(endpoint = "remove_photo")]
pub async fn remove_photo(id: i64) -> Result<(), AppError> {
    super::reply(async move {
        let state = state()?;
        let resource =
            crate::backend::photos::remove(&state, session::actor().as_ref(), id).await?;
        super::after_form(&format!("/resources/{resource}/edit"));
        Ok(())
    })
    .await
}

/// What importing an uploaded ledger would do, row by row. `mapping` / `scope_mapping`: one
/// field name (or "-") per column of the ledger / the scope table, comma-separated (default:
/// guessed from the headings); `template`: the resource whose rules, hours and rates new rows
/// take (default: the editor's defaults), or with `by_category` the institution's latest-edited
/// resource of each row's category; `skip`: rows left out ("12" a ledger line, "s12" a
/// scope line, comma-separated).
#[server(endpoint = "ledger_preview")]
pub async fn ledger_preview(
    upload: i64,
    mapping: Option<String>,
    scope_mapping: Option<String>,
    template: Option<i64>,
    by_category: Option<bool>,
    skip: Option<String>,
) -> Result<crate::domain::ledger::LedgerPreview, AppError> {
    super::reply(async move {
        let choices = crate::domain::ledger::Choices {
            mapping,
            scope_mapping,
            template,
            by_category: by_category.unwrap_or(false),
            skip,
        };
        crate::backend::ledger::preview(&state()?, session::actor().as_ref(), upload, &choices)
            .await
    })
    .await
}

/// Imports an uploaded ledger: every row not left out, in one transaction, or nothing (a row with
/// a problem stops it). Returns what was written.
#[server(endpoint = "ledger_import")]
pub async fn ledger_import(
    upload: i64,
    mapping: Option<String>,
    scope_mapping: Option<String>,
    template: Option<i64>,
    by_category: Option<bool>,
    skip: Option<String>,
) -> Result<crate::domain::ledger::Imported, AppError> {
    super::reply(async move {
        let state = state()?;
        let choices = crate::domain::ledger::Choices {
            mapping,
            scope_mapping,
            template,
            by_category: by_category.unwrap_or(false),
            skip,
        };
        let done =
            crate::backend::ledger::import(&state, session::actor().as_ref(), upload, &choices)
                .await?;
        super::after_form(&format!("/institution/resources?{}", done.query()));
        Ok(done)
    })
    .await
}
