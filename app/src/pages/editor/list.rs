//! `/institution/resources`: the institution's own equipment list.

use super::LedgerPanel;
use crate::api::manage::*;
use crate::components::badges::{body_label, kind_label, StatusBadge};
use crate::components::data::page_resource;
use crate::components::error_view::Loaded;
use crate::components::forms::Done;

use crate::domain::editor::InstitutionResources;
use crate::i18n::*;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// `/institution/resources`: the institution's equipment, every status, with what needs doing.
#[component]
pub fn MyResourcesPage() -> impl IntoView {
    let i18n = use_i18n();
    let q = use_query_map();
    let institution = move || {
        q.get()
            .get("institution")
            .and_then(|v| v.parse::<i64>().ok())
    };
    let data = page_resource(institution, list_institution_resources);
    view! {
        <Title text=t_string!(i18n, editor.my_title).to_string() />
        <h1>{t!(i18n, editor.my_title)}</h1>
        <crate::pages::booking::InstitutionTabs />
        <p class="lead">{t!(i18n, editor.my_intro)}</p>
        <Loaded resource=data view=move |list| view! { <ResourceList list /> } />
    }
}

#[component]
pub(super) fn ResourceList(list: InstitutionResources) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    let new_href = format!(
        "/institution/resources/new?institution={}",
        list.institution.id
    );
    let warnings = list.warnings;
    let institution = list.institution.id;
    let q = use_query_map();
    let imported = move || {
        q.get()
            .get("imported")
            .and_then(|v| crate::domain::ledger::Imported::from_query(&v))
    };
    view! {
        {move || imported().map(|d| view! {
            <Done><p data-testid="imported">{t!(i18n, ledger.imported, created = d.created, updated = d.updated, unchanged = d.unchanged, skipped = d.skipped, scopes = d.scopes)}</p></Done>
        })}
        <p><a class="button button--primary" href=new_href data-testid="add-resource">{t!(i18n, editor.add)}</a></p>
        <LedgerPanel institution=institution.0 />
        {(!warnings.is_empty()).then(|| view! {
            <section class="notice notice--warning" aria-labelledby="h-warnings">
                <h2 id="h-warnings">{t!(i18n, editor.warnings)}</h2>
                <ul>
                    {warnings.into_iter().map(|w| {
                        let date = w.valid_until.format("%Y-%m-%d").to_string();
                        let name = w.name.clone();
                        view! {
                            <li>
                                <a href=format!("/resources/{}/edit", w.resource)>{move || name.pick(english()).to_string()}</a>
                                " · "{move || body_label(i18n, w.body)}" "{w.certificate_number.clone()}" · "
                                {if w.expired {
                                    view! { <strong>{t!(i18n, editor.warning_expired, date = date.clone())}</strong> }.into_any()
                                } else {
                                    view! { <span>{t!(i18n, editor.warning_expiring, date = date.clone())}</span> }.into_any()
                                }}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
        })}
        {if list.resources.is_empty() {
            view! { <p class="muted">{t!(i18n, editor.none)}</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap" tabindex="0"><table class="table" data-testid="my-resources">
                    <thead><tr>
                        <th scope="col">{t!(i18n, editor.name_zh)}</th>
                        <th scope="col">{t!(i18n, editor.category)}</th>
                        <th scope="col">{t!(i18n, catalogue.status)}</th>
                        <th scope="col"><span class="visually-hidden">{t!(i18n, editor.edit)}</span></th>
                    </tr></thead>
                    <tbody>
                        {list.resources.into_iter().map(|r| {
                            let (name, category) = (r.name.clone(), r.category.name.clone());
                            view! {
                                <tr>
                                    <td><a href=format!("/resources/{}", r.id)>{move || name.pick(english()).to_string()}</a></td>
                                    <td>{move || kind_label(i18n, r.kind)}" · "{move || category.pick(english()).to_string()}</td>
                                    <td><StatusBadge status=r.status /></td>
                                    <td><a href=format!("/resources/{}/edit", r.id)>{t!(i18n, editor.edit)}</a></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table></div>
            }.into_any()
        }}
    }
}
