//! Reports checked against an independent computation (`common::reports`): on a generated zone
//! with bookings crossing the period's edges, closed days, blackouts, cancellations and no-shows;
//! then the page and the downloads through the real router, and who may read them.

use crate::common;

use common::reports::{day, per_resource, raw, Expected};
use common::TestApp;
use std::collections::HashSet;

#[tokio::test]
async fn every_figure_matches_an_independent_computation_on_a_generated_zone() {
    let app = TestApp::with_demo(false).await;
    common::reports::check_generated_zone(&app).await;
}

/// Signs in a demo account and returns its cookie header.
async fn cookie(app: &TestApp, email: &str) -> String {
    format!("labshare_session={}", app.sign_in(email).await)
}

#[tokio::test]
async fn downloads_carry_the_same_figures_and_only_to_those_allowed() {
    let app = TestApp::new().await;
    let raw = raw(&app).await;
    let manager = cookie(&app, "manager@jx-zone.example").await;

    // The page, as the zone manager, for the year so far.
    let (status, _, html) = app
        .get("/reports?kind=year&year=2026", &[("cookie", &manager)])
        .await;
    assert_eq!(status, 200, "{html}");
    let html = common::text(&html);
    for piece in [
        "report-totals",
        "<svg",
        "report-institutions",
        "report-heatmap",
        "download-xlsx",
    ] {
        assert!(html.contains(piece), "the page shows {piece}");
    }

    // The workbook: the summary sheet's used hours equal the independent total.
    let (status, headers, _) = app
        .get(
            "/reports/export?which=zone&kind=year&year=2026&format=xlsx",
            &[("cookie", &manager)],
        )
        .await;
    assert_eq!(status, 200);
    assert!(headers[axum::http::header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains("report-20260101-20261231.xlsx"));
    let bytes = download(
        &app,
        "/reports/export?which=zone&kind=year&year=2026&format=xlsx",
        &manager,
    )
    .await;
    use calamine::{DataType, Reader};
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("an xlsx");
    let names = book.sheet_names().to_vec();
    assert_eq!(names[0], "情况汇总表");
    let sheet = book.worksheet_range("情况汇总表").expect("summary sheet");
    let value_of = |label: &str| -> f64 {
        sheet
            .rows()
            .find(|r| r.first().is_some_and(|c| c.get_string() == Some(label)))
            .and_then(|r| r.get(1).and_then(|c| c.get_float()))
            .unwrap_or_else(|| panic!("{label} in the summary"))
    };
    let all: HashSet<i64> = raw.resources.keys().copied().collect();
    let mut total = Expected::default();
    for e in per_resource(&raw, &all, day(2026, 1, 1), day(2026, 12, 31)).values() {
        total.add(e);
    }
    let hours = |s: i64| (s as f64 / 360.0).round() / 10.0;
    assert_eq!(value_of("使用机时"), hours(total.used));
    assert_eq!(value_of("可用机时"), hours(total.available));
    assert_eq!(value_of("服务外部单位数"), total.organisations.len() as f64);
    assert_eq!(value_of("服务收入（元）"), total.income as f64 / 100.0);
    assert!(names.contains(&"按设备".to_string()));

    // CSV in English on request, with the same total.
    let csv = String::from_utf8(
        download(
            &app,
            "/reports/export?which=zone&kind=year&year=2026&format=csv&table=summary&lang=en",
            &manager,
        )
        .await,
    )
    .unwrap();
    assert!(csv.starts_with("\u{feff}Indicator,Value\r\n"), "{csv}");
    assert!(
        csv.contains(&format!("Used hours,{:.1}\r\n", hours(total.used))),
        "{csv}"
    );

    // An institution admin reads their own institution's report, never another's.
    let owner: i64 =
        sqlx::query_scalar("SELECT MIN(id) FROM organisations WHERE kind = 'institution'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    let other: i64 =
        sqlx::query_scalar("SELECT MAX(id) FROM organisations WHERE kind = 'institution'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    let admin_email: String = sqlx::query_scalar(
        "SELECT u.email FROM user_roles r JOIN users u ON u.id = r.user_id WHERE r.role = 'institution_admin' AND r.scope_id = $1 LIMIT 1",
    )
    .bind(owner)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    let admin = cookie(&app, &admin_email).await;
    for (path, expected) in [
        (format!("/institution/report?institution={owner}"), 200),
        (format!("/institution/report?institution={other}"), 403),
        (
            format!("/reports/export?which=institution&institution={other}&format=xlsx"),
            403,
        ),
        (
            format!(
                "/reports/export?which=institution&institution={other}&format=csv&table=resources"
            ),
            403,
        ),
        ("/reports".to_string(), 403),
        ("/reports/export?which=zone&format=xlsx".to_string(), 403),
    ] {
        let (status, _, body) = app.get(&path, &[("cookie", &admin)]).await;
        assert_eq!(status.as_u16(), expected, "{path}");
        if expected == 403 && path.starts_with("/reports/export") {
            assert_eq!(body, "\"Forbidden\"");
        }
    }
    let own_csv = String::from_utf8(
        download(
            &app,
            &format!("/reports/export?which=institution&institution={owner}&kind=year&year=2026&format=csv&table=resources"),
            &admin,
        )
        .await,
    )
    .unwrap();
    let own: HashSet<i64> = raw
        .resources
        .iter()
        .filter(|r| r.1 .0 == owner)
        .map(|r| *r.0)
        .collect();
    let own_resources = per_resource(&raw, &own, day(2026, 1, 1), day(2026, 12, 31)).len();
    assert_eq!(
        own_csv.lines().count(),
        own_resources + 1,
        "a heading and one line per resource"
    );

    // Bad input: a clear refusal, nothing else.
    for (path, field) in [
        (
            "/reports/export?which=zone&kind=custom&from=2026-03-01&to=2026-01-01&format=xlsx",
            "to",
        ),
        (
            "/reports/export?which=zone&kind=month&number=13&format=xlsx",
            "number",
        ),
        (
            "/reports/export?which=zone&format=csv&table=nonsense",
            "table",
        ),
        ("/reports/export?which=zone&format=pdf", "format"),
    ] {
        let (status, _, body) = app.get(path, &[("cookie", &manager)]).await;
        assert_eq!(status, 400, "{path}");
        assert!(
            body.contains(&format!("\"field\":\"{field}\"")),
            "{path}: {body}"
        );
    }
}

async fn download(app: &TestApp, path: &str, cookie: &str) -> Vec<u8> {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req = axum::http::Request::get(path)
        .header("cookie", cookie)
        .body(axum::body::Body::empty())
        .unwrap();
    let res = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.into_body().collect().await.unwrap().to_bytes().to_vec()
}

/// The report reads the scope's resources as one text split by control characters; a name that
/// holds them anyway (written around the app's checks) is read row by row instead, and every
/// line of the report stays the same.
#[tokio::test]
async fn a_name_holding_the_separators_is_still_read_whole() {
    use app::backend::report::Scope;
    use app::domain::ids::ZoneId;
    use app::domain::report::{Period, PeriodKind};
    let app = TestApp::new().await;
    let today = common::now().date_naive();
    let zone: i64 = sqlx::query_scalar("SELECT id FROM zones LIMIT 1")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let report = || async {
        let period = Period::choose(
            Some(PeriodKind::Year),
            Some(2026),
            None,
            (None, None),
            today,
        )
        .unwrap();
        app.state
            .db
            .report(
                Scope::Zone(ZoneId(zone)),
                period,
                &chrono_tz::Asia::Shanghai,
                today,
                0.25,
            )
            .await
            .expect("zone report")
    };
    let before = report().await;
    assert!(before.resources.len() > 1);
    let odd = before.resources[0].id;
    let name = "甲\u{1f}乙\u{1e}丙";
    sqlx::query("UPDATE resources SET name_zh = $1 WHERE id = $2")
        .bind(name)
        .bind(odd)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let after = report().await;
    assert_eq!(after.resources.len(), before.resources.len());
    for (a, b) in after.resources.iter().zip(&before.resources) {
        assert_eq!((a.id, &a.figures), (b.id, &b.figures));
        if a.id == odd {
            assert_eq!(a.name.zh, name);
        } else {
            assert_eq!(a.name, b.name);
        }
    }
}
