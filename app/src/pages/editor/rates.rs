//! The editor's rates per customer category.

use crate::components::forms::Field;

use crate::domain::catalogue::CustomerCategory;
use crate::domain::editor::ResourceForm;
use crate::error::AppError;
use crate::i18n::*;
use leptos::prelude::*;

#[component]
pub(super) fn RatesSection(f: ResourceForm, error: Signal<Option<AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <fieldset class="panel">
            <legend>{t!(i18n, editor.rates)}</legend>
            <p class="field__hint">{t!(i18n, editor.rate_hint)}</p>
            <div class="form__grid">
                {CustomerCategory::ALL.iter().map(|&category| {
                    let fields = f.rate_fields(category);
                    let (rate, minimum) = (fields.rate_name, fields.minimum_name);
                    let (rate_value, minimum_value) = (fields.rate.to_string(), fields.minimum.to_string());
                    let label = move || crate::components::format::category_label(i18n, category);
                    view! {
                        <Field name=rate within="form" label=Signal::derive(move || format!("{} · {}", label(), t_string!(i18n, editor.per_hour))) value=rate_value error />
                        <Field name=minimum within="form" label=Signal::derive(move || format!("{} · {}", label(), t_string!(i18n, editor.minimum))) value=minimum_value error />
                    }
                }).collect_view()}
            </div>
        </fieldset>
    }
}
