//! The needs board (需求对接): an enterprise posts what it needs tested; the institutions that see
//! it (of its zone, or all) answer with offers naming one of their services; the enterprise
//! accepts one, which becomes an accepted order of that service. Institutions whose accreditation
//! (or services) match are told once a day in one digest mail; needs close at their deadline.

use super::mail::{enqueue, Mail};
use super::services::{day, parse_day, text, today, MAX_NOTE_CHARS, MAX_TEXT_CHARS, MORNING_HOUR};
use super::{utc_offset, AppState, Db};
use crate::domain::account::{Actor, Language, Membership, Role};
use crate::domain::ids::OrganisationId;
use crate::domain::money::Money;
use crate::domain::services::{
    need_matches, NeedForm, NeedStatus, NeedView, NeedsPage, OfferView, OrderStatus, Visibility,
};
use crate::domain::vocabulary::{Bilingual, Named};
use crate::error::AppError;
use chrono::NaiveDate;
use serde_json::json;
use std::collections::HashMap;

/// How far ahead a deadline may be.
pub const MAX_DEADLINE_DAYS: i64 = 365;

#[derive(sqlx::FromRow)]
struct NeedRow {
    id: i64,
    customer_id: i64,
    zone_id: Option<i64>,
    title: String,
    product: String,
    standard: String,
    quantity: String,
    deadline: String,
    budget_fen: Option<i64>,
    visibility: String,
    status: String,
    order_id: Option<i64>,
    created_at: i64,
    customer_zh: String,
    customer_en: String,
}

const NEED_SQL: &str =
    "SELECT n.id, n.customer_id, n.zone_id, n.title, n.product, n.standard, n.quantity, \
       n.deadline, n.budget_fen, n.visibility, n.status, n.order_id, n.created_at, \
       c.name_zh AS customer_zh, c.name_en AS customer_en \
     FROM needs n JOIN organisations c ON c.id = n.customer_id";

impl NeedRow {
    fn view(&self, offers: Vec<OfferView>, matches: bool) -> NeedView {
        NeedView {
            id: self.id,
            customer: Bilingual {
                zh: self.customer_zh.clone(),
                en: self.customer_en.clone(),
            },
            title: self.title.clone(),
            product: self.product.clone(),
            standard: self.standard.clone(),
            quantity: self.quantity.clone(),
            deadline: parse_day(&self.deadline).unwrap_or_default(),
            budget: self.budget_fen.and_then(|f| Money::from_fen(f).ok()),
            visibility: Visibility::parse(&self.visibility).unwrap_or(Visibility::Zone),
            status: NeedStatus::parse(&self.status).unwrap_or(NeedStatus::Closed),
            created_at: self.created_at,
            offers,
            order: self.order_id,
            matches,
        }
    }

    /// Whether an institution of `zone` sees this need.
    fn visible_to(&self, zone: Option<i64>) -> bool {
        self.visibility == Visibility::All.as_str() || (zone.is_some() && zone == self.zone_id)
    }
}

#[derive(sqlx::FromRow)]
struct OfferRow {
    id: i64,
    need_id: i64,
    institution_id: i64,
    institution_zh: String,
    institution_en: String,
    service_id: i64,
    service_zh: String,
    service_en: String,
    price_fen: i64,
    turnaround_days: i64,
    note: String,
    created_at: i64,
}

impl OfferRow {
    fn view(&self) -> OfferView {
        OfferView {
            id: self.id,
            institution: Named {
                id: OrganisationId(self.institution_id),
                name: Bilingual {
                    zh: self.institution_zh.clone(),
                    en: self.institution_en.clone(),
                },
            },
            service: Named {
                id: self.service_id,
                name: Bilingual {
                    zh: self.service_zh.clone(),
                    en: self.service_en.clone(),
                },
            },
            price: Money::from_fen(self.price_fen).unwrap_or_default(),
            turnaround_days: self.turnaround_days,
            note: self.note.clone(),
            created_at: self.created_at,
        }
    }
}

const OFFER_SQL: &str = "SELECT f.id, f.need_id, f.institution_id, i.name_zh AS institution_zh, i.name_en AS institution_en, \
       f.service_id, s.name_zh AS service_zh, s.name_en AS service_en, f.price_fen, f.turnaround_days, f.note, f.created_at \
     FROM need_offers f JOIN organisations i ON i.id = f.institution_id JOIN test_services s ON s.id = f.service_id";

/// What an institution offers and is accredited for, for matching needs.
struct Offering {
    zone: Option<i64>,
    accredited: Vec<String>,
    offered: Vec<String>,
}

impl Db {
    /// Each institution's (or only `institution`'s) zone, accredited standards today, and
    /// listed services' names and products.
    async fn offerings(
        &self,
        institution: Option<i64>,
        today: NaiveDate,
    ) -> Result<HashMap<i64, Offering>, sqlx::Error> {
        let mut all: HashMap<i64, Offering> = HashMap::new();
        let zones: Vec<(i64, Option<i64>)> = sqlx::query_as(
            "SELECT id, zone_id FROM organisations WHERE kind = 'institution' AND ($1 = 0 OR id = $1)",
        )
        .bind(institution.unwrap_or(0))
        .fetch_all(self.pool())
        .await?;
        for (id, zone) in zones {
            all.insert(
                id,
                Offering {
                    zone,
                    accredited: Vec::new(),
                    offered: Vec::new(),
                },
            );
        }
        let codes: Vec<(i64, String)> = sqlx::query_as(
            "SELECT DISTINCT r.institution_id, s.code FROM accreditation_standards s \
               JOIN accreditations a ON a.id = s.accreditation_id JOIN resources r ON r.id = a.resource_id \
             WHERE r.status <> 'retired' AND a.valid_from <= $1 AND a.valid_until >= $1 AND ($2 = 0 OR r.institution_id = $2)",
        )
        .bind(day(today))
        .bind(institution.unwrap_or(0))
        .fetch_all(self.pool())
        .await?;
        for (id, code) in codes {
            if let Some(o) = all.get_mut(&id) {
                o.accredited.push(code);
            }
        }
        let services: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT institution_id, name_zh, name_en, products FROM test_services WHERE listed = 1 AND ($1 = 0 OR institution_id = $1)",
        )
        .bind(institution.unwrap_or(0))
        .fetch_all(self.pool())
        .await?;
        for (id, zh, en, products) in services {
            if let Some(o) = all.get_mut(&id) {
                o.offered.extend([zh, en, products]);
            }
        }
        Ok(all)
    }
}

impl Offering {
    fn matches(&self, need: &NeedRow) -> bool {
        need_matches(
            (&need.standard, &need.title, &need.product),
            &self.accredited,
            &self.offered,
        )
    }
}

/// An enterprise (any confirmed member of an organisation that is not an institution) posts a
/// need.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn post(
    state: &AppState,
    actor: Option<&Actor>,
    form: NeedForm,
) -> Result<i64, AppError> {
    let actor = actor.ok_or(AppError::NotSignedIn)?;
    if actor.membership != Membership::Confirmed {
        return Err(AppError::validation("need", "membership_unconfirmed"));
    }
    let title = text(&form.title, "title", 120, true, false)?;
    let product = text(&form.product, "product", MAX_TEXT_CHARS, false, false)?;
    let standard = text(&form.standard, "standard", 60, false, false)?;
    let quantity = text(&form.quantity, "quantity", MAX_TEXT_CHARS, false, false)?;
    let today = today(state);
    let deadline = NaiveDate::parse_from_str(form.deadline.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| *d >= today && *d <= today + chrono::Duration::days(MAX_DEADLINE_DAYS))
        .ok_or_else(|| AppError::validation("deadline", "date_invalid"))?;
    let budget = match form.budget.trim() {
        "" => None,
        raw => {
            Some(Money::parse(raw).map_err(|_| AppError::validation("budget", "price_invalid"))?)
        }
    };
    let visibility = Visibility::parse(form.visibility.trim())
        .ok_or_else(|| AppError::validation("visibility", "choice_unknown"))?;
    let zone: Option<i64> = sqlx::query_scalar("SELECT zone_id FROM organisations WHERE id = $1")
        .bind(actor.organisation.0)
        .fetch_one(state.db.pool())
        .await?;
    if visibility == Visibility::Zone && zone.is_none() {
        return Err(AppError::validation("visibility", "need_outside_zone"));
    }
    let now = state.clock.now().timestamp();
    let (who, org) = (actor.user.0, actor.organisation.0);
    let id = state
        .db
        .write(move |tx| {
            Box::pin(async move {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO needs (customer_id, requester_id, zone_id, title, product, standard, quantity, deadline, \
                       budget_fen, visibility, status, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', $11) RETURNING id",
                )
                .bind(org)
                .bind(who)
                .bind(zone)
                .bind(&title)
                .bind(&product)
                .bind(&standard)
                .bind(&quantity)
                .bind(day(deadline))
                .bind(budget.map(Money::fen))
                .bind(visibility.as_str())
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                Ok(id)
            })
        })
        .await?;
    tracing::info!(need = id, "need posted");
    Ok(id)
}

/// The board as `actor` reads it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn board(state: &AppState, actor: Option<&Actor>) -> Result<NeedsPage, AppError> {
    let actor = actor.ok_or(AppError::NotSignedIn)?;
    let today = today(state);
    let offers: Vec<OfferRow> = sqlx::query_as(&format!(
        "{OFFER_SQL} WHERE f.need_id IN (SELECT id FROM needs WHERE customer_id = $1 OR status = 'open') ORDER BY f.price_fen, f.id"
    ))
    .bind(actor.organisation.0)
    .fetch_all(state.db.pool())
    .await?;
    let mut by_need: HashMap<i64, Vec<&OfferRow>> = HashMap::new();
    for o in &offers {
        by_need.entry(o.need_id).or_default().push(o);
    }
    let mine: Vec<NeedRow> = if actor.membership == Membership::Confirmed {
        sqlx::query_as(&format!(
            "{NEED_SQL} WHERE n.customer_id = $1 ORDER BY n.id DESC LIMIT 100"
        ))
        .bind(actor.organisation.0)
        .fetch_all(state.db.pool())
        .await?
    } else {
        Vec::new()
    };
    let mine = mine
        .iter()
        .map(|n| {
            let offers = by_need.get(&n.id).map(Vec::as_slice).unwrap_or_default();
            n.view(offers.iter().map(|o| o.view()).collect(), false)
        })
        .collect();

    let administered: Vec<i64> = actor.administered().map(|o| o.0).collect();
    let mut open = Vec::new();
    let mut services = Vec::new();
    if !administered.is_empty() {
        let offerings = state.db.offerings(None, today).await?;
        let rows: Vec<NeedRow> = sqlx::query_as(&format!(
            "{NEED_SQL} WHERE n.status = 'open' AND n.deadline >= $1 ORDER BY n.deadline, n.id"
        ))
        .bind(day(today))
        .fetch_all(state.db.pool())
        .await?;
        for n in &rows {
            let mut seen = false;
            let mut matches = false;
            for id in &administered {
                if let Some(o) = offerings.get(id) {
                    if n.visible_to(o.zone) {
                        seen = true;
                        matches |= o.matches(n);
                    }
                }
            }
            if seen {
                let own = by_need
                    .get(&n.id)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .filter(|o| administered.contains(&o.institution_id))
                    .map(|o| o.view())
                    .collect();
                open.push(n.view(own, matches));
            }
        }
        // Matching needs first.
        open.sort_by_key(|n: &NeedView| (!n.matches, n.deadline, n.id));
        // The services an offer may name: the reader's institutions' services in search.
        for institution in &administered {
            let catalogue = state
                .db
                .service_catalogue(Some(*institution), today)
                .await?;
            services.extend(
                catalogue
                    .rows
                    .iter()
                    .filter(|r| catalogue.searchable(r))
                    .map(|r| Named {
                        id: r.id,
                        name: r.name(),
                    }),
            );
        }
    }
    Ok(NeedsPage {
        mine,
        open,
        services,
        can_post: actor.membership == Membership::Confirmed,
        utc_offset_seconds: utc_offset(state),
    })
}

/// What an institution's admin offers.
#[derive(Debug, Clone, Default)]
pub struct NewOffer {
    pub need: i64,
    pub service: i64,
    pub price: Option<Money>,
    pub turnaround_days: i64,
    pub note: String,
}

/// An institution answers an open need it sees, naming one of its listed services; a second
/// offer of the same institution replaces its first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn offer(
    state: &AppState,
    actor: Option<&Actor>,
    new: NewOffer,
) -> Result<i64, AppError> {
    let actor = actor.ok_or(AppError::NotSignedIn)?;
    let institution: Option<(i64, i64)> =
        sqlx::query_as("SELECT institution_id, listed FROM test_services WHERE id = $1")
            .bind(new.service)
            .fetch_optional(state.db.pool())
            .await?;
    let (institution, listed) =
        institution.ok_or_else(|| AppError::validation("service", "choice_unknown"))?;
    if !actor.has(Role::InstitutionAdmin(OrganisationId(institution))) {
        return Err(AppError::Forbidden);
    }
    let today = today(state);
    // Only a service in search: listed, and every standard of it still accredited.
    let catalogue = state.db.service_catalogue(Some(institution), today).await?;
    let searchable = catalogue
        .rows
        .iter()
        .find(|r| r.id == new.service)
        .is_some_and(|r| listed != 0 && catalogue.searchable(r));
    if !searchable {
        return Err(AppError::validation("service", "service_withdrawn"));
    }
    let need: Option<NeedRow> = sqlx::query_as(&format!("{NEED_SQL} WHERE n.id = $1"))
        .bind(new.need)
        .fetch_optional(state.db.pool())
        .await?;
    let zone: Option<i64> = sqlx::query_scalar("SELECT zone_id FROM organisations WHERE id = $1")
        .bind(institution)
        .fetch_one(state.db.pool())
        .await?;
    let need = need
        .filter(|n| n.visible_to(zone))
        .ok_or(AppError::NotFound)?;
    if need.status != NeedStatus::Open.as_str() || need.deadline < day(today) {
        return Err(AppError::validation("need", "need_not_open"));
    }
    let price = new
        .price
        .ok_or_else(|| AppError::validation("price", "price_invalid"))?;
    if !(1..=365).contains(&new.turnaround_days) {
        return Err(AppError::validation(
            "turnaround_days",
            "turnaround_invalid",
        ));
    }
    let note = text(&new.note, "note", MAX_NOTE_CHARS, false, true)?;
    let now = state.clock.now().timestamp();
    let (who, need_id, service, days) = (actor.user.0, new.need, new.service, new.turnaround_days);
    let id = state
        .db
        .write(move |tx| {
            Box::pin(async move {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO need_offers (need_id, institution_id, service_id, price_fen, turnaround_days, note, offered_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (need_id, institution_id) DO UPDATE SET service_id = excluded.service_id, \
                       price_fen = excluded.price_fen, turnaround_days = excluded.turnaround_days, note = excluded.note, \
                       offered_by = excluded.offered_by RETURNING id",
                )
                .bind(need_id)
                .bind(institution)
                .bind(service)
                .bind(price.fen())
                .bind(days)
                .bind(&note)
                .bind(who)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                Ok(id)
            })
        })
        .await?;
    tracing::info!(need = new.need, offer = id, "offer made");
    Ok(id)
}

/// The posting organisation accepts an offer: the need is matched and the offer becomes an
/// accepted order of its service (at its price and turnaround), in one transaction; the
/// institution's admins are told.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn accept(state: &AppState, actor: Option<&Actor>, offer: i64) -> Result<i64, AppError> {
    let actor = actor.ok_or(AppError::NotSignedIn)?;
    let row: Option<OfferRow> = sqlx::query_as(&format!("{OFFER_SQL} WHERE f.id = $1"))
        .bind(offer)
        .fetch_optional(state.db.pool())
        .await?;
    let row = row.ok_or(AppError::NotFound)?;
    let need: NeedRow = sqlx::query_as(&format!("{NEED_SQL} WHERE n.id = $1"))
        .bind(row.need_id)
        .fetch_one(state.db.pool())
        .await?;
    if need.customer_id != actor.organisation.0 || actor.membership != Membership::Confirmed {
        return Err(AppError::NotFound);
    }
    if need.status != NeedStatus::Open.as_str() {
        return Err(AppError::validation("need", "need_not_open"));
    }
    let (invoice_title, credit_code): (String, Option<String>) =
        sqlx::query_as("SELECT name_zh, credit_code FROM organisations WHERE id = $1")
            .bind(actor.organisation.0)
            .fetch_one(state.db.pool())
            .await?;
    let customer = state.db.customer(actor).await?;
    let zone: Option<i64> = sqlx::query_scalar("SELECT zone_id FROM organisations WHERE id = $1")
        .bind(row.institution_id)
        .fetch_one(state.db.pool())
        .await?;
    let (_, category) = crate::domain::booking::standing(
        customer,
        OrganisationId(row.institution_id),
        zone.map(crate::domain::ids::ZoneId),
    );
    let now = state.clock.now().timestamp();
    let (shared, who) = (state.clone(), actor.clone());
    let description = [
        need.title.as_str(),
        need.product.as_str(),
        need.quantity.as_str(),
    ]
    .iter()
    .filter(|s| !s.is_empty())
    .copied()
    .collect::<Vec<_>>()
    .join(" · ");
    let order = state
        .db
        .write(move |tx| {
            Box::pin(async move {
                let (order,): (i64,) = sqlx::query_as(
                    "INSERT INTO orders (service_id, institution_id, customer_id, requester_id, need_id, status, samples, \
                       sample_description, delivery, tracking_number, invoice_title, credit_code, customer_category, \
                       price_fen, quoted_fen, promised_days, status_note, accepted_at, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, 'accepted', 1, $6, 'bring', '', $7, $8, $9, $10, $10, $11, $12, $13, $13, $13) RETURNING id",
                )
                .bind(row.service_id)
                .bind(row.institution_id)
                .bind(who.organisation.0)
                .bind(who.user.0)
                .bind(need.id)
                .bind(&description)
                .bind(&invoice_title)
                .bind(credit_code.unwrap_or_default())
                .bind(category.as_str())
                .bind(row.price_fen)
                .bind(row.turnaround_days)
                .bind(&row.note)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                let changed = sqlx::query(
                    "UPDATE needs SET status = 'matched', order_id = $1, closed_at = $2 WHERE id = $3 AND status = 'open'",
                )
                .bind(order)
                .bind(now)
                .bind(need.id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed == 0 {
                    return Err(AppError::validation("need", "need_not_open"));
                }
                sqlx::query(
                    "INSERT INTO order_events (order_id, actor_id, at, from_status, to_status, note) VALUES ($1, $2, $3, NULL, $4, $5)",
                )
                .bind(order)
                .bind(who.user.0)
                .bind(now)
                .bind(OrderStatus::Accepted.as_str())
                .bind(&need.title)
                .execute(&mut *tx)
                .await?;
                let facts = super::orders::order_facts(tx, order).await?.ok_or(AppError::NotFound)?;
                super::orders::mail_admins(tx, &shared, &facts, "offer_accepted", json!({ "need": need.title }), now)
                    .await?;
                Ok(order)
            })
        })
        .await?;
    tracing::info!(need = need.id, order, "offer accepted");
    Ok(order)
}

/// The posting organisation withdraws an open need.
pub async fn withdraw(state: &AppState, actor: Option<&Actor>, need: i64) -> Result<(), AppError> {
    let actor = actor.ok_or(AppError::NotSignedIn)?;
    let owner: Option<i64> = sqlx::query_scalar("SELECT customer_id FROM needs WHERE id = $1")
        .bind(need)
        .fetch_optional(state.db.pool())
        .await?;
    if owner != Some(actor.organisation.0) || actor.membership != Membership::Confirmed {
        return Err(AppError::NotFound);
    }
    let now = state.clock.now().timestamp();
    state
        .db
        .write(move |tx| {
            Box::pin(async move {
                let changed = sqlx::query(
                    "UPDATE needs SET status = 'withdrawn', closed_at = $1 WHERE id = $2 AND status = 'open'",
                )
                .bind(now)
                .bind(need)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed == 0 {
                    return Err(AppError::validation("need", "need_not_open"));
                }
                Ok(())
            })
        })
        .await
}

/// Closes the open needs whose deadline has passed (the scheduler, every minute). Returns how
/// many.
pub async fn close_due(state: &AppState) -> Result<u64, AppError> {
    let today = day(today(state));
    let now = state.clock.now().timestamp();
    state
        .db
        .write(move |tx| {
            Box::pin(async move {
                Ok(sqlx::query(
                    "UPDATE needs SET status = 'closed', closed_at = $1 WHERE status = 'open' AND deadline < $2",
                )
                .bind(now)
                .bind(&today)
                .execute(&mut *tx)
                .await?
                .rows_affected())
            })
        })
        .await
}

/// Tells each institution, once a local day, of the open needs it sees and matches that it has
/// not been told of: one mail to each of its admins listing them. Several servers may run it
/// side by side: the day's row of `need_digests` is taken in the mail's transaction. Returns the
/// number of institutions told.
pub async fn send_digests(state: &AppState) -> Result<usize, AppError> {
    use chrono::Timelike;
    // In working hours: the first run from eight in the morning, local time.
    if state.clock.now().with_timezone(&state.tz).hour() < MORNING_HOUR {
        return Ok(0);
    }
    let today = today(state);
    let rows: Vec<NeedRow> = sqlx::query_as(&format!(
        "{NEED_SQL} WHERE n.status = 'open' AND n.deadline >= $1 ORDER BY n.deadline, n.id"
    ))
    .bind(day(today))
    .fetch_all(state.db.pool())
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let offerings = state.db.offerings(None, today).await?;
    let told: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT t.need_id, t.institution_id FROM need_notices t JOIN needs n ON n.id = t.need_id \
         WHERE n.status = 'open' AND n.deadline >= $1",
    )
    .bind(day(today))
    .fetch_all(state.db.pool())
    .await?;
    let sent_today: Vec<i64> =
        sqlx::query_scalar("SELECT institution_id FROM need_digests WHERE day = $1")
            .bind(day(today))
            .fetch_all(state.db.pool())
            .await?;
    let mut institutions: Vec<&i64> = offerings.keys().collect();
    institutions.sort();
    let mut count = 0;
    for institution in institutions {
        if sent_today.contains(institution) {
            continue;
        }
        let offering = &offerings[institution];
        let fresh: Vec<&NeedRow> = rows
            .iter()
            .filter(|n| n.visible_to(offering.zone) && offering.matches(n))
            .filter(|n| !told.contains(&(n.id, *institution)))
            .collect();
        if fresh.is_empty() {
            continue;
        }
        let ids: Vec<i64> = fresh.iter().map(|n| n.id).collect();
        let lines: Vec<(String, String)> = fresh
            .iter()
            .map(|n| {
                let what = [n.title.as_str(), n.standard.as_str(), n.product.as_str()]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" · ");
                let by = |english: bool| {
                    let customer = if english && !n.customer_en.is_empty() {
                        &n.customer_en
                    } else {
                        &n.customer_zh
                    };
                    format!("{what} — {customer}, {}", n.deadline)
                };
                (by(false), by(true))
            })
            .collect();
        let (shared, institution, day_text) = (state.clone(), *institution, day(today));
        let now = state.clock.now().timestamp();
        let sent = state
            .db
            .write(move |tx| {
                Box::pin(async move {
                    let taken = sqlx::query(
                        "INSERT INTO need_digests (institution_id, day) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    )
                    .bind(institution)
                    .bind(&day_text)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if taken == 0 {
                        return Ok(false);
                    }
                    for id in &ids {
                        sqlx::query(
                            "INSERT INTO need_notices (need_id, institution_id, day) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        )
                        .bind(id)
                        .bind(institution)
                        .bind(&day_text)
                        .execute(&mut *tx)
                        .await?;
                    }
                    for (email, name, locale) in super::admins_on(tx, institution).await? {
                        let language = Language::parse(&locale).unwrap_or(Language::ZhCn);
                        let needs: Vec<&String> = lines
                            .iter()
                            .map(|(zh, en)| if language == Language::En { en } else { zh })
                            .collect();
                        let mail = Mail::new(
                            (&email, &name, language),
                            "needs_digest",
                            json!({
                                "name": name,
                                "count": needs.len(),
                                "needs": needs,
                                "link": format!("{}/needs", shared.settings.public_url),
                            }),
                        );
                        enqueue(tx, &mail, now, &shared.settings.public_url).await?;
                    }
                    Ok(true)
                })
            })
            .await?;
        count += usize::from(sent);
    }
    Ok(count)
}
