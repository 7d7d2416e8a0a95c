use crate::domain::catalogue::{CataloguePage, ResourceDetail};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::Params;
use leptos_router::params::Params;
#[cfg(feature = "ssr")]
use {
    crate::domain::catalogue::{CatalogueFilter, ResourceKind},
    crate::domain::ids::{CategoryId, OrganisationId, ResourceId},
};

/// What a catalogue search asks for, as the GET form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, Params)]
pub struct CatalogueQuery {
    pub q: Option<String>,
    pub kind: Option<String>,
    pub category: Option<i64>,
    pub institution: Option<i64>,
    pub body: Option<String>,
    pub standard: Option<String>,
    /// Yuan per hour.
    pub max_price: Option<String>,
    pub status: Option<String>,
    pub sort: Option<String>,
    pub page: Option<i64>,
}

/// The catalogue, filtered, sorted and paged. Filter values arrive as text from a plain GET form,
/// so unknown values are refused here rather than silently ignored. `english` orders names by
/// their English form.
#[server(endpoint = "catalogue")]
pub async fn list_resources(
    // All filters may be absent: an empty query is the whole catalogue.
    #[server(default)] query: CatalogueQuery,
    english: Option<bool>,
) -> Result<CataloguePage, AppError> {
    super::reply(async move {
        let state = crate::backend::state()?;
        catalogue_page(&state, &query, english.unwrap_or(false)).await
    })
    .await
}

/// The catalogue page `query` asks for (the pages' server function and the REST API).
#[cfg(feature = "ssr")]
pub async fn catalogue_page(
    state: &crate::backend::AppState,
    query: &CatalogueQuery,
    english: bool,
) -> Result<CataloguePage, AppError> {
    use crate::domain::catalogue::{AccreditationBody, CatalogueSort, ResourceStatus};
    use crate::domain::money::Money;
    fn choice<T>(
        raw: &Option<String>,
        field: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Option<T>, AppError> {
        match raw.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            Some(v) => parse(v)
                .map(Some)
                .ok_or_else(|| AppError::validation(field, "choice_unknown")),
            None => Ok(None),
        }
    }
    let max_per_hour = match query
        .max_price
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        Some(v) => {
            Some(Money::parse(v).map_err(|_| AppError::validation("max_price", "price_invalid"))?)
        }
        None => None,
    };
    let filter = CatalogueFilter {
        kind: choice(&query.kind, "kind", ResourceKind::parse)?,
        category: query.category.map(CategoryId),
        institution: query.institution.map(OrganisationId),
        text: CatalogueFilter::words(query.q.as_deref().unwrap_or_default()),
        body: choice(&query.body, "body", AccreditationBody::parse)?,
        standard: query
            .standard
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.chars().take(60).collect()),
        max_per_hour,
        status: choice(&query.status, "status", ResourceStatus::parse)?,
    };
    let sort =
        choice(&query.sort, "sort", CatalogueSort::parse)?.unwrap_or(CatalogueSort::Category);
    let today = state.clock.now().with_timezone(&state.tz).date_naive();
    Ok(state
        .db
        .catalogue(&filter, sort, query.page.unwrap_or(1), english, today)
        .await?)
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
                .ok()
                .filter(|d| crate::domain::time::plausible(*d))
                .ok_or_else(|| AppError::validation("week", "bad_date"))?,
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

/// What a time-first search asks for, as the GET form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, Params)]
pub struct FreeTimeQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub hours: Option<i64>,
    pub kind: Option<String>,
    pub category: Option<i64>,
    pub institution: Option<i64>,
    pub q: Option<String>,
    pub standard: Option<String>,
    pub page: Option<i64>,
}

/// Time-first search: resources free for at least `hours` between `from` and `to` (local dates,
/// inclusive). Missing dates mean tomorrow to a week later.
#[server(endpoint = "free")]
pub async fn find_free_time(
    #[server(default)] query: FreeTimeQuery,
) -> Result<crate::domain::availability::FreeSearchPage, AppError> {
    super::reply(async move { free_search(&crate::backend::state()?, query).await }).await
}

/// The time-first search `query` asks for (the pages' server function and the REST API).
#[cfg(feature = "ssr")]
pub async fn free_search(
    state: &crate::backend::AppState,
    query: FreeTimeQuery,
) -> Result<crate::domain::availability::FreeSearchPage, AppError> {
    let FreeTimeQuery {
        from,
        to,
        hours,
        kind,
        category,
        institution,
        q,
        standard,
        page,
    } = query;
    use crate::domain::availability::{FreeQuery, FreeSearchPage, FREE_PAGE_SIZE, MAX_RANGE_DAYS};
    use chrono::{Duration, NaiveDate, Offset, TimeZone};
    {
        let now = state.clock.now();
        let today = now.with_timezone(&state.tz).date_naive();
        let date = |raw: Option<String>, default: NaiveDate| match raw
            .as_deref()
            .filter(|d| !d.is_empty())
        {
            Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .ok()
                .filter(|d| crate::domain::time::plausible(*d))
                .ok_or_else(|| AppError::validation("date", "free.error_date")),
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
                    .ok_or_else(|| AppError::validation("kind", "choice_unknown"))?,
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
            text: CatalogueFilter::words(q.as_deref().unwrap_or_default()),
            standard: standard
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| s.chars().take(60).collect()),
            ..CatalogueFilter::default()
        };
        let answer = state
            .db
            .find_free_page(
                &FreeQuery {
                    range,
                    minutes: hours * 60,
                    filter,
                },
                &state.tz,
                now,
                page.unwrap_or(1).max(1) as usize,
                FREE_PAGE_SIZE,
            )
            .await?;
        let (categories, institutions) = state.db.filter_choices().await?;
        Ok(FreeSearchPage {
            from,
            to,
            minutes: hours * 60,
            results: answer.results,
            bookable: answer.bookable,
            total: answer.total,
            page: page.unwrap_or(1).max(1) as usize,
            categories,
            institutions,
            utc_offset_seconds: state
                .tz
                .offset_from_utc_datetime(&now.naive_utc())
                .fix()
                .local_minus_utc(),
        })
    }
}

/// The kind, category and institution filter of the idle and schedule pages' GET forms.
#[cfg(feature = "ssr")]
fn resource_filter(
    kind: Option<&str>,
    category: Option<i64>,
    institution: Option<i64>,
) -> Result<CatalogueFilter, AppError> {
    let kind = match kind.filter(|k| !k.is_empty()) {
        Some(k) => Some(
            ResourceKind::parse(k).ok_or_else(|| AppError::validation("kind", "choice_unknown"))?,
        ),
        None => None,
    };
    Ok(CatalogueFilter {
        kind,
        category: category.map(CategoryId),
        institution: institution.map(OrganisationId),
        ..CatalogueFilter::default()
    })
}

/// What the idle-equipment view asks for, as its GET form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, Params)]
pub struct IdleQuery {
    /// The last this many days (30, 90 or 365).
    pub days: Option<i64>,
    /// Listed: used less than this percentage of the open time.
    pub below: Option<i64>,
    pub kind: Option<String>,
    pub category: Option<i64>,
    pub institution: Option<i64>,
}

/// Idle equipment: available resources used least over the recent days, least used first.
#[server(endpoint = "idle")]
pub async fn idle_equipment(
    #[server(default)] query: IdleQuery,
) -> Result<crate::domain::utilisation::IdlePage, AppError> {
    use crate::domain::utilisation::{BELOW_CHOICES, DAY_CHOICES};
    super::reply(async move {
        let days = query.days.unwrap_or(30);
        if !DAY_CHOICES.contains(&days) {
            return Err(AppError::validation("days", "choice_unknown"));
        }
        let below = query.below.unwrap_or(10);
        if !BELOW_CHOICES.contains(&below) {
            return Err(AppError::validation("below", "choice_unknown"));
        }
        let filter = resource_filter(query.kind.as_deref(), query.category, query.institution)?;
        let state = crate::backend::state()?;
        let (from, to) = crate::backend::idle::recent_days(state.clock.now(), &state.tz, days);
        let (rows, total) = state
            .db
            .idle(&filter, &state.tz, (from, to), below as f64 / 100.0)
            .await?;
        let (categories, institutions) = state.db.filter_choices().await?;
        Ok(crate::domain::utilisation::IdlePage {
            from,
            to,
            below: below as f64 / 100.0,
            total,
            rows,
            categories,
            institutions,
        })
    })
    .await
}

/// What the zone schedule asks for, as its GET form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, Params)]
pub struct ScheduleQuery {
    /// The local day, YYYY-MM-DD (default today).
    pub day: Option<String>,
    pub kind: Option<String>,
    pub category: Option<i64>,
    pub institution: Option<i64>,
    pub page: Option<i64>,
    /// Resources a page (100, 200, 500 or 1,000).
    pub size: Option<i64>,
}

/// The zone schedule: one day across the zone's resources, a page at a time. Public, like the
/// week page of each resource: it shows when resources are taken, not by whom.
#[server(endpoint = "day_schedule")]
pub async fn day_schedule(
    #[server(default)] query: ScheduleQuery,
) -> Result<crate::domain::schedule::DaySchedule, AppError> {
    use crate::domain::schedule::SCHEDULE_SIZES;
    super::reply(async move {
        let state = crate::backend::state()?;
        let today = state.clock.now().with_timezone(&state.tz).date_naive();
        let day = match query.day.as_deref().filter(|d| !d.is_empty()) {
            Some(d) => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .ok()
                .filter(|d| crate::domain::time::plausible(*d))
                .ok_or_else(|| AppError::validation("day", "date_invalid"))?,
            None => today,
        };
        let size = query.size.unwrap_or(200);
        let size = SCHEDULE_SIZES
            .iter()
            .copied()
            .find(|s| *s as i64 == size)
            .ok_or_else(|| AppError::validation("size", "choice_unknown"))?;
        let filter = resource_filter(query.kind.as_deref(), query.category, query.institution)?;
        let page = query.page.unwrap_or(1).max(1) as usize;
        let (rows, total) = state
            .db
            .day_schedule(&filter, &state.tz, day, page, size)
            .await?;
        let (categories, institutions) = state.db.filter_choices().await?;
        Ok(crate::domain::schedule::DaySchedule {
            day,
            rows,
            total,
            page,
            size,
            categories,
            institutions,
        })
    })
    .await
}
