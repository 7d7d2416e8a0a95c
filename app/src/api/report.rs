//! Reports: the zone report for zone managers, the institution report for its admins (and the
//! zone's managers). The exports (`/reports/export`, a server route) read through the same
//! [`read_report`] and so the same authorization.

use crate::domain::report::Report;
use crate::error::AppError;
use leptos::prelude::*;

/// What a report page (or an export) asks for, as its GET form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReportQuery {
    /// month, quarter, year (default) or custom.
    pub kind: Option<String>,
    pub year: Option<i32>,
    /// The month (1–12) or quarter (1–4).
    pub number: Option<u32>,
    /// A custom period's first and last day, YYYY-MM-DD.
    pub from: Option<String>,
    pub to: Option<String>,
    /// The idle list: used less than this percentage of the open time.
    pub below: Option<i64>,
    /// The institution of an institution report (default: the first the reader runs).
    pub institution: Option<i64>,
}

pub use crate::domain::report::Which;

/// The report `query` asks for, if `actor` may read it, with every resource row (the pages cut
/// the long lists; the exports do not).
#[cfg(feature = "ssr")]
pub async fn read_report(
    state: &crate::backend::AppState,
    actor: Option<&crate::domain::account::Actor>,
    which: Which,
    query: &ReportQuery,
) -> Result<Report, AppError> {
    use crate::domain::ids::OrganisationId;
    use crate::domain::report::{Period, PeriodKind};
    let scope = crate::backend::report::authorize(
        state,
        actor,
        which,
        query.institution.map(OrganisationId),
    )
    .await?;
    let today = state.clock.now().with_timezone(&state.tz).date_naive();
    let kind = match query.kind.as_deref().filter(|k| !k.is_empty()) {
        Some(k) => Some(
            PeriodKind::parse(k).ok_or_else(|| AppError::validation("kind", "choice_unknown"))?,
        ),
        None => None,
    };
    let day = |field: &str, raw: &Option<String>| match raw.as_deref().filter(|d| !d.is_empty()) {
        Some(d) => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .ok()
            .filter(|d| crate::domain::time::plausible(*d))
            .map(Some)
            .ok_or_else(|| AppError::validation(field, "date_invalid")),
        None => Ok(None),
    };
    let custom = (day("from", &query.from)?, day("to", &query.to)?);
    let period = Period::choose(kind, query.year, query.number, custom, today)
        .map_err(|(field, key)| AppError::validation(field, key))?;
    let below = query.below.unwrap_or(10);
    if !crate::domain::utilisation::BELOW_CHOICES.contains(&below) {
        return Err(AppError::validation("below", "choice_unknown"));
    }
    Ok(state
        .db
        .report(scope, period, &state.tz, today, below as f64 / 100.0)
        .await?)
}

#[cfg(feature = "ssr")]
async fn page_report(which: Which, query: ReportQuery) -> Result<Report, AppError> {
    use crate::domain::report::RESOURCE_ROWS_SHOWN;
    super::reply(async move {
        let state = crate::backend::state()?;
        let actor = crate::backend::session::actor();
        let mut report = read_report(&state, actor.as_ref(), which, &query).await?;
        report.resources.truncate(RESOURCE_ROWS_SHOWN);
        report.idle.truncate(RESOURCE_ROWS_SHOWN);
        // Expiring first, then the most recently expired; the workbook lists every one.
        report.accreditation.truncate(RESOURCE_ROWS_SHOWN);
        Ok(report)
    })
    .await
}

/// The zone report (zone managers).
#[server(endpoint = "zone_report")]
pub async fn zone_report(#[server(default)] query: ReportQuery) -> Result<Report, AppError> {
    page_report(Which::Zone, query).await
}

/// An institution's report (its admins and the zone's managers).
#[server(endpoint = "institution_report")]
pub async fn institution_report(#[server(default)] query: ReportQuery) -> Result<Report, AppError> {
    page_report(Which::Institution, query).await
}
