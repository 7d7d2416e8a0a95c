//! Equipment ledgers through the real router on a real SQLite file, with real files written here
//! (rust_xlsxwriter, as Excel and WPS save them: a merged title row, date cells, 万元) and a
//! GB18030 CSV: the preview's findings per row, all-or-nothing import, idempotency, the round trip
//! through the export, refused files, and who may import.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::TestApp;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde_json::Value;

const ADMIN: &str = "admin@jxiic.example";

async fn institution(app: &TestApp) -> i64 {
    app.scalar(&format!(
        "SELECT r.scope_id FROM user_roles r JOIN users u ON u.id = r.user_id \
         WHERE u.email = '{ADMIN}' AND r.role = 'institution_admin'"
    ))
    .await
}

/// Uploads `bytes` as the ledger file; (status, JSON body).
async fn upload(
    app: &TestApp,
    session: &str,
    institution: i64,
    name: &str,
    bytes: &[u8],
) -> (StatusCode, Value) {
    let boundary = "----labshare-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = Request::post(format!("/institution/ledger?institution={institution}"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header("accept", "application/json")
        .header("cookie", format!("labshare_session={session}"))
        .body(Body::from(body))
        .unwrap();
    let (status, _, text) = app.request(req).await;
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn preview(app: &TestApp, session: &str, upload: i64, mapping: Option<&str>) -> Value {
    let upload = upload.to_string();
    let mut fields = vec![("upload", upload.as_str())];
    if let Some(m) = mapping {
        fields.push(("mapping", m));
    }
    let (status, _, body) = app
        .call("ledger_preview", &fields, Some(session), &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_str(&body).unwrap()
}

async fn import(app: &TestApp, session: &str, upload: i64) -> (StatusCode, Value) {
    let (status, _, body) = app
        .call(
            "ledger_import",
            &[("upload", &upload.to_string())],
            Some(session),
            &[],
        )
        .await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// What an import answered: (created, updated, unchanged).
fn counts(done: &Value) -> (i64, i64, i64) {
    let n = |k: &str| done[k].as_i64().unwrap_or(-1);
    (n("created"), n("updated"), n("unchanged"))
}

async fn import_with(
    app: &TestApp,
    session: &str,
    upload: i64,
    fields: &[(&str, &str)],
) -> (StatusCode, Value) {
    let upload = upload.to_string();
    let mut all = vec![("upload", upload.as_str())];
    all.extend_from_slice(fields);
    let (status, _, body) = app.call("ledger_import", &all, Some(session), &[]).await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// A ledger as an institution keeps it: a merged title row, then the headings, dates as dates
/// and values in 万元.
fn workbook(rows: &[[&str; 8]], formula: bool) -> Vec<u8> {
    let mut book = Workbook::new();
    ledger_sheet(&mut book, rows, formula);
    book.save_to_buffer().unwrap()
}

fn ledger_sheet(book: &mut Workbook, rows: &[[&str; 8]], formula: bool) {
    let sheet = book.add_worksheet();
    let title = Format::new().set_bold();
    sheet
        .merge_range(
            0,
            0,
            0,
            8,
            "江西省检验检测认证总院 仪器设备台账（2026 年）",
            &title,
        )
        .unwrap();
    let headings = [
        "序号",
        "仪器名称",
        "规格型号",
        "生产厂家",
        "出厂编号",
        "购置日期",
        "原值（万元）",
        "存放地点",
        "分类",
    ];
    for (c, h) in headings.iter().enumerate() {
        sheet.write_string(1, c as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (r, row) in rows.iter().enumerate() {
        let line = r as u32 + 2;
        sheet.write_number(line, 0, (r + 1) as f64).unwrap();
        for (c, cell) in row.iter().enumerate() {
            let column = c as u16 + 1;
            match c {
                // The purchase date: a real date cell.
                4 if !cell.is_empty() => {
                    let d = ExcelDateTime::parse_from_str(cell).unwrap();
                    sheet
                        .write_datetime_with_format(line, column, &d, &date)
                        .unwrap();
                }
                5 if !cell.is_empty() => {
                    sheet
                        .write_number(line, column, cell.parse::<f64>().unwrap())
                        .unwrap();
                }
                _ => {
                    sheet.write_string(line, column, *cell).unwrap();
                }
            }
        }
    }
    if formula {
        sheet
            .write_formula(rows.len() as u32 + 2, 6, "=SUM(G3:G4)")
            .unwrap();
    }
}

/// An accreditation-scope sheet as institutions keep it: a merged title, then one row per
/// standard, the instrument, body, certificate and dates merged down over a certificate's rows
/// (an empty cell here is the merged continuation of the one above), dates as date cells.
fn scope_sheet(book: &mut Workbook, rows: &[[&str; 7]]) {
    let sheet = book.add_worksheet();
    sheet.set_name("资质范围").unwrap();
    sheet
        .merge_range(
            0,
            0,
            0,
            7,
            "检验检测能力附表（仪器设备对应）",
            &Format::new(),
        )
        .unwrap();
    let headings = [
        "序号",
        "出厂编号",
        "仪器名称",
        "资质类型",
        "资质证书编号",
        "标准名称及编号",
        "发证日期",
        "有效期至",
    ];
    for (c, h) in headings.iter().enumerate() {
        sheet.write_string(1, c as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("yyyy/m/d");
    let plain = Format::new();
    for (r, row) in rows.iter().enumerate() {
        let line = r as u32 + 2;
        sheet.write_number(line, 0, (r + 1) as f64).unwrap();
        for (c, cell) in row.iter().enumerate() {
            let column = c as u16 + 1;
            if cell.is_empty() {
                continue;
            }
            // How far down this cell is merged: over the empty cells under it.
            let mut last = line;
            while rows.get((last - 1) as usize).is_some_and(|next| {
                c != 4
                    && next[c].is_empty()
                    && (c > 1 || (next[0].is_empty() && next[1].is_empty()))
            }) {
                last += 1;
            }
            if c >= 5 {
                let d = ExcelDateTime::parse_from_str(cell).unwrap();
                if last > line {
                    sheet
                        .merge_range(line, column, last, column, "", &date)
                        .unwrap();
                }
                sheet
                    .write_datetime_with_format(line, column, &d, &date)
                    .unwrap();
            } else if last > line {
                sheet
                    .merge_range(line, column, last, column, cell, &plain)
                    .unwrap();
            } else {
                sheet.write_string(line, column, *cell).unwrap();
            }
        }
    }
}

const GOOD: [[&str; 8]; 3] = [
    [
        "高低温交变湿热试验箱",
        "GDJS-500",
        "重庆银河",
        "YH2019-0456",
        "2019-05-20",
        "38.6",
        "A 楼 105",
        "环境试验",
    ],
    [
        "电感耦合等离子体质谱仪",
        "ICPMS-2030",
        "岛津",
        "SHM-88231",
        "2021-11-03",
        "152",
        "B 楼 302",
        "光谱分析",
    ],
    [
        "万能材料试验机",
        "CMT5105",
        "美特斯",
        "MTS-5105-77",
        "2018-03-01",
        "24.5",
        "C 楼 101",
        "力学性能",
    ],
];

#[tokio::test]
async fn a_ledger_is_previewed_row_by_row_and_imported_all_or_nothing() {
    let app = TestApp::new().await;
    let institution = institution(&app).await;
    let session = app.sign_in(ADMIN).await;
    let before = app.scalar("SELECT COUNT(*) FROM resources").await;

    // Three good rows and three with problems.
    let mut rows = GOOD.to_vec();
    rows.push([
        "",
        "X-1",
        "某厂",
        "NONAME-1",
        "2020-01-01",
        "3",
        "A 楼",
        "环境试验",
    ]);
    rows.push([
        "离心机",
        "TGL-16",
        "湘仪",
        "XY-16-001",
        "2020-01-01",
        "2",
        "A 楼",
        "不存在的分类",
    ]);
    rows.push([
        "重复编号的设备",
        "D-1",
        "某厂",
        "YH2019-0456",
        "2020-01-01",
        "3",
        "A 楼",
        "环境试验",
    ]);
    let (status, body) = upload(
        &app,
        &session,
        institution,
        "台账.xlsx",
        &workbook(&rows, false),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["upload"].as_i64().unwrap();
    let p = preview(&app, &session, id, None).await;
    // The title row is passed over; the headings are recognised.
    assert_eq!(p["headings"][1], "仪器名称");
    assert_eq!(p["mapping"][0], Value::Null, "序号 is not imported");
    assert_eq!(p["mapping"][1], "name");
    assert_eq!(p["mapping"][4], "serial_number");
    assert_eq!(p["mapping"][5], "purchase_year");
    assert_eq!(p["mapping"][6], "original_value");
    let rows = p["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[0]["line"], 3, "as Excel numbers the rows");
    for r in &rows[..3] {
        assert_eq!(r["action"], "Create", "{r}");
    }
    let finding = |row: usize| rows[row]["findings"][0].clone();
    assert_eq!(
        (
            finding(3)["field"].as_str(),
            finding(3)["key"].as_str(),
            finding(3)["column"].as_i64()
        ),
        (Some("name_zh"), Some("text_missing"), Some(1))
    );
    assert_eq!(
        (finding(4)["key"].as_str(), finding(4)["column"].as_i64()),
        (Some("category_unknown"), Some(8))
    );
    assert_eq!(finding(5)["key"], "serial_duplicate:3");
    assert!(rows[3..].iter().all(|r| r["action"] == "Blocked"));

    // All or nothing: refused, nothing written.
    let (status, _) = import(&app, &session, id).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM resources").await, before);

    // The good rows alone: created with their values read as the ledger meant them.
    let (_, body) = upload(
        &app,
        &session,
        institution,
        "台账.xlsx",
        &workbook(&GOOD, false),
    )
    .await;
    let good = body["upload"].as_i64().unwrap();
    let (status, done) = import(&app, &session, good).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(counts(&done), (3, 0, 0));
    let (year, value, category): (i64, i64, String) = sqlx::query_as(
        "SELECT r.purchase_year, r.original_value_fen, c.name_zh FROM resources r JOIN categories c ON c.id = r.category_id \
         WHERE r.serial_number = 'SHM-88231' AND r.institution_id = $1",
    )
    .bind(institution)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(
        (year, value, category.as_str()),
        (2021, 152 * 10_000 * 100, "光谱分析")
    );
    // With the editor's defaults for what a ledger does not say.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM opening_hours h JOIN resources r ON r.id = h.resource_id WHERE r.serial_number = 'SHM-88231'").await,
        5
    );

    // The same file again changes nothing; one changed cell updates one resource.
    let (_, body) = upload(
        &app,
        &session,
        institution,
        "台账.xlsx",
        &workbook(&GOOD, false),
    )
    .await;
    let (_, done) = import(&app, &session, body["upload"].as_i64().unwrap()).await;
    assert_eq!(counts(&done), (0, 0, 3));
    let mut changed = GOOD.to_vec();
    changed[2][1] = "CMT5105-SANS";
    let (_, body) = upload(
        &app,
        &session,
        institution,
        "台账.xlsx",
        &workbook(&changed, false),
    )
    .await;
    let (_, done) = import(&app, &session, body["upload"].as_i64().unwrap()).await;
    assert_eq!(counts(&done), (0, 1, 2));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM resources").await,
        before + 3
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM resources WHERE model = 'CMT5105-SANS'")
            .await,
        1
    );

    // A changed mapping: the model column ignored, so nothing differs.
    let p = preview(
        &app,
        &session,
        body["upload"].as_i64().unwrap(),
        Some("-,name,-,manufacturer,serial_number,purchase_year,original_value,building,category"),
    )
    .await;
    assert!(
        p["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["action"].get("Unchanged").is_some()),
        "{p}"
    );
}

#[tokio::test]
async fn the_export_reads_back_unchanged_and_an_edited_cell_is_the_only_change() {
    use calamine::{Data, Reader};
    let app = TestApp::new().await;
    let institution = institution(&app).await;
    let session = app.sign_in(ADMIN).await;
    let own = app.scalar(&format!("SELECT COUNT(*) FROM resources WHERE institution_id = {institution} AND status <> 'retired'")).await;
    let (status, headers, _) = app
        .get(
            &format!("/institution/ledger/export?institution={institution}"),
            &[("cookie", &format!("labshare_session={session}"))],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("spreadsheetml"));
    let req = Request::get(format!(
        "/institution/ledger/export?institution={institution}"
    ))
    .header("cookie", format!("labshare_session={session}"))
    .body(Body::empty())
    .unwrap();
    let res = tower::ServiceExt::oneshot(app.router.clone(), req)
        .await
        .unwrap();
    let bytes = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    let (status, body) = upload(&app, &session, institution, "export.xlsx", &bytes).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let p = preview(&app, &session, body["upload"].as_i64().unwrap(), None).await;
    let rows = p["rows"].as_array().unwrap();
    assert_eq!(rows.len() as i64, own);
    assert!(
        rows.iter().all(|r| r["action"].get("Unchanged").is_some()),
        "{:?}",
        rows.iter().find(|r| r["action"].get("Unchanged").is_none())
    );
    // Its second sheet, the accreditation scopes, reads back unchanged too.
    let scope = p["scope"]["rows"].as_array().unwrap();
    assert_eq!(
        scope.len() as i64,
        app.scalar(&format!("SELECT COUNT(*) FROM accreditations a JOIN resources r ON r.id = a.resource_id WHERE r.institution_id = {institution} AND r.status <> 'retired'")).await
    );
    assert!(!scope.is_empty());
    assert!(
        scope.iter().all(|r| r["action"].get("Unchanged").is_some()),
        "{:?}",
        scope
            .iter()
            .find(|r| r["action"].get("Unchanged").is_none())
    );

    // Edited in a spreadsheet: the room of the first resource.
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let mut out = Workbook::new();
    let sheet = out.add_worksheet();
    for (r, row) in range.rows().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let mut text = match cell {
                Data::String(s) => s.clone(),
                Data::Empty => String::new(),
                other => other.to_string(),
            };
            if r == 1 && c == 11 {
                text = "Z-999".into();
            }
            sheet.write_string(r as u32, c as u16, &text).unwrap();
        }
    }
    let edited = out.save_to_buffer().unwrap();
    let (_, body) = upload(&app, &session, institution, "export.xlsx", &edited).await;
    let (status, done) = import(&app, &session, body["upload"].as_i64().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(counts(&done), (0, 1, own - 1));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM resources WHERE room = 'Z-999'")
            .await,
        1
    );

    // The template: headings and one example row, in both languages and both formats.
    for (path, needle) in [
        ("/institution/ledger/template?format=csv", "设备名称"),
        (
            "/institution/ledger/template?format=csv&lang=en",
            "Serial number",
        ),
    ] {
        let (status, _, text) = app.get(path, &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            text.starts_with('\u{feff}') && text.contains(needle),
            "{text}"
        );
        assert_eq!(text.lines().count(), 2);
    }
}

#[tokio::test]
async fn a_gb18030_csv_from_chinese_excel_is_read() {
    let app = TestApp::new().await;
    let institution = institution(&app).await;
    let session = app.sign_in(ADMIN).await;
    let text = "设备名称,型号,制造商,序列号,购置年份,原值（元）,存放地点,类别\r\n\
                紫外可见分光光度计,UV-2600,岛津,UV-2600-0012,2020,\"128,000.00\",D 楼 201,光谱分析\r\n";
    let (bytes, _, bad) = encoding_rs::GB18030.encode(text);
    assert!(
        !bad && std::str::from_utf8(&bytes).is_err(),
        "really GB18030"
    );
    let (status, body) = upload(&app, &session, institution, "ledger.csv", &bytes).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let p = preview(&app, &session, body["upload"].as_i64().unwrap(), None).await;
    assert_eq!(p["headings"][0], "设备名称");
    assert_eq!(p["rows"][0]["action"], "Create", "{p}");
    assert_eq!(p["rows"][0]["cells"][0], "紫外可见分光光度计");
    let (_, done) = import(&app, &session, body["upload"].as_i64().unwrap()).await;
    assert_eq!(counts(&done), (1, 0, 0));
    assert_eq!(
        app.scalar("SELECT original_value_fen FROM resources WHERE serial_number = 'UV-2600-0012'")
            .await,
        12_800_000
    );
}

#[tokio::test]
async fn bad_files_are_refused_with_a_reason_and_nothing_is_kept() {
    let app = TestApp::new().await;
    let institution = institution(&app).await;
    let session = app.sign_in(ADMIN).await;
    let refused = |body: &Value, key: &str| {
        assert_eq!(body["Validation"]["key"], key, "{body}");
    };
    // Not a spreadsheet.
    let png = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../public/favicon.svg"
    ))
    .unwrap_or_else(|_| b"\x89PNG\r\n\x1a\n\0\0\0".to_vec());
    let (status, body) = upload(
        &app,
        &session,
        institution,
        "photo.png",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    refused(&body, "ledger_unreadable");
    let (_, body) = upload(&app, &session, institution, "logo.svg", &png).await;
    refused(&body, "ledger_no_headings");
    // Formulas.
    let (_, body) = upload(
        &app,
        &session,
        institution,
        "f.xlsx",
        &workbook(&GOOD, true),
    )
    .await;
    refused(&body, "ledger_formulas");
    let (_, body) = upload(
        &app,
        &session,
        institution,
        "f.csv",
        "设备名称,型号\r\n=HYPERLINK(\"http://evil\"),X\r\n".as_bytes(),
    )
    .await;
    refused(&body, "ledger_formulas");
    // 1,000 columns.
    let wide = format!(
        "设备名称,型号,{}\r\n",
        (0..998)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let (_, body) = upload(&app, &session, institution, "wide.csv", wide.as_bytes()).await;
    refused(&body, "ledger_too_wide");
    // A zip bomb: a sheet that unpacks to 200 MB of zeros.
    let mut bomb = Vec::new();
    {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut bomb));
        zip.start_file(
            "xl/worksheets/sheet1.xml",
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated),
        )
        .unwrap();
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..200 {
            std::io::Write::write_all(&mut zip, &zeros).unwrap();
        }
        zip.finish().unwrap();
    }
    assert!(bomb.len() < 2 * 1024 * 1024, "{}", bomb.len());
    let (_, body) = upload(&app, &session, institution, "bomb.xlsx", &bomb).await;
    refused(&body, "ledger_too_large");
    // 50 MB: refused at the door.
    let (status, _) = upload(
        &app,
        &session,
        institution,
        "big.csv",
        &vec![b'a'; 50 * 1024 * 1024],
    )
    .await;
    assert!(
        status == StatusCode::PAYLOAD_TOO_LARGE || status == StatusCode::BAD_REQUEST,
        "{status}"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM ledger_uploads").await, 0);
}

#[tokio::test]
async fn only_the_institutions_admins_import_into_it() {
    let app = TestApp::new().await;
    let institution = institution(&app).await;
    let file = workbook(&GOOD, false);
    // A booker: refused before the file is read.
    let booker = app.sign_in("liu.fang@nk-furniture.example").await;
    let (status, _) = upload(&app, &booker, institution, "x.xlsx", &file).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Another institution's admin.
    let admin = app.sign_in(ADMIN).await;
    let (_, body) = upload(&app, &admin, institution, "x.xlsx", &file).await;
    let id = body["upload"].as_i64().unwrap();
    let other: (String,) = sqlx::query_as(
        "SELECT u.email FROM user_roles r JOIN users u ON u.id = r.user_id WHERE r.role = 'institution_admin' AND r.scope_id <> $1 LIMIT 1",
    )
    .bind(institution)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    let stranger = app.sign_in(&other.0).await;
    let (status, _, _) = app
        .call(
            "ledger_preview",
            &[("upload", &id.to_string())],
            Some(&stranger),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = import(&app, &stranger, id).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = upload(&app, &stranger, institution, "x.xlsx", &file).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = app
        .get(
            &format!("/institution/ledger/export?institution={institution}"),
            &[("cookie", &format!("labshare_session={stranger}"))],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM resources WHERE serial_number = 'SHM-88231'")
            .await,
        0
    );
}

#[tokio::test]
async fn the_sample_ledger_shipped_with_the_demo_imports_cleanly() {
    let app = TestApp::new().await;
    let institution = institution(&app).await;
    let session = app.sign_in(ADMIN).await;
    let sample = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../public/samples/ledger-sample.csv"
    ))
    .unwrap();
    let (status, body) = upload(&app, &session, institution, "ledger-sample.csv", &sample).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let p = preview(&app, &session, body["upload"].as_i64().unwrap(), None).await;
    let rows = p["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 10);
    assert!(
        rows.iter()
            .all(|r| r["action"] == "Create" && r["findings"] == serde_json::json!([])),
        "{p}"
    );
    let (_, done) = import(&app, &session, body["upload"].as_i64().unwrap()).await;
    assert_eq!(counts(&done), (10, 0, 0));
    assert_eq!(
        app.scalar("SELECT original_value_fen FROM resources WHERE serial_number = 'A1167501234'")
            .await,
        48_600_000
    );
    // Then its accreditation scope, a file of its own: a certificate's continuation rows left
    // empty, as a sheet with merged cells saves to CSV.
    let sample = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../public/samples/scope-sample.csv"
    ))
    .unwrap();
    let (status, body) = upload(&app, &session, institution, "scope-sample.csv", &sample).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["upload"].as_i64().unwrap();
    let p = preview(&app, &session, id, None).await;
    let rows = p["scope"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 12);
    assert!(
        rows.iter()
            .all(|r| r["action"] == "Create" && r["findings"] == serde_json::json!([])),
        "{p}"
    );
    // Line 5 (sample row 4) continues the ion chromatograph under another certificate.
    assert_eq!(rows[3]["resource"], "离子色谱仪");
    let (_, done) = import(&app, &session, id).await;
    assert_eq!(done["scopes"], 9, "{done}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM accreditation_standards s JOIN accreditations a ON a.id = s.accreditation_id JOIN resources r ON r.id = a.resource_id WHERE r.serial_number = 'YH2018-0312'").await,
        3
    );
}

#[tokio::test]
async fn accreditation_scopes_come_from_a_second_sheet_or_a_file_of_their_own() {
    let app = TestApp::new().await;
    let institution = institution(&app).await;
    let session = app.sign_in(ADMIN).await;
    let entries = || app.scalar("SELECT COUNT(*) FROM accreditations");
    let before = (
        app.scalar("SELECT COUNT(*) FROM resources").await,
        entries().await,
    );
    let scope = [
        // One certificate over two standards (merged cells), for a row the ledger creates.
        [
            "YH2019-0456",
            "高低温交变湿热试验箱",
            "CMA",
            "241412345678",
            "GB/T 2423.1-2008",
            "2024-06-01",
            "2030-05-31",
        ],
        ["", "", "", "", "GB/T 2423.2-2008", "", ""],
        // Matched by name alone.
        [
            "",
            "电感耦合等离子体质谱仪",
            "实验室认可",
            "CNAS L1234",
            "HJ 700-2014",
            "2025-01-01",
            "2031-01-01",
        ],
        // No such instrument.
        [
            "NOPE-1",
            "不存在的设备",
            "CMA",
            "X-1",
            "GB 1-2000",
            "2025-01-01",
            "2031-01-01",
        ],
    ];
    let mut book = Workbook::new();
    ledger_sheet(&mut book, &GOOD, false);
    scope_sheet(&mut book, &scope);
    let bytes = book.save_to_buffer().unwrap();
    let (status, body) = upload(&app, &session, institution, "台账及资质.xlsx", &bytes).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["upload"].as_i64().unwrap();
    let p = preview(&app, &session, id, None).await;
    assert_eq!(p["rows"].as_array().unwrap().len(), 3);
    let s = &p["scope"];
    assert_eq!(s["mapping"][1], "serial_number");
    assert_eq!(s["mapping"][4], "certificate");
    assert_eq!(s["mapping"][5], "standards");
    let rows = s["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4, "{s}");
    assert_eq!(rows[0]["line"], 3);
    for r in &rows[..3] {
        assert_eq!(r["action"], "Create", "{r}");
    }
    // The merged cells are read down; the instrument is the one this import creates.
    assert_eq!(rows[1]["cells"][4], "241412345678");
    assert_eq!(rows[1]["resource"], "高低温交变湿热试验箱");
    // By name: the row of this upload's ledger, though the platform has an instrument so named.
    assert_eq!(rows[2]["resource"], "电感耦合等离子体质谱仪");
    assert_eq!(rows[3]["action"], "Blocked");
    assert_eq!(
        (
            rows[3]["findings"][0]["key"].as_str(),
            rows[3]["findings"][0]["column"].as_i64()
        ),
        (Some("scope_resource_unknown"), Some(1))
    );

    // All or nothing: the bad scope row stops the ledger too.
    let (status, _) = import(&app, &session, id).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        (
            app.scalar("SELECT COUNT(*) FROM resources").await,
            entries().await
        ),
        before
    );

    // The admin leaves that row out: three instruments and two certificate entries.
    let (status, done) = import_with(&app, &session, id, &[("skip", "s6")]).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(counts(&done), (3, 0, 0));
    assert_eq!(done["scopes"], 2);
    assert_eq!(entries().await, before.1 + 2);
    let (id, from, until): (i64, String, String) = sqlx::query_as(
        "SELECT a.id, a.valid_from, a.valid_until FROM accreditations a JOIN resources r ON r.id = a.resource_id \
         WHERE r.serial_number = 'YH2019-0456' AND a.body = 'CMA'",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    let codes: Vec<(String,)> = sqlx::query_as(
        "SELECT code FROM accreditation_standards WHERE accreditation_id = $1 ORDER BY code",
    )
    .bind(id)
    .fetch_all(app.state.db.pool())
    .await
    .unwrap();
    let standards = codes
        .into_iter()
        .map(|(c,)| c)
        .collect::<Vec<_>>()
        .join("|");
    assert_eq!(
        (from.as_str(), until.as_str(), standards.as_str()),
        (
            "2024-06-01",
            "2030-05-31",
            "GB/T 2423.1-2008|GB/T 2423.2-2008"
        )
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM accreditations a JOIN resources r ON r.id = a.resource_id WHERE r.serial_number = 'SHM-88231' AND a.body = 'CNAS'").await,
        1
    );

    // The same file again writes nothing.
    let (_, body) = upload(&app, &session, institution, "台账及资质.xlsx", &bytes).await;
    let again = body["upload"].as_i64().unwrap();
    let p = preview(&app, &session, again, None).await;
    assert!(
        p["scope"]["rows"].as_array().unwrap()[..3]
            .iter()
            .all(|r| r["action"].get("Unchanged").is_some()),
        "{p}"
    );
    let (_, done) = import_with(&app, &session, again, &[("skip", "s6")]).await;
    assert_eq!(
        (counts(&done), done["scopes"].as_i64()),
        ((0, 0, 3), Some(0))
    );

    // A scope table of its own (a CSV, as WPS saves it): the certificate renewed, a standard
    // added; the entry is updated, not duplicated.
    let csv = "\u{feff}出厂编号,证书编号,认可机构,检测依据,有效期起,有效期至\r\n\
               SHM-88231,CNAS L1234,CNAS,HJ 700-2014；HJ 766-2015,2025/1/1,2032年1月1日\r\n";
    let (status, body) = upload(&app, &session, institution, "资质范围.csv", csv.as_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["upload"].as_i64().unwrap();
    let p = preview(&app, &session, id, None).await;
    assert_eq!(
        p["headings"],
        serde_json::json!([]),
        "no ledger in this file"
    );
    assert!(
        p["scope"]["rows"][0]["action"].get("Update").is_some(),
        "{p}"
    );
    let (status, done) = import(&app, &session, id).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["scopes"], 1);
    assert_eq!(entries().await, before.1 + 2);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM accreditation_standards s JOIN accreditations a ON a.id = s.accreditation_id JOIN resources r ON r.id = a.resource_id WHERE r.serial_number = 'SHM-88231' AND a.valid_until = '2032-01-01'").await,
        2
    );
}

#[tokio::test]
async fn an_excel_97_workbook_with_merged_headings_and_a_scope_sheet_is_read() {
    // Written by server/tests/fixtures/make_xls.py (xlwt): the BIFF8 format older Excel and WPS
    // save, with a group heading merged above the headings and certificate cells merged down.
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/ledger-97.xls"
    ))
    .unwrap();
    let app = TestApp::new().await;
    let institution = institution(&app).await;
    let session = app.sign_in(ADMIN).await;
    let (status, body) = upload(&app, &session, institution, "仪器设备一览表.xls", &bytes).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["upload"].as_i64().unwrap();
    let p = preview(&app, &session, id, None).await;
    assert_eq!(
        p["headings"][1], "仪器设备名称",
        "the merged rows above are passed over"
    );
    assert_eq!(p["rows"][0]["line"], 4);
    assert_eq!(
        p["rows"][0]["cells"][5], "2017-09-12",
        "a date cell shows as its date"
    );
    assert!(
        p["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["action"] == "Create"),
        "{p}"
    );
    let scope = p["scope"]["rows"].as_array().unwrap();
    assert_eq!(scope.len(), 3);
    assert!(scope
        .iter()
        .all(|r| r["action"] == "Create" && r["resource"] == "原子吸收分光光度计"));
    let (status, done) = import(&app, &session, id).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(
        (counts(&done), done["scopes"].as_i64()),
        ((2, 0, 0), Some(1))
    );
    let (year, value, from, until): (i64, i64, String, String) = sqlx::query_as(
        "SELECT r.purchase_year, r.original_value_fen, a.valid_from, a.valid_until FROM resources r \
         JOIN accreditations a ON a.resource_id = r.id WHERE r.serial_number = 'XLS-AA-0101'",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(
        (year, value, from.as_str(), until.as_str()),
        (2017, 365_000 * 100, "2024-09-01", "2030-08-31")
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM accreditation_standards s JOIN accreditations a ON a.id = s.accreditation_id JOIN resources r ON r.id = a.resource_id WHERE r.serial_number = 'XLS-AA-0101'").await,
        3
    );
}

#[tokio::test]
async fn new_rows_can_take_the_settings_of_their_categorys_latest_resource() {
    let app = TestApp::new().await;
    let institution = institution(&app).await;
    let session = app.sign_in(ADMIN).await;
    // The institution's latest-edited spectroscopy instrument asks for two days' notice.
    let category = app
        .scalar("SELECT id FROM categories WHERE name_zh = '光谱分析'")
        .await;
    let model = app
        .scalar(&format!(
            "SELECT MIN(id) FROM resources WHERE institution_id = {institution} AND status <> 'retired'"
        ))
        .await;
    for sql in [
        format!("UPDATE resources SET category_id = {category}, updated_at = 4000000000 WHERE id = {model}"),
        format!("UPDATE booking_rules SET min_notice_minutes = 2880 WHERE resource_id = {model}"),
    ] {
        sqlx::query(&sql)
            .execute(app.state.db.pool())
            .await
            .unwrap();
    }
    // What the other category's latest-edited resource asks (none: the editor's default, 0).
    let other: Option<(i64,)> = sqlx::query_as(&format!(
        "SELECT b.min_notice_minutes FROM resources r JOIN booking_rules b ON b.resource_id = r.id \
         JOIN categories c ON c.id = r.category_id \
         WHERE r.institution_id = {institution} AND r.status <> 'retired' AND c.name_zh = '环境试验' \
         ORDER BY r.updated_at DESC, r.id DESC LIMIT 1"
    ))
    .fetch_optional(app.state.db.pool())
    .await
    .unwrap();
    let csv = "设备名称,出厂编号,类别\r\n荧光光谱仪,FL-2026-1,光谱分析\r\n热分析仪,TA-2026-1,环境试验\r\n";
    let (_, body) = upload(&app, &session, institution, "l.csv", csv.as_bytes()).await;
    let id = body["upload"].as_i64().unwrap();
    let (status, done) = import_with(&app, &session, id, &[("by_category", "true")]).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let notice = |serial: &'static str| {
        let sql = format!(
            "SELECT b.min_notice_minutes FROM booking_rules b JOIN resources r ON r.id = b.resource_id WHERE r.serial_number = '{serial}'"
        );
        let app = &app;
        async move { app.scalar(&sql).await }
    };
    assert_eq!(notice("FL-2026-1").await, 2880, "its category's template");
    assert_eq!(
        notice("TA-2026-1").await,
        other.map_or(0, |(n,)| n),
        "its own category's template"
    );
}
