//! `Idempotency-Key` on POST: the first request with a key runs and its answer is kept 24 hours
//! (per person); a retry gets the same answer (`Idempotent-Replayed: true`), a request racing it
//! waits for it, and a different request under the same key is refused (422). Claiming the key
//! is one INSERT that the database lets only one request win.

use super::auth;
use super::problem::Problem;
use app::backend::retention::IDEMPOTENCY_SECS;
use app::backend::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::time::Duration;

pub const HEADER: &str = "idempotency-key";
/// How long a request waits for a racing one with the same key before answering 409.
const WAIT_FOR_FIRST: Duration = Duration::from_secs(20);

pub async fn replay(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(key) = req
        .headers()
        .get(HEADER)
        .map(|v| v.to_str().map(str::to_string))
    else {
        return next.run(req).await;
    };
    let key = match key {
        Ok(k) if (1..=200).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()) => k,
        _ => {
            return Problem::bad_request("Idempotency-Key: 1 to 200 visible ASCII characters")
                .into_response()
        }
    };
    let (parts, body) = req.into_parts();
    let caller = match auth::resolve(&state, &parts).await {
        Ok(Some(caller)) => format!("user:{}", caller.actor.user.0),
        // Refused by the operation itself (401); nothing to remember.
        Ok(None) => {
            return next
                .run(axum::extract::Request::from_parts(parts, body))
                .await
        }
        Err(problem) => return problem.into_response(),
    };
    let Ok(bytes) = axum::body::to_bytes(body, super::MAX_BODY_BYTES).await else {
        let mut p = Problem::bad_request("the body is too large");
        p.status = 413;
        return p.into_response();
    };
    let mut hasher = Sha256::new();
    hasher.update(parts.method.as_str());
    hasher.update([0]);
    hasher.update(parts.uri.to_string());
    hasher.update([0]);
    hasher.update(&bytes);
    let request_hash: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let now = state.clock.now().timestamp();
    let db_problem = |e: sqlx::Error| Problem::from_app(e.into(), &state.tz).into_response();

    // A key past its 24 hours is as good as new.
    if let Err(e) = sqlx::query(
        "DELETE FROM idempotency_keys WHERE caller = $1 AND key = $2 AND created_at <= $3",
    )
    .bind(&caller)
    .bind(&key)
    .bind(now - IDEMPOTENCY_SECS)
    .execute(state.db.pool())
    .await
    {
        return db_problem(e);
    }
    let claimed = match sqlx::query(
        "INSERT INTO idempotency_keys (caller, key, request_hash, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (caller, key) DO NOTHING",
    )
    .bind(&caller)
    .bind(&key)
    .bind(&request_hash)
    .bind(now)
    .execute(state.db.pool())
    .await
    {
        Ok(r) => r.rows_affected() == 1,
        Err(e) => return db_problem(e),
    };

    if claimed {
        let res = next
            .run(axum::extract::Request::from_parts(
                parts,
                axum::body::Body::from(bytes),
            ))
            .await;
        let status = res.status();
        let (res_parts, res_body) = res.into_parts();
        let Ok(answer) = axum::body::to_bytes(res_body, 64 * 1024 * 1024).await else {
            return Problem::new("internal").into_response();
        };
        let kept = if status.is_server_error() {
            // Not an answer to keep: the retry should run again.
            sqlx::query("DELETE FROM idempotency_keys WHERE caller = $1 AND key = $2")
                .bind(&caller)
                .bind(&key)
                .execute(state.db.pool())
                .await
        } else {
            sqlx::query(
                "UPDATE idempotency_keys SET status = $1, body = $2 WHERE caller = $3 AND key = $4",
            )
            .bind(i64::from(status.as_u16()))
            .bind(String::from_utf8_lossy(&answer).into_owned())
            .bind(&caller)
            .bind(&key)
            .execute(state.db.pool())
            .await
        };
        if let Err(e) = kept {
            tracing::error!(error = %e, "keeping an idempotent answer");
        }
        return Response::from_parts(res_parts, axum::body::Body::from(answer));
    }

    // Someone used the key first: the same request gets its answer, once there is one.
    let deadline = tokio::time::Instant::now() + WAIT_FOR_FIRST;
    loop {
        let row: Option<(String, Option<i64>, Option<String>)> = match sqlx::query_as(
            "SELECT request_hash, status, body FROM idempotency_keys WHERE caller = $1 AND key = $2",
        )
        .bind(&caller)
        .bind(&key)
        .fetch_optional(state.db.pool())
        .await
        {
            Ok(row) => row,
            Err(e) => return db_problem(e),
        };
        match row {
            Some((hash, _, _)) if hash != request_hash => {
                return Problem::new("idempotency-key-reused").into_response()
            }
            Some((_, Some(status), body)) => {
                let status = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK);
                let kind = if status.is_success() {
                    "application/json"
                } else {
                    super::problem::PROBLEM_JSON
                };
                let mut res = (status, body.unwrap_or_default()).into_response();
                res.headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
                res.headers_mut().insert(
                    header::HeaderName::from_static("idempotent-replayed"),
                    HeaderValue::from_static("true"),
                );
                return res;
            }
            // The first request failed inside and let the key go: this one may run. Claiming
            // again keeps the race to one winner.
            None => {
                return Box::pin(replay(
                    State(state.clone()),
                    axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes)),
                    next,
                ))
                .await
            }
            Some((_, None, _)) if tokio::time::Instant::now() >= deadline => {
                return Problem::new("idempotency-key-in-use").into_response()
            }
            Some((_, None, _)) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}
