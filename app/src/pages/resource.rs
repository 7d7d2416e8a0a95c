use crate::api::catalogue::get_resource;
use crate::components::badges::{
    body_label, kind_label, standing_label, AccreditationBadges, StatusBadge,
};
use crate::components::data::page_resource;
use crate::components::error_view::ErrorView;
use crate::components::format::{duration, full_date, minute_of_day, weekday_name};
use crate::components::query::use_route_id;
use crate::components::week_grid::WeekGridView;
use crate::domain::catalogue::{AccreditationStanding, Audience, CustomerCategory, ResourceDetail};
use crate::i18n::*;
use chrono::{Duration, FixedOffset, Weekday};
use leptos::prelude::*;
use leptos_i18n::I18nContext;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ResourcePage() -> impl IntoView {
    let i18n = use_i18n();
    let id = use_route_id();
    let query = use_query_map();
    let key = move || (id(), query.get().get("week"));
    let manage = ServerAction::<crate::api::manage::SetResourceStatus>::new();
    let me = page_resource(|| (), |_| crate::api::account::current_user());
    let data = page_resource(
        move || (key(), manage.version().get()),
        |((id, week), _)| async move {
            match id {
                Some(id) => get_resource(id, week).await,
                None => Err(crate::error::AppError::NotFound),
            }
        },
    );
    view! {
        <Suspense fallback=move || view! { <p class="muted">{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(detail) => {
                        let actor = me.await.ok().flatten();
                        let summary = detail.summary.clone();
                        // Erased first: the page's view type is deep enough as it is.
                        let detail = view! { <Detail d=detail /> }.into_any();
                        view! {
                            {detail}
                            <crate::pages::manage::ManagePanel summary actor action=manage />
                        }.into_any()
                    }
                    Err(crate::error::AppError::NotFound) => view! {
                        <Title text=t_string!(i18n, resource.not_found_title).to_string() />
                        <h1>{t!(i18n, resource.not_found_title)}</h1>
                        <ErrorView error=crate::error::AppError::NotFound />
                    }.into_any(),
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn customer_label(i18n: I18nContext<Locale>, c: CustomerCategory) -> &'static str {
    match c {
        CustomerCategory::Own => t_string!(i18n, customer.own),
        CustomerCategory::Zone => t_string!(i18n, customer.zone),
        CustomerCategory::External => t_string!(i18n, customer.external),
        CustomerCategory::Sme => t_string!(i18n, customer.sme),
    }
}

fn audience_label(i18n: I18nContext<Locale>, a: Audience) -> &'static str {
    match a {
        Audience::Everyone => t_string!(i18n, audience.everyone),
        Audience::Zone => t_string!(i18n, audience.zone),
        Audience::Institution => t_string!(i18n, audience.institution),
    }
}

#[component]
fn Detail(d: ResourceDetail) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    let s = d.summary.clone();
    let offset = FixedOffset::east_opt(d.utc_offset_seconds)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"));
    let (name, name2, title_name) = (s.name.clone(), s.name.clone(), s.name.clone());
    let (institution, category, description, city) = (
        s.institution.name.clone(),
        s.category.name.clone(),
        d.description.clone(),
        d.institution_city.clone(),
    );
    let kind = s.kind;
    let rules = d.rules.clone();
    let week_start = d.week.week_start;
    let prev = (week_start - Duration::days(7))
        .format("%Y-%m-%d")
        .to_string();
    let next = (week_start + Duration::days(7))
        .format("%Y-%m-%d")
        .to_string();
    let base = format!("/resources/{}", s.id);

    let specs = d
        .specifications
        .iter()
        .map(|sp| {
            let sp = sp.clone();
            let label = sp.clone();
            view! { <div class="dl-row"><dt>{move || if english() { label.label_en.clone() } else { label.label_zh.clone() }}</dt><dd>{sp.value.clone()}</dd></div> }
        })
        .collect_view();

    let rates = d
        .rates
        .iter()
        .map(|r| {
            let c = r.category;
            view! {
                <tr>
                    <th scope="row">{move || customer_label(i18n, c)}</th>
                    <td class="num">{r.per_hour.display()}</td>
                    <td class="num">{r.minimum.display()}</td>
                </tr>
            }
        })
        .collect_view();

    let accreditations = d
        .accreditations
        .iter()
        .map(|a| {
            let (body, standing, until) = (a.body, a.standing, a.valid_until);
            view! {
                <tr class:row--expired=standing == AccreditationStanding::Expired>
                    <td>{move || body_label(i18n, body)}</td>
                    <td>{a.certificate_number.clone()}</td>
                    <td>{a.standards.join("、")}</td>
                    <td>{move || full_date(i18n, until)}</td>
                    <td><span class=format!("badge badge--standing-{:?}", standing).to_lowercase()>{move || standing_label(i18n, standing)}</span></td>
                </tr>
            }
        })
        .collect_view();
    let has_accreditations = !d.accreditations.is_empty();

    let hours = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun]
        .into_iter()
        .map(|wd| {
            let n = wd.number_from_monday() as u8;
            let periods: Vec<String> = d
                .opening_hours
                .periods
                .iter()
                .filter(|p| p.weekday == n)
                .map(|p| format!("{}–{}", minute_of_day(p.opens_minute), minute_of_day(p.closes_minute)))
                .collect();
            let closed = periods.is_empty();
            view! {
                <div class="dl-row"><dt>{move || weekday_name(i18n, wd)}</dt>
                <dd>{if closed { view! { <span class="muted">{t!(i18n, resource.closed)}</span> }.into_any() } else { periods.join(", ").into_any() }}</dd></div>
            }
        })
        .collect_view();

    view! {
        <Title text=title_name.pick(english()).to_string() />
        <p><a href="/" class="back-link">"← "{t!(i18n, resource.back)}</a></p>
        <header class="resource-head">
            <h1>{move || name.pick(english()).to_string()}</h1>
            <p class="resource-head__alt" lang=move || if english() { "zh-CN" } else { "en" }>{move || name2.pick(!english()).to_string()}</p>
            <p class="resource-head__meta">
                {move || institution.pick(english()).to_string()}" · "{move || city.pick(english()).to_string()}
            </p>
            <div class="card__badges">
                <StatusBadge status=s.status />
                <AccreditationBadges items=s.accreditations.clone() />
            </div>
            {(!d.status_reason.is_empty()).then(|| view! { <p class="notice notice--warning">{d.status_reason.clone()}</p> })}
            {(s.status == crate::domain::catalogue::ResourceStatus::Available).then(|| view! {
                <p><a class="button button--primary" href=format!("/resources/{}/book", s.id) data-testid="book">{t!(i18n, booking.book_title)}</a></p>
            })}
        </header>

        {(!d.photos.is_empty()).then(|| view! {
            <ul class="photos" aria-label=move || t_string!(i18n, resource.photos) data-testid="gallery">
                {d.photos.iter().map(|p| view! {
                    <li><a href=format!("/photos/{}", p.file) rel="external"><img src=format!("/photos/{}", p.thumb) alt="" loading="lazy" /></a></li>
                }).collect_view()}
            </ul>
        })}
        <div class="resource-layout">
            <section class="panel" aria-labelledby="h-overview">
                <h2 id="h-overview">{t!(i18n, resource.overview)}</h2>
                <p>{move || description.pick(english()).to_string()}</p>
                <dl class="dl">
                    <div class="dl-row"><dt>{t!(i18n, resource.kind)}</dt><dd>{move || kind_label(i18n, kind)}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, resource.category)}</dt><dd>{move || category.pick(english()).to_string()}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, resource.model)}</dt><dd>{s.model.clone()}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, resource.manufacturer)}</dt><dd>{s.manufacturer.clone()}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, resource.serial)}</dt><dd>{d.serial_number.clone()}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, resource.purchase_year)}</dt><dd>{d.purchase_year.map(|y| y.to_string()).unwrap_or_default()}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, resource.original_value)}</dt><dd>{d.original_value.display()}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, resource.location)}</dt><dd>{format!("{} {}", d.building, d.room)}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, resource.contact)}</dt><dd>{format!("{} {}", d.contact_name, d.contact_phone)}</dd></div>
                </dl>
                <h3>{t!(i18n, resource.specifications)}</h3>
                <dl class="dl">{specs}</dl>
            </section>

            <section class="panel" aria-labelledby="h-rules">
                <h2 id="h-rules">{t!(i18n, resource.rules)}</h2>
                <dl class="dl" data-testid="rules">
                    <div class="dl-row"><dt>{t!(i18n, resource.slot)}</dt><dd>{move || duration(i18n, rules.slot_minutes)}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, resource.duration)}</dt><dd>{move || format!("{} – {}", duration(i18n, rules.min_duration_minutes), duration(i18n, rules.max_duration_minutes))}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, resource.notice)}</dt><dd>{move || t_string!(i18n, resource.notice_value, min = duration(i18n, rules.min_notice_minutes), days = rules.max_notice_days).to_string()}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, resource.buffers)}</dt><dd>{move || t_string!(i18n, resource.buffers_value, before = duration(i18n, rules.buffer_before_minutes), after = duration(i18n, rules.buffer_after_minutes)).to_string()}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, resource.approval)}</dt><dd>{move || if rules.approval_required { t_string!(i18n, resource.approval_required) } else { t_string!(i18n, resource.approval_auto) }}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, resource.audience)}</dt><dd>{move || audience_label(i18n, rules.audience)}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, resource.cancel_cutoff)}</dt><dd>{move || t_string!(i18n, resource.cancel_cutoff_value, time = duration(i18n, rules.cancel_cutoff_minutes)).to_string()}</dd></div>
                </dl>
                <h3>{t!(i18n, resource.opening_hours)}</h3>
                <dl class="dl">{hours}</dl>
            </section>

            <section class="panel" aria-labelledby="h-rates">
                <h2 id="h-rates">{t!(i18n, resource.rates)}</h2>
                <div class="table-wrap" tabindex="0"><table class="table" data-testid="rates">
                    <thead><tr>
                        <th scope="col">{t!(i18n, resource.customer_category)}</th>
                        <th scope="col" class="num">{t!(i18n, resource.per_hour)}</th>
                        <th scope="col" class="num">{t!(i18n, resource.minimum)}</th>
                    </tr></thead>
                    <tbody>{rates}</tbody>
                </table></div>
            </section>

            <section class="panel panel--span" aria-labelledby="h-accreditation">
                <h2 id="h-accreditation">{t!(i18n, resource.accreditation)}</h2>
                {if has_accreditations {
                    view! {
                        <div class="table-scroll" tabindex="0"><table class="table" data-testid="accreditations">
                            <thead><tr>
                                <th scope="col">{t!(i18n, accreditation.body)}</th>
                                <th scope="col">{t!(i18n, accreditation.certificate)}</th>
                                <th scope="col">{t!(i18n, accreditation.standards)}</th>
                                <th scope="col">{t!(i18n, accreditation.valid_until)}</th>
                                <th scope="col">{t!(i18n, accreditation.standing)}</th>
                            </tr></thead>
                            <tbody>{accreditations}</tbody>
                        </table></div>
                    }.into_any()
                } else {
                    view! { <p class="muted">{t!(i18n, accreditation.none)}</p> }.into_any()
                }}
            </section>
        </div>

        <section class="panel panel--wide" aria-labelledby="h-week">
            <div class="week-head">
                <h2 id="h-week">{t!(i18n, resource.week)}</h2>
                <nav class="week-nav">
                    <a class="button button--quiet" href=format!("{base}?week={prev}")>"← "{t!(i18n, resource.prev_week)}</a>
                    <a class="button button--quiet" href=base.clone()>{t!(i18n, resource.this_week)}</a>
                    <a class="button button--quiet" href=format!("{base}?week={next}")>{t!(i18n, resource.next_week)}" →"</a>
                </nav>
            </div>
            <p class="muted">{move || t_string!(i18n, date.range, from = full_date(i18n, week_start), to = full_date(i18n, week_start + Duration::days(6))).to_string()}</p>
            <WeekGridView grid=d.week.clone() offset resource=s.id.0 min_minutes=d.rules.min_duration_minutes />
        </section>
    }
}
