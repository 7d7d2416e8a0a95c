//! Testing services. An institution publishes a service for standards in a valid accreditation
//! of its own; search (by standard typed loosely, product or words) leaves out a service once one
//! of its standards is no longer covered, and compares the institutions offering it at the asker's
//! rate. Their orders are in the `orders` module.

use super::mail::{enqueue, Mail};
use super::{AppState, Db};
use crate::domain::account::{Actor, Language, Membership, Role};
use crate::domain::booking::{standing, Customer};
use crate::domain::catalogue::{AccreditationBody, CustomerCategory};
use crate::domain::ids::{OrganisationId, ResourceId, ZoneId};
use crate::domain::money::Money;
use crate::domain::policy::{require, Action, Target};
use crate::domain::services::{
    applies_standard, InstitutionServices, OwnService, ServiceDetail, ServiceForm, ServiceSummary,
    ServicesPage, Withdrawal,
};
use crate::domain::vocabulary::{Bilingual, Named};
use crate::error::AppError;
use chrono::{Datelike, NaiveDate};
use serde_json::json;
use std::collections::HashMap;

pub const MAX_NOTE_CHARS: usize = 500;
pub const MAX_TEXT_CHARS: usize = 200;

pub(super) fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub(super) fn parse_day(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()
}

/// `text` trimmed, refused when required and empty, too long, or holding control characters
/// (line breaks only where `lines`).
pub(super) fn text(
    value: &str,
    field: &str,
    max: usize,
    required: bool,
    lines: bool,
) -> Result<String, AppError> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(AppError::validation(field, "text_missing"));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !(lines && matches!(c, '\n' | '\r' | '\t')))
    {
        return Err(AppError::validation(field, "text_control"));
    }
    if value.chars().count() > max {
        return Err(AppError::validation(field, "text_long"));
    }
    Ok(value.to_string())
}

/// `day + n` working days (Monday to Friday).
pub fn add_working_days(mut day: NaiveDate, mut n: i64) -> NaiveDate {
    while n > 0 {
        day = day.succ_opt().unwrap_or(day);
        if day.weekday().num_days_from_monday() < 5 {
            n -= 1;
        }
    }
    day
}

/// The first day testing of a new order could start: today when the institution's work on the
/// service is below a week's capacity, else a week later for every full week of work waiting.
pub fn earliest_start(today: NaiveDate, load: i64, capacity_per_week: i64) -> NaiveDate {
    let weeks = load / capacity_per_week.max(1);
    today + chrono::Duration::days(7 * weeks)
}

/// A standard an institution can offer, with the accreditations that cover it today.
#[derive(Debug, Clone, Default)]
struct Cover {
    until: Option<NaiveDate>,
    bodies: Vec<AccreditationBody>,
}

#[derive(sqlx::FromRow)]
pub(super) struct ServiceRow {
    pub(super) id: i64,
    institution_id: i64,
    name_zh: String,
    name_en: String,
    products: String,
    sample_quantity: String,
    sample_form: String,
    packaging: String,
    pub(super) turnaround_days: i64,
    capacity_per_week: i64,
    listed: i64,
    institution_zh: String,
    institution_en: String,
    institution_zone: Option<i64>,
}

const SERVICE_SQL: &str =
    "SELECT s.id, s.institution_id, s.name_zh, s.name_en, s.products, s.sample_quantity, \
       s.sample_form, s.packaging, s.turnaround_days, s.capacity_per_week, s.listed, \
       o.name_zh AS institution_zh, o.name_en AS institution_en, o.zone_id AS institution_zone \
     FROM test_services s JOIN organisations o ON o.id = s.institution_id";

/// Every service with its standards, prices and load, read in four queries.
pub(super) struct Catalogue {
    pub(super) rows: Vec<ServiceRow>,
    standards: HashMap<i64, Vec<String>>,
    prices: HashMap<i64, Vec<(CustomerCategory, Money)>>,
    load: HashMap<i64, i64>,
    covered: HashMap<(i64, String), Cover>,
}

impl Db {
    /// The institution that publishes `service`.
    pub(super) async fn service_institution(&self, service: i64) -> Result<i64, AppError> {
        let institution: Option<i64> =
            sqlx::query_scalar("SELECT institution_id FROM test_services WHERE id = $1")
                .bind(service)
                .fetch_optional(self.pool())
                .await?;
        institution.ok_or(AppError::NotFound)
    }

    /// The standards each institution (or only `institution`) may offer on `today`: in an
    /// accreditation valid that day of one of its resources in service.
    async fn covered(
        &self,
        institution: Option<i64>,
        today: NaiveDate,
    ) -> Result<HashMap<(i64, String), Cover>, sqlx::Error> {
        let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT r.institution_id, s.code, a.body, a.valid_until FROM accreditation_standards s \
               JOIN accreditations a ON a.id = s.accreditation_id JOIN resources r ON r.id = a.resource_id \
             WHERE r.status <> 'retired' AND a.valid_from <= $1 AND a.valid_until >= $1 \
               AND ($2 = 0 OR r.institution_id = $2)",
        )
        .bind(day(today))
        .bind(institution.unwrap_or(0))
        .fetch_all(self.pool())
        .await?;
        let mut covered: HashMap<(i64, String), Cover> = HashMap::new();
        for (inst, code, body, until) in rows {
            let cover = covered.entry((inst, code)).or_default();
            let until = parse_day(&until);
            cover.until = cover.until.max(until);
            if let Some(body) = AccreditationBody::parse(&body) {
                if !cover.bodies.contains(&body) {
                    cover.bodies.push(body);
                }
            }
        }
        Ok(covered)
    }

    pub(super) async fn service_catalogue(
        &self,
        only: Option<i64>,
        today: NaiveDate,
    ) -> Result<Catalogue, sqlx::Error> {
        let where_sql = if only.is_some() {
            " WHERE s.institution_id = $1"
        } else {
            " WHERE $1 = 0"
        };
        let rows: Vec<ServiceRow> =
            sqlx::query_as(&format!("{SERVICE_SQL}{where_sql} ORDER BY s.id"))
                .bind(only.unwrap_or(0))
                .fetch_all(self.pool())
                .await?;
        let mut standards: HashMap<i64, Vec<String>> = HashMap::new();
        for (id, code) in sqlx::query_as::<_, (i64, String)>(
            "SELECT x.service_id, x.code FROM service_standards x JOIN test_services s ON s.id = x.service_id \
             WHERE $1 = 0 OR s.institution_id = $1 ORDER BY x.service_id, x.code",
        )
        .bind(only.unwrap_or(0))
        .fetch_all(self.pool())
        .await?
        {
            standards.entry(id).or_default().push(code);
        }
        let mut prices: HashMap<i64, Vec<(CustomerCategory, Money)>> = HashMap::new();
        for (id, category, fen) in sqlx::query_as::<_, (i64, String, i64)>(
            "SELECT x.service_id, x.customer_category, x.per_sample_fen FROM service_prices x \
               JOIN test_services s ON s.id = x.service_id WHERE $1 = 0 OR s.institution_id = $1",
        )
        .bind(only.unwrap_or(0))
        .fetch_all(self.pool())
        .await?
        {
            if let (Some(c), Ok(m)) = (CustomerCategory::parse(&category), Money::from_fen(fen)) {
                prices.entry(id).or_default().push((c, m));
            }
        }
        let load: HashMap<i64, i64> = sqlx::query_as::<_, (i64, i64)>(
            "SELECT service_id, CAST(SUM(samples) AS BIGINT) FROM orders \
             WHERE status IN ('accepted', 'samples_received', 'testing') GROUP BY service_id",
        )
        .fetch_all(self.pool())
        .await?
        .into_iter()
        .collect();
        let covered = self.covered(only, today).await?;
        Ok(Catalogue {
            rows,
            standards,
            prices,
            load,
            covered,
        })
    }

    /// Last day an accreditation (valid or not) of `institution` covered `code`.
    async fn last_covered(
        &self,
        institution: i64,
    ) -> Result<HashMap<String, NaiveDate>, sqlx::Error> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT s.code, MAX(a.valid_until) FROM accreditation_standards s \
               JOIN accreditations a ON a.id = s.accreditation_id JOIN resources r ON r.id = a.resource_id \
             WHERE r.institution_id = $1 GROUP BY s.code",
        )
        .bind(institution)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(code, until)| Some((code, parse_day(&until)?)))
            .collect())
    }
}

impl Catalogue {
    /// The publishing form filled with `row` as it stands, to be changed.
    fn form(&self, row: &ServiceRow, resources: Vec<i64>) -> ServiceForm {
        let prices = self.prices.get(&row.id);
        let price = |category: CustomerCategory| {
            prices
                .and_then(|p| p.iter().find(|(c, _)| *c == category))
                .map(|(_, m)| m.plain())
                .unwrap_or_default()
        };
        ServiceForm {
            institution: row.institution_id,
            service: Some(row.id),
            name_zh: row.name_zh.clone(),
            name_en: row.name_en.clone(),
            standards: self
                .standards
                .get(&row.id)
                .map(|s| s.join("\n"))
                .unwrap_or_default(),
            products: row.products.clone(),
            sample_quantity: row.sample_quantity.clone(),
            sample_form: row.sample_form.clone(),
            packaging: row.packaging.clone(),
            turnaround_days: row.turnaround_days.to_string(),
            capacity_per_week: row.capacity_per_week.to_string(),
            price_own: price(CustomerCategory::Own),
            price_zone: price(CustomerCategory::Zone),
            price_external: price(CustomerCategory::External),
            price_sme: price(CustomerCategory::Sme),
            resources,
        }
    }
}

impl ServiceRow {
    pub(super) fn name(&self) -> Bilingual {
        Bilingual {
            zh: self.name_zh.clone(),
            en: self.name_en.clone(),
        }
    }
}

impl Catalogue {
    /// Why a service is out of search today (empty when it is in).
    fn withdrawals(&self, row: &ServiceRow) -> Vec<String> {
        self.standards
            .get(&row.id)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter(|code| {
                !self
                    .covered
                    .contains_key(&(row.institution_id, (*code).clone()))
            })
            .cloned()
            .collect()
    }

    pub(super) fn searchable(&self, row: &ServiceRow) -> bool {
        row.listed != 0
            && self.standards.get(&row.id).is_some_and(|s| !s.is_empty())
            && self.withdrawals(row).is_empty()
    }

    pub(super) fn summary(
        &self,
        row: &ServiceRow,
        customer: Option<Customer>,
        today: NaiveDate,
    ) -> ServiceSummary {
        let standards = self.standards.get(&row.id).cloned().unwrap_or_default();
        let mut bodies = Vec::new();
        let mut until: Option<NaiveDate> = None;
        for code in &standards {
            if let Some(cover) = self.covered.get(&(row.institution_id, code.clone())) {
                for b in &cover.bodies {
                    if !bodies.contains(b) {
                        bodies.push(*b);
                    }
                }
                until = match (until, cover.until) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
        }
        let prices = self
            .prices
            .get(&row.id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let category = customer
            .map(|c| {
                standing(
                    c,
                    OrganisationId(row.institution_id),
                    row.institution_zone.map(ZoneId),
                )
                .1
            })
            .unwrap_or(CustomerCategory::External);
        let load = self.load.get(&row.id).copied().unwrap_or(0);
        ServiceSummary {
            id: row.id,
            name: Bilingual {
                zh: row.name_zh.clone(),
                en: row.name_en.clone(),
            },
            institution: Named {
                id: OrganisationId(row.institution_id),
                name: Bilingual {
                    zh: row.institution_zh.clone(),
                    en: row.institution_en.clone(),
                },
            },
            standards,
            products: row.products.clone(),
            turnaround_days: row.turnaround_days,
            capacity_per_week: row.capacity_per_week,
            load,
            earliest_start: earliest_start(today, load, row.capacity_per_week),
            price: price_for(prices, category),
            bodies,
            accredited_until: until,
        }
    }
}

/// The price per sample for `category`, falling back as resource rates do (own and SME → zone →
/// external; zone → external).
pub fn price_for(
    prices: &[(CustomerCategory, Money)],
    category: CustomerCategory,
) -> Option<(CustomerCategory, Money)> {
    crate::domain::booking::fallbacks(category)
        .iter()
        .find_map(|c| prices.iter().find(|(p, _)| p == c).copied())
}

/// What a service search asks for.
#[derive(Debug, Clone, Default)]
pub struct ServiceQuery {
    pub standard: String,
    pub words: String,
    pub institution: Option<OrganisationId>,
}

/// Whether every word of `words` is in the service's names, products, standards or institution.
fn has_words(row: &ServiceRow, standards: &[String], words: &str) -> bool {
    let haystack = format!(
        "{} {} {} {} {} {}",
        row.name_zh,
        row.name_en,
        row.products,
        standards.join(" "),
        row.institution_zh,
        row.institution_en
    )
    .to_lowercase();
    words
        .split_whitespace()
        .all(|w| haystack.contains(&w.to_lowercase()))
}

async fn customer_of(
    state: &AppState,
    actor: Option<&Actor>,
) -> Result<Option<Customer>, AppError> {
    match actor {
        Some(actor) => Ok(Some(state.db.customer(actor).await?)),
        None => Ok(None),
    }
}

fn can_order(actor: Option<&Actor>) -> bool {
    actor.is_some_and(|a| a.membership == Membership::Confirmed)
}

pub(super) fn today(state: &AppState) -> NaiveDate {
    state.clock.now().with_timezone(&state.tz).date_naive()
}

/// The services in search that match `query`, cheapest at the asker's rate first, then the
/// quickest.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn search(
    state: &AppState,
    actor: Option<&Actor>,
    query: &ServiceQuery,
) -> Result<ServicesPage, AppError> {
    let today = today(state);
    let catalogue = state.db.service_catalogue(None, today).await?;
    let customer = customer_of(state, actor).await?;
    let standard = query.standard.trim();
    let mut services: Vec<ServiceSummary> = catalogue
        .rows
        .iter()
        .filter(|row| catalogue.searchable(row))
        .filter(|row| query.institution.is_none_or(|i| i.0 == row.institution_id))
        .filter(|row| {
            let codes = catalogue
                .standards
                .get(&row.id)
                .map(Vec::as_slice)
                .unwrap_or_default();
            (standard.is_empty() || applies_standard(codes, standard))
                && has_words(row, codes, &query.words)
        })
        .map(|row| catalogue.summary(row, customer, today))
        .collect();
    services.sort_by_key(|s| {
        (
            s.price.map_or(i64::MAX, |(_, m)| m.fen()),
            add_working_days(s.earliest_start, s.turnaround_days),
            s.id,
        )
    });
    Ok(ServicesPage {
        services,
        can_order: can_order(actor),
    })
}

/// A service's page (a withdrawn or unlisted one only for its institution's admins).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn detail(
    state: &AppState,
    actor: Option<&Actor>,
    id: i64,
) -> Result<ServiceDetail, AppError> {
    let today = today(state);
    let institution = state.db.service_institution(id).await?;
    let catalogue = state.db.service_catalogue(Some(institution), today).await?;
    let row = catalogue
        .rows
        .iter()
        .find(|r| r.id == id)
        .ok_or(AppError::NotFound)?;
    let admin = actor.is_some_and(|a| a.has(Role::InstitutionAdmin(OrganisationId(institution))));
    let searchable = catalogue.searchable(row);
    if !searchable && !admin {
        return Err(AppError::NotFound);
    }
    let customer = customer_of(state, actor).await?;
    let resources: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT r.id, r.name_zh, r.name_en FROM service_resources x JOIN resources r ON r.id = x.resource_id \
         WHERE x.service_id = $1 ORDER BY r.id",
    )
    .bind(id)
    .fetch_all(state.db.pool())
    .await?;
    let (invoice_title, credit_code) = match actor {
        Some(a) => {
            let (zh, code): (String, Option<String>) =
                sqlx::query_as("SELECT name_zh, credit_code FROM organisations WHERE id = $1")
                    .bind(a.organisation.0)
                    .fetch_one(state.db.pool())
                    .await?;
            (zh, code.unwrap_or_default())
        }
        None => (String::new(), String::new()),
    };
    let mut prices = catalogue.prices.get(&id).cloned().unwrap_or_default();
    prices.sort_by_key(|(c, _)| CustomerCategory::ALL.iter().position(|x| x == c));
    Ok(ServiceDetail {
        summary: catalogue.summary(row, customer, today),
        sample_quantity: row.sample_quantity.clone(),
        sample_form: row.sample_form.clone(),
        packaging: row.packaging.clone(),
        prices,
        resources: resources
            .into_iter()
            .map(|(id, zh, en)| Named {
                id: ResourceId(id),
                name: Bilingual { zh, en },
            })
            .collect(),
        can_order: searchable && can_order(actor),
        invoice_title,
        credit_code,
    })
}

/// An institution's services for its admins, each with why it is out of search, if it is; the
/// standards and resources a service may name; and the form, filled with service `edit` when
/// one of the institution's is being changed.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn of_institution(
    state: &AppState,
    actor: Option<&Actor>,
    institution: OrganisationId,
    edit: Option<i64>,
) -> Result<InstitutionServices, AppError> {
    require(
        actor,
        Action::RunInstitution,
        Target::Institution {
            id: institution,
            zone: None,
        },
    )?;
    let today = today(state);
    let catalogue = state
        .db
        .service_catalogue(Some(institution.0), today)
        .await?;
    let last = state.db.last_covered(institution.0).await?;
    let (zh, en): (String, String) =
        sqlx::query_as("SELECT name_zh, name_en FROM organisations WHERE id = $1")
            .bind(institution.0)
            .fetch_one(state.db.pool())
            .await?;
    let open: HashMap<i64, i64> = sqlx::query_as::<_, (i64, i64)>(
        "SELECT service_id, COUNT(*) FROM orders WHERE institution_id = $1 \
           AND status NOT IN ('rejected', 'declined', 'closed', 'cancelled') GROUP BY service_id",
    )
    .bind(institution.0)
    .fetch_all(state.db.pool())
    .await?
    .into_iter()
    .collect();
    let services = catalogue
        .rows
        .iter()
        .map(|row| OwnService {
            id: row.id,
            name: Bilingual {
                zh: row.name_zh.clone(),
                en: row.name_en.clone(),
            },
            standards: catalogue
                .standards
                .get(&row.id)
                .cloned()
                .unwrap_or_default(),
            turnaround_days: row.turnaround_days,
            capacity_per_week: row.capacity_per_week,
            listed: row.listed != 0,
            withdrawn: catalogue
                .withdrawals(row)
                .into_iter()
                .map(|standard| Withdrawal {
                    expired_on: last.get(&standard).copied(),
                    standard,
                })
                .collect(),
            open_orders: open.get(&row.id).copied().unwrap_or(0),
        })
        .collect();
    let standards: std::collections::BTreeSet<String> = catalogue
        .covered
        .keys()
        .map(|(_, code)| code.clone())
        .collect();
    let resources: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, name_zh, name_en FROM resources WHERE institution_id = $1 AND status <> 'retired' ORDER BY id",
    )
    .bind(institution.0)
    .fetch_all(state.db.pool())
    .await?;
    let form = match edit {
        Some(id) => {
            let row = catalogue
                .rows
                .iter()
                .find(|r| r.id == id)
                .ok_or(AppError::NotFound)?;
            let used: Vec<i64> = sqlx::query_scalar(
                "SELECT resource_id FROM service_resources WHERE service_id = $1 ORDER BY resource_id",
            )
            .bind(id)
            .fetch_all(state.db.pool())
            .await?;
            catalogue.form(row, used)
        }
        None => ServiceForm {
            institution: institution.0,
            ..ServiceForm::default()
        },
    };
    Ok(InstitutionServices {
        institution: Named {
            id: institution,
            name: Bilingual { zh, en },
        },
        form,
        services,
        standards: standards.into_iter().collect(),
        resources: resources
            .into_iter()
            .map(|(id, zh, en)| Named {
                id: ResourceId(id),
                name: Bilingual { zh, en },
            })
            .collect(),
    })
}

/// The local hour from which the day's mails to institutions go out (the needs digest, the
/// lapsed services).
pub const MORNING_HOUR: u32 = 8;

/// Tells each institution's admins, in one mail, of the services that left search because the
/// accreditation behind one of their standards ended, each lapse once. A process looks once a
/// local day, from 08:00 (the services page shows the warning at once); several servers may look
/// side by side: a lapse's notice row is taken in the mail's transaction. Returns the number of
/// lapses told.
pub async fn tell_lapses(state: &AppState) -> Result<usize, AppError> {
    use chrono::Timelike;
    if state.clock.now().with_timezone(&state.tz).hour() < MORNING_HOUR {
        return Ok(0);
    }
    let today = today(state);
    let checked = || {
        state
            .db
            .lapses_checked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    };
    if *checked() == Some(today) {
        return Ok(0);
    }
    let count = tell_lapses_on(state, today).await?;
    // Only a look that went through counts: after a failure the next tick looks again.
    *checked() = Some(today);
    Ok(count)
}

async fn tell_lapses_on(state: &AppState, today: NaiveDate) -> Result<usize, AppError> {
    let catalogue = state.db.service_catalogue(None, today).await?;
    let told: std::collections::HashSet<(i64, String, String)> =
        sqlx::query_as("SELECT service_id, code, expired_on FROM service_lapse_notices")
            .fetch_all(state.db.pool())
            .await?
            .into_iter()
            .collect();
    // Per institution: (service, its names, standard, last day covered).
    let mut fresh: HashMap<i64, Vec<(i64, Bilingual, String, String)>> = HashMap::new();
    let mut last: HashMap<i64, HashMap<String, NaiveDate>> = HashMap::new();
    for row in catalogue.rows.iter().filter(|r| r.listed != 0) {
        for standard in catalogue.withdrawals(row) {
            use std::collections::hash_map::Entry;
            let days = match last.entry(row.institution_id) {
                Entry::Occupied(known) => known.into_mut(),
                Entry::Vacant(slot) => {
                    slot.insert(state.db.last_covered(row.institution_id).await?)
                }
            };
            let ended = days.get(&standard).map(|d| day(*d)).unwrap_or_default();
            if !told.contains(&(row.id, standard.clone(), ended.clone())) {
                let entry = (row.id, row.name(), standard, ended);
                fresh.entry(row.institution_id).or_default().push(entry);
            }
        }
    }
    let mut count = 0;
    for (institution, lapses) in fresh {
        let (shared, now) = (state.clone(), state.clock.now().timestamp());
        count += state
            .db
            .write(move |tx| {
                Box::pin(async move {
                    let mut taken = Vec::new();
                    for (service, name, code, ended) in &lapses {
                        let new = sqlx::query(
                            "INSERT INTO service_lapse_notices (service_id, code, expired_on, told_at) \
                             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                        )
                        .bind(service)
                        .bind(code)
                        .bind(ended)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                        if new > 0 {
                            taken.push((name, code, ended));
                        }
                    }
                    if taken.is_empty() {
                        return Ok(0);
                    }
                    for (email, who, locale) in super::admins_on(tx, institution).await? {
                        let language = Language::parse(&locale).unwrap_or(Language::ZhCn);
                        let english = language == Language::En;
                        let lines: Vec<serde_json::Value> = taken
                            .iter()
                            .map(|(name, code, ended)| {
                                json!({ "service": name.pick(english), "standard": code, "until": ended })
                            })
                            .collect();
                        let mail = Mail::new(
                            (&email, &who, language),
                            "services_withdrawn",
                            json!({
                                "name": who,
                                "count": lines.len(),
                                "services": lines,
                                "link": format!("{}/institution/services?institution={institution}", shared.settings.public_url),
                            }),
                        );
                        enqueue(tx, &mail, now, &shared.settings.public_url).await?;
                    }
                    Ok(taken.len())
                })
            })
            .await?;
    }
    if count > 0 {
        tracing::info!(count, "lapsed services told");
    }
    Ok(count)
}

/// A service as its institution's admin describes it.
#[derive(Debug, Clone, Default)]
pub struct NewService {
    pub name_zh: String,
    pub name_en: String,
    pub standards: Vec<String>,
    pub products: String,
    pub sample_quantity: String,
    pub sample_form: String,
    pub packaging: String,
    pub turnaround_days: i64,
    pub capacity_per_week: i64,
    pub prices: Vec<(CustomerCategory, Money)>,
    pub resources: Vec<ResourceId>,
}

/// Publishes a service of `institution`, or changes its service `existing` (orders already
/// placed keep their price and promise). Every standard must be in an accreditation of the
/// institution valid today; every resource must be the institution's.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn publish(
    state: &AppState,
    actor: Option<&Actor>,
    institution: OrganisationId,
    new: NewService,
    existing: Option<i64>,
) -> Result<i64, AppError> {
    require(
        actor,
        Action::RunInstitution,
        Target::Institution {
            id: institution,
            zone: None,
        },
    )?;
    if let Some(service) = existing {
        if state.db.service_institution(service).await? != institution.0 {
            return Err(AppError::NotFound);
        }
    }
    let name_zh = text(&new.name_zh, "name_zh", 120, true, false)?;
    let name_en = text(&new.name_en, "name_en", 120, false, false)?;
    let products = text(&new.products, "products", MAX_TEXT_CHARS, false, false)?;
    let sample_quantity = text(
        &new.sample_quantity,
        "sample_quantity",
        MAX_TEXT_CHARS,
        false,
        false,
    )?;
    let sample_form = text(
        &new.sample_form,
        "sample_form",
        MAX_TEXT_CHARS,
        false,
        false,
    )?;
    let packaging = text(&new.packaging, "packaging", MAX_TEXT_CHARS, false, false)?;
    if !(1..=365).contains(&new.turnaround_days) {
        return Err(AppError::validation(
            "turnaround_days",
            "turnaround_invalid",
        ));
    }
    if !(1..=100_000).contains(&new.capacity_per_week) {
        return Err(AppError::validation(
            "capacity_per_week",
            "capacity_invalid",
        ));
    }
    let mut standards: Vec<String> = new.standards.iter().map(|s| s.trim().to_string()).collect();
    standards.retain(|s| !s.is_empty());
    standards.sort();
    standards.dedup();
    if standards.is_empty() {
        return Err(AppError::validation("standards", "standards_missing"));
    }
    let covered = state.db.covered(Some(institution.0), today(state)).await?;
    if standards
        .iter()
        .any(|s| !covered.contains_key(&(institution.0, s.clone())))
    {
        return Err(AppError::validation("standards", "standard_not_accredited"));
    }
    if new.prices.is_empty() {
        return Err(AppError::validation("prices", "prices_missing"));
    }
    let own: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM resources WHERE institution_id = $1 AND status <> 'retired'",
    )
    .bind(institution.0)
    .fetch_all(state.db.pool())
    .await?;
    if new.resources.iter().any(|r| !own.contains(&r.0)) {
        return Err(AppError::validation("resources", "choice_unknown"));
    }
    let now = state.clock.now().timestamp();
    let (prices, mut resources) = (new.prices, new.resources);
    // A box ticked twice (a hand-made form) names the instrument once.
    resources.sort_by_key(|r| r.0);
    resources.dedup();
    let (turnaround, capacity) = (new.turnaround_days, new.capacity_per_week);
    state
        .db
        .write(move |tx| {
            Box::pin(async move {
                let sql = if existing.is_some() {
                    "UPDATE test_services SET name_zh = $2, name_en = $3, products = $4, sample_quantity = $5, \
                       sample_form = $6, packaging = $7, turnaround_days = $8, capacity_per_week = $9, updated_at = $10 \
                     WHERE id = $11 AND institution_id = $1 RETURNING id"
                } else {
                    "INSERT INTO test_services (institution_id, name_zh, name_en, products, sample_quantity, \
                       sample_form, packaging, turnaround_days, capacity_per_week, listed, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10) RETURNING id"
                };
                let mut query = sqlx::query_as(sql)
                    .bind(institution.0)
                    .bind(&name_zh)
                    .bind(&name_en)
                    .bind(&products)
                    .bind(&sample_quantity)
                    .bind(&sample_form)
                    .bind(&packaging)
                    .bind(turnaround)
                    .bind(capacity)
                    .bind(now);
                if let Some(service) = existing {
                    query = query.bind(service);
                }
                let (id,): (i64,) = query.fetch_one(&mut *tx).await?;
                for table in ["service_standards", "service_prices", "service_resources"] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE service_id = $1"))
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                for code in &standards {
                    sqlx::query("INSERT INTO service_standards (service_id, code) VALUES ($1, $2)")
                        .bind(id)
                        .bind(code)
                        .execute(&mut *tx)
                        .await?;
                }
                for (category, price) in &prices {
                    sqlx::query(
                        "INSERT INTO service_prices (service_id, customer_category, per_sample_fen) VALUES ($1, $2, $3)",
                    )
                    .bind(id)
                    .bind(category.as_str())
                    .bind(price.fen())
                    .execute(&mut *tx)
                    .await?;
                }
                for r in &resources {
                    sqlx::query("INSERT INTO service_resources (service_id, resource_id) VALUES ($1, $2)")
                        .bind(id)
                        .bind(r.0)
                        .execute(&mut *tx)
                        .await?;
                }
                Ok(id)
            })
        })
        .await
}

/// Takes a service out of search (or puts it back) by its institution's admins; open orders go
/// on.
pub async fn set_listed(
    state: &AppState,
    actor: Option<&Actor>,
    service: i64,
    listed: bool,
) -> Result<(), AppError> {
    let institution = state.db.service_institution(service).await?;
    require(
        actor,
        Action::RunInstitution,
        Target::Institution {
            id: OrganisationId(institution),
            zone: None,
        },
    )?;
    let now = state.clock.now().timestamp();
    state
        .db
        .write(move |tx| {
            Box::pin(async move {
                sqlx::query("UPDATE test_services SET listed = $1, updated_at = $2 WHERE id = $3")
                    .bind(i64::from(listed))
                    .bind(now)
                    .bind(service)
                    .execute(&mut *tx)
                    .await?;
                Ok(())
            })
        })
        .await
}
