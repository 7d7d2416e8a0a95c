//! The same-slot race through the real HTTP stack: a real server on 127.0.0.1, many clients
//! booking the same slot at once. Used by the SQLite test (bookings.rs) and the PostgreSQL one.

use super::TestApp;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Barrier;

/// A resource open around the clock with one-hour steps, no notice, buffers or approval, in the
/// first institution of the demo zone. Returns its id.
pub async fn open_resource(app: &TestApp, buffers: (i64, i64)) -> i64 {
    open_resource_on(app.state.db.pool(), buffers).await
}

/// The same, on any database (a server process's, say).
pub async fn open_resource_on(pool: &sqlx::AnyPool, buffers: (i64, i64)) -> i64 {
    let (institution, category): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT MIN(id) FROM organisations WHERE kind = 'institution'), (SELECT MIN(id) FROM categories)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO resources (institution_id, category_id, kind, name_zh, name_en, created_at, updated_at) \
         VALUES ($1, $2, 'instrument', '竞争测试仪', 'Race test instrument', 0, 0) RETURNING id",
    )
    .bind(institution)
    .bind(category)
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO booking_rules (resource_id, slot_minutes, min_duration_minutes, max_duration_minutes, min_notice_minutes, \
           max_notice_days, buffer_before_minutes, buffer_after_minutes, approval_required, audience, cancel_cutoff_minutes) \
         VALUES ($1, 60, 60, 480, 0, 365, $2, $3, FALSE, 'everyone', 0)",
    )
    .bind(id)
    .bind(buffers.0)
    .bind(buffers.1)
    .execute(pool)
    .await
    .unwrap();
    for weekday in 1..=7 {
        sqlx::query("INSERT INTO opening_hours (resource_id, weekday, opens_minute, closes_minute) VALUES ($1, $2, 0, 1440)")
            .bind(id)
            .bind(weekday)
            .execute(pool)
            .await
            .unwrap();
    }
    sqlx::query("INSERT INTO rates (resource_id, customer_category, per_hour_fen, minimum_fen) VALUES ($1, 'external', 10000, 0)")
        .bind(id)
        .execute(pool)
        .await
        .unwrap();
    id
}

/// Serves `app` on 127.0.0.1 (any free port) until the returned handle is aborted.
pub async fn serve(app: &TestApp) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = server::router(app.state.clone())
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    let handle = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    (addr, handle)
}

/// The booking form for hour `hour` (0–22) of local day `day` on `resource`.
pub fn hour_booking(resource: i64, day: &str, hour: usize, purpose: &str) -> String {
    super::form(&[
        ("resource", &resource.to_string()),
        ("starts", &format!("{day}T{hour:02}:00")),
        ("ends", &format!("{day}T{:02}:00", hour + 1)),
        ("purpose", purpose),
        ("contact_phone", "13900001111"),
    ])
}

/// One HTTP/1.1 POST of a form to a server function; returns the status and body.
pub async fn post(
    addr: std::net::SocketAddr,
    endpoint: &str,
    body: &str,
    session: &str,
) -> (u16, String) {
    let request = format!(
        "POST /api/{endpoint} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Accept: application/json\r\nCookie: labshare_session={session}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    exchange(addr, &request).await
}

/// Sends one whole HTTP/1.1 request (with `Connection: close`) over a fresh connection to
/// `addr`; returns the status and the body.
pub async fn exchange(addr: std::net::SocketAddr, request: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[derive(Debug, Default)]
pub struct RaceOutcome {
    pub won: usize,
    pub conflicts: usize,
    pub server_errors: usize,
    pub other: Vec<(u16, String)>,
}

/// `clients` clients, each with its own session, book the same slot together, slot after slot.
pub async fn race(
    app: &TestApp,
    resource: i64,
    clients: usize,
    slots: usize,
    day: &str,
) -> RaceOutcome {
    let (addr, server) = serve(app).await;
    let mut sessions = Vec::new();
    for _ in 0..clients {
        sessions.push(app.sign_in("liu.fang@nk-furniture.example").await);
    }
    let outcome = race_through(&[addr], sessions, resource, slots, day).await;
    server.abort();
    outcome
}

/// The same race, a client for each session, spread over several servers of one database:
/// client `i` books through `addrs[i % addrs.len()]`.
pub async fn race_through(
    addrs: &[std::net::SocketAddr],
    sessions: Vec<String>,
    resource: i64,
    slots: usize,
    day: &str,
) -> RaceOutcome {
    let barrier = Arc::new(Barrier::new(sessions.len()));
    let mut tasks = Vec::new();
    for (i, session) in sessions.into_iter().enumerate() {
        let barrier = barrier.clone();
        let day = day.to_string();
        let addr = addrs[i % addrs.len()];
        tasks.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            for slot in 0..slots {
                let body = hour_booking(resource, &day, slot, "并发测试");
                barrier.wait().await;
                answers.push(post(addr, "book", &body, &session).await);
            }
            answers
        }));
    }
    let mut outcome = RaceOutcome::default();
    for task in tasks {
        for (status, body) in task.await.unwrap() {
            match status {
                200 => outcome.won += 1,
                409 if body.contains("Conflict") => outcome.conflicts += 1,
                500..=599 => outcome.server_errors += 1,
                _ => outcome.other.push((status, body)),
            }
        }
    }
    outcome
}

/// The race's one outcome: a booking a slot, every other attempt a conflict, no error, and no
/// two active bookings of `resource` overlapping.
pub async fn assert_one_booking_a_slot(
    app: &TestApp,
    resource: i64,
    outcome: &RaceOutcome,
    clients: usize,
    slots: usize,
) {
    assert_eq!(
        (outcome.won, outcome.conflicts, outcome.server_errors),
        (slots, (clients - 1) * slots, 0),
        "{:?}",
        outcome.other
    );
    assert!(outcome.other.is_empty(), "{:?}", outcome.other);
    assert_eq!(overlapping_pairs(app, resource).await, 0);
}

/// Pairs of active bookings of `resource` whose blocked intervals overlap (must be none).
pub async fn overlapping_pairs(app: &TestApp, resource: i64) -> i64 {
    app.scalar(&format!(
        "SELECT COUNT(*) FROM bookings a JOIN bookings b ON a.resource_id = b.resource_id AND a.id < b.id \
         WHERE a.resource_id = {resource} AND a.status IN ('pending', 'confirmed') AND b.status IN ('pending', 'confirmed') \
           AND a.blocked_from < b.blocked_until AND b.blocked_from < a.blocked_until"
    ))
    .await
}
