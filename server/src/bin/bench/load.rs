//! `bench --http`: the real router served on 127.0.0.1, driven over HTTP by its own
//! clients (bounded counts), with the raw insert rate of the same database as the limit that
//! booking throughput is compared with. Prints a table; passes or fails nothing.

use crate::stats::{p95_within, Report};
use app::backend::AppState;
use chrono::{Duration, TimeZone};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One HTTP/1.1 request on a fresh connection; returns (status, headers and body).
async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
    cookie: &str,
) -> (u16, String) {
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else {
        return (0, String::new());
    };
    let text = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Accept: application/json\r\nCookie: labshare_session={cookie}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    if stream.write_all(text.as_bytes()).await.is_err() {
        return (0, String::new());
    }
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, response)
}

fn encode(v: &str) -> String {
    app::components::layout::urlencode(v).replace('/', "%2F")
}

/// Latencies (ms) and outcomes of one scenario.
#[derive(Default)]
struct Outcome {
    samples: Vec<f64>,
    errors: usize,
    conflicts: usize,
    elapsed: f64,
    /// The largest response body (bytes).
    bytes: usize,
}

fn print(
    report: &mut Report,
    name: &str,
    clients: usize,
    o: &mut Outcome,
    target: impl FnOnce(&crate::stats::Row) -> crate::stats::Target,
    note: &str,
) -> crate::stats::Row {
    report.add(
        name,
        clients,
        &mut o.samples,
        Some(o.elapsed),
        o.errors,
        target,
        note,
    )
}

/// `clients` tasks, each sending `per_client` requests made by `make(client, n)`, at once.
async fn drive<F>(addr: SocketAddr, clients: usize, per_client: usize, make: F) -> Outcome
where
    F: Fn(usize, usize) -> (String, String, String, String) + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let make = make.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::with_capacity(per_client);
            for n in 0..per_client {
                let (method, path, body, cookie) = make(c, n);
                let t = Instant::now();
                let (status, response) = request(addr, &method, &path, &body, &cookie).await;
                let bytes = response
                    .find("\r\n\r\n")
                    .map_or(0, |h| response.len() - h - 4);
                out.push((t.elapsed().as_secs_f64() * 1000.0, status, bytes));
            }
            out
        }));
    }
    let mut outcome = Outcome::default();
    for t in tasks {
        for (ms, status, bytes) in t.await.unwrap_or_default() {
            outcome.samples.push(ms);
            outcome.bytes = outcome.bytes.max(bytes);
            match status {
                200 => {}
                409 => outcome.conflicts += 1,
                _ => outcome.errors += 1,
            }
        }
    }
    outcome.elapsed = started.elapsed().as_secs_f64();
    outcome
}

/// Resources open around the clock with no notice, buffers or approval, for the booking runs.
async fn bench_resources(state: &AppState, count: usize) -> anyhow::Result<Vec<i64>> {
    let pool = state.db.pool();
    let (institution, category): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT MIN(id) FROM organisations WHERE kind = 'institution'), (SELECT MIN(id) FROM categories)",
    )
    .fetch_one(pool)
    .await?;
    let mut ids = Vec::new();
    for n in 0..count {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO resources (institution_id, category_id, kind, name_zh, name_en, created_at, updated_at) \
             VALUES ($1, $2, 'instrument', $3, $3, 0, 0) RETURNING id",
        )
        .bind(institution)
        .bind(category)
        .bind(format!("压测仪器 {n}"))
        .fetch_one(pool)
        .await?;
        sqlx::query(
            "INSERT INTO booking_rules (resource_id, slot_minutes, min_duration_minutes, max_duration_minutes, min_notice_minutes, \
               max_notice_days, buffer_before_minutes, buffer_after_minutes, approval_required, audience, cancel_cutoff_minutes) \
             VALUES ($1, 60, 60, 480, 0, 365, 0, 0, FALSE, 'everyone', 0)",
        )
        .bind(id)
        .execute(pool)
        .await?;
        for weekday in 1..=7 {
            sqlx::query("INSERT INTO opening_hours (resource_id, weekday, opens_minute, closes_minute) VALUES ($1, $2, 0, 1440)")
                .bind(id)
                .bind(weekday)
                .execute(pool)
                .await?;
        }
        sqlx::query("INSERT INTO rates (resource_id, customer_category, per_hour_fen, minimum_fen) VALUES ($1, 'external', 10000, 0)")
            .bind(id)
            .execute(pool)
            .await?;
        ids.push(id);
    }
    Ok(ids)
}

/// Single-row inserts, one transaction each, on the same database: the most bookings per
/// second it could take at its durability settings.
async fn insert_limit(state: &AppState, count: usize) -> anyhow::Result<f64> {
    let pool = state.db.pool();
    sqlx::query("CREATE TABLE IF NOT EXISTS bench_inserts (id BIGINT PRIMARY KEY, resource_id BIGINT NOT NULL, starts_at BIGINT NOT NULL, ends_at BIGINT NOT NULL)")
        .execute(pool)
        .await?;
    sqlx::query("DELETE FROM bench_inserts")
        .execute(pool)
        .await?;
    let started = Instant::now();
    for n in 0..count as i64 {
        let mut tx = pool.begin().await?;
        sqlx::query("INSERT INTO bench_inserts (id, resource_id, starts_at, ends_at) VALUES ($1, $2, $3, $4)")
            .bind(n)
            .bind(n % 100)
            .bind(n * 3600)
            .bind(n * 3600 + 3600)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    let rate = count as f64 / started.elapsed().as_secs_f64();
    sqlx::query("DROP TABLE bench_inserts")
        .execute(pool)
        .await?;
    Ok(rate)
}

/// Signs `email` in with the generated zone's password over HTTP; its session token.
async fn sign_in(addr: std::net::SocketAddr, email: &str) -> anyhow::Result<String> {
    let body = format!(
        "email={}&password={}",
        encode(email),
        encode(app::backend::demo::DEMO_PASSWORD)
    );
    let (status, response) = request(addr, "POST", "/api/sign_in", &body, "").await;
    anyhow::ensure!(status == 200, "sign-in of {email}: {status}");
    Ok(response
        .split("labshare_session=")
        .nth(1)
        .and_then(|t| t.split(';').next())
        .unwrap_or_default()
        .to_string())
}

pub async fn run(state: AppState, args: &[String]) -> anyhow::Result<()> {
    let mut report = Report::default();
    let rss_idle = crate::stats::resident();
    // `--target HOST:PORT`: drive servers already running on the same database (e.g. several
    // behind nginx) instead of a router in this process.
    let target: Option<SocketAddr> = match args.iter().position(|a| a == "--target") {
        Some(i) => Some(
            args.get(i + 1)
                .and_then(|a| a.parse().ok())
                .ok_or_else(|| anyhow::anyhow!("--target needs HOST:PORT"))?,
        ),
        None => None,
    };
    let (addr, server, fresh) = match target {
        Some(addr) => (addr, None, None),
        None => {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let addr = listener.local_addr()?;
            let service =
                server::router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
            let fresh = server::keep_search_fresh(state.clone(), None);
            let server = tokio::spawn(async move {
                let _ = axum::serve(listener, service).await;
            });
            (addr, Some(server), Some(fresh))
        }
    };

    // 64 bookers, signed in over HTTP.
    let emails: Vec<String> = sqlx::query_scalar(
        "SELECT u.email FROM users u JOIN organisations o ON o.id = u.organisation_id \
         WHERE o.kind <> 'institution' AND u.password_hash IS NOT NULL ORDER BY u.id LIMIT 64",
    )
    .fetch_all(state.db.pool())
    .await?;
    anyhow::ensure!(
        emails.len() == 64,
        "the zone needs 64 bookers with passwords (server generate)"
    );
    let mut sessions = Vec::new();
    for email in &emails {
        sessions.push(sign_in(addr, email).await?);
    }
    let sessions = Arc::new(sessions);
    let resources = Arc::new(bench_resources(&state, 64).await?);
    let tz = state.tz;
    let today = state.clock.now().with_timezone(&tz).date_naive();
    let limit = insert_limit(&state, 2_000).await?;

    println!(
        "\nHTTP on {addr}; {} database; raw insert limit (one row per transaction, same database): {limit:.0}/s\n",
        state.db.dialect().name()
    );
    Report::header();

    // 1. Booking create on distinct free slots: client c books resource c, hour after hour, on a
    // day of its own for each run.
    let slot = move |day: i64, hour: i64| {
        let d = today + Duration::days(day);
        let at = |h: i64| {
            tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
                .earliest()
                .map(|t| {
                    (t + Duration::hours(h))
                        .format("%Y-%m-%dT%H:%M")
                        .to_string()
                })
                .unwrap_or_default()
        };
        (at(hour), at(hour + 1))
    };
    for (run, clients) in [1_usize, 8, 32, 64].into_iter().enumerate() {
        let per_client = 24;
        let (sessions, resources) = (sessions.clone(), resources.clone());
        let mut outcome = drive(addr, clients, per_client, move |c, n| {
            let (starts, ends) = slot(10 + run as i64, n as i64);
            let body = format!(
                "resource={}&starts={}&ends={}&purpose=%E5%8E%8B%E6%B5%8B&contact_phone=13900000000",
                resources[c],
                encode(&starts),
                encode(&ends)
            );
            ("POST".into(), "/api/book".into(), body, sessions[c].clone())
        })
        .await;
        let rate = outcome.samples.len() as f64 / outcome.elapsed;
        let (commits, changes) = state.db.group_commits();
        let note = match target {
            None => format!(
                "{:.2}× the insert limit; {:.1} changes per commit so far",
                rate / limit,
                changes as f64 / commits.max(1) as f64
            ),
            Some(_) => format!("{:.2}× the insert limit", rate / limit),
        };
        let target = move |r: &crate::stats::Row| {
            (clients == 32).then(|| {
                (
                    "≥ 1.0× the insert limit, p99 ≤ 25 ms".to_string(),
                    r.per_second >= limit && r.p99_ms <= 25.0,
                )
            })
        };
        print(
            &mut report,
            "booking create, distinct slots",
            clients,
            &mut outcome,
            target,
            &note,
        );
    }

    // `--bookings-only`: the booking runs alone (for a profile of them).
    if !args.iter().any(|a| a == "--bookings-only") {
        // 2. The same-slot race: 64 clients × 20 slots on one resource.
        let target = resources[0];
        let mut race = Outcome::default();
        let started = Instant::now();
        for s in 0..20_i64 {
            let (starts, ends) = slot(30, s);
            let sessions = sessions.clone();
            let mut o = drive(addr, 64, 1, move |c, _| {
                let body = format!(
                    "resource={target}&starts={}&ends={}&purpose=race&contact_phone=13900000000",
                    encode(&starts),
                    encode(&ends)
                );
                ("POST".into(), "/api/book".into(), body, sessions[c].clone())
            })
            .await;
            race.samples.append(&mut o.samples);
            race.errors += o.errors;
            race.conflicts += o.conflicts;
        }
        race.elapsed = started.elapsed().as_secs_f64();
        let overlaps: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM bookings a JOIN bookings b ON a.resource_id = b.resource_id AND a.id < b.id \
         WHERE a.resource_id = $1 AND a.status IN ('pending', 'confirmed') AND b.status IN ('pending', 'confirmed') \
           AND a.blocked_from < b.blocked_until AND b.blocked_from < a.blocked_until",
    )
    .bind(target)
    .fetch_one(state.db.pool())
    .await?;
        let winners = race.samples.len() - race.conflicts - race.errors;
        let note = format!(
            "{winners} won, {} conflicts, {overlaps} overlaps",
            race.conflicts
        );
        let (conflicts, errors) = (race.conflicts, race.errors);
        print(
            &mut report,
            "same-slot race, 64 × 20 slots",
            64,
            &mut race,
            move |_| {
                Some((
                    "20 won, 1,260 conflicts, 0 overlaps, 0 errors".into(),
                    winners == 20 && conflicts == 1260 && overlaps == 0 && errors == 0,
                ))
            },
            &note,
        );

        // 3–4. Pages rendered by the server.
        let resource_page = format!("/resources/{}", resources[1]);
        type Goal = Option<(f64, Option<usize>)>;
        for (name, path, clients, goal) in [
            (
                "time-first search page (/free, 2 h)",
                "/free?hours=2".to_string(),
                8,
                Some((30.0, None)),
            ),
            (
                "catalogue page, search",
                "/?q=%E7%8E%AF%E5%A2%83".to_string(),
                8,
                Some((15.0, None)),
            ),
            ("resource week page", resource_page.clone(), 8, None),
            (
                "schedule page, 1,000 resources, a day",
                format!(
                    "/schedule?size=1000&day={}",
                    today + chrono::Duration::days(1)
                ),
                2,
                Some((60.0, Some(250 * 1024))),
            ),
        ] as [(&str, String, usize, Goal); 4]
        {
            let path2 = path.clone();
            let mut o = drive(addr, clients, 10, move |_, _| {
                ("GET".into(), path2.clone(), String::new(), String::new())
            })
            .await;
            let bytes = o.bytes;
            let target = move |r: &crate::stats::Row| {
                goal.map(|(ms, size)| match size {
                    None => (format!("p95 ≤ {ms} ms"), r.p95_ms <= ms),
                    Some(size) => (
                        format!("p95 ≤ {ms} ms, ≤ {} KB", size / 1024),
                        r.p95_ms <= ms && bytes <= size,
                    ),
                })
            };
            print(
                &mut report,
                name,
                clients,
                &mut o,
                target,
                &format!("{path}, {} KB", bytes / 1024),
            );
        }
        // 5. The zone report for this year, as its manager reads it (page and workbook).
        let manager = sign_in(addr, "manager@bench.example").await?;
        for (name, path) in [
            ("zone report page, this year", "/reports?kind=year"),
            (
                "zone report workbook (XLSX), this year",
                "/reports/export?which=zone&kind=year&format=xlsx",
            ),
        ] {
            let (path2, cookie) = (path.to_string(), manager.clone());
            let mut o = drive(addr, 2, 5, move |_, _| {
                ("GET".into(), path2.clone(), String::new(), cookie.clone())
            })
            .await;
            let bytes = o.bytes;
            print(
                &mut report,
                name,
                2,
                &mut o,
                p95_within(300.0),
                &format!("{path}, {} KB", bytes / 1024),
            );
        }
    }
    if let (Some(server), Some(fresh)) = (server, fresh) {
        server.abort();
        fresh.abort();
    }
    let rss_loaded = crate::stats::resident();
    if target.is_none() {
        println!(
            "\nresident memory of the process serving: its own {} MB before the load, {} MB after it \
             (besides the database file's pages it maps: {} MB, then {} MB, counted once per connection)",
            rss_idle.own_kb / 1024,
            rss_loaded.own_kb / 1024,
            rss_idle.mapped_kb / 1024,
            rss_loaded.mapped_kb / 1024
        );
    }
    report.write_json(
        args,
        serde_json::json!({
            "kind": "http",
            "database": state.db.dialect().name(),
            "insert_limit_per_s": limit,
            "target": target.map(|a| a.to_string()),
            "resident_mb": { "before": rss_idle.own_kb / 1024, "after": rss_loaded.own_kb / 1024 },
            "mapped_file_mb": { "before": rss_idle.mapped_kb / 1024, "after": rss_loaded.mapped_kb / 1024 },
            "machine": crate::stats::machine(),
        }),
    )
}
