//! Report downloads: `GET /reports/export` with the report page's query plus `which` (zone or
//! institution), `format` (xlsx: every table, the summary table first; csv: one `table`) and
//! `lang` (zh-CN by default). Read through the same authorization as the page.

use app::api::report::{read_report, ReportQuery, Which};
use app::backend::session::RequestSession;
use app::backend::AppState;
use app::components::report_table::{
    cell_text, heading, hours, period_line, summary_title, table_label,
};
use app::domain::report::{Cell, Report, Table, TableName};
use app::error::AppError;
use app::i18n::Locale;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

/// The export's query string (flat: `serde(flatten)` loses numbers in query strings).
#[derive(Debug, Default, serde::Deserialize)]
pub struct ExportQuery {
    which: Option<String>,
    format: Option<String>,
    table: Option<String>,
    lang: Option<String>,
    kind: Option<String>,
    year: Option<i32>,
    number: Option<u32>,
    from: Option<String>,
    to: Option<String>,
    below: Option<i64>,
    institution: Option<i64>,
}

pub async fn export(
    State(state): State<AppState>,
    axum::Extension(session): axum::Extension<RequestSession>,
    query: Result<Query<ExportQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(q)) = query else {
        return refuse(AppError::validation("query", "choice_unknown"));
    };
    let which = match q.which.as_deref() {
        Some("institution") => Which::Institution,
        Some("zone") | None => Which::Zone,
        Some(_) => return refuse(AppError::validation("which", "choice_unknown")),
    };
    let locale = match q.lang.as_deref() {
        Some("en") => Locale::en,
        _ => Locale::zh_CN,
    };
    let report_query = ReportQuery {
        kind: q.kind,
        year: q.year,
        number: q.number,
        from: q.from,
        to: q.to,
        below: q.below,
        institution: q.institution,
    };
    let report = match read_report(&state, session.actor.as_ref(), which, &report_query).await {
        Ok(r) => r,
        Err(e) => return refuse(e),
    };
    let stem = format!(
        "report-{}-{}",
        report.period.from.format("%Y%m%d"),
        report.period.to.format("%Y%m%d")
    );
    match q.format.as_deref().unwrap_or("xlsx") {
        // A few hundred milliseconds of CPU at province scale: on a blocking thread, so that the
        // async workers go on serving the other requests meanwhile.
        "xlsx" => match tokio::task::spawn_blocking(move || workbook(&report, locale))
            .await
            .map_err(|e| e.to_string())
            .and_then(|written| written.map_err(|e| e.to_string()))
        {
            Ok(bytes) => file(
                bytes,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                &format!("{stem}.xlsx"),
            ),
            Err(err) => refuse(AppError::internal("writing a report workbook", err)),
        },
        "csv" => {
            let Some(name) = q.table.as_deref().and_then(TableName::parse) else {
                return refuse(AppError::validation("table", "choice_unknown"));
            };
            let mut text = String::from("\u{feff}");
            text.push_str(&csv(&report.table(name), locale));
            file(
                text.into_bytes(),
                "text/csv; charset=utf-8",
                &format!("{stem}-{}.csv", name.as_str()),
            )
        }
        _ => refuse(AppError::validation("format", "choice_unknown")),
    }
}

fn refuse(error: AppError) -> Response {
    (
        StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_string(&error).unwrap_or_default(),
    )
        .into_response()
}

fn file(bytes: Vec<u8>, content_type: &str, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// A table as RFC 4180 CSV: headings, then rows; figures as the page shows them but without units.
/// Text a person typed (a resource's or an institution's name), made inert for spreadsheets:
/// one starting with `=`, `+`, `-`, `@`, a tab or a line break would be read as a formula by
/// Excel or WPS, so it gets a leading apostrophe (OWASP's advice for CSV injection).
pub fn inert(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r', '\n']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

pub fn csv(table: &Table, locale: Locale) -> String {
    let quote = |s: &str| {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    let head: Vec<String> = (0..table.columns.len())
        .map(|i| quote(&heading(locale, table, i)))
        .collect();
    out.push_str(&head.join(","));
    out.push_str("\r\n");
    for row in &table.rows {
        let cells: Vec<String> = row
            .iter()
            .map(|c| {
                quote(&match c {
                    Cell::Percent(Some(p)) => format!("{:.2}", p * 100.0),
                    Cell::Percent(None) => String::new(),
                    Cell::Text(_) => inert(&cell_text(locale, c)),
                    other => cell_text(locale, other),
                })
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The workbook: the summary table (情况汇总表) laid out for upward reporting, then one sheet per
/// table, numbers stored as numbers with their formats.
pub fn workbook(report: &Report, locale: Locale) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    // A fast deflate level: compressing the generated zone's year (2.9 MB at the default level 6)
    // took ~200 ms of the workbook's time, measured with `perf` (zlib-rs' longest_match). Level 1
    // (zlib-rs' "quick" strategy) cut that but made the file 5.3 MB; level 2 is the fast
    // strategy, close to level 6's size.
    book.set_zip_compression_level(2);
    let bold = Format::new().set_bold();
    let title = Format::new().set_bold().set_font_size(14);

    let english = locale == Locale::en;
    let scope_name = match &report.scope {
        app::domain::report::ReportScope::Zone { name } => name.pick(english).to_string(),
        app::domain::report::ReportScope::Institution { name, .. } => {
            name.pick(english).to_string()
        }
    };
    let sheet = book.add_worksheet();
    sheet.set_name(table_label(locale, TableName::Summary))?;
    sheet.write_with_format(0, 0, summary_title(locale, &scope_name), &title)?;
    sheet.write(
        1,
        0,
        period_line(locale, report.period.from, report.period.to),
    )?;
    let next = write_table(sheet, 3, &report.summary(), locale, &bold)?;
    if matches!(report.scope, app::domain::report::ReportScope::Zone { .. }) {
        sheet.write_with_format(
            next + 1,
            0,
            table_label(locale, TableName::Institutions),
            &bold,
        )?;
        write_table(
            sheet,
            next + 2,
            &report.table(TableName::Institutions),
            locale,
            &bold,
        )?;
    }
    sheet.set_column_width(0, 28)?;
    sheet.set_column_width(1, 16)?;

    for name in [
        TableName::Institutions,
        TableName::Categories,
        TableName::Resources,
        TableName::Months,
        TableName::Heatmap,
        TableName::Idle,
        TableName::Accreditation,
        TableName::Services,
    ] {
        let sheet = book.add_worksheet();
        sheet.set_name(table_label(locale, name))?;
        write_table(sheet, 0, &report.table(name), locale, &bold)?;
        sheet.set_column_width(0, 30)?;
        sheet.set_freeze_panes(1, 1)?;
    }
    book.save_to_buffer()
}

/// Writes `table` from `row` (headings first); returns the row after it.
fn write_table(
    sheet: &mut Worksheet,
    row: u32,
    table: &Table,
    locale: Locale,
    bold: &Format,
) -> Result<u32, XlsxError> {
    let one_decimal = Format::new().set_num_format("0.0");
    let percent = Format::new().set_num_format("0.0%");
    let money = Format::new().set_num_format("#,##0.00");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for i in 0..table.columns.len() {
        sheet.write_with_format(row, i as u16, heading(locale, table, i), bold)?;
    }
    for (r, cells) in table.rows.iter().enumerate() {
        let at = row + 1 + r as u32;
        for (c, cell) in cells.iter().enumerate() {
            let col = c as u16;
            match cell {
                Cell::Int(n) => {
                    sheet.write(at, col, *n as f64)?;
                }
                Cell::Hours(s) => {
                    sheet.write_with_format(at, col, hours(*s), &one_decimal)?;
                }
                Cell::Percent(Some(p)) => {
                    sheet.write_with_format(at, col, *p, &percent)?;
                }
                Cell::Percent(None) | Cell::Decimal(None) => {}
                Cell::Decimal(Some(v)) => {
                    sheet.write_with_format(at, col, *v, &one_decimal)?;
                }
                Cell::Money(fen) => {
                    sheet.write_with_format(at, col, *fen as f64 / 100.0, &money)?;
                }
                Cell::Date(d) => {
                    let day = rust_xlsxwriter::ExcelDateTime::from_ymd(
                        d.format("%Y").to_string().parse().unwrap_or(2000),
                        d.format("%m").to_string().parse().unwrap_or(1),
                        d.format("%d").to_string().parse().unwrap_or(1),
                    )?;
                    sheet.write_with_format(at, col, &day, &date)?;
                }
                other => {
                    sheet.write(at, col, cell_text(locale, other))?;
                }
            }
        }
    }
    Ok(row + 1 + table.rows.len() as u32)
}
