//! Reading the catalogue: the resource list with its filters, and everything on a resource page.

use super::Db;
use crate::domain::catalogue::*;
use crate::domain::ids::{CategoryId, OrganisationId, ResourceId};
use crate::domain::money::Money;
use crate::domain::rules::{BookingRules, Situation};
use crate::domain::schedule::{OpeningHours, OpeningPeriod, WeekGrid};
use crate::domain::time::TimeSlot;
use chrono::{DateTime, Duration, NaiveDate, Offset, TimeZone, Utc};
use sqlx::FromRow;
use std::collections::HashMap;

#[derive(FromRow)]
struct SummaryRow {
    id: i64,
    kind: String,
    name_zh: String,
    name_en: String,
    model: String,
    manufacturer: String,
    institution_id: i64,
    institution_zh: String,
    institution_en: String,
    category_id: i64,
    category_zh: String,
    category_en: String,
    status: String,
    from_fen: Option<i64>,
}

#[derive(FromRow)]
struct AccreditationRow {
    id: i64,
    resource_id: i64,
    body: String,
    certificate_number: String,
    valid_from: String,
    valid_until: String,
}

/// A resource's booking rules as stored; `b` is booking_rules.
#[derive(FromRow)]
pub(super) struct RulesRow {
    pub(super) resource_id: i64,
    slot_minutes: i64,
    min_duration_minutes: i64,
    max_duration_minutes: i64,
    min_notice_minutes: i64,
    max_notice_days: i64,
    buffer_before_minutes: i64,
    buffer_after_minutes: i64,
    approval_required: i64,
    audience: String,
    cancel_cutoff_minutes: i64,
}

impl RulesRow {
    pub(super) fn rules(&self) -> Result<BookingRules, sqlx::Error> {
        Ok(BookingRules {
            slot_minutes: self.slot_minutes,
            min_duration_minutes: self.min_duration_minutes,
            max_duration_minutes: self.max_duration_minutes,
            min_notice_minutes: self.min_notice_minutes,
            max_notice_days: self.max_notice_days,
            buffer_before_minutes: self.buffer_before_minutes,
            buffer_after_minutes: self.buffer_after_minutes,
            approval_required: self.approval_required != 0,
            audience: Audience::parse(&self.audience)
                .ok_or_else(|| decode_err("audience", &self.audience))?,
            cancel_cutoff_minutes: self.cancel_cutoff_minutes,
        })
    }
}

pub(super) const RULES_COLUMNS: &str = "b.resource_id, b.slot_minutes, b.min_duration_minutes, b.max_duration_minutes, \
     b.min_notice_minutes, b.max_notice_days, b.buffer_before_minutes, b.buffer_after_minutes, \
     CASE WHEN b.approval_required THEN 1 ELSE 0 END AS approval_required, b.audience, b.cancel_cutoff_minutes";

#[derive(FromRow)]
struct NamedRow {
    id: i64,
    name_zh: String,
    name_en: String,
}

/// Columns of a resource card; `r`, `o` and `c` are resources, institutions and categories.
const SUMMARY_COLUMNS: &str = "r.id, r.kind, r.name_zh, r.name_en, r.model, r.manufacturer, \
     o.id AS institution_id, o.name_zh AS institution_zh, o.name_en AS institution_en, \
     c.id AS category_id, c.name_zh AS category_zh, c.name_en AS category_en, r.status, \
     (SELECT MIN(per_hour_fen) FROM rates WHERE resource_id = r.id) AS from_fen";

const SUMMARY_FROM: &str = "FROM resources r \
     JOIN organisations o ON o.id = r.institution_id \
     JOIN categories c ON c.id = r.category_id";

fn parse_day(raw: &str) -> Result<NaiveDate, sqlx::Error> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

fn decode_err(what: &str, raw: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unexpected {what} {raw:?}").into())
}

impl SummaryRow {
    fn into_summary(
        self,
        accreditations: Vec<(AccreditationBody, AccreditationStanding)>,
    ) -> Result<ResourceSummary, sqlx::Error> {
        Ok(ResourceSummary {
            id: ResourceId(self.id),
            kind: ResourceKind::parse(&self.kind).ok_or_else(|| decode_err("kind", &self.kind))?,
            name: Bilingual {
                zh: self.name_zh,
                en: self.name_en,
            },
            model: self.model,
            manufacturer: self.manufacturer,
            institution: Named {
                id: OrganisationId(self.institution_id),
                name: Bilingual {
                    zh: self.institution_zh,
                    en: self.institution_en,
                },
            },
            category: Named {
                id: CategoryId(self.category_id),
                name: Bilingual {
                    zh: self.category_zh,
                    en: self.category_en,
                },
            },
            status: ResourceStatus::parse(&self.status)
                .ok_or_else(|| decode_err("status", &self.status))?,
            accreditations,
            from_per_hour: self
                .from_fen
                .map(Money::from_fen)
                .transpose()
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        })
    }
}

impl AccreditationRow {
    fn standing(
        &self,
        today: NaiveDate,
    ) -> Result<
        (
            AccreditationBody,
            AccreditationStanding,
            NaiveDate,
            NaiveDate,
        ),
        sqlx::Error,
    > {
        let body =
            AccreditationBody::parse(&self.body).ok_or_else(|| decode_err("body", &self.body))?;
        let (from, until) = (parse_day(&self.valid_from)?, parse_day(&self.valid_until)?);
        Ok((
            body,
            AccreditationStanding::on(today, from, until),
            from,
            until,
        ))
    }
}

/// Badges for a card: one per body, the best standing wins, expired ones are left out.
fn badges(
    rows: &[&AccreditationRow],
    today: NaiveDate,
) -> Result<Vec<(AccreditationBody, AccreditationStanding)>, sqlx::Error> {
    let standings = rows
        .iter()
        .map(|row| {
            row.standing(today)
                .map(|(body, standing, ..)| (body, standing))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(best_badges(standings))
}

fn best_badges(
    standings: impl IntoIterator<Item = (AccreditationBody, AccreditationStanding)>,
) -> Vec<(AccreditationBody, AccreditationStanding)> {
    let mut out: Vec<(AccreditationBody, AccreditationStanding)> = Vec::new();
    for (body, standing) in standings {
        if standing == AccreditationStanding::Expired {
            continue;
        }
        match out.iter_mut().find(|(b, _)| *b == body) {
            Some(existing) if standing == AccreditationStanding::Valid => existing.1 = standing,
            Some(_) => {}
            None => out.push((body, standing)),
        }
    }
    out.sort_by_key(|(b, _)| b.as_str());
    out
}

/// The `WHERE` clause for the filter, with `$n` placeholders numbered from 1. Accreditation
/// filters count only accreditation valid on `today`.
pub(super) fn filter_sql(
    filter: &CatalogueFilter,
    today: NaiveDate,
    dialect: super::Dialect,
) -> (String, Vec<FilterArg>) {
    let mut sql = String::from(" WHERE r.status <> 'retired'");
    let mut args = Vec::new();
    let mut push = |sql: &mut String, arg: FilterArg, condition: &str| {
        args.push(arg);
        sql.push_str(&condition.replace("$?", &format!("${}", args.len())));
    };
    if let Some(kind) = filter.kind {
        push(
            &mut sql,
            FilterArg::Text(kind.as_str().into()),
            " AND r.kind = $?",
        );
    }
    if let Some(category) = filter.category {
        push(
            &mut sql,
            FilterArg::Id(category.0),
            " AND r.category_id = $?",
        );
    }
    if let Some(institution) = filter.institution {
        push(
            &mut sql,
            FilterArg::Id(institution.0),
            " AND r.institution_id = $?",
        );
    }
    if let Some(status) = filter.status {
        push(
            &mut sql,
            FilterArg::Text(status.as_str().into()),
            " AND r.status = $?",
        );
    }
    for word in &filter.text {
        let condition = format!(" AND {}", dialect.search_match("$?"));
        push(&mut sql, FilterArg::Text(format!("%{word}%")), &condition);
    }
    if let Some(price) = filter.max_per_hour {
        push(
            &mut sql,
            FilterArg::Id(price.fen()),
            " AND EXISTS (SELECT 1 FROM rates x WHERE x.resource_id = r.id AND x.per_hour_fen <= $?)",
        );
    }
    if filter.body.is_some() || filter.standard.is_some() {
        let day = today.format("%Y-%m-%d").to_string();
        push(
            &mut sql,
            FilterArg::Text(day.clone()),
            // Uncorrelated sets rather than EXISTS per resource: the database reads the few
            // matching standards once (3 ms instead of 9 at ten thousand resources, measured).
            " AND r.id IN (SELECT a.resource_id FROM accreditations a WHERE a.valid_from <= $?",
        );
        push(&mut sql, FilterArg::Text(day), " AND a.valid_until >= $?");
        if let Some(body) = filter.body {
            push(
                &mut sql,
                FilterArg::Text(body.as_str().into()),
                " AND a.body = $?",
            );
        }
        if let Some(standard) = &filter.standard {
            let compact: String = standard
                .chars()
                .filter(|c| !c.is_whitespace() && !matches!(c, '%' | '_'))
                .flat_map(char::to_uppercase)
                .collect();
            push(
                &mut sql,
                FilterArg::Text(format!("%{compact}%")),
                " AND a.id IN (SELECT s.accreditation_id FROM accreditation_standards s \
                   WHERE REPLACE(UPPER(s.code), ' ', '') LIKE $?)",
            );
        }
        sql.push(')');
    }
    (sql, args)
}

pub(super) enum FilterArg {
    Text(String),
    Id(i64),
}

macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for arg in $args {
            q = match arg {
                FilterArg::Text(t) => q.bind(t.clone()),
                FilterArg::Id(i) => q.bind(*i),
            };
        }
        q
    }};
}
pub(super) use bind_all;

impl Db {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn zone_name(&self) -> Result<Bilingual, sqlx::Error> {
        let row: (String, String) =
            sqlx::query_as("SELECT name_zh, name_en FROM zones ORDER BY id LIMIT 1")
                .fetch_optional(self.pool())
                .await?
                .unwrap_or_default();
        Ok(Bilingual {
            zh: row.0,
            en: row.1,
        })
    }

    /// Every resource matching `filter` (not retired), in catalogue order, as cards.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn summaries(
        &self,
        filter: &CatalogueFilter,
        today: NaiveDate,
    ) -> Result<Vec<ResourceSummary>, sqlx::Error> {
        let (where_sql, args) = filter_sql(filter, today, self.dialect());
        self.summaries_where(&where_sql, &args, "c.code, o.id, r.id", "", today)
            .await
    }

    /// Cards for the given resources (any status), in catalogue order.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn summaries_of(
        &self,
        ids: &[ResourceId],
        today: NaiveDate,
    ) -> Result<Vec<ResourceSummary>, sqlx::Error> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = ids.iter().map(|id| id.0.to_string()).collect();
        let where_sql = format!(" WHERE r.id IN ({})", list.join(","));
        self.summaries_where(&where_sql, &[], "c.code, o.id, r.id", "", today)
            .await
    }

    /// Cards for the resources `where_sql` selects, in `order`, with `limit`: two queries.
    async fn summaries_where(
        &self,
        where_sql: &str,
        args: &[FilterArg],
        order: &str,
        limit: &str,
        today: NaiveDate,
    ) -> Result<Vec<ResourceSummary>, sqlx::Error> {
        let sql =
            format!("SELECT {SUMMARY_COLUMNS} {SUMMARY_FROM}{where_sql} ORDER BY {order} {limit}");
        let rows: Vec<SummaryRow> = bind_all!(sqlx::query_as(&sql), args)
            .fetch_all(self.pool())
            .await?;
        let ids: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
        let acc: Vec<AccreditationRow> = if ids.is_empty() {
            Vec::new()
        } else {
            sqlx::query_as(&format!(
                "SELECT a.id, a.resource_id, a.body, a.certificate_number, a.valid_from, a.valid_until \
                 FROM accreditations a WHERE a.resource_id IN ({})",
                ids.join(",")
            ))
            .fetch_all(self.pool())
            .await?
        };
        let mut by_resource: HashMap<i64, Vec<&AccreditationRow>> = HashMap::new();
        for a in &acc {
            by_resource.entry(a.resource_id).or_default().push(a);
        }

        rows.into_iter()
            .map(|row| {
                let b = badges(
                    by_resource
                        .get(&row.id)
                        .map(Vec::as_slice)
                        .unwrap_or_default(),
                    today,
                )?;
                row.into_summary(b)
            })
            .collect::<Result<Vec<_>, _>>()
    }

    /// The catalogue: page `page` (from 1) of the resources that are not retired and match the
    /// filter, in `sort` order, with the choices for the filters themselves. Six queries whatever
    /// the number of resources (the page's ids with the count, their cards, the cards'
    /// accreditation, the two lists of choices, the zone's name); one more past the last page.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn catalogue(
        &self,
        filter: &CatalogueFilter,
        sort: CatalogueSort,
        page: i64,
        english: bool,
        today: NaiveDate,
    ) -> Result<CataloguePage, sqlx::Error> {
        let (where_sql, args) = filter_sql(filter, today, self.dialect());
        let order = match (sort, english) {
            (CatalogueSort::Category, _) => "c.code, o.id, r.id",
            (CatalogueSort::Name, false) => "r.name_zh, r.id",
            (CatalogueSort::Name, true) => "LOWER(r.name_en), r.id",
            (CatalogueSort::Price, _) => {
                "(SELECT MIN(x.per_hour_fen) FROM rates x WHERE x.resource_id = r.id) NULLS LAST, r.id"
            }
            (CatalogueSort::Institution, _) => "o.id, c.code, r.id",
        };
        // One pass of the filter gives the page's ids and, beside each, how many match in all
        // (it was run twice: once to count, once for the page with every match's card columns).
        let page_of = |page: i64| {
            format!(
                "SELECT r.id, COUNT(*) OVER () AS total {SUMMARY_FROM}{where_sql} \
                 ORDER BY {order} LIMIT {CATALOGUE_PAGE_SIZE} OFFSET {}",
                (page.max(1) - 1) * CATALOGUE_PAGE_SIZE
            )
        };
        let mut page = page.max(1);
        let sql = page_of(page);
        let mut rows: Vec<(i64, i64)> = bind_all!(sqlx::query_as(&sql), &args)
            .fetch_all(self.pool())
            .await?;
        if rows.is_empty() && page > 1 {
            // Past the last page: the last page instead, as the page links promise.
            let count_sql = format!("SELECT COUNT(*) FROM resources r{where_sql}");
            let (total,): (i64,) = bind_all!(sqlx::query_as(&count_sql), &args)
                .fetch_one(self.pool())
                .await?;
            page = ((total + CATALOGUE_PAGE_SIZE - 1) / CATALOGUE_PAGE_SIZE).max(1);
            let sql = page_of(page);
            rows = bind_all!(sqlx::query_as(&sql), &args)
                .fetch_all(self.pool())
                .await?;
        }
        let total = rows.first().map_or(0, |(_, total)| *total);
        let ids: Vec<ResourceId> = rows.iter().map(|(id, _)| ResourceId(*id)).collect();
        let mut cards: HashMap<i64, ResourceSummary> = self
            .summaries_of(&ids, today)
            .await?
            .into_iter()
            .map(|s| (s.id.0, s))
            .collect();
        let resources = ids.iter().filter_map(|id| cards.remove(&id.0)).collect();

        let (categories, institutions) = self.filter_choices().await?;
        Ok(CataloguePage {
            zone_name: self.zone_name().await?,
            total,
            page,
            resources,
            categories,
            institutions,
        })
    }

    /// The categories and institutions search forms offer.
    #[allow(clippy::type_complexity)]
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn filter_choices(
        &self,
    ) -> Result<(Vec<Named<CategoryId>>, Vec<Named<OrganisationId>>), sqlx::Error> {
        let categories: Vec<NamedRow> =
            sqlx::query_as("SELECT id, name_zh, name_en FROM categories ORDER BY code")
                .fetch_all(self.pool())
                .await?;
        let institutions: Vec<NamedRow> = sqlx::query_as(
            "SELECT id, name_zh, name_en FROM organisations WHERE kind = 'institution' ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?;
        let name = |r: &NamedRow| Bilingual {
            zh: r.name_zh.clone(),
            en: r.name_en.clone(),
        };
        Ok((
            categories
                .iter()
                .map(|r| Named {
                    id: CategoryId(r.id),
                    name: name(r),
                })
                .collect(),
            institutions
                .iter()
                .map(|r| Named {
                    id: OrganisationId(r.id),
                    name: name(r),
                })
                .collect(),
        ))
    }

    /// The catalogue cards of `ids`, by id (for pages that list resources in their own order).
    pub async fn cards_of(
        &self,
        ids: &[ResourceId],
        today: NaiveDate,
    ) -> Result<HashMap<i64, ResourceSummary>, sqlx::Error> {
        Ok(self
            .summaries_of(ids, today)
            .await?
            .into_iter()
            .map(|s| (s.id.0, s))
            .collect())
    }

    /// A resource's accreditation entries with their standards and standing on `today`, the
    /// latest expiry first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn accreditations_of(
        &self,
        id: ResourceId,
        today: NaiveDate,
    ) -> Result<Vec<crate::domain::editor::AccreditationEntry>, sqlx::Error> {
        let rows: Vec<AccreditationRow> = sqlx::query_as(
            "SELECT id, resource_id, body, certificate_number, valid_from, valid_until \
             FROM accreditations WHERE resource_id = $1 ORDER BY valid_until DESC, id",
        )
        .bind(id.0)
        .fetch_all(self.pool())
        .await?;
        let standards: Vec<(i64, String)> = sqlx::query_as(
            "SELECT s.accreditation_id, s.code FROM accreditation_standards s \
             JOIN accreditations a ON a.id = s.accreditation_id WHERE a.resource_id = $1 ORDER BY s.code",
        )
        .bind(id.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|a| {
                let (body, standing, valid_from, valid_until) = a.standing(today)?;
                Ok(crate::domain::editor::AccreditationEntry {
                    id: a.id,
                    view: AccreditationView {
                        body,
                        certificate_number: a.certificate_number.clone(),
                        standards: standards
                            .iter()
                            .filter(|(aid, _)| *aid == a.id)
                            .map(|(_, c)| c.clone())
                            .collect(),
                        valid_from,
                        valid_until,
                        standing,
                    },
                })
            })
            .collect()
    }

    /// Everything on a resource page, with the week that starts on `week_start` (a Monday).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn resource_detail<Tz: TimeZone>(
        &self,
        id: ResourceId,
        tz: &Tz,
        week_start: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Option<ResourceDetail>, sqlx::Error> {
        let today = now.with_timezone(tz).date_naive();
        let sql = format!("SELECT {SUMMARY_COLUMNS} {SUMMARY_FROM} WHERE r.id = $1");
        let Some(summary_row) = sqlx::query_as::<_, SummaryRow>(&sql)
            .bind(id.0)
            .fetch_optional(self.pool())
            .await?
        else {
            return Ok(None);
        };

        let d = self
            .resource_row(id)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;

        let opening_hours = self.opening_hours_of(id).await?;

        let rates = self.rates_of(id).await?;

        let accreditations: Vec<AccreditationView> = self
            .accreditations_of(id, today)
            .await?
            .into_iter()
            .map(|entry| entry.view)
            .collect();
        let summary = summary_row.into_summary(best_badges(
            accreditations.iter().map(|a| (a.body, a.standing)),
        ))?;

        let rules = self.rules_of(id).await?.ok_or(sqlx::Error::RowNotFound)?;
        let status = summary.status;
        let week = self
            .week_grid(id, tz, week_start, (&opening_hours, &rules, status), now)
            .await?;

        Ok(Some(ResourceDetail {
            summary,
            serial_number: d.serial_number,
            purchase_year: d.purchase_year,
            original_value: Money::from_fen(d.original_value_fen)
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            building: d.building,
            room: d.room,
            description: Bilingual {
                zh: d.description_zh,
                en: d.description_en,
            },
            specifications: serde_json::from_str(&d.specifications)
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            status_reason: d.status_reason,
            contact_name: d.contact_name,
            contact_phone: d.contact_phone,
            institution_city: Bilingual {
                zh: d.city_zh,
                en: d.city_en,
            },
            rules,
            opening_hours,
            rates,
            accreditations,
            photos: self.photos_of(id).await?,
            week,
            utc_offset_seconds: tz
                .offset_from_utc_datetime(&now.naive_utc())
                .fix()
                .local_minus_utc(),
        }))
    }

    /// A resource's booking rules, if it has any.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn rules_of(&self, id: ResourceId) -> Result<Option<BookingRules>, sqlx::Error> {
        let row: Option<RulesRow> = sqlx::query_as(&format!(
            "SELECT {RULES_COLUMNS} FROM booking_rules b WHERE b.resource_id = $1"
        ))
        .bind(id.0)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| r.rules()).transpose()
    }

    /// How much of a resource one person and one organisation may hold.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn quotas_of(
        &self,
        id: ResourceId,
    ) -> Result<crate::domain::rules::Quotas, sqlx::Error> {
        #[derive(FromRow)]
        struct QuotaRow {
            person_active_limit: Option<i64>,
            person_week_minutes_limit: Option<i64>,
            organisation_active_limit: Option<i64>,
            organisation_week_minutes_limit: Option<i64>,
        }
        let row: Option<QuotaRow> = sqlx::query_as(
            "SELECT person_active_limit, person_week_minutes_limit, organisation_active_limit, \
               organisation_week_minutes_limit FROM booking_rules WHERE resource_id = $1",
        )
        .bind(id.0)
        .fetch_optional(self.pool())
        .await?;
        Ok(row
            .map(|r| crate::domain::rules::Quotas {
                person_active: r.person_active_limit,
                person_week_minutes: r.person_week_minutes_limit,
                organisation_active: r.organisation_active_limit,
                organisation_week_minutes: r.organisation_week_minutes_limit,
            })
            .unwrap_or_default())
    }

    /// A resource's weekly opening hours.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn opening_hours_of(&self, id: ResourceId) -> Result<OpeningHours, sqlx::Error> {
        let hours: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT weekday, opens_minute, closes_minute FROM opening_hours WHERE resource_id = $1 ORDER BY weekday, opens_minute",
        )
        .bind(id.0)
        .fetch_all(self.pool())
        .await?;
        Ok(OpeningHours {
            periods: hours
                .into_iter()
                .map(|(w, o, c)| {
                    let narrow =
                        |v: i64| u16::try_from(v).map_err(|e| sqlx::Error::Decode(Box::new(e)));
                    OpeningPeriod::new(narrow(w)? as u8, narrow(o)?, narrow(c)?)
                        .map_err(|e| sqlx::Error::Decode(Box::new(e)))
                })
                .collect::<Result<_, _>>()?,
        })
    }

    /// A resource's rates, in the order of the customer categories.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn rates_of(&self, id: ResourceId) -> Result<Vec<RateView>, sqlx::Error> {
        let rates: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT customer_category, per_hour_fen, minimum_fen FROM rates WHERE resource_id = $1",
        )
        .bind(id.0)
        .fetch_all(self.pool())
        .await?;
        let mut rates = rates
            .into_iter()
            .map(|(c, per_hour, minimum)| {
                let money = |f| Money::from_fen(f).map_err(|e| sqlx::Error::Decode(Box::new(e)));
                Ok(RateView {
                    category: CustomerCategory::parse(&c)
                        .ok_or_else(|| decode_err("customer category", &c))?,
                    per_hour: money(per_hour)?,
                    minimum: money(minimum)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        rates.sort_by_key(|r| CustomerCategory::ALL.iter().position(|c| *c == r.category));
        Ok(rates)
    }

    async fn week_grid<Tz: TimeZone>(
        &self,
        id: ResourceId,
        tz: &Tz,
        week_start: NaiveDate,
        (hours, rules, status): (&OpeningHours, &BookingRules, ResourceStatus),
        now: DateTime<Utc>,
    ) -> Result<WeekGrid, sqlx::Error> {
        let local_midnight = |d: NaiveDate| {
            tz.from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
                .earliest()
                .map(|t| t.with_timezone(&Utc).timestamp())
                .ok_or_else(|| decode_err("local date", &d.to_string()))
        };
        let (from, until) = (
            local_midnight(week_start)?,
            local_midnight(week_start + Duration::days(7))?,
        );

        // Active bookings block their buffered interval; finished ones show the time actually used.
        let busy: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT CASE WHEN status IN ('pending', 'confirmed') THEN blocked_from ELSE starts_at END, \
                    CASE WHEN status IN ('pending', 'confirmed') THEN blocked_until ELSE ends_at END \
             FROM bookings \
             WHERE resource_id = $1 AND status IN ('pending', 'confirmed', 'completed', 'no_show') \
               AND blocked_from < $3 AND $2 < blocked_until",
        )
        .bind(id.0)
        .bind(from)
        .bind(until)
        .fetch_all(self.pool())
        .await?;
        let blackouts: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT starts_at, ends_at FROM blackouts WHERE resource_id = $1 AND starts_at < $3 AND $2 < ends_at",
        )
        .bind(id.0)
        .bind(from)
        .bind(until)
        .fetch_all(self.pool())
        .await?;
        let closed: Vec<(String,)> = sqlx::query_as(
            "SELECT day FROM closure_days WHERE (resource_id IS NULL OR resource_id = $1) AND day >= $2 AND day <= $3",
        )
        .bind(id.0)
        .bind(week_start.format("%Y-%m-%d").to_string())
        .bind((week_start + Duration::days(6)).format("%Y-%m-%d").to_string())
        .fetch_all(self.pool())
        .await?;
        let closed = closed
            .iter()
            .map(|(d,)| parse_day(d))
            .collect::<Result<Vec<_>, _>>()?;
        let slots = |v: Vec<(i64, i64)>| {
            v.into_iter()
                .filter_map(|(s, e)| TimeSlot::from_unix(s, e).ok())
                .collect::<Vec<_>>()
        };
        let step = u16::try_from(rules.slot_minutes.clamp(30, 60)).unwrap_or(60);
        let (busy, blackouts) = (slots(busy), slots(blackouts));
        let mut grid =
            WeekGrid::build(tz, week_start, hours, &closed, &busy, &blackouts, now, step);
        // "Next free times" honour every rule (notice, buffers, steps, minimum length), not just
        // the opening hours: they come from the same rule code that judges a booking.
        let taken: Vec<TimeSlot> = busy.into_iter().chain(blackouts).collect();
        let situation = Situation {
            tz,
            now,
            status,
            hours,
            closed_days: &closed,
            taken: &taken,
        };
        if let Ok(week) = TimeSlot::from_unix(from, until) {
            grid.free_windows = rules.free_windows(&situation, &week);
        }
        Ok(grid)
    }
}
