use crate::api::catalogue::list_resources;
use crate::components::badges::{kind_label, AccreditationBadges, StatusBadge};
use crate::components::error_view::ErrorView;
use crate::components::options::ResourceFilterFields;
use crate::domain::catalogue::{CataloguePage as Page, ResourceSummary};
use crate::i18n::*;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The catalogue: every shared resource of the zone, with simple filters. The filter form is a
/// plain GET form, so it works the same with and without wasm, and every view has a URL.
#[component]
pub fn CataloguePage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let params = move || {
        let q = query.get();
        (
            q.get("kind"),
            q.get("category").and_then(|c| c.parse::<i64>().ok()),
            q.get("institution").and_then(|c| c.parse::<i64>().ok()),
        )
    };
    let data = Resource::new(params, |(kind, category, institution)| {
        list_resources(kind, category, institution)
    });

    view! {
        <Title text=move || t_string!(i18n, catalogue.title).to_string() />
        <h1>{t!(i18n, catalogue.title)}</h1>
        <p class="lead">{t!(i18n, catalogue.intro)}</p>
        <Suspense fallback=move || view! { <p class="muted">{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => view! { <Catalogue page selected=params() /> }.into_any(),
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Catalogue(page: Page, selected: (Option<String>, Option<i64>, Option<i64>)) -> impl IntoView {
    let i18n = use_i18n();
    let (kind, category, institution) = selected;
    let filtered = kind.is_some() || category.is_some() || institution.is_some();
    let count = page.resources.len();

    view! {
        <form class="filters" method="get" action="/" role="search">
            <fieldset>
                <legend>{t!(i18n, catalogue.filters)}</legend>
                <ResourceFilterFields categories=page.categories.clone() institutions=page.institutions.clone() kind=kind.clone() category institution />
                <div class="filters__actions">
                    <button type="submit" class="button button--primary">{t!(i18n, catalogue.apply)}</button>
                    {filtered.then(|| view! { <a class="button button--quiet" href="/">{t!(i18n, catalogue.clear)}</a> })}
                </div>
            </fieldset>
        </form>
        <p class="result-count" role="status" data-testid="result-count">{t!(i18n, catalogue.count, count = count)}</p>
        {if page.resources.is_empty() {
            view! {
                <div class="empty-state">
                    <h2>{t!(i18n, catalogue.empty_title)}</h2>
                    <p>{t!(i18n, catalogue.empty_hint)}</p>
                    <a class="button" href="/">{t!(i18n, catalogue.clear)}</a>
                </div>
            }.into_any()
        } else {
            view! {
                <ul class="cards" data-testid="catalogue">
                    {page.resources.into_iter().map(|r| view! { <ResourceCard r /> }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
}

#[component]
fn ResourceCard(r: ResourceSummary) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    let href = format!("/resources/{}", r.id);
    let (name, institution, category) = (
        r.name.clone(),
        r.institution.name.clone(),
        r.category.name.clone(),
    );
    let name2 = name.clone();
    let kind = r.kind;
    let price = r.from_per_hour.map(|m| m.display());
    view! {
        <li class="card" data-kind=kind.as_str()>
            <div class="card__icon" aria-hidden="true" data-kind=kind.as_str()>{move || kind_label(i18n, kind).chars().next().unwrap_or('·').to_string()}</div>
            <div class="card__body">
                <h2 class="card__title"><a href=href>{move || name.pick(english()).to_string()}</a></h2>
                <p class="card__subtitle" lang=move || if english() { "zh-CN" } else { "en" }>{move || name2.pick(!english()).to_string()}</p>
                <p class="card__meta">{move || institution.pick(english()).to_string()}</p>
                <p class="card__meta">
                    <span>{move || kind_label(i18n, kind)}</span>" · "
                    <span>{move || category.pick(english()).to_string()}</span>
                    {(!r.model.is_empty()).then(|| view! { " · " <span>{t!(i18n, catalogue.model)}" "{r.model.clone()}</span> })}
                </p>
                <div class="card__badges">
                    <StatusBadge status=r.status />
                    <AccreditationBadges items=r.accreditations.clone() />
                </div>
                <p class="card__price">{match price {
                    Some(p) => view! { {t!(i18n, catalogue.from_per_hour, price = p.clone())} }.into_any(),
                    None => view! { {t!(i18n, catalogue.no_rate)} }.into_any(),
                }}</p>
            </div>
        </li>
    }
}
