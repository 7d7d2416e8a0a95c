//! Accounts through the real router on a real SQLite file: sign-up, verification, sign-in and out,
//! session cookies and expiry, throttling, password reset, invitations, and cross-site refusal.

use crate::common;

use axum::http::StatusCode;
use common::{session_from, sign_up_fields, token_in, TestApp};

const BOOKER: &str = "liu.fang@nk-furniture.example";
const GOOD_PASSWORD: &str = "Kiln-violet-42";

async fn me(app: &TestApp, token: &str) -> serde_json::Value {
    let (status, _, body) = app.call("me", &[], Some(token), &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_str(&body).expect("json")
}

#[tokio::test]
async fn sign_up_verify_sign_in_and_out() {
    let app = TestApp::new().await;
    let email = "wang.fang@small-lab.example";
    let (status, _, body) = app
        .call("sign_up", &sign_up_fields(email, GOOD_PASSWORD), None, &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!body.contains(GOOD_PASSWORD));
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert!(stored.starts_with("$argon2id$") && !stored.contains(GOOD_PASSWORD));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM organisations WHERE credit_code = '91350100M000100Y43' AND NOT is_sme AND zone_id IS NULL AND kind = 'lab'")
            .await,
        1,
        "in the zone and SME once a zone manager approves (claims.rs)"
    );

    // The verification mail is in the outbox, in the language chosen.
    let (subject, text) = app.last_mail_to(email).await.expect("a verification mail");
    assert!(
        subject.starts_with("Please confirm your email address"),
        "{subject}"
    );
    let token = token_in(&text, "/verify-email");

    // Before verifying, the right password is not enough, and a fresh link is sent.
    let (status, headers, body) = app
        .call(
            "sign_in",
            &[("email", email), ("password", GOOD_PASSWORD)],
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("not_verified") && session_from(&headers).is_none());
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM outbox WHERE template = 'verify_email'")
            .await,
        2
    );
    // The fresh link replaces the first one.
    let (status, _, _) = app
        .call("verify_email", &[("token", &token)], None, &[])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the replaced link");
    let (_, text) = app.last_mail_to(email).await.expect("the fresh link");
    let token = token_in(&text, "/verify-email");

    let (status, _, _) = app
        .call("verify_email", &[("token", &token)], None, &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, body) = app
        .call("verify_email", &[("token", &token)], None, &[])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a token works once");
    assert!(body.contains("token_invalid"));

    // Signing in sets a protected cookie and a language cookie.
    let (status, headers, body) = app
        .call(
            "sign_in",
            &[
                ("email", "Wang.Fang@Small-Lab.example"),
                ("password", GOOD_PASSWORD),
                ("next", "/profile"),
            ],
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, "\"/profile\"");
    let cookie = headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("labshare_session="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/")
    );
    assert!(
        !cookie.contains("Secure"),
        "http:// deployments cannot use Secure"
    );
    assert!(headers
        .get_all("set-cookie")
        .iter()
        .any(|v| v.to_str().unwrap().starts_with("i18n_pref_locale=en")));
    let token = session_from(&headers).unwrap();
    assert!(!body.contains(&token));
    let stored_hash: String = sqlx::query_scalar("SELECT token_hash FROM sessions")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_ne!(stored_hash, token, "only the token's hash is stored");

    let who = me(&app, &token).await;
    assert_eq!(who["email"], email);
    assert_eq!(who["organisation_kind"], "lab");
    assert_eq!(who["roles"], serde_json::json!([]));

    // The profile page shows it, server-rendered.
    let (status, _, html) = app
        .get(
            "/profile",
            &[("cookie", &format!("labshare_session={token}"))],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(email) && html.contains("南昌小微检测实验室"));

    // Signing out ends the session in the database and clears the cookie.
    let (status, headers, _) = app.call("sign_out", &[], Some(&token), &[]).await;
    assert!(status.is_success() || status.is_redirection());
    assert_eq!(session_from(&headers).as_deref(), Some(""));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM sessions").await, 0);
    assert_eq!(me(&app, &token).await, serde_json::Value::Null);
}

#[tokio::test]
async fn sign_up_refuses_bad_input_and_changes_nothing() {
    let app = TestApp::new().await;
    let users = app.scalar("SELECT COUNT(*) FROM users").await;
    let orgs = app.scalar("SELECT COUNT(*) FROM organisations").await;
    let mails = app.scalar("SELECT COUNT(*) FROM outbox").await;
    let institution = app
        .scalar("SELECT MIN(id) FROM organisations WHERE kind = 'institution'")
        .await
        .to_string();
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            sign_up_fields("not-an-address", GOOD_PASSWORD),
            "email_invalid",
        ),
        (
            sign_up_fields("a@small-lab.example", "short"),
            "password_short",
        ),
        (
            sign_up_fields("a@small-lab.example", "aaaaaaaaaaaa"),
            "password_weak",
        ),
        (
            sign_up_fields("a@small-lab.example", GOOD_PASSWORD)
                .into_iter()
                .map(|(k, v)| {
                    if k == "credit_code" {
                        (k, "91350100M000100Y44")
                    } else {
                        (k, v)
                    }
                })
                .collect(),
            "credit_code_invalid",
        ),
        (
            sign_up_fields("a@small-lab.example", GOOD_PASSWORD)
                .into_iter()
                .map(|(k, v)| {
                    if k == "organisation" {
                        (k, institution.as_str())
                    } else {
                        (k, v)
                    }
                })
                .collect(),
            "institution_by_invitation",
        ),
        (
            sign_up_fields("a@small-lab.example", GOOD_PASSWORD)
                .into_iter()
                .map(|(k, v)| if k == "phone" { (k, "call me") } else { (k, v) })
                .collect(),
            "phone_invalid",
        ),
    ];
    for (fields, key) in cases {
        let (status, _, body) = app.call("sign_up", &fields, None, &[]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{key}: {body}");
        assert!(body.contains(key), "{key}: {body}");
        assert!(!body.contains(GOOD_PASSWORD) && !body.contains("INSERT"));
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM users").await, users);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM organisations").await, orgs);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox").await, mails);

    // An address that has an account: the same answer, no new account, and its owner is told.
    let (status, _, _) = app
        .call("sign_up", &sign_up_fields(BOOKER, GOOD_PASSWORD), None, &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM users").await, users);
    let (subject, _) = app.last_mail_to(BOOKER).await.unwrap();
    assert!(subject.contains("您已有账户"), "{subject}");
}

#[tokio::test]
async fn sessions_rotate_at_sign_in_and_expire_when_idle_or_old() {
    let app = TestApp::new().await;
    let first = app.sign_in(BOOKER).await;
    // Signing in again while carrying a session replaces it.
    let (status, headers, _) = app
        .call(
            "sign_in",
            &[
                ("email", BOOKER),
                ("password", app::backend::demo::DEMO_PASSWORD),
            ],
            Some(&first),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let second = session_from(&headers).unwrap();
    assert_ne!(first, second);
    assert_eq!(me(&app, &first).await, serde_json::Value::Null);
    assert_eq!(me(&app, &second).await["email"], BOOKER);

    // Idle past the limit (120 minutes in tests): gone, and the stale cookie is cleared.
    let idle = app.state.settings.session_idle_secs;
    sqlx::query("UPDATE sessions SET last_seen_at = last_seen_at - $1")
        .bind(idle + 1)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let (_, headers, body) = app.call("me", &[], Some(&second), &[]).await;
    assert_eq!(body, "null");
    assert_eq!(session_from(&headers).as_deref(), Some(""));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM sessions").await, 0);

    // Past the absolute limit, however active.
    let third = app.sign_in(BOOKER).await;
    sqlx::query("UPDATE sessions SET expires_at = created_at")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(me(&app, &third).await, serde_json::Value::Null);
}

#[tokio::test]
async fn repeated_failures_slow_down_the_account_and_the_address() {
    let app = TestApp::new().await;
    for _ in 0..5 {
        let (status, _, body) = app
            .call(
                "sign_in",
                &[("email", BOOKER), ("password", "wrong-password-1")],
                None,
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("sign_in_failed"));
    }
    // Now even the right password must wait.
    let (status, headers, body) = app
        .call(
            "sign_in",
            &[
                ("email", BOOKER),
                ("password", app::backend::demo::DEMO_PASSWORD),
            ],
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(headers["retry-after"], "30");
    assert!(session_from(&headers).is_none());
    // After the wait (the failure moved back in time), the right password works and clears it.
    sqlx::query("UPDATE sign_in_failures SET last_failure_at = last_failure_at - 31")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    app.sign_in(BOOKER).await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM sign_in_failures WHERE key LIKE 'account:%'")
            .await,
        0
    );

    // One address guessing across many accounts is slowed down too.
    let from = [("x-peer", "10.0.0.7")];
    let with_address = |i: usize| format!("nobody{i}@guess.example");
    for i in 0..30 {
        let (status, _, _) = app
            .call(
                "sign_in",
                &[
                    ("email", &with_address(i)),
                    ("password", "wrong-password-1"),
                ],
                None,
                &from,
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    let (status, _, _) = app
        .call(
            "sign_in",
            &[
                ("email", "someone@else.example"),
                ("password", "wrong-password-1"),
            ],
            None,
            &from,
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn password_reset_is_single_use_and_ends_every_session() {
    let app = TestApp::new().await;
    let session = app.sign_in(BOOKER).await;
    let before = app.scalar("SELECT COUNT(*) FROM outbox").await;
    // An unknown address gets the same answer and no mail.
    let (status, _, _) = app
        .call(
            "request_password_reset",
            &[("email", "nobody@nowhere.example")],
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox").await, before);

    let (status, _, _) = app
        .call("request_password_reset", &[("email", BOOKER)], None, &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    let (subject, text) = app.last_mail_to(BOOKER).await.unwrap();
    assert!(subject.starts_with("重置密码"), "{subject}");
    let token = token_in(&text, "/reset-password");

    // A weak password is refused and the token stays usable.
    let (status, _, body) = app
        .call(
            "reset_password",
            &[("token", &token), ("password", "password1234")],
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("password_common"));
    let (status, _, _) = app
        .call(
            "reset_password",
            &[("token", &token), ("password", GOOD_PASSWORD)],
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        me(&app, &session).await,
        serde_json::Value::Null,
        "sessions ended"
    );
    let (status, _, _) = app
        .call(
            "reset_password",
            &[("token", &token), ("password", "Another-pass-77")],
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "used once");
    app.sign_in_with(BOOKER, GOOD_PASSWORD).await;
}

#[tokio::test]
async fn cross_site_requests_that_change_state_are_refused() {
    let app = TestApp::new().await;
    let token = app.sign_in(BOOKER).await;
    let name_before: String = sqlx::query_scalar("SELECT display_name FROM users WHERE email = $1")
        .bind(BOOKER)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let fields = [
        ("name", "Mallory"),
        ("phone", "13900000000"),
        ("language", "en"),
    ];
    for headers in [
        vec![("origin", "https://evil.example")],
        vec![("origin", "null")],
        vec![
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://evil.example"),
        ],
        vec![("sec-fetch-site", "same-site")],
    ] {
        let (status, _, body) = app
            .call("update_profile", &fields, Some(&token), &headers)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{headers:?}");
        assert_eq!(body, "\"Forbidden\"");
    }
    let name_after: String = sqlx::query_scalar("SELECT display_name FROM users WHERE email = $1")
        .bind(BOOKER)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(name_before, name_after, "nothing changed");
    // The same request from the platform's own pages goes through.
    for headers in [
        vec![
            ("sec-fetch-site", "same-origin"),
            ("origin", "http://127.0.0.1"),
        ],
        vec![("origin", "http://127.0.0.1")],
        vec![
            ("origin", "http://labshare.test"),
            ("host", "labshare.test"),
        ],
    ] {
        let (status, _, body) = app
            .call("update_profile", &fields, Some(&token), &headers)
            .await;
        assert_eq!(status, StatusCode::OK, "{headers:?}: {body}");
    }
    let name_after: String = sqlx::query_scalar("SELECT display_name FROM users WHERE email = $1")
        .bind(BOOKER)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(name_after, "Mallory");
}

#[tokio::test]
async fn invitations_bring_people_into_an_institution() {
    let app = TestApp::new().await;
    let (institution, admin): (i64, String) = sqlx::query_as(
        "SELECT o.id, u.email FROM user_roles r JOIN users u ON u.id = r.user_id JOIN organisations o ON o.id = r.scope_id \
         WHERE r.role = 'institution_admin' ORDER BY o.id LIMIT 1",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    let token = app.sign_in(&admin).await;
    let inst = institution.to_string();
    let (status, _, body) = app
        .call(
            "invite",
            &[("institution", &inst), ("email", "new.tech@jxiic.example")],
            Some(&token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, text) = app.last_mail_to("new.tech@jxiic.example").await.unwrap();
    let invite = token_in(&text, "/invitation");
    let (status, _, body) = app
        .call("invitation", &[("token", &invite)], None, &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("\"account_exists\":false"), "{body}");
    let (status, _, body) = app
        .call(
            "accept_invitation",
            &[
                ("token", &invite),
                ("name", "新技术员"),
                ("phone", "13900001111"),
                ("password", GOOD_PASSWORD),
                ("language", "zh-CN"),
            ],
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let member = app
        .sign_in_with("new.tech@jxiic.example", GOOD_PASSWORD)
        .await;
    assert_eq!(me(&app, &member).await["organisation"], institution);
    // The link works once.
    let (status, _, _) = app
        .call("invitation", &[("token", &invite)], None, &[])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // An existing account must be signed in as itself to accept; then it moves.
    let (status, _, _) = app
        .call(
            "invite",
            &[("institution", &inst), ("email", BOOKER)],
            Some(&token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, text) = app.last_mail_to(BOOKER).await.unwrap();
    let invite = token_in(&text, "/invitation");
    let (status, _, _) = app
        .call("accept_invitation", &[("token", &invite)], None, &[])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let booker = app.sign_in(BOOKER).await;
    let (status, _, _) = app
        .call(
            "accept_invitation",
            &[("token", &invite)],
            Some(&booker),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me(&app, &booker).await["organisation"], institution);
}

#[tokio::test]
async fn forms_work_without_the_wasm() {
    let app = TestApp::new().await;
    let plain = [
        ("accept", "text/html,application/xhtml+xml"),
        ("referer", "http://127.0.0.1/sign-in?next=/profile"),
    ];
    // A wrong password goes back to the form with the error in the URL, for the page to show.
    let (status, headers, _) = app
        .call(
            "sign_in",
            &[
                ("email", BOOKER),
                ("password", "wrong-password-1"),
                ("next", "/profile"),
            ],
            None,
            &plain,
        )
        .await;
    assert_eq!(status, StatusCode::FOUND);
    let location = headers["location"].to_str().unwrap();
    assert!(
        location.contains("/sign-in?") && location.contains("__err="),
        "{location}"
    );
    let (status, _, html) = app
        .get(location.trim_start_matches("http://127.0.0.1"), &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("邮箱或密码不正确。"),
        "the page shows the error"
    );

    // The right one signs in and goes where the person was heading.
    let (status, headers, _) = app
        .call(
            "sign_in",
            &[
                ("email", BOOKER),
                ("password", app::backend::demo::DEMO_PASSWORD),
                ("next", "/profile"),
            ],
            None,
            &plain,
        )
        .await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(headers["location"], "/profile");
    assert!(session_from(&headers).is_some_and(|t| t.len() == 64));
}
