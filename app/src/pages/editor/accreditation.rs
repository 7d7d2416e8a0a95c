//! The editor's accreditations (CMA, CNAS): scope, validity and certificates.

use super::EditActions;
use crate::components::badges::{body_label, standing_label};
use crate::components::forms::{action_error, error_text, Field, FieldMessage, FormError, Submit};

use crate::domain::catalogue::AccreditationBody;
use crate::domain::editor::ResourceEditor;
use crate::i18n::*;
use leptos::form::ActionForm;
use leptos::prelude::*;

#[component]
pub(super) fn AccreditationSection(id: i64, editor: ResourceEditor) -> impl IntoView {
    let i18n = use_i18n();
    let actions = expect_context::<EditActions>();
    let add = actions.accreditation;
    let remove = actions.remove_accreditation;
    let error = action_error(add);
    let remove_error = action_error(remove);
    let bodies = AccreditationBody::ALL
        .iter()
        .map(|b| {
            let b = *b;
            view! { <option value=b.as_str()>{move || body_label(i18n, b)}</option> }
        })
        .collect_view();
    view! {
        <section class="panel" aria-labelledby="h-accreditation" data-testid="accreditations">
            <h2 id="h-accreditation">{t!(i18n, editor.accreditations)}</h2>
            <div class="notice notice--error" role="alert" hidden=move || remove_error.get().is_none()>
                <p>{move || remove_error.get().map(|e| error_text(i18n, &e))}</p>
            </div>
            {if editor.accreditations.is_empty() {
                view! { <p class="muted">{t!(i18n, editor.no_accreditations)}</p> }.into_any()
            } else {
                view! {
                    <ul class="entries">
                        {editor.accreditations.into_iter().map(|a| view! {
                            <li>
                                <strong>{move || body_label(i18n, a.view.body)}</strong>" "{a.view.certificate_number.clone()}
                                " · "{a.view.standards.join(", ")}
                                " · "{a.view.valid_from.format("%Y-%m-%d").to_string()}" – "{a.view.valid_until.format("%Y-%m-%d").to_string()}
                                " ("{move || standing_label(i18n, a.view.standing)}")"
                                <ActionForm action=remove attr:class="inline-form">
                                    <input type="hidden" name="id" value=a.id />
                                    <button type="submit" class="button button--quiet">{t!(i18n, editor.remove)}</button>
                                </ActionForm>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <h3>{t!(i18n, editor.add_accreditation)}</h3>
            <ActionForm action=add attr:class="form" attr:novalidate="">
                <FormError error fields=&["body", "certificate_number", "standards", "valid_from", "valid_until"] />
                <input type="hidden" name="form[resource]" value=id />
                <div class="form__grid">
                    <div class="field">
                        <label for="field-body">{t!(i18n, editor.body)}</label>
                        <select id="field-body" name="form[body]">{bodies}</select>
                    </div>
                    <Field name="certificate_number" within="form" label=tr!(i18n, editor.certificate_number) error />
                    <Field name="valid_from" within="form" kind="date" label=tr!(i18n, editor.valid_from) error />
                    <Field name="valid_until" within="form" kind="date" label=tr!(i18n, editor.valid_until) error />
                </div>
                <div class="field field--wide">
                    <label for="field-standards">{t!(i18n, editor.standards)}</label>
                    <textarea id="field-standards" name="form[standards]" rows="3"></textarea>
                    <p class="field__hint">{t!(i18n, editor.standards_hint)}</p>
                    <FieldMessage name="standards" error />
                </div>
                <div class="form__actions"><Submit label=tr!(i18n, editor.add_accreditation) pending=add.pending() /></div>
            </ActionForm>
        </section>
    }
}
