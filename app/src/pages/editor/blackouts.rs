//! The editor's blackouts: maintenance, calibration and internal use.

use super::{blackout_label, EditActions};
use crate::components::format::moment;
use crate::components::forms::{action_error, Field, FormError, Submit};

use crate::domain::catalogue::BlackoutKind;
use crate::domain::editor::ResourceEditor;
use crate::error::AppError;
use crate::i18n::*;
use chrono::{DateTime, FixedOffset};
use leptos::form::ActionForm;
use leptos::prelude::*;

#[component]
pub(super) fn BlackoutSection(id: i64, editor: ResourceEditor) -> impl IntoView {
    let i18n = use_i18n();
    let actions = expect_context::<EditActions>();
    let add = actions.blackout;
    let remove = actions.remove_blackout;
    let error = action_error(add);
    let off = FixedOffset::east_opt(editor.utc_offset_seconds)
        .unwrap_or(FixedOffset::east_opt(0).expect("zero offset"));
    let at = |t: i64| DateTime::from_timestamp(t, 0).unwrap_or_default();
    let hits = move || match error.get() {
        Some(AppError::BlackoutHits { hits }) => hits,
        _ => Vec::new(),
    };
    let english = move || i18n.get_locale() == Locale::en;
    let kinds = BlackoutKind::ALL
        .iter()
        .map(|k| {
            let k = *k;
            view! { <option value=k.as_str()>{move || blackout_label(i18n, k)}</option> }
        })
        .collect_view();
    view! {
        <section class="panel" aria-labelledby="h-blackouts" data-testid="blackouts">
            <h2 id="h-blackouts">{t!(i18n, editor.blackouts)}</h2>
            {if editor.blackouts.is_empty() {
                view! { <p class="muted">{t!(i18n, editor.no_blackouts)}</p> }.into_any()
            } else {
                view! {
                    <ul class="entries">
                        {editor.blackouts.into_iter().map(|b| view! {
                            <li>
                                <strong>{move || blackout_label(i18n, b.kind)}</strong>" "
                                {move || moment(i18n, at(b.starts_at), off)}" – "{move || moment(i18n, at(b.ends_at), off)}
                                {(!b.note.is_empty()).then(|| view! { " · "{b.note.clone()} })}
                                <ActionForm action=remove attr:class="inline-form">
                                    <input type="hidden" name="id" value=b.id />
                                    <button type="submit" class="button button--quiet">{t!(i18n, editor.remove)}</button>
                                </ActionForm>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <h3>{t!(i18n, editor.add_blackout)}</h3>
            <div class="notice notice--warning" role="alert" hidden=move || hits().is_empty() data-testid="blackout-hits">
                <h4>{t!(i18n, editor.hits_title)}</h4>
                <p>{t!(i18n, editor.hits_intro)}</p>
                <ul>
                    {move || hits().into_iter().map(|h| {
                        let org = h.organisation.clone();
                        view! {
                            <li>
                                <a href=format!("/bookings/{}", h.booking)>"#"{h.booking}</a>" · "
                                {moment(i18n, at(h.starts_at), off)}" – "{moment(i18n, at(h.ends_at), off)}" · "
                                {h.booker.clone()}" ("{org.pick(english()).to_string()}")"
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </div>
            <ActionForm action=add attr:class="form" attr:novalidate="">
                <FormError error fields=&["kind", "starts", "ends", "reason"] />
                <input type="hidden" name="form[resource]" value=id />
                <div class="form__grid">
                    <div class="field">
                        <label for="field-blackout-kind">{t!(i18n, editor.blackout_kind)}</label>
                        <select id="field-blackout-kind" name="form[kind]">{kinds}</select>
                    </div>
                    <Field name="starts" within="form" kind="datetime-local" label=tr!(i18n, editor.starts) error />
                    <Field name="ends" within="form" kind="datetime-local" label=tr!(i18n, editor.ends) error />
                    <Field name="note" within="form" label=tr!(i18n, editor.note) error />
                </div>
                <div class="field field--check">
                    <input id="field-cancel-hits" type="checkbox" name="form[cancel_hits]" />
                    <label for="field-cancel-hits">{t!(i18n, editor.cancel_hits)}</label>
                </div>
                <Field name="reason" within="form" label=tr!(i18n, editor.reason) error />
                <div class="form__actions"><Submit label=tr!(i18n, editor.add_blackout) pending=add.pending() /></div>
            </ActionForm>
        </section>
    }
}
