//! Several server processes on one PostgreSQL database, as a deployment with more than one
//! server runs them: started together they migrate once and all serve; a booking made through
//! one is at once in the others' time-first search and schedule; its mail is delivered at once
//! and once, every server's sender woken by the commit (LISTEN/NOTIFY); the same-slot race
//! spread over them makes one booking a slot. Behind Debian's nginx with the repository's sample
//! configuration: each client's own address reaches the servers (trusted proxies), the race
//! holds, and a server killed mid-load loses nothing it acknowledged.

use crate::common;

use common::pg::PgServer;
use common::smtp::{free_port, maildir_messages, Smtpd};
use common::{ServerProcess, TestApp};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const BOOKER: &str = "liu.fang@nk-furniture.example";

/// One HTTP/1.1 request: the status, the head and the body.
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &str,
    body: &str,
) -> (u16, String, String) {
    http_from([127, 0, 0, 1], addr, method, path, headers, body).await
}

/// [`http`] from another loopback address (the whole of 127.0.0.0/8 is this machine), as a
/// second client on another machine would come.
async fn http_from(
    from: [u8; 4],
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &str,
    body: &str,
) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::from((from, 0)))
        .expect("a loopback address");
    let mut stream = socket.connect(addr).await.expect("connect");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    // A chunked answer: the chunks' sizes out.
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut out = String::new();
        let mut rest = body;
        while let Some((size, after)) = rest.split_once("\r\n") {
            let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if size == 0 {
                break;
            }
            out.push_str(&after[..size.min(after.len())]);
            rest = after.get(size + 2..).unwrap_or("");
        }
        out
    } else {
        body.to_string()
    };
    (status, head.to_string(), body)
}

/// The headers of a form post to a server function.
const FORM: &str =
    "Content-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\n";

/// The demo booker signed in through `addr`: the session token.
async fn sign_in(addr: SocketAddr) -> String {
    let body = common::form(&[
        ("email", BOOKER),
        ("password", app::backend::demo::DEMO_PASSWORD),
    ]);
    let (status, head, _) = http(addr, "POST", "/api/sign_in", FORM, &body).await;
    assert_eq!(status, 200);
    let start = head.find("labshare_session=").expect("a session cookie") + 17;
    head[start..].split(';').next().unwrap().to_string()
}

/// The end of the first free window of `resource` on `day` in a server's time-first search.
async fn first_free_until(addr: SocketAddr, day: &str) -> String {
    let path = format!(
        "/api/v1/free?from={day}&to={day}&hours=1&q=%E7%AB%9E%E4%BA%89%E6%B5%8B%E8%AF%95%E4%BB%AA"
    );
    let (status, _, body) = http(addr, "GET", &path, "", "").await;
    assert_eq!(status, 200, "{body}");
    let page: serde_json::Value = serde_json::from_str(&body).expect("json");
    page["items"][0]["windows"][0]["ends"]
        .as_str()
        .unwrap_or_else(|| panic!("a window: {page}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_servers_started_together_migrate_once_and_share_their_work() {
    let pg = PgServer::start();
    let url = pg.create_database("three_servers").await;
    let maildir = tempfile::tempdir().unwrap();
    let smtp_port = free_port();
    let _smtpd = Smtpd::start(smtp_port, maildir.path());
    let data: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut ports: Vec<u16> = Vec::new();
    while ports.len() < 3 {
        let port = free_port();
        if !ports.contains(&port) && port != smtp_port {
            ports.push(port);
        }
    }
    // All three at once, on an empty database, as a production start (no demo zone).
    let servers: Vec<ServerProcess> = data
        .iter()
        .zip(&ports)
        // Their senders poll the outbox once an hour: mail goes out at once only if woken.
        .map(|(dir, port)| ServerProcess::spawn(dir.path(), *port, smtp_port, 3600, Some(&url)))
        .collect();
    for port in &ports {
        ServerProcess::listening(*port);
    }
    let addrs: Vec<SocketAddr> = ports
        .iter()
        .map(|p| format!("127.0.0.1:{p}").parse().unwrap())
        .collect();
    for addr in &addrs {
        let (status, _, body) = http(*addr, "GET", "/health", "", "").await;
        assert_eq!(status, 200, "{addr}: {body}");
    }
    let db = app::backend::Db::connect(&url, 2).await.unwrap();
    let applied: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT version, COUNT(*) FROM _sqlx_migrations WHERE success GROUP BY version ORDER BY version",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let files = std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../migrations/postgres"
    ))
    .unwrap()
    .count();
    assert_eq!(applied.len(), files, "every migration applied: {applied:?}");
    assert!(
        applied.iter().all(|(_, n)| *n == 1),
        "each once: {applied:?}"
    );

    // The zone's data arrives from elsewhere (here: the demo, written by this process), and a
    // resource open round the clock.
    let seeded = TestApp::on(Some(&url), true).await;
    let resource = common::race::open_resource_on(db.pool(), (0, 0)).await;
    let day = (chrono::Utc::now() + chrono::Duration::days(3))
        .format("%Y-%m-%d")
        .to_string();
    for addr in &addrs {
        let ends = first_free_until(*addr, &day).await;
        assert!(
            !ends.starts_with(&format!("{day}T10:00")),
            "{addr}: free at ten before: {ends}"
        );
    }

    // Booked through the first server: at once out of the others' search.
    let session = sign_in(addrs[0]).await;
    let booking = common::race::hour_booking(resource, &day, 10, "多服务器测试");
    let cookie = format!("{FORM}Cookie: labshare_session={session}\r\n");
    let (status, _, body) = http(addrs[0], "POST", "/api/book", &cookie, &booking).await;
    assert_eq!(status, 200, "{body}");
    for addr in &addrs {
        assert_eq!(
            first_free_until(*addr, &day).await,
            format!("{day}T10:00:00+08:00"),
            "{addr}: the booked hour is out of the search at once"
        );
    }
    // ... and in every server's schedule of that day.
    for addr in &addrs {
        let path = format!("/schedule?day={day}&size=1000");
        let (status, _, page) = http(*addr, "GET", &path, "", "").await;
        assert_eq!(status, 200, "{addr}");
        let row = page
            .split(&format!("href=\"/resources/{resource}\""))
            .nth(1)
            .and_then(|rest| rest.split("</li>").next())
            .expect("the resource's row");
        assert!(row.contains("已预约 10:00–11:00"), "{addr}: {row}");
    }
    // The same slot through another server: taken.
    let (status, _, _) = http(addrs[1], "POST", "/api/book", &cookie, &booking).await;
    assert_eq!(status, 409);

    // Its confirmation is delivered at once, and once: the commit woke all three senders
    // (LISTEN/NOTIFY; they would otherwise look again in an hour), and one of them took it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while maildir_messages(maildir.path()).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the confirmation was not delivered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(4)).await;
    let delivered = maildir_messages(maildir.path());
    assert_eq!(delivered.len(), 1, "one confirmation, delivered once");
    let sent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status = 'sent'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(sent, 1);

    // The same-slot race spread over the three: 64 clients × 20 slots, one booking a slot.
    let raced = common::race::open_resource_on(db.pool(), (0, 0)).await;
    let race_day = (chrono::Utc::now() + chrono::Duration::days(4))
        .format("%Y-%m-%d")
        .to_string();
    // Each client signs in through the server it books through (sessions are the database's:
    // any server would take them).
    let mut sessions = Vec::new();
    for client in 0..64 {
        sessions.push(sign_in(addrs[client % 3]).await);
    }
    let outcome = common::race::race_through(&addrs, sessions, raced, 20, &race_day).await;
    common::race::assert_one_booking_a_slot(&seeded, raced, &outcome, 64, 20).await;
    drop(servers);
}

/// Debian's nginx running the repository's sample configuration (`server/deploy/nginx.conf`)
/// in front of `upstreams`, on `port`: the sample's upstream lines become these servers, its
/// `listen 80` this port. One process (no workers), stopped when dropped.
struct Nginx {
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl Nginx {
    fn start(port: u16, upstreams: &[u16]) -> Nginx {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        let sample =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/nginx.conf"))
                .unwrap();
        let mut site = String::new();
        let mut replaced = (false, false);
        for line in sample.lines() {
            if line.trim_start().starts_with("server 127.0.0.1:") {
                if !replaced.0 {
                    for p in upstreams {
                        site.push_str(&format!(
                            "    server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;\n"
                        ));
                    }
                    replaced.0 = true;
                }
            } else if line.trim() == "listen 80;" {
                site.push_str(&format!("    listen 127.0.0.1:{port};\n"));
                replaced.1 = true;
            } else {
                site.push_str(line);
                site.push('\n');
            }
        }
        assert_eq!(
            replaced,
            (true, true),
            "the sample's upstream and listen lines"
        );
        std::fs::write(dir.path().join("labshare.conf"), site).unwrap();
        let main = format!(
            "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n  access_log {d}/access.log;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  \
             fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  \
             include {d}/labshare.conf;\n}}\n"
        );
        std::fs::write(dir.path().join("nginx.conf"), main).unwrap();
        let child = std::process::Command::new("/usr/sbin/nginx")
            .args(["-p", &d, "-c", &format!("{d}/nginx.conf")])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("Debian's nginx (.ci/setup.sh installs nginx-light)");
        ServerProcess::listening(port);
        Nginx { child, _dir: dir }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Two servers behind nginx on one PostgreSQL database: the same-slot race through nginx makes
/// one booking a slot; one server killed with SIGKILL in the middle of a load, the other carries
/// it on and every booking acknowledged is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_nginx_the_race_holds_and_a_killed_server_loses_nothing_acknowledged() {
    let pg = PgServer::start();
    let url = pg.create_database("behind_nginx").await;
    let smtp_port = free_port();
    let data: Vec<tempfile::TempDir> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut ports: Vec<u16> = Vec::new();
    while ports.len() < 3 {
        let port = free_port();
        if !ports.contains(&port) && port != smtp_port {
            ports.push(port);
        }
    }
    let mut servers: Vec<ServerProcess> = data
        .iter()
        .zip(&ports)
        .map(|(dir, port)| {
            // nginx reaches them from 127.0.0.1: its X-Forwarded-For names the client.
            let trusted = [("TRUSTED_PROXIES", "127.0.0.1")];
            ServerProcess::spawn_with(dir.path(), *port, smtp_port, 3600, Some(&url), &trusted)
        })
        .collect();
    for port in &ports[..2] {
        ServerProcess::listening(*port);
    }
    let seeded = TestApp::on(Some(&url), true).await;
    let db = app::backend::Db::connect(&url, 2).await.unwrap();
    let _nginx = Nginx::start(ports[2], &ports[..2]);
    let front: SocketAddr = format!("127.0.0.1:{}", ports[2]).parse().unwrap();
    let (status, _, body) = http(front, "GET", "/health", "", "").await;
    assert_eq!(status, 200, "{body}");

    // Through nginx the servers see each client's own address: not nginx's, and not the one a
    // client writes into X-Forwarded-For itself (nginx appends the real one; the servers trust
    // only nginx). What a server saw is where the sign-in is remembered as known.
    let credentials = common::form(&[
        ("email", BOOKER),
        ("password", app::backend::demo::DEMO_PASSWORD),
    ]);
    let spoofing = format!("{FORM}X-Forwarded-For: 203.0.113.9\r\n");
    for (from, headers) in [([127, 0, 0, 2], spoofing.as_str()), ([127, 0, 0, 3], FORM)] {
        let (status, _, body) =
            http_from(from, front, "POST", "/api/sign_in", headers, &credentials).await;
        assert_eq!(status, 200, "{body}");
    }
    let seen: Vec<String> = sqlx::query_scalar(
        "SELECT k.address FROM known_sign_ins k JOIN users u ON u.id = k.user_id \
         WHERE u.email = $1 ORDER BY k.address",
    )
    .bind(BOOKER)
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert_eq!(seen, ["127.0.0.2", "127.0.0.3"]);

    // The race through nginx: 64 clients × 20 slots.
    let raced = common::race::open_resource_on(db.pool(), (0, 0)).await;
    let day = |days: i64| {
        (chrono::Utc::now() + chrono::Duration::days(days))
            .format("%Y-%m-%d")
            .to_string()
    };
    let mut sessions = Vec::new();
    for _ in 0..64 {
        sessions.push(sign_in(front).await);
    }
    let outcome = common::race::race_through(&[front], sessions, raced, 20, &day(3)).await;
    common::race::assert_one_booking_a_slot(&seeded, raced, &outcome, 64, 20).await;

    // A load of 8 clients, each booking its own day hour by hour; one server killed mid-way.
    let resource = common::race::open_resource_on(db.pool(), (0, 0)).await;
    let acknowledged: std::sync::Arc<std::sync::Mutex<Vec<i64>>> = Default::default();
    let mut clients = Vec::new();
    for client in 0..8 {
        let session = sign_in(front).await;
        let acknowledged = acknowledged.clone();
        let day = day(5 + client);
        clients.push(tokio::spawn(async move {
            let mut failed = 0;
            for hour in 0..23 {
                let booking = common::race::hour_booking(resource, &day, hour, "故障切换测试");
                let cookie = format!("{FORM}Cookie: labshare_session={session}\r\n");
                let (status, _, body) = http(front, "POST", "/api/book", &cookie, &booking).await;
                if status == 200 {
                    let booked: serde_json::Value = serde_json::from_str(&body).expect("json");
                    acknowledged
                        .lock()
                        .unwrap()
                        .push(booked["id"].as_i64().expect("id"));
                } else {
                    failed += 1;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            failed
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while acknowledged.lock().unwrap().len() < 40 {
        assert!(Instant::now() < deadline, "the load did not get going");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    servers.remove(0).kill();
    let before_kill = acknowledged.lock().unwrap().len();
    let mut failed = 0;
    for client in clients {
        failed += client.await.unwrap();
    }
    let acked = acknowledged.lock().unwrap().clone();
    // The other server carried the rest: at most the requests in flight at the kill failed.
    assert!(acked.len() > before_kill, "bookings went on after the kill");
    assert!(
        failed <= 8,
        "only requests in flight at the kill may fail: {failed}"
    );
    assert_eq!(acked.len() + failed, 8 * 23);
    let kept: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM bookings WHERE resource_id = $1 AND status = 'confirmed'",
    )
    .bind(resource)
    .fetch_all(db.pool())
    .await
    .unwrap();
    for id in &acked {
        assert!(
            kept.contains(id),
            "booking {id} was acknowledged and is gone"
        );
    }
    assert_eq!(common::race::overlapping_pairs(&seeded, resource).await, 0);
}
