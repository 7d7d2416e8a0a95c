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
    super::reply(async move {
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
    })
    .await
}

/// Everything on a resource page, with the week that holds `week` (any day; default this week).
#[server(endpoint = "resource")]
pub async fn get_resource(id: i64, week: Option<String>) -> Result<ResourceDetail, AppError> {
    use crate::domain::schedule::WeekGrid;
    super::reply(async move {
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
    })
    .await
}

/// The zone's name for the site header.
#[server(endpoint = "zone")]
pub async fn zone_info() -> Result<(crate::domain::catalogue::Bilingual, String), AppError> {
    super::reply(async move {
        let state = crate::backend::state()?;
        Ok((state.db.zone_name().await?, state.tz.name().to_string()))
    })
    .await
}

/// Time-first search: resources free for at least `hours` between `from` and `to` (local dates,
/// inclusive). Missing dates mean tomorrow to a week later.
#[server(endpoint = "free")]
pub async fn find_free_time(
    from: Option<String>,
    to: Option<String>,
    hours: Option<i64>,
    kind: Option<String>,
    category: Option<i64>,
    institution: Option<i64>,
) -> Result<crate::domain::availability::FreeSearchPage, AppError> {
    use crate::domain::availability::{FreeQuery, FreeSearchPage, MAX_RANGE_DAYS};
    use chrono::{Duration, NaiveDate, Offset, TimeZone};
    super::reply(async move {
        let state = crate::backend::state()?;
        let now = state.clock.now();
        let today = now.with_timezone(&state.tz).date_naive();
        let date = |raw: Option<String>, default: NaiveDate| match raw
            .as_deref()
            .filter(|d| !d.is_empty())
        {
            Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| AppError::validation("date", "free.error_date")),
            None => Ok(default),
        };
        let from = date(from, today + Duration::days(1))?;
        let to = date(to, from + Duration::days(6))?;
        if to < from || (to - from).num_days() >= MAX_RANGE_DAYS {
            return Err(AppError::validation("to", "free.error_range"));
        }
        let hours = hours.unwrap_or(2);
        if !(1..=24 * 7).contains(&hours) {
            return Err(AppError::validation("hours", "free.error_duration"));
        }
        let kind = match kind.as_deref().filter(|k| !k.is_empty()) {
            Some(k) => Some(
                ResourceKind::parse(k)
                    .ok_or_else(|| AppError::validation("kind", "unknown_kind"))?,
            ),
            None => None,
        };
        let midnight = |d: NaiveDate| {
            state
                .tz
                .from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
                .earliest()
                .map(|t| t.to_utc())
                .ok_or_else(|| AppError::validation("date", "free.error_date"))
        };
        let range =
            crate::domain::time::TimeSlot::new(midnight(from)?, midnight(to + Duration::days(1))?)
                .map_err(|_| AppError::validation("to", "free.error_range"))?;
        let filter = CatalogueFilter {
            kind,
            category: category.map(CategoryId),
            institution: institution.map(OrganisationId),
        };
        let mut results = state
            .db
            .find_free(
                &FreeQuery {
                    range,
                    minutes: hours * 60,
                    filter,
                },
                &state.tz,
                now,
            )
            .await?;
        // Bookable first, earliest free window first.
        results.sort_by_key(|r| (r.windows.is_empty(), r.windows.first().map(|w| w.start())));
        let page = state
            .db
            .catalogue(&CatalogueFilter::default(), today)
            .await?;
        Ok(FreeSearchPage {
            from,
            to,
            minutes: hours * 60,
            results,
            categories: page.categories,
            institutions: page.institutions,
            utc_offset_seconds: state
                .tz
                .offset_from_utc_datetime(&now.naive_utc())
                .fix()
                .local_minus_utc(),
        })
    })
    .await
}
