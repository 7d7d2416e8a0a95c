//! Discovery: the catalogue's full-text search (Chinese and English, models, manufacturers,
//! categories, accredited standards), its filters, order and pages, each checked against an
//! independent reading of the rows; and the search index following every change.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use std::collections::BTreeSet;

/// Every resource id the catalogue lists for `fields`, over all pages, in order; and the total.
async fn search(app: &TestApp, fields: &[(&str, &str)]) -> (Vec<i64>, i64) {
    let mut ids = Vec::new();
    let mut total = 0;
    for page in 1..=100 {
        let page = page.to_string();
        let mut form: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (format!("query[{k}]"), v.to_string()))
            .collect();
        form.push(("query[page]".into(), page.clone()));
        form.push(("english".into(), "false".into()));
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (status, _, body) = app.call("catalogue", &form, None, &[]).await;
        assert_eq!(status, StatusCode::OK, "{fields:?}: {body}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        total = json["total"].as_i64().unwrap();
        let resources = json["resources"].as_array().unwrap();
        ids.extend(resources.iter().map(|r| r["id"].as_i64().unwrap()));
        if ids.len() as i64 >= total || resources.is_empty() {
            break;
        }
    }
    (ids, total)
}

/// A live resource as the test reads it: id, the text search covers (lower-cased), its valid
/// (body, standard without spaces), its lowest rate, its status.
type Row = (i64, String, Vec<(String, String)>, Option<i64>, String);
type Raw = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<i64>,
    String,
);

async fn corpus(app: &TestApp) -> Vec<Row> {
    let rows: Vec<Raw> = sqlx::query_as(
        "SELECT r.id, r.name_zh, r.name_en, r.model, r.manufacturer, c.name_zh, c.name_en, \
           (SELECT MIN(per_hour_fen) FROM rates x WHERE x.resource_id = r.id), r.status \
         FROM resources r JOIN categories c ON c.id = r.category_id WHERE r.status <> 'retired'",
    )
    .fetch_all(app.state.db.pool())
    .await
    .unwrap();
    let standards: Vec<(i64, String, String, String, String)> = sqlx::query_as(
        "SELECT a.resource_id, a.body, s.code, a.valid_from, a.valid_until FROM accreditations a \
         JOIN accreditation_standards s ON s.accreditation_id = a.id",
    )
    .fetch_all(app.state.db.pool())
    .await
    .unwrap();
    let today = "2026-11-25".to_string();
    rows.into_iter()
        .map(|(id, zh, en, model, maker, czh, cen, price, status)| {
            let mine: Vec<_> = standards.iter().filter(|s| s.0 == id).collect();
            let text = format!(
                "{zh} {en} {model} {maker} {czh} {cen} {}",
                mine.iter()
                    .map(|s| s.2.clone())
                    .collect::<Vec<_>>()
                    .join(" ")
            )
            .to_lowercase();
            let valid = mine
                .iter()
                .filter(|s| s.3 <= today && s.4 >= today)
                .map(|s| (s.1.clone(), s.2.replace(' ', "").to_uppercase()))
                .collect();
            (id, text, valid, price, status)
        })
        .collect()
}

fn set(ids: &[i64]) -> BTreeSet<i64> {
    ids.iter().copied().collect()
}

#[tokio::test]
async fn search_and_filters_find_exactly_what_an_independent_scan_finds() {
    let app = TestApp::new().await;
    let rows = corpus(&app).await;
    let expect = |keep: &dyn Fn(&Row) -> bool| {
        rows.iter()
            .filter(|r| keep(r))
            .map(|r| r.0)
            .collect::<BTreeSet<i64>>()
    };

    // Words: Chinese of two characters (shorter than a trigram), English any case, a model, a
    // manufacturer, a category, a standard; several words must all match.
    for words in [
        "暗室",
        "电波暗室",
        "CHAMBER",
        "keysight",
        "SAC-10",
        "环境",
        "17626.3",
        "暗室 10",
    ] {
        let (ids, total) = search(&app, &[("q", words)]).await;
        let wanted = expect(&|r| {
            words
                .split_whitespace()
                .all(|w| r.1.contains(&w.to_lowercase()))
        });
        assert!(
            !wanted.is_empty() || words == "keysight",
            "{words}: the demo zone has some"
        );
        assert_eq!(set(&ids), wanted, "{words}");
        assert_eq!(total as usize, wanted.len());
        assert_eq!(ids.len(), wanted.len(), "{words}: no resource on two pages");
    }

    // Accreditation: valid today only; the standard's spaces and case do not matter.
    let (ids, _) = search(&app, &[("standard", "gb/t17626.3")]).await;
    let wanted = expect(&|r| r.2.iter().any(|(_, code)| code.contains("GB/T17626.3")));
    assert!(!wanted.is_empty());
    assert_eq!(set(&ids), wanted);
    let (ids, _) = search(&app, &[("body", "CNAS")]).await;
    assert_eq!(
        set(&ids),
        expect(&|r| r.2.iter().any(|(body, _)| body == "CNAS"))
    );
    let expired: i64 = app
        .scalar("SELECT COUNT(*) FROM accreditations WHERE valid_until < '2026-11-25'")
        .await;
    assert!(expired > 0, "the demo zone has an expired accreditation");

    // Price: some rate at or under ¥200 an hour; status.
    let (ids, _) = search(&app, &[("max_price", "200")]).await;
    let cheap: BTreeSet<i64> = sqlx::query_scalar::<_, i64>(
        "SELECT DISTINCT r.id FROM resources r JOIN rates x ON x.resource_id = r.id \
         WHERE r.status <> 'retired' AND x.per_hour_fen <= 20000",
    )
    .fetch_all(app.state.db.pool())
    .await
    .unwrap()
    .into_iter()
    .collect();
    assert_eq!(set(&ids), cheap);
    let (ids, _) = search(&app, &[("status", "maintenance")]).await;
    assert_eq!(set(&ids), expect(&|r| r.4 == "maintenance"));

    // Order by price: lowest first, resources without a rate last; pages of 24, none repeated.
    let (ids, total) = search(&app, &[("sort", "price")]).await;
    assert_eq!(ids.len() as i64, total);
    assert!(total > 24, "more than one page");
    assert_eq!(set(&ids).len(), ids.len());
    let price = |id: i64| rows.iter().find(|r| r.0 == id).unwrap().3;
    let prices: Vec<Option<i64>> = ids.iter().map(|id| price(*id)).collect();
    let mut sorted = prices.clone();
    sorted.sort_by_key(|p| (p.is_none(), *p));
    assert_eq!(prices, sorted);

    // Nonsense is refused, not ignored.
    let (status, _, body) = app
        .call(
            "catalogue",
            &[("query[sort]", "cheapest"), ("english", "false")],
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _, _) = app
        .call(
            "catalogue",
            &[("query[max_price]", "lots"), ("english", "false")],
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_search_index_follows_every_change() {
    let app = TestApp::new().await;
    let id = common::race::open_resource(&app, (0, 0)).await;
    assert_eq!(search(&app, &[("q", "竞争测试")]).await.0, [id]);
    sqlx::query("UPDATE resources SET name_zh = '新型盐雾试验箱', model = 'XYZ-900' WHERE id = $1")
        .bind(id)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    assert!(search(&app, &[("q", "竞争测试")]).await.0.is_empty());
    assert_eq!(search(&app, &[("q", "xyz-900")]).await.0, [id]);
    let accreditation: i64 = sqlx::query_scalar(
        "INSERT INTO accreditations (resource_id, body, certificate_number, valid_from, valid_until) \
         VALUES ($1, 'CNAS', 'CNAS L9999', '2026-01-01', '2028-01-01') RETURNING id",
    )
    .bind(id)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO accreditation_standards (accreditation_id, code) VALUES ($1, 'ISO 9227')",
    )
    .bind(accreditation)
    .execute(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(search(&app, &[("q", "ISO 9227")]).await.0, [id]);
    assert_eq!(search(&app, &[("standard", "iso9227")]).await.0, [id]);
    sqlx::query("DELETE FROM accreditation_standards WHERE accreditation_id = $1")
        .bind(accreditation)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    assert!(search(&app, &[("q", "9227")]).await.0.is_empty());
}

#[tokio::test]
async fn the_catalogue_page_searches_and_pages_without_wasm() {
    let app = TestApp::new().await;
    let (status, _, html) = app.get("/?q=%E6%9A%97%E5%AE%A4", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let page = common::text(&html);
    let (ids, total) = search(&app, &[("q", "暗室")]).await;
    assert!(page.contains(&format!("共 {total} 项")), "{page}");
    for id in ids {
        assert!(page.contains(&format!("href=\"/resources/{id}\"")));
    }
    let (_, _, html) = app.get("/?sort=name", &[]).await;
    assert!(
        html.contains("rel=\"next\" href=\"/?sort=name&amp;page=2\""),
        "a link to page 2"
    );
    let (status, _, html) = app.get("/?sort=name&page=2", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("rel=\"prev\""));
    // A page past the end (an old link, a hand-made address) shows the last page.
    let (status, _, past) = app.get("/?sort=name&page=99", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let cards = |page: &str| {
        let from = page.find("data-testid=\"result-count\"").expect("a count");
        let to = page.find("</nav></main>").expect("a pager");
        page[from..to].to_string()
    };
    assert!(cards(&past) == cards(&html), "page 99 is page 2");
    assert!(
        !html.contains("rel=\"next\""),
        "page 2 of the demo zone is the last"
    );
}

#[tokio::test]
async fn the_idle_view_lists_the_least_used_with_their_utilisation() {
    let app = TestApp::new().await;
    let id = common::race::open_resource(&app, (0, 0)).await;
    let idle = |below: &'static str| {
        let app = &app;
        async move {
            let (status, _, body) = app
                .call(
                    "idle",
                    &[("query[days]", "30"), ("query[below]", below)],
                    None,
                    &[],
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            serde_json::from_str::<serde_json::Value>(&body).unwrap()
        }
    };
    let row_of = |page: &serde_json::Value| {
        page["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["resource"]["id"].as_i64() == Some(id))
            .cloned()
    };
    // Never booked: open 24 h a day for the last 30 days, used not at all.
    let page = idle("10").await;
    assert_eq!(
        (page["from"].as_str(), page["to"].as_str()),
        (Some("2026-10-26"), Some("2026-11-24"))
    );
    let row = row_of(&page).expect("an unused resource is idle");
    assert_eq!(row["available_hours"].as_f64(), Some(720.0));
    assert_eq!(row["used_hours"].as_f64(), Some(0.0));

    // 72 h used (one booking crossing the period's start counts only inside it), a no-show and a
    // cancellation not at all, and a 24 h blackout taken off the open time: 72 / 696.
    let day = |d: i64| common::now().timestamp() - d * 86_400;
    let start = day(30) - 10 * 3600; // 2026-10-26 00:00 Shanghai is 30 days and 10 h back.
    common::insert_booking(&app, id, start - 6 * 3600, start + 6 * 3600, "completed")
        .await
        .unwrap();
    common::insert_booking(&app, id, day(20), day(20) + 66 * 3600, "completed")
        .await
        .unwrap();
    common::insert_booking(&app, id, day(10), day(10) + 5 * 3600, "no_show")
        .await
        .unwrap();
    common::insert_booking(&app, id, day(9), day(9) + 5 * 3600, "cancelled")
        .await
        .unwrap();
    sqlx::query("INSERT INTO blackouts (resource_id, starts_at, ends_at, reason_kind, created_at) VALUES ($1, $2, $3, 'calibration', 0)")
        .bind(id)
        .bind(day(5))
        .bind(day(4))
        .execute(app.state.db.pool())
        .await
        .unwrap();
    assert!(
        row_of(&idle("10").await).is_none(),
        "10.3 % is not under 10 %"
    );
    let row = row_of(&idle("25").await).expect("under 25 %");
    assert_eq!(row["available_hours"].as_f64(), Some(696.0));
    assert_eq!(row["used_hours"].as_f64(), Some(72.0));
    let share = row["utilisation"].as_f64().unwrap();
    assert!((share - 72.0 / 696.0).abs() < 1e-9, "{share}");
    // Least used first.
    let page = idle("50").await;
    let shares: Vec<f64> = page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["utilisation"].as_f64().unwrap())
        .collect();
    assert!(shares.windows(2).all(|w| w[0] <= w[1]), "{shares:?}");
    let (status, _, html) = app.get("/idle?days=90&below=25", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(common::text(&html).contains("<h1>闲置设备</h1>"));
}

/// The zone schedule: every resource once across its pages, and each row's open, booked and
/// blacked-out spans as the rows in the database say (read here without the schedule code).
#[tokio::test]
async fn the_zone_schedule_shows_each_resource_day_as_the_rows_say() {
    use chrono::{Datelike, TimeZone};
    let app = TestApp::new().await;
    let tz = chrono_tz::Asia::Shanghai;
    // A weekday with demo bookings: tomorrow from the fixed clock (Thursday 26 November 2026).
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let a = tz
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap())
        .unwrap()
        .timestamp();
    let b = a + 86_400;
    let filter = app::domain::catalogue::CatalogueFilter::default();
    let (first, total) = app
        .state
        .db
        .day_schedule(&filter, &tz, day, 1, 100)
        .await
        .unwrap();
    let active: i64 = app
        .scalar("SELECT COUNT(*) FROM resources WHERE status <> 'retired'")
        .await;
    assert_eq!(total as i64, active);
    let mut seen = BTreeSet::new();
    let mut booked_rows = 0;
    let size = 7;
    for page in 1..=total.div_ceil(size) {
        let (rows, _) = app
            .state
            .db
            .day_schedule(&filter, &tz, day, page, size)
            .await
            .unwrap();
        for row in rows {
            let id = row.resource.id.0;
            assert!(seen.insert(id), "resource {id} twice");
            let minutes = |s: i64, e: i64| {
                (
                    ((s.max(a) - a) / 60) as u16,
                    ((e.min(b) - a + 59) / 60) as u16,
                )
            };
            let booked: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT starts_at, ends_at FROM bookings WHERE resource_id = $1 AND starts_at < $2 AND ends_at > $3 \
                   AND status IN ('pending', 'confirmed', 'completed', 'no_show') ORDER BY starts_at",
            )
            .bind(id)
            .bind(b)
            .bind(a)
            .fetch_all(app.state.db.pool())
            .await
            .unwrap();
            let booked: Vec<(u16, u16)> = booked.into_iter().map(|(s, e)| minutes(s, e)).collect();
            assert_eq!(row.booked, booked, "resource {id}");
            booked_rows += usize::from(!booked.is_empty());
            let closed: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM closure_days WHERE day = '2026-11-26' AND (resource_id IS NULL OR resource_id = $1)",
            )
            .bind(id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
            let open: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT opens_minute, closes_minute FROM opening_hours WHERE resource_id = $1 AND weekday = $2 ORDER BY opens_minute",
            )
            .bind(id)
            .bind(i64::from(day.weekday().number_from_monday()))
            .fetch_all(app.state.db.pool())
            .await
            .unwrap();
            let open: Vec<(u16, u16)> = if closed > 0 {
                Vec::new()
            } else {
                open.into_iter()
                    .map(|(o, c)| (o as u16, c as u16))
                    .collect()
            };
            assert_eq!(row.open, open, "resource {id}");
            let blackouts: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT starts_at, ends_at FROM blackouts WHERE resource_id = $1 AND starts_at < $2 AND ends_at > $3",
            )
            .bind(id)
            .bind(b)
            .bind(a)
            .fetch_all(app.state.db.pool())
            .await
            .unwrap();
            assert_eq!(row.blackout.len(), blackouts.len(), "resource {id}");
        }
    }
    assert_eq!(seen.len(), total);
    assert!(booked_rows > 0, "the demo zone has bookings that day");
    assert_eq!(first.len(), total.min(100));

    // The page, without the wasm: every row a link, a line with its spans described.
    let (status, _, html) = app.get("/schedule?day=2026-11-26&size=100", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let html = common::text(&html);
    assert_eq!(
        html.matches("<li><a href=\"/resources/").count(),
        total.min(100)
    );
    assert!(html.contains("已预约"));
    let (status, _, _) = app.get("/schedule?size=7", &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
