use crate::api::catalogue::{find_free_time, FreeTimeQuery};
use crate::components::badges::{kind_label, AccreditationBadges, StatusBadge};
use crate::components::data::page_resource;
use crate::components::error_view::ErrorView;
use crate::components::format::{duration, moment};
use crate::components::options::ResourceFilterFields;
use crate::components::query::use_form_query;
use crate::domain::availability::{FreeResult, FreeSearchPage, Unbookable};
use crate::domain::catalogue::ResourceStatus;
use crate::error::AppError;
use crate::i18n::*;
use chrono::FixedOffset;
use leptos::prelude::*;
use leptos_i18n::I18nContext;
use leptos_meta::Title;

/// Hours offered in the "free for at least" choice.
const HOUR_CHOICES: [i64; 8] = [1, 2, 4, 8, 24, 48, 72, 168];

/// Time-first search: dates and a duration first, then every institution's free equipment. A
/// plain GET form, so it works without wasm and every search has a URL.
#[component]
pub fn FreeTimePage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_form_query::<FreeTimeQuery>();
    let data = page_resource(
        move || query.get(),
        |q| async move { find_free_time(q?).await },
    );
    view! {
        <Title text=t_string!(i18n, free.title).to_string() />
        <h1>{t!(i18n, free.title)}</h1>
        <p class="lead">{t!(i18n, free.intro)}</p>
        <Suspense fallback=move || view! { <p class="muted">{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                let FreeTimeQuery { kind, category, institution, q: text, standard, .. } =
                    query.get().unwrap_or_default();
                match data.await {
                    Ok(page) => view! { <Search page kind category institution text standard /> }.into_any(),
                    Err(AppError::Validation { key, .. }) => {
                        crate::api::set_status(400);
                        let message = move || match key.as_str() {
                            "free.error_range" => t_string!(i18n, free.error_range).to_string(),
                            "free.error_duration" => t_string!(i18n, free.error_duration).to_string(),
                            "free.error_date" => t_string!(i18n, free.error_date).to_string(),
                            key => crate::components::forms::validation_text(i18n, key),
                        };
                        view! {
                            <div class="notice notice--error" role="alert"><p>{message}</p>
                            <p><a href="/free">{t!(i18n, catalogue.clear)}</a></p></div>
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Search(
    page: FreeSearchPage,
    kind: Option<String>,
    category: Option<i64>,
    institution: Option<i64>,
    text: Option<String>,
    standard: Option<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let offset = FixedOffset::east_opt(page.utc_offset_seconds)
        .unwrap_or(FixedOffset::east_opt(0).expect("zero offset"));
    let (bookable, total, current) = (page.bookable, page.total, page.page);
    let pages = total
        .div_ceil(crate::domain::availability::FREE_PAGE_SIZE)
        .max(1);
    let query = leptos_router::hooks::use_location().search.get_untracked();
    let href = move |n: usize| {
        let kept: Vec<&str> = query
            .trim_start_matches('?')
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("page="))
            .collect();
        let mut parts = kept.join("&");
        if !parts.is_empty() {
            parts.push('&');
        }
        format!("/free?{parts}page={n}")
    };
    let previous = (current > 1).then(|| href(current - 1));
    let next = (current < pages).then(|| href(current + 1));
    let hours = page.minutes / 60;
    let hour_options = HOUR_CHOICES
        .iter()
        .map(|h| {
            let h = *h;
            view! { <option value=h selected=h == hours>{move || t_string!(i18n, free.hours, h = h).to_string()}</option> }
        })
        .collect_view();
    let results = page.results;
    view! {
        <form class="filters" method="get" action="/free" role="search">
            <fieldset>
                <legend>{t!(i18n, catalogue.filters)}</legend>
                <div class="field">
                    <label for="f-from">{t!(i18n, free.from)}</label>
                    <input id="f-from" name="from" type="date" required value=page.from.format("%Y-%m-%d").to_string() />
                </div>
                <div class="field">
                    <label for="f-to">{t!(i18n, free.to)}</label>
                    <input id="f-to" name="to" type="date" required value=page.to.format("%Y-%m-%d").to_string() />
                </div>
                <div class="field">
                    <label for="f-hours">{t!(i18n, free.duration)}</label>
                    <select id="f-hours" name="hours">{hour_options}</select>
                </div>
                <ResourceFilterFields categories=page.categories.clone() institutions=page.institutions.clone() kind=kind.clone() category institution />
                <div class="field">
                    <label for="f-q">{t!(i18n, catalogue.search)}</label>
                    <input id="f-q" name="q" type="search" value=text.unwrap_or_default()
                        placeholder=move || t_string!(i18n, catalogue.search_hint) />
                </div>
                <div class="field">
                    <label for="f-standard">{t!(i18n, catalogue.standard)}</label>
                    <input id="f-standard" name="standard" type="text" value=standard.unwrap_or_default()
                        placeholder=move || t_string!(i18n, catalogue.standard_hint) />
                </div>
                <div class="filters__actions">
                    <button type="submit" class="button button--primary">{t!(i18n, free.search)}</button>
                </div>
            </fieldset>
        </form>
        <p class="result-count" role="status" data-testid="free-count">{t!(i18n, free.results, bookable = bookable, total = total)}</p>
        {if bookable == 0 {
            view! { <div class="empty-state"><h2>{t!(i18n, free.none_title)}</h2><p>{t!(i18n, free.none_hint)}</p></div> }.into_any()
        } else {
            ().into_any()
        }}
        <ul class="cards cards--wide" data-testid="free-results">
            {results.into_iter().map(|r| view! { <FreeCard r offset /> }).collect_view()}
        </ul>
        {(pages > 1).then(|| view! {
            <nav class="pager" aria-label=move || t_string!(i18n, catalogue.pages)>
                {previous.map(|h| view! { <a class="button button--quiet" rel="prev" href=h>{t!(i18n, catalogue.previous)}</a> })}
                <span>{t!(i18n, catalogue.page_of, page = current, pages = pages)}</span>
                {next.map(|h| view! { <a class="button button--quiet" rel="next" href=h>{t!(i18n, catalogue.next)}</a> })}
            </nav>
        })}
    }
}

fn reason(i18n: I18nContext<Locale>, why: Unbookable) -> String {
    match why {
        Unbookable::NotAvailable(ResourceStatus::Retired) => {
            t_string!(i18n, free.why.retired).to_string()
        }
        Unbookable::NotAvailable(_) => t_string!(i18n, free.why.maintenance).to_string(),
        Unbookable::TooLong(max) => {
            t_string!(i18n, free.why.too_long, max = duration(i18n, max)).to_string()
        }
        Unbookable::NoticeTooShort(min) => {
            t_string!(i18n, free.why.notice, min = duration(i18n, min)).to_string()
        }
        Unbookable::Closed => t_string!(i18n, free.why.closed).to_string(),
        Unbookable::FullyBooked => t_string!(i18n, free.why.full).to_string(),
    }
}

#[component]
fn FreeCard(r: FreeResult, offset: FixedOffset) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    let s = r.resource;
    let (name, institution) = (s.name.clone(), s.institution.name.clone());
    let week = r.windows.first().map(|w| {
        w.start()
            .with_timezone(&offset)
            .format("%Y-%m-%d")
            .to_string()
    });
    let href = match &week {
        Some(w) => format!("/resources/{}?week={w}", s.id),
        None => format!("/resources/{}", s.id),
    };
    let bookable = !r.windows.is_empty();
    let windows = r
        .windows
        .into_iter()
        .map(|w| {
            view! {
                <li>{move || moment(i18n, w.start(), offset)}" – "{move || moment(i18n, w.end(), offset)}
                    " ("{move || duration(i18n, w.minutes())}")"</li>
            }
        })
        .collect_view();
    let why = r.unbookable;
    view! {
        <li class="card" class:card--muted=!bookable data-bookable=bookable.to_string()>
            <div class="card__body">
                <h2 class="card__title"><a href=href.clone()>{move || name.pick(english()).to_string()}</a></h2>
                <p class="card__meta">{move || institution.pick(english()).to_string()}" · "{move || kind_label(i18n, s.kind)}</p>
                <div class="card__badges"><StatusBadge status=s.status /><AccreditationBadges items=s.accreditations.clone() /></div>
                {if bookable {
                    view! {
                        <ul class="free-list">{windows}</ul>
                        <p><a class="button button--primary" href=href>{t!(i18n, free.book)}</a></p>
                    }.into_any()
                } else {
                    view! { <p class="muted" data-testid="why-not">{move || why.map(|w| reason(i18n, w)).unwrap_or_default()}</p> }.into_any()
                }}
            </div>
        </li>
    }
}
