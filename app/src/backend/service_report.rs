//! The testing-services part of the zone and institution reports: orders by state, samples
//! tested, turnaround against the promise, income, the SME share, and the needs board's posted,
//! answered and matched needs with the time to the first offer.

use super::report::Scope;
use super::Db;
use crate::domain::report::{median, ServiceFigures};
use crate::domain::services::{working_days_between, OrderStatus};
use chrono::{TimeZone, Utc};

type NeedRow = (i64, i64, String, Option<i64>, Option<i64>);

impl Db {
    /// The figures of `scope` between the instants `a` and `b` (Unix seconds), with local days
    /// in `tz` for turnaround.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn service_figures<Tz: TimeZone>(
        &self,
        scope: Scope,
        (a, b): (i64, i64),
        tz: &Tz,
    ) -> Result<ServiceFigures, sqlx::Error> {
        let (of_orders, id) = match scope {
            Scope::Zone(z) => (
                "x.institution_id IN (SELECT id FROM organisations WHERE zone_id = $1)",
                z.0,
            ),
            Scope::Institution(i) => ("x.institution_id = $1", i.0),
        };
        let placed: Vec<(String, String)> = sqlx::query_as(&format!(
            "SELECT x.status, x.customer_category FROM orders x WHERE {of_orders} AND x.created_at >= $2 AND x.created_at < $3"
        ))
        .bind(id)
        .bind(a)
        .bind(b)
        .fetch_all(self.pool())
        .await?;
        let reported: Vec<(i64, i64, i64, i64, i64)> = sqlx::query_as(&format!(
            "SELECT x.samples, COALESCE(x.received_at, x.accepted_at, x.created_at), x.reported_at, x.promised_days, \
               COALESCE(x.quoted_fen, x.price_fen) \
             FROM orders x WHERE {of_orders} AND x.reported_at >= $2 AND x.reported_at < $3"
        ))
        .bind(id)
        .bind(a)
        .bind(b)
        .fetch_all(self.pool())
        .await?;
        // The needs a zone's institutions could see (the zone's own and those posted to all), or
        // one institution could see; for an institution, its own offers and matches.
        let needs_sql = match scope {
            Scope::Zone(_) => {
                "SELECT n.id, n.created_at, n.status, (SELECT MIN(f.created_at) FROM need_offers f WHERE f.need_id = n.id), \
                   (SELECT o.institution_id FROM orders o WHERE o.id = n.order_id) \
                 FROM needs n WHERE (n.zone_id = $1 OR n.visibility = 'all') AND n.created_at >= $2 AND n.created_at < $3"
            }
            Scope::Institution(_) => {
                "SELECT n.id, n.created_at, n.status, \
                   (SELECT MIN(f.created_at) FROM need_offers f WHERE f.need_id = n.id AND f.institution_id = $1), \
                   (SELECT o.institution_id FROM orders o WHERE o.id = n.order_id) \
                 FROM needs n WHERE (n.visibility = 'all' OR n.zone_id = (SELECT zone_id FROM organisations WHERE id = $1)) \
                   AND n.created_at >= $2 AND n.created_at < $3"
            }
        };
        let needs: Vec<NeedRow> = sqlx::query_as(needs_sql)
            .bind(id)
            .bind(a)
            .bind(b)
            .fetch_all(self.pool())
            .await?;

        let day = |t: i64| {
            Utc.timestamp_opt(t, 0)
                .single()
                .map(|t| t.with_timezone(tz).date_naive())
                .unwrap_or_default()
        };
        let mut f = ServiceFigures {
            orders: placed.len() as i64,
            ..ServiceFigures::default()
        };
        for state in OrderStatus::ALL {
            let n = placed.iter().filter(|(s, _)| s == state.as_str()).count() as i64;
            if n > 0 {
                f.by_state.push((*state, n));
            }
        }
        let sme = placed.iter().filter(|(_, c)| c == "sme").count();
        f.sme_share = (!placed.is_empty()).then(|| sme as f64 / placed.len() as f64);
        let mut took = Vec::new();
        let mut promised = Vec::new();
        let mut on_time = 0;
        for (samples, from, to, days, fen) in &reported {
            f.samples_tested += samples;
            f.income_fen += fen;
            let actual = working_days_between(day(*from), day(*to));
            on_time += usize::from(actual <= *days);
            took.push(actual as f64);
            promised.push(*days as f64);
        }
        f.median_turnaround_days = median(took);
        f.median_promised_days = median(promised);
        f.on_time = (!reported.is_empty()).then(|| on_time as f64 / reported.len() as f64);
        f.needs_posted = needs.len() as i64;
        let mut first = Vec::new();
        for (_, posted, status, first_offer, matched_with) in &needs {
            if let Some(at) = first_offer {
                f.needs_answered += 1;
                first.push((at - posted) as f64 / 3600.0);
            }
            let matched = status == "matched"
                && match scope {
                    Scope::Zone(_) => true,
                    Scope::Institution(i) => *matched_with == Some(i.0),
                };
            f.needs_matched += i64::from(matched);
        }
        f.median_first_offer_hours = median(first);
        Ok(f)
    }
}
