//! Part of the `bench` tool (and of the tests, which include this file): a realistic zone at any scale, deterministically from a seed, for benchmarks: institutions,
//! customer organisations of every kind with a booker each, resources in every category with
//! their rules, hours, rates and accreditation, two years of bookings around today (working hours,
//! weekday peaks, popular categories booked more) and calibration blackouts. Bookings of one
//! resource never overlap by construction, so the database's guard accepts every row.

use app::backend::bulk::Insert;
use app::backend::Db;
use chrono::{Datelike, Duration, NaiveDate, TimeZone, Weekday};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub institutions: usize,
    pub resources: usize,
    pub bookings: usize,
    pub seed: u64,
}

impl Default for Scale {
    fn default() -> Self {
        Scale {
            institutions: 50,
            resources: 10_000,
            bookings: 1_000_000,
            seed: 42,
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Generated {
    pub institutions: usize,
    pub customers: usize,
    pub resources: usize,
    pub bookings: usize,
    pub blackouts: usize,
}

/// (code, zh, en, popularity weight, facility?)
const CATEGORIES: &[(&str, &str, &str, u32, bool)] = &[
    (
        "environment",
        "环境试验",
        "Environmental chambers",
        10,
        true,
    ),
    ("emc", "电磁兼容", "EMC", 8, true),
    ("chromatography", "色谱分析", "Chromatography", 7, false),
    ("mechanical", "力学性能", "Mechanical testing", 6, false),
    ("spectroscopy", "光谱分析", "Spectroscopy", 6, false),
    ("battery", "电池性能测试", "Battery testing", 5, true),
    ("microscopy", "显微分析", "Microscopy", 4, false),
    ("emission", "有害物质释放", "Emission testing", 3, true),
    ("optics", "光学测量", "Optical measurement", 2, false),
    ("metrology", "计量校准", "Metrology", 2, false),
];

const STANDARDS: &[&str] = &[
    "GB/T 2423.1",
    "GB/T 2423.2",
    "GB/T 2423.3",
    "GB/T 2423.17",
    "GB/T 17626.2",
    "GB/T 17626.3",
    "IEC 61000-4-3",
    "GB/T 9254.1",
    "GB/T 31485",
    "GB 18580",
    "GB/T 10125",
    "ISO 16750-3",
];

const MODELS: &[(&str, &str)] = &[
    ("Agilent", "1290"),
    ("Keysight", "N9020B"),
    ("岛津 Shimadzu", "GC-2030"),
    ("ESPEC", "PL-3KPH"),
    ("Instron", "5985"),
    ("ETS-Lindgren", "FACT-3"),
    ("赛默飞 Thermo", "iCAP RQ"),
    ("蔡司 Zeiss", "Sigma 300"),
];

fn err(e: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Protocol(e.to_string())
}

/// Fills an empty database with a zone at `scale`, `today` being the middle of the two years.
pub async fn generate(
    db: &Db,
    scale: Scale,
    tz: &chrono_tz::Tz,
    today: NaiveDate,
) -> Result<Generated, sqlx::Error> {
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM resources")
        .fetch_one(db.pool())
        .await?;
    if existing > 0 {
        return Err(err("the database is not empty; generate into a fresh one"));
    }
    let mut rng = StdRng::seed_from_u64(scale.seed);
    let now = tz
        .from_local_datetime(&today.and_hms_opt(8, 0, 0).unwrap_or_default())
        .earliest()
        .map(|t| t.timestamp())
        .unwrap_or_default();
    let mut out = Generated::default();
    let mut tx = db.pool().begin().await?;

    let zone: i64 = sqlx::query_scalar(
        "INSERT INTO zones (name_zh, name_en, province, created_at) VALUES ('基准测试集聚区', 'Benchmark zone', '江西', $1) RETURNING id",
    )
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let mut categories = Vec::new();
    for (code, zh, en, weight, facility) in CATEGORIES {
        let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM categories WHERE code = $1")
            .bind(*code)
            .fetch_optional(&mut *tx)
            .await?;
        let id = match existing {
            Some(id) => id,
            None => sqlx::query_scalar(
                "INSERT INTO categories (code, name_zh, name_en) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(*code)
            .bind(*zh)
            .bind(*en)
            .fetch_one(&mut *tx)
            .await?,
        };
        categories.push((id, *zh, *en, *weight, *facility));
    }

    // Institutions and, for each, ten customer organisations of every kind with one booker.
    let mut institutions = Vec::new();
    let mut customers: Vec<(i64, i64, &'static str)> = Vec::new(); // (org, user, category)
    for i in 0..scale.institutions {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO organisations (zone_id, kind, name_zh, name_en, city_zh, city_en, is_sme, created_at) \
             VALUES ($1, 'institution', $2, $3, '南昌', 'Nanchang', FALSE, $4) RETURNING id",
        )
        .bind(zone)
        .bind(format!("第{}检验检测中心", i + 1))
        .bind(format!("Testing Center No. {}", i + 1))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        institutions.push(id);
        out.institutions += 1;
        for c in 0..10 {
            let (kind, in_zone, sme, category) = match c % 5 {
                0 => ("lab", true, true, "sme"),
                1 => ("enterprise", true, false, "zone"),
                2 => ("enterprise", false, true, "sme"),
                3 => ("enterprise", false, false, "external"),
                _ => ("lab", true, false, "zone"),
            };
            let org: i64 = sqlx::query_scalar(
                "INSERT INTO organisations (zone_id, kind, name_zh, name_en, is_sme, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(in_zone.then_some(zone))
            .bind(kind)
            .bind(format!("客户单位 {i}-{c}"))
            .bind(format!("Customer {i}-{c}"))
            .bind(sme)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let user: i64 = sqlx::query_scalar(
                "INSERT INTO users (organisation_id, email, display_name, locale, email_verified_at, created_at) \
                 VALUES ($1, $2, $3, 'zh-CN', $4, $4) RETURNING id",
            )
            .bind(org)
            .bind(format!("booker{i}-{c}@bench.example"))
            .bind(format!("预约人 {i}-{c}"))
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            customers.push((org, user, category));
            out.customers += 1;
        }
    }
    // The zone's manager (manager@bench.example), a member of the first institution, reads the
    // zone report.
    if let Some(first) = institutions.first() {
        let manager: i64 = sqlx::query_scalar(
            "INSERT INTO users (organisation_id, email, display_name, locale, email_verified_at, created_at) \
             VALUES ($1, 'manager@bench.example', '集聚区管理员', 'zh-CN', $2, $2) RETURNING id",
        )
        .bind(*first)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO user_roles (user_id, role, scope_id) VALUES ($1, 'zone_manager', $2)",
        )
        .bind(manager)
        .bind(zone)
        .execute(&mut *tx)
        .await?;
    }
    // Every generated account signs in with the demo password (hashed once), so load tests can
    // sign in over HTTP like people do.
    let hash = app::backend::secrets::hash_password(app::backend::demo::DEMO_PASSWORD.into())
        .await
        .map_err(err)?;
    sqlx::query("UPDATE users SET password_hash = $1")
        .bind(hash)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;

    // Resources, in batches.
    let total_weight: u32 = categories.iter().map(|c| c.3).sum();
    struct Planned {
        category_weight: u32,
        round_the_clock: bool,
    }
    let mut planned: Vec<(i64, Planned)> = Vec::with_capacity(scale.resources);
    for chunk_start in (0..scale.resources).step_by(500) {
        let chunk_end = (chunk_start + 500).min(scale.resources);
        let mut rows = Vec::new();
        for n in chunk_start..chunk_end {
            let mut pick = rng.gen_range(0..total_weight);
            let category = categories
                .iter()
                .find(|c| {
                    if pick < c.3 {
                        true
                    } else {
                        pick -= c.3;
                        false
                    }
                })
                .unwrap_or(&categories[0]);
            let (maker, model) = MODELS[rng.gen_range(0..MODELS.len())];
            rows.push((
                institutions[n % institutions.len()],
                category.0,
                if category.4 { "facility" } else { "instrument" },
                format!("{} {}号", category.1, n + 1),
                format!("{} #{}", category.2, n + 1),
                maker,
                format!("{model}-{}", n % 97),
                rng.gen_range(50_000_i64..5_000_000) * 100,
                category.3,
                rng.gen_bool(0.2),
            ));
        }
        let mut tx = db.pool().begin().await?;
        let mut q = Insert::new(
            "INSERT INTO resources (institution_id, category_id, kind, name_zh, name_en, manufacturer, model, \
               original_value_fen, building, room, created_at, updated_at) ",
        );
        q.push_values(&rows, |b, r| {
            b.push_bind(r.0)
                .push_bind(r.1)
                .push_bind(r.2)
                .push_bind(r.3.clone())
                .push_bind(r.4.clone())
                .push_bind(r.5)
                .push_bind(r.6.clone())
                .push_bind(r.7)
                .push_bind("A")
                .push_bind("101")
                .push_bind(now)
                .push_bind(now);
        });
        q.push(" RETURNING id");
        let (sql, args) = q.finish()?;
        let ids: Vec<i64> = sqlx::query_scalar_with(&sql, args)
            .fetch_all(&mut *tx)
            .await?;
        for (id, r) in ids.iter().zip(&rows) {
            planned.push((
                *id,
                Planned {
                    category_weight: r.8,
                    round_the_clock: r.9,
                },
            ));
        }
        // Rules, hours, rates and (for most) accreditation.
        let mut q = Insert::new(
            "INSERT INTO booking_rules (resource_id, slot_minutes, min_duration_minutes, max_duration_minutes, \
               min_notice_minutes, max_notice_days, buffer_before_minutes, buffer_after_minutes, approval_required, audience, \
               cancel_cutoff_minutes) ",
        );
        q.push_values(&ids, |b, id| {
            b.push_bind(*id)
                .push_bind(if id % 3 == 0 { 60_i64 } else { 30 })
                .push_bind(60_i64)
                .push_bind(480_i64)
                .push_bind(if id % 4 == 0 { 1440_i64 } else { 0 })
                .push_bind(180_i64)
                // The same buffer the bookings below block before their start.
                .push_bind(if id % 5 == 0 { 30_i64 } else { 0 })
                .push_bind(0_i64)
                .push_bind(id % 3 == 1)
                .push_bind("everyone")
                .push_bind(1440_i64);
        });
        let (sql, args) = q.finish()?;
        sqlx::query_with(&sql, args).execute(&mut *tx).await?;
        let mut hours = Vec::new();
        for ((id, p), _) in planned[planned.len() - ids.len()..].iter().zip(&ids) {
            if p.round_the_clock {
                for d in 1..=7_i64 {
                    hours.push((*id, d, 0_i64, 1440_i64));
                }
            } else {
                for d in 1..=5_i64 {
                    hours.push((*id, d, 510, 720));
                    hours.push((*id, d, 810, 1050));
                }
            }
        }
        let mut q = Insert::new(
            "INSERT INTO opening_hours (resource_id, weekday, opens_minute, closes_minute) ",
        );
        q.push_values(&hours, |b, h| {
            b.push_bind(h.0)
                .push_bind(h.1)
                .push_bind(h.2)
                .push_bind(h.3);
        });
        let (sql, args) = q.finish()?;
        sqlx::query_with(&sql, args).execute(&mut *tx).await?;
        let mut q = Insert::new(
            "INSERT INTO rates (resource_id, customer_category, per_hour_fen, minimum_fen) ",
        );
        let rates: Vec<(i64, &str, i64)> = ids
            .iter()
            .flat_map(|id| {
                let base = 5_000 + (id % 40) * 2_500;
                [
                    (*id, "own", base / 2),
                    (*id, "zone", base * 8 / 10),
                    (*id, "sme", base * 6 / 10),
                    (*id, "external", base),
                ]
            })
            .collect();
        q.push_values(&rates, |b, r| {
            b.push_bind(r.0)
                .push_bind(r.1)
                .push_bind(r.2)
                .push_bind(0_i64);
        });
        let (sql, args) = q.finish()?;
        sqlx::query_with(&sql, args).execute(&mut *tx).await?;
        for id in ids.iter().filter(|id| *id % 5 != 0) {
            let until = today + Duration::days(-30 + (id % 900));
            let aid: i64 = sqlx::query_scalar(
                "INSERT INTO accreditations (resource_id, body, certificate_number, valid_from, valid_until) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(*id)
            .bind(if id % 2 == 0 { "CNAS" } else { "CMA" })
            .bind(format!("BENCH-{id}"))
            .bind((today - Duration::days(1000)).format("%Y-%m-%d").to_string())
            .bind(until.format("%Y-%m-%d").to_string())
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO accreditation_standards (accreditation_id, code) VALUES ($1, $2)",
            )
            .bind(aid)
            .bind(STANDARDS[(*id as usize) % STANDARDS.len()])
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        out.resources += ids.len();
    }

    // Bookings: each resource gets a share by its category's popularity, on distinct days of the
    // two years (weekdays far more often), one booking a day within its hours.
    let first_day = today - Duration::days(365);
    let days: Vec<NaiveDate> = (0..730).map(|d| first_day + Duration::days(d)).collect();
    let weight_sum: u64 = planned.iter().map(|p| u64::from(p.1.category_weight)).sum();
    let local = |day: NaiveDate, minute: i64| {
        tz.from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map(|t| t.timestamp() + minute * 60)
            .unwrap_or_default()
    };
    let mut batch: Vec<BookingRow> = Vec::new();
    // Each resource's share by popularity, rounding carried over so the total is exact.
    let mut weight_so_far: u64 = 0;
    let mut given = 0_usize;
    for (resource, p) in &planned {
        weight_so_far += u64::from(p.category_weight);
        let due = (scale.bookings as u64 * weight_so_far / weight_sum.max(1)) as usize;
        let share = due.saturating_sub(given).min(700);
        let mut chosen: Vec<NaiveDate> = Vec::with_capacity(share);
        let mut taken = vec![false; days.len()];
        let mut attempts = 0;
        while chosen.len() < share && attempts < share * 20 {
            attempts += 1;
            let d = rng.gen_range(0..days.len());
            let weekend = matches!(days[d].weekday(), Weekday::Sat | Weekday::Sun);
            if taken[d] || (weekend && !p.round_the_clock) || (weekend && rng.gen_bool(0.7)) {
                continue;
            }
            taken[d] = true;
            chosen.push(days[d]);
        }
        given += chosen.len();
        // A calibration day for every twentieth resource, on a free day next month.
        if resource % 20 == 0 {
            if let Some(d) = (30..60).map(|k| 365 + k).find(|d| !taken[*d]) {
                sqlx::query(
                    "INSERT INTO blackouts (resource_id, starts_at, ends_at, reason_kind, note, created_at) \
                     VALUES ($1, $2, $3, 'calibration', '年度校准', $4)",
                )
                .bind(*resource)
                .bind(local(days[d], 0))
                .bind(local(days[d], 1440))
                .bind(now)
                .execute(db.pool())
                .await?;
                out.blackouts += 1;
            }
        }
        for day in chosen {
            let (start_minute, hours) = if p.round_the_clock {
                (rng.gen_range(1..16) * 60, rng.gen_range(2..=8)) // from 01:00: a buffer stays within its day
            } else if rng.gen_bool(0.5) {
                (510, rng.gen_range(1..=3)) // morning, within 08:30–12:00
            } else {
                (810, rng.gen_range(1..=4)) // afternoon, within 13:30–17:30
            };
            let starts = local(day, start_minute);
            let ends = starts + hours * 3600;
            let past = day < today;
            let roll = rng.gen_range(0..100);
            let status = match (past, roll) {
                (true, 0..=4) => "no_show",
                (true, 5..=14) => "cancelled",
                (true, _) => "completed",
                (false, 0..=4) => "pending",
                (false, 5..=9) => "cancelled",
                (false, _) => "confirmed",
            };
            let customer = customers[rng.gen_range(0..customers.len())];
            batch.push((
                *resource,
                customer.1,
                customer.0,
                starts,
                ends,
                status,
                customer.2,
                hours * (5_000 + (resource % 40) * 2_500),
            ));
            if batch.len() == 2_000 {
                insert_bookings(db, &batch, now).await?;
                out.bookings += batch.len();
                batch.clear();
            }
        }
    }
    insert_bookings(db, &batch, now).await?;
    out.bookings += batch.len();
    Ok(out)
}

type BookingRow = (i64, i64, i64, i64, i64, &'static str, &'static str, i64);

async fn insert_bookings(db: &Db, rows: &[BookingRow], now: i64) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut tx = db.pool().begin().await?;
    for chunk in rows.chunks(500) {
        let mut q = Insert::new(
            "INSERT INTO bookings (resource_id, user_id, organisation_id, starts_at, ends_at, blocked_from, blocked_until, \
               status, customer_category, price_fen, purpose, created_at, updated_at) ",
        );
        q.push_values(chunk, |b, r| {
            b.push_bind(r.0)
                .push_bind(r.1)
                .push_bind(r.2)
                .push_bind(r.3)
                .push_bind(r.4)
                .push_bind(r.3 - if r.0 % 5 == 0 { 1800 } else { 0 })
                .push_bind(r.4)
                .push_bind(r.5)
                .push_bind(r.6)
                .push_bind(r.7)
                .push_bind("性能测试")
                .push_bind(now)
                .push_bind(now);
        });
        let (sql, args) = q.finish()?;
        sqlx::query_with(&sql, args).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}
