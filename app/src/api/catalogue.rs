use crate::domain::catalogue::{CataloguePage, ResourceDetail};
use crate::error::AppError;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use {
    crate::domain::catalogue::{CatalogueFilter, ResourceKind},
    crate::domain::ids::{CategoryId, OrganisationId, ResourceId},
};

/// The catalogue, filtered. Filter values arrive as text from a plain GET form, so unknown values
/// are refused here rather than silently ignored.
#[server(endpoint = "catalogue")]
pub async fn list_resources(
    kind: Option<String>,
    category: Option<i64>,
    institution: Option<i64>,
) -> Result<CataloguePage, AppError> {
    super::reply(
        async move {
            let kind = match kind.as_deref().filter(|k| !k.is_empty()) {
                Some(k) => Some(
                    ResourceKind::parse(k)
                        .ok_or_else(|| AppError::validation("kind", "unknown_kind"))?,
                ),
                None => None,
            };
            let filter = CatalogueFilter {
                kind,
                category: category.map(CategoryId),
                institution: institution.map(OrganisationId),
            };
            let state = crate::backend::state()?;
            let today = state.clock.now().with_timezone(&state.tz).date_naive();
            Ok(state.db.catalogue(&filter, today).await?)
        }
        .await,
    )
}

/// Everything on a resource page, with the week that holds `week` (any day; default this week).
#[server(endpoint = "resource")]
pub async fn get_resource(id: i64, week: Option<String>) -> Result<ResourceDetail, AppError> {
    use crate::domain::schedule::WeekGrid;
    super::reply(
        async move {
            let state = crate::backend::state()?;
            let now = state.clock.now();
            let day = match week.as_deref().filter(|w| !w.is_empty()) {
                Some(w) => chrono::NaiveDate::parse_from_str(w, "%Y-%m-%d")
                    .map_err(|_| AppError::validation("week", "bad_date"))?,
                None => now.with_timezone(&state.tz).date_naive(),
            };
            state
                .db
                .resource_detail(ResourceId(id), &state.tz, WeekGrid::monday_of(day), now)
                .await?
                .ok_or(AppError::NotFound)
        }
        .await,
    )
}

/// The zone's name for the site header.
#[server(endpoint = "zone")]
pub async fn zone_info() -> Result<(crate::domain::catalogue::Bilingual, String), AppError> {
    let state = crate::backend::state()?;
    Ok((state.db.zone_name().await?, state.tz.name().to_string()))
}
