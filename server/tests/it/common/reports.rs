//! The independent computation the report tests compare with: the raw rows read with plain SQL
//! and every figure computed here (local days through chrono-tz, opening periods day by day,
//! blackouts merged, bookings clipped, hours walked one local hour at a time), without the report
//! code. Used on SQLite (`reports.rs`) and PostgreSQL (`postgres.rs`).

use super::TestApp;
use app::backend::report::Scope;
use app::domain::ids::{OrganisationId, ZoneId};
use app::domain::report::{Figures, Period, PeriodKind, Report};
use chrono::{Datelike, NaiveDate, TimeZone, Timelike};
use chrono_tz::Asia::Shanghai;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Local `minute` of day `d` in Shanghai, as Unix seconds (minute 1440 = the next midnight).
fn local(d: NaiveDate, minute: i64) -> i64 {
    let d = d + chrono::Duration::days(minute / 1440);
    let m = (minute % 1440) as u32;
    Shanghai
        .from_local_datetime(&d.and_hms_opt(m / 60, m % 60, 0).unwrap())
        .unwrap()
        .timestamp()
}

struct Booking {
    resource: i64,
    organisation: i64,
    starts: i64,
    ends: i64,
    status: String,
    category: String,
    price: i64,
}

pub struct Raw {
    /// id → (institution, category, status)
    pub resources: BTreeMap<i64, (i64, i64, String)>,
    hours: HashMap<i64, Vec<(u32, i64, i64)>>,
    zone_closed: HashSet<NaiveDate>,
    own_closed: HashMap<i64, HashSet<NaiveDate>>,
    blackouts: HashMap<i64, Vec<(i64, i64)>>,
    bookings: Vec<Booking>,
    /// (resource, valid_from, valid_until) of every accreditation entry.
    accreditations: Vec<(i64, NaiveDate, NaiveDate)>,
}

pub async fn raw(app: &TestApp) -> Raw {
    let pool = app.state.db.pool();
    let resources: Vec<(i64, i64, i64, String)> =
        sqlx::query_as("SELECT id, institution_id, category_id, status FROM resources")
            .fetch_all(pool)
            .await
            .unwrap();
    let hours: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT resource_id, weekday, opens_minute, closes_minute FROM opening_hours",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let closures: Vec<(Option<i64>, String)> =
        sqlx::query_as("SELECT resource_id, day FROM closure_days")
            .fetch_all(pool)
            .await
            .unwrap();
    let blackouts: Vec<(i64, i64, i64)> =
        sqlx::query_as("SELECT resource_id, starts_at, ends_at FROM blackouts")
            .fetch_all(pool)
            .await
            .unwrap();
    type B = (i64, i64, i64, i64, String, String, i64);
    let bookings: Vec<B> = sqlx::query_as(
        "SELECT resource_id, organisation_id, starts_at, ends_at, status, customer_category, price_fen FROM bookings",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let accreditations: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT resource_id, valid_from, valid_until FROM accreditations")
            .fetch_all(pool)
            .await
            .unwrap();
    let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let mut r = Raw {
        resources: resources
            .into_iter()
            .map(|(id, i, c, s)| (id, (i, c, s)))
            .collect(),
        hours: HashMap::new(),
        zone_closed: HashSet::new(),
        own_closed: HashMap::new(),
        blackouts: HashMap::new(),
        bookings: bookings
            .into_iter()
            .map(|b| Booking {
                resource: b.0,
                organisation: b.1,
                starts: b.2,
                ends: b.3,
                status: b.4,
                category: b.5,
                price: b.6,
            })
            .collect(),
        accreditations: accreditations
            .into_iter()
            .map(|(id, f, u)| (id, date(&f), date(&u)))
            .collect(),
    };
    for (id, w, o, c) in hours {
        r.hours.entry(id).or_default().push((w as u32, o, c));
    }
    for (id, d) in closures {
        match id {
            None => {
                r.zone_closed.insert(date(&d));
            }
            Some(id) => {
                r.own_closed.entry(id).or_default().insert(date(&d));
            }
        }
    }
    for (id, s, e) in blackouts {
        r.blackouts.entry(id).or_default().push((s, e));
    }
    r
}

/// What the test expects of one row.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Expected {
    pub available: i64,
    pub used: i64,
    pub no_show_time: i64,
    pub external: i64,
    pub sme: i64,
    pub bookings: i64,
    pub cancelled: i64,
    pub no_shows: i64,
    pub income: i64,
    pub organisations: BTreeSet<i64>,
}

impl Expected {
    pub fn add(&mut self, o: &Expected) {
        self.available += o.available;
        self.used += o.used;
        self.no_show_time += o.no_show_time;
        self.external += o.external;
        self.sme += o.sme;
        self.bookings += o.bookings;
        self.cancelled += o.cancelled;
        self.no_shows += o.no_shows;
        self.income += o.income;
        self.organisations.extend(o.organisations.iter().copied());
    }

    fn check(&self, got: &Figures, what: &str) {
        let mine = (
            self.available,
            self.used,
            self.no_show_time,
            self.external,
            self.sme,
            self.bookings,
            self.cancelled,
            self.no_shows,
            self.income,
        );
        let theirs = (
            got.available,
            got.used,
            got.no_show_time,
            got.external,
            got.sme,
            got.bookings,
            got.cancelled,
            got.no_shows,
            got.income_fen,
        );
        assert_eq!(mine, theirs, "{what}: (available, used, no-show time, external, SME, bookings, cancelled, no-shows, income)");
    }
}

/// Open seconds of resource `id` on local days `from ..= to`, less blackouts.
fn available(raw: &Raw, id: i64, from: NaiveDate, to: NaiveDate) -> i64 {
    let mut total = 0;
    let mut d = from;
    while d <= to {
        let closed =
            raw.zone_closed.contains(&d) || raw.own_closed.get(&id).is_some_and(|s| s.contains(&d));
        if !closed {
            for &(w, o, c) in raw.hours.get(&id).into_iter().flatten() {
                if w != d.weekday().number_from_monday() {
                    continue;
                }
                let (s, e) = (local(d, o), local(d, c));
                let mut cut: Vec<(i64, i64)> = raw
                    .blackouts
                    .get(&id)
                    .into_iter()
                    .flatten()
                    .filter(|k| k.0 < e && s < k.1)
                    .map(|k| (k.0.max(s), k.1.min(e)))
                    .collect();
                cut.sort();
                let mut covered = 0;
                let mut reach = s;
                for (a, b) in cut {
                    let a = a.max(reach);
                    if b > a {
                        covered += b - a;
                        reach = b;
                    }
                }
                total += (e - s) - covered;
            }
        }
        d = d.succ_opt().unwrap();
    }
    total
}

/// The figures of resource `id` over local days `from ..= to`, organisations included.
fn expected(raw: &Raw, id: i64, from: NaiveDate, to: NaiveDate) -> Expected {
    let (a, b) = (local(from, 0), local(to, 1440));
    let mut e = Expected {
        available: available(raw, id, from, to),
        ..Expected::default()
    };
    for x in raw.bookings.iter().filter(|x| x.resource == id) {
        let clip = (x.ends.min(b) - x.starts.max(a)).max(0);
        let used = matches!(x.status.as_str(), "confirmed" | "completed");
        let starts_inside = a <= x.starts && x.starts < b;
        if used {
            e.used += clip;
            if x.category != "own" {
                e.external += clip;
                if clip > 0 {
                    e.organisations.insert(x.organisation);
                }
            }
            if x.category == "sme" {
                e.sme += clip;
            }
            if starts_inside {
                e.income += x.price;
            }
        }
        if x.status == "no_show" {
            e.no_show_time += clip;
        }
        if starts_inside {
            match x.status.as_str() {
                "confirmed" | "completed" => e.bookings += 1,
                "no_show" => {
                    e.bookings += 1;
                    e.no_shows += 1;
                }
                "cancelled" => e.cancelled += 1,
                _ => {}
            }
        }
    }
    e
}

/// Used seconds per local weekday and hour, walking each booking one local hour at a time.
fn heatmap(raw: &Raw, ids: &HashSet<i64>, from: NaiveDate, to: NaiveDate) -> Vec<[i64; 24]> {
    let (a, b) = (local(from, 0), local(to, 1440));
    let mut grid = vec![[0i64; 24]; 7];
    for x in &raw.bookings {
        if !ids.contains(&x.resource) || !matches!(x.status.as_str(), "confirmed" | "completed") {
            continue;
        }
        let (mut t, end) = (x.starts.max(a), x.ends.min(b));
        while t < end {
            let at = Shanghai.timestamp_opt(t, 0).unwrap();
            let into_hour = i64::from(at.minute() * 60 + at.second());
            let next = (t - into_hour + 3600).min(end);
            grid[at.weekday().num_days_from_monday() as usize][at.hour() as usize] += next - t;
            t = next;
        }
    }
    grid
}

/// The resources a report lists — every one not retired, and retired ones with bookings in the
/// period — with their expected figures.
pub fn per_resource(
    raw: &Raw,
    ids: &HashSet<i64>,
    from: NaiveDate,
    to: NaiveDate,
) -> BTreeMap<i64, Expected> {
    ids.iter()
        .map(|id| (*id, expected(raw, *id, from, to)))
        .filter(|(id, e)| {
            raw.resources[id].2 != "retired"
                || (e.used, e.no_show_time, e.bookings, e.cancelled) != (0, 0, 0, 0)
        })
        .collect()
}

/// Checks every figure of `report` (of the resources in `ids`) against the raw rows.
fn check_report(raw: &Raw, report: &Report, ids: &HashSet<i64>, today: NaiveDate) {
    let period = report.period;
    let per = per_resource(raw, ids, period.from, period.to);
    assert_eq!(report.resource_count, per.len());
    assert_eq!(report.resources.len(), per.len());
    for line in &report.resources {
        let e = &per[&line.id];
        e.check(&line.figures, &format!("resource {}", line.id));
        assert_eq!(
            line.figures.external_organisations,
            e.organisations.len() as i64
        );
    }
    // Institutions, categories and the total: sums, with organisations counted once.
    for (lines, key) in [(&report.institutions, 0usize), (&report.categories, 1)] {
        let mut groups: BTreeMap<i64, Expected> = BTreeMap::new();
        for (id, e) in &per {
            let (i, c, _) = &raw.resources[id];
            groups
                .entry(if key == 0 { *i } else { *c })
                .or_default()
                .add(e);
        }
        assert_eq!(lines.len(), groups.len());
        for line in lines.iter() {
            let e = &groups[&line.id];
            e.check(&line.figures, &format!("group {}", line.id));
            assert_eq!(
                line.figures.external_organisations,
                e.organisations.len() as i64
            );
        }
    }
    let mut total = Expected::default();
    per.values().for_each(|e| total.add(e));
    total.check(&report.totals, "total");
    assert_eq!(
        report.totals.external_organisations,
        total.organisations.len() as i64
    );
    // Months: each clipped piece of the period on its own.
    let mut first = period.from;
    let mut months = Vec::new();
    while first <= period.to {
        let next = if first.month() == 12 {
            day(first.year() + 1, 1, 1)
        } else {
            day(first.year(), first.month() + 1, 1)
        };
        let last = next.pred_opt().unwrap().min(period.to);
        months.push((first, last));
        first = next;
    }
    assert_eq!(report.months.len(), months.len());
    for (m, (from, to)) in report.months.iter().zip(months) {
        assert_eq!((m.from, m.to), (from, to));
        let mut e = Expected::default();
        for id in per.keys() {
            e.add(&expected(raw, *id, from, to));
        }
        e.check(&m.figures, &format!("month {from}"));
    }
    // Heatmap.
    let grid = heatmap(raw, &per.keys().copied().collect(), period.from, period.to);
    assert_eq!(report.heatmap, grid, "heatmap");
    assert_eq!(
        grid.iter().flatten().sum::<i64>(),
        total.used,
        "the heatmap holds every used hour"
    );
    // Idle list: open resources used less than the threshold.
    let idle: BTreeSet<i64> = per
        .iter()
        .filter(|(_, e)| {
            e.available > 0 && (e.used as f64) < report.idle_below * e.available as f64
        })
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(
        report.idle.iter().map(|l| l.id).collect::<BTreeSet<_>>(),
        idle
    );
    assert_eq!(report.idle_count, idle.len());
    // Accreditation standing today.
    let (mut valid, mut expiring, mut expired) = (0, 0, 0);
    for (id, from, until) in &raw.accreditations {
        if !ids.contains(id) || raw.resources[id].2 == "retired" {
            continue;
        }
        if today > *until || today < *from {
            expired += 1;
        } else if (*until - today).num_days() <= 60 {
            expiring += 1;
        } else {
            valid += 1;
        }
    }
    let c = report.accreditation_counts;
    assert_eq!((c.valid, c.expiring, c.expired), (valid, expiring, expired));
    assert_eq!(report.accreditation.len() as i64, expiring + expired);
}

/// Adds what a generated zone lacks: bookings across the edges of Q3 2026 and of its months, a
/// no-show and a cancellation, zone and resource closed days, a blackout across the start.
async fn add_edge_cases(app: &TestApp) -> (i64, i64) {
    let pool = app.state.db.pool();
    let (r1, institution): (i64, i64) =
        sqlx::query_as("SELECT id, institution_id FROM resources ORDER BY id LIMIT 1")
            .fetch_one(pool)
            .await
            .unwrap();
    let r2: i64 = sqlx::query_scalar("SELECT id FROM resources ORDER BY id LIMIT 1 OFFSET 1")
        .fetch_one(pool)
        .await
        .unwrap();
    let (user, sme_org): (i64, i64) = sqlx::query_as(
        "SELECT u.id, o.id FROM users u JOIN organisations o ON o.id = u.organisation_id \
         WHERE o.kind <> 'institution' AND o.is_sme ORDER BY u.id LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let add = |resource: i64, org: i64, s: i64, e: i64, status: &'static str, cat: &'static str| {
        sqlx::query(
            "INSERT INTO bookings (resource_id, user_id, organisation_id, starts_at, ends_at, blocked_from, blocked_until, \
               status, customer_category, price_fen, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $4, $5, $6, $7, 12345, 0, 0)",
        )
        .bind(resource)
        .bind(user)
        .bind(org)
        .bind(s)
        .bind(e)
        .bind(status)
        .bind(cat)
        .execute(pool)
    };
    // Completed by the owner across the quarter's start (22:00 on 30 June to 02:00 on 1 July);
    // by an SME across the end of July; a no-show across the quarter's end; a cancellation.
    let edges = [
        (
            r1,
            institution,
            (day(2026, 6, 30), 1320),
            (day(2026, 7, 1), 120),
            "completed",
            "own",
        ),
        (
            r1,
            sme_org,
            (day(2026, 7, 31), 1200),
            (day(2026, 8, 1), 240),
            "completed",
            "sme",
        ),
        (
            r2,
            sme_org,
            (day(2026, 9, 30), 1380),
            (day(2026, 10, 1), 60),
            "no_show",
            "sme",
        ),
        (
            r2,
            sme_org,
            (day(2026, 8, 5), 600),
            (day(2026, 8, 5), 720),
            "cancelled",
            "sme",
        ),
    ];
    for (resource, org, (d1, m1), (d2, m2), status, category) in edges {
        add(
            resource,
            org,
            local(d1, m1),
            local(d2, m2),
            status,
            category,
        )
        .await
        .unwrap();
    }
    // Zone holiday, a day the second resource is closed, a blackout across the quarter's start.
    let zone: i64 = sqlx::query_scalar("SELECT id FROM zones LIMIT 1")
        .fetch_one(pool)
        .await
        .unwrap();
    for (resource, d) in [(None, "2026-09-15"), (Some(r2), "2026-08-10")] {
        sqlx::query("INSERT INTO closure_days (zone_id, resource_id, day) VALUES ($1, $2, $3)")
            .bind(zone)
            .bind(resource)
            .bind(d)
            .execute(pool)
            .await
            .unwrap();
    }
    sqlx::query(
        "INSERT INTO blackouts (resource_id, starts_at, ends_at, reason_kind, created_at) VALUES ($1, $2, $3, 'calibration', 0)",
    )
    .bind(r2)
    .bind(local(day(2026, 6, 29), 600))
    .bind(local(day(2026, 7, 2), 600))
    .execute(pool)
    .await
    .unwrap();
    (zone, institution)
}

/// Generates a small zone into `app` (empty), adds the edge cases, and checks the zone and an
/// institution report over four periods against the independent computation.
pub async fn check_generated_zone(app: &TestApp) {
    let today = super::now().with_timezone(&Shanghai).date_naive();
    let scale = crate::common::generate::Scale {
        institutions: 4,
        resources: 80,
        bookings: 8_000,
        seed: 11,
    };
    crate::common::generate::generate(&app.state.db, scale, &Shanghai, today)
        .await
        .expect("generated");
    let (zone, institution) = add_edge_cases(app).await;
    check_periods(app, zone, institution, today).await;
    // Changes after the fact go through the rollups' triggers: cancellations, a move across
    // local midnight at a month's end, a booking moved to another resource, a no-show recorded,
    // a price corrected, a booking deleted; every figure is compared again.
    change_bookings(app).await;
    check_periods(app, zone, institution, today).await;
    // Rebuilt from the bookings (a new process finding another calendar), the rollups are the same.
    let before = rollup_rows(app).await;
    sqlx::query("UPDATE report_calendar SET fingerprint = 'another'")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let fresh = app.state.db.clone_without_caches();
    fresh.prepare_reports(&Shanghai).await.expect("rebuilt");
    assert_eq!(rollup_rows(app).await, before);
    // The edge cases are in the figures: Q3 counts 2 h of the booking across its start.
    let q3 = Period::choose(
        Some(PeriodKind::Quarter),
        Some(2026),
        Some(3),
        (None, None),
        today,
    )
    .unwrap();
    let report = app
        .state
        .db
        .report(Scope::Zone(ZoneId(zone)), q3, &Shanghai, today, 0.25)
        .await
        .unwrap();
    assert!(report.totals.no_shows >= 1 && report.totals.cancelled >= 1 && report.totals.sme > 0);
}

/// The zone's and the institution's reports over a quarter, a year, a month and a custom period
/// against the independent computation over the bookings as they are now.
async fn check_periods(app: &TestApp, zone: i64, institution: i64, today: NaiveDate) {
    let raw = raw(app).await;
    let all: HashSet<i64> = raw.resources.keys().copied().collect();
    let own: HashSet<i64> = raw
        .resources
        .iter()
        .filter(|(_, r)| r.0 == institution)
        .map(|(id, _)| *id)
        .collect();
    let periods = [
        Period::choose(
            Some(PeriodKind::Quarter),
            Some(2026),
            Some(3),
            (None, None),
            today,
        ),
        Period::choose(
            Some(PeriodKind::Year),
            Some(2026),
            None,
            (None, None),
            today,
        ),
        Period::choose(
            Some(PeriodKind::Month),
            Some(2026),
            Some(8),
            (None, None),
            today,
        ),
        Period::choose(
            Some(PeriodKind::Custom),
            None,
            None,
            (Some(day(2026, 6, 20)), Some(day(2026, 8, 3))),
            today,
        ),
    ];
    for period in periods {
        let period = period.unwrap();
        let zone_report = app
            .state
            .db
            .report(Scope::Zone(ZoneId(zone)), period, &Shanghai, today, 0.25)
            .await
            .expect("zone report");
        assert!(zone_report.totals.used > 0 && zone_report.totals.external > 0);
        check_report(&raw, &zone_report, &all, today);
        let institution_report = app
            .state
            .db
            .report(
                Scope::Institution(OrganisationId(institution)),
                period,
                &Shanghai,
                today,
                0.25,
            )
            .await
            .expect("institution report");
        check_report(&raw, &institution_report, &own, today);
        assert_eq!(institution_report.institutions.len(), 1);
    }
}

/// Every booking change the rollups must follow, made as the services make them (SQL updates).
async fn change_bookings(app: &TestApp) {
    let pool = app.state.db.pool();
    let run = |sql: &'static str| async move {
        sqlx::query(sql).execute(pool).await.unwrap();
    };
    // Cancel every tenth confirmed or completed booking.
    run("UPDATE bookings SET status = 'cancelled' WHERE id % 10 = 0 AND status IN ('confirmed', 'completed')").await;
    // Move some by a day and a half (many across a local midnight, some across a month's end).
    run(
        "UPDATE bookings SET starts_at = starts_at + 129600, ends_at = ends_at + 129600, \
         blocked_from = blocked_from + 129600, blocked_until = blocked_until + 129600 \
         WHERE id % 10 = 3 AND status = 'cancelled'",
    )
    .await;
    // One used booking put across the local midnight between 31 August and 1 September.
    let across = local(day(2026, 8, 31), 1380);
    sqlx::query(
        "UPDATE bookings SET starts_at = $1, ends_at = $2, blocked_from = $1, blocked_until = $2, status = 'completed' \
         WHERE id = (SELECT MIN(id) FROM bookings WHERE status = 'cancelled')",
    )
    .bind(across)
    .bind(across + 3 * 3600)
    .execute(pool)
    .await
    .unwrap();
    // Recorded as no-shows; prices corrected; a booking moved to another resource; one deleted.
    run("UPDATE bookings SET status = 'no_show' WHERE id % 17 = 5 AND status = 'completed'").await;
    run("UPDATE bookings SET price_fen = price_fen + 100 WHERE id % 13 = 2").await;
    run("UPDATE bookings SET resource_id = (SELECT MIN(id) FROM resources), organisation_id = (SELECT MAX(organisation_id) FROM bookings) \
         WHERE id = (SELECT MAX(id) FROM bookings WHERE status = 'completed')").await;
    run("DELETE FROM booking_events WHERE booking_id = (SELECT MIN(id) FROM bookings WHERE status = 'completed')").await;
    run(
        "DELETE FROM bookings WHERE id = (SELECT MIN(id) FROM bookings WHERE status = 'completed')",
    )
    .await;
}

/// The rollup tables' rows that count (zeros left by changes are equal to absence).
async fn rollup_rows(app: &TestApp) -> Vec<Vec<i64>> {
    let pool = app.state.db.pool();
    let mut rows: Vec<Vec<i64>> = Vec::new();
    let months: Vec<(i64, i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT month_start, resource_id, used_s + 3 * no_show_s + 5 * external_s + 7 * sme_s, bookings_n + 3 * cancelled_n + 5 * no_shows_n, income_fen, \
         used_s + no_show_s + external_s + sme_s + bookings_n + cancelled_n + no_shows_n + income_fen FROM usage_months \
         WHERE used_s <> 0 OR no_show_s <> 0 OR external_s <> 0 OR sme_s <> 0 OR bookings_n <> 0 OR cancelled_n <> 0 OR no_shows_n <> 0 OR income_fen <> 0 \
         ORDER BY 1, 2",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.extend(
        months
            .into_iter()
            .map(|r| vec![r.0, r.1, r.2, r.3, r.4, r.5]),
    );
    let orgs: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT month_start, resource_id, organisation_id, n FROM usage_orgs WHERE n <> 0 ORDER BY 1, 2, 3",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.extend(orgs.into_iter().map(|r| vec![r.0, r.1, r.2, r.3]));
    let heat: Vec<(i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT month_start, institution_id, minute, length_s, n FROM usage_heat WHERE n <> 0 ORDER BY 1, 2, 3, 4",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.extend(heat.into_iter().map(|r| vec![r.0, r.1, r.2, r.3, r.4]));
    let years: Vec<(i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT year_start, resource_id, used_s + 3 * no_show_s + 5 * external_s + 7 * sme_s, bookings_n + 3 * cancelled_n + 5 * no_shows_n, income_fen \
         FROM usage_years WHERE used_s <> 0 OR no_show_s <> 0 OR bookings_n <> 0 OR cancelled_n <> 0 OR income_fen <> 0 ORDER BY 1, 2",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.extend(years.into_iter().map(|r| vec![r.0, r.1, r.2, r.3, r.4]));
    let org_years: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT year_start, resource_id, organisation_id, n FROM usage_orgs_years WHERE n <> 0 ORDER BY 1, 2, 3",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.extend(org_years.into_iter().map(|r| vec![r.0, r.1, r.2, r.3]));
    let heat_years: Vec<(i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT year_start, institution_id, minute, length_s, n FROM usage_heat_years WHERE n <> 0 ORDER BY 1, 2, 3, 4",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.extend(
        heat_years
            .into_iter()
            .map(|r| vec![r.0, r.1, r.2, r.3, r.4]),
    );
    assert!(rows.len() > 100, "the rollups hold the generated zone");
    rows
}
