//! The demo zone: a realistic Jiangxi inspection-and-testing cluster zone, loaded into an empty
//! database when asked for (`DEMO_DATA=true`) so that every page has something to show. What the
//! zone is — its institutions, customers, staff, categories, equipment and holidays — is data, in
//! `app/demo/zone.json`; this loader adds what follows from it deterministically around "now":
//! rules, opening hours, rates, accreditation, blackouts, the coming weeks' bookings and a year of
//! past use at each resource's popularity. Names are illustrative, not real organisations' data.

mod services;

pub use services::sample_report_pdf;

use super::bulk::Insert;
use super::Db;
use crate::domain::catalogue::{CustomerCategory, ResourceKind};
use crate::domain::money::Money;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use serde::Deserialize;
use sqlx::{Any, Transaction};

/// The zone as the data file describes it.
#[derive(Debug, Deserialize)]
pub struct ZoneData {
    zone: ZoneRow,
    holidays: Vec<Holiday>,
    institutions: Vec<Institution>,
    categories: Vec<Category>,
    /// The customers with a person to sign in as, who also book in the coming weeks.
    customers: Vec<Customer>,
    /// More customers who booked over the past year.
    past_customers: Vec<Customer>,
    staff: Vec<Staff>,
    resources: Vec<DemoResource>,
    /// Testing services the institutions publish, and orders for them in every state.
    #[serde(default)]
    services: Vec<services::DemoService>,
    #[serde(default)]
    orders: Vec<services::DemoOrder>,
    #[serde(default)]
    needs: Vec<services::DemoNeed>,
}

#[derive(Debug, Deserialize)]
struct ZoneRow {
    zh: String,
    en: String,
    province: String,
    time_zone: String,
}

#[derive(Debug, Deserialize)]
struct Holiday {
    day: NaiveDate,
    zh: String,
    en: String,
}

#[derive(Debug, Deserialize)]
struct Institution {
    zh: String,
    en: String,
    city_zh: String,
    city_en: String,
    /// The mail domain of its people; also how resources name their owner.
    domain: String,
}

#[derive(Debug, Deserialize)]
struct Category {
    code: String,
    zh: String,
    en: String,
}

/// A lab or enterprise that books equipment, with its one demo person.
#[derive(Debug, Deserialize)]
struct Customer {
    zh: String,
    en: String,
    kind: String,
    city_zh: String,
    city_en: String,
    in_zone: bool,
    sme: bool,
    person: String,
    email: String,
    language: String,
}

/// A zone manager or a site administrator.
#[derive(Debug, Deserialize)]
struct Staff {
    email: String,
    name: String,
    role: String,
}

#[derive(Debug, Deserialize)]
struct Spec {
    zh: String,
    en: String,
    value: String,
}

#[derive(Debug, Deserialize)]
struct DemoResource {
    /// The owner institution's domain.
    institution: String,
    category: String,
    kind: String,
    zh: String,
    en: String,
    model: String,
    maker: String,
    /// Original value in units of 10,000 yuan (万元).
    value_wan: i64,
    /// External rate per hour, in yuan.
    rate: i64,
    approval: bool,
    standards: Vec<String>,
    spec: Spec,
    #[serde(default = "available")]
    status: String,
    #[serde(default)]
    status_reason: String,
    #[serde(default = "everyone")]
    audience: String,
    /// About this share of its open time was booked over the past year.
    popularity: f64,
}

fn available() -> String {
    "available".into()
}

fn everyone() -> String {
    "everyone".into()
}

impl ZoneData {
    /// The zone shipped with the platform.
    pub fn shipped() -> anyhow::Result<ZoneData> {
        let data: ZoneData = serde_json::from_str(include_str!("../../demo/zone.json"))?;
        for r in &data.resources {
            anyhow::ensure!(
                data.institutions.iter().any(|i| i.domain == r.institution),
                "{}: no institution {}",
                r.en,
                r.institution
            );
            anyhow::ensure!(
                data.categories.iter().any(|c| c.code == r.category),
                "{}: no category {}",
                r.en,
                r.category
            );
            anyhow::ensure!(
                ResourceKind::parse(&r.kind).is_some(),
                "{}: kind {}",
                r.en,
                r.kind
            );
            anyhow::ensure!((0.0..=1.0).contains(&r.popularity), "{}: popularity", r.en);
        }
        Ok(data)
    }
}

/// A small deterministic generator (64-bit LCG), enough for demo data and reproducible everywhere.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Counts of what was loaded, for the log.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DemoSummary {
    pub institutions: usize,
    pub resources: usize,
    pub bookings: usize,
}

impl Db {
    /// Loads the demo zone when the database holds no zone yet; does nothing otherwise.
    pub async fn seed_demo_if_empty<Tz: TimeZone>(
        &self,
        tz: &Tz,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<DemoSummary>> {
        let (zones,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM zones")
            .fetch_one(self.pool())
            .await?;
        if zones > 0 {
            return Ok(None);
        }
        let hash = super::secrets::hash_password(DEMO_PASSWORD.into())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut tx = self.pool().begin().await?;
        let data = ZoneData::shipped()?;
        let summary = seed(&mut tx, &data, tz, now).await?;
        // Every demo account signs in with the documented demo password.
        sqlx::query("UPDATE users SET password_hash = $1")
            .bind(hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(summary))
    }
}

/// The password of every account in the demo zone (documented in README.md).
pub const DEMO_PASSWORD: &str = "Demo-2026-labshare";

async fn insert_id(
    tx: &mut Transaction<'_, Any>,
    sql: &str,
    binds: Vec<Bind>,
) -> Result<i64, sqlx::Error> {
    let mut q = sqlx::query_as::<_, (i64,)>(sql);
    for b in binds {
        q = match b {
            Bind::I(v) => q.bind(v),
            Bind::T(v) => q.bind(v),
            Bind::B(v) => q.bind(v),
            Bind::N => q.bind(Option::<i64>::None),
        };
    }
    Ok(q.fetch_one(&mut **tx).await?.0)
}

enum Bind {
    I(i64),
    T(String),
    B(bool),
    N,
}

fn t(s: &str) -> Bind {
    Bind::T(s.to_string())
}

#[derive(Clone)]
struct Org {
    id: i64,
    zone_member: bool,
    sme: bool,
    user: i64,
}

struct Placed {
    resource_id: i64,
    blocked: (i64, i64),
}

async fn seed<Tz: TimeZone>(
    tx: &mut Transaction<'_, Any>,
    data: &ZoneData,
    tz: &Tz,
    now: DateTime<Utc>,
) -> anyhow::Result<DemoSummary> {
    use Bind::{B, I, N};
    let ts = now.timestamp();
    let today = now.with_timezone(tz).date_naive();
    let day = |offset: i64| {
        (today + Duration::days(offset))
            .format("%Y-%m-%d")
            .to_string()
    };
    let mut rng = Lcg(0x5eed_2026);

    let zone = insert_id(
        tx,
        "INSERT INTO zones (name_zh, name_en, province, time_zone, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        vec![t(&data.zone.zh), t(&data.zone.en), t(&data.zone.province), t(&data.zone.time_zone), I(ts)],
    )
    .await?;

    let mut institutions = Vec::new();
    for (i, inst) in data.institutions.iter().enumerate() {
        let id = insert_id(
            tx,
            "INSERT INTO organisations (zone_id, kind, name_zh, name_en, city_zh, city_en, credit_code, is_sme, created_at) \
             VALUES ($1, 'institution', $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            vec![I(zone), t(&inst.zh), t(&inst.en), t(&inst.city_zh), t(&inst.city_en), Bind::T(format!("12360000MB{:07}X", 1_000 + i)), B(false), I(ts)],
        )
        .await?;
        let admin = insert_id(
            tx,
            "INSERT INTO users (organisation_id, email, display_name, phone, locale, email_verified_at, created_at) \
             VALUES ($1, $2, $3, $4, 'zh-CN', $5, $5) RETURNING id",
            vec![I(id), Bind::T(format!("admin@{}", inst.domain)), Bind::T(format!("{}管理员", inst.city_zh)), Bind::T(format!("0791-8{:07}", 1_234_500 + i)), I(ts)],
        )
        .await?;
        sqlx::query(
            "INSERT INTO user_roles (user_id, role, scope_id) VALUES ($1, 'institution_admin', $2)",
        )
        .bind(admin)
        .bind(id)
        .execute(&mut **tx)
        .await?;
        institutions.push(Org {
            id,
            zone_member: true,
            sme: false,
            user: admin,
        });
    }

    let mut customers = Vec::new();
    for (i, c) in data.customers.iter().enumerate() {
        customers.push(insert_customer(tx, c, i, zone, ts).await?);
    }

    for person in &data.staff {
        let user = insert_id(
            tx,
            "INSERT INTO users (organisation_id, email, display_name, locale, email_verified_at, created_at) \
             VALUES ($1, $2, $3, 'zh-CN', $4, $4) RETURNING id",
            vec![I(institutions[0].id), t(&person.email), t(&person.name), I(ts)],
        )
        .await?;
        let scope = if person.role == "zone_manager" {
            zone
        } else {
            0
        };
        sqlx::query("INSERT INTO user_roles (user_id, role, scope_id) VALUES ($1, $2, $3)")
            .bind(user)
            .bind(&person.role)
            .bind(scope)
            .execute(&mut **tx)
            .await?;
    }

    let mut past_customers = customers.clone();
    for (i, c) in data.past_customers.iter().enumerate() {
        let n = data.customers.len() + i;
        past_customers.push(insert_customer(tx, c, n, zone, ts).await?);
    }

    let mut categories = std::collections::HashMap::new();
    for c in &data.categories {
        let id = insert_id(
            tx,
            "INSERT INTO categories (code, name_zh, name_en) VALUES ($1, $2, $3) RETURNING id",
            vec![t(&c.code), t(&c.zh), t(&c.en)],
        )
        .await?;
        categories.insert(c.code.as_str(), id);
    }

    // Zone-wide closures: the holidays.
    let mut closed_days = Vec::new();
    for h in &data.holidays {
        sqlx::query("INSERT INTO closure_days (zone_id, resource_id, day, note_zh, note_en) VALUES ($1, NULL, $2, $3, $4)")
            .bind(zone)
            .bind(h.day.format("%Y-%m-%d").to_string())
            .bind(&h.zh)
            .bind(&h.en)
            .execute(&mut **tx)
            .await?;
        closed_days.push(h.day);
    }

    let mut placed: Vec<Placed> = Vec::new();
    let mut booking_count = 0;
    let mut history = Vec::new();
    for (n, r) in data.resources.iter().enumerate() {
        let owner_index = data
            .institutions
            .iter()
            .position(|i| i.domain == r.institution)
            .unwrap_or_default();
        let owner_data = &data.institutions[owner_index];
        let owner = &institutions[owner_index];
        let facility = r.kind == ResourceKind::Facility.as_str();
        let (status, reason) = (r.status.as_str(), r.status_reason.as_str());
        let specs = serde_json::json!([
            { "label_zh": r.spec.zh, "label_en": r.spec.en, "value": r.spec.value },
            { "label_zh": "制造商", "label_en": "Manufacturer", "value": r.maker },
        ])
        .to_string();
        let rid = insert_id(
            tx,
            "INSERT INTO resources (institution_id, category_id, kind, name_zh, name_en, model, manufacturer, serial_number, \
               purchase_year, original_value_fen, building, room, description_zh, description_en, specifications, status, \
               status_reason, contact_name, contact_phone, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $20) RETURNING id",
            vec![
                I(owner.id),
                I(categories[r.category.as_str()]),
                t(&r.kind),
                t(&r.zh),
                t(&r.en),
                t(&r.model),
                t(&r.maker),
                Bind::T(format!("SN{}{:05}", 2015 + n % 10, 31_000 + n * 7)),
                I(2015 + (n as i64 % 10)),
                I(r.value_wan * 10_000 * 100),
                Bind::T(format!("{}号楼", 1 + n % 4)),
                Bind::T(format!("{}{:02}", 1 + n % 5, 1 + n % 20)),
                Bind::T(format!("{}，{}，可对外提供共享服务。", r.zh, owner_data.zh)),
                Bind::T(format!("{} operated by {}, open for shared use.", r.en, owner_data.en)),
                Bind::T(specs),
                t(status),
                t(reason),
                Bind::T(format!("{}工程师", ["张", "王", "李", "刘", "陈", "杨", "黄"][owner_index % 7])),
                Bind::T(format!("0791-86{:06}", 100_000 + n * 13)),
                I(ts),
            ],
        )
        .await?;

        // Rules: facilities book in hours with conditioning buffers; instruments in half hours.
        let (slot, min, max, notice, before, after) = if facility {
            (60, 120, 72 * 60, 24 * 60, 60, 30)
        } else {
            (30, 60, 8 * 60, 12 * 60, 0, 15)
        };
        let audience = r.audience.as_str();
        sqlx::query(
            "INSERT INTO booking_rules (resource_id, slot_minutes, min_duration_minutes, max_duration_minutes, min_notice_minutes, \
               max_notice_days, buffer_before_minutes, buffer_after_minutes, approval_required, audience, cancel_cutoff_minutes) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(rid)
        .bind(slot)
        .bind(min)
        .bind(max)
        .bind(notice)
        .bind(if facility { 120_i64 } else { 60 })
        .bind(before)
        .bind(after)
        .bind(r.approval)
        .bind(audience)
        .bind(24 * 60_i64)
        .execute(&mut **tx)
        .await?;

        // Opening hours: chambers run round the clock; instruments keep office hours with a lunch break.
        let periods: Vec<(i64, i64, i64)> = if facility && r.category != "emc" {
            (1..=7).map(|d| (d, 0, 1440)).collect()
        } else if facility {
            (1..=6).map(|d| (d, 8 * 60, 20 * 60)).collect()
        } else {
            (1..=5)
                .flat_map(|d| [(d, 8 * 60 + 30, 12 * 60), (d, 13 * 60 + 30, 17 * 60 + 30)])
                .collect()
        };
        for (d, o, c) in &periods {
            sqlx::query("INSERT INTO opening_hours (resource_id, weekday, opens_minute, closes_minute) VALUES ($1, $2, $3, $4)")
                .bind(rid)
                .bind(d)
                .bind(o)
                .bind(c)
                .execute(&mut **tx)
                .await?;
        }

        let rate = Money::yuan(r.rate);
        let rates = [
            (CustomerCategory::External, 100),
            (CustomerCategory::Zone, 80),
            (CustomerCategory::Sme, 60),
            (CustomerCategory::Own, 50),
        ];
        for (cat, pct) in rates {
            let minimum = if facility {
                rate.fen() * pct / 100 * (min / 60)
            } else {
                0
            };
            sqlx::query("INSERT INTO rates (resource_id, customer_category, per_hour_fen, minimum_fen) VALUES ($1, $2, $3, $4)")
                .bind(rid)
                .bind(cat.as_str())
                .bind(rate.fen() * pct / 100)
                .bind(minimum)
                .execute(&mut **tx)
                .await?;
        }

        // Accreditation: CMA for all with standards, CNAS for most; a few expiring soon, one expired.
        if !r.standards.is_empty() {
            let until = match n % 13 {
                3 => day(25),
                7 => day(48),
                11 => day(-30),
                _ => day(365 + (n as i64 * 37) % 700),
            };
            let certs = [
                (
                    "CMA",
                    format!("2023{:02}{:08}", 36, 10_000_000 + owner_index * 1_111),
                ),
                ("CNAS", format!("CNAS L{:04}", 3_100 + owner_index * 17)),
            ];
            for (body, cert) in certs.iter().take(if n % 4 == 0 { 1 } else { 2 }) {
                let aid = insert_id(
                    tx,
                    "INSERT INTO accreditations (resource_id, body, certificate_number, valid_from, valid_until) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    vec![I(rid), t(body), t(cert), Bind::T(day(-900)), Bind::T(until.clone())],
                )
                .await?;
                for code in &r.standards {
                    sqlx::query("INSERT INTO accreditation_standards (accreditation_id, code) VALUES ($1, $2)")
                        .bind(aid)
                        .bind(code)
                        .execute(&mut **tx)
                        .await?;
                }
            }
        }

        // Blackouts: a calibration window next week for every sixth resource, maintenance past.
        let local = |d: NaiveDate, minute: i64| {
            tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
                .earliest()
                .map(|t| t.with_timezone(&Utc).timestamp() + minute * 60)
                .unwrap_or(ts)
        };
        if n % 6 == 0 {
            let next_monday =
                today + Duration::days(7 - i64::from(today.weekday().num_days_from_monday()));
            for (d, kind, note) in [
                (
                    next_monday + Duration::days(2),
                    "calibration",
                    "年度计量校准 / Annual calibration",
                ),
                (
                    today - Duration::days(20),
                    "maintenance",
                    "例行维护 / Routine maintenance",
                ),
            ] {
                let (s, e) = (local(d, 8 * 60), local(d, 18 * 60));
                sqlx::query(
                    "INSERT INTO blackouts (resource_id, starts_at, ends_at, reason_kind, note, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(rid)
                .bind(s)
                .bind(e)
                .bind(kind)
                .bind(note)
                .bind(owner.user)
                .bind(ts)
                .execute(&mut **tx)
                .await?;
                placed.push(Placed {
                    resource_id: rid,
                    blocked: (s, e),
                });
            }
        }
        if status == "retired" {
            continue;
        }
        history.push(Past {
            resource: rid,
            owner: owner_index,
            popularity: r.popularity,
            periods: periods.clone(),
            slot,
            min,
            max: if facility { 24 * 60 } else { 4 * 60 },
            buffers: (before, after),
            per_hour: rate,
            minimum_hours: if facility { min / 60 } else { 0 },
        });

        // Bookings from eight weeks back to four weeks ahead, inside opening hours, never overlapping.
        let wanted = 6 + rng.below(5);
        let mut made = 0;
        for _ in 0..wanted * 6 {
            if made >= wanted {
                break;
            }
            let offset = rng.below(84) as i64 - 56;
            let date = today + Duration::days(offset);
            if closed_days.contains(&date) {
                continue;
            }
            let weekday = i64::from(date.weekday().number_from_monday());
            let todays: Vec<_> = periods.iter().filter(|p| p.0 == weekday).collect();
            let Some(&&(_, opens, closes)) = todays.get(rng.below(todays.len() as u64) as usize)
            else {
                continue;
            };
            let steps = (closes - opens - min) / slot;
            if steps < 0 {
                continue;
            }
            let start_min = opens + slot * rng.below(steps as u64 + 1) as i64;
            let longest = (closes - start_min).min(if facility { 10 * 60 } else { 4 * 60 });
            let duration = min + slot * rng.below(((longest - min) / slot) as u64 + 1) as i64;
            let (start, end) = (local(date, start_min), local(date, start_min + duration));
            let blocked = (start - before * 60, end + after * 60);
            if placed
                .iter()
                .any(|p| p.resource_id == rid && p.blocked.0 < blocked.1 && blocked.0 < p.blocked.1)
            {
                continue;
            }

            let org = if rng.chance(25) {
                owner
            } else {
                &customers[rng.below(customers.len() as u64) as usize]
            };
            let category = if org.id == owner.id {
                CustomerCategory::Own
            } else if org.sme {
                CustomerCategory::Sme
            } else if org.zone_member {
                CustomerCategory::Zone
            } else {
                CustomerCategory::External
            };
            let pct = rates
                .iter()
                .find(|(c, _)| *c == category)
                .map_or(100, |(_, p)| *p);
            let per_hour = Money::from_fen(rate.fen() * pct / 100)?;
            let price = per_hour.for_minutes(duration).fen().max(if facility {
                per_hour.fen() * (min / 60)
            } else {
                0
            });

            let past = end <= ts;
            let roll = rng.below(100);
            let (first, last) = match (past, r.approval) {
                (true, _) if roll < 84 => ("confirmed", "completed"),
                (true, _) if roll < 90 => ("confirmed", "no_show"),
                (true, true) if roll < 94 => ("pending", "rejected"),
                (true, _) => ("confirmed", "cancelled"),
                (false, true) if roll < 45 => ("pending", "pending"),
                (false, true) if roll < 90 => ("pending", "confirmed"),
                (false, false) if roll < 90 => ("confirmed", "confirmed"),
                (false, _) => ("confirmed", "cancelled"),
            };
            let created = start - 86_400 * (2 + rng.below(10) as i64);
            let reason = match last {
                "cancelled" => "计划调整 / Plans changed",
                "rejected" => "样品不符合要求 / Samples do not meet requirements",
                _ => "",
            };
            let bid = insert_id(
                tx,
                "INSERT INTO bookings (resource_id, user_id, organisation_id, starts_at, ends_at, blocked_from, blocked_until, status, \
                   customer_category, price_fen, purpose, sample_description, sample_count, contact_phone, status_reason, sequence, \
                   created_at, updated_at, decided_by, decided_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) RETURNING id",
                vec![
                    I(rid),
                    I(org.user),
                    I(org.id),
                    I(start),
                    I(end),
                    I(blocked.0),
                    I(blocked.1),
                    t(last),
                    t(category.as_str()),
                    I(price),
                    t(["委托检测", "产品研发", "出口认证", "质量抽检", "科研项目"][rng.below(5) as usize]),
                    t(["铜管样品", "锂电池单体", "实木餐椅", "有机硅胶样品", "光学镜片", "电源适配器"][rng.below(6) as usize]),
                    I(1 + rng.below(12) as i64),
                    Bind::T(format!("1397000{:04}", 1_000 + rng.below(9_000))),
                    t(reason),
                    I(if first == last { 0 } else { 1 }),
                    I(created),
                    I(if first == last { created } else { created + 3_600 }),
                    if first == last { N } else { I(owner.user) },
                    if first == last { N } else { I(created + 3_600) },
                ],
            )
            .await?;
            sqlx::query("INSERT INTO booking_events (booking_id, actor_id, at, from_status, to_status, reason) VALUES ($1, $2, $3, NULL, $4, '')")
                .bind(bid)
                .bind(org.user)
                .bind(created)
                .bind(first)
                .execute(&mut **tx)
                .await?;
            if first != last {
                sqlx::query("INSERT INTO booking_events (booking_id, actor_id, at, from_status, to_status, reason) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(bid)
                    .bind(owner.user)
                    .bind(created + 3_600)
                    .bind(first)
                    .bind(last)
                    .bind(reason)
                    .execute(&mut **tx)
                    .await?;
            }
            placed.push(Placed {
                resource_id: rid,
                blocked,
            });
            made += 1;
        }
        booking_count += made as usize;
    }
    booking_count += seed_history(
        tx,
        &history,
        &placed,
        (&institutions, &past_customers),
        tz,
        now,
    )
    .await?;
    services::seed(tx, (&data.services, &data.orders, &data.needs), tz, now).await?;

    Ok(DemoSummary {
        institutions: data.institutions.len(),
        resources: data.resources.len(),
        bookings: booking_count,
    })
}

/// A booking of the past year, as inserted.
struct PastBooking {
    resource: i64,
    user: i64,
    organisation: i64,
    slot: (i64, i64),
    blocked: (i64, i64),
    status: &'static str,
    category: CustomerCategory,
    price: i64,
    purpose: &'static str,
    /// What was tested, and how many samples.
    samples: (&'static str, i64),
    phone: String,
    reason: &'static str,
    created: i64,
    /// When and by whom it was closed (completed, no-show or cancelled).
    closed: (i64, i64),
}

/// What a resource's past year needs: where it may be booked and at what price.
struct Past {
    resource: i64,
    owner: usize,
    popularity: f64,
    /// (weekday 1–7, opens, closes) in minutes of the day.
    periods: Vec<(i64, i64, i64)>,
    slot: i64,
    min: i64,
    /// The longest booking the history makes.
    max: i64,
    /// Minutes blocked before and after a booking.
    buffers: (i64, i64),
    per_hour: Money,
    minimum_hours: i64,
}

/// The history's share of bookings by customer: the owner's own staff, then each customer.
const OWN_USE_PERCENT: u64 = 25;

/// A year of past use before the coming weeks' bookings: each open period of each day is booked
/// with the resource's popularity, by its owner or a customer, around what is already placed
/// (the recent weeks' bookings and the blackouts). Most of it completed, some no-shows and
/// cancellations. Inserted many rows a statement, with its audit trail.
async fn seed_history<Tz: TimeZone>(
    tx: &mut Transaction<'_, Any>,
    plans: &[Past],
    placed: &[Placed],
    (institutions, customers): (&[Org], &[Org]),
    tz: &Tz,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let ts = now.timestamp();
    let today = now.with_timezone(tz).date_naive();
    let local = |d: NaiveDate, minute: i64| {
        tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map(|t| t.with_timezone(&Utc).timestamp() + minute * 60)
    };
    let mut rng = Lcg(0x0a11_2025);
    let mut rows: Vec<PastBooking> = Vec::new();
    for plan in plans {
        let owner = &institutions[plan.owner];
        let taken: Vec<(i64, i64)> = placed
            .iter()
            .filter(|p| p.resource_id == plan.resource)
            .map(|p| p.blocked)
            .collect();
        let chance = (plan.popularity * 100.0).round() as u64;
        let mut free_from = i64::MIN;
        for back in (1..=365).rev() {
            let date = today - Duration::days(back);
            let weekday = i64::from(date.weekday().number_from_monday());
            for &(_, opens, closes) in plan.periods.iter().filter(|p| p.0 == weekday) {
                // Booked at all in this period, with the resource's popularity; after each
                // booking, booked again with the same chance.
                let mut cursor = opens;
                let mut wanted = rng.chance(chance);
                while wanted && cursor + plan.min <= closes {
                    let room = (closes - cursor).min(plan.max);
                    let shortest = plan.min.max(room / 2);
                    let steps = (room - shortest) / plan.slot;
                    let length = shortest + plan.slot * rng.below(steps as u64 + 1) as i64;
                    let (Some(start), Some(end)) =
                        (local(date, cursor), local(date, cursor + length))
                    else {
                        break;
                    };
                    let blocked = (start - plan.buffers.0 * 60, end + plan.buffers.1 * 60);
                    let clear = blocked.0 >= free_from
                        && !taken.iter().any(|t| t.0 < blocked.1 && blocked.0 < t.1);
                    if end > ts {
                        break;
                    }
                    if !clear {
                        cursor += plan.slot;
                        continue;
                    }
                    free_from = blocked.1;
                    cursor += length + plan.buffers.0 + plan.buffers.1;
                    cursor = (cursor + plan.slot - 1) / plan.slot * plan.slot;
                    wanted = rng.chance(chance);

                    let org = if rng.chance(OWN_USE_PERCENT) {
                        owner
                    } else {
                        &customers[rng.below(customers.len() as u64) as usize]
                    };
                    let (category, percent) = if org.id == owner.id {
                        (CustomerCategory::Own, 50)
                    } else if org.sme {
                        (CustomerCategory::Sme, 60)
                    } else if org.zone_member {
                        (CustomerCategory::Zone, 80)
                    } else {
                        (CustomerCategory::External, 100)
                    };
                    let per_hour = Money::from_fen(plan.per_hour.fen() * percent / 100)?;
                    let price = per_hour
                        .for_minutes(length)
                        .fen()
                        .max(per_hour.fen() * plan.minimum_hours);
                    let roll = rng.below(100);
                    let (status, reason) = match roll {
                        0..=87 => ("completed", ""),
                        88..=92 => ("no_show", ""),
                        _ => ("cancelled", "计划调整 / Plans changed"),
                    };
                    let created = start - 86_400 * (2 + rng.below(12) as i64);
                    let closed = end + 3_600;
                    rows.push(PastBooking {
                        resource: plan.resource,
                        user: org.user,
                        organisation: org.id,
                        slot: (start, end),
                        blocked,
                        status,
                        category,
                        price,
                        purpose: ["委托检测", "产品研发", "出口认证", "质量抽检", "科研项目"]
                            [rng.below(5) as usize],
                        samples: (
                            [
                                "铜管样品",
                                "锂电池单体",
                                "实木餐椅",
                                "有机硅胶样品",
                                "光学镜片",
                                "电源适配器",
                            ][rng.below(6) as usize],
                            1 + rng.below(12) as i64,
                        ),
                        phone: format!("1397000{:04}", 1_000 + rng.below(9_000)),
                        reason,
                        created,
                        closed: (closed, owner.user),
                    });
                }
            }
        }
    }
    let first: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM bookings")
        .fetch_one(&mut **tx)
        .await?;
    const COLUMNS: &str = "resource_id, user_id, organisation_id, starts_at, ends_at, blocked_from, blocked_until, status, \
        customer_category, price_fen, purpose, sample_description, sample_count, contact_phone, status_reason, sequence, \
        created_at, updated_at, decided_by, decided_at";
    for chunk in rows.chunks(200) {
        let mut insert = Insert::new(&format!("INSERT INTO bookings ({COLUMNS})"));
        insert.push_values(chunk, |row, b| {
            row.push_bind(b.resource)
                .push_bind(b.user)
                .push_bind(b.organisation)
                .push_bind(b.slot.0)
                .push_bind(b.slot.1)
                .push_bind(b.blocked.0)
                .push_bind(b.blocked.1)
                .push_bind(b.status)
                .push_bind(b.category.as_str())
                .push_bind(b.price)
                .push_bind(b.purpose)
                .push_bind(b.samples.0)
                .push_bind(b.samples.1)
                .push_bind(b.phone.as_str())
                .push_bind(b.reason)
                .push_bind(1_i64)
                .push_bind(b.created)
                .push_bind(b.closed.0)
                .push_bind(b.closed.1)
                .push_bind(b.closed.0);
        });
        insert.execute(tx).await?;
    }
    // The audit trail: booked (confirmed) by the customer, then closed by the owner's admin.
    sqlx::query(
        "INSERT INTO booking_events (booking_id, actor_id, at, from_status, to_status, reason) \
         SELECT id, user_id, created_at, NULL, 'confirmed', '' FROM bookings WHERE id > $1",
    )
    .bind(first)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO booking_events (booking_id, actor_id, at, from_status, to_status, reason) \
         SELECT id, decided_by, decided_at, 'confirmed', status, status_reason FROM bookings WHERE id > $1",
    )
    .bind(first)
    .execute(&mut **tx)
    .await?;
    Ok(rows.len())
}

/// A customer organisation and its one person, the `n`th of the zone's customers.
async fn insert_customer(
    tx: &mut Transaction<'_, Any>,
    c: &Customer,
    n: usize,
    zone: i64,
    ts: i64,
) -> Result<Org, sqlx::Error> {
    use Bind::{B, I, N};
    let zone_id = if c.in_zone { I(zone) } else { N };
    let id = insert_id(
        tx,
        "INSERT INTO organisations (zone_id, kind, name_zh, name_en, city_zh, city_en, credit_code, is_sme, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        vec![zone_id, t(&c.kind), t(&c.zh), t(&c.en), t(&c.city_zh), t(&c.city_en), Bind::T(format!("91360000MA3{:06}K", 200_000 + n)), B(c.sme), I(ts)],
    )
    .await?;
    let user = insert_id(
        tx,
        "INSERT INTO users (organisation_id, email, display_name, phone, locale, email_verified_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        vec![I(id), t(&c.email), t(&c.person), Bind::T(format!("1397000{:04}", 1_000 + n)), t(&c.language), I(ts)],
    )
    .await?;
    Ok(Org {
        id,
        zone_member: c.in_zone,
        sme: c.sme,
        user,
    })
}
