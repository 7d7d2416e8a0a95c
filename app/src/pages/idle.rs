//! `/idle`: equipment that stood idle recently, least used first, for institutions to advertise
//! and bookers to find. A plain GET form, like every search.

use crate::api::catalogue::{idle_equipment, IdleQuery};
use crate::components::badges::{kind_label, AccreditationBadges};
use crate::components::data::page_resource;
use crate::components::error_view::Loaded;
use crate::components::options::ResourceFilterFields;
use crate::components::query::use_form_query;
use crate::domain::utilisation::{IdlePage as Page, IdleRow, BELOW_CHOICES, DAY_CHOICES};
use crate::i18n::*;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn IdlePage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_form_query::<IdleQuery>();
    let data = page_resource(
        move || query.get(),
        |q| async move { idle_equipment(q?).await },
    );
    view! {
        <Title text=t_string!(i18n, idle.title).to_string() />
        <h1>{t!(i18n, idle.title)}</h1>
        <p class="lead">{t!(i18n, idle.intro)}</p>
        <Loaded resource=data view=move |page| view! { <Idle page selected=query.get().unwrap_or_default() /> } />
    }
}

#[component]
fn Idle(page: Page, selected: IdleQuery) -> impl IntoView {
    let i18n = use_i18n();
    let days = selected.days.unwrap_or(30);
    let below = (page.below * 100.0).round() as i64;
    let day_options = DAY_CHOICES
        .iter()
        .map(|d| {
            let d = *d;
            view! { <option value=d selected=d == days>{move || t_string!(i18n, idle.days, days = d).to_string()}</option> }
        })
        .collect_view();
    let below_options = BELOW_CHOICES
        .iter()
        .map(|b| {
            let b = *b;
            view! { <option value=b selected=b == below>{format!("{b}%")}</option> }
        })
        .collect_view();
    let (total, from, to) = (
        page.total,
        page.from.format("%Y-%m-%d").to_string(),
        page.to.format("%Y-%m-%d").to_string(),
    );
    let form = view! {
        <form class="filters" method="get" action="/idle" role="search">
            <fieldset>
                <legend>{t!(i18n, catalogue.filters)}</legend>
                <div class="field">
                    <label for="f-days">{t!(i18n, idle.period)}</label>
                    <select id="f-days" name="days">{day_options}</select>
                </div>
                <div class="field">
                    <label for="f-below">{t!(i18n, idle.below)}</label>
                    <select id="f-below" name="below">{below_options}</select>
                </div>
                <ResourceFilterFields categories=page.categories.clone() institutions=page.institutions.clone() kind=selected.kind.clone() category=selected.category institution=selected.institution />
                <div class="filters__actions">
                    <button type="submit" class="button button--primary">{t!(i18n, catalogue.apply)}</button>
                </div>
            </fieldset>
        </form>
    }
    .into_any();
    view! {
        {form}
        <p class="result-count" role="status" data-testid="idle-count">
            {t!(i18n, idle.count, count = total, from = from.clone(), to = to.clone())}
        </p>
        <div class="table-wrap" tabindex="0"><table class="table" data-testid="idle">
            <thead><tr>
                <th scope="col">{t!(i18n, idle.resource)}</th>
                <th scope="col">{t!(i18n, catalogue.institution)}</th>
                <th scope="col" class="num">{t!(i18n, idle.open_hours)}</th>
                <th scope="col" class="num">{t!(i18n, idle.used_hours)}</th>
                <th scope="col">{t!(i18n, idle.utilisation)}</th>
            </tr></thead>
            <tbody>
                {page.rows.into_iter().map(|row| view! { <Row row /> }).collect_view()}
            </tbody>
        </table></div>
    }
}

#[component]
fn Row(row: IdleRow) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    let r = row.resource;
    let (name, institution, category) = (
        r.name.clone(),
        r.institution.name.clone(),
        r.category.name.clone(),
    );
    let share = row.utilisation.unwrap_or(0.0);
    let percent = format!("{:.1}%", share * 100.0);
    let width = format!("width: {:.1}%", (share * 100.0).min(100.0));
    view! {
        <tr>
            <td>
                <a href=format!("/resources/{}", r.id)>{move || name.pick(english()).to_string()}</a>
                <div class="muted">{move || kind_label(i18n, r.kind)}" · "{move || category.pick(english()).to_string()}</div>
                <AccreditationBadges items=r.accreditations.clone() />
            </td>
            <td>{move || institution.pick(english()).to_string()}</td>
            <td class="num">{format!("{:.0}", row.available_hours)}</td>
            <td class="num">{format!("{:.1}", row.used_hours)}</td>
            <td>
                <span class="meter" role="img" aria-label=percent.clone()><span class="meter__fill" style=width></span></span>
                " "{percent.clone()}
            </td>
        </tr>
    }
}
