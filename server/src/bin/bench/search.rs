//! `bench` (no options but --runs): searches and reports measured in the backend on the zone in
//! the database. Each figure is printed (median, p95, p99, max over a fixed number of runs);
//! nothing here passes or fails on time.

use crate::stats::{option, p95_within, Report, Target};
use app::backend::report::Scope;
use app::backend::AppState;
use app::domain::availability::FreeQuery;
use app::domain::catalogue::{CatalogueFilter, CatalogueSort, ResourceKind};
use app::domain::ids::{OrganisationId, ZoneId};
use app::domain::report::{Period, PeriodKind};
use app::domain::time::TimeSlot;
use chrono::{Duration, NaiveDate, TimeZone};
use std::time::Instant;

pub async fn run(state: &AppState, args: &[String]) -> anyhow::Result<()> {
    let runs: usize = option(args, "--runs", 50)?;
    let tz = state.tz;
    let now = state.clock.now();
    let today = now.with_timezone(&tz).date_naive();
    let resources: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM resources")
        .fetch_one(state.db.pool())
        .await?;
    let bookings: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bookings")
        .fetch_one(state.db.pool())
        .await?;
    println!(
        "\nzone: {resources} resources, {bookings} bookings; {} backend; {runs} runs each; times in ms\n",
        state.db.dialect().name()
    );
    Report::header();
    let mut report = Report::default();
    let midnight = |d: NaiveDate| {
        tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map(|t| t.to_utc())
            .unwrap_or(now)
    };
    let category = |code: &str| {
        let code = code.to_string();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT id FROM categories WHERE code = $1")
                .bind(code)
                .fetch_optional(state.db.pool())
                .await
        }
    };
    let environment = category("environment").await?;
    let searches: Vec<(&str, i64, i64, CatalogueFilter)> = vec![
        (
            "time-first: next 7 days, 2 h, everything",
            7,
            2,
            CatalogueFilter::default(),
        ),
        (
            "time-first: next 7 days, 4 h, facilities",
            7,
            4,
            CatalogueFilter {
                kind: Some(ResourceKind::Facility),
                ..CatalogueFilter::default()
            },
        ),
        (
            "time-first: next 31 days, 8 h, one category",
            31,
            8,
            CatalogueFilter {
                category: environment.map(app::domain::ids::CategoryId),
                ..CatalogueFilter::default()
            },
        ),
        (
            "time-first: next 7 days, 2 h, standard",
            7,
            2,
            CatalogueFilter {
                standard: Some("GB/T 17626.3".into()),
                ..CatalogueFilter::default()
            },
        ),
    ];
    for (name, days, hours, filter) in searches {
        let mut samples = Vec::with_capacity(runs);
        let mut answer = (0, 0);
        for run in 0..runs {
            // A different week each run, so no run answers from a warmer cache than a person would.
            let from = today + Duration::days(1 + (run as i64 % 28));
            let range = TimeSlot::new(midnight(from), midnight(from + Duration::days(days)))
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let query = FreeQuery {
                range,
                minutes: hours * 60,
                filter: filter.clone(),
            };
            let started = Instant::now();
            // What the page asks for: the first page of answers.
            let page = state
                .db
                .find_free_page(
                    &query,
                    &tz,
                    now,
                    1,
                    app::domain::availability::FREE_PAGE_SIZE,
                )
                .await?;
            samples.push(started.elapsed().as_secs_f64() * 1000.0);
            answer = (page.bookable, page.total);
        }
        report.add(
            name,
            1,
            &mut samples,
            None,
            0,
            p95_within(20.0),
            &format!("{} of {} bookable (last run)", answer.0, answer.1),
        );
    }
    for (name, words) in [
        ("catalogue: search \"环境试验\", page 1", "环境试验"),
        (
            "catalogue: search \"Keysight N9020B\", page 1",
            "Keysight N9020B",
        ),
    ] {
        let mut samples = Vec::with_capacity(runs);
        let mut total = 0;
        for _ in 0..runs {
            let filter = CatalogueFilter {
                text: CatalogueFilter::words(words),
                ..CatalogueFilter::default()
            };
            let started = Instant::now();
            let page = state
                .db
                .catalogue(&filter, CatalogueSort::Category, 1, false, today)
                .await?;
            samples.push(started.elapsed().as_secs_f64() * 1000.0);
            total = page.total;
        }
        report.add(
            name,
            1,
            &mut samples,
            None,
            0,
            |_| None,
            &format!("{total} matches"),
        );
    }
    // Reports for this calendar year: the zone, and its largest institution.
    let zone: i64 = sqlx::query_scalar("SELECT MIN(id) FROM zones")
        .fetch_one(state.db.pool())
        .await?;
    let largest: i64 = sqlx::query_scalar(
        "SELECT institution_id FROM resources GROUP BY institution_id ORDER BY COUNT(*) DESC, institution_id LIMIT 1",
    )
    .fetch_one(state.db.pool())
    .await?;
    let year = Period::choose(Some(PeriodKind::Year), None, None, (None, None), today)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    for (name, scope, target) in [
        (
            "zone report: this year",
            Scope::Zone(ZoneId(zone)),
            Some(150.0),
        ),
        (
            "institution report: this year, largest",
            Scope::Institution(OrganisationId(largest)),
            None,
        ),
    ] {
        let mut samples = Vec::new();
        let mut note = String::new();
        for _ in 0..runs.min(20) {
            let started = Instant::now();
            let report = state.db.report(scope, year, &tz, today, 0.1).await?;
            samples.push(started.elapsed().as_secs_f64() * 1000.0);
            note = format!(
                "{} resources, {:.0} h used, utilisation {:.1}%",
                report.resource_count,
                report.totals.used as f64 / 3600.0,
                report.totals.utilisation().unwrap_or(0.0) * 100.0
            );
        }
        let target = |r: &crate::stats::Row| -> Target {
            target.map(|ms| (format!("p95 ≤ {ms} ms"), r.p95_ms <= ms))
        };
        report.add(name, 1, &mut samples, None, 0, target, &note);
    }
    report.write_json(
        args,
        serde_json::json!({
            "kind": "backend",
            "database": state.db.dialect().name(),
            "resources": resources,
            "bookings": bookings,
            "machine": crate::stats::machine(),
        }),
    )
}
