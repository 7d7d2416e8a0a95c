//! Server functions: the boundary. Each parses its input into domain types, asks the backend, and
//! returns wire types; no SQL and no business rules live here.

pub mod account;
pub mod catalogue;
pub mod manage;

#[cfg(feature = "ssr")]
use crate::error::AppError;

/// Passes a result through, setting the HTTP status of the response to the error's status, so
/// the API answers 400/404/409 rather than a blanket 500.
#[cfg(feature = "ssr")]
pub(crate) fn reply<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(e) = &result {
        crate::components::error_view::set_status(e.status());
    }
    result
}
