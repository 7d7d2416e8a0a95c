//! The editor's weekly opening hours.

use super::Text;
use crate::components::forms::Field;

use crate::domain::editor::ResourceForm;
use crate::error::AppError;
use crate::i18n::*;
use leptos::prelude::*;

#[component]
pub(super) fn HoursSection(f: ResourceForm, error: Signal<Option<AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    const NAMES: [&str; 7] = [
        "hours_1", "hours_2", "hours_3", "hours_4", "hours_5", "hours_6", "hours_7",
    ];
    let day_label = move |weekday: u8| match weekday {
        1 => t_string!(i18n, weekday.mon),
        2 => t_string!(i18n, weekday.tue),
        3 => t_string!(i18n, weekday.wed),
        4 => t_string!(i18n, weekday.thu),
        5 => t_string!(i18n, weekday.fri),
        6 => t_string!(i18n, weekday.sat),
        _ => t_string!(i18n, weekday.sun),
    };
    view! {
        <fieldset class="panel">
            <legend>{t!(i18n, editor.hours)}</legend>
            <p class="field__hint">{t!(i18n, editor.hours_hint)}</p>
            <div class="form__grid">
                {(1..=7u8).zip(NAMES).map(|(weekday, name)| view! {
                    <Field name within="form" label=Signal::derive(move || day_label(weekday).to_string()) value=f.day_hours(weekday).to_string() error />
                }).collect_view()}
            </div>
            <Text name="closed_days" label=tr!(i18n, editor.closed_days) value=f.closed_days.clone() hint=tr!(i18n, editor.closed_days_hint) error />
        </fieldset>
    }
}
