//! Server functions: the boundary. Each parses its input into domain types, asks the backend, and
//! returns wire types; no SQL and no business rules live here.

pub mod account;
pub mod booking;
pub mod catalogue;
pub mod manage;
pub mod report;
pub mod services;

#[cfg(feature = "ssr")]
use crate::error::AppError;

/// Runs a server function's body and sets the HTTP status of the response to the error's status,
/// so the API answers 400/404/409 rather than a blanket 500. A plain HTML form post (a page used
/// before or without the wasm) is left to the server-function layer instead, which redirects back
/// with the error in the URL for the page to show.
///
/// The body runs after one yield to the scheduler: Leptos 0.8's SSR `<Suspense>` can lose the
/// wake-up of a resource whose future completes on its first poll while other resources of the
/// page resolve concurrently (leptos-rs/leptos#4698, #4851), leaving the response hanging. A
/// server function that refuses at once (not signed in, bad input) or answers from the request
/// alone would otherwise do exactly that.
#[cfg(feature = "ssr")]
pub(crate) async fn reply<T>(
    body: impl std::future::Future<Output = Result<T, AppError>>,
) -> Result<T, AppError> {
    tokio::task::yield_now().await;
    let result = body.await;
    if let Err(e) = &result {
        if !plain_form_post() {
            set_status(e.status());
        }
    }
    result
}

/// Whether the request is a browser's own form submission rather than the wasm's call.
#[cfg(feature = "ssr")]
pub(crate) fn plain_form_post() -> bool {
    leptos::prelude::use_context::<http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    })
}

/// After a successful plain form post, where the browser should go (the wasm's call instead gets
/// the value back and the page updates in place).
#[cfg(feature = "ssr")]
pub(crate) fn after_form(path: &str) {
    if plain_form_post() {
        leptos_axum::redirect(path);
    }
}

/// After a successful plain form post, back to the page the form was on (a cancel from the list
/// of bookings stays on the list), without the error of an earlier refusal; `fallback` when the
/// browser sent no address of this site.
#[cfg(feature = "ssr")]
pub(crate) fn after_form_back(fallback: &str) {
    if !plain_form_post() {
        return;
    }
    let back = leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| {
            let referer = parts.headers.get(http::header::REFERER)?.to_str().ok()?;
            let host = parts.headers.get(http::header::HOST)?.to_str().ok()?;
            let rest = referer.split_once("://")?.1.strip_prefix(host)?;
            let path = crate::domain::link::local_path(rest)?;
            let (path, query) = path.split_once('?').unwrap_or((path, ""));
            let query: Vec<&str> = query
                .split('&')
                .filter(|p| !p.is_empty() && !p.starts_with("__"))
                .collect();
            Some(if query.is_empty() {
                path.to_string()
            } else {
                format!("{path}?{}", query.join("&"))
            })
        })
        .unwrap_or_else(|| fallback.to_string());
    leptos_axum::redirect(&back);
}

/// After a successful plain form post that made a secret to be shown once (an API token, a
/// calendar address): the secret goes to the profile page in a cookie that lives a minute, for
/// that page only, and the page shows and clears it (`components::forms::shown_once`). The wasm's
/// call gets the secret in its answer instead.
#[cfg(feature = "ssr")]
pub(crate) fn show_once_after_form(path: &str, kind: &str, secret: &str, secure: bool) {
    if plain_form_post() {
        let secure = if secure { "; Secure" } else { "" };
        let value = serde_urlencoded::to_string([(kind, secret)]).unwrap_or_default();
        crate::backend::session::set_cookie(&format!(
            "{}={value}; Path=/profile; Max-Age=60; HttpOnly; SameSite=Strict{secure}",
            crate::domain::account::SHOWN_ONCE_COOKIE
        ));
        leptos_axum::redirect(path);
    }
}

/// Tells the server's response which HTTP status to carry (no-op in the browser).
pub fn set_status(code: u16) {
    #[cfg(feature = "ssr")]
    use leptos::prelude::use_context;
    #[cfg(feature = "ssr")]
    if let (Some(opts), Ok(status)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(code),
    ) {
        opts.set_status(status);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}
