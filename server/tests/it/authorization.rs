//! The role × action matrix: every state-changing server function and every restricted page,
//! tried by every kind of person through the real router. Each is allowed exactly what the policy
//! says; every other attempt gets a clear refusal (401 signed out, 403 signed in) and changes
//! nothing, which is checked in the database.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    Booker,
    OtherBooker,
    AdminOfOwner,
    AdminOfOther,
    ZoneManager,
    SiteAdmin,
}

const EVERYONE: [Who; 7] = [
    Who::Anonymous,
    Who::Booker,
    Who::OtherBooker,
    Who::AdminOfOwner,
    Who::AdminOfOther,
    Who::ZoneManager,
    Who::SiteAdmin,
];

/// The demo zone's people and things the matrix acts on.
struct Fixture {
    emails: Vec<(Who, String)>,
    /// A pending request by the booker, of a resource of the owner institution, two days ahead.
    booking: i64,
    /// A confirmed booking of the same resource that has ended.
    ended: i64,
    resource: i64,
    owner: i64,
    booker_id: i64,
    failed_mail: i64,
}

async fn fixture(app: &TestApp) -> Fixture {
    let pool = app.state.db.pool();
    let now = common::now().timestamp();
    // A resource open around the clock, so that every time below passes the rules.
    let resource = common::race::open_resource(app, (0, 0)).await;
    let owner: i64 = sqlx::query_scalar("SELECT institution_id FROM resources WHERE id = $1")
        .bind(resource)
        .fetch_one(pool)
        .await
        .unwrap();
    let (booker_id, booker_org, booker): (i64, i64, String) = sqlx::query_as(
        "SELECT id, organisation_id, email FROM users WHERE email = 'liu.fang@nk-furniture.example'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let insert = |starts: i64, status: &'static str| {
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO bookings (resource_id, user_id, organisation_id, starts_at, ends_at, blocked_from, blocked_until, status, \
               customer_category, price_fen, purpose, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $4, $5, $6, 'sme', 10000, '矩阵测试', $7, $7) RETURNING id",
        )
        .bind(resource)
        .bind(booker_id)
        .bind(booker_org)
        .bind(starts)
        .bind(starts + 3600)
        .bind(status)
        .bind(now)
        .fetch_one(pool)
    };
    // A request two days ahead, and a confirmed booking that ended an hour ago.
    let booking = insert(now + 2 * 86_400, "pending").await.unwrap();
    let ended = insert(now - 7200, "confirmed").await.unwrap();
    // A message the sender gave up on.
    let failed_mail: i64 = sqlx::query_scalar(
        "INSERT INTO outbox (message_id, to_address, locale, template, subject, body_text, status, attempts, \
           next_attempt_at, last_error, created_at) \
         VALUES ('<failed@test>', 'nobody@example.com', 'zh-CN', 'verify_email', '主题', '正文', 'failed', 9, $1, '550', $1) \
         RETURNING id",
    )
    .bind(now)
    .fetch_one(pool)
    .await
    .unwrap();
    let admin_of = |institution: i64, same: bool| {
        let sql = if same {
            "SELECT u.email FROM user_roles r JOIN users u ON u.id = r.user_id WHERE r.role = 'institution_admin' AND r.scope_id = $1 LIMIT 1"
        } else {
            "SELECT u.email FROM user_roles r JOIN users u ON u.id = r.user_id WHERE r.role = 'institution_admin' AND r.scope_id <> $1 LIMIT 1"
        };
        sqlx::query_scalar::<_, String>(sql)
            .bind(institution)
            .fetch_one(pool)
    };
    let other_booker: String = sqlx::query_scalar(
        "SELECT u.email FROM users u WHERE u.id <> $1 AND NOT EXISTS (SELECT 1 FROM user_roles x WHERE x.user_id = u.id) \
         ORDER BY u.id LIMIT 1",
    )
    .bind(booker_id)
    .fetch_one(pool)
    .await
    .unwrap();
    Fixture {
        emails: vec![
            (Who::Booker, booker),
            (Who::OtherBooker, other_booker),
            (Who::AdminOfOwner, admin_of(owner, true).await.unwrap()),
            (Who::AdminOfOther, admin_of(owner, false).await.unwrap()),
            (Who::ZoneManager, "manager@jx-zone.example".into()),
            (Who::SiteAdmin, "siteadmin@jx-zone.example".into()),
        ],
        booking,
        ended,
        resource,
        owner,
        booker_id,
        failed_mail,
    }
}

impl Fixture {
    fn email(&self, who: Who) -> Option<&str> {
        self.emails
            .iter()
            .find(|(w, _)| *w == who)
            .map(|(_, e)| e.as_str())
    }
}

/// One state-changing server function: how to call it, which rows it would change, and who may.
struct Case {
    name: &'static str,
    endpoint: &'static str,
    fields: fn(&Fixture) -> Vec<(&'static str, String)>,
    /// A query over what the call changes; its answer must move exactly when the call is allowed.
    effect: &'static str,
    allowed: &'static [Who],
}

const SIGNED_IN: &[Who] = &[
    Who::Booker,
    Who::OtherBooker,
    Who::AdminOfOwner,
    Who::AdminOfOther,
    Who::ZoneManager,
    Who::SiteAdmin,
];

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "set a resource under maintenance",
            endpoint: "set_resource_status",
            fields: |f| {
                vec![
                    ("resource", f.resource.to_string()),
                    ("status", "maintenance".into()),
                    ("reason", "年度校准".into()),
                ]
            },
            effect: "SELECT status || ':' || status_reason FROM resources ORDER BY id",
            allowed: &[Who::AdminOfOwner],
        },
        Case {
            name: "cancel someone's booking",
            endpoint: "cancel_booking",
            fields: |f| {
                vec![
                    ("booking", f.booking.to_string()),
                    ("reason", "计划变更".into()),
                ]
            },
            effect: "SELECT status || ':' || (SELECT COUNT(*) FROM booking_events) || ':' || (SELECT COUNT(*) FROM outbox) FROM bookings ORDER BY id",
            allowed: &[Who::Booker, Who::AdminOfOwner],
        },
        Case {
            name: "approve a request",
            endpoint: "decide",
            fields: |f| vec![("booking", f.booking.to_string()), ("decision", "approve".into())],
            effect: "SELECT status || ':' || sequence FROM bookings ORDER BY id",
            allowed: &[Who::AdminOfOwner],
        },
        Case {
            name: "move someone's booking",
            endpoint: "reschedule",
            fields: |f| {
                vec![
                    ("booking", f.booking.to_string()),
                    ("starts", "2026-12-20T09:00".into()),
                    ("ends", "2026-12-20T10:00".into()),
                ]
            },
            effect: "SELECT starts_at || ':' || sequence FROM bookings ORDER BY id",
            allowed: &[Who::Booker, Who::AdminOfOwner],
        },
        Case {
            name: "record an ended booking as a no-show",
            endpoint: "record_outcome",
            fields: |f| vec![("booking", f.ended.to_string()), ("outcome", "no_show".into())],
            effect: "SELECT status FROM bookings ORDER BY id",
            allowed: &[Who::AdminOfOwner],
        },
        Case {
            name: "book a free slot",
            endpoint: "book",
            fields: |f| {
                vec![
                    ("resource", f.resource.to_string()),
                    ("starts", "2026-12-21T09:00".into()),
                    ("ends", "2026-12-21T10:00".into()),
                    ("purpose", "矩阵测试".into()),
                    ("contact_phone", "13900000000".into()),
                ]
            },
            effect: "SELECT COUNT(*) || ':' || (SELECT COUNT(*) FROM outbox) FROM bookings",
            allowed: SIGNED_IN,
        },
        Case {
            name: "invite a person to the owner institution",
            endpoint: "invite",
            fields: |f| {
                vec![
                    ("institution", f.owner.to_string()),
                    ("email", "colleague@newhire.example".into()),
                ]
            },
            effect: "SELECT (SELECT COUNT(*) FROM invitations) || ':' || (SELECT COUNT(*) FROM outbox)",
            allowed: &[Who::AdminOfOwner, Who::SiteAdmin],
        },
        Case {
            name: "add equipment to the owner institution",
            endpoint: "save_resource",
            fields: |f| {
                vec![
                    ("form[institution]", f.owner.to_string()),
                    ("form[kind]", "instrument".into()),
                    ("form[category]", "1".into()),
                    ("form[name_zh]", "矩阵测试仪".into()),
                    ("form[audience]", "everyone".into()),
                ]
            },
            effect: "SELECT COUNT(*) || '' FROM resources",
            allowed: &[Who::AdminOfOwner],
        },
        Case {
            name: "edit the owner's resource",
            endpoint: "save_resource",
            fields: |f| {
                vec![
                    ("form[id]", f.resource.to_string()),
                    ("form[institution]", f.owner.to_string()),
                    ("form[kind]", "instrument".into()),
                    ("form[category]", "1".into()),
                    ("form[name_zh]", "改名的测试仪".into()),
                    ("form[audience]", "everyone".into()),
                ]
            },
            effect: "SELECT name_zh FROM resources ORDER BY id",
            allowed: &[Who::AdminOfOwner],
        },
        Case {
            name: "add accreditation to the owner's resource",
            endpoint: "add_accreditation",
            fields: |f| {
                vec![
                    ("form[resource]", f.resource.to_string()),
                    ("form[body]", "CNAS".into()),
                    ("form[certificate_number]", "CNAS L0001".into()),
                    ("form[standards]", "GB/T 2423.1".into()),
                    ("form[valid_from]", "2026-01-01".into()),
                    ("form[valid_until]", "2028-01-01".into()),
                ]
            },
            effect: "SELECT COUNT(*) || '' FROM accreditations",
            allowed: &[Who::AdminOfOwner],
        },
        Case {
            name: "block time on the owner's resource",
            endpoint: "add_blackout",
            fields: |f| {
                vec![
                    ("form[resource]", f.resource.to_string()),
                    ("form[kind]", "maintenance".into()),
                    ("form[starts]", "2026-12-22T09:00".into()),
                    ("form[ends]", "2026-12-22T12:00".into()),
                ]
            },
            effect: "SELECT COUNT(*) || '' FROM blackouts",
            allowed: &[Who::AdminOfOwner],
        },
        Case {
            name: "send a failed mail again",
            endpoint: "retry_mail",
            fields: |f| vec![("message", f.failed_mail.to_string())],
            effect: "SELECT status || ':' || COALESCE(retried_at, 0) FROM outbox ORDER BY id",
            allowed: &[Who::SiteAdmin],
        },
        Case {
            name: "grant the booker institution admin",
            endpoint: "set_role",
            fields: |f| {
                vec![
                    ("user", f.booker_id.to_string()),
                    ("role", "institution_admin".into()),
                    ("scope", f.owner.to_string()),
                    ("grant", "1".into()),
                ]
            },
            effect: "SELECT (SELECT COUNT(*) FROM user_roles) || ':' || (SELECT COUNT(*) FROM role_events)",
            allowed: &[Who::SiteAdmin],
        },
        Case {
            name: "revoke the zone manager",
            endpoint: "set_role",
            fields: |_| {
                vec![
                    ("user", "0".into()),
                    ("role", "zone_manager".into()),
                    ("scope", "1".into()),
                    ("grant", "0".into()),
                ]
            },
            effect: "SELECT (SELECT COUNT(*) FROM user_roles) || ':' || (SELECT COUNT(*) FROM role_events)",
            allowed: &[Who::SiteAdmin],
        },
        Case {
            name: "update one's profile",
            endpoint: "update_profile",
            fields: |_| {
                vec![
                    ("name", "改过的名字".into()),
                    ("phone", "13900000000".into()),
                    ("language", "en".into()),
                ]
            },
            effect: "SELECT display_name || ':' || COALESCE(phone, '') || ':' || locale FROM users ORDER BY id",
            allowed: SIGNED_IN,
        },
        Case {
            name: "change one's password",
            endpoint: "change_password",
            fields: |_| {
                vec![
                    ("current_password", app::backend::demo::DEMO_PASSWORD.into()),
                    ("new_password", "Brand-new-secret-9".into()),
                ]
            },
            effect: "SELECT COALESCE(password_hash, '') FROM users ORDER BY id",
            allowed: SIGNED_IN,
        },
    ]
}

async fn fingerprint(app: &TestApp, sql: &str) -> Vec<String> {
    sqlx::query_scalar(sql)
        .fetch_all(app.state.db.pool())
        .await
        .expect(sql)
}

async fn session_of(app: &TestApp, f: &Fixture, who: Who) -> Option<String> {
    match f.email(who) {
        Some(email) => Some(app.sign_in(email).await),
        None => None,
    }
}

#[tokio::test]
async fn every_role_may_do_exactly_what_the_policy_says() {
    let mut failures = Vec::new();
    for case in cases() {
        for who in EVERYONE {
            // A fresh zone per attempt, so that one allowed change cannot hide another.
            let app = TestApp::new().await;
            let f = fixture(&app).await;
            let mut fields: Vec<(&str, String)> = (case.fields)(&f);
            if case.name == "revoke the zone manager" {
                let manager: i64 = sqlx::query_scalar(
                    "SELECT user_id FROM user_roles WHERE role = 'zone_manager' LIMIT 1",
                )
                .fetch_one(app.state.db.pool())
                .await
                .unwrap();
                fields[0].1 = manager.to_string();
            }
            let session = session_of(&app, &f, who).await;
            let before = fingerprint(&app, case.effect).await;
            let borrowed: Vec<(&str, &str)> =
                fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (status, _, body) = app
                .call(case.endpoint, &borrowed, session.as_deref(), &[])
                .await;
            let after = fingerprint(&app, case.effect).await;
            let allowed = case.allowed.contains(&who);
            let expected = match (allowed, who) {
                (true, _) => StatusCode::OK,
                (false, Who::Anonymous) => StatusCode::UNAUTHORIZED,
                (false, _) => StatusCode::FORBIDDEN,
            };
            let changed = before != after;
            if status != expected || changed != allowed {
                failures.push(format!(
                    "{} by {who:?}: status {status} (expected {expected}), changed {changed} (expected {allowed}); {body}",
                    case.name
                ));
            }
            if !allowed {
                assert!(
                    body == "\"Forbidden\"" || body == "\"NotSignedIn\"",
                    "a refusal says only that: {body}"
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn restricted_pages_and_reads_answer_by_role() {
    let app = TestApp::new().await;
    let f = fixture(&app).await;
    let edit = format!("/resources/{}/edit", f.resource);
    let owner_report = format!("/institution/report?institution={}", f.owner);
    let owner_export = format!(
        "/reports/export?which=institution&institution={}&format=csv&table=summary",
        f.owner
    );
    let reads: [(&str, &[Who]); 11] = [
        ("/reports", &[Who::ZoneManager]),
        (
            "/reports/export?which=zone&format=xlsx",
            &[Who::ZoneManager],
        ),
        (
            "/institution/report",
            &[Who::AdminOfOwner, Who::AdminOfOther, Who::ZoneManager],
        ),
        (&owner_report, &[Who::AdminOfOwner, Who::ZoneManager]),
        (&owner_export, &[Who::AdminOfOwner, Who::ZoneManager]),
        ("/admin/people", &[Who::SiteAdmin]),
        ("/admin/outbox", &[Who::SiteAdmin]),
        (
            "/institution/members",
            &[Who::AdminOfOwner, Who::AdminOfOther],
        ),
        (
            "/institution/resources",
            &[Who::AdminOfOwner, Who::AdminOfOther],
        ),
        (&edit, &[Who::AdminOfOwner]),
        ("/profile", SIGNED_IN),
    ];
    let mut failures = Vec::new();
    for who in EVERYONE {
        eprintln!("SIGNIN {who:?}");
        let session = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            session_of(&app, &f, who),
        )
        .await
        .expect("sign-in hung");
        let cookie = session
            .as_ref()
            .map(|s| format!("labshare_session={s}"))
            .unwrap_or_default();
        for (path, allowed) in reads {
            let (status, _, html) = tokio::time::timeout(
                std::time::Duration::from_secs(10),
                app.get(path, &[("cookie", &cookie)]),
            )
            .await
            .expect("page hung");
            let expected = match (allowed.contains(&who), who) {
                (true, _) => StatusCode::OK,
                (false, Who::Anonymous) => StatusCode::UNAUTHORIZED,
                (false, _) => StatusCode::FORBIDDEN,
            };
            if status != expected {
                failures.push(format!("{path} for {who:?}: {status}, expected {expected}"));
            }
            if path == "/admin/outbox"
                && !allowed.contains(&who)
                && html.contains("data-testid=\"outbox\"")
            {
                failures.push(format!("{path} showed the outbox to {who:?}"));
            }
        }
        // One institution's admin asking for another institution's members by id.
        if who == Who::AdminOfOther {
            let owner = f.owner.to_string();
            let (status, _, _) = app
                .call(
                    "members",
                    &[("institution", &owner)],
                    session.as_deref(),
                    &[],
                )
                .await;
            assert_eq!(status, StatusCode::FORBIDDEN);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn the_resource_page_offers_management_to_the_owners_admins_only() {
    let app = TestApp::new().await;
    let f = fixture(&app).await;
    let path = format!("/resources/{}", f.resource);
    for who in EVERYONE {
        let session = session_of(&app, &f, who).await;
        let cookie = session
            .map(|s| format!("labshare_session={s}"))
            .unwrap_or_default();
        let (status, _, html) = app.get(&path, &[("cookie", &cookie)]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            html.contains("data-testid=\"manage\""),
            who == Who::AdminOfOwner,
            "{who:?}"
        );
    }
    // Used, the form changes the status; the page then shows the reason to everyone.
    let admin = app.sign_in(f.email(Who::AdminOfOwner).unwrap()).await;
    let resource = f.resource.to_string();
    let (status, _, body) = app
        .call(
            "set_resource_status",
            &[
                ("resource", &resource),
                ("status", "maintenance"),
                ("reason", "年度校准，12 月 15 日恢复"),
            ],
            Some(&admin),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, _, html) = app.get(&path, &[]).await;
    assert!(common::text(&html).contains("年度校准，12 月 15 日恢复"));
    let (status, _, body) = app
        .call(
            "set_resource_status",
            &[("resource", &resource), ("status", "retired")],
            Some(&admin),
            &[],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "retiring needs a reason: {body}"
    );
}
