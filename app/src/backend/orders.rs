//! Orders for testing services (委托单). They move only through `domain::services::next`: each
//! change is an update guarded on the state it leaves, with its audit row and its mail in the
//! same transaction. The report is a PDF (checked by its content) kept in the database, read
//! only by the two organisations of the order.

use super::editor::local_minute;
use super::mail::{enqueue, Mail};
use super::services::{day, parse_day, text, today, MAX_NOTE_CHARS};
use super::{admins_on, utc_offset, AppState, Db};
use crate::domain::account::{check_credit_code, Actor, Language, Membership, Role};
use crate::domain::catalogue::CustomerCategory;
use crate::domain::ids::ResourceId;
use crate::domain::ids::{OrganisationId, UserId};
use crate::domain::money::Money;
use crate::domain::services::{
    actions_for, next, Delivery, HeldTime, HoldForm, OrderAction, OrderDetail, OrderEvent,
    OrderRow, OrderStatus, OrdersPage, Party,
};
use crate::domain::vocabulary::{Bilingual, Named};
use crate::error::AppError;
use chrono::NaiveDate;
use serde_json::json;
use sqlx::AnyConnection;

/// The longest instrument time held for an order at once (a month of a climate chamber).
pub const MAX_HOLD_SECONDS: i64 = 31 * 86_400;

/// The largest test report accepted (a scanned report of many pages).
pub const MAX_REPORT_BYTES: usize = 20 * 1024 * 1024;

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
pub(super) async fn mail_admins(
    tx: &mut AnyConnection,
    state: &AppState,
    facts: &OrderFacts,
    template: &'static str,
    extra: serde_json::Value,
    now: i64,
) -> Result<(), AppError> {
    for (email, name, locale) in admins_on(tx, facts.institution_id).await? {
        let language = Language::parse(&locale).unwrap_or(Language::ZhCn);
        let mut context = facts.context(language == Language::En, state);
        merge(&mut context, extra.clone());
        context["name"] = name.clone().into();
        let mail = Mail::new((&email, &name, language), template, context);
        enqueue(tx, &mail, now, &state.settings.public_url).await?;
    }
    Ok(())
}

pub(super) async fn order_facts(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<OrderFacts>, sqlx::Error> {
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

/// The signed-in reader, the order and the sides the reader is on; "not found" for a person on
/// neither side (the order's existence is not told).
async fn sides<'a>(
    state: &AppState,
    actor: Option<&'a Actor>,
    order: i64,
) -> Result<(&'a Actor, OrderFacts, Vec<Party>), AppError> {
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
    Ok((actor, facts, parties))
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
    let institution = state.db.service_institution(new.service).await?;
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
    let (actor, facts, parties) = sides(state, actor, order).await?;
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
    if to.releases_time() {
        release_held(tx, facts.id, now).await?;
    }
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

/// Gives back the instrument time held for an order that is still ahead: a hold not yet begun
/// goes, one under way ends now.
async fn release_held(tx: &mut AnyConnection, order: i64, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM blackouts WHERE order_id = $1 AND starts_at >= $2")
        .bind(order)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE blackouts SET ends_at = $2 WHERE order_id = $1 AND starts_at < $2 AND ends_at > $2",
    )
    .bind(order)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Holds time on one of the service's instruments for an order the institution has accepted:
/// a blackout of the order. The database's guard keeps it clear of bookings: a time someone has
/// booked is refused as taken, and nobody's booking is cancelled for it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn hold_time(
    state: &AppState,
    actor: Option<&Actor>,
    form: &HoldForm,
) -> Result<i64, AppError> {
    let (actor, facts, parties) = sides(state, actor, form.order).await?;
    if !parties.contains(&Party::Institution) || !facts.status().holds_time() {
        return Err(AppError::validation("order", "order_action_refused"));
    }
    let starts = local_minute(state, &form.starts, "starts")?;
    let ends = local_minute(state, &form.ends, "ends")?;
    if ends <= starts {
        return Err(AppError::validation("ends", "time_order"));
    }
    if ends - starts > MAX_HOLD_SECONDS {
        return Err(AppError::validation("ends", "hold_too_long"));
    }
    let now = state.clock.now().timestamp();
    if ends <= now {
        return Err(AppError::validation("ends", "hold_past"));
    }
    let used: Option<i64> = sqlx::query_scalar(
        "SELECT resource_id FROM service_resources WHERE service_id = $1 AND resource_id = $2",
    )
    .bind(facts.service_id)
    .bind(form.resource)
    .fetch_optional(state.db.pool())
    .await?;
    let resource = used.ok_or_else(|| AppError::validation("resource", "choice_unknown"))?;
    let (order, user) = (facts.id, actor.user.0);
    let id = state
        .db
        .write(move |tx| {
            Box::pin(async move {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO blackouts (resource_id, starts_at, ends_at, reason_kind, note, created_by, created_at, order_id) \
                     VALUES ($1, $2, $3, 'internal', '', $4, $5, $6) RETURNING id",
                )
                .bind(resource)
                .bind(starts)
                .bind(ends)
                .bind(user)
                .bind(now)
                .bind(order)
                .fetch_one(&mut *tx)
                .await?;
                Ok(id)
            })
        })
        .await?;
    tracing::info!(order, resource, "instrument time held");
    Ok(id)
}

/// The institution gives back a time it held for an order.
pub async fn release_time(
    state: &AppState,
    actor: Option<&Actor>,
    order: i64,
    hold: i64,
) -> Result<(), AppError> {
    let (_, _, parties) = sides(state, actor, order).await?;
    if !parties.contains(&Party::Institution) {
        return Err(AppError::NotFound);
    }
    state
        .db
        .write(move |tx| {
            Box::pin(async move {
                let gone = sqlx::query("DELETE FROM blackouts WHERE id = $1 AND order_id = $2")
                    .bind(hold)
                    .bind(order)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if gone == 0 {
                    return Err(AppError::NotFound);
                }
                Ok(())
            })
        })
        .await
}

/// The time held for an order, and the instruments its institution may hold more on now.
async fn held(
    state: &AppState,
    facts: &OrderFacts,
    parties: &[Party],
) -> Result<(Vec<HeldTime>, Vec<Named<ResourceId>>), AppError> {
    let named = |(id, zh, en): (i64, String, String)| Named {
        id: ResourceId(id),
        name: Bilingual { zh, en },
    };
    let rows: Vec<(i64, i64, String, String, i64, i64)> = sqlx::query_as(
        "SELECT k.id, r.id, r.name_zh, r.name_en, k.starts_at, k.ends_at FROM blackouts k \
           JOIN resources r ON r.id = k.resource_id WHERE k.order_id = $1 ORDER BY k.starts_at",
    )
    .bind(facts.id)
    .fetch_all(state.db.pool())
    .await?;
    let held = rows
        .into_iter()
        .map(|(id, resource, zh, en, starts_at, ends_at)| HeldTime {
            id,
            resource: named((resource, zh, en)),
            starts_at,
            ends_at,
        })
        .collect();
    let hold_on = if parties.contains(&Party::Institution) && facts.status().holds_time() {
        sqlx::query_as::<_, (i64, String, String)>(
            "SELECT r.id, r.name_zh, r.name_en FROM service_resources x JOIN resources r ON r.id = x.resource_id \
             WHERE x.service_id = $1 AND r.status <> 'retired' ORDER BY r.id",
        )
        .bind(facts.service_id)
        .fetch_all(state.db.pool())
        .await?
        .into_iter()
        .map(named)
        .collect()
    } else {
        Vec::new()
    };
    Ok((held, hold_on))
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
    let (actor, facts, parties) = sides(state, actor, order).await?;
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
    sides(state, actor, order).await?;
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
    let (_, facts, parties) = sides(state, actor, order).await?;
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
    let (_, facts, parties) = sides(state, actor, order).await?;
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
    let (held, hold_on) = held(state, &facts, &parties).await?;
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
        held,
        hold_on,
    })
}
