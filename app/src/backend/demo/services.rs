//! The demo zone's testing services (from `app/demo/zone.json`) and an order in each state, with
//! the audit trail each state implies and a small PDF report where one has been issued.

use crate::backend::services::price_for;
use crate::domain::booking::{standing, Customer};
use crate::domain::catalogue::CustomerCategory;
use crate::domain::ids::{OrganisationId, ZoneId};
use crate::domain::money::Money;
use crate::domain::services::OrderStatus;
use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;
use sqlx::{Any, Transaction};
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
pub struct DemoService {
    /// The institution's mail domain, as in `institutions`.
    institution: String,
    zh: String,
    en: String,
    standards: Vec<String>,
    products: String,
    sample_quantity: String,
    sample_form: String,
    packaging: String,
    turnaround_days: i64,
    capacity_per_week: i64,
    /// Yuan per sample by customer category.
    prices: BTreeMap<String, i64>,
    /// Resource names (Chinese) of the institution.
    resources: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct DemoOrder {
    /// Index into `services`.
    service: usize,
    /// The ordering person's email (a customer of the zone).
    customer: String,
    samples: i64,
    description: String,
    delivery: String,
    #[serde(default)]
    tracking: String,
    status: String,
    #[serde(default)]
    quoted: Option<i64>,
    #[serde(default)]
    note: String,
    #[serde(default)]
    rating: Option<i64>,
    #[serde(default)]
    comment: String,
    days_ago: i64,
}

#[derive(Debug, Deserialize)]
pub struct DemoNeed {
    customer: String,
    title: String,
    product: String,
    standard: String,
    quantity: String,
    /// Days from today.
    deadline_days: i64,
    budget: Option<i64>,
    visibility: String,
    offers: Vec<DemoOffer>,
}

#[derive(Debug, Deserialize)]
pub struct DemoOffer {
    /// Index into `services` (the offering institution is the service's).
    service: usize,
    price: i64,
    days: i64,
    note: String,
}

/// A one-page PDF saying `title`: what an issued report of the demo holds.
pub fn sample_report_pdf(title: &str) -> Vec<u8> {
    let text: String = title
        .chars()
        .filter(|c| c.is_ascii() && !matches!(c, '(' | ')' | '\\'))
        .collect();
    let content = format!("BT /F1 18 Tf 72 760 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        pdf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// The states an order passed through to stand at `status`.
fn path_to(status: OrderStatus) -> Vec<OrderStatus> {
    use OrderStatus as S;
    let work = [
        S::Submitted,
        S::Accepted,
        S::SamplesReceived,
        S::Testing,
        S::ReportIssued,
        S::Closed,
    ];
    match status {
        S::Quoted => vec![S::Submitted, S::Quoted],
        S::Rejected => vec![S::Submitted, S::Rejected],
        S::Declined => vec![S::Submitted, S::Quoted, S::Declined],
        S::Cancelled => vec![S::Submitted, S::Accepted, S::Cancelled],
        other => {
            let end = work.iter().position(|s| *s == other).unwrap_or(0);
            work[..=end].to_vec()
        }
    }
}

pub(super) async fn seed<Tz: TimeZone>(
    tx: &mut Transaction<'_, Any>,
    (services, orders, needs): (&[DemoService], &[DemoOrder], &[DemoNeed]),
    tz: &Tz,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let ts = now.timestamp();
    let mut ids = Vec::new();
    for s in services {
        let (institution, zone): (i64, Option<i64>) = sqlx::query_as(
            "SELECT o.id, o.zone_id FROM organisations o JOIN users u ON u.organisation_id = o.id \
             WHERE u.email = $1",
        )
        .bind(format!("admin@{}", s.institution))
        .fetch_one(&mut **tx)
        .await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO test_services (institution_id, name_zh, name_en, products, sample_quantity, sample_form, \
               packaging, turnaround_days, capacity_per_week, listed, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10) RETURNING id",
        )
        .bind(institution)
        .bind(&s.zh)
        .bind(&s.en)
        .bind(&s.products)
        .bind(&s.sample_quantity)
        .bind(&s.sample_form)
        .bind(&s.packaging)
        .bind(s.turnaround_days)
        .bind(s.capacity_per_week)
        .bind(ts - 60 * 86_400)
        .fetch_one(&mut **tx)
        .await?;
        for code in &s.standards {
            sqlx::query("INSERT INTO service_standards (service_id, code) VALUES ($1, $2)")
                .bind(id)
                .bind(code)
                .execute(&mut **tx)
                .await?;
        }
        let mut prices = Vec::new();
        for (category, yuan) in &s.prices {
            let category = CustomerCategory::parse(category)
                .ok_or_else(|| anyhow::anyhow!("{}: price category {category}", s.en))?;
            sqlx::query(
                "INSERT INTO service_prices (service_id, customer_category, per_sample_fen) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(category.as_str())
            .bind(yuan * 100)
            .execute(&mut **tx)
            .await?;
            prices.push((category, Money::yuan(*yuan)));
        }
        for name in &s.resources {
            let resource: i64 = sqlx::query_scalar(
                "SELECT id FROM resources WHERE institution_id = $1 AND name_zh = $2",
            )
            .bind(institution)
            .bind(name)
            .fetch_one(&mut **tx)
            .await
            .map_err(|e| anyhow::anyhow!("{}: resource {name}: {e}", s.en))?;
            sqlx::query("INSERT INTO service_resources (service_id, resource_id) VALUES ($1, $2)")
                .bind(id)
                .bind(resource)
                .execute(&mut **tx)
                .await?;
        }
        ids.push((
            id,
            institution,
            zone,
            prices,
            s.turnaround_days,
            s.en.clone(),
        ));
    }

    for o in orders {
        let (service, institution, zone, prices, turnaround, name) = ids
            .get(o.service)
            .ok_or_else(|| anyhow::anyhow!("order of unknown service {}", o.service))?;
        let status = OrderStatus::parse(&o.status)
            .ok_or_else(|| anyhow::anyhow!("order state {}", o.status))?;
        let (user, organisation, org_zone, sme, org_name, credit): (i64, i64, Option<i64>, i64, String, Option<String>) =
            sqlx::query_as(
                "SELECT u.id, o.id, o.zone_id, CASE WHEN o.is_sme THEN 1 ELSE 0 END, o.name_zh, o.credit_code FROM users u \
                 JOIN organisations o ON o.id = u.organisation_id WHERE u.email = $1",
            )
            .bind(&o.customer)
            .fetch_one(&mut **tx)
            .await
            .map_err(|e| anyhow::anyhow!("order by {}: {e}", o.customer))?;
        let customer = Customer {
            organisation: OrganisationId(organisation),
            zone: org_zone.map(ZoneId),
            is_sme: sme != 0,
        };
        let (_, category) = standing(customer, OrganisationId(*institution), zone.map(ZoneId));
        let (category, per_sample) =
            price_for(prices, category).unwrap_or((category, Money::default()));
        let admin: i64 = sqlx::query_scalar(
            "SELECT r.user_id FROM user_roles r WHERE r.role = 'institution_admin' AND r.scope_id = $1 ORDER BY r.user_id LIMIT 1",
        )
        .bind(institution)
        .fetch_one(&mut **tx)
        .await?;
        let path = path_to(status);
        let created = ts - o.days_ago * 86_400;
        // Each step a day (or the rest of the time, if shorter) after the one before.
        let step = (o.days_ago * 86_400 / path.len() as i64).min(86_400);
        let at = |i: usize| created + step * i as i64;
        let stamp = |s: OrderStatus| path.iter().position(|p| *p == s).map(at);
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO orders (service_id, institution_id, customer_id, requester_id, status, samples, sample_description, \
               delivery, tracking_number, invoice_title, credit_code, customer_category, price_fen, quoted_fen, promised_days, \
               status_note, accepted_at, received_at, reported_at, rating, rating_comment, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23) RETURNING id",
        )
        .bind(service)
        .bind(institution)
        .bind(organisation)
        .bind(user)
        .bind(status.as_str())
        .bind(o.samples)
        .bind(&o.description)
        .bind(&o.delivery)
        .bind(&o.tracking)
        .bind(&org_name)
        .bind(credit.unwrap_or_default())
        .bind(category.as_str())
        .bind(per_sample.fen() * o.samples)
        .bind(o.quoted.map(|y| y * 100))
        .bind(turnaround)
        .bind(&o.note)
        .bind(stamp(OrderStatus::Accepted))
        .bind(stamp(OrderStatus::SamplesReceived))
        .bind(stamp(OrderStatus::ReportIssued))
        .bind(o.rating)
        .bind(&o.comment)
        .bind(created)
        .bind(at(path.len() - 1))
        .fetch_one(&mut **tx)
        .await?;
        let mut from = None;
        for (i, to) in path.iter().enumerate() {
            let by_customer = matches!(
                to,
                OrderStatus::Submitted
                    | OrderStatus::Declined
                    | OrderStatus::Cancelled
                    | OrderStatus::Closed
            );
            let last = i + 1 == path.len();
            sqlx::query(
                "INSERT INTO order_events (order_id, actor_id, at, from_status, to_status, note) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(if by_customer { user } else { admin })
            .bind(at(i))
            .bind(from.map(OrderStatus::as_str))
            .bind(to.as_str())
            .bind(if last { o.note.as_str() } else { "" })
            .execute(&mut **tx)
            .await?;
            from = Some(*to);
        }
        if let Some(issued) = stamp(OrderStatus::ReportIssued) {
            let pdf = sample_report_pdf(&format!("Test report No. {id}: {name}"));
            sqlx::query(
                "INSERT INTO order_reports (order_id, file_name, content, size, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(format!("检测报告-{id}.pdf"))
            .bind(pdf.clone())
            .bind(pdf.len() as i64)
            .bind(admin)
            .bind(issued)
            .execute(&mut **tx)
            .await?;
        }
    }
    let today = now.with_timezone(tz).date_naive();
    for (i, n) in needs.iter().enumerate() {
        let (user, organisation, zone): (i64, i64, Option<i64>) = sqlx::query_as(
            "SELECT u.id, o.id, o.zone_id FROM users u JOIN organisations o ON o.id = u.organisation_id WHERE u.email = $1",
        )
        .bind(&n.customer)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| anyhow::anyhow!("need by {}: {e}", n.customer))?;
        let posted = ts - (i as i64 + 1) * 86_400;
        let (need,): (i64,) = sqlx::query_as(
            "INSERT INTO needs (customer_id, requester_id, zone_id, title, product, standard, quantity, deadline, budget_fen, \
               visibility, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', $11) RETURNING id",
        )
        .bind(organisation)
        .bind(user)
        .bind(zone)
        .bind(&n.title)
        .bind(&n.product)
        .bind(&n.standard)
        .bind(&n.quantity)
        .bind((today + chrono::Duration::days(n.deadline_days)).format("%Y-%m-%d").to_string())
        .bind(n.budget.map(|y| y * 100))
        .bind(&n.visibility)
        .bind(posted)
        .fetch_one(&mut **tx)
        .await?;
        for (k, o) in n.offers.iter().enumerate() {
            let (service, institution, ..) = ids
                .get(o.service)
                .ok_or_else(|| anyhow::anyhow!("offer of unknown service {}", o.service))?;
            let admin: i64 = sqlx::query_scalar(
                "SELECT user_id FROM user_roles WHERE role = 'institution_admin' AND scope_id = $1 ORDER BY user_id LIMIT 1",
            )
            .bind(institution)
            .fetch_one(&mut **tx)
            .await?;
            sqlx::query(
                "INSERT INTO need_offers (need_id, institution_id, service_id, price_fen, turnaround_days, note, offered_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(need)
            .bind(institution)
            .bind(service)
            .bind(o.price * 100)
            .bind(o.days)
            .bind(&o.note)
            .bind(admin)
            .bind(posted + (k as i64 + 1) * 3_600)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_report_is_a_pdf_and_every_path_is_allowed() {
        assert!(crate::backend::orders::is_pdf(&sample_report_pdf(
            "Test report No. 1"
        )));
        for status in OrderStatus::ALL {
            let path = path_to(*status);
            assert_eq!(path.first(), Some(&OrderStatus::Submitted));
            assert_eq!(path.last(), Some(status));
            for pair in path.windows(2) {
                let allowed = crate::domain::services::OrderAction::ALL.iter().any(|a| {
                    [
                        crate::domain::services::Party::Customer,
                        crate::domain::services::Party::Institution,
                    ]
                    .iter()
                    .any(|p| crate::domain::services::next(pair[0], *a, *p) == Some(pair[1]))
                });
                assert!(allowed, "{:?} → {:?}", pair[0], pair[1]);
            }
        }
    }
}
