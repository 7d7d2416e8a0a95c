use crate::api::catalogue::{list_resources, CatalogueQuery};
use crate::components::badges::{
    body_label, kind_label, status_label, AccreditationBadges, StatusBadge,
};
use crate::components::data::page_resource;
use crate::components::error_view::Loaded;
use crate::components::options::ResourceFilterFields;
use crate::components::query::use_form_query;
use crate::domain::catalogue::{
    AccreditationBody, CataloguePage as Page, CatalogueSort, ResourceStatus, ResourceSummary,
    CATALOGUE_PAGE_SIZE,
};
use crate::i18n::*;
use leptos::prelude::*;
use leptos_meta::Title;

/// The catalogue: every shared resource of the zone, searched, filtered, sorted and paged. The
/// form is a plain GET form, so it works the same with and without wasm, and every view has a URL.
#[component]
pub fn CataloguePage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_form_query::<CatalogueQuery>();
    let data = page_resource(
        move || (query.get(), i18n.get_locale() == Locale::en),
        |(query, english)| async move { list_resources(query?, Some(english)).await },
    );

    view! {
        <Title text=t_string!(i18n, catalogue.title).to_string() />
        <h1>{t!(i18n, catalogue.title)}</h1>
        <p class="lead">{t!(i18n, catalogue.intro)}</p>
        <Loaded resource=data view=move |page| view! { <Catalogue page selected=query.get().unwrap_or_default() /> } />
    }
}

/// The URL of the catalogue with `query`, at `page`.
fn page_href(query: &CatalogueQuery, page: i64) -> String {
    use crate::components::layout::urlencode;
    let mut parts = Vec::new();
    let mut text = |k: &str, v: &Option<String>| {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            parts.push(format!("{k}={}", urlencode(v)));
        }
    };
    text("q", &query.q);
    text("kind", &query.kind);
    text("body", &query.body);
    text("standard", &query.standard);
    text("max_price", &query.max_price);
    text("status", &query.status);
    text("sort", &query.sort);
    for (k, v) in [
        ("category", query.category),
        ("institution", query.institution),
    ] {
        if let Some(v) = v {
            parts.push(format!("{k}={v}"));
        }
    }
    if page > 1 {
        parts.push(format!("page={page}"));
    }
    if parts.is_empty() {
        "/".into()
    } else {
        format!("/?{}", parts.join("&"))
    }
}

#[component]
fn Catalogue(page: Page, selected: CatalogueQuery) -> impl IntoView {
    let i18n = use_i18n();
    let filtered = selected
        != CatalogueQuery {
            sort: selected.sort.clone(),
            page: selected.page,
            ..CatalogueQuery::default()
        };
    let more_open = selected.body.is_some()
        || selected.standard.is_some()
        || selected.max_price.is_some()
        || selected.status.is_some();
    let count = page.total;
    let pages = ((page.total + CATALOGUE_PAGE_SIZE - 1) / CATALOGUE_PAGE_SIZE).max(1);
    let current = page.page;
    let option = |value: &'static str, chosen: &Option<String>| chosen.as_deref() == Some(value);
    let bodies = AccreditationBody::ALL
        .iter()
        .map(|b| {
            let b = *b;
            let chosen = option(b.as_str(), &selected.body);
            view! { <option value=b.as_str() selected=chosen>{move || body_label(i18n, b)}</option> }
        })
        .collect_view();
    let statuses = [ResourceStatus::Available, ResourceStatus::Maintenance]
        .into_iter()
        .map(|st| {
            let chosen = option(st.as_str(), &selected.status);
            view! { <option value=st.as_str() selected=chosen>{move || status_label(i18n, st)}</option> }
        })
        .collect_view();
    let sorts = CatalogueSort::ALL
        .iter()
        .map(|so| {
            let so = *so;
            let chosen = option(so.as_str(), &selected.sort);
            let label = move || match so {
                CatalogueSort::Category => t_string!(i18n, catalogue.sort_category),
                CatalogueSort::Name => t_string!(i18n, catalogue.sort_name),
                CatalogueSort::Price => t_string!(i18n, catalogue.sort_price),
                CatalogueSort::Institution => t_string!(i18n, catalogue.sort_institution),
            };
            view! { <option value=so.as_str() selected=chosen>{label}</option> }
        })
        .collect_view();
    let more = view! {
                <details class="filters__more" open=more_open>
                    <summary>{t!(i18n, catalogue.more_filters)}</summary>
                    <div class="filters__row">
                        <div class="field">
                            <label for="f-body">{t!(i18n, catalogue.accreditation)}</label>
                            <select id="f-body" name="body"><option value="">{t!(i18n, catalogue.any)}</option>{bodies}</select>
                        </div>
                        <div class="field">
                            <label for="f-standard">{t!(i18n, catalogue.standard)}</label>
                            <input id="f-standard" name="standard" type="text" value=selected.standard.clone().unwrap_or_default()
                                placeholder=move || t_string!(i18n, catalogue.standard_hint) />
                        </div>
                        <div class="field">
                            <label for="f-price">{t!(i18n, catalogue.max_price)}</label>
                            <input id="f-price" name="max_price" type="text" inputmode="decimal" value=selected.max_price.clone().unwrap_or_default() />
                        </div>
                        <div class="field">
                            <label for="f-status">{t!(i18n, catalogue.status)}</label>
                            <select id="f-status" name="status"><option value="">{t!(i18n, catalogue.any)}</option>{statuses}</select>
                        </div>
                    </div>
                </details>
    }
    .into_any();
    let previous = (current > 1).then(|| page_href(&selected, current - 1));
    let next = (current < pages).then(|| page_href(&selected, current + 1));

    let form = view! {
        <form class="filters" method="get" action="/" role="search">
            <fieldset>
                <legend>{t!(i18n, catalogue.filters)}</legend>
                <div class="field field--wide">
                    <label for="f-q">{t!(i18n, catalogue.search)}</label>
                    <input id="f-q" name="q" type="search" value=selected.q.clone().unwrap_or_default()
                        placeholder=move || t_string!(i18n, catalogue.search_hint) />
                </div>
                <ResourceFilterFields categories=page.categories.clone() institutions=page.institutions.clone() kind=selected.kind.clone() category=selected.category institution=selected.institution />
                <div class="field">
                    <label for="f-sort">{t!(i18n, catalogue.sort)}</label>
                    <select id="f-sort" name="sort">{sorts}</select>
                </div>
                {more}
                <div class="filters__actions">
                    <button type="submit" class="button button--primary">{t!(i18n, catalogue.apply)}</button>
                    {filtered.then(|| view! { <a class="button button--quiet" href="/">{t!(i18n, catalogue.clear)}</a> })}
                </div>
            </fieldset>
        </form>
    }
    .into_any();
    view! {
        {form}
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
                {(pages > 1).then(|| view! {
                    <nav class="pager" aria-label=move || t_string!(i18n, catalogue.pages)>
                        {previous.map(|href| view! { <a class="button button--quiet" rel="prev" href=href>{t!(i18n, catalogue.previous)}</a> })}
                        <span>{t!(i18n, catalogue.page_of, page = current, pages = pages)}</span>
                        {next.map(|href| view! { <a class="button button--quiet" rel="next" href=href>{t!(i18n, catalogue.next)}</a> })}
                    </nav>
                })}
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
