//! The test report of an order: uploaded by the institution's admin (multipart field `report`,
//! a PDF checked by its content), downloaded only by the two organisations of the order.

use app::backend::session::RequestSession;
use app::backend::AppState;
use app::error::AppError;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

fn refuse(error: AppError) -> Response {
    (
        StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        axum::Json(error),
    )
        .into_response()
}

/// `filename*=` of RFC 6266 / 5987: the name percent-encoded as UTF-8, with a plain ASCII
/// fallback for old clients.
fn disposition(name: &str, order: i64) -> String {
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("attachment; filename=\"report-{order}.pdf\"; filename*=UTF-8''{encoded}")
}

/// GET `/orders/{id}/report`: the PDF, to the ordering organisation's people and the
/// institution's admins; 404 for anyone else (the order's existence is not told), 401 when
/// nobody is signed in.
pub async fn download(
    State(state): State<AppState>,
    Path(id): Path<String>,
    axum::Extension(session): axum::Extension<RequestSession>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return refuse(AppError::NotFound);
    };
    match app::backend::orders::report_file(&state, session.actor.as_ref(), id).await {
        Ok((name, bytes)) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (header::CONTENT_DISPOSITION, disposition(&name, id)),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => refuse(e),
    }
}

/// POST `/orders/{id}/report`: the institution's admin issues the report of an order in testing.
/// A plain form post goes back to the order (with the refusal's key in the URL); a script asking
/// for JSON gets 204 or the error.
pub async fn upload(
    State(state): State<AppState>,
    Path(id): Path<String>,
    axum::Extension(session): axum::Extension<RequestSession>,
    headers: axum::http::HeaderMap,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return refuse(AppError::NotFound);
    };
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    let file = match multipart {
        Ok(mut multipart) => match crate::one_field(&mut multipart, "report").await {
            Ok(Some(file)) => Ok(file),
            Ok(None) => Err(AppError::validation("report", "report_missing")),
            Err(()) => Err(AppError::validation("report", "report_too_large")),
        },
        Err(_) => Err(AppError::validation("report", "report_missing")),
    };
    let result = match file {
        Ok((name, bytes)) => {
            app::backend::orders::issue_report(&state, session.actor.as_ref(), id, &name, bytes)
                .await
        }
        Err(e) => Err(e),
    };
    let back = |query: String| {
        (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/orders/{id}?{query}"))],
        )
            .into_response()
    };
    match (result, wants_json) {
        (Ok(()), true) => StatusCode::NO_CONTENT.into_response(),
        (Ok(()), false) => back("done=1".into()),
        (Err(AppError::Validation { key, .. }), false) => back(format!("report_error={key}")),
        (Err(e), _) => refuse(e),
    }
}

#[cfg(test)]
mod tests {
    use super::disposition;

    #[test]
    fn a_chinese_file_name_travels_percent_encoded() {
        let d = disposition("检测报告 7.pdf", 7);
        assert!(d.starts_with("attachment; filename=\"report-7.pdf\"; filename*=UTF-8''"));
        assert!(d.ends_with("%E6%A3%80%E6%B5%8B%E6%8A%A5%E5%91%8A%207.pdf"));
        assert!(d.is_ascii());
    }
}
