use crate::error::AppError;
use crate::i18n::*;
use leptos::prelude::*;

/// An error as a person should read it: what went wrong and what to do, never internals.
#[component]
pub fn ErrorView(error: AppError) -> impl IntoView {
    let i18n = use_i18n();
    crate::api::set_status(error.status());
    let signed_out = matches!(error, AppError::NotSignedIn);
    let message = move || crate::components::forms::error_text(i18n, &error);
    let sign_in = signed_out.then(|| {
        let location = leptos_router::hooks::use_location();
        let href = move || {
            let here = format!("{}{}", location.pathname.get(), {
                let s = location.search.get();
                if s.is_empty() {
                    s
                } else {
                    format!("?{s}")
                }
            });
            format!(
                "/sign-in?next={}",
                crate::components::layout::urlencode(&here)
            )
        };
        view! { <p><a class="button button--primary" href=href>{t!(i18n, account.sign_in)}</a></p> }
    });
    view! {
        <div class="notice notice--error" role="alert">
            <h2 class="notice__title">{t!(i18n, error.title)}</h2>
            <p>{message}</p>
            {sign_in}
            <p><a href="/">{t!(i18n, error.go_home)}</a></p>
        </div>
    }
}

/// A page's data once loaded, shown by `view`; the loading line meanwhile, and the error as a
/// person should read it if it fails: the Suspense → error scaffold every page shares.
#[component]
pub fn Loaded<T, V, F>(resource: Resource<Result<T, AppError>>, view: F) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    V: IntoView + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
{
    let i18n = use_i18n();
    view! {
        <Suspense fallback=move || view! { <p class="muted">{t!(i18n, loading)}</p> }>
            {move || {
                let view = view.clone();
                Suspend::new(async move {
                    match resource.await {
                        Ok(value) => view(value).into_any(),
                        Err(error) => view! { <ErrorView error /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}
