//! Nothing acknowledged is lost, and nothing is half-written: a full disk refuses bookings with a
//! clear error and the server recovers when room returns; a server process killed with SIGKILL
//! under a booking load keeps every booking it acknowledged and delivers each one's mail once
//! after the restart; a backup taken while bookings pour in restores to a database that passes
//! SQLite's integrity check and holds every booking acknowledged before the backup began.
//!
//! SQLite only, whatever the run's database: these are proofs about its file (its backup, its
//! disk, its commits). On PostgreSQL a server killed under load is `servers.rs`'s proof, and
//! backups are `pg_dump`'s (README, "Several servers behind nginx").

use crate::common;

use axum::http::StatusCode;
use common::race::{open_resource, overlapping_pairs, post, serve};
use common::TestApp;
use std::sync::{Arc, Mutex};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_load_restores_every_booking_acknowledged_before_it() {
    let app = TestApp::sqlite(true).await;
    let resource = open_resource(&app, (0, 0)).await;
    let (addr, server) = serve(&app).await;
    let acknowledged: Arc<Mutex<Vec<i64>>> = Arc::default();
    let mut clients = Vec::new();
    for client in 0..8 {
        let session = app.sign_in("liu.fang@nk-furniture.example").await;
        let acknowledged = acknowledged.clone();
        clients.push(tokio::spawn(async move {
            // Each client its own day: every booking is taken, none conflicts.
            let day = format!("2026-12-{:02}", client + 1);
            for hour in 0..20 {
                let body = common::form(&[
                    ("resource", &resource.to_string()),
                    ("starts", &format!("{day}T{hour:02}:00")),
                    ("ends", &format!("{day}T{:02}:00", hour + 1)),
                    ("purpose", "备份测试"),
                    ("contact_phone", "13900001111"),
                ]);
                let (status, body) = post(addr, "book", &body, &session).await;
                assert_eq!(status, 200, "{body}");
                let booked: serde_json::Value = serde_json::from_str(&body).expect("json");
                let id = booked["id"].as_i64().expect("an id");
                acknowledged.lock().unwrap().push(id);
            }
        }));
    }
    // Once some are acknowledged, back up while the rest keep coming.
    while acknowledged.lock().unwrap().len() < 40 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let before: Vec<i64> = acknowledged.lock().unwrap().clone();
    let folder = app.dir.path().join("backup");
    server::backup::take(&app.state.db, &app.state.settings.photos_dir, &folder)
        .await
        .expect("backup");
    for client in clients {
        client.await.expect("client");
    }
    server.abort();
    let all = acknowledged.lock().unwrap().len();
    assert_eq!(all, 160, "every booking was acknowledged");

    // Restored into a fresh data folder, as `server restore` does.
    let fresh = tempfile::tempdir().unwrap();
    let database = fresh.path().join("labshare.db");
    server::backup::restore(&folder, &database, &fresh.path().join("photos"))
        .await
        .expect("restore");
    let db = app::backend::Db::connect(&format!("sqlite://{}", database.display()), 2)
        .await
        .unwrap();
    assert_eq!(db.integrity_check().await.unwrap(), "ok");
    let restored: Vec<i64> = sqlx::query_scalar("SELECT id FROM bookings WHERE resource_id = $1")
        .bind(resource)
        .fetch_all(db.pool())
        .await
        .unwrap();
    let missing: Vec<&i64> = before.iter().filter(|id| !restored.contains(id)).collect();
    assert!(
        missing.is_empty(),
        "acknowledged before the backup, missing: {missing:?}"
    );
    assert!(restored.len() >= before.len() && restored.len() <= all);
    println!(
        "backup under load: {} acknowledged before it, {} in the copy, {} in all",
        before.len(),
        restored.len(),
        all
    );
    db.close().await;
    assert_eq!(overlapping_pairs(&app, resource).await, 0);

    // A damaged backup is refused and changes nothing.
    std::fs::write(
        folder.join(server::backup::DATABASE_FILE),
        b"not a database",
    )
    .unwrap();
    let kept = std::fs::read(&database).unwrap();
    assert!(
        server::backup::restore(&folder, &database, &fresh.path().join("photos"))
            .await
            .is_err()
    );
    assert_eq!(std::fs::read(&database).unwrap(), kept);
}

/// Signs in over HTTP; returns the session token.
async fn sign_in_over_http(addr: std::net::SocketAddr, email: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = common::form(&[
        ("email", email),
        ("password", app::backend::demo::DEMO_PASSWORD),
    ]);
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "POST /api/sign_in HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Accept: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let text = String::from_utf8_lossy(&response);
    let start = text.find("labshare_session=").expect("a session cookie") + 17;
    text[start..]
        .split(';')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The real server binary takes bookings from 32 clients and is killed with SIGKILL in the middle
/// (its mail waiting: the SMTP server is down). Restarted on the same data with the SMTP server
/// up: every booking that was answered 200 is there, none overlaps another, and every booking's
/// confirmation is delivered exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_under_load_keeps_every_acknowledged_booking_and_its_mail() {
    use common::smtp::{free_port, maildir_messages, Smtpd};
    use common::ServerProcess;
    const BOOKER: &str = "liu.fang@nk-furniture.example";
    let data = tempfile::tempdir().unwrap();
    let (port, smtp_port) = (free_port(), free_port());
    // Its sender looks at the outbox at start-up only (the next look would be an hour later):
    // the mail of the load waits in the outbox, untried, when the process dies.
    let first = ServerProcess::start(data.path(), port, smtp_port, 3600);
    let url = format!("sqlite://{}", data.path().join("labshare.db").display());
    let db = app::backend::Db::connect(&url, 2).await.unwrap();
    let resource = common::race::open_resource_on(db.pool(), (0, 0)).await;
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();

    // The server's clock is the real one: book from the day after tomorrow on.
    let first_day = chrono::Utc::now().date_naive() + chrono::Duration::days(2);
    let acknowledged: Arc<Mutex<Vec<i64>>> = Arc::default();
    let mut clients = Vec::new();
    for client in 0..32 {
        let session = sign_in_over_http(addr, BOOKER).await;
        let acknowledged = acknowledged.clone();
        let day = (first_day + chrono::Duration::days(client))
            .format("%Y-%m-%d")
            .to_string();
        clients.push(tokio::spawn(async move {
            for hour in 0..20 {
                let body = common::form(&[
                    ("resource", &resource.to_string()),
                    ("starts", &format!("{day}T{hour:02}:00")),
                    ("ends", &format!("{day}T{:02}:00", hour + 1)),
                    ("purpose", "断电测试"),
                    ("contact_phone", "13900001111"),
                ]);
                let answer = tokio::time::timeout(
                    std::time::Duration::from_secs(10),
                    try_post(addr, &body, &session),
                )
                .await;
                match answer {
                    Ok(Some((200, body))) => {
                        let booked: serde_json::Value = serde_json::from_str(&body).expect("json");
                        acknowledged
                            .lock()
                            .unwrap()
                            .push(booked["id"].as_i64().expect("id"));
                    }
                    // The server is gone: this client stops.
                    _ => break,
                }
            }
        }));
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while acknowledged.lock().unwrap().len() < 100 {
        assert!(
            std::time::Instant::now() < deadline,
            "the load did not get going"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    first.kill();
    for client in clients {
        client.await.expect("client");
    }
    let acked: Vec<i64> = acknowledged.lock().unwrap().clone();

    let maildir = tempfile::tempdir().unwrap();
    let _smtpd = Smtpd::start(smtp_port, maildir.path());
    let _second = ServerProcess::start(data.path(), port, smtp_port, 1);
    let stored: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, status FROM bookings WHERE resource_id = $1")
            .bind(resource)
            .fetch_all(db.pool())
            .await
            .unwrap();
    for id in &acked {
        assert!(
            stored
                .iter()
                .any(|(s, status)| s == id && status == "confirmed"),
            "booking {id} was acknowledged and is gone"
        );
    }
    let overlaps: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM bookings a JOIN bookings b ON a.resource_id = b.resource_id AND a.id < b.id \
         WHERE a.resource_id = $1 AND a.status IN ('pending', 'confirmed') AND b.status IN ('pending', 'confirmed') \
           AND a.blocked_from < b.blocked_until AND b.blocked_from < a.blocked_until",
    )
    .bind(resource)
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(overlaps, 0);

    // Every stored booking's confirmation, delivered once.
    let confirmations = |id: i64| {
        let link = format!("/bookings/{id}");
        maildir_messages(maildir.path())
            .iter()
            .filter_map(|raw| mail_parser::MessageParser::default().parse(raw))
            .filter(|m| {
                m.to().and_then(|t| t.first()).and_then(|a| a.address()) == Some(BOOKER)
                    && m.body_text(0).is_some_and(|t| t.contains(&link))
            })
            .count()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    while stored.iter().any(|(id, _)| confirmations(*id) == 0) {
        assert!(
            std::time::Instant::now() < deadline,
            "not every confirmation arrived"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    for (id, _) in &stored {
        assert_eq!(confirmations(*id), 1, "booking {id}'s confirmation, once");
    }
    println!(
        "killed under load: {} acknowledged, {} stored, all confirmed once",
        acked.len(),
        stored.len()
    );
    db.close().await;
}

/// One booking request; nothing when the server is not there to answer.
async fn try_post(addr: std::net::SocketAddr, body: &str, session: &str) -> Option<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let request = format!(
        "POST /api/book HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Accept: application/json\r\nCookie: labshare_session={session}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.ok()?;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n")?.1.to_string();
    Some((status, body))
}

/// A tmpfs of a given size: a disk that can really fill up, and be given room again. Needs root,
/// as the test machines run (mount(8)); unmounted when dropped.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(dir: &std::path::Path, bytes: u64) -> SmallDisk {
        std::fs::create_dir_all(dir).unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}")])
            .arg("tmpfs")
            .arg(dir)
            .status()
            .expect("mount(8)");
        assert!(status.success(), "mounting a tmpfs (the test needs root)");
        SmallDisk(dir.to_path_buf())
    }

    fn resize(&self, bytes: u64) {
        let status = std::process::Command::new("mount")
            .args(["-o", &format!("remount,size={bytes}")])
            .arg(&self.0)
            .status()
            .expect("mount(8)");
        assert!(status.success(), "resizing the tmpfs");
    }

    fn used(&self) -> u64 {
        std::fs::read_dir(&self.0)
            .unwrap()
            .filter_map(|e| e.ok()?.metadata().ok())
            .map(|m| m.len())
            .sum()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

/// The data folder's disk fills up while bookings come in: each booking is refused with a clear
/// 503 ("nothing was changed, try later") and leaves nothing half-written; when room returns, the
/// same server books again.
#[tokio::test]
async fn a_full_disk_refuses_bookings_cleanly_and_the_server_recovers() {
    let outer = tempfile::tempdir().unwrap();
    let data = outer.path().join("disk");
    let disk = SmallDisk::mount(&data, 64 * 1024 * 1024);
    let url = format!("sqlite://{}", data.join("labshare.db").display());
    let app = TestApp::on(Some(&url), true).await;
    let resource = common::race::open_resource(&app, (0, 0)).await;
    let token = app.sign_in("liu.fang@nk-furniture.example").await;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    // Leave the database a little room, then book until there is none.
    disk.resize(disk.used() + 96 * 1024);
    let rows = "SELECT (SELECT COUNT(*) FROM bookings) * 1000000 + (SELECT COUNT(*) FROM booking_events) * 1000 + (SELECT COUNT(*) FROM outbox)";
    let mut refused = None;
    for n in 0..400 {
        let day =
            chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap() + chrono::Duration::days(n / 20);
        let (hour, day) = (n % 20, day.format("%Y-%m-%d").to_string());
        let before = app.scalar(rows).await;
        let (status, _, body) = app
            .call(
                "book",
                &[
                    ("resource", &resource.to_string()),
                    ("starts", &format!("{day}T{hour:02}:00")),
                    ("ends", &format!("{day}T{:02}:00", hour + 1)),
                    ("purpose", "磁盘写满测试"),
                    ("sample_description", &"样品".repeat(200)),
                    ("contact_phone", "13900001111"),
                ],
                Some(&token),
                &[],
            )
            .await;
        if status == StatusCode::OK {
            continue;
        }
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(body.contains("Unavailable"), "{body}");
        assert_eq!(app.scalar(rows).await, before, "nothing half-written");
        refused = Some((day, hour));
        break;
    }
    let (day, hour) = refused.expect("the disk filled up");
    assert_eq!(app.state.db.integrity_check().await.unwrap(), "ok");

    // Room again: the same request goes through.
    disk.resize(64 * 1024 * 1024);
    let (status, _, body) = app
        .call(
            "book",
            &[
                ("resource", &resource.to_string()),
                ("starts", &format!("{day}T{hour:02}:00")),
                ("ends", &format!("{day}T{:02}:00", hour + 1)),
                ("purpose", "磁盘写满测试"),
                ("contact_phone", "13900001111"),
            ],
            Some(&token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The database turns read-only (as when its folder does; a mounted file system cannot be
    // remounted read-only under open files, so SQLite is told so on every connection): refused
    // the same way, and back when it is writable.
    read_only(&app, true).await;
    let book = |hour: u32| {
        let app = &app;
        let token = token.clone();
        async move {
            app.call(
                "book",
                &[
                    ("resource", &resource.to_string()),
                    ("starts", &format!("2027-01-20T{hour:02}:00")),
                    ("ends", &format!("2027-01-20T{:02}:00", hour + 1)),
                    ("purpose", "只读测试"),
                    ("contact_phone", "13900001111"),
                ],
                Some(&token),
                &[],
            )
            .await
        }
    };
    let before = app.scalar(rows).await;
    let (status, _, body) = book(9).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(app.scalar(rows).await, before, "nothing half-written");
    read_only(&app, false).await;
    let (status, _, body) = book(9).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.state.db.close().await;
}

/// Every connection of the pool refuses (or accepts again) writes, as SQLite does on a read-only
/// file: `SQLITE_READONLY`.
async fn read_only(app: &TestApp, on: bool) {
    let pool = app.state.db.pool();
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(pool.acquire().await.expect("a connection"));
    }
    for conn in &mut held {
        sqlx::query(if on {
            "PRAGMA query_only = ON"
        } else {
            "PRAGMA query_only = OFF"
        })
        .execute(&mut **conn)
        .await
        .unwrap();
    }
}
