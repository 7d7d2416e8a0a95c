//! The equipment ledger's routes: upload (multipart, to its preview), export and template
//! (XLSX or CSV, Chinese or English headings). The work is `app::backend::ledger`'s.

use crate::export::inert;
use app::backend::session::RequestSession;
use app::backend::AppState;
use app::domain::ids::OrganisationId;
use app::error::AppError;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, Workbook};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Which {
    institution: Option<String>,
    format: Option<String>,
    lang: Option<String>,
    table: Option<String>,
}

fn refuse(error: AppError) -> Response {
    (
        StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST),
        axum::Json(error),
    )
        .into_response()
}

fn institution_of(which: &Which) -> Result<OrganisationId, AppError> {
    which
        .institution
        .as_deref()
        .and_then(|i| i.parse().ok())
        .map(OrganisationId)
        .ok_or_else(|| AppError::validation("institution", "choice_unknown"))
}

/// `POST /institution/ledger?institution=ID` (multipart, field `file`): keeps the ledger and
/// goes to its preview. Whether the person runs the institution is asked before the file is read.
pub async fn upload(
    State(state): State<AppState>,
    Query(which): Query<Which>,
    axum::Extension(session): axum::Extension<RequestSession>,
    headers: HeaderMap,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    let back = |query: String| {
        (
            StatusCode::SEE_OTHER,
            [(
                header::LOCATION,
                format!("/institution/resources/import?{query}"),
            )],
        )
            .into_response()
    };
    let answer = |result: Result<i64, AppError>| match (result, wants_json) {
        (Ok(id), true) => axum::Json(serde_json::json!({ "upload": id })).into_response(),
        (Ok(id), false) => back(format!("upload={id}")),
        (Err(AppError::Validation { key, .. }), false) => back(format!("error={key}")),
        (Err(e), _) => refuse(e),
    };
    let institution = match institution_of(&which) {
        Ok(i) => i,
        Err(e) => return answer(Err(e)),
    };
    if let Err(e) = app::backend::resources::may_manage(session.actor.as_ref(), institution) {
        return refuse(e);
    }
    let Ok(mut multipart) = multipart else {
        return answer(Err(AppError::validation("file", "ledger_missing")));
    };
    let file = match crate::one_field(&mut multipart, "file").await {
        Ok(Some((name, bytes))) if name.is_empty() => Ok(("ledger".to_string(), bytes)),
        Ok(Some(file)) => Ok(file),
        Ok(None) => Err(AppError::validation("file", "ledger_missing")),
        Err(()) => Err(AppError::validation("file", "ledger_too_large")),
    };
    let result = match file {
        Ok((name, bytes)) if !bytes.is_empty() => {
            app::backend::ledger::store_upload(
                &state,
                session.actor.as_ref(),
                institution,
                &name,
                &bytes,
            )
            .await
        }
        Ok(_) => Err(AppError::validation("file", "ledger_missing")),
        Err(e) => Err(e),
    };
    answer(result)
}

/// Rows as a file: XLSX (text cells, so nothing is read as a formula or a number; `more` as
/// further sheets) or CSV (UTF-8 with a BOM, which Excel and WPS open correctly; formula-like
/// cells made inert; the first table only).
fn file(
    rows: &[Vec<String>],
    more: &[(&str, Vec<Vec<String>>)],
    format: Option<&str>,
    name: &str,
) -> Response {
    if format == Some("csv") {
        let quote = |s: &str| {
            let s = inert(s);
            if s.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s
            }
        };
        let mut out = String::from("\u{feff}");
        for row in rows {
            out.push_str(&row.iter().map(|c| quote(c)).collect::<Vec<_>>().join(","));
            out.push_str("\r\n");
        }
        return (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.csv\""),
                ),
            ],
            out,
        )
            .into_response();
    }
    let build = || -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut book = Workbook::new();
        let bold = Format::new().set_bold();
        let text = Format::new().set_num_format("@");
        for (i, rows) in std::iter::once(rows)
            .chain(more.iter().map(|(_, r)| r.as_slice()))
            .enumerate()
        {
            let sheet = book.add_worksheet();
            if let Some(i) = i.checked_sub(1) {
                sheet.set_name(more[i].0)?;
            }
            for (r, row) in rows.iter().enumerate() {
                for (c, cell) in row.iter().enumerate() {
                    let format = if r == 0 { &bold } else { &text };
                    sheet.write_string_with_format(r as u32, c as u16, cell, format)?;
                }
            }
            sheet.set_freeze_panes(1, 0)?;
        }
        book.save_to_buffer()
    };
    match build() {
        Ok(bytes) => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.xlsx\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => refuse(AppError::internal("ledger workbook", e)),
    }
}

/// `GET /institution/ledger/export?institution=ID[&format=csv][&lang=en][&table=scope]`: the
/// equipment (XLSX: with the accreditation scopes as a second sheet), or as CSV the equipment or
/// (`table=scope`) the scopes.
pub async fn export(
    State(state): State<AppState>,
    Query(which): Query<Which>,
    axum::Extension(session): axum::Extension<RequestSession>,
) -> Response {
    let institution = match institution_of(&which) {
        Ok(i) => i,
        Err(e) => return refuse(e),
    };
    let english = which.lang.as_deref() == Some("en");
    let actor = session.actor.as_ref();
    let scope = app::backend::ledger::scope_rows(&state, actor, institution, english).await;
    let ledger = app::backend::ledger::ledger_rows(&state, actor, institution, english).await;
    let sheet_name = if english {
        "Accreditation scope"
    } else {
        "资质范围"
    };
    match (ledger, scope, which.format.as_deref()) {
        (_, Ok(scope), Some("csv")) if which.table.as_deref() == Some("scope") => file(
            &scope,
            &[],
            Some("csv"),
            &format!("scope-{}", institution.0),
        ),
        (Ok(ledger), Ok(scope), format) => file(
            &ledger,
            &[(sheet_name, scope)],
            format,
            &format!("ledger-{}", institution.0),
        ),
        (Err(e), _, _) | (_, Err(e), _) => refuse(e),
    }
}

/// `GET /institution/ledger/template[?format=csv][&lang=en]`: the headings and one example row.
pub async fn template(Query(which): Query<Which>) -> Response {
    let english = which.lang.as_deref() == Some("en");
    let scope = app::backend::ledger::scope_template_rows(english);
    let sheet_name = if english {
        "Accreditation scope"
    } else {
        "资质范围"
    };
    let more = [(sheet_name, scope)];
    file(
        &app::backend::ledger::template_rows(english),
        if which.format.as_deref() == Some("csv") {
            &[]
        } else {
            &more
        },
        which.format.as_deref(),
        if english {
            "ledger-template"
        } else {
            "ledger-template-zh"
        },
    )
}
