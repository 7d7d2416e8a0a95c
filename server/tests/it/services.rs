//! Testing services and orders through the real router on the demo zone: publishing against the
//! institution's valid accreditations, search by standard against an independent scan (with an
//! expired accreditation withdrawing a service), the order's whole road with its mails (real SMTP
//! server, each in the recipient's language) and report file, the role × action matrix, and
//! random sequences of steps that keep the audit trail complete. Every test runs twice: on a
//! SQLite file and on a real PostgreSQL server, each with the demo zone.

use crate::common;

use app::domain::services::{next, OrderAction, OrderStatus, Party};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::smtp::{free_port, sender, Smtpd};
use common::TestApp;

const SME: &str = "liu.fang@nk-furniture.example";
const OTHER_CUSTOMER: &str = "chen.qiang@li-source.example";
const FURNITURE_ADMIN: &str = "admin@furniture-nankang.example";
const OTHER_ADMIN: &str = "admin@cu-yingtan.example";

/// The demo's formaldehyde service of the furniture centre.
async fn formaldehyde(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT service_id FROM service_standards WHERE code = 'GB 18580'")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn status_of(app: &TestApp, order: i64) -> (String, i64) {
    let status: String = sqlx::query_scalar("SELECT status FROM orders WHERE id = $1")
        .bind(order)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM order_events WHERE order_id = $1")
        .bind(order)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    (status, events)
}

async fn place(app: &TestApp, session: &str, service: i64) -> (StatusCode, String) {
    let service = service.to_string();
    let (status, _, body) = app
        .call(
            "place_order",
            &[
                ("form[service]", &service),
                ("form[samples]", "2"),
                ("form[sample_description]", "实木餐椅用刨花板，批号 NK-2612"),
                ("form[delivery]", "post"),
                ("form[tracking_number]", "SF1234567890"),
                ("form[requested_by]", "2026-12-20"),
                ("form[invoice_title]", "赣州南康木匠家具有限公司"),
                ("form[credit_code]", "91350100M000100Y43"),
            ],
            Some(session),
            &[],
        )
        .await;
    (status, body)
}

async fn act(
    app: &TestApp,
    session: Option<&str>,
    order: i64,
    action: OrderAction,
) -> (StatusCode, String) {
    let order = order.to_string();
    let (status, _, body) = app
        .call(
            "act_on_order",
            &[
                ("order", &order),
                ("action", action.as_str()),
                ("note", "按约定办理"),
                ("quoted", "1500"),
            ],
            session,
            &[],
        )
        .await;
    (status, body)
}

async fn upload(app: &TestApp, session: &str, order: i64, bytes: &[u8]) -> StatusCode {
    let boundary = "labshare-report-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"report\"; filename=\"检测报告.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = Request::post(format!("/orders/{order}/report"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header("cookie", format!("labshare_session={session}"))
        .header("accept", "application/json")
        .body(Body::from(body))
        .unwrap();
    app.request(req).await.0
}

fn pdf() -> Vec<u8> {
    app::backend::demo::sample_report_pdf("Test report")
}

async fn an_order_goes_its_whole_road_with_mails_in_each_language_and_a_private_report(
    app: TestApp,
) {
    let dir = tempfile::tempdir().unwrap();
    let smtpd = Smtpd::start(free_port(), dir.path());
    let mailer = sender(smtpd.port, 72 * 3600);
    // The furniture centre's admin reads English; the SME's person Chinese.
    sqlx::query("UPDATE users SET locale = 'en' WHERE email = $1")
        .bind(FURNITURE_ADMIN)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    sqlx::query("DELETE FROM outbox")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let service = formaldehyde(&app).await;
    let sme = app.sign_in(SME).await;
    let admin = app.sign_in(FURNITURE_ADMIN).await;

    let (status, body) = place(&app, &sme, service).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let order: i64 = body.trim().parse().expect("the order's id");
    // Priced at the SME rate: 2 samples × ¥560.
    let (price, category): (i64, String) =
        sqlx::query_as("SELECT price_fen, customer_category FROM orders WHERE id = $1")
            .bind(order)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!((price, category.as_str()), (112_000, "sme"));

    // The institution quotes; the SME accepts; samples, testing.
    for (who, action) in [
        (&admin, OrderAction::Quote),
        (&sme, OrderAction::AcceptQuote),
        (&admin, OrderAction::ReceiveSamples),
        (&admin, OrderAction::StartTesting),
    ] {
        let (status, body) = act(&app, Some(who), order, action).await;
        assert_eq!(status, StatusCode::OK, "{action:?}: {body}");
    }
    assert_eq!(status_of(&app, order).await, ("testing".into(), 5));

    // A report that is not a PDF is refused, nothing changed; the PDF issues it.
    assert_eq!(
        upload(&app, &admin, order, b"PK\x03\x04 not a pdf").await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        upload(&app, &sme, order, &pdf()).await,
        StatusCode::BAD_REQUEST,
        "the customer cannot issue"
    );
    assert_eq!(status_of(&app, order).await, ("testing".into(), 5));
    assert_eq!(
        upload(&app, &admin, order, &pdf()).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(status_of(&app, order).await, ("report_issued".into(), 6));

    // Only the two organisations read it.
    let path = format!("/orders/{order}/report");
    for (session, expected) in [
        (Some(&sme), StatusCode::OK),
        (Some(&admin), StatusCode::OK),
        (None, StatusCode::UNAUTHORIZED),
    ] {
        let cookie = session.map(|s| format!("labshare_session={s}"));
        let headers: Vec<(&str, &str)> = cookie.iter().map(|c| ("cookie", c.as_str())).collect();
        let (status, head, body) = app.get(&path, &headers).await;
        assert_eq!(status, expected, "{body}");
        if expected == StatusCode::OK {
            assert_eq!(head["content-type"], "application/pdf");
            assert!(body.starts_with("%PDF-"));
        }
    }
    for outsider in [OTHER_CUSTOMER, OTHER_ADMIN] {
        let token = app.sign_in(outsider).await;
        let (status, _, _) = app
            .get(&path, &[("cookie", &format!("labshare_session={token}"))])
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{outsider}");
    }

    // Closed by the SME, rated once.
    assert_eq!(
        act(&app, Some(&sme), order, OrderAction::Close).await.0,
        StatusCode::OK
    );
    let rate = |n: &'static str| {
        let (app, sme, order) = (&app, sme.clone(), order.to_string());
        async move {
            app.call(
                "rate_order",
                &[("order", &order), ("rating", n)],
                Some(&sme),
                &[],
            )
            .await
            .0
        }
    };
    assert_eq!(rate("5").await, StatusCode::OK);
    assert_eq!(rate("1").await, StatusCode::BAD_REQUEST);
    assert_eq!(status_of(&app, order).await, ("closed".into(), 7));

    // A second order the institution accepts as it stands (no quote).
    let (_, body) = place(&app, &sme, service).await;
    let second: i64 = body.trim().parse().unwrap();
    assert_eq!(
        act(&app, Some(&admin), second, OrderAction::Accept).await.0,
        StatusCode::OK
    );

    // Every mail delivered by the real SMTP server, each in its reader's language.
    let round = mailer.deliver_due(&app.state).await.unwrap();
    assert_eq!(round.failed, 0);
    let subjects: Vec<(String, String)> = smtpd
        .messages()
        .iter()
        .map(|raw| {
            let message = mail_parser::MessageParser::default()
                .parse(raw)
                .expect("a MIME message");
            let to = message
                .to()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_string();
            (to, message.subject().unwrap_or_default().to_string())
        })
        .collect();
    let to_sme: Vec<&str> = subjects
        .iter()
        .filter(|(to, _)| to.contains(SME))
        .map(|(_, s)| s.as_str())
        .collect();
    for expected in [
        "检测委托已提交",
        "检测委托已报价",
        "检测委托已受理",
        "检测委托已收样",
        "检测委托检测中",
        "检测报告已出具",
    ] {
        assert!(
            to_sme.iter().any(|s| s.starts_with(expected)),
            "{expected} in {to_sme:?}"
        );
    }
    let to_admin: Vec<&str> = subjects
        .iter()
        .filter(|(to, _)| to.contains(FURNITURE_ADMIN))
        .map(|(_, s)| s.as_str())
        .collect();
    assert!(
        to_admin.iter().any(|s| s.starts_with("New testing order")),
        "{to_admin:?}"
    );
    assert!(
        to_admin
            .iter()
            .any(|s| s.starts_with("Customer's step on order") && s.contains("Accepted")),
        "{to_admin:?}"
    );
    let chinese = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    assert!(
        to_admin.iter().all(|s| !chinese(s)),
        "English only: {to_admin:?}"
    );
    // The SME's own steps (accepting the quote, closing) go to the institution, not back to it.
    assert_eq!(to_sme.len(), 7, "{to_sme:?}");
    assert_eq!(to_admin.len(), 4, "{to_admin:?}");
}

/// Who tries: the ordering organisation, the institution's admin, another customer, another
/// institution's admin, nobody.
#[derive(Debug, Clone, Copy)]
enum Who {
    Customer,
    Institution,
    OtherCustomer,
    OtherAdmin,
    Nobody,
}

async fn every_role_and_action_at_every_state_is_allowed_exactly_as_the_table_says(app: TestApp) {
    // The demo has an order in every state (the furniture centre's order, placed by the SME, is
    // the one whose parties are signed in here; the others' are moved over to them).
    let orders: Vec<(i64, String)> = sqlx::query_as("SELECT id, status FROM orders ORDER BY id")
        .fetch_all(app.state.db.pool())
        .await
        .unwrap();
    let states: std::collections::BTreeSet<&str> = orders.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(states.len(), OrderStatus::ALL.len(), "{states:?}");
    let (customer, institution): (i64, i64) = sqlx::query_as(
        "SELECT u.organisation_id, (SELECT scope_id FROM user_roles r JOIN users a ON a.id = r.user_id WHERE a.email = $2) \
         FROM users u WHERE u.email = $1",
    )
    .bind(SME)
    .bind(FURNITURE_ADMIN)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    let service = formaldehyde(&app).await;
    let requester: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(SME)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE orders SET customer_id = $1, institution_id = $2, service_id = $3, requester_id = $4")
        .bind(customer)
        .bind(institution)
        .bind(service)
        .bind(requester)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let sessions = [
        (Who::Customer, Some(app.sign_in(SME).await)),
        (Who::Institution, Some(app.sign_in(FURNITURE_ADMIN).await)),
        (Who::OtherCustomer, Some(app.sign_in(OTHER_CUSTOMER).await)),
        (Who::OtherAdmin, Some(app.sign_in(OTHER_ADMIN).await)),
        (Who::Nobody, None),
    ];
    let mut allowed = 0;
    for (order, raw) in &orders {
        let from = OrderStatus::parse(raw).unwrap();
        for action in OrderAction::ALL {
            for (who, session) in &sessions {
                let party = match who {
                    Who::Customer => Some(Party::Customer),
                    Who::Institution => Some(Party::Institution),
                    _ => None,
                };
                let before = status_of(&app, *order).await;
                let (status, body) = act(&app, session.as_deref(), *order, *action).await;
                let to = party.and_then(|p| next(from, *action, p));
                // Issuing is uploading the report (its own test); every other allowed step works.
                if let (Some(to), false) = (to, *action == OrderAction::IssueReport) {
                    assert_eq!(
                        status,
                        StatusCode::OK,
                        "{from:?} {action:?} {who:?}: {body}"
                    );
                    assert_eq!(
                        status_of(&app, *order).await,
                        (to.as_str().into(), before.1 + 1)
                    );
                    // Once: the same step again is refused.
                    let (again, _) = act(&app, session.as_deref(), *order, *action).await;
                    assert_eq!(again, StatusCode::BAD_REQUEST, "{from:?} {action:?} twice");
                    allowed += 1;
                    // Back to where it stood for the next try (the audit row stays).
                    sqlx::query("UPDATE orders SET status = $1 WHERE id = $2")
                        .bind(raw)
                        .bind(order)
                        .execute(app.state.db.pool())
                        .await
                        .unwrap();
                    continue;
                }
                let expected = match who {
                    Who::Nobody => StatusCode::UNAUTHORIZED,
                    Who::OtherCustomer | Who::OtherAdmin => StatusCode::NOT_FOUND,
                    Who::Customer | Who::Institution => StatusCode::BAD_REQUEST,
                };
                assert_eq!(status, expected, "{from:?} {action:?} {who:?}: {body}");
                assert_eq!(
                    status_of(&app, *order).await,
                    before,
                    "{from:?} {action:?} {who:?} changed it"
                );
            }
        }
    }
    // The table's rows, less "issue report": 13 (party, state, action) triples allowed.
    // The table's 16 (state, action, side) rows, less issuing the report.
    assert_eq!(allowed, 15);
}

/// A tiny deterministic generator for the random sequences.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

async fn random_sequences_of_steps_keep_the_audit_trail_complete(app: TestApp) {
    let service = formaldehyde(&app).await;
    let sme = app.sign_in(SME).await;
    let admin = app.sign_in(FURNITURE_ADMIN).await;
    let mut rng = Lcg(2026);
    for sequence in 0..12 {
        let (status, body) = place(&app, &sme, service).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let order: i64 = body.trim().parse().unwrap();
        let mut expected = vec![(None, OrderStatus::Submitted)];
        for _ in 0..10 {
            let action = OrderAction::ALL[rng.below(OrderAction::ALL.len())];
            let (party, session) = if rng.below(2) == 0 {
                (Party::Customer, &sme)
            } else {
                (Party::Institution, &admin)
            };
            let current = expected.last().unwrap().1;
            let (status, body) = if action == OrderAction::IssueReport {
                let code = upload(&app, session, order, &pdf()).await;
                (
                    if code == StatusCode::NO_CONTENT {
                        StatusCode::OK
                    } else {
                        code
                    },
                    String::new(),
                )
            } else {
                act(&app, Some(session), order, action).await
            };
            match next(current, action, party) {
                Some(to) => {
                    assert_eq!(
                        status,
                        StatusCode::OK,
                        "#{sequence} {current:?} {action:?} {party:?}: {body}"
                    );
                    expected.push((Some(current), to));
                }
                None => assert_eq!(
                    status,
                    StatusCode::BAD_REQUEST,
                    "#{sequence} {current:?} {action:?} {party:?}"
                ),
            }
        }
        let trail: Vec<(Option<String>, String)> = sqlx::query_as(
            "SELECT from_status, to_status FROM order_events WHERE order_id = $1 ORDER BY id",
        )
        .bind(order)
        .fetch_all(app.state.db.pool())
        .await
        .unwrap();
        let expected: Vec<(Option<String>, String)> = expected
            .iter()
            .map(|(f, t)| (f.map(|f| f.as_str().to_string()), t.as_str().to_string()))
            .collect();
        assert_eq!(trail, expected, "sequence {sequence}");
        let (now, _) = status_of(&app, order).await;
        assert_eq!(Some(&now), expected.last().map(|(_, t)| t));
    }
}

/// A standard's code as the test reads it, written apart from the application's reading: the
/// letters before the first digit, then the digit groups joined by dots.
fn canonical(code: &str) -> (String, String) {
    let upper = code.to_uppercase();
    let first_digit = upper
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(upper.len());
    let letters: String = upper[..first_digit]
        .chars()
        .filter(char::is_ascii_alphabetic)
        .collect();
    let groups: Vec<&str> = upper[first_digit..]
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    (letters, groups.join("."))
}

fn scan_matches(code: &str, query: &str) -> bool {
    let (cl, cn) = canonical(code);
    let (ql, qn) = canonical(query);
    !(ql.is_empty() && qn.is_empty())
        && cl.starts_with(&ql)
        && (qn.is_empty()
            || format!("{cn}.").starts_with(&qn) && {
                // The query's last group may be the beginning of the code's group at that place;
                // its earlier groups must be whole.
                let whole = qn.rsplit_once('.').map_or("", |(w, _)| w);
                whole.is_empty() || format!("{cn}.").starts_with(&format!("{whole}."))
            })
}

async fn search_by_standard_agrees_with_an_independent_scan_and_expired_accreditation_withdraws(
    app: TestApp,
) {
    // Let one more accreditation lapse: the copper centre's salt spray chamber's.
    sqlx::query(
        "UPDATE accreditations SET valid_until = '2026-11-24' WHERE resource_id IN \
         (SELECT id FROM resources WHERE name_zh = '中性盐雾试验室')",
    )
    .execute(app.state.db.pool())
    .await
    .unwrap();
    let codes: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT code FROM accreditation_standards")
            .fetch_all(app.state.db.pool())
            .await
            .unwrap();
    let mut queries: Vec<String> = Vec::new();
    for code in &codes {
        queries.push(code.clone());
        queries.push(code.to_lowercase().replace([' ', '/'], ""));
        let (letters, numbers) = canonical(code);
        let first = numbers.split('.').next().unwrap_or_default();
        queries.push(format!(
            "{} {}",
            letters.to_lowercase(),
            &first[..first.len().min(3)]
        ));
        queries.push(numbers.clone());
    }
    queries.extend(["GB", "gb/t", "iec", "17626", "2423.1", "xyz 1"].map(String::from));

    // The independent scan: the listed services all of whose standards are in an accreditation
    // of their institution valid today (2026-11-25), matching the query.
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT s.id, x.code, CASE WHEN EXISTS (SELECT 1 FROM accreditation_standards a \
            JOIN accreditations c ON c.id = a.accreditation_id JOIN resources r ON r.id = c.resource_id \
            WHERE a.code = x.code AND r.institution_id = s.institution_id AND r.status <> 'retired' \
              AND c.valid_from <= '2026-11-25' AND c.valid_until >= '2026-11-25') THEN 1 ELSE 0 END \
         FROM test_services s JOIN service_standards x ON x.service_id = s.id WHERE s.listed = 1",
    )
    .fetch_all(app.state.db.pool())
    .await
    .unwrap();
    let mut by_service: std::collections::BTreeMap<i64, Vec<(String, bool)>> = Default::default();
    for (id, code, covered) in rows {
        by_service.entry(id).or_default().push((code, covered == 1));
    }
    let withdrawn: Vec<i64> = by_service
        .iter()
        .filter(|(_, codes)| codes.iter().any(|(_, covered)| !covered))
        .map(|(id, _)| *id)
        .collect();
    assert!(
        withdrawn.len() >= 2,
        "the TVOC service and the salt spray one: {withdrawn:?}"
    );

    let mut compared = 0;
    for query in &queries {
        let mut expected: Vec<i64> = by_service
            .iter()
            .filter(|(_, codes)| codes.iter().all(|(_, covered)| *covered))
            .filter(|(_, codes)| codes.iter().any(|(code, _)| scan_matches(code, query)))
            .map(|(id, _)| *id)
            .collect();
        expected.sort();
        let (status, _, body) = app
            .call("services", &[("query[standard]", query)], None, &[])
            .await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        let page: serde_json::Value = serde_json::from_str(&body).unwrap();
        let mut found: Vec<i64> = page["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_i64().unwrap())
            .collect();
        found.sort();
        assert_eq!(found, expected, "{query}");
        assert!(found.iter().all(|id| !withdrawn.contains(id)));
        compared += usize::from(!expected.is_empty());
    }
    assert!(
        compared > codes.len(),
        "most queries find something: {compared}"
    );

    // The institution is told why its service left search.
    let admin = app.sign_in(OTHER_ADMIN).await;
    let (status, _, body) = app
        .call("institution_services", &[], Some(&admin), &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    let salt = page["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["standards"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == "GB/T 10125")
        })
        .expect("the salt spray service");
    assert_eq!(salt["withdrawn"][0]["standard"], "GB/T 10125");
    assert_eq!(salt["withdrawn"][0]["expired_on"], "2026-11-24");
    let html = common::text(
        &app.get(
            "/institution/services",
            &[("cookie", &format!("labshare_session={admin}"))],
        )
        .await
        .2,
    );
    assert!(
        html.contains("已自动撤下：GB/T 10125 不在有效资质范围内"),
        "the warning on the page"
    );
}

async fn an_institution_publishes_only_standards_it_is_accredited_for(app: TestApp) {
    let admin = app.sign_in(FURNITURE_ADMIN).await;
    let institution: i64 = sqlx::query_scalar(
        "SELECT r.scope_id FROM user_roles r JOIN users u ON u.id = r.user_id WHERE u.email = $1",
    )
    .bind(FURNITURE_ADMIN)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    let inst = institution.to_string();
    let publish = |session: String, standards: &'static str| {
        let (app, inst) = (&app, inst.clone());
        async move {
            app.call(
                "publish_service",
                &[
                    ("form[institution]", &inst),
                    ("form[name_zh]", "木家具力学性能检验"),
                    ("form[name_en]", "Mechanical properties of wooden furniture"),
                    ("form[standards]", standards),
                    ("form[products]", "木家具"),
                    ("form[sample_quantity]", "1 件"),
                    ("form[sample_form]", "成品"),
                    ("form[packaging]", "原包装"),
                    ("form[turnaround_days]", "8"),
                    ("form[capacity_per_week]", "12"),
                    ("form[price_own]", ""),
                    ("form[price_zone]", "900"),
                    ("form[price_external]", "1100"),
                    ("form[price_sme]", ""),
                ],
                Some(&session),
                &[],
            )
            .await
        }
    };
    let before = app.scalar("SELECT COUNT(*) FROM test_services").await;
    // An expired accreditation's standard, another institution's, and none at all: refused.
    for standards in ["GB/T 18883", "GB/T 228.1", "  "] {
        let (status, _, body) = publish(admin.clone(), standards).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{standards}: {body}");
    }
    // Another institution's admin: forbidden.
    let (status, _, _) = publish(app.sign_in(OTHER_ADMIN).await, "GB/T 10357.1").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM test_services").await,
        before
    );

    let (status, _, body) = publish(admin.clone(), "GB/T 10357.1\nGB/T 10357.3").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, body) = app
        .call("services", &[("query[standard]", "gbt10357")], None, &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    let found = &page["services"][0];
    assert_eq!(found["name"]["zh"], "木家具力学性能检验");
    // Anyone unknown pays the external price; the page offers it.
    assert_eq!(found["price"][0], "external");
    let html = common::text(&app.get("/services?standard=gbt10357", &[]).await.2);
    assert!(
        html.contains("木家具力学性能检验") && html.contains("8 个工作日"),
        "{html}"
    );
}

async fn the_pages_show_a_service_with_its_order_form_and_orders_on_both_sides(app: TestApp) {
    let service = formaldehyde(&app).await;
    let sme = app.sign_in(SME).await;
    let cookie = format!("labshare_session={sme}");
    let page = |path: String, cookie: String| {
        let app = &app;
        async move {
            let (status, _, body) = app.get(&path, &[("cookie", &cookie)]).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            common::text(&body)
        }
    };
    let html = page(format!("/services/{service}"), cookie.clone()).await;
    for text in [
        "人造板及家具甲醛释放量检测",
        "GB 18580",
        "委托检测",
        "提交委托",
        "赣州南康木匠家具有限公司",
    ] {
        assert!(html.contains(text), "{text} on the service page");
    }
    // The SME's orders: the demo's in several states, each linked.
    let html = page("/orders".into(), cookie.clone()).await;
    assert!(html.contains("本单位的委托") && html.contains("报告已出具"));
    let issued: i64 = sqlx::query_scalar(
        "SELECT x.id FROM orders x JOIN users u ON u.id = x.requester_id WHERE u.email = $1 AND x.status = 'report_issued'",
    )
    .bind(SME)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    let html = page(format!("/orders/{issued}"), cookie).await;
    for text in [
        "报告已出具",
        "办理记录",
        "已提交",
        "检测中",
        "完结",
        &format!("/orders/{issued}/report"),
    ] {
        assert!(html.contains(text), "{text} on the order page");
    }
    // The institution sees the same order among those it received, with no customer's steps.
    let admin = app.sign_in(FURNITURE_ADMIN).await;
    let html = page("/orders".into(), format!("labshare_session={admin}")).await;
    assert!(html.contains("委托本机构的订单") && html.contains(&format!("#{issued}")));
}

async fn post_need(
    app: &TestApp,
    session: &str,
    title: &str,
    standard: &str,
    deadline: &str,
) -> i64 {
    let (status, _, body) = app
        .call(
            "post_need",
            &[
                ("form[title]", title),
                ("form[product]", ""),
                ("form[standard]", standard),
                ("form[quantity]", "3 件"),
                ("form[deadline]", deadline),
                ("form[budget]", "2000"),
                ("form[visibility]", "zone"),
            ],
            Some(session),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.trim().parse().unwrap()
}

async fn digests_to(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar("SELECT to_address FROM outbox WHERE template = 'needs_digest' ORDER BY id")
        .fetch_all(app.state.db.pool())
        .await
        .unwrap()
}

async fn needs_are_told_once_a_day_to_matching_institutions_and_an_accepted_offer_becomes_an_order(
    app: TestApp,
) {
    let dir = tempfile::tempdir().unwrap();
    let smtpd = Smtpd::start(free_port(), dir.path());
    let mailer = sender(smtpd.port, 72 * 3600);
    // The demo's own needs aside, so that the digests hold only this test's.
    for table in ["outbox", "need_offers", "needs"] {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(app.state.db.pool())
            .await
            .unwrap();
    }
    let sme = app.sign_in(SME).await;
    let battery_maker = app.sign_in(OTHER_CUSTOMER).await;
    let wardrobe = post_need(
        &app,
        &sme,
        "儿童衣柜甲醛释放量检测",
        "GB 18584",
        "2026-12-20",
    )
    .await;
    let cells = post_need(
        &app,
        &battery_maker,
        "储能电芯针刺试验",
        "gb38031",
        "2026-12-01",
    )
    .await;
    // A deadline in the past, or past a year, is refused.
    for deadline in ["2026-11-24", "2027-12-01"] {
        let (status, _, _) = app
            .call(
                "post_need",
                &[
                    ("form[title]", "x"),
                    ("form[deadline]", deadline),
                    ("form[visibility]", "zone"),
                ],
                Some(&sme),
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{deadline}");
    }

    // One digest for each matching institution (furniture, lithium batteries), nobody else.
    assert_eq!(
        app::backend::needs::send_digests(&app.state).await.unwrap(),
        2
    );
    assert_eq!(
        digests_to(&app).await,
        ["admin@li-yichun.example", FURNITURE_ADMIN],
        "in institution order"
    );
    // The same day: nothing more, even for a new matching need.
    let table = post_need(&app, &sme, "板式餐桌甲醛检测", "GB 18580", "2026-12-30").await;
    assert_eq!(
        app::backend::needs::send_digests(&app.state).await.unwrap(),
        0
    );
    assert_eq!(digests_to(&app).await.len(), 2);
    // The next morning: the new one alone.
    app.clock.advance(chrono::Duration::days(1));
    assert_eq!(
        app::backend::needs::send_digests(&app.state).await.unwrap(),
        1
    );
    let (subject, body) = app.last_mail_to(FURNITURE_ADMIN).await.unwrap();
    assert!(subject.starts_with("今日 1 条检测需求"), "{subject}");
    assert!(
        body.contains("板式餐桌甲醛检测") && !body.contains("儿童衣柜"),
        "{body}"
    );
    let round = mailer.deliver_due(&app.state).await.unwrap();
    assert_eq!((round.sent, round.failed), (3, 0));
    assert_eq!(smtpd.messages().len(), 3);

    // On its deadline a need is still open; the day after, the scheduler's job closes it.
    app.clock.advance(chrono::Duration::days(5));
    assert_eq!(app::backend::needs::close_due(&app.state).await.unwrap(), 0);
    app.clock.advance(chrono::Duration::days(1));
    assert_eq!(app::backend::needs::close_due(&app.state).await.unwrap(), 1);
    let status: String = sqlx::query_scalar("SELECT status FROM needs WHERE id = $1")
        .bind(cells)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(status, "closed");

    // Two institutions offer for the wardrobe (the copper centre sees it too: same zone). A
    // week has passed: everyone signs in again.
    let sme = app.sign_in(SME).await;
    let battery_maker = app.sign_in(OTHER_CUSTOMER).await;
    let furniture = app.sign_in(FURNITURE_ADMIN).await;
    let copper = app.sign_in(OTHER_ADMIN).await;
    let service_of = |domain: &'static str| {
        let app = &app;
        async move {
            let id: i64 = sqlx::query_scalar(
                "SELECT MIN(s.id) FROM test_services s JOIN user_roles r ON r.scope_id = s.institution_id \
                 JOIN users u ON u.id = r.user_id WHERE u.email = $1",
            )
            .bind(format!("admin@{domain}"))
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
            id.to_string()
        }
    };
    let offer = |session: String, service: String, price: &'static str| {
        let (app, need) = (&app, wardrobe.to_string());
        async move {
            app.call(
                "make_offer",
                &[
                    ("need", &need),
                    ("service", &service),
                    ("price", price),
                    ("turnaround_days", "8"),
                    ("note", "三日内可开始"),
                ],
                Some(&session),
                &[],
            )
            .await
        }
    };
    let furniture_service = service_of("furniture-nankang.example").await;
    assert_eq!(
        offer(furniture.clone(), furniture_service.clone(), "1500")
            .await
            .0,
        StatusCode::OK
    );
    // A second offer replaces the first.
    let (status, _, body) = offer(furniture.clone(), furniture_service.clone(), "1350").await;
    assert_eq!(status, StatusCode::OK);
    let furniture_offer: i64 = body.trim().parse().unwrap();
    assert_eq!(
        offer(
            copper.clone(),
            service_of("cu-yingtan.example").await,
            "1800"
        )
        .await
        .0,
        StatusCode::OK
    );
    // Nor with a service out of search (its accreditation lapsed).
    let withdrawn: i64 =
        sqlx::query_scalar("SELECT service_id FROM service_standards WHERE code = 'GB/T 18883'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(
        offer(furniture.clone(), withdrawn.to_string(), "500")
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    // Nobody offers with another institution's service.
    assert_eq!(
        offer(copper.clone(), furniture_service.clone(), "100")
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM need_offers WHERE need_id = {wardrobe}"
        ))
        .await,
        2
    );

    // The board: the furniture admin sees the need as matching; the SME sees both offers.
    let html = common::text(
        &app.get(
            "/needs",
            &[("cookie", &format!("labshare_session={furniture}"))],
        )
        .await
        .2,
    );
    assert!(html.contains("儿童衣柜甲醛释放量检测") && html.contains("与本机构资质匹配"));
    let html = common::text(
        &app.get("/needs", &[("cookie", &format!("labshare_session={sme}"))])
            .await
            .2,
    );
    assert!(
        html.contains("报价（2）") && html.contains("¥1,350.00"),
        "{html}"
    );

    // Only the posting organisation accepts; the offer becomes an accepted order.
    let accept = |session: String| {
        let (app, offer) = (&app, furniture_offer.to_string());
        async move {
            app.call("accept_offer", &[("offer", &offer)], Some(&session), &[])
                .await
        }
    };
    assert_eq!(accept(battery_maker.clone()).await.0, StatusCode::NOT_FOUND);
    let (status, _, body) = accept(sme.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let order: i64 = body.trim().parse().unwrap();
    let (state, price, need): (String, i64, i64) =
        sqlx::query_as("SELECT status, price_fen, need_id FROM orders WHERE id = $1")
            .bind(order)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(
        (state.as_str(), price, need),
        ("accepted", 135_000, wardrobe)
    );
    assert_eq!(accept(sme.clone()).await.0, StatusCode::BAD_REQUEST, "once");
    assert_eq!(
        offer(copper, service_of("cu-yingtan.example").await, "900")
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    let (subject, _) = app.last_mail_to(FURNITURE_ADMIN).await.unwrap();
    assert!(
        subject.starts_with("您的报价已被接受：儿童衣柜甲醛释放量检测"),
        "{subject}"
    );
    // The order goes on as any other: the institution receives the samples.
    assert_eq!(
        act(&app, Some(&furniture), order, OrderAction::ReceiveSamples)
            .await
            .0,
        StatusCode::OK
    );
    let _ = table;
}

/// The services table of a report read back from the server function's JSON.
fn services_of(body: &str) -> serde_json::Value {
    let report: serde_json::Value = serde_json::from_str(body).unwrap();
    report["services"].clone()
}

async fn the_reports_count_orders_and_needs_as_an_independent_reading_of_the_rows(app: TestApp) {
    // One more order goes its whole road today, so that the period holds an on-time report.
    let service = formaldehyde(&app).await;
    let sme = app.sign_in(SME).await;
    let admin = app.sign_in(FURNITURE_ADMIN).await;
    let (_, body) = place(&app, &sme, service).await;
    let order: i64 = body.trim().parse().unwrap();
    for action in [
        OrderAction::Accept,
        OrderAction::ReceiveSamples,
        OrderAction::StartTesting,
    ] {
        assert_eq!(
            act(&app, Some(&admin), order, action).await.0,
            StatusCode::OK
        );
    }
    assert_eq!(
        upload(&app, &admin, order, &pdf()).await,
        StatusCode::NO_CONTENT
    );

    let manager = app.sign_in("manager@jx-zone.example").await;
    let (status, _, body) = app
        .call(
            "zone_report",
            &[("query[kind]", "year")],
            Some(&manager),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let got = services_of(&body);

    // The rows, read apart: every order and need of the zone falls in 2026 here.
    /// status, category, samples, received, accepted, reported, promised days, price, quote.
    type OrderRow = (
        String,
        String,
        i64,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        i64,
        i64,
        Option<i64>,
    );
    let orders: Vec<OrderRow> = sqlx::query_as(
        "SELECT status, customer_category, samples, received_at, accepted_at, reported_at, promised_days, price_fen, quoted_fen FROM orders",
    )
    .fetch_all(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(got["orders"], orders.len() as i64);
    let reported: Vec<_> = orders.iter().filter(|o| o.5.is_some()).collect();
    assert_eq!(
        got["samples_tested"],
        reported.iter().map(|o| o.2).sum::<i64>()
    );
    assert_eq!(
        got["income_fen"],
        reported.iter().map(|o| o.8.unwrap_or(o.7)).sum::<i64>()
    );
    let sme_orders = orders.iter().filter(|o| o.1 == "sme").count() as f64;
    let share = got["sme_share"].as_f64().unwrap();
    assert!((share - sme_orders / orders.len() as f64).abs() < 1e-9);
    for (state, n) in got["by_state"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap(), p[1].as_i64().unwrap()))
    {
        assert_eq!(
            n,
            orders.iter().filter(|o| o.0 == state).count() as i64,
            "{state}"
        );
    }
    // Turnaround in working days, counted day by day in Shanghai.
    let local = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .unwrap()
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .date_naive()
    };
    let mut took: Vec<i64> = reported
        .iter()
        .map(|o| {
            let (from, to) = (local(o.3.or(o.4).unwrap()), local(o.5.unwrap()));
            let mut n = 0;
            let mut d = from;
            while d < to {
                d += chrono::Duration::days(1);
                n += i64::from(!matches!(
                    chrono::Datelike::weekday(&d),
                    chrono::Weekday::Sat | chrono::Weekday::Sun
                ));
            }
            n
        })
        .collect();
    let on_time = reported
        .iter()
        .zip(&took)
        .filter(|(o, t)| **t <= o.6)
        .count() as f64;
    let got_on_time = got["on_time"].as_f64().unwrap();
    assert!((got_on_time - on_time / reported.len() as f64).abs() < 1e-9);
    took.sort();
    let middle = if took.len() % 2 == 1 {
        took[took.len() / 2] as f64
    } else {
        (took[took.len() / 2 - 1] + took[took.len() / 2]) as f64 / 2.0
    };
    assert_eq!(got["median_turnaround_days"].as_f64(), Some(middle));

    // Needs, counted apart.
    let needs: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT n.id, (SELECT COUNT(*) FROM need_offers f WHERE f.need_id = n.id), n.status FROM needs n",
    )
    .fetch_all(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(got["needs_posted"], needs.len() as i64);
    assert_eq!(
        got["needs_answered"],
        needs.iter().filter(|n| n.1 > 0).count() as i64
    );
    assert_eq!(
        got["needs_matched"],
        needs.iter().filter(|n| n.2 == "matched").count() as i64
    );

    // The workbook carries the table as a sheet of its own.
    let (status, head, _) = app
        .get(
            "/reports/export?which=zone&kind=year&format=xlsx",
            &[("cookie", &format!("labshare_session={manager}"))],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(head["content-type"]
        .to_str()
        .unwrap()
        .contains("spreadsheetml"));
    let (_, _, csv) = app
        .get(
            "/reports/export?which=zone&kind=year&format=csv&table=services",
            &[("cookie", &format!("labshare_session={manager}"))],
        )
        .await;
    assert!(
        csv.contains("检测委托（本期提交）") && csv.contains("报告已出具"),
        "{csv}"
    );

    // The furniture centre's own report counts its orders only.
    let (_, _, body) = app
        .call(
            "institution_report",
            &[("query[kind]", "year")],
            Some(&admin),
            &[],
        )
        .await;
    let own = services_of(&body);
    let furniture: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM orders x JOIN user_roles r ON r.scope_id = x.institution_id JOIN users u ON u.id = r.user_id WHERE u.email = $1",
    )
    .bind(FURNITURE_ADMIN)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(own["orders"], furniture);
    assert!(furniture < orders.len() as i64);
}

/// The instrument the demo's formaldehyde service uses (its 1 m³ chamber).
async fn chamber(app: &TestApp, service: i64) -> i64 {
    sqlx::query_scalar("SELECT resource_id FROM service_resources WHERE service_id = $1")
        .bind(service)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn hold(
    app: &TestApp,
    session: &str,
    order: i64,
    resource: i64,
    (starts, ends): (&str, &str),
) -> (StatusCode, String) {
    let (order, resource) = (order.to_string(), resource.to_string());
    let (status, _, body) = app
        .call(
            "hold_order_time",
            &[
                ("form[order]", &order),
                ("form[resource]", &resource),
                ("form[starts]", starts),
                ("form[ends]", ends),
            ],
            Some(session),
            &[],
        )
        .await;
    (status, body)
}

async fn held(app: &TestApp, order: i64) -> Vec<(i64, i64, i64)> {
    sqlx::query_as(
        "SELECT resource_id, starts_at, ends_at FROM blackouts WHERE order_id = $1 ORDER BY starts_at",
    )
    .bind(order)
    .fetch_all(app.state.db.pool())
    .await
    .unwrap()
}

fn shanghai(local: &str) -> i64 {
    chrono::NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M")
        .unwrap()
        .and_utc()
        .timestamp()
        - 8 * 3600
}

async fn an_accepted_order_holds_instrument_time_that_nobody_can_book(app: TestApp) {
    let service = formaldehyde(&app).await;
    let chamber = chamber(&app, service).await;
    let sme = app.sign_in(SME).await;
    let admin = app.sign_in(FURNITURE_ADMIN).await;
    let order = place(&app, &sme, service).await.1.trim().parse().unwrap();
    let monday = ("2026-12-07T09:00", "2026-12-08T17:00");

    // Not before the institution accepts.
    let (status, body) = hold(&app, &admin, order, chamber, monday).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        act(&app, Some(&admin), order, OrderAction::Accept).await.0,
        StatusCode::OK
    );

    // Not by the customer, nor by an outsider; not on an instrument the service does not use;
    // not in the past, not backwards, not for more than a month.
    let (status, _) = hold(&app, &sme, order, chamber, monday).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = hold(
        &app,
        &app.sign_in(OTHER_ADMIN).await,
        order,
        chamber,
        monday,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let other: i64 = sqlx::query_scalar(
        "SELECT id FROM resources WHERE institution_id = (SELECT institution_id FROM resources WHERE id = $1) \
           AND id <> $1 ORDER BY id LIMIT 1",
    )
    .bind(chamber)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    for (resource, times, field) in [
        (other, monday, "resource"),
        (chamber, ("2026-11-20T09:00", "2026-11-21T09:00"), "ends"),
        (chamber, ("2026-12-08T09:00", "2026-12-07T09:00"), "ends"),
        (chamber, ("2026-12-01T09:00", "2027-01-05T09:00"), "ends"),
        (chamber, ("next monday", "2026-12-08T09:00"), "starts"),
    ] {
        let (status, body) = hold(&app, &admin, order, resource, times).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{times:?}: {body}");
        assert!(body.contains(field), "{times:?}: {body}");
    }
    assert!(held(&app, order).await.is_empty());

    // A time someone has booked is refused as taken, and the booking stays.
    let booked = common::insert_booking(
        &app,
        chamber,
        shanghai("2026-12-02T10:00"),
        shanghai("2026-12-02T12:00"),
        "confirmed",
    )
    .await
    .unwrap();
    let (status, body) = hold(
        &app,
        &admin,
        order,
        chamber,
        ("2026-12-01T09:00", "2026-12-03T17:00"),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(held(&app, order).await.is_empty());
    let kept: String = sqlx::query_scalar("SELECT status FROM bookings WHERE id = $1")
        .bind(booked)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(kept, "confirmed");

    // A free time is held: nobody can book it, through the application or around it.
    let (status, body) = hold(&app, &admin, order, chamber, monday).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        held(&app, order).await,
        [(chamber, shanghai(monday.0), shanghai(monday.1))]
    );
    let buyer = app.sign_in(OTHER_CUSTOMER).await;
    let resource = chamber.to_string();
    let (status, _, body) = app
        .call(
            "book",
            &[
                ("resource", &resource),
                ("starts", "2026-12-07T10:00"),
                ("ends", "2026-12-07T12:00"),
                ("purpose", "板材甲醛释放量自测"),
                ("contact_phone", "13800000000"),
            ],
            Some(&buyer),
            &[],
        )
        .await;
    assert!(
        status == StatusCode::CONFLICT || status == StatusCode::UNPROCESSABLE_ENTITY,
        "{status}: {body}"
    );
    common::assert_overlap(
        common::insert_booking(
            &app,
            chamber,
            shanghai("2026-12-08T10:00"),
            shanghai("2026-12-08T11:00"),
            "pending",
        )
        .await,
    );

    // Both sides see the hold on the order's page; only the institution may hold more.
    for (session, can_hold) in [(&admin, true), (&sme, false)] {
        let html = app
            .get(
                &format!("/orders/{order}"),
                &[("cookie", &format!("labshare_session={session}"))],
            )
            .await
            .2;
        assert!(html.contains("data-testid=\"held-list\""), "{html}");
        assert!(common::text(&html).contains("1 m³ 甲醛释放量气候箱"));
        assert_eq!(html.contains("name=\"form[starts]\""), can_hold);
    }

    // A second hold, given back by the institution.
    let (status, _) = hold(
        &app,
        &admin,
        order,
        chamber,
        ("2026-12-14T09:00", "2026-12-14T17:00"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let second: i64 = sqlx::query_scalar("SELECT MAX(id) FROM blackouts WHERE order_id = $1")
        .bind(order)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let (order_text, second_text) = (order.to_string(), second.to_string());
    let release = [
        ("order", order_text.as_str()),
        ("hold", second_text.as_str()),
    ];
    let (status, _, _) = app
        .call("release_order_time", &release, Some(&sme), &[])
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the customer cannot give it back"
    );
    let (status, _, _) = app
        .call("release_order_time", &release, Some(&admin), &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(held(&app, order).await.len(), 1);

    // Cancelling the order gives back what is ahead.
    assert_eq!(
        act(&app, Some(&sme), order, OrderAction::Cancel).await.0,
        StatusCode::OK
    );
    assert!(held(&app, order).await.is_empty());

    // A hold under way when the report is issued ends then; one ahead goes.
    let order: i64 = place(&app, &sme, service).await.1.trim().parse().unwrap();
    assert_eq!(
        act(&app, Some(&admin), order, OrderAction::Accept).await.0,
        StatusCode::OK
    );
    for times in [
        ("2026-11-25T09:00", "2026-11-26T17:00"),
        ("2026-12-21T09:00", "2026-12-21T17:00"),
    ] {
        let (status, body) = hold(&app, &admin, order, chamber, times).await;
        assert_eq!(status, StatusCode::OK, "{times:?}: {body}");
    }
    for action in [OrderAction::ReceiveSamples, OrderAction::StartTesting] {
        assert_eq!(
            act(&app, Some(&admin), order, action).await.0,
            StatusCode::OK
        );
    }
    assert_eq!(
        upload(&app, &admin, order, &pdf()).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        held(&app, order).await,
        [(
            chamber,
            shanghai("2026-11-25T09:00"),
            common::now().timestamp()
        )]
    );
}

async fn set_service(
    app: &TestApp,
    session: &str,
    institution: i64,
    service: Option<i64>,
    price_sme: &str,
    resources: &[i64],
) -> (StatusCode, String) {
    let (institution, service) = (institution.to_string(), service.map(|s| s.to_string()));
    let resources: Vec<String> = resources.iter().map(i64::to_string).collect();
    let mut fields = vec![
        ("form[institution]", institution.as_str()),
        ("form[name_zh]", "人造板甲醛释放量快速检测（干燥器法）"),
        ("form[name_en]", "Formaldehyde emission, desiccator method"),
        ("form[standards]", "GB 18580"),
        ("form[products]", "人造板"),
        ("form[sample_quantity]", "10 块"),
        ("form[sample_form]", "板材"),
        ("form[packaging]", "密封袋"),
        ("form[turnaround_days]", "5"),
        ("form[capacity_per_week]", "30"),
        ("form[price_own]", ""),
        ("form[price_zone]", ""),
        ("form[price_external]", "500"),
        ("form[price_sme]", price_sme),
    ];
    if let Some(id) = &service {
        fields.push(("form[service]", id));
    }
    for id in &resources {
        fields.push(("form[resources][]", id));
    }
    let (status, _, body) = app
        .call("publish_service", &fields, Some(session), &[])
        .await;
    (status, body)
}

async fn a_service_is_changed_with_its_instruments_and_orders_keep_their_price(app: TestApp) {
    let admin = app.sign_in(FURNITURE_ADMIN).await;
    let formaldehyde = formaldehyde(&app).await;
    let chamber = chamber(&app, formaldehyde).await;
    let institution: i64 = sqlx::query_scalar("SELECT institution_id FROM resources WHERE id = $1")
        .bind(chamber)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    // Published with the chamber ticked.
    let (status, body) =
        set_service(&app, &admin, institution, None, "400", &[chamber, chamber]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let service: i64 = body.trim().parse().unwrap();
    let uses = |service: i64| {
        let app = &app;
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT resource_id FROM service_resources WHERE service_id = $1",
            )
            .bind(service)
            .fetch_all(app.state.db.pool())
            .await
            .unwrap()
        }
    };
    assert_eq!(uses(service).await, [chamber]);
    let sme = app.sign_in(SME).await;
    let order: i64 = place(&app, &sme, service).await.1.trim().parse().unwrap();

    // The form opens filled with the service as it stands.
    let html = app
        .get(
            &format!("/institution/services?institution={institution}&edit={service}"),
            &[("cookie", &format!("labshare_session={admin}"))],
        )
        .await
        .2;
    assert!(
        html.contains(&format!("name=\"form[service]\" value=\"{service}\"")),
        "{html}"
    );
    assert!(html.contains("value=\"人造板甲醛释放量快速检测（干燥器法）\""));
    assert!(html.contains("value=\"400\""));
    let ticked = format!("value=\"{chamber}\" checked");
    assert!(html.contains(&ticked), "the chamber ticked");

    // Changed: a new SME price and no instrument. The order placed keeps its price.
    let (status, body) = set_service(&app, &admin, institution, Some(service), "350", &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body.trim(), service.to_string());
    assert!(uses(service).await.is_empty());
    let (status, _, body) = app
        .call("service", &[("id", &service.to_string())], Some(&sme), &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let detail: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(detail["summary"]["price"][1], 35_000, "{detail}");
    let price: i64 = sqlx::query_scalar("SELECT price_fen FROM orders WHERE id = $1")
        .bind(order)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(price, 2 * 40_000);

    // Another institution's admin cannot change it, nor move it to their institution; a standard
    // outside the accreditation is refused; nothing changes.
    let other = app.sign_in(OTHER_ADMIN).await;
    let other_institution: i64 = sqlx::query_scalar(
        "SELECT r.scope_id FROM user_roles r JOIN users u ON u.id = r.user_id WHERE u.email = $1",
    )
    .bind(OTHER_ADMIN)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    let (status, _) = set_service(&app, &other, institution, Some(service), "1", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = set_service(&app, &other, other_institution, Some(service), "1", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Another institution's instrument is refused.
    let foreign: i64 = sqlx::query_scalar(
        "SELECT id FROM resources WHERE institution_id = $1 ORDER BY id LIMIT 1",
    )
    .bind(other_institution)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    let (status, _) = set_service(&app, &admin, institution, Some(service), "1", &[foreign]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let sme_price: i64 = sqlx::query_scalar(
        "SELECT per_sample_fen FROM service_prices WHERE service_id = $1 AND customer_category = 'sme'",
    )
    .bind(service)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(sme_price, 35_000);
}

async fn a_lapsed_accreditation_is_mailed_to_the_institution_once(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let smtpd = Smtpd::start(free_port(), dir.path());
    let mailer = sender(smtpd.port, 72 * 3600);
    sqlx::query("DELETE FROM outbox")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let told = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT to_address FROM outbox WHERE template = 'services_withdrawn' ORDER BY id",
        )
        .fetch_all(app.state.db.pool())
        .await
        .unwrap()
    };
    // The demo's TVOC service lapsed before today: told once, at the first look.
    let first = app::backend::services::tell_lapses(&app.state)
        .await
        .unwrap();
    assert!(first >= 1, "the demo's lapsed service");
    let before = told().await;
    assert!(before.contains(&FURNITURE_ADMIN.to_string()), "{before:?}");
    // Now the copper centre's salt spray accreditation lapses: the same day, nobody looks again.
    sqlx::query(
        "UPDATE accreditations SET valid_until = '2026-11-24' WHERE resource_id IN \
         (SELECT id FROM resources WHERE name_zh = '中性盐雾试验室')",
    )
    .execute(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(
        app::backend::services::tell_lapses(&app.state)
            .await
            .unwrap(),
        0
    );
    // The next morning: the new lapses alone (the salt spray standard of each service naming
    // it), in one mail to the copper centre's admin.
    app.clock.advance(chrono::Duration::days(1));
    let lapses = app::backend::services::tell_lapses(&app.state)
        .await
        .unwrap();
    assert!(lapses >= 1);
    let after = told().await;
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(after.last().unwrap(), OTHER_ADMIN);
    let (subject, body) = app.last_mail_to(OTHER_ADMIN).await.unwrap();
    assert!(
        subject.starts_with(&format!("本机构 {lapses} 项检测服务已从搜索中撤下")),
        "{subject}"
    );
    assert!(
        body.contains("GB/T 10125") && body.contains("2026-11-24"),
        "{body}"
    );
    // And the day after: nothing new to tell.
    app.clock.advance(chrono::Duration::days(1));
    assert_eq!(
        app::backend::services::tell_lapses(&app.state)
            .await
            .unwrap(),
        0
    );
    let round = mailer.deliver_due(&app.state).await.unwrap();
    assert_eq!((round.sent, round.failed), (after.len(), 0));
    assert_eq!(smtpd.messages().len(), after.len());
}

/// Each test on the run's database (a SQLite file, or a PostgreSQL database in the test
/// script's second run; see `common::test_postgres`).
macro_rules! tests {
    ($($name:ident),* $(,)?) => {
        mod run {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(TestApp::new().await).await;
                }
            )*
        }
    };
}

tests!(
    an_order_goes_its_whole_road_with_mails_in_each_language_and_a_private_report,
    every_role_and_action_at_every_state_is_allowed_exactly_as_the_table_says,
    random_sequences_of_steps_keep_the_audit_trail_complete,
    search_by_standard_agrees_with_an_independent_scan_and_expired_accreditation_withdraws,
    an_institution_publishes_only_standards_it_is_accredited_for,
    the_pages_show_a_service_with_its_order_form_and_orders_on_both_sides,
    the_reports_count_orders_and_needs_as_an_independent_reading_of_the_rows,
    an_accepted_order_holds_instrument_time_that_nobody_can_book,
    a_service_is_changed_with_its_instruments_and_orders_keep_their_price,
    a_lapsed_accreditation_is_mailed_to_the_institution_once,
    needs_are_told_once_a_day_to_matching_institutions_and_an_accepted_offer_becomes_an_order,
);
