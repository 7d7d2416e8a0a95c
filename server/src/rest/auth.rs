//! Who calls the API: a personal token (`Authorization: Bearer lsk_…`) with its scope, or the
//! browser session of the pages (every right of the person; the cross-site check in front of the
//! router applies to it). And the extractors that turn a malformed request into a problem.

use super::problem::Problem;
use app::backend::session::RequestSession;
use app::backend::AppState;
use app::domain::account::{Actor, TokenScope};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// The caller, if any: public operations take `Option<Caller>`.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: Actor,
    pub scope: TokenScope,
    /// Who the caller is for idempotency keys and limits: `token:<id>` or `user:<id>`.
    pub key: String,
}

impl Caller {
    /// The caller if their token's scope covers `needed` (a session covers everything).
    pub fn needs(&self, needed: TokenScope) -> Result<&Actor, Problem> {
        if self.scope.covers(needed) {
            Ok(&self.actor)
        } else {
            let mut p = Problem::new("forbidden")
                .detail(format!("this token's scope is {}", self.scope.as_str()));
            p.required_scope = Some(needed.as_str().into());
            Err(p)
        }
    }
}

/// What the request says about its caller: nobody, a token (valid or not), or a session.
pub async fn resolve(state: &AppState, parts: &Parts) -> Result<Option<Caller>, Problem> {
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let secret = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or_else(|| {
                Problem::new("unauthorized").detail("use Authorization: Bearer <token>")
            })?;
        let now = state.clock.now().timestamp();
        let found = state
            .db
            .token_caller(secret, now)
            .await
            .map_err(|e| Problem::from_app(e.into(), &state.tz))?;
        return match found {
            Some(t) => Ok(Some(Caller {
                key: format!("token:{}", t.token),
                actor: t.actor,
                scope: t.scope,
            })),
            None => Err(Problem::new("unauthorized").detail("the token is unknown or revoked")),
        };
    }
    Ok(parts
        .extensions
        .get::<RequestSession>()
        .and_then(|s| s.actor.clone())
        .map(|actor| Caller {
            key: format!("user:{}", actor.user.0),
            actor,
            scope: TokenScope::Admin,
        }))
}

/// An operation that needs a caller.
impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        resolve(state, parts)
            .await?
            .ok_or_else(|| Problem::new("unauthorized"))
    }
}

/// A public operation that answers its caller, if there is one, in their terms (a price at
/// their organisation's rate). A token that is not valid is still refused.
impl axum::extract::OptionalFromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Problem> {
        resolve(state, parts).await
    }
}

/// A JSON body, refused as a problem when it is not JSON or not of the documented shape.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        use axum::extract::rejection::JsonRejection;
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Body(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => {
                Err(Problem::new("unsupported-media-type"))
            }
            Err(e) => Err(Problem::bad_request(e.body_text())),
        }
    }
}

/// Query parameters, refused as a problem when they are not of the documented shape.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Params(q.0))
            .map_err(|e| Problem::bad_request(e.body_text()))
    }
}

/// A path id, refused as not found when it is not a number (nothing has such an id).
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| Problem::new("not-found"))?;
        raw.parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(Id)
            .ok_or_else(|| Problem::new("not-found"))
    }
}
