//! The real router, over a real SQLite file: pages, server functions, health, language switch.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{text, TestApp};

#[tokio::test]
async fn health_checks_the_database() {
    let app = TestApp::new().await;
    let (status, _, body) = app.get("/health", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(r#""database":"ok""#), "{body}");

    app.state.db.close().await;
    let (status, _, body) = app.get("/health", &[]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        !body.to_lowercase().contains("sqlx") && !body.contains("pool"),
        "no internals: {body}"
    );
}

#[tokio::test]
async fn catalogue_is_chinese_by_default_and_english_when_asked() {
    let app = TestApp::new().await;
    let total = app
        .scalar("SELECT COUNT(*) FROM resources WHERE status <> 'retired'")
        .await;

    let (status, _, html) = app.get("/", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let page = text(&html);
    assert!(
        page.contains(r#"<html lang="zh-CN""#),
        "lang follows the language"
    );
    assert!(page.contains("<h1>仪器设施目录</h1>"));
    assert!(
        page.contains(&format!("共 {total} 项")),
        "every resource is listed"
    );
    assert!(
        page.contains("江西检验检测认证高技术服务业集聚区"),
        "zone name in the header"
    );
    assert!(page.contains("10 米法半电波暗室") && page.contains("1 m³ 甲醛释放量气候箱"));
    assert!(
        page.contains("CMA") && page.contains("即将到期"),
        "accreditation badges, with expiry warnings"
    );
    assert_eq!(page.matches("<h1").count(), 1, "one h1");

    // First visit with an English browser.
    let (_, _, html) = app.get("/", &[("accept-language", "en-GB,en;q=0.9")]).await;
    let page = text(&html);
    assert!(page.contains(r#"<html lang="en""#));
    assert!(page.contains("<h1>Equipment catalogue</h1>"));
    assert!(page.contains(&format!("{total} results")));
    assert!(page.contains("Jiangxi Inspection, Testing and Certification Cluster Zone"));

    // The cookie wins over the browser's languages.
    let (_, _, html) = app
        .get(
            "/",
            &[
                ("accept-language", "en"),
                ("cookie", "i18n_pref_locale=zh-CN"),
            ],
        )
        .await;
    assert!(text(&html).contains("<h1>仪器设施目录</h1>"));
}

#[tokio::test]
async fn catalogue_filters_match_the_database() {
    let app = TestApp::new().await;
    let facilities = app
        .scalar("SELECT COUNT(*) FROM resources WHERE status <> 'retired' AND kind = 'facility'")
        .await;
    let (_, _, html) = app.get("/?kind=facility", &[]).await;
    assert!(text(&html).contains(&format!("共 {facilities} 项")));
    assert!(facilities > 5);

    let emc = app
        .scalar("SELECT id FROM categories WHERE code = 'emc'")
        .await;
    let inst = app.scalar("SELECT institution_id FROM resources r JOIN categories c ON c.id = r.category_id WHERE c.code = 'emc' LIMIT 1").await;
    let expected = app
        .scalar(&format!("SELECT COUNT(*) FROM resources WHERE status <> 'retired' AND category_id = {emc} AND institution_id = {inst} AND kind = 'instrument'"))
        .await;
    let (_, _, html) = app
        .get(
            &format!("/?kind=instrument&category={emc}&institution={inst}"),
            &[],
        )
        .await;
    let page = text(&html);
    assert!(
        page.contains(&format!("共 {expected} 项")),
        "combined filters"
    );
    assert!(page.contains("静电放电抗扰度测试系统"));
    assert!(
        !page.contains("10 米法半电波暗室"),
        "a facility is filtered out"
    );

    // Nothing matches: an empty state that says what to do next.
    let (_, _, html) = app.get("/?category=999999", &[]).await;
    let page = text(&html);
    assert!(page.contains("没有符合条件的仪器设施") && page.contains("清除筛选"));

    // The form's "any" (an empty field) is no filter; a filter that is not a number is refused
    // with a message, on every page whose query is read through its `Params` struct.
    let total = app
        .scalar("SELECT COUNT(*) FROM resources WHERE status <> 'retired'")
        .await;
    let (status, _, html) = app
        .get("/?q=&kind=&category=&institution=&page=", &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        text(&html).contains(&format!("共 {total} 项")),
        "empty fields filter nothing"
    );
    for uri in [
        "/?category=abc",
        "/free?hours=two",
        "/idle?institution=x",
        "/schedule?size=1e3",
    ] {
        let (status, _, html) = app.get(uri, &[]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(
            text(&html).contains("此网址中的筛选条件无效"),
            "{uri}: says which part was wrong"
        );
    }
}

#[tokio::test]
async fn resource_page_shows_rules_rates_accreditation_and_the_week() {
    let app = TestApp::new().await;
    let id = app
        .scalar("SELECT id FROM resources WHERE name_en = '10 m semi-anechoic EMC chamber'")
        .await;
    let (status, _, html) = app.get(&format!("/resources/{id}"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    let page = text(&html);
    for expected in [
        "<h1>10 米法半电波暗室</h1>",
        "京九电子信息产品检测中心（吉安）",
        "预约规则",
        "需机构审核",
        "收费标准",
        "¥2,600.00",
        "小微企业",
        "¥1,560.00",
        "GB/T 17626.3",
        "本周空闲情况",
        "data-testid=\"week-grid\"",
        "11月23日 周一",
        "ETS-Lindgren",
    ] {
        assert!(page.contains(expected), "resource page shows {expected:?}");
    }
    let cells = page.matches("class=\"cell cell--").count();
    assert!(cells >= 7 * 12, "a full week grid, got {cells} cells");

    // The grid's keyboard model: its script, the words it announces in the page's language, the
    // live region, and each day's date for the times it puts in the booking form's address.
    for expected in [
        "<script type=\"module\" src=\"/week-grid.js\">",
        "data-week-grid",
        "data-step=\"",
        &format!("data-book=\"/resources/{id}/book\""),
        "data-t-range=\"已选择 {from} 至 {to}。按回车预约，按 Esc 取消。\"",
        "data-date=\"2026-11-23\"",
        "id=\"week-grid-status\" aria-live=\"polite\"",
    ] {
        assert!(page.contains(expected), "week grid carries {expected:?}");
    }
    // The script is served as the site's own file: no session, revalidated (its name has no hash).
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/week-grid.js");
    let site = app.dir.path().join("site");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::copy(&script, site.join("week-grid.js")).unwrap();
    let (status, headers, body) = app.get("/week-grid.js", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["cache-control"], "no-cache");
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .contains("javascript"));
    assert!(!headers.contains_key("set-cookie"), "no session for a file");
    assert!(body.contains("function weekGrid(table)"));

    let (_, _, html) = app
        .get(
            &format!("/resources/{id}?week=2026-12-02"),
            &[("cookie", "i18n_pref_locale=en")],
        )
        .await;
    let page = text(&html);
    assert!(
        page.contains("Mon 30 Nov")
            && page.contains("Booking rules")
            && page.contains("Approved by the institution"),
        "English week of 30 Nov"
    );

    let (status, _, html) = app.get("/resources/999999", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(text(&html).contains("未找到该仪器设施"));

    let (status, _, _) = app
        .get(&format!("/resources/{id}?week=not-a-date"), &[])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, _, html) = app.get("/no/such/page", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(text(&html).contains("页面不存在"));
}

#[tokio::test]
async fn language_switch_sets_the_cookie_and_never_redirects_off_site() {
    let app = TestApp::new().await;
    let (status, headers, _) = app
        .get("/lang/en?back=/resources/3%3Fweek%3D2026-12-01", &[])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/resources/3?week=2026-12-01");
    let cookie = headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with("i18n_pref_locale=en;")
            && cookie.contains("SameSite=Lax")
            && cookie.contains("Path=/")
    );

    for evil in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let (_, headers, _) = app
            .get(
                &format!(
                    "/lang/zh-CN?back={}",
                    evil.replace('/', "%2F").replace('\\', "%5C")
                ),
                &[],
            )
            .await;
        assert_eq!(headers["location"], "/", "{evil} is not followed");
    }
    let (status, headers, _) = app.get("/lang/fr?back=/free", &[]).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "an unknown language changes nothing"
    );
    assert_eq!(headers["location"], "/free");
    assert!(headers.get("set-cookie").is_none());
}

#[tokio::test]
async fn server_functions_answer_json_and_refuse_bad_input_cleanly() {
    let app = TestApp::new().await;
    let req = Request::post("/api/catalogue")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("query[kind]=facility"))
        .unwrap();
    let (status, _, body) = app.request(req).await;
    assert_eq!(status, StatusCode::OK);
    let page: serde_json::Value = serde_json::from_str(&body).expect("json");
    let facilities = app
        .scalar("SELECT COUNT(*) FROM resources WHERE status <> 'retired' AND kind = 'facility'")
        .await;
    assert_eq!(page["total"].as_i64().unwrap(), facilities);
    assert_eq!(
        page["resources"].as_array().unwrap().len() as i64,
        facilities.min(24)
    );

    let req = Request::post("/api/catalogue")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("query[kind]=spaceship"))
        .unwrap();
    let (status, _, body) = app.request(req).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("choice_unknown") && !body.contains("SELECT"),
        "{body}"
    );
}

#[tokio::test]
async fn find_free_time_page_answers_across_institutions_and_refuses_bad_ranges() {
    let app = TestApp::new().await;
    let (status, _, html) = app.get("/free", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let page = text(&html);
    let total = app
        .scalar("SELECT COUNT(*) FROM resources WHERE status <> 'retired'")
        .await;
    assert!(page.contains("<h1>空闲查找</h1>"));
    assert!(
        page.contains(&format!("共 {total} 项")),
        "every resource answers"
    );
    assert!(
        page.contains("维护中，暂不可预约"),
        "the resource under maintenance says why"
    );
    assert!(
        page.contains("value=\"2026-11-26\""),
        "defaults to tomorrow"
    );
    let names: Vec<(String,)> =
        sqlx::query_as("SELECT name_zh FROM organisations WHERE kind = 'institution'")
            .fetch_all(app.state.db.pool())
            .await
            .unwrap();
    let shown = names
        .iter()
        .filter(|(n,)| page.contains(n.as_str()))
        .count();
    assert!(shown >= 6, "results span institutions: {shown}");
    assert!(page.matches("查看并预约").count() >= 30);

    let (status, _, html) = app
        .get(
            "/free?from=2026-12-01&to=2026-12-03&hours=48&kind=facility",
            &[("accept-language", "en")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let page = text(&html);
    assert!(page.contains("Find free time") && page.contains("have free time"));
    assert!(
        page.contains("Longer than one booking may be (2 h)") || page.contains("View and book")
    );

    // The chosen filters stay chosen in the form.
    let emc = app
        .scalar("SELECT id FROM categories WHERE code = 'emc'")
        .await;
    let (_, _, html) = app.get(&format!("/free?category={emc}&hours=4"), &[]).await;
    let page = text(&html);
    assert!(
        page.contains(&format!("<option value=\"{emc}\" selected>")),
        "category kept"
    );
    assert!(page.contains("<option value=\"4\" selected>"), "hours kept");

    for bad in [
        "from=2026-12-10&to=2026-12-01",
        "from=2026-12-01&to=2027-03-01",
        "from=yesterday",
        "hours=0",
        "hours=9999",
    ] {
        let (status, _, html) = app.get(&format!("/free?{bad}"), &[]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(
            text(&html).contains("notice--error"),
            "{bad}: a clear message"
        );
    }
}

/// The islands on a page other than the translations' provider (which wraps every page).
fn interactive_islands(html: &str) -> Vec<String> {
    html.split("<leptos-island data-component=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|id| id.rsplit_once('_').map_or(id, |(name, _)| name).to_string())
        .filter(|name| name != "I18nContextProvider")
        .collect()
}

/// Only pages with interactive parts load the wasm, and every such page is on the shell's list:
/// each main page is rendered for the person who sees it and its islands compared with the
/// hydration script it carries; and no page carries its data a second time, serialised.
#[tokio::test]
async fn pages_load_the_wasm_exactly_where_they_have_islands() {
    let app = TestApp::new().await;
    let admin = format!(
        "labshare_session={}",
        app.sign_in("admin@jxiic.example").await
    );
    let site = format!(
        "labshare_session={}",
        app.sign_in("siteadmin@jx-zone.example").await
    );
    let manager = format!(
        "labshare_session={}",
        app.sign_in("manager@jx-zone.example").await
    );
    let resource = app
        .scalar("SELECT MIN(r.id) FROM resources r JOIN organisations o ON o.id = r.institution_id WHERE o.name_en LIKE '%Inspection%' AND r.status = 'available'")
        .await;
    let book = format!("/resources/{resource}/book");
    let edit = format!("/resources/{resource}/edit");
    let detail = format!("/resources/{resource}");
    let signed_out = [
        "/",
        "/free",
        "/idle",
        "/sign-in",
        "/sign-up",
        "/forgot-password",
        detail.as_str(),
    ];
    let institution = [
        "/schedule",
        "/profile",
        "/bookings",
        book.as_str(),
        "/institution/requests",
        "/institution/members",
        "/institution/resources",
        "/institution/resources/new",
        "/institution/resources/import",
        edit.as_str(),
        "/institution/report",
    ];
    let zone = ["/reports", "/zone/sign-ups"];
    let site_admin = ["/admin/people", "/admin/outbox"];
    let mut with_islands = Vec::new();
    for (paths, cookie) in [
        (&signed_out[..], ""),
        (&institution[..], admin.as_str()),
        (&zone[..], manager.as_str()),
        (&site_admin[..], site.as_str()),
    ] {
        for path in paths {
            let (status, _, html) = app.get(path, &[("cookie", cookie)]).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            let islands = interactive_islands(&html);
            let script = html.contains("__hydrateIsland");
            assert_eq!(
                script,
                !islands.is_empty(),
                "{path}: islands {islands:?}, hydration script {script}"
            );
            assert_eq!(app::page_has_islands(path), script, "{path}");
            // A page's data is in its HTML once: no resource is serialised again as JSON for a
            // hydration that only islands get (and they take their data as props).
            assert!(
                !html.contains("__RESOLVED_RESOURCES["),
                "{path} carries its data twice"
            );
            if script {
                with_islands.push((path.to_string(), islands));
            }
        }
    }
    let names: Vec<_> = with_islands
        .iter()
        .map(|(p, i)| format!("{p}: {}", i.join(", ")))
        .collect();
    assert_eq!(
        names,
        [
            "/sign-up: OrganisationChoice".to_string(),
            "/profile: NewApiToken, CalendarFeed".to_string(),
            format!("{book}: BookingForm"),
        ],
        "the interactive parts are these and no others"
    );
}

/// A plain form post (a page used before or without the wasm) that the server refuses comes back
/// to its page with the error and with what was typed, except the password; the cookie that
/// carried the fields is cleared by the page that shows them.
#[tokio::test]
async fn a_refused_plain_form_comes_back_with_what_was_typed() {
    let app = TestApp::new().await;
    let mut fields = common::sign_up_fields("kept@small-lab.example", "Kiln-violet-42");
    fields.retain(|(k, _)| *k != "phone");
    fields.push(("phone", "not a phone"));
    let (status, headers, _) = app
        .call(
            "sign_up",
            &fields,
            None,
            &[
                ("accept", "text/html"),
                ("referer", "http://localhost/sign-up"),
            ],
        )
        .await;
    assert!(status.is_redirection(), "{status}");
    let location = headers["location"].to_str().unwrap().to_string();
    assert!(location.contains("__err="), "{location}");
    let cookie = headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("kept_form="))
        .expect("the refused form's fields travel back")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert!(
        !cookie.contains("Kiln-violet-42"),
        "never the password: {cookie}"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM users WHERE email = 'kept@small-lab.example'")
            .await,
        0,
        "nothing was created"
    );

    let path = location.trim_start_matches("http://localhost");
    let (status, headers, html) = app.get(path, &[("cookie", cookie.as_str())]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("field-phone-error"),
        "the error stands beside its field"
    );
    assert!(
        html.contains(r#"value="kept@small-lab.example""#),
        "the address is kept"
    );
    assert!(
        html.contains(r#"value="not a phone""#),
        "the refused value is kept"
    );
    assert!(!html.contains("Kiln-violet-42"), "the password is not");
    assert!(
        headers
            .get_all("set-cookie")
            .iter()
            .any(|v| v.to_str().unwrap().starts_with("kept_form=;")),
        "the page clears the cookie"
    );
    // Without the error in the address, the same cookie fills nothing in.
    let (_, _, plain) = app.get("/sign-up", &[("cookie", cookie.as_str())]).await;
    assert!(!plain.contains("kept@small-lab.example"));
}
