//! Managing a resource from its page, for the owning institution's admins.

use crate::api::manage::SetResourceStatus;
use crate::components::badges::StatusBadge;
use crate::components::forms::{action_error, Field, FormError, Submit};
use crate::domain::account::Actor;
use crate::domain::catalogue::{ResourceStatus, ResourceSummary};
use crate::domain::policy::{can, Action, Target};
use crate::i18n::*;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// The status form: shown only to those the policy lets manage the resource (the server checks
/// again when it is sent).
#[component]
pub fn ManagePanel(
    summary: ResourceSummary,
    actor: Option<Actor>,
    action: ServerAction<SetResourceStatus>,
) -> impl IntoView {
    let i18n = use_i18n();
    let allowed = actor.as_ref().is_some_and(|a| {
        can(
            a,
            Action::ManageResource,
            Target::Resource {
                institution: summary.institution.id,
            },
        )
    });
    if !allowed {
        return ().into_any();
    }
    let error = action_error(action);
    let label = Signal::derive(move || t_string!(i18n, manage.reason).to_string());
    let save = Signal::derive(move || t_string!(i18n, manage.save).to_string());
    let current = summary.status;
    view! {
        <section class="panel panel--wide" aria-labelledby="h-manage" data-testid="manage">
            <h2 id="h-manage">{t!(i18n, manage.title)}</h2>
            <p>{t!(i18n, manage.current)}" "<StatusBadge status=current /></p>
            <ActionForm action attr:class="form form--inline" attr:novalidate="">
                <FormError error fields=&["reason"] />
                <input type="hidden" name="resource" value=summary.id.0 />
                <div class="field">
                    <label for="manage-status">{t!(i18n, manage.status)}</label>
                    <select id="manage-status" name="status">
                        {ResourceStatus::ALL.iter().map(|s| {
                            let s = *s;
                            view! { <option value=s.as_str() selected=s == current>{move || crate::components::badges::status_label(i18n, s)}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <Field name="reason" label error />
                <div class="form__actions"><Submit label=save pending=action.pending() /></div>
            </ActionForm>
        </section>
    }
    .into_any()
}
