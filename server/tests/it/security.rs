//! Attacks tried against the real router, each refused with the data unchanged: open redirects,
//! missing security headers, live links kept in the outbox, old links that still work, uploads
//! read before their authorization and pictures that would take gigabytes to decode.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{token_in, TestApp};

const BOOKER: &str = "liu.fang@nk-furniture.example";
const OFF_SITE: [&str; 10] = [
    "//evil.example",
    "/%09/evil.example",
    "/%0a/evil.example",
    "%09//evil.example",
    "/%5Cevil.example",
    "%5C%5Cevil.example",
    "/\\evil.example",
    "https://evil.example",
    "%2F%2Fevil.example",
    "/%E2%80%8B/evil.example",
];

fn stays_on_site(location: &str) -> bool {
    let cleaned: String = location
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    cleaned.starts_with('/')
        && !cleaned.starts_with("//")
        && !cleaned.contains('\\')
        && !cleaned.chars().any(char::is_whitespace)
}

#[tokio::test]
async fn redirects_never_leave_the_site() {
    let app = TestApp::new().await;
    for payload in OFF_SITE {
        let (status, headers, _) = app.get(&format!("/lang/en?back={payload}"), &[]).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{payload}");
        let location = headers["location"].to_str().unwrap();
        assert!(stays_on_site(location), "{payload} → {location:?}");
        assert_eq!(location, "/", "{payload} is refused as a way back");

        // Signing in with `next` set to it, as the sign-in form posts it.
        let decoded = percent_decode(payload);
        let (status, headers, body) = app
            .call(
                "sign_in",
                &[
                    ("email", BOOKER),
                    ("password", app::backend::demo::DEMO_PASSWORD),
                    ("next", &decoded),
                ],
                None,
                &[("accept", "text/html")],
            )
            .await;
        assert!(status.is_redirection(), "{payload}: {status} {body}");
        let location = headers["location"].to_str().unwrap();
        assert!(
            stays_on_site(location),
            "sign-in next={payload:?} → {location:?}"
        );
    }
    // A way back on the site is kept.
    let (_, headers, _) = app.get("/lang/en?back=/bookings%3Fx%3D1", &[]).await;
    assert_eq!(headers["location"], "/bookings?x=1");
}

fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let hex = raw
            .get(i + 1..i + 3)
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers() {
    let app = TestApp::new().await;
    let token = app.sign_in(BOOKER).await;
    let cookie = format!("labshare_session={token}");
    let resource = app.scalar("SELECT MIN(id) FROM resources").await;
    let cases: Vec<(String, Option<&str>, &str)> = vec![
        ("/".into(), None, "a page"),
        (format!("/resources/{resource}"), None, "a resource page"),
        ("/bookings".into(), Some(&cookie), "a private page"),
        ("/no-such-page".into(), None, "a missing page"),
        ("/health".into(), None, "the health check"),
        ("/lang/en?back=/".into(), None, "a redirect"),
        (
            "/reports/export?format=csv".into(),
            Some(&cookie),
            "a refused export",
        ),
        ("/photos/none.jpg".into(), None, "a missing photo"),
    ];
    for (uri, cookie, what) in cases {
        let mut req = Request::get(&uri);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let (status, headers, html) = app.request(req.body(Body::empty()).unwrap()).await;
        assert!(!status.is_server_error(), "{what}: {status}");
        for (name, value) in [
            ("x-content-type-options", Some("nosniff")),
            ("x-frame-options", Some("DENY")),
            ("referrer-policy", Some("same-origin")),
            ("cross-origin-opener-policy", Some("same-origin")),
            ("content-security-policy", None),
        ] {
            let got = headers.get(name).map(|v| v.to_str().unwrap().to_string());
            assert!(got.is_some(), "{what} ({uri}) lacks {name}");
            if let Some(value) = value {
                assert_eq!(got.as_deref(), Some(value), "{what}: {name}");
            }
        }
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
        assert!(
            !csp.contains("unsafe-eval") || csp.contains("wasm-unsafe-eval"),
            "{csp}"
        );
        if html.contains("<script") {
            // Every inline script carries the nonce the policy names, and only that one.
            let nonce = csp
                .split("'nonce-")
                .nth(1)
                .and_then(|rest| rest.split('\'').next())
                .unwrap_or_else(|| panic!("{what}: a page's policy names its nonce: {csp}"));
            assert!(nonce.len() >= 16, "{what}: nonce {nonce}");
            for script in html.split("<script").skip(1) {
                let tag = script.split('>').next().unwrap_or_default();
                let content = script
                    .split_once('>')
                    .map(|(_, rest)| rest.split("</script>").next().unwrap_or_default())
                    .unwrap_or_default();
                // An empty script (leptos_i18n leaves one) never runs, so needs no nonce.
                if content.trim().is_empty() && !tag.contains(" src=") {
                    continue;
                }
                assert!(
                    tag.contains(&format!("nonce=\"{nonce}\"")) || tag.contains(" src="),
                    "{what}: an inline script without the nonce: <script{tag}>"
                );
            }
        }
        if cookie.is_some() {
            assert_eq!(headers["cache-control"], "no-store", "{what} is private");
        }
    }
    // A new nonce every time.
    let (_, first, _) = app.get("/", &[]).await;
    let (_, second, _) = app.get("/", &[]).await;
    assert_ne!(
        first["content-security-policy"],
        second["content-security-policy"]
    );
    // The server functions' answers are private too.
    let (_, headers, _) = app.call("me", &[], Some(&token), &[]).await;
    assert_eq!(headers["cache-control"], "no-store");
}

#[tokio::test]
async fn mailed_links_are_hidden_once_sent_and_end_when_replaced() {
    let app = TestApp::new().await;
    // Two reset requests: only the second link works.
    for _ in 0..2 {
        let (status, _, body) = app
            .call("request_password_reset", &[("email", BOOKER)], None, &[])
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let bodies: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, body_text FROM outbox WHERE to_address = $1 AND template = 'reset_password' ORDER BY id",
    )
    .bind(BOOKER)
    .fetch_all(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(bodies.len(), 2);
    let (first, second) = (
        token_in(&bodies[0].1, "/reset-password"),
        token_in(&bodies[1].1, "/reset-password"),
    );
    let (status, _, body) = app
        .call(
            "reset_password",
            &[("token", &first), ("password", "Another-secret-2026")],
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the replaced link: {body}");
    assert!(body.contains("token_invalid"));

    // The site admin's outbox shows neither live link.
    let admin = app.sign_in("siteadmin@jx-zone.example").await;
    let (status, _, html) = app
        .get(
            "/admin/outbox",
            &[("cookie", &format!("labshare_session={admin}"))],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("token=[hidden]"),
        "the outbox shows the masked link"
    );
    for token in [&first, &second] {
        assert!(
            !html.contains(token.as_str()),
            "the outbox showed a live link"
        );
    }

    // Once sent, the stored copy keeps no live link either.
    let now = common::now().timestamp();
    let claimed = app
        .state
        .db
        .claim_due_mail(now + 60, 60, 500)
        .await
        .unwrap();
    let mail = claimed
        .iter()
        .find(|m| m.id == bodies[1].0)
        .expect("the second mail is due");
    app.state.db.record_mail_sent(mail, now + 60).await.unwrap();
    let (text, html, payload): (String, String, String) =
        sqlx::query_as("SELECT body_text, body_html, payload FROM outbox WHERE id = $1")
            .bind(bodies[1].0)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert!(!text.contains(&second) && !html.contains(&second) && !payload.contains(&second));
    assert!(text.contains("token=[hidden]"));

    // The link that was mailed still works for its recipient until the password changes...
    let token = app.sign_in(BOOKER).await;
    let (status, _, body) = app
        .call(
            "change_password",
            &[
                ("current_password", app::backend::demo::DEMO_PASSWORD),
                ("new_password", "Changed-in-the-meantime-7"),
            ],
            Some(&token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // ...after which it does not.
    let (status, _, body) = app
        .call(
            "reset_password",
            &[("token", &second), ("password", "Another-secret-2026")],
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("token_invalid"));
}

/// A multipart body of `size` bytes with one `photo` field.
fn upload(resource: i64, cookie: Option<&str>, photo: &[u8], padding: usize) -> Request<Body> {
    let mut body = b"--x\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p.png\"\r\nContent-Type: image/png\r\n\r\n".to_vec();
    body.extend_from_slice(photo);
    body.extend(std::iter::repeat_n(0_u8, padding));
    body.extend_from_slice(b"\r\n--x--\r\n");
    let mut req = Request::post(format!("/resources/{resource}/photos"))
        .header("content-type", "multipart/form-data; boundary=x")
        .header("accept", "application/json");
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    req.body(Body::from(body)).unwrap()
}

/// A PNG's signature and header claiming `side` × `side` pixels, and little else.
fn png_claiming(side: u32) -> Vec<u8> {
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png.extend_from_slice(&13_u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    for chunk in [&b"IDAT"[..], &b"IEND"[..]] {
        png.extend_from_slice(&0_u32.to_be_bytes());
        png.extend_from_slice(chunk);
        png.extend_from_slice(&crc32(chunk).to_be_bytes());
    }
    png
}

/// The CRC-32 a PNG chunk ends with.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffff_u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[tokio::test]
async fn uploads_are_refused_before_reading_and_huge_pictures_before_decoding() {
    let app = TestApp::new().await;
    let resource = app
        .scalar("SELECT MIN(r.id) FROM resources r JOIN organisations o ON o.id = r.institution_id WHERE o.name_en LIKE 'Jiangxi Provincial%'")
        .await;
    let photos = "SELECT COUNT(*) FROM resource_photos";
    let before = app.scalar(photos).await;

    // Not signed in, and signed in as a booker: refused, whatever follows in the body.
    let booker = format!("labshare_session={}", app.sign_in(BOOKER).await);
    for (cookie, expected) in [
        (None, StatusCode::UNAUTHORIZED),
        (Some(booker.as_str()), StatusCode::FORBIDDEN),
    ] {
        let started = std::time::Instant::now();
        let (status, _, body) = app
            .request(upload(
                resource,
                cookie,
                &png_claiming(100),
                7 * 1024 * 1024,
            ))
            .await;
        assert_eq!(status, expected, "{body}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    // The owner's admin: a PNG claiming 20,000 × 20,000 pixels (1.6 GB decoded) is refused by
    // its header, without decoding.
    let admin = format!(
        "labshare_session={}",
        app.sign_in("admin@jxiic.example").await
    );
    let started = std::time::Instant::now();
    let (status, _, body) = app
        .request(upload(resource, Some(&admin), &png_claiming(20_000), 0))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("photo_too_large"), "{body}");
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert_eq!(app.scalar(photos).await, before, "nothing stored");
}

#[tokio::test]
async fn the_retention_job_forgets_what_is_past_keeping_and_nothing_else() {
    let app = TestApp::new().await;
    let now = common::now().timestamp();
    let day = 24 * 3600;
    let token = app.sign_in(BOOKER).await;
    let user = app
        .scalar(&format!("SELECT id FROM users WHERE email = '{BOOKER}'"))
        .await;
    let institution = app
        .scalar("SELECT MIN(id) FROM organisations WHERE kind = 'institution'")
        .await;
    let db = app.state.db.pool();
    for (sql, binds) in [
        (
            "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) VALUES ('old', $1, $2, $2, $3)",
            vec![user, now - 40 * day, now - 20 * day],
        ),
        (
            "INSERT INTO account_tokens (token_hash, user_id, purpose, created_at, expires_at, used_at) VALUES ('used', $1, 'reset_password', $2, $3, $3)",
            vec![user, now - 60 * day, now - 59 * day],
        ),
        (
            "INSERT INTO sign_in_failures (key, failures, last_failure_at) VALUES ('address:198.51.100.7', 3, $1)",
            vec![now - 2 * 3600],
        ),
        (
            "INSERT INTO invitations (token_hash, institution_id, email, invited_by, created_at, expires_at) VALUES ('gone', $1, 'x@y.example', $2, $3, $4)",
            vec![institution, user, now - 60 * day, now - 53 * day],
        ),
        (
            "INSERT INTO outbox (message_id, to_address, locale, template, subject, body_text, status, attempts, created_at, next_attempt_at, sent_at) \
             VALUES ('<old@x>', 'a@b.example', 'zh-CN', 'verify_email', 's', 'old text', 'sent', 1, $1, $1, $1)",
            vec![now - 100 * day],
        ),
    ] {
        let mut query = sqlx::query(sql);
        for value in binds {
            query = query.bind(value);
        }
        query.execute(db).await.expect(sql);
    }
    let purged = app
        .state
        .db
        .purge(now, app.state.settings.session_idle_secs)
        .await
        .unwrap();
    assert!(purged.sessions >= 1 && purged.tokens >= 1 && purged.failures >= 1);
    assert!(
        purged.invitations >= 1 && purged.mail_texts >= 1,
        "{purged:?}"
    );
    for (what, sql) in [
        (
            "the old session",
            "SELECT COUNT(*) FROM sessions WHERE token_hash = 'old'",
        ),
        (
            "the used token",
            "SELECT COUNT(*) FROM account_tokens WHERE token_hash = 'used'",
        ),
        (
            "the old failures",
            "SELECT COUNT(*) FROM sign_in_failures WHERE key = 'address:198.51.100.7'",
        ),
        (
            "the expired invitation",
            "SELECT COUNT(*) FROM invitations WHERE token_hash = 'gone'",
        ),
        (
            "the old mail's text",
            "SELECT COUNT(*) FROM outbox WHERE message_id = '<old@x>' AND body_text <> ''",
        ),
    ] {
        assert_eq!(app.scalar(sql).await, 0, "{what} is gone");
    }
    // The record of the old mail stays; the session in use stays.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM outbox WHERE message_id = '<old@x>'")
            .await,
        1
    );
    let (status, _, body) = app.call("me", &[], Some(&token), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(BOOKER), "{body}");
}

async fn sign_in_status(
    app: &TestApp,
    email: &str,
    password: &str,
    headers: &[(&str, &str)],
) -> StatusCode {
    app.call(
        "sign_in",
        &[("email", email), ("password", password)],
        None,
        headers,
    )
    .await
    .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_are_counted_exactly() {
    use tower::ServiceExt;
    let app = TestApp::new().await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let router = app.router.clone();
        let body = common::form(&[("email", BOOKER), ("password", &format!("wrong-guess-{i}"))]);
        tasks.push(tokio::spawn(async move {
            let mut req = Request::post("/api/sign_in")
                .header("content-type", "application/x-www-form-urlencoded")
                .header("accept", "application/json")
                .body(Body::from(body))
                .unwrap();
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                    [198, 51, 100, 20],
                    40_000,
                ))));
            router.oneshot(req).await.unwrap().status()
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    let checked = answers
        .iter()
        .filter(|s| **s == StatusCode::BAD_REQUEST)
        .count();
    let held = answers
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((checked, held), (5, 15), "{answers:?}");
    let pair = app
        .scalar(&format!(
            "SELECT failures FROM sign_in_failures WHERE key = 'pair:{BOOKER}|198.51.100.20'"
        ))
        .await;
    assert_eq!(pair, 5, "exactly the checked guesses count");
}

#[tokio::test]
async fn a_guesser_cannot_lock_a_person_out_of_the_places_they_use() {
    let app = TestApp::new().await;
    let home = [("x-peer", "192.0.2.10")];
    assert_eq!(
        sign_in_status(&app, BOOKER, app::backend::demo::DEMO_PASSWORD, &home).await,
        StatusCode::OK
    );
    // Guesses from many addresses at the account.
    for i in 0..25 {
        let peer = format!("198.51.100.{}", 100 + i);
        let status = sign_in_status(&app, BOOKER, "wrong-guess-x", &[("x-peer", &peer)]).await;
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::TOO_MANY_REQUESTS,
            "{status}"
        );
    }
    // From a new address the account now waits, even with the right password...
    let status = sign_in_status(
        &app,
        BOOKER,
        app::backend::demo::DEMO_PASSWORD,
        &[("x-peer", "203.0.113.99")],
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // ...but the person still signs in where they have before.
    assert_eq!(
        sign_in_status(&app, BOOKER, app::backend::demo::DEMO_PASSWORD, &home).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn behind_a_proxy_bad_clients_do_not_lock_out_a_good_one() {
    // Trusted proxy: each client has its own address.
    let app = TestApp::with_config(|c| {
        c.trusted_proxies = vec![app::backend::Network::parse("127.0.0.0/8").unwrap()];
    })
    .await;
    for i in 0..31 {
        let client = format!("203.0.113.{i}");
        let status = sign_in_status(
            &app,
            &format!("nobody{i}@guess.example"),
            "wrong-password-1",
            &[("x-peer", "127.0.0.1"), ("x-forwarded-for", &client)],
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM sign_in_failures WHERE key LIKE 'address:203.0.113.%'")
            .await,
        31,
        "each client counted at its own address"
    );
    assert_eq!(
        sign_in_status(
            &app,
            BOOKER,
            app::backend::demo::DEMO_PASSWORD,
            &[
                ("x-peer", "127.0.0.1"),
                ("x-forwarded-for", "203.0.113.200")
            ],
        )
        .await,
        StatusCode::OK
    );

    // Without a trusted proxy everyone shares the proxy's address: the bad clients fill its
    // count, and still a correct password is never refused for the address alone.
    let app = TestApp::new().await;
    let proxy = [("x-peer", "10.1.2.3"), ("x-forwarded-for", "203.0.113.7")];
    for i in 0..31 {
        sign_in_status(
            &app,
            &format!("nobody{i}@guess.example"),
            "wrong-password-1",
            &proxy,
        )
        .await;
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM sign_in_failures WHERE key = 'address:10.1.2.3'")
            .await,
        1,
        "the forwarded address is not believed from an untrusted peer"
    );
    assert_eq!(
        sign_in_status(&app, "nobody99@guess.example", "wrong-password-1", &proxy).await,
        StatusCode::TOO_MANY_REQUESTS,
        "past the address's limit, wrong passwords wait"
    );
    assert_eq!(
        sign_in_status(&app, BOOKER, app::backend::demo::DEMO_PASSWORD, &proxy).await,
        StatusCode::OK,
        "the right one does not"
    );
}

#[tokio::test]
async fn a_client_hammering_sign_in_search_or_exports_gets_429_with_retry_after() {
    let app = TestApp::with_config(|c| c.rate_limit_scale = 1).await;
    let hammer = [("x-peer", "198.51.100.66")];
    let mut answers = Vec::new();
    for i in 0..12 {
        let (status, headers, _) = app
            .call(
                "sign_in",
                &[
                    ("email", &format!("n{i}@guess.example")),
                    ("password", "x-wrong-1"),
                ],
                None,
                &hammer,
            )
            .await;
        answers.push((status, headers.get("retry-after").cloned()));
    }
    let limited: Vec<_> = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert_eq!(limited.len(), 2, "a burst of ten passes: {answers:?}");
    assert!(limited.iter().all(|(_, after)| after
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|s| (1..=60).contains(&s))));
    // Another client is not held back by it.
    let (status, _, _) = app
        .call(
            "sign_in",
            &[
                ("email", BOOKER),
                ("password", app::backend::demo::DEMO_PASSWORD),
            ],
            None,
            &[("x-peer", "198.51.100.67")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // The exports, by one client (refused or not, each counts).
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let mut req = Request::get("/reports/export?format=csv")
            .body(Body::empty())
            .unwrap();
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                [198, 51, 100, 68],
                40_000,
            ))));
        statuses.push(app.request(req).await.0);
    }
    assert_eq!(statuses[0], StatusCode::UNAUTHORIZED);
    assert_eq!(statuses[11], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
}

#[tokio::test]
async fn a_name_that_looks_like_a_formula_is_inert_in_the_csv() {
    let app = TestApp::new().await;
    let institution = app
        .scalar("SELECT MIN(id) FROM organisations WHERE kind = 'institution'")
        .await;
    sqlx::query("UPDATE organisations SET name_zh = '=HYPERLINK(\"http://evil.example\",\"点击\")' WHERE id = $1")
        .bind(institution)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let manager = format!(
        "labshare_session={}",
        app.sign_in("manager@jx-zone.example").await
    );
    let (status, _, csv) = app
        .get(
            "/reports/export?which=zone&kind=year&year=2026&format=csv&table=institutions",
            &[("cookie", &manager)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    assert!(
        csv.contains("\"'=HYPERLINK("),
        "the name is kept, made inert: {csv}"
    );
    for line in csv.lines() {
        for cell in line.split(',') {
            let cell = cell.trim_start_matches(['\u{feff}', '"']);
            assert!(
                !cell.starts_with(['=', '+', '@']),
                "a cell a spreadsheet would run: {cell}"
            );
        }
    }
}

#[tokio::test]
async fn someone_elses_booking_looks_like_one_that_does_not_exist() {
    let app = TestApp::new().await;
    let theirs = app
        .scalar(&format!(
            "SELECT MIN(b.id) FROM bookings b JOIN users u ON u.id = b.user_id WHERE u.email <> '{BOOKER}'"
        ))
        .await;
    let missing = app.scalar("SELECT MAX(id) + 1000 FROM bookings").await;
    let token = app.sign_in(BOOKER).await;
    let answer = |id: i64| {
        let app = &app;
        let token = token.clone();
        async move {
            let (status, _, body) = app
                .call("booking", &[("id", &id.to_string())], Some(&token), &[])
                .await;
            let (page, _, _) = app
                .get(
                    &format!("/bookings/{id}"),
                    &[("cookie", &format!("labshare_session={token}"))],
                )
                .await;
            (status, body, page)
        }
    };
    let (a, b) = (answer(theirs).await, answer(missing).await);
    assert_eq!((a.0, a.2), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
    assert_eq!(a, b, "the same answer for another's booking and for none");
}

#[tokio::test]
async fn a_moved_booking_is_priced_anew_and_waits_again_where_approval_is_needed() {
    let app = TestApp::new().await;
    let resource = common::race::open_resource(&app, (0, 0)).await;
    let token = app.sign_in(BOOKER).await;
    let book = |starts: &'static str, ends: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            let (status, _, body) = app
                .call(
                    "book",
                    &[
                        ("resource", &resource.to_string()),
                        ("starts", starts),
                        ("ends", ends),
                        ("purpose", "改期测试"),
                        ("contact_phone", "13900001111"),
                    ],
                    Some(&token),
                    &[],
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let booked: serde_json::Value = serde_json::from_str(&body).unwrap();
            booked["id"].as_i64().unwrap()
        }
    };
    let state_of = |id: i64| {
        let app = &app;
        async move {
            let row: (String, i64) =
                sqlx::query_as("SELECT status, price_fen FROM bookings WHERE id = $1")
                    .bind(id)
                    .fetch_one(app.state.db.pool())
                    .await
                    .unwrap();
            row
        }
    };
    let move_to = |id: i64, starts: &'static str, ends: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            let (status, _, body) = app
                .call(
                    "reschedule",
                    &[
                        ("booking", &id.to_string()),
                        ("starts", starts),
                        ("ends", ends),
                    ],
                    Some(&token),
                    &[],
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    };
    // One hour at ¥100, moved to eight: ¥800, not ¥100.
    let id = book("2026-12-03T09:00", "2026-12-03T10:00").await;
    let (status, price) = state_of(id).await;
    assert_eq!(status, "confirmed");
    move_to(id, "2026-12-03T09:00", "2026-12-03T17:00").await;
    assert_eq!(state_of(id).await, ("confirmed".to_string(), price * 8));

    // Once the resource needs approval, a confirmed booking that moves waits for it again.
    sqlx::query("UPDATE booking_rules SET approval_required = TRUE WHERE resource_id = $1")
        .bind(resource)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    move_to(id, "2026-12-04T09:00", "2026-12-04T10:00").await;
    assert_eq!(state_of(id).await, ("pending".to_string(), price));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quotas_hold_even_when_requests_race() {
    use tower::ServiceExt;
    let app = TestApp::new().await;
    let resource = common::race::open_resource(&app, (0, 0)).await;
    sqlx::query(
        "UPDATE booking_rules SET person_active_limit = 2, person_week_minutes_limit = 180 WHERE resource_id = $1",
    )
    .bind(resource)
    .execute(app.state.db.pool())
    .await
    .unwrap();
    let token = app.sign_in(BOOKER).await;
    // Eight one-hour requests in parallel, on different days: two may pass.
    let mut tasks = Vec::new();
    for day in 0..8 {
        let router = app.router.clone();
        let body = common::form(&[
            ("resource", &resource.to_string()),
            ("starts", &format!("2026-12-{:02}T09:00", 7 + day)),
            ("ends", &format!("2026-12-{:02}T10:00", 7 + day)),
            ("purpose", "限额测试"),
            ("contact_phone", "13900001111"),
        ]);
        let cookie = format!("labshare_session={token}");
        tasks.push(tokio::spawn(async move {
            let req = Request::post("/api/book")
                .header("content-type", "application/x-www-form-urlencoded")
                .header("accept", "application/json")
                .header("cookie", cookie)
                .body(Body::from(body))
                .unwrap();
            router.oneshot(req).await.unwrap().status()
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY)
        .count();
    assert_eq!((ok, refused), (2, 6), "{statuses:?}");
    let active = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM bookings WHERE resource_id = {resource} AND status IN ('pending', 'confirmed')"
        ))
        .await;
    assert_eq!(active, 2);

    // The week: three hours a week on another resource; 7 December 2026 is a Monday.
    let weekly = common::race::open_resource(&app, (0, 0)).await;
    sqlx::query("UPDATE booking_rules SET person_week_minutes_limit = 180 WHERE resource_id = $1")
        .bind(weekly)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let book = |starts: &'static str, ends: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            app.call(
                "book",
                &[
                    ("resource", &weekly.to_string()),
                    ("starts", starts),
                    ("ends", ends),
                    ("purpose", "限额测试"),
                    ("contact_phone", "13900001111"),
                ],
                Some(&token),
                &[],
            )
            .await
        }
    };
    assert_eq!(
        book("2026-12-07T09:00", "2026-12-07T11:00").await.0,
        StatusCode::OK
    );
    let (status, _, body) = book("2026-12-08T09:00", "2026-12-08T11:00").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("WeekLimit"), "{body}");
    assert_eq!(
        book("2026-12-08T09:00", "2026-12-08T10:00").await.0,
        StatusCode::OK
    );
    // The next week starts afresh.
    assert_eq!(
        book("2026-12-14T09:00", "2026-12-14T12:00").await.0,
        StatusCode::OK
    );
}

/// What an attacker would type into a free-text field.
const XSS: &str = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'><svg onload=alert(3)>";

#[tokio::test]
async fn markup_typed_into_free_text_is_shown_as_text_on_every_page_and_mail() {
    let app = TestApp::new().await;
    let resource = common::race::open_resource(&app, (0, 0)).await;
    let institution = app
        .scalar(&format!(
            "SELECT institution_id FROM resources WHERE id = {resource}"
        ))
        .await;
    // Every free-text field a person can fill: the resource's texts, an institution's and an
    // organisation's name, a person's name, a booking's purpose and samples, a blackout's note.
    for sql in [
        "UPDATE resources SET name_zh = $1, name_en = $1, model = $1, manufacturer = $1, building = $1, room = $1, \
           description_zh = $1, description_en = $1, contact_name = $1, status_reason = $1 WHERE id = $2",
        "UPDATE organisations SET name_zh = $1, name_en = $1 WHERE id = $2",
    ] {
        let id = if sql.contains("organisations") { institution } else { resource };
        sqlx::query(sql)
            .bind(XSS)
            .bind(id)
            .execute(app.state.db.pool())
            .await
            .unwrap();
    }
    let token = app.sign_in(BOOKER).await;
    let (status, _, body) = app
        .call(
            "update_profile",
            &[
                ("name", "<b>刘芳</b><script>x</script>"),
                ("phone", ""),
                ("language", "zh-CN"),
            ],
            Some(&token),
            &[],
        )
        .await;
    assert!(status.is_success() || status.is_client_error(), "{body}");
    let (status, _, body) = app
        .call(
            "book",
            &[
                ("resource", &resource.to_string()),
                ("starts", "2026-12-03T09:00"),
                ("ends", "2026-12-03T10:00"),
                ("purpose", XSS),
                ("sample_description", XSS),
                ("contact_phone", "13900001111"),
            ],
            Some(&token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let booking: serde_json::Value = serde_json::from_str(&body).unwrap();
    let booking = booking["id"].as_i64().unwrap();

    let cookie = format!("labshare_session={token}");
    let admin = format!(
        "labshare_session={}",
        app.sign_in(&common::admin_of_resource(&app, resource).await)
            .await
    );
    let manager = format!(
        "labshare_session={}",
        app.sign_in("manager@jx-zone.example").await
    );
    let pages = [
        ("/".to_string(), &cookie),
        ("/?q=%3Cscript%3E".to_string(), &cookie),
        (format!("/resources/{resource}"), &cookie),
        (format!("/resources/{resource}/book"), &cookie),
        ("/bookings".to_string(), &cookie),
        (format!("/bookings/{booking}"), &cookie),
        ("/free".to_string(), &cookie),
        ("/idle?days=365&below=50".to_string(), &cookie),
        ("/schedule?day=2026-12-03".to_string(), &cookie),
        ("/institution/requests".to_string(), &admin),
        ("/institution/resources".to_string(), &admin),
        (format!("/resources/{resource}/edit"), &admin),
        ("/reports?kind=year&year=2026".to_string(), &manager),
    ];
    for (uri, who) in &pages {
        let (status, _, html) = app.get(uri, &[("cookie", who)]).await;
        assert!(!status.is_server_error(), "{uri}: {status}");
        for live in [
            "<script>alert",
            "<img src=x",
            "<svg onload",
            "<b>刘芳",
            "<script>x",
        ] {
            if let Some(at) = html.find(live) {
                let context: String = html[at.saturating_sub(60)..].chars().take(300).collect();
                panic!("{uri} shows markup as markup: {live} in …{context}…");
            }
        }
    }
    // The mails about the booking: the text part is text, the HTML part escaped.
    let mails: Vec<(String, String, String)> =
        sqlx::query_as("SELECT subject, body_text, body_html FROM outbox WHERE booking_id = $1")
            .bind(booking)
            .fetch_all(app.state.db.pool())
            .await
            .unwrap();
    assert!(!mails.is_empty());
    for (subject, _, html) in &mails {
        assert!(!subject.contains('\n'), "{subject}");
        for live in ["<script>alert", "<img src=x", "<svg onload"] {
            assert!(
                !html.contains(live),
                "a mail's HTML part shows markup: {live}"
            );
        }
    }
}

#[tokio::test]
async fn a_person_sees_where_they_are_signed_in_and_ends_a_session() {
    let app = TestApp::new().await;
    let here = app.sign_in(BOOKER).await;
    let there = app.sign_in(BOOKER).await;
    let other = app.sign_in("admin@jxiic.example").await;
    let (status, _, body) = app.call("profile", &[], Some(&here), &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let profile: serde_json::Value = serde_json::from_str(&body).unwrap();
    let sessions = profile["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    let elsewhere = sessions.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Not someone else's, and not a made-up one.
    let (_, _, other_body) = app.call("profile", &[], Some(&other), &[]).await;
    let other_profile: serde_json::Value = serde_json::from_str(&other_body).unwrap();
    let theirs = other_profile["sessions"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for id in [theirs.as_str(), "0123456789abcdef", "' OR 1=1 --"] {
        let (status, _, _) = app
            .call("end_session", &[("id", id)], Some(&here), &[])
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{id}");
    }
    let (_, _, me) = app.call("me", &[], Some(&other), &[]).await;
    assert!(
        me.contains("admin@jxiic.example"),
        "the other person is still signed in"
    );

    let (status, _, body) = app
        .call("end_session", &[("id", &elsewhere)], Some(&here), &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, _, me) = app.call("me", &[], Some(&there), &[]).await;
    assert_eq!(me, "null", "the ended session no longer works");
    let (_, _, me) = app.call("me", &[], Some(&here), &[]).await;
    assert!(me.contains(BOOKER), "this one does");
    // The page lists them.
    let (status, _, html) = app
        .get(
            "/profile",
            &[("cookie", &format!("labshare_session={here}"))],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-testid=\"sessions\""));
}
