//! Malformed requests are the client's error: every server function, every axum route and every
//! page, sent requests a script or an attacker would send — missing and unknown fields, wrong
//! types, extreme numbers and dates, huge strings, control characters, injection strings, bodies
//! that do not decode, wrong methods and content types — as a visitor and as each role, through
//! the real router. None may answer 5xx (a panic would fail the test), and a refused request
//! changes nothing in the database.
//!
//! What is covered is read from the code, not written here: the server functions from the
//! framework's registry (and checked against the `#[server]` declarations in `app/src/api`), the
//! routes from `server/src/lib.rs` and the pages from `app/src/lib.rs`. A new one without a case
//! here fails the test.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::TestApp;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, TestRunner};
use std::collections::{BTreeMap, BTreeSet};

/// Values that have broken web applications before, for any field.
fn hostile_values() -> Vec<String> {
    let mut values: Vec<String> = [
        "",
        " ",
        "\u{0}",
        "\u{1b}[31mred",
        "line\r\nX-Injected: 1",
        "' OR '1'='1' --",
        "\"; DROP TABLE bookings; --",
        "<script>alert(1)</script>",
        "{{7*7}}${7*7}",
        "../../../../etc/passwd",
        "-1",
        "0",
        "-9223372036854775808",
        "9223372036854775807",
        "99999999999999999999999999",
        "1e308",
        "NaN",
        "-0.0",
        "true",
        "null",
        "[]",
        "{}",
        "2026-13-45",
        "9999-12-31T23:59",
        "0000-01-01T00:00",
        "+275760-09-13T00:00",
        "2026-11-30T10:00:00Z",
        "😀",
        "日本語𠜎",
        "%",
        "\u{202e}gnp.exe",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    values.push("A".repeat(100_000));
    values.push("9".repeat(5_000));
    values
}

/// Some more, generated: arbitrary text and numbers (deterministic, so a failure reproduces).
fn generated_values(count: usize) -> Vec<String> {
    let mut runner = TestRunner::new(Config {
        rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
        ..Config::default()
    });
    let text = "\\PC{0,80}";
    let strategy = proptest::prop_oneof![
        proptest::string::string_regex(text).expect("regex"),
        proptest::num::i64::ANY.prop_map(|n| n.to_string()),
        proptest::num::f64::ANY.prop_map(|n| n.to_string()),
        "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}",
    ];
    (0..count)
        .map(|_| strategy.new_tree(&mut runner).expect("value").current())
        .collect()
}

fn encode(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn form(fields: &[(String, String)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A server function as declared: its endpoint and argument names.
#[derive(Debug, Clone)]
struct Declared {
    endpoint: String,
    args: Vec<String>,
}

/// The `#[server(endpoint = "…")]` functions of `app/src/api`, with their argument names.
fn declared_server_functions() -> Vec<Declared> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../app/src/api");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("api folder") {
        let code = std::fs::read_to_string(entry.expect("entry").path()).expect("source");
        for part in code.split("#[server(endpoint = \"").skip(1) {
            let endpoint = part.split('"').next().expect("endpoint").to_string();
            let after = &part[part.find("fn ").expect("a function")..];
            let open = after.find('(').expect("arguments");
            let mut depth = 0;
            let mut close = open;
            for (i, c) in after[open..].char_indices() {
                match c {
                    '(' | '<' => depth += 1,
                    ')' | '>' if after[open..][..i].ends_with('-') => {}
                    ')' | '>' => {
                        depth -= 1;
                        if depth == 0 {
                            close = open + i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let args = after[open + 1..close]
                .lines()
                .map(|l| l.split("//").next().unwrap_or_default())
                .collect::<Vec<_>>()
                .join(" ")
                .split(',')
                .filter_map(|arg| {
                    let arg = arg.trim();
                    let arg = arg.rsplit(']').next().unwrap_or(arg).trim();
                    let name = arg.split(':').next()?.trim();
                    (!name.is_empty()
                        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
                    .then(|| name.to_string())
                })
                .collect();
            found.push(Declared { endpoint, args });
        }
    }
    found.sort_by(|a, b| a.endpoint.cmp(&b.endpoint));
    found
}

/// What the database holds, as far as a refused request could have changed it (sessions and
/// sign-in failure counts change by design and are left out).
async fn fingerprint(app: &TestApp) -> BTreeMap<&'static str, i64> {
    let mut out = BTreeMap::new();
    for (name, sql) in [
        ("zones", "SELECT COUNT(*) FROM zones"),
        ("organisations", "SELECT COUNT(*) + COALESCE(SUM(CASE WHEN zone_id IS NULL THEN 0 ELSE 1 END), 0) FROM organisations"),
        ("users", "SELECT COUNT(*) + COALESCE(SUM(LENGTH(display_name) + LENGTH(COALESCE(phone, '')) + LENGTH(COALESCE(password_hash, '')) + LENGTH(locale)), 0) FROM users"),
        ("user_roles", "SELECT COUNT(*) FROM user_roles"),
        ("resources", "SELECT COUNT(*) + COALESCE(SUM(updated_at), 0) FROM resources"),
        ("booking_rules", "SELECT COUNT(*) FROM booking_rules"),
        ("opening_hours", "SELECT COUNT(*) FROM opening_hours"),
        ("closure_days", "SELECT COUNT(*) FROM closure_days"),
        ("rates", "SELECT COUNT(*) + COALESCE(SUM(per_hour_fen), 0) FROM rates"),
        ("accreditations", "SELECT COUNT(*) FROM accreditations"),
        ("accreditation_standards", "SELECT COUNT(*) FROM accreditation_standards"),
        ("blackouts", "SELECT COUNT(*) FROM blackouts"),
        ("bookings", "SELECT COUNT(*) + COALESCE(SUM(updated_at), 0) FROM bookings"),
        ("booking_events", "SELECT COUNT(*) FROM booking_events"),
        ("account_tokens", "SELECT COUNT(*) + COALESCE(SUM(CASE WHEN used_at IS NULL THEN 0 ELSE 1 END), 0) FROM account_tokens"),
        ("invitations", "SELECT COUNT(*) FROM invitations"),
        ("role_events", "SELECT COUNT(*) FROM role_events"),
        ("outbox", "SELECT COUNT(*) + COALESCE(SUM(attempts), 0) FROM outbox"),
        ("resource_photos", "SELECT COUNT(*) FROM resource_photos"),
        ("test_services", "SELECT COUNT(*) + COALESCE(SUM(updated_at + listed), 0) FROM test_services"),
        ("service_standards", "SELECT COUNT(*) FROM service_standards"),
        ("service_prices", "SELECT COUNT(*) + COALESCE(SUM(per_sample_fen), 0) FROM service_prices"),
        ("orders", "SELECT COUNT(*) + COALESCE(SUM(updated_at + COALESCE(rating, 0)), 0) FROM orders"),
        ("order_events", "SELECT COUNT(*) FROM order_events"),
        ("order_reports", "SELECT COUNT(*) FROM order_reports"),
        ("needs", "SELECT COUNT(*) + COALESCE(SUM(COALESCE(closed_at, 0)), 0) FROM needs"),
        ("need_offers", "SELECT COUNT(*) + COALESCE(SUM(price_fen), 0) FROM need_offers"),
    ] {
        // A sum is a NUMERIC on PostgreSQL: each figure is read as a BIGINT on both.
        let sql = format!("SELECT CAST(({sql}) AS BIGINT)");
        out.insert(name, app.scalar(&sql).await);
    }
    out
}

/// The people a request may come from: a visitor, then one of each role.
const PEOPLE: [Option<&str>; 5] = [
    None,
    Some("liu.fang@nk-furniture.example"),
    Some("admin@jxiic.example"),
    Some("manager@jx-zone.example"),
    Some("siteadmin@jx-zone.example"),
];

/// Sends the requests one at a time, keeping score: no 5xx, and nothing changed by a refusal.
struct Judge<'a> {
    app: &'a TestApp,
    state: BTreeMap<&'static str, i64>,
    sent: usize,
    by_status: BTreeMap<u16, usize>,
}

impl<'a> Judge<'a> {
    async fn new(app: &'a TestApp) -> Judge<'a> {
        Judge {
            app,
            state: fingerprint(app).await,
            sent: 0,
            by_status: BTreeMap::new(),
        }
    }

    async fn send(&mut self, what: &str, req: Request<Body>) -> (StatusCode, String) {
        let (status, _, body) = self.app.request(req).await;
        self.sent += 1;
        *self.by_status.entry(status.as_u16()).or_default() += 1;
        assert!(
            !status.is_server_error(),
            "{what} answered {status}: {}",
            body.chars().take(300).collect::<String>()
        );
        let now = fingerprint(self.app).await;
        if status.is_client_error() {
            let changed: Vec<_> = now
                .iter()
                .filter(|(k, v)| self.state.get(*k) != Some(v))
                .map(|(k, _)| *k)
                .collect();
            assert!(
                changed.is_empty(),
                "{what} was refused ({status}) but changed {changed:?}"
            );
        }
        self.state = now;
        (status, body)
    }
}

fn post(
    path: &str,
    content_type: &str,
    body: impl Into<Body>,
    token: Option<&str>,
) -> Request<Body> {
    let mut req = Request::post(path)
        .header("content-type", content_type)
        .header("accept", "application/json");
    if let Some(token) = token {
        req = req.header("cookie", format!("labshare_session={token}"));
    }
    req.body(body.into()).expect("request")
}

/// `uri` with what may not stand in a request line percent-encoded, as a client would send it.
fn sendable(uri: &str) -> String {
    let mut out = String::new();
    for b in uri.bytes() {
        if b.is_ascii_graphic()
            && !matches!(
                b,
                b'<' | b'>' | b'"' | b'\'' | b'`' | b'{' | b'}' | b'|' | b'\\' | b'^'
            )
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn get(path: &str, token: Option<&str>) -> Request<Body> {
    let mut req = Request::get(sendable(path));
    if let Some(token) = token {
        req = req.header("cookie", format!("labshare_session={token}"));
    }
    req.body(Body::empty()).expect("request")
}

async fn tokens(app: &TestApp) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for who in PEOPLE {
        out.push(match who {
            Some(email) => Some(app.sign_in(email).await),
            None => None,
        });
    }
    out
}

#[tokio::test]
async fn every_server_function_answers_malformed_requests_with_4xx_and_changes_nothing() {
    let app = TestApp::new().await;
    let declared = declared_server_functions();
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_string())
        .collect();
    let named: BTreeSet<String> = declared
        .iter()
        .map(|d| format!("/api/{}", d.endpoint))
        .collect();
    assert!(registered.len() >= 40, "the registry lists {registered:?}");
    assert_eq!(
        registered, named,
        "every registered server function is declared in app/src/api (and covered here)"
    );

    let corpus = hostile_values();
    let generated = generated_values(declared.len() * 6);
    let mut judge = Judge::new(&app).await;
    for (n, function) in declared.iter().enumerate() {
        let path = format!("/api/{}", function.endpoint);
        // Fresh sessions for every function: sign-out (or a password change) may end one.
        let people = tokens(&app).await;
        let who = |i: usize| people[i % people.len()].as_deref();
        let fuzz_peer =
            |mut req: Request<Body>| {
                // Failures from the fuzz count against another address than the sign-ins above.
                req.extensions_mut().insert(axum::extract::ConnectInfo(
                    std::net::SocketAddr::from(([203, 0, 113, 9], 40_000)),
                ));
                req
            };
        let form_post = |fields: &[(String, String)], i: usize| {
            fuzz_peer(post(
                &path,
                "application/x-www-form-urlencoded",
                form(fields),
                who(i),
            ))
        };
        let mut i = n;
        // Nothing at all, and bodies that are not forms.
        let bodies: [(&str, &[u8]); 7] = [
            ("application/x-www-form-urlencoded", b""),
            ("application/x-www-form-urlencoded", b"%ZZ&=&&a[=1&a]]=2"),
            (
                "application/x-www-form-urlencoded",
                &[0xff, 0xfe, 0x00, 0x80],
            ),
            ("application/json", b"{\"a\":"),
            ("application/json", b"[1, 2, 3]"),
            ("text/plain", b"hello"),
            ("multipart/form-data; boundary=x", b"--x\r\n\r\n"),
        ];
        for (ct, body) in bodies {
            for person in 0..PEOPLE.len() {
                let what = format!("{path} as person {person} with a {ct} body");
                judge
                    .send(
                        &what,
                        fuzz_peer(post(&path, ct, body.to_vec(), who(person))),
                    )
                    .await;
            }
        }
        // Each argument alone, with every hostile value, and nested forms of it.
        for arg in &function.args {
            for value in corpus.iter().chain(generated.iter().skip(n * 6).take(6)) {
                i += 1;
                let what = format!("{path} with only {arg}={:.40?}", value);
                judge
                    .send(&what, form_post(&[(arg.clone(), value.clone())], i))
                    .await;
            }
            i += 1;
            let nested = [
                (format!("{arg}[x]"), "1".to_string()),
                (format!("{arg}[][y]"), "<b>".to_string()),
            ];
            judge
                .send(&format!("{path} nested {arg}"), form_post(&nested, i))
                .await;
        }
        // Every argument with the same hostile value, plus one nobody declared.
        for value in &corpus {
            i += 1;
            let mut fields: Vec<(String, String)> = function
                .args
                .iter()
                .map(|a| (a.clone(), value.clone()))
                .collect();
            fields.push(("zz_unknown".into(), value.clone()));
            let what = format!("{path} with every field {:.40?}", value);
            judge.send(&what, form_post(&fields, i)).await;
        }
        // The wrong method.
        let (status, _) = judge.send(&format!("GET {path}"), get(&path, who(1))).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "GET {path}");
    }
    // A function that does not exist.
    let (status, body) = judge
        .send(
            "an unknown function",
            post(
                "/api/no_such_thing",
                "application/x-www-form-urlencoded",
                "a=1",
                None,
            ),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    println!(
        "malformed requests to {} server functions: {} sent, by status {:?}",
        declared.len(),
        judge.sent,
        judge.by_status
    );
}

/// The `.route("…")` and `.nest_service("…")` paths of the router, read from its source.
fn router_paths() -> BTreeSet<String> {
    let code = include_str!("../../src/lib.rs");
    let mut paths = BTreeSet::new();
    for marker in [
        ".route(\n            \"",
        ".route(\"",
        ".nest_service(\n            \"",
        ".nest_service(\"",
    ] {
        for part in code.split(marker).skip(1) {
            paths.insert(part.split('"').next().unwrap_or_default().to_string());
        }
    }
    paths
}

/// The page paths of the application, read from its source.
fn page_paths() -> BTreeSet<String> {
    let code = include_str!("../../../app/src/lib.rs");
    code.split("path!(\"")
        .skip(1)
        .map(|p| format!("/{}", p.split('"').next().unwrap_or_default()))
        .collect()
}

#[tokio::test]
async fn every_route_and_page_answers_malformed_requests_with_4xx_and_changes_nothing() {
    let app = TestApp::new().await;
    let people = tokens(&app).await;
    let mut judge = Judge::new(&app).await;
    let resource = app.scalar("SELECT MIN(id) FROM resources").await;

    // The router's own routes, each with what could be sent to it.
    let routes: BTreeMap<&str, Vec<String>> = BTreeMap::from([
        (
            "/health",
            vec!["/health?x=%ZZ".to_string(), "/health/../api".into()],
        ),
        (
            "/lang/{locale}",
            vec![
                "/lang/%ZZ".into(),
                "/lang/xx?back=%ZZ".into(),
                "/lang/en?back[]=1&back[x]=2".into(),
                "/lang/en?back=//evil.example".into(),
                "/lang/en?back=/%09/evil.example".into(),
                format!("/lang/{}", "e".repeat(10_000)),
            ],
        ),
        (
            "/reports/export",
            vec![
                "/reports/export?which=zz".into(),
                "/reports/export?year=-99999999999".into(),
                "/reports/export?kind=custom&from=9999-99-99&to=0000-00-00".into(),
                "/reports/export?format=csv&table=%00".into(),
                "/reports/export?institution=abc&below=1e9".into(),
                "/reports/export?number=99&kind=month&year=2026".into(),
                "/reports/export?%ZZ=1".into(),
            ],
        ),
        (
            "/resources/{id}/photos",
            vec![
                "/resources/abc/photos".into(),
                "/resources/-1/photos".into(),
                "/resources/99999999999999999999/photos".into(),
                format!("/resources/{resource}/photos"),
            ],
        ),
        (
            "/orders/{id}/report",
            vec![
                "/orders/abc/report".into(),
                "/orders/-1/report".into(),
                "/orders/99999999999999999999/report".into(),
                "/orders/1/report".into(),
                "/orders/5/report".into(),
            ],
        ),
        (
            "/api/{*fn_name}",
            vec![
                "/api/no_such_function".into(),
                "/api/../health".into(),
                "/api/".into(),
            ],
        ),
        (
            "/institution/ledger",
            vec![
                "/institution/ledger".into(),
                "/institution/ledger?institution=abc".into(),
                "/institution/ledger?institution=-1".into(),
                "/institution/ledger?institution=99999999999999999999".into(),
            ],
        ),
        (
            "/institution/ledger/export",
            vec![
                "/institution/ledger/export".into(),
                "/institution/ledger/export?institution=%ZZ&format=%00".into(),
                "/institution/ledger/export?institution=1&format=exe&lang=xx".into(),
            ],
        ),
        (
            "/institution/ledger/template",
            vec![
                "/institution/ledger/template?format=%00&lang=%ZZ".into(),
                "/institution/ledger/template?format[]=1".into(),
            ],
        ),
        (
            "/pkg",
            vec![
                "/pkg/../../../../etc/passwd".into(),
                "/pkg/%2e%2e/%2e%2e/Cargo.toml".into(),
                "/pkg/%00".into(),
                "/pkg/no-such.wasm".into(),
            ],
        ),
        (
            "/photos",
            vec![
                "/photos/../../../../etc/passwd".into(),
                "/photos/%2e%2e/%2e%2e/etc/passwd".into(),
                "/photos/%00".into(),
                "/photos/no-such.jpg".into(),
            ],
        ),
    ]);
    let declared: BTreeSet<String> = routes.keys().map(|k| k.to_string()).collect();
    assert_eq!(
        router_paths(),
        declared,
        "every route of server/src/lib.rs has malformed requests here"
    );
    for (route, uris) in &routes {
        for uri in uris {
            for (n, token) in people.iter().enumerate() {
                let token = token.as_deref();
                judge
                    .send(&format!("GET {uri} as person {n}"), get(uri, token))
                    .await;
                for (ct, body) in [
                    ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data; name=\"photo\"\r\n\r\nGIF89a\r\n--x--\r\n".to_vec()),
                    ("multipart/form-data", b"no boundary".to_vec()),
                    ("application/json", b"{}".to_vec()),
                ] {
                    judge
                        .send(&format!("POST {uri} ({ct}) as person {n}"), post(uri, ct, body, token))
                        .await;
                }
            }
        }
        let _ = route;
    }
    // The language switch never leaves the site, whatever the way back says.
    for uri in &routes["/lang/{locale}"] {
        let (_, headers, _) = app.get(uri, &[]).await;
        if let Some(location) = headers.get("location") {
            let location = location.to_str().unwrap_or_default();
            assert!(
                location.starts_with('/')
                    && !location.starts_with("//")
                    && !location.contains('\\'),
                "{uri} sends to {location:?}"
            );
        }
    }

    // The pages, with ids and queries nobody should send.
    let pages: BTreeMap<&str, Vec<String>> = BTreeMap::from([
        (
            "/",
            vec![
                "/?page=-1&sort=zz&kind=%00&category=abc&max_per_hour=1e400".to_string(),
                format!("/?q={}", "字".repeat(3_000)),
            ],
        ),
        (
            "/free",
            vec![
                "/free?from=9999-99-99&to=0000-01-01&hours=-5".into(),
                "/free?hours=99999999999999999999&page=0".into(),
            ],
        ),
        (
            "/idle",
            vec![
                "/idle?days=-1&below=abc".into(),
                "/idle?days=99999999999".into(),
            ],
        ),
        (
            "/schedule",
            vec![
                "/schedule?day=0000-00-00&per_page=-1".into(),
                "/schedule?day=262143-12-31&page=99999999999".into(),
            ],
        ),
        (
            "/resources/:id",
            vec![
                "/resources/abc".into(),
                "/resources/-1".into(),
                "/resources/1?week=%00".into(),
                "/resources/1?week=262143-12-31".into(),
            ],
        ),
        (
            "/resources/:id/book",
            vec![
                "/resources/abc/book".into(),
                "/resources/1/book?starts=9999-99-99T99:99&ends=x".into(),
            ],
        ),
        ("/bookings", vec!["/bookings?x=%ZZ".into()]),
        (
            "/bookings/:id",
            vec![
                "/bookings/abc".into(),
                "/bookings/99999999999999999999".into(),
                "/bookings/-1".into(),
            ],
        ),
        (
            "/sign-in",
            vec!["/sign-in?next=//evil.example&error=%00".into()],
        ),
        ("/sign-up", vec!["/sign-up?error=<script>".into()]),
        (
            "/verify-email",
            vec![
                "/verify-email?token=%00%00".into(),
                format!("/verify-email?token={}", "f".repeat(5_000)),
            ],
        ),
        ("/forgot-password", vec!["/forgot-password?sent=abc".into()]),
        (
            "/reset-password",
            vec!["/reset-password?token=' OR 1=1 --".into()],
        ),
        ("/profile", vec!["/profile?saved=%ZZ".into()]),
        ("/invitation", vec!["/invitation?token=<script>".into()]),
        (
            "/institution/requests",
            vec!["/institution/requests?institution=abc".into()],
        ),
        (
            "/institution/members",
            vec![
                "/institution/members?institution=-1".into(),
                "/institution/members?institution=99999999999999999999".into(),
            ],
        ),
        (
            "/institution/resources",
            vec!["/institution/resources?institution=abc".into()],
        ),
        (
            "/institution/resources/new",
            vec!["/institution/resources/new?institution=%00".into()],
        ),
        (
            "/resources/:id/edit",
            vec![
                "/resources/abc/edit".into(),
                "/resources/-5/edit?saved=%ZZ".into(),
            ],
        ),
        (
            "/reports",
            vec![
                "/reports?kind=zz&year=-1&number=99".into(),
                "/reports?kind=custom&from=2026-02-30&to=9999-01-01".into(),
            ],
        ),
        (
            "/institution/report",
            vec!["/institution/report?institution=abc&below=7".into()],
        ),
        ("/admin/people", vec!["/admin/people?q=%00' OR 1=1".into()]),
        (
            "/admin/outbox",
            vec!["/admin/outbox?filter=<script>".into()],
        ),
        ("/zone/sign-ups", vec!["/zone/sign-ups?claim=%ff%fe".into()]),
        (
            "/services",
            vec![
                "/services?standard=%00&q=<script>&institution=abc".into(),
                format!("/services?standard={}", "9".repeat(3_000)),
            ],
        ),
        (
            "/services/:id",
            vec![
                "/services/abc".into(),
                "/services/-1".into(),
                "/services/99999999999999999999".into(),
            ],
        ),
        ("/orders", vec!["/orders?x=%ZZ".into()]),
        (
            "/orders/:id",
            vec![
                "/orders/abc".into(),
                "/orders/1?placed=%00&report_error=<script>".into(),
                "/orders/-1".into(),
            ],
        ),
        ("/needs", vec!["/needs?posted=%ff&offered=<b>".into()]),
        (
            "/institution/services",
            vec![
                "/institution/services?institution=abc".into(),
                "/institution/services?institution=-1".into(),
            ],
        ),
        (
            "/institution/resources/import",
            vec![
                "/institution/resources/import?upload=abc".into(),
                "/institution/resources/import?upload=99999999&c0=colour&template=-1".into(),
                "/institution/resources/import?error=%3Cscript%3E".into(),
            ],
        ),
    ]);
    let covered: BTreeSet<String> = pages.keys().map(|k| k.to_string()).collect();
    let declared_pages: BTreeSet<String> = page_paths()
        .into_iter()
        .map(|p| {
            if p == "/" {
                p
            } else {
                p.trim_end_matches('/').to_string()
            }
        })
        .collect();
    assert_eq!(
        declared_pages, covered,
        "every page of app/src/lib.rs has malformed requests here"
    );
    for uris in pages.values() {
        for uri in uris {
            for (n, token) in people.iter().enumerate() {
                judge
                    .send(
                        &format!("GET {uri} as person {n}"),
                        get(uri, token.as_deref()),
                    )
                    .await;
            }
        }
    }
    println!(
        "malformed requests to routes and pages: {} sent, by status {:?}",
        judge.sent, judge.by_status
    );
}
