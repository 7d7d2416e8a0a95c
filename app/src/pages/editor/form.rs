//! The editor's pages and its main form: description, rules and the shared field controls.

use super::{
    audience_label, AccreditationSection, BlackoutSection, HoursSection, PhotoSection, RatesSection,
};
use crate::api::manage::*;
use crate::components::badges::kind_label;
use crate::components::data::page_resource;
use crate::components::error_view::ErrorView;
use crate::components::forms::{action_error, Done, Field, FieldMessage, FormError, Submit};

use crate::components::query::use_route_id;
use crate::domain::catalogue::{Audience, ResourceKind};
use crate::domain::editor::{ResourceEditor, ResourceForm};
use crate::error::AppError;
use crate::i18n::*;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// `/institution/resources/new`: a new resource.
#[component]
pub fn NewResourcePage() -> impl IntoView {
    let q = use_query_map();
    let institution = move || {
        q.get()
            .get("institution")
            .and_then(|v| v.parse::<i64>().ok())
    };
    let data = page_resource(institution, |institution| {
        get_resource_editor(None, institution)
    });
    view! { <EditorPage data /> }
}

/// `/resources/:id/edit`: an existing resource.
#[component]
pub fn EditResourcePage() -> impl IntoView {
    let id = use_route_id();
    let accreditation = ServerAction::<AddAccreditation>::new();
    let remove_accreditation = ServerAction::<RemoveAccreditation>::new();
    let blackout = ServerAction::<AddBlackout>::new();
    let remove_blackout = ServerAction::<RemoveBlackout>::new();
    let remove_photo = ServerAction::<RemovePhoto>::new();
    let data = page_resource(
        move || {
            (
                id(),
                accreditation.version().get(),
                remove_accreditation.version().get(),
                blackout.version().get(),
                remove_blackout.version().get(),
                remove_photo.version().get(),
            )
        },
        |(id, ..)| async move {
            match id {
                Some(id) => get_resource_editor(Some(id), None).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    provide_context(EditActions {
        accreditation,
        remove_accreditation,
        blackout,
        remove_blackout,
        remove_photo,
    });
    view! { <EditorPage data /> }
}

/// The editor's server actions, shared by its sections through the context.
#[derive(Clone, Copy)]
pub(super) struct EditActions {
    pub(super) accreditation: ServerAction<AddAccreditation>,
    pub(super) remove_accreditation: ServerAction<RemoveAccreditation>,
    pub(super) blackout: ServerAction<AddBlackout>,
    pub(super) remove_blackout: ServerAction<RemoveBlackout>,
    pub(super) remove_photo: ServerAction<RemovePhoto>,
}

#[component]
pub(super) fn EditorPage(data: Resource<Result<ResourceEditor, AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    let q = use_query_map();
    let saved = move || q.get().get("saved").is_some();
    view! {
        <Suspense fallback=move || view! { <p class="muted">{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(editor) => {
                        let existing = editor.form.id;
                        view! {
                            <Title text=if existing.is_some() { t_string!(i18n, editor.title_edit) } else { t_string!(i18n, editor.title_new) }.to_string() />
                            <h1>{move || if existing.is_some() { t_string!(i18n, editor.title_edit) } else { t_string!(i18n, editor.title_new) }}</h1>
                            {existing.map(|id| view! { <p><a href=format!("/resources/{id}")>{t!(i18n, editor.view)}</a></p> })}
                            {saved().then(|| view! { <Done>{t!(i18n, editor.saved)}</Done> })}
                            <p class="lead">{t!(i18n, editor.intro)}</p>
                            <EditorForm editor=editor.clone() />
                            {existing.map(|id| view! {
                                <PhotoSection id editor=editor.clone() />
                                <AccreditationSection id editor=editor.clone() />
                                <BlackoutSection id editor=editor.clone() />
                            })}
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A labelled `<select>` in the `form` struct.
#[component]
pub(super) fn Choice(
    name: &'static str,
    label: Signal<String>,
    options: Vec<(String, Signal<String>)>,
    selected: String,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let selected =
        crate::components::forms::kept_value(&format!("form[{name}]")).unwrap_or(selected);
    view! {
        <div class="field">
            <label for=id.clone()>{move || label.get()}</label>
            <select id=id name=format!("form[{name}]")>
                {options.into_iter().map(|(value, text)| {
                    let chosen = value == selected;
                    view! { <option value=value selected=chosen>{move || text.get()}</option> }
                }).collect_view()}
            </select>
            <FieldMessage name error />
        </div>
    }
}

/// A labelled `<textarea>` in the `form` struct.
#[component]
pub(super) fn Text(
    name: &'static str,
    label: Signal<String>,
    value: String,
    #[prop(optional, into)] hint: Option<Signal<String>>,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let value = crate::components::forms::kept_value(&format!("form[{name}]")).unwrap_or(value);
    view! {
        <div class="field field--wide">
            <label for=id.clone()>{move || label.get()}</label>
            <textarea id=id name=format!("form[{name}]") rows="4">{crate::components::forms::rcdata(&value)}</textarea>
            {hint.map(|h| view! { <p class="field__hint">{move || h.get()}</p> })}
            <FieldMessage name error />
        </div>
    }
}

#[component]
pub(super) fn EditorForm(editor: ResourceEditor) -> impl IntoView {
    let i18n = use_i18n();
    let save = ServerAction::<SaveResource>::new();
    let error = action_error(save);
    let f = editor.form.clone();
    view! {
        <ActionForm action=save attr:class="form form--editor" attr:novalidate="" attr:data-testid="resource-form">
            <FormError error fields=FIELDS />
            {f.id.map(|id| view! { <input type="hidden" name="form[id]" value=id /> })}
            <BasicsSection editor=editor.clone() error />
            <RulesSection f=f.clone() error />
            <HoursSection f=f.clone() error />
            <RatesSection f error />
            <div class="form__actions"><Submit label=tr!(i18n, editor.save) pending=save.pending() /></div>
        </ActionForm>
    }
}

/// Every field the editor shows its own message beside.
pub(super) const FIELDS: &[&str] = &[
    "kind",
    "category",
    "name_zh",
    "name_en",
    "model",
    "manufacturer",
    "serial_number",
    "purchase_year",
    "original_value",
    "building",
    "room",
    "description_zh",
    "description_en",
    "specifications",
    "contact_name",
    "contact_phone",
    "slot_minutes",
    "min_duration_minutes",
    "max_duration_minutes",
    "min_notice_hours",
    "max_notice_days",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "cancel_cutoff_hours",
    "person_active_limit",
    "person_week_hours",
    "organisation_active_limit",
    "organisation_week_hours",
    "audience",
    "hours_1",
    "hours_2",
    "hours_3",
    "hours_4",
    "hours_5",
    "hours_6",
    "hours_7",
    "closed_days",
    "rate_own",
    "rate_zone",
    "rate_external",
    "rate_sme",
    "minimum_own",
    "minimum_zone",
    "minimum_external",
    "minimum_sme",
];

#[component]
pub(super) fn BasicsSection(
    editor: ResourceEditor,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    let f = editor.form;
    let kinds = ResourceKind::ALL
        .iter()
        .map(|k| {
            let k = *k;
            (
                k.as_str().to_string(),
                Signal::derive(move || kind_label(i18n, k).to_string()),
            )
        })
        .collect();
    let categories = editor
        .categories
        .into_iter()
        .map(|c| {
            let name = c.name.clone();
            (
                c.id.0.to_string(),
                Signal::derive(move || name.pick(english()).to_string()),
            )
        })
        .collect();
    let institutions: Vec<(String, Signal<String>)> = editor
        .institutions
        .into_iter()
        .map(|o| {
            let name = o.name.clone();
            (
                o.id.0.to_string(),
                Signal::derive(move || name.pick(english()).to_string()),
            )
        })
        .collect();
    view! {
        <fieldset class="panel">
            <legend>{t!(i18n, editor.basics)}</legend>
            <div class="form__grid">
                {if f.id.is_none() && institutions.len() > 1 {
                    view! { <Choice name="institution" label=tr!(i18n, editor.institution) options=institutions selected=f.institution.to_string() error /> }.into_any()
                } else {
                    view! { <input type="hidden" name="form[institution]" value=f.institution /> }.into_any()
                }}
                <Choice name="kind" label=tr!(i18n, editor.kind) options=kinds selected=f.kind.clone() error />
                <Choice name="category" label=tr!(i18n, editor.category) options=categories selected=f.category.to_string() error />
                <Field name="name_zh" within="form" label=tr!(i18n, editor.name_zh) value=f.name_zh.clone() required=true error />
                <Field name="name_en" within="form" label=tr!(i18n, editor.name_en) value=f.name_en.clone() error />
                <Field name="model" within="form" label=tr!(i18n, editor.model) value=f.model.clone() error />
                <Field name="manufacturer" within="form" label=tr!(i18n, editor.manufacturer) value=f.manufacturer.clone() error />
                <Field name="serial_number" within="form" label=tr!(i18n, editor.serial_number) value=f.serial_number.clone() error />
                <Field name="purchase_year" within="form" label=tr!(i18n, editor.purchase_year) value=f.purchase_year.clone() error />
                <Field name="original_value" within="form" label=tr!(i18n, editor.original_value) value=f.original_value.clone() error />
                <Field name="building" within="form" label=tr!(i18n, editor.building) value=f.building.clone() error />
                <Field name="room" within="form" label=tr!(i18n, editor.room) value=f.room.clone() error />
                <Field name="contact_name" within="form" label=tr!(i18n, editor.contact_name) value=f.contact_name.clone() error />
                <Field name="contact_phone" within="form" kind="tel" label=tr!(i18n, editor.contact_phone) value=f.contact_phone.clone() error />
            </div>
            <Text name="description_zh" label=tr!(i18n, editor.description_zh) value=f.description_zh.clone() error />
            <Text name="description_en" label=tr!(i18n, editor.description_en) value=f.description_en.clone() error />
            <Text name="specifications" label=tr!(i18n, editor.specifications) value=f.specifications.clone() hint=tr!(i18n, editor.specifications_hint) error />
        </fieldset>
    }
}

#[component]
pub(super) fn RulesSection(f: ResourceForm, error: Signal<Option<AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    let audiences = Audience::ALL
        .iter()
        .map(|a| {
            let a = *a;
            (
                a.as_str().to_string(),
                Signal::derive(move || audience_label(i18n, a).to_string()),
            )
        })
        .collect();
    let approval = f.approval.is_some();
    view! {
        <fieldset class="panel">
            <legend>{t!(i18n, editor.rules)}</legend>
            <div class="form__grid">
                <Field name="slot_minutes" within="form" kind="number" label=tr!(i18n, editor.slot_minutes) value=f.slot_minutes.clone() error />
                <Field name="min_duration_minutes" within="form" kind="number" label=tr!(i18n, editor.min_duration_minutes) value=f.min_duration_minutes.clone() error />
                <Field name="max_duration_minutes" within="form" kind="number" label=tr!(i18n, editor.max_duration_minutes) value=f.max_duration_minutes.clone() error />
                <Field name="min_notice_hours" within="form" kind="number" label=tr!(i18n, editor.min_notice_hours) value=f.min_notice_hours.clone() error />
                <Field name="max_notice_days" within="form" kind="number" label=tr!(i18n, editor.max_notice_days) value=f.max_notice_days.clone() error />
                <Field name="buffer_before_minutes" within="form" kind="number" label=tr!(i18n, editor.buffer_before_minutes) value=f.buffer_before_minutes.clone() hint=tr!(i18n, editor.buffer_hint) error />
                <Field name="buffer_after_minutes" within="form" kind="number" label=tr!(i18n, editor.buffer_after_minutes) value=f.buffer_after_minutes.clone() error />
                <Field name="cancel_cutoff_hours" within="form" kind="number" label=tr!(i18n, editor.cancel_cutoff_hours) value=f.cancel_cutoff_hours.clone() error />
                <Field name="person_active_limit" within="form" kind="number" label=tr!(i18n, editor.person_active_limit) value=f.person_active_limit.clone() hint=tr!(i18n, editor.quota_hint) error />
                <Field name="person_week_hours" within="form" kind="number" label=tr!(i18n, editor.person_week_hours) value=f.person_week_hours.clone() error />
                <Field name="organisation_active_limit" within="form" kind="number" label=tr!(i18n, editor.organisation_active_limit) value=f.organisation_active_limit.clone() error />
                <Field name="organisation_week_hours" within="form" kind="number" label=tr!(i18n, editor.organisation_week_hours) value=f.organisation_week_hours.clone() error />
                <Choice name="audience" label=tr!(i18n, editor.audience) options=audiences selected=f.audience.clone() error />
                <div class="field field--check">
                    <input id="field-approval" type="checkbox" name="form[approval]" checked=crate::components::forms::kept_checked("form[approval]", approval) />
                    <label for="field-approval">{t!(i18n, editor.approval)}</label>
                </div>
            </div>
        </fieldset>
    }
}
