use crate::api::set_status;
use crate::i18n::*;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    let i18n = use_i18n();
    set_status(404);
    view! {
        <Title text=t_string!(i18n, error.page_not_found).to_string() />
        <h1>{t!(i18n, error.page_not_found)}</h1>
        <p><a href="/">{t!(i18n, error.go_home)}</a></p>
    }
}
