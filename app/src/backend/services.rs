//! Testing services and their orders. An institution publishes a service for standards in a valid
//! accreditation of its own; search (by standard typed loosely, product or words) leaves out a
//! service once one of its standards is no longer covered, and compares the institutions offering
//! it at the asker's rate. Orders move only through `domain::services::next`: each change is an
//! update guarded on the state it leaves, with its audit row and its mail in the same transaction.

use super::mail::{enqueue, Mail};
use super::{utc_offset, AppState, Db};
use crate::domain::account::{check_credit_code, Actor, Language, Membership, Role};
use crate::domain::booking::{standing, Customer};
use crate::domain::catalogue::{AccreditationBody, CustomerCategory};
use crate::domain::ids::{OrganisationId, ResourceId, UserId, ZoneId};
use crate::domain::money::Money;
use crate::domain::policy::{require, Action, Target};
use crate::domain::services::{
    actions_for, applies_standard, next, Delivery, InstitutionServices, OrderAction, OrderDetail,
    OrderEvent, OrderRow, OrderStatus, OrdersPage, OwnService, Party, ServiceDetail,
    ServiceSummary, ServicesPage, Withdrawal,
};
use crate::domain::vocabulary::{Bilingual, Named};
use crate::error::AppError;
use chrono::{Datelike, NaiveDate};
use serde_json::json;
use sqlx::AnyConnection;
use std::collections::HashMap;

/// The largest test report accepted (a scanned report of many pages).
pub const MAX_REPORT_BYTES: usize = 20 * 1024 * 1024;
pub const MAX_NOTE_CHARS: usize = 500;
pub const MAX_TEXT_CHARS: usize = 200;

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn parse_day(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()
}

/// `text` trimmed, refused when required and empty, too long, or holding control characters
/// (line breaks only where `lines`).
fn text(
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
struct ServiceRow {
    id: i64,
    institution_id: i64,
    name_zh: String,
    name_en: String,
    products: String,
    sample_quantity: String,
    sample_form: String,
    packaging: String,
    turnaround_days: i64,
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
struct Catalogue {
    rows: Vec<ServiceRow>,
    standards: HashMap<i64, Vec<String>>,
    prices: HashMap<i64, Vec<(CustomerCategory, Money)>>,
    load: HashMap<i64, i64>,
    covered: HashMap<(i64, String), Cover>,
}

impl Db {
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

    async fn service_catalogue(
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
            "SELECT service_id, code FROM service_standards ORDER BY service_id, code",
        )
        .fetch_all(self.pool())
        .await?
        {
            standards.entry(id).or_default().push(code);
        }
        let mut prices: HashMap<i64, Vec<(CustomerCategory, Money)>> = HashMap::new();
        for (id, category, fen) in sqlx::query_as::<_, (i64, String, i64)>(
            "SELECT service_id, customer_category, per_sample_fen FROM service_prices",
        )
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

    fn searchable(&self, row: &ServiceRow) -> bool {
        row.listed != 0
            && self.standards.get(&row.id).is_some_and(|s| !s.is_empty())
            && self.withdrawals(row).is_empty()
    }

    fn summary(
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
    let order: &[CustomerCategory] = match category {
        CustomerCategory::Own => &[
            CustomerCategory::Own,
            CustomerCategory::Zone,
            CustomerCategory::External,
        ],
        CustomerCategory::Sme => &[
            CustomerCategory::Sme,
            CustomerCategory::Zone,
            CustomerCategory::External,
        ],
        CustomerCategory::Zone => &[CustomerCategory::Zone, CustomerCategory::External],
        CustomerCategory::External => &[CustomerCategory::External],
    };
    order
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

fn today(state: &AppState) -> NaiveDate {
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
    let institution: Option<i64> =
        sqlx::query_scalar("SELECT institution_id FROM test_services WHERE id = $1")
            .bind(id)
            .fetch_optional(state.db.pool())
            .await?;
    let institution = institution.ok_or(AppError::NotFound)?;
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

/// An institution's services for its admins, each with why it is out of search, if it is; and
/// the standards and resources a new service may name.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn of_institution(
    state: &AppState,
    actor: Option<&Actor>,
    institution: OrganisationId,
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
    Ok(InstitutionServices {
        institution: Named {
            id: institution,
            name: Bilingual { zh, en },
        },
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

/// Publishes a service of `institution`. Every standard must be in an accreditation of the
/// institution valid today; every resource must be the institution's.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn publish(
    state: &AppState,
    actor: Option<&Actor>,
    institution: OrganisationId,
    new: NewService,
) -> Result<i64, AppError> {
    require(
        actor,
        Action::RunInstitution,
        Target::Institution {
            id: institution,
            zone: None,
        },
    )?;
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
    let (prices, resources) = (new.prices, new.resources);
    let (turnaround, capacity) = (new.turnaround_days, new.capacity_per_week);
    state
        .db
        .write(move |tx| {
            Box::pin(async move {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO test_services (institution_id, name_zh, name_en, products, sample_quantity, \
                       sample_form, packaging, turnaround_days, capacity_per_week, listed, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10) RETURNING id",
                )
                .bind(institution.0)
                .bind(&name_zh)
                .bind(&name_en)
                .bind(&products)
                .bind(&sample_quantity)
                .bind(&sample_form)
                .bind(&packaging)
                .bind(turnaround)
                .bind(capacity)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
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
    let institution: Option<i64> =
        sqlx::query_scalar("SELECT institution_id FROM test_services WHERE id = $1")
            .bind(service)
            .fetch_optional(state.db.pool())
            .await?;
    let institution = institution.ok_or(AppError::NotFound)?;
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

/// What an enterprise fills in to order a service.
#[derive(Debug, Clone, Default)]
pub struct NewOrder {
    pub service: i64,
    pub samples: i64,
    pub sample_description: String,
    pub delivery: Option<Delivery>,
    pub tracking_number: String,
    pub requested_by: Option<NaiveDate>,
    pub invoice_title: String,
    pub credit_code: String,
}

/// An order and the people on both sides, for a change and its mails.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderFacts {
    pub id: i64,
    pub status: String,
    pub service_id: i64,
    pub institution_id: i64,
    pub customer_id: i64,
    pub requester_id: i64,
    pub samples: i64,
    pub price_fen: i64,
    pub quoted_fen: Option<i64>,
    pub service_zh: String,
    pub service_en: String,
    pub institution_zh: String,
    pub institution_en: String,
    pub customer_zh: String,
    pub customer_en: String,
    pub requester_email: String,
    pub requester_name: String,
    pub requester_locale: String,
}

const ORDER_FACTS_SQL: &str = "SELECT x.id, x.status, x.service_id, x.institution_id, x.customer_id, x.requester_id, \
       x.samples, x.price_fen, x.quoted_fen, s.name_zh AS service_zh, s.name_en AS service_en, \
       i.name_zh AS institution_zh, i.name_en AS institution_en, c.name_zh AS customer_zh, c.name_en AS customer_en, \
       u.email AS requester_email, u.display_name AS requester_name, u.locale AS requester_locale \
     FROM orders x JOIN test_services s ON s.id = x.service_id JOIN organisations i ON i.id = x.institution_id \
       JOIN organisations c ON c.id = x.customer_id JOIN users u ON u.id = x.requester_id WHERE x.id = $1";

impl OrderFacts {
    pub fn status(&self) -> OrderStatus {
        OrderStatus::parse(&self.status).unwrap_or(OrderStatus::Cancelled)
    }

    /// The sides `actor` is on: the ordering organisation's confirmed people, the institution's
    /// admins.
    pub fn parties(&self, actor: Option<&Actor>) -> Vec<Party> {
        let Some(actor) = actor else {
            return Vec::new();
        };
        let mut parties = Vec::new();
        if actor.organisation.0 == self.customer_id
            && (actor.membership == Membership::Confirmed || actor.user.0 == self.requester_id)
        {
            parties.push(Party::Customer);
        }
        if actor.has(Role::InstitutionAdmin(OrganisationId(self.institution_id))) {
            parties.push(Party::Institution);
        }
        parties
    }

    fn context(&self, english: bool, state: &AppState) -> serde_json::Value {
        let pick = |zh: &str, en: &str| {
            if english && !en.is_empty() {
                en.to_string()
            } else {
                zh.to_string()
            }
        };
        let price = self.quoted_fen.unwrap_or(self.price_fen);
        json!({
            "order": self.id,
            "service": pick(&self.service_zh, &self.service_en),
            "institution": pick(&self.institution_zh, &self.institution_en),
            "customer": pick(&self.customer_zh, &self.customer_en),
            "samples": self.samples,
            "price": Money::from_fen(price).unwrap_or_default().display(),
            "link": format!("{}/orders/{}", state.settings.public_url, self.id),
            "note": "",
            "status": "",
        })
    }

    /// A mail about this order to its requester.
    fn mail_to_requester(
        &self,
        state: &AppState,
        template: &'static str,
        extra: serde_json::Value,
    ) -> Mail {
        let language = Language::parse(&self.requester_locale).unwrap_or(Language::ZhCn);
        let mut context = self.context(language == Language::En, state);
        merge(&mut context, extra);
        context["name"] = self.requester_name.clone().into();
        Mail::new(
            (&self.requester_email, &self.requester_name, language),
            template,
            context,
        )
    }
}

fn merge(context: &mut serde_json::Value, extra: serde_json::Value) {
    if let (Some(map), Some(more)) = (context.as_object_mut(), extra.as_object()) {
        for (k, v) in more {
            map.insert(k.clone(), v.clone());
        }
    }
}

/// The mails of a change to the institution's admins.
async fn mail_admins(
    tx: &mut AnyConnection,
    state: &AppState,
    facts: &OrderFacts,
    template: &'static str,
    extra: serde_json::Value,
    now: i64,
) -> Result<(), AppError> {
    let admins: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT u.email, u.display_name, u.locale FROM user_roles r JOIN users u ON u.id = r.user_id \
         WHERE r.role = 'institution_admin' AND r.scope_id = $1 ORDER BY u.id",
    )
    .bind(facts.institution_id)
    .fetch_all(&mut *tx)
    .await?;
    for (email, name, locale) in admins {
        let language = Language::parse(&locale).unwrap_or(Language::ZhCn);
        let mut context = facts.context(language == Language::En, state);
        merge(&mut context, extra.clone());
        context["name"] = name.clone().into();
        let mail = Mail::new((&email, &name, language), template, context);
        enqueue(tx, &mail, now, &state.settings.public_url).await?;
    }
    Ok(())
}

async fn order_facts(conn: &mut AnyConnection, id: i64) -> Result<Option<OrderFacts>, sqlx::Error> {
    sqlx::query_as(ORDER_FACTS_SQL)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
}

impl Db {
    pub async fn order_facts(&self, id: i64) -> Result<Option<OrderFacts>, sqlx::Error> {
        let mut conn = self.pool().acquire().await?;
        order_facts(&mut conn, id).await
    }
}

/// Writes an order's audit row.
async fn record(
    tx: &mut AnyConnection,
    order: i64,
    actor: Option<UserId>,
    (from, to): (Option<OrderStatus>, OrderStatus),
    note: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO order_events (order_id, actor_id, at, from_status, to_status, note) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(order)
    .bind(actor.map(|u| u.0))
    .bind(now)
    .bind(from.map(OrderStatus::as_str))
    .bind(to.as_str())
    .bind(note)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Places an order: priced at the orderer's rate for the service, promised in its turnaround;
/// the requester and the institution's admins are told.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn place(
    state: &AppState,
    actor: Option<&Actor>,
    new: NewOrder,
) -> Result<i64, AppError> {
    let actor = actor.ok_or(AppError::NotSignedIn)?;
    if actor.membership != Membership::Confirmed {
        return Err(AppError::validation("order", "membership_unconfirmed"));
    }
    let today = today(state);
    let institution: Option<i64> =
        sqlx::query_scalar("SELECT institution_id FROM test_services WHERE id = $1")
            .bind(new.service)
            .fetch_optional(state.db.pool())
            .await?;
    let institution = institution.ok_or(AppError::NotFound)?;
    let catalogue = state.db.service_catalogue(Some(institution), today).await?;
    let row = catalogue
        .rows
        .iter()
        .find(|r| r.id == new.service)
        .ok_or(AppError::NotFound)?;
    if !catalogue.searchable(row) {
        return Err(AppError::validation("service", "service_withdrawn"));
    }
    if !(1..=10_000).contains(&new.samples) {
        return Err(AppError::validation("samples", "sample_count_invalid"));
    }
    let description = text(
        &new.sample_description,
        "sample_description",
        MAX_NOTE_CHARS,
        true,
        true,
    )?;
    let delivery = new
        .delivery
        .ok_or_else(|| AppError::validation("delivery", "choice_unknown"))?;
    let tracking = text(&new.tracking_number, "tracking_number", 60, false, false)?;
    if let Some(by) = new.requested_by {
        if by < today || !crate::domain::time::plausible(by) {
            return Err(AppError::validation("requested_by", "date_invalid"));
        }
    }
    let invoice_title = text(&new.invoice_title, "invoice_title", 100, true, false)?;
    let credit_code = check_credit_code(&new.credit_code)
        .map_err(|key| AppError::validation("credit_code", key))?;
    let customer = state.db.customer(actor).await?;
    let summary = catalogue.summary(row, Some(customer), today);
    let category = summary
        .price
        .map(|(c, _)| c)
        .unwrap_or(CustomerCategory::External);
    let per_sample = summary.price.map_or(0, |(_, m)| m.fen());
    let price = per_sample
        .checked_mul(new.samples)
        .ok_or_else(|| AppError::validation("samples", "sample_count_invalid"))?;
    let now = state.clock.now().timestamp();
    let (shared, who) = (state.clone(), actor.clone());
    let (service, samples, promised) = (new.service, new.samples, row.turnaround_days);
    let requested_by = new.requested_by.map(day);
    let id = state
        .db
        .write(move |tx| {
            Box::pin(async move {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO orders (service_id, institution_id, customer_id, requester_id, status, samples, \
                       sample_description, delivery, tracking_number, requested_by, invoice_title, credit_code, \
                       customer_category, price_fen, promised_days, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, 'submitted', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id",
                )
                .bind(service)
                .bind(institution)
                .bind(who.organisation.0)
                .bind(who.user.0)
                .bind(samples)
                .bind(&description)
                .bind(delivery.as_str())
                .bind(&tracking)
                .bind(requested_by)
                .bind(&invoice_title)
                .bind(&credit_code)
                .bind(category.as_str())
                .bind(price)
                .bind(promised)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                record(tx, id, Some(who.user), (None, OrderStatus::Submitted), "", now).await?;
                let facts = order_facts(tx, id).await?.ok_or(AppError::NotFound)?;
                let mail = facts.mail_to_requester(&shared, "order_received", json!({}));
                enqueue(tx, &mail, now, &shared.settings.public_url).await?;
                mail_admins(tx, &shared, &facts, "order_new", json!({ "description": description }), now).await?;
                Ok(id)
            })
        })
        .await?;
    tracing::info!(order = id, service, "order placed");
    Ok(id)
}

/// What comes with an action: the note the other side reads, and a quote's price.
#[derive(Debug, Clone, Default)]
pub struct ActionInput {
    pub note: String,
    pub quoted: Option<Money>,
}

/// The mail an order's change sends, and to whom: the requester for the institution's steps,
/// the institution's admins for the customer's.
fn mail_of(to: OrderStatus) -> &'static str {
    match to {
        OrderStatus::Quoted => "order_quoted",
        OrderStatus::Accepted => "order_accepted",
        OrderStatus::ReportIssued => "order_report_issued",
        _ => "order_changed",
    }
}

/// Moves an order by `action`: refused (nothing changed) unless one of the actor's sides may
/// take it from where the order stands. A person on neither side gets "not found".
#[tracing::instrument(level = "debug", skip_all)]
pub async fn act(
    state: &AppState,
    actor: Option<&Actor>,
    order: i64,
    action: OrderAction,
    input: ActionInput,
) -> Result<OrderStatus, AppError> {
    let actor = actor.ok_or(AppError::NotSignedIn)?;
    let facts = state
        .db
        .order_facts(order)
        .await?
        .ok_or(AppError::NotFound)?;
    let parties = facts.parties(Some(actor));
    if parties.is_empty() {
        return Err(AppError::NotFound);
    }
    if action == OrderAction::IssueReport {
        // Issuing is uploading the report: see [`issue_report`].
        return Err(AppError::validation("report", "report_missing"));
    }
    let from = facts.status();
    let (party, to) = parties
        .iter()
        .find_map(|p| next(from, action, *p).map(|to| (*p, to)))
        .ok_or_else(|| AppError::validation("order", "order_action_refused"))?;
    let note = text(
        &input.note,
        "note",
        MAX_NOTE_CHARS,
        action.needs_note() && action != OrderAction::Quote,
        true,
    )?;
    let quoted = match action {
        OrderAction::Quote => Some(
            input
                .quoted
                .ok_or_else(|| AppError::validation("quoted", "price_invalid"))?,
        ),
        _ => None,
    };
    let now = state.clock.now().timestamp();
    let (shared, who) = (state.clone(), actor.clone());
    state
        .db
        .write(move |tx| {
            Box::pin(async move {
                change(
                    tx,
                    &shared,
                    &facts,
                    (&who, party),
                    (from, to),
                    &note,
                    quoted,
                    now,
                )
                .await
            })
        })
        .await?;
    tracing::info!(order, action = action.as_str(), "order moved");
    Ok(to)
}

/// The guarded update, its audit row and its mail, on `tx`.
#[allow(clippy::too_many_arguments)]
async fn change(
    tx: &mut AnyConnection,
    state: &AppState,
    facts: &OrderFacts,
    (who, party): (&Actor, Party),
    (from, to): (OrderStatus, OrderStatus),
    note: &str,
    quoted: Option<Money>,
    now: i64,
) -> Result<(), AppError> {
    let stamp = match to {
        OrderStatus::Accepted => ", accepted_at = $4",
        OrderStatus::SamplesReceived => ", received_at = $4",
        OrderStatus::ReportIssued => ", reported_at = $4",
        _ => "",
    };
    let changed = sqlx::query(&format!(
        "UPDATE orders SET status = $1, status_note = $2, updated_at = $4, \
           quoted_fen = COALESCE($5, quoted_fen){stamp} WHERE id = $3 AND status = $6"
    ))
    .bind(to.as_str())
    .bind(note)
    .bind(facts.id)
    .bind(now)
    .bind(quoted.map(Money::fen))
    .bind(from.as_str())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 0 {
        // Someone else moved it first.
        return Err(AppError::validation("order", "order_action_refused"));
    }
    record(tx, facts.id, Some(who.user), (Some(from), to), note, now).await?;
    let facts = order_facts(tx, facts.id).await?.ok_or(AppError::NotFound)?;
    let extra = json!({ "note": note, "status": to.as_str(), "by": who.name });
    match party {
        Party::Institution => {
            let mut mail = facts.mail_to_requester(state, mail_of(to), extra);
            mail.context["status"] = status_words(to, mail.language).into();
            enqueue(tx, &mail, now, &state.settings.public_url).await?;
        }
        Party::Customer => {
            let words = |l| status_words(to, l);
            let extra = json!({ "note": note, "by": who.name, "status_zh": words(Language::ZhCn), "status_en": words(Language::En) });
            mail_admins(tx, state, &facts, "order_changed_by_customer", extra, now).await?;
        }
    }
    Ok(())
}

/// An order state in words, for mails.
fn status_words(status: OrderStatus, language: Language) -> String {
    crate::wording::order_status(crate::wording::locale_of(language), status).to_string()
}

/// Whether `bytes` is a PDF by its content: the header, and an end-of-file marker near the end.
pub fn is_pdf(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    bytes.starts_with(b"%PDF-") && tail.windows(5).any(|w| w == b"%%EOF")
}

/// The institution's admin uploads the test report of an order in testing: stored, and the order
/// moves to "report issued" in the same transaction; the requester is told.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn issue_report(
    state: &AppState,
    actor: Option<&Actor>,
    order: i64,
    file_name: &str,
    bytes: Vec<u8>,
) -> Result<(), AppError> {
    let actor = actor.ok_or(AppError::NotSignedIn)?;
    let facts = state
        .db
        .order_facts(order)
        .await?
        .ok_or(AppError::NotFound)?;
    let parties = facts.parties(Some(actor));
    if parties.is_empty() {
        return Err(AppError::NotFound);
    }
    let from = facts.status();
    let to = next(from, OrderAction::IssueReport, Party::Institution)
        .filter(|_| parties.contains(&Party::Institution))
        .ok_or_else(|| AppError::validation("order", "order_action_refused"))?;
    if bytes.is_empty() {
        return Err(AppError::validation("report", "report_missing"));
    }
    if bytes.len() > MAX_REPORT_BYTES {
        return Err(AppError::validation("report", "report_too_large"));
    }
    if !is_pdf(&bytes) {
        return Err(AppError::validation("report", "report_not_pdf"));
    }
    let name: String = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | ';'))
        .take(100)
        .collect();
    let name = if name.to_lowercase().ends_with(".pdf") {
        name
    } else {
        format!("report-{order}.pdf")
    };
    let now = state.clock.now().timestamp();
    let (shared, who) = (state.clone(), actor.clone());
    state
        .db
        .write(move |tx| {
            Box::pin(async move {
                let size = bytes.len() as i64;
                sqlx::query(
                    "INSERT INTO order_reports (order_id, file_name, content, size, uploaded_by, uploaded_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(facts.id)
                .bind(&name)
                .bind(bytes)
                .bind(size)
                .bind(who.user.0)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                change(tx, &shared, &facts, (&who, Party::Institution), (from, to), "", None, now).await
            })
        })
        .await?;
    tracing::info!(order, "report issued");
    Ok(())
}

/// An order's report file, for the ordering organisation's people and the institution's admins
/// only: anyone else is told there is no such order.
pub async fn report_file(
    state: &AppState,
    actor: Option<&Actor>,
    order: i64,
) -> Result<(String, Vec<u8>), AppError> {
    let actor = actor.ok_or(AppError::NotSignedIn)?;
    let facts = state
        .db
        .order_facts(order)
        .await?
        .ok_or(AppError::NotFound)?;
    if facts.parties(Some(actor)).is_empty() {
        return Err(AppError::NotFound);
    }
    let file: Option<(String, Vec<u8>)> =
        sqlx::query_as("SELECT file_name, content FROM order_reports WHERE order_id = $1")
            .bind(order)
            .fetch_optional(state.db.pool())
            .await?;
    file.ok_or(AppError::NotFound)
}

/// The ordering side rates a closed order, once.
pub async fn rate(
    state: &AppState,
    actor: Option<&Actor>,
    order: i64,
    rating: i64,
    comment: &str,
) -> Result<(), AppError> {
    let actor = actor.ok_or(AppError::NotSignedIn)?;
    let facts = state
        .db
        .order_facts(order)
        .await?
        .ok_or(AppError::NotFound)?;
    let parties = facts.parties(Some(actor));
    if parties.is_empty() {
        return Err(AppError::NotFound);
    }
    if !parties.contains(&Party::Customer) || facts.status() != OrderStatus::Closed {
        return Err(AppError::validation("rating", "rating_not_open"));
    }
    if !(1..=5).contains(&rating) {
        return Err(AppError::validation("rating", "choice_unknown"));
    }
    let comment = text(comment, "comment", MAX_NOTE_CHARS, false, true)?;
    let now = state.clock.now().timestamp();
    state
        .db
        .write(move |tx| {
            Box::pin(async move {
                let changed = sqlx::query(
                    "UPDATE orders SET rating = $1, rating_comment = $2, updated_at = $3 \
                     WHERE id = $4 AND status = 'closed' AND rating IS NULL",
                )
                .bind(rating)
                .bind(&comment)
                .bind(now)
                .bind(order)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed == 0 {
                    return Err(AppError::validation("rating", "rating_not_open"));
                }
                Ok(())
            })
        })
        .await
}

#[derive(sqlx::FromRow)]
struct OrderListRow {
    id: i64,
    status: String,
    samples: i64,
    price_fen: i64,
    quoted_fen: Option<i64>,
    created_at: i64,
    service_zh: String,
    service_en: String,
    institution_zh: String,
    institution_en: String,
    customer_zh: String,
    customer_en: String,
}

impl OrderListRow {
    fn into_row(self) -> OrderRow {
        OrderRow {
            id: self.id,
            service: Bilingual {
                zh: self.service_zh,
                en: self.service_en,
            },
            institution: Bilingual {
                zh: self.institution_zh,
                en: self.institution_en,
            },
            customer: Bilingual {
                zh: self.customer_zh,
                en: self.customer_en,
            },
            status: OrderStatus::parse(&self.status).unwrap_or(OrderStatus::Cancelled),
            samples: self.samples,
            price: Money::from_fen(self.quoted_fen.unwrap_or(self.price_fen)).unwrap_or_default(),
            created_at: self.created_at,
        }
    }
}

const ORDER_LIST_SQL: &str = "SELECT x.id, x.status, x.samples, x.price_fen, x.quoted_fen, x.created_at, \
       s.name_zh AS service_zh, s.name_en AS service_en, i.name_zh AS institution_zh, i.name_en AS institution_en, \
       c.name_zh AS customer_zh, c.name_en AS customer_en \
     FROM orders x JOIN test_services s ON s.id = x.service_id JOIN organisations i ON i.id = x.institution_id \
       JOIN organisations c ON c.id = x.customer_id";

/// The orders a person sees: their organisation's, and those to the institutions they run;
/// the newest first, at most 200 of each.
pub async fn orders(state: &AppState, actor: Option<&Actor>) -> Result<OrdersPage, AppError> {
    let actor = actor.ok_or(AppError::NotSignedIn)?;
    let placed: Vec<OrderListRow> = if actor.membership == Membership::Confirmed {
        sqlx::query_as(&format!(
            "{ORDER_LIST_SQL} WHERE x.customer_id = $1 ORDER BY x.id DESC LIMIT 200"
        ))
        .bind(actor.organisation.0)
        .fetch_all(state.db.pool())
        .await?
    } else {
        sqlx::query_as(&format!(
            "{ORDER_LIST_SQL} WHERE x.requester_id = $1 ORDER BY x.id DESC LIMIT 200"
        ))
        .bind(actor.user.0)
        .fetch_all(state.db.pool())
        .await?
    };
    let mut received = Vec::new();
    for role in &actor.roles {
        if let Role::InstitutionAdmin(institution) = role {
            let rows: Vec<OrderListRow> = sqlx::query_as(&format!(
                "{ORDER_LIST_SQL} WHERE x.institution_id = $1 ORDER BY x.id DESC LIMIT 200"
            ))
            .bind(institution.0)
            .fetch_all(state.db.pool())
            .await?;
            received.extend(rows.into_iter().map(OrderListRow::into_row));
        }
    }
    Ok(OrdersPage {
        placed: placed.into_iter().map(OrderListRow::into_row).collect(),
        received,
        utc_offset_seconds: utc_offset(state),
    })
}

#[derive(sqlx::FromRow)]
struct OrderDetailRow {
    sample_description: String,
    delivery: String,
    tracking_number: String,
    requested_by: Option<String>,
    invoice_title: String,
    credit_code: String,
    customer_category: String,
    promised_days: i64,
    status_note: String,
    rating: Option<i64>,
    rating_comment: String,
}

/// An order's page, for the people on either side of it.
pub async fn order_detail(
    state: &AppState,
    actor: Option<&Actor>,
    order: i64,
) -> Result<OrderDetail, AppError> {
    let actor = actor.ok_or(AppError::NotSignedIn)?;
    let facts = state
        .db
        .order_facts(order)
        .await?
        .ok_or(AppError::NotFound)?;
    let parties = facts.parties(Some(actor));
    if parties.is_empty() {
        return Err(AppError::NotFound);
    }
    let list: OrderListRow = sqlx::query_as(&format!("{ORDER_LIST_SQL} WHERE x.id = $1"))
        .bind(order)
        .fetch_one(state.db.pool())
        .await?;
    let d: OrderDetailRow = sqlx::query_as(
        "SELECT sample_description, delivery, tracking_number, requested_by, invoice_title, credit_code, \
           customer_category, promised_days, status_note, rating, rating_comment FROM orders WHERE id = $1",
    )
    .bind(order)
    .fetch_one(state.db.pool())
    .await?;
    type EventRow = (i64, Option<String>, Option<String>, String, String);
    let events: Vec<EventRow> = sqlx::query_as(
        "SELECT e.at, u.display_name, e.from_status, e.to_status, e.note FROM order_events e \
           LEFT JOIN users u ON u.id = e.actor_id WHERE e.order_id = $1 ORDER BY e.id",
    )
    .bind(order)
    .fetch_all(state.db.pool())
    .await?;
    let report: Option<String> =
        sqlx::query_scalar("SELECT file_name FROM order_reports WHERE order_id = $1")
            .bind(order)
            .fetch_optional(state.db.pool())
            .await?;
    let status = facts.status();
    Ok(OrderDetail {
        row: list.into_row(),
        service_id: facts.service_id,
        requester: facts.requester_name.clone(),
        sample_description: d.sample_description,
        delivery: Delivery::parse(&d.delivery).unwrap_or(Delivery::Bring),
        tracking_number: d.tracking_number,
        requested_by: d.requested_by.as_deref().and_then(parse_day),
        invoice_title: d.invoice_title,
        credit_code: d.credit_code,
        category: CustomerCategory::parse(&d.customer_category)
            .unwrap_or(CustomerCategory::External),
        quoted: facts.quoted_fen.and_then(|f| Money::from_fen(f).ok()),
        promised_days: d.promised_days,
        status_note: d.status_note,
        report,
        rating: d.rating.map(|r| (r, d.rating_comment)),
        events: events
            .into_iter()
            .map(|(at, by, from, to, note)| OrderEvent {
                at,
                by: by.unwrap_or_default(),
                from: from.as_deref().and_then(OrderStatus::parse),
                to: OrderStatus::parse(&to).unwrap_or(OrderStatus::Cancelled),
                note,
            })
            .collect(),
        actions: actions_for(status, &parties),
        can_rate: parties.contains(&Party::Customer)
            && status == OrderStatus::Closed
            && d.rating.is_none(),
        utc_offset_seconds: utc_offset(state),
        requester_id: UserId(facts.requester_id),
    })
}
