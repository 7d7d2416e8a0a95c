//! A real server state on a real SQLite file in a fresh folder, with a fixed clock.

use app::backend::{AppState, ManualClock};
use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use chrono::{DateTime, TimeZone, Utc};
use http_body_util::BodyExt;
use server::config::Config;
use std::sync::Arc;
use tower::ServiceExt;

pub struct TestApp {
    pub state: AppState,
    /// The app's clock: starts at [`now`], moves only when a test moves it.
    pub clock: Arc<ManualClock>,
    pub router: axum::Router,
    pub dir: tempfile::TempDir,
    database_url: String,
}

/// Wednesday 25 November 2026, 10:00 in Shanghai.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).unwrap()
}

/// The bench tool's zone generator, compiled into the tests from its one source file.
#[path = "../../../src/bin/bench/generate.rs"]
pub mod generate;
pub mod pg;
pub mod race;
pub mod reports;
pub mod smtp;

pub fn config(dir: &std::path::Path, database_url: Option<&str>, demo: bool) -> Config {
    Config {
        database_url: database_url.map_or_else(
            || format!("sqlite://{}", dir.join("test.db").display()),
            str::to_string,
        ),
        data_dir: dir.to_path_buf(),
        photos_dir: dir.join("photos"),
        site_addr: "127.0.0.1:0".parse().unwrap(),
        site_root: dir.join("site").display().to_string(),
        public_url: "http://127.0.0.1".into(),
        zone_tz: chrono_tz::Asia::Shanghai,
        demo_data: demo,
        trusted_proxies: Vec::new(),
        // Tests sign in hundreds of times from one address; the limits have their own test.
        rate_limit_scale: 0,
        db_max_connections: 8,
        production: true,
        session_idle_minutes: 120,
        session_max_days: 14,
        pending_expiry_hours: 48,
        initial_admin: None,
        smtp_url: None,
        mail_from: "noreply@labshare.test".into(),
        mail_give_up_hours: 72,
        mail_poll_seconds: 1,
        reminder_lead_hours: 24,
    }
}

/// A SQLite database file with the demo zone loaded at [`now`], made once per test process.
async fn demo_database() -> &'static [u8] {
    static DEMO: tokio::sync::OnceCell<Vec<u8>> = tokio::sync::OnceCell::const_new();
    DEMO.get_or_init(|| async {
        let dir = tempfile::tempdir().expect("temp dir");
        let clock = Arc::new(ManualClock::new(now()));
        let state = server::prepare_state(&config(dir.path(), None, true), clock)
            .await
            .expect("demo zone loaded");
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(state.db.pool())
            .await
            .expect("checkpoint");
        state.db.close().await;
        std::fs::read(dir.path().join("test.db")).expect("demo database")
    })
    .await
}

/// The PostgreSQL server the whole run uses instead of SQLite files, when the test script sets
/// `TEST_POSTGRES` (a server URL without a database, e.g. `postgres://postgres@127.0.0.1:5433`).
/// The test script runs the integration tests twice: without it, each test on a SQLite file of
/// its own; with it, each on a PostgreSQL database of its own. The same test functions, so every
/// test below that asks for [`TestApp::new`] and its siblings runs on both.
pub fn test_postgres() -> Option<String> {
    std::env::var("TEST_POSTGRES")
        .ok()
        .filter(|url| !url.is_empty())
        .map(|url| url.trim_end_matches('/').to_string())
}

/// A new database on the run's PostgreSQL server: empty, or a copy of the demo zone (made once
/// per test process at [`now`], like the SQLite file of [`demo_database`]).
async fn postgres_database(server: &str, demo: bool) -> String {
    use sqlx::Connection;
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    let pid = std::process::id();
    let create = |name: String, template: Option<String>| async move {
        let mut conn = sqlx::PgConnection::connect(&format!("{server}/postgres"))
            .await
            .expect("connect to the tests' PostgreSQL server");
        let sql = match &template {
            // The template must have no connections while it is copied; a pool just closed may
            // still be leaving, so a refusal for that is tried again.
            Some(t) => format!("CREATE DATABASE {name} TEMPLATE {t} STRATEGY FILE_COPY"),
            None => format!("CREATE DATABASE {name}"),
        };
        for attempt in 0.. {
            match sqlx::query(&sql).execute(&mut conn).await {
                Ok(_) => break,
                Err(e) if attempt < 50 && e.to_string().contains("being accessed") => {
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await
                }
                Err(e) => panic!("{sql}: {e}"),
            }
        }
        format!("{server}/{name}")
    };
    let name = format!("t{pid}_{}", NEXT.fetch_add(1, Ordering::Relaxed));
    if !demo {
        return create(name, None).await;
    }
    let template = TEMPLATE
        .get_or_init(|| async {
            let template = format!("demo{pid}");
            let url = create(template.clone(), None).await;
            let clock = Arc::new(ManualClock::new(now()));
            let dir = tempfile::tempdir().expect("temp dir");
            let state = server::prepare_state(&config(dir.path(), Some(&url), true), clock)
                .await
                .expect("demo zone loaded");
            state.db.close().await;
            template
        })
        .await;
    create(name, Some(template.clone())).await
}

impl TestApp {
    pub async fn new() -> TestApp {
        Self::with_demo(true).await
    }

    pub async fn with_demo(demo: bool) -> TestApp {
        Self::on(None, demo).await
    }

    /// On a new SQLite file whatever the run's database, for what only SQLite has (its writer
    /// task, its file on disk).
    pub async fn sqlite(demo: bool) -> TestApp {
        Self::configured_on(None, demo, |_| {}).await
    }

    /// On the given database (default: a new database of the run's kind, see [`test_postgres`]).
    pub async fn on(database_url: Option<&str>, demo: bool) -> TestApp {
        Self::configured(database_url, demo, |_| {}).await
    }

    /// With the demo zone, and the configuration changed by `change`.
    pub async fn with_config(change: impl FnOnce(&mut Config)) -> TestApp {
        Self::configured(None, true, change).await
    }

    async fn configured(
        database_url: Option<&str>,
        demo: bool,
        change: impl FnOnce(&mut Config),
    ) -> TestApp {
        let run_on_postgres = match (database_url, test_postgres()) {
            (None, Some(server)) => Some(postgres_database(&server, demo).await),
            _ => None,
        };
        Self::configured_on(run_on_postgres.as_deref().or(database_url), demo, change).await
    }

    async fn configured_on(
        database_url: Option<&str>,
        demo: bool,
        change: impl FnOnce(&mut Config),
    ) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        if demo && database_url.is_none() {
            // The demo zone (a year of bookings) is loaded once per test process and copied.
            std::fs::write(dir.path().join("test.db"), demo_database().await).expect("copied");
        }
        let clock = Arc::new(ManualClock::new(now()));
        let mut config = config(dir.path(), database_url, demo);
        change(&mut config);
        let state = server::prepare_state(&config, clock.clone())
            .await
            .expect("state");
        let router = server::router(state.clone());
        TestApp {
            state,
            clock,
            router,
            dir,
            database_url: config.database_url,
        }
    }

    /// The URL of this app's database, for a second process on the same data.
    pub fn database_url(&self) -> String {
        self.database_url.clone()
    }

    pub async fn request(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
        let res: Response<Body> = self.router.clone().oneshot(req).await.expect("response");
        let (parts, body) = res.into_parts();
        let bytes = body.collect().await.expect("body").to_bytes();
        (
            parts.status,
            parts.headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    pub async fn get(
        &self,
        uri: &str,
        headers: &[(&str, &str)],
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let mut req = Request::get(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.request(req.body(Body::empty()).unwrap()).await
    }

    pub async fn scalar(&self, sql: &str) -> i64 {
        let (v,): (i64,) = sqlx::query_as(sql)
            .fetch_one(self.state.db.pool())
            .await
            .expect(sql);
        v
    }
}

/// Text of the page with Leptos' hydration markers removed, for assertions on what a person reads.
pub fn text(html: &str) -> String {
    html.replace("<!>", "").replace("<!---->", "")
}

/// Inserts a bare booking blocking exactly [from, until).
pub async fn insert_booking(
    app: &TestApp,
    resource: i64,
    from: i64,
    until: i64,
    status: &str,
) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO bookings (resource_id, user_id, organisation_id, starts_at, ends_at, blocked_from, blocked_until, status, \
           customer_category, price_fen, created_at, updated_at) \
         VALUES ($1, 1, 1, $2, $3, $2, $3, $4, 'external', 0, 0, 0) RETURNING id",
    )
    .bind(resource)
    .bind(from)
    .bind(until)
    .bind(status)
    .fetch_one(app.state.db.pool())
    .await?;
    Ok(id)
}

/// The database refused the write as an overlap, and the application maps that to a conflict.
pub fn assert_overlap<T: std::fmt::Debug>(result: Result<T, sqlx::Error>) {
    match result {
        Err(sqlx::Error::Database(db)) => {
            assert!(
                app::backend::is_overlap(db.as_ref()),
                "refused by the overlap guard: {db}"
            );
            assert_eq!(
                app::error::AppError::from(sqlx::Error::Database(db)),
                app::error::AppError::Conflict {
                    alternatives: Vec::new()
                }
            );
        }
        other => panic!("expected the database to refuse an overlap, got {other:?}"),
    }
}

/// Form-encodes `fields` for a server function.
pub fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                app::components::layout::urlencode(v).replace('/', "%2F")
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The session token in a response's Set-Cookie, if it sets one.
pub fn session_from(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("labshare_session="))
        .map(|v| v.split(';').next().unwrap_or_default().to_string())
}

impl TestApp {
    /// Calls server function `endpoint` as the browser's server-function client does, with an
    /// optional session token and extra headers.
    pub async fn call(
        &self,
        endpoint: &str,
        fields: &[(&str, &str)],
        session: Option<&str>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let mut req = Request::post(format!("/api/{endpoint}"))
            .header("content-type", "application/x-www-form-urlencoded");
        if !headers.iter().any(|(k, _)| *k == "accept") {
            req = req.header("accept", "application/json");
        }
        if let Some(token) = session {
            req = req.header("cookie", format!("labshare_session={token}"));
        }
        let mut peer = None;
        for (k, v) in headers {
            // "x-peer" stands for the client's address, which a real server takes from the socket.
            if *k == "x-peer" {
                peer = Some(std::net::SocketAddr::new(v.parse().expect("an IP"), 40_000));
            } else {
                req = req.header(*k, *v);
            }
        }
        let mut req = req.body(Body::from(form(fields))).unwrap();
        if let Some(peer) = peer {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
        }
        self.request(req).await
    }

    /// Signs in with the demo password; returns the session token.
    pub async fn sign_in(&self, email: &str) -> String {
        self.sign_in_with(email, app::backend::demo::DEMO_PASSWORD)
            .await
    }

    pub async fn sign_in_with(&self, email: &str, password: &str) -> String {
        let (status, headers, body) = self
            .call(
                "sign_in",
                &[("email", email), ("password", password)],
                None,
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "sign-in of {email}: {body}");
        session_from(&headers).expect("a session cookie")
    }

    /// The newest outbox message to `address`: (subject, body).
    pub async fn last_mail_to(&self, address: &str) -> Option<(String, String)> {
        sqlx::query_as(
            "SELECT subject, body_text FROM outbox WHERE to_address = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(address)
        .fetch_optional(self.state.db.pool())
        .await
        .expect("outbox")
    }
}

/// The token of the link to `path` in a mail body.
pub fn token_in(body: &str, path: &str) -> String {
    let start = body.find(&format!("{path}?token=")).expect("a link") + path.len() + 7;
    body[start..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect()
}

/// A complete sign-up form for a new SME lab in the zone.
pub fn sign_up_fields<'a>(email: &'a str, password: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", "王芳"),
        ("email", email),
        ("phone", "+86 138 0000 1234"),
        ("password", password),
        ("language", "en"),
        ("organisation", "new"),
        ("org_name", "南昌小微检测实验室"),
        ("org_kind", "lab"),
        ("org_in_zone", "on"),
        ("org_sme", "on"),
        ("credit_code", "91350100M000100Y43"),
    ]
}

/// The email of an admin of the institution that owns `resource`.
pub async fn admin_of_resource(app: &TestApp, resource: i64) -> String {
    sqlx::query_scalar(
        "SELECT u.email FROM user_roles r JOIN users u ON u.id = r.user_id JOIN resources x ON x.institution_id = r.scope_id \
         WHERE r.role = 'institution_admin' AND x.id = $1",
    )
    .bind(resource)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap()
}

/// The real server binary, with its own sender, on a data folder. Its log (warnings and errors)
/// goes to a file in that folder, shown when the test fails.
pub struct ServerProcess(std::process::Child, std::path::PathBuf);

impl ServerProcess {
    /// The server on a data folder's SQLite file with the demo zone, once it listens.
    pub fn start(
        data_dir: &std::path::Path,
        port: u16,
        smtp_port: u16,
        poll_secs: u64,
    ) -> ServerProcess {
        let server = Self::spawn(data_dir, port, smtp_port, poll_secs, None);
        Self::listening(port);
        server
    }

    /// The server started and not waited for: on `database_url` without the demo zone (a
    /// production start), or on the data folder's SQLite file with it.
    pub fn spawn(
        data_dir: &std::path::Path,
        port: u16,
        smtp_port: u16,
        poll_secs: u64,
        database_url: Option<&str>,
    ) -> ServerProcess {
        Self::spawn_with(data_dir, port, smtp_port, poll_secs, database_url, &[])
    }

    /// [`Self::spawn`] with more of the environment (e.g. `TRUSTED_PROXIES`).
    pub fn spawn_with(
        data_dir: &std::path::Path,
        port: u16,
        smtp_port: u16,
        poll_secs: u64,
        database_url: Option<&str>,
        env: &[(&str, &str)],
    ) -> ServerProcess {
        let log = data_dir.join(format!("server-{port}.log"));
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_server"));
        command
            .env("DATA_DIR", data_dir)
            .env(
                "DEMO_DATA",
                if database_url.is_some() {
                    "false"
                } else {
                    "true"
                },
            )
            .env("RATE_LIMIT_SCALE", "0")
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_SITE_ROOT", data_dir.join("site"))
            .env("SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}"))
            .env("MAIL_POLL_SECONDS", poll_secs.to_string())
            .env("RUST_LOG", "warn")
            .stdout(std::fs::File::create(&log).expect("the server's log file"))
            .stderr(std::process::Stdio::null());
        if let Some(url) = database_url {
            command.env("DATABASE_URL", url);
        }
        command.envs(env.iter().copied());
        ServerProcess(command.spawn().expect("the server binary"), log)
    }

    /// Waits until something listens on `port` (two minutes at most).
    pub fn listening(port: u16) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "server did not start");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    pub fn kill(mut self) {
        self.0.kill().expect("SIGKILL");
        self.0.wait().expect("reaped");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.1).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("--- the log of {} (last lines) ---", self.1.display());
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}
