//! Server functions: the boundary. Each parses its input into domain types, asks the backend, and
//! returns wire types; no SQL and no business rules live here.

pub mod account;
pub mod catalogue;
pub mod manage;

#[cfg(feature = "ssr")]
use crate::error::AppError;

/// Passes a result through, setting the HTTP status of the response to the error's status, so
/// the API answers 400/404/409 rather than a blanket 500. A plain HTML form post (a page used
/// before or without the wasm) is left to the server-function layer instead, which redirects back
/// with the error in the URL for the page to show.
#[cfg(feature = "ssr")]
pub(crate) fn reply<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(e) = &result {
        if !plain_form_post() {
            crate::components::error_view::set_status(e.status());
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
