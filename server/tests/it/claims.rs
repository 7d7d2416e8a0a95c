//! Trust in what people say at sign-up, through the real router on a real SQLite file: a new
//! organisation's zone membership and SME status, and joining a listed organisation, wait for a
//! zone manager; until then the person is priced and admitted as an outsider.

use crate::common;

use axum::http::StatusCode;
use common::race::open_resource;
use common::{sign_up_fields, token_in, TestApp};

const PASSWORD: &str = "Kiln-violet-42";
const MANAGER: &str = "manager@jx-zone.example";

/// Signs up with `fields`, confirms the address from the mail, signs in; returns the session.
async fn signed_up(app: &TestApp, fields: &[(&str, &str)]) -> String {
    let email = fields.iter().find(|(k, _)| *k == "email").unwrap().1;
    let (status, _, body) = app.call("sign_up", fields, None, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, text) = app.last_mail_to(email).await.expect("verification mail");
    let token = token_in(&text, "/verify-email");
    let (status, _, _) = app
        .call("verify_email", &[("token", &token)], None, &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    app.sign_in_with(email, PASSWORD).await
}

/// The rate category and price a quote gives `session` for 1 h on `resource`.
async fn quote(app: &TestApp, resource: &str, session: &str) -> (String, i64) {
    let (status, _, body) = app
        .call(
            "quote",
            &[
                ("resource", resource),
                ("starts", "2026-12-02T09:00"),
                ("ends", "2026-12-02T10:00"),
            ],
            Some(session),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let q: serde_json::Value = serde_json::from_str(&body).unwrap();
    (
        q["category"].as_str().unwrap().to_string(),
        q["price"].as_i64().unwrap(),
    )
}

/// A resource open around the clock with a different rate per category: zone ¥60, SME ¥40,
/// external ¥100 an hour.
async fn priced_resource(app: &TestApp) -> String {
    let id = open_resource(app, (0, 0)).await;
    for (category, fen) in [("zone", 6000), ("sme", 4000)] {
        sqlx::query("INSERT INTO rates (resource_id, customer_category, per_hour_fen, minimum_fen) VALUES ($1, $2, $3, 0)")
            .bind(id)
            .bind(category)
            .bind(fen)
            .execute(app.state.db.pool())
            .await
            .unwrap();
    }
    id.to_string()
}

async fn open_claims(app: &TestApp, session: &str) -> Vec<serde_json::Value> {
    let (status, _, body) = app.call("claims", &[], Some(session), &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    page["open"].as_array().unwrap().clone()
}

fn claim_of<'a>(claims: &'a [serde_json::Value], email: &str) -> &'a serde_json::Value {
    claims
        .iter()
        .find(|c| c["email"] == email)
        .unwrap_or_else(|| panic!("a claim of {email} in {claims:?}"))
}

#[tokio::test]
async fn a_new_organisations_claims_wait_for_a_zone_manager_who_may_grant_part() {
    new_organisation_claims(&TestApp::new().await).await;
}

#[tokio::test]
async fn joining_a_listed_organisation_waits_and_a_refusal_keeps_the_outsider_rate() {
    joining_claims(&TestApp::new().await).await;
}

async fn new_organisation_claims(app: &TestApp) {
    let resource = priced_resource(app).await;
    let email = "wang.fang@small-lab.example";
    // The form says: in the zone, and an SME.
    let session = signed_up(app, &sign_up_fields(email, PASSWORD)).await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM organisations WHERE credit_code = '91350100M000100Y43' AND NOT is_sme AND zone_id IS NULL")
            .await,
        1,
        "nothing is granted on the person's word"
    );
    assert_eq!(
        quote(app, &resource, &session).await,
        ("external".into(), 10000)
    );
    let (_, _, profile) = app.call("profile", &[], Some(&session), &[]).await;
    assert!(profile.contains("\"open_claim\":{"), "{profile}");

    // Only a zone manager sees and decides claims.
    let (status, _, _) = app.call("claims", &[], Some(&session), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = app.call("claims", &[], None, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let admin = app.sign_in("siteadmin@jx-zone.example").await;
    let (status, _, _) = app.call("claims", &[], Some(&admin), &[]).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a site admin is not a zone manager"
    );

    let manager = app.sign_in(MANAGER).await;
    let claims = open_claims(app, &manager).await;
    let claim = claim_of(&claims, email);
    assert_eq!(claim["kind"], "new_organisation");
    assert_eq!(
        (claim["in_zone"].as_bool(), claim["sme"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(claim["credit_code"], "91350100M000100Y43");
    let id = claim["id"].as_i64().unwrap().to_string();

    // The person cannot decide their own claim; a nonsense decision changes nothing.
    let approve_all = [
        ("claim", id.as_str()),
        ("decision", "approve"),
        ("in_zone", "1"),
        ("sme", "1"),
    ];
    let (status, _, _) = app
        .call("decide_claim", &approve_all, Some(&session), &[])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, body) = app
        .call(
            "decide_claim",
            &[("claim", &id), ("decision", "maybe")],
            Some(&manager),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("decision_unknown"), "{body}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM standing_claims WHERE decided_at IS NOT NULL")
            .await,
        0
    );

    // The manager confirms the SME status but not zone membership.
    let (status, _, body) = app
        .call(
            "decide_claim",
            &[("claim", &id), ("decision", "approve"), ("sme", "1")],
            Some(&manager),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM organisations WHERE credit_code = '91350100M000100Y43' AND is_sme AND zone_id IS NULL")
            .await,
        1
    );
    assert_eq!(quote(app, &resource, &session).await, ("sme".into(), 4000));
    let (subject, text) = app.last_mail_to(email).await.unwrap();
    assert!(
        subject.contains("confirmed") && !subject.contains("not confirmed"),
        "{subject}"
    );
    assert!(
        text.contains("recognised as an SME") && !text.contains("member of the zone"),
        "{text}"
    );
    let (_, _, profile) = app.call("profile", &[], Some(&session), &[]).await;
    assert!(profile.contains("\"open_claim\":null"), "{profile}");

    // Decided once: a second decision is refused and changes nothing.
    let (status, _, body) = app
        .call("decide_claim", &approve_all, Some(&manager), &[])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("claim_decided"), "{body}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM organisations WHERE credit_code = '91350100M000100Y43' AND zone_id IS NULL")
            .await,
        1
    );
    // The decided claim is listed with what was granted and by whom.
    let (_, _, body) = app.call("claims", &[], Some(&manager), &[]).await;
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    let decided = &page["decided"][0];
    assert_eq!(decided["claim"]["email"], email);
    assert_eq!(
        (
            decided["approved"].as_bool(),
            decided["granted_in_zone"].as_bool(),
            decided["granted_sme"].as_bool()
        ),
        (Some(true), Some(false), Some(true))
    );
    assert_eq!(decided["decided_by"], "集聚区管理办公室");

    // A claim that does not exist is not found.
    let (status, _, _) = app
        .call(
            "decide_claim",
            &[("claim", "999999"), ("decision", "refuse")],
            Some(&manager),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn joining_claims(app: &TestApp) {
    let resource = priced_resource(app).await;
    // Zone members only.
    sqlx::query("UPDATE booking_rules SET audience = 'zone' WHERE resource_id = $1")
        .bind(resource.parse::<i64>().unwrap())
        .execute(app.state.db.pool())
        .await
        .unwrap();
    // A listed organisation in the zone that is not an SME.
    let (org,): (i64,) = sqlx::query_as(
        "SELECT MIN(id) FROM organisations WHERE kind <> 'institution' AND zone_id IS NOT NULL AND NOT is_sme",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    let org = org.to_string();
    let join = |email: &'static str| {
        let mut fields = sign_up_fields(email, PASSWORD);
        fields
            .retain(|(k, _)| !k.starts_with("org_") && *k != "credit_code" && *k != "organisation");
        fields.push(("organisation", org.as_str()));
        fields
    };
    let honest = signed_up(app, &join("honest@spark-si.example")).await;
    let stranger = signed_up(app, &join("stranger@elsewhere.example")).await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM users WHERE membership = 'pending'")
            .await,
        2
    );

    // While pending: the zone-only resource refuses them, with the outsider's standing.
    let (status, _, body) = app
        .call(
            "quote",
            &[
                ("resource", &resource),
                ("starts", "2026-12-02T09:00"),
                ("ends", "2026-12-02T10:00"),
            ],
            Some(&honest),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains("\"NotAllowed\":\"zone\""),
        "the zone-only rule refuses: {body}"
    );
    let (_, _, me) = app.call("me", &[], Some(&honest), &[]).await;
    assert!(
        me.contains("\"zone\":null") && me.contains("\"membership\":\"pending\""),
        "{me}"
    );

    let manager = app.sign_in(MANAGER).await;
    let claims = open_claims(app, &manager).await;
    let honest_claim = claim_of(&claims, "honest@spark-si.example");
    assert_eq!(honest_claim["kind"], "join");
    assert_eq!(
        (
            honest_claim["in_zone"].as_bool(),
            honest_claim["sme"].as_bool()
        ),
        (Some(true), Some(false))
    );
    let honest_id = honest_claim["id"].as_i64().unwrap().to_string();
    let stranger_id = claim_of(&claims, "stranger@elsewhere.example")["id"]
        .as_i64()
        .unwrap()
        .to_string();

    let (status, _, _) = app
        .call(
            "decide_claim",
            &[("claim", &honest_id), ("decision", "approve")],
            Some(&manager),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = app
        .call(
            "decide_claim",
            &[("claim", &stranger_id), ("decision", "refuse")],
            Some(&manager),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    assert_eq!(quote(app, &resource, &honest).await, ("zone".into(), 6000));
    let (status, _, body) = app
        .call(
            "quote",
            &[
                ("resource", &resource),
                ("starts", "2026-12-02T09:00"),
                ("ends", "2026-12-02T10:00"),
            ],
            Some(&stranger),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("\"NotAllowed\":\"zone\""),
        "refused stays outside: {body}"
    );
    let (_, text) = app
        .last_mail_to("stranger@elsewhere.example")
        .await
        .unwrap();
    assert!(text.contains("could not confirm that you belong"), "{text}");
    let (_, _, profile) = app.call("profile", &[], Some(&stranger), &[]).await;
    assert!(profile.contains("\"membership\":\"refused\""), "{profile}");
    assert!(open_claims(app, &manager).await.is_empty());
}

#[tokio::test]
async fn a_new_organisation_that_claims_nothing_needs_no_decision() {
    let app = TestApp::new().await;
    let mut fields = sign_up_fields("plain@outside.example", PASSWORD);
    fields.retain(|(k, _)| *k != "org_in_zone" && *k != "org_sme");
    let session = signed_up(&app, &fields).await;
    assert_eq!(app.scalar("SELECT COUNT(*) FROM standing_claims").await, 0);
    let (_, _, me) = app.call("me", &[], Some(&session), &[]).await;
    assert!(me.contains("\"membership\":\"confirmed\""), "{me}");
}
