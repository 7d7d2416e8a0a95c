use crate::error::AppError;
use crate::i18n::*;
use leptos::prelude::*;

/// Tells the server's response which HTTP status to carry (no-op in the browser).
pub fn set_status(code: u16) {
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

/// An error as a person should read it: what went wrong and what to do, never internals.
#[component]
pub fn ErrorView(error: AppError) -> impl IntoView {
    let i18n = use_i18n();
    set_status(error.status());
    let message = move || match &error {
        AppError::NotFound => t_string!(i18n, error.not_found).to_string(),
        AppError::Forbidden => t_string!(i18n, error.forbidden).to_string(),
        AppError::NotSignedIn => t_string!(i18n, error.not_signed_in).to_string(),
        AppError::TooManyAttempts { retry_after_secs } => t_string!(
            i18n,
            error.too_many_attempts,
            minutes = (retry_after_secs + 59) / 60
        )
        .to_string(),
        AppError::Conflict => t_string!(i18n, error.conflict).to_string(),
        AppError::Validation { .. } => t_string!(i18n, error.invalid).to_string(),
        AppError::Transport => t_string!(i18n, error.transport).to_string(),
        AppError::Internal { trace_id } => {
            t_string!(i18n, error.internal, trace = trace_id.clone()).to_string()
        }
    };
    view! {
        <div class="notice notice--error" role="alert">
            <h2 class="notice__title">{t!(i18n, error.title)}</h2>
            <p>{message}</p>
            <p><a href="/">{t!(i18n, error.go_home)}</a></p>
        </div>
    }
}
