//! Testing services: `/services` finds them by standard (typed loosely), product or words and
//! compares the institutions offering them at the reader's rate; `/services/:id` describes one
//! and takes an order; `/institution/services` is where an institution publishes its own.

use crate::api::services::*;
use crate::components::data::page_resource;
use crate::components::error_view::Loaded;
use crate::components::format::{category_label, delivery_label, full_date};
use crate::components::forms::{action_error, rcdata, Done, Field, FormError, Submit};
use crate::components::query::{use_form_query, use_route_id};
use crate::domain::catalogue::AccreditationBody;
use crate::domain::services::{
    Delivery, InstitutionServices, OwnService, ServiceDetail, ServiceSummary, ServicesPage,
};
use crate::i18n::*;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

macro_rules! tr {
    ($i18n:ident, $($key:tt)+) => {
        Signal::derive(move || t_string!($i18n, $($key)+).to_string())
    };
}

fn body_name(body: AccreditationBody) -> &'static str {
    match body {
        AccreditationBody::Cma => "CMA",
        AccreditationBody::Cnas => "CNAS",
        AccreditationBody::Other => "",
    }
}

#[component]
pub fn ServicesSearchPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_form_query::<ServicesQuery>();
    let data = page_resource(
        move || query.get(),
        |q| async move { search_services(q?).await },
    );
    let selected = move || query.get().unwrap_or_default();
    view! {
        <Title text=t_string!(i18n, services.title).to_string() />
        <h1>{t!(i18n, services.title)}</h1>
        <p class="lead">{t!(i18n, services.intro)}</p>
        <form class="filters" method="get" action="/services" role="search">
            <fieldset>
                <legend>{t!(i18n, catalogue.filters)}</legend>
                <div class="field">
                    <label for="f-standard">{t!(i18n, services.standard)}</label>
                    <input id="f-standard" name="standard" type="search" value=move || selected().standard.unwrap_or_default()
                        placeholder=move || t_string!(i18n, services.standard_hint) />
                </div>
                <div class="field">
                    <label for="f-q">{t!(i18n, services.words)}</label>
                    <input id="f-q" name="q" type="search" value=move || selected().q.unwrap_or_default() />
                </div>
                <div class="filters__actions">
                    <button type="submit" class="button button--primary">{t!(i18n, services.search)}</button>
                </div>
            </fieldset>
        </form>
        <Loaded resource=data view=move |page| view! { <Compared page /> } />
    }
}

/// The services found, one row each, to compare side by side.
#[component]
fn Compared(page: ServicesPage) -> impl IntoView {
    let i18n = use_i18n();
    let count = page.services.len();
    view! {
        <p class="result-count" role="status" data-testid="services-count">{t!(i18n, services.count, count = count)}</p>
        {if page.services.is_empty() {
            view! { <p class="muted">{t!(i18n, services.none)}</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap" tabindex="0"><table class="table" data-testid="services">
                    <thead><tr>
                        <th scope="col">{t!(i18n, services.service)}</th>
                        <th scope="col">{t!(i18n, services.institution)}</th>
                        <th scope="col" class="num">{t!(i18n, services.price)}</th>
                        <th scope="col">{t!(i18n, services.turnaround)}</th>
                        <th scope="col">{t!(i18n, services.earliest)}</th>
                        <th scope="col">{t!(i18n, services.accredited_until)}</th>
                    </tr></thead>
                    <tbody>{page.services.into_iter().map(|s| view! { <ServiceRow s /> }).collect_view()}</tbody>
                </table></div>
            }.into_any()
        }}
    }
}

#[component]
fn ServiceRow(s: ServiceSummary) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    let (name, institution) = (s.name.clone(), s.institution.name.clone());
    let bodies = s
        .bodies
        .iter()
        .map(|b| body_name(*b))
        .filter(|b| !b.is_empty())
        .collect::<Vec<_>>()
        .join(" · ");
    let (days, load, capacity, start) = (
        s.turnaround_days,
        s.load,
        s.capacity_per_week,
        s.earliest_start,
    );
    let until = s.accredited_until;
    view! {
        <tr data-service=s.id>
            <td>
                <a href=format!("/services/{}", s.id)>{move || name.pick(english()).to_string()}</a>
                <div class="muted">{s.standards.join(" · ")}</div>
                {(!s.products.is_empty()).then(|| view! { <div class="muted">{s.products.clone()}</div> })}
            </td>
            <td>{move || institution.pick(english()).to_string()}</td>
            <td class="num" data-testid="service-price">{move || match s.price {
                Some((category, price)) => format!("{} ({})", price.display(), category_label(i18n, category)),
                None => t_string!(i18n, services.price_on_request).to_string(),
            }}</td>
            <td>{move || t_string!(i18n, services.working_days, days = days).to_string()}</td>
            <td>
                {move || full_date(i18n, start)}
                <div class="muted">{move || t_string!(i18n, services.load, load = load, capacity = capacity).to_string()}</div>
            </td>
            <td>
                {bodies}" "
                {move || until.map(|d| full_date(i18n, d)).unwrap_or_default()}
            </td>
        </tr>
    }
}

#[component]
pub fn ServicePage() -> impl IntoView {
    let i18n = use_i18n();
    let route_id = use_route_id();
    let place = ServerAction::<PlaceOrder>::new();
    let data = page_resource(route_id, |id| async move {
        get_service(id.ok_or(crate::error::AppError::NotFound)?).await
    });
    view! {
        <Title text=t_string!(i18n, services.title).to_string() />
        <p><a class="back-link" href="/services">"← "{t!(i18n, services.title)}</a></p>
        <Loaded resource=data view=move |d| view! { <ServiceView d place /> } />
    }
}

#[component]
fn ServiceView(d: ServiceDetail, place: ServerAction<PlaceOrder>) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    let s = d.summary.clone();
    let (name, institution) = (s.name.clone(), s.institution.name.clone());
    let (days, load, capacity, start) = (
        s.turnaround_days,
        s.load,
        s.capacity_per_week,
        s.earliest_start,
    );
    let error = action_error(place);
    let dash = |v: &str| {
        if v.is_empty() {
            "—".to_string()
        } else {
            v.to_string()
        }
    };
    view! {
        <h1>{move || name.pick(english()).to_string()}</h1>
        <p class="lead">{move || institution.pick(english()).to_string()}" · "{s.standards.join(" · ")}</p>
        <div class="resource-layout">
            <section class="panel" aria-labelledby="h-service">
                <h2 id="h-service">{t!(i18n, services.about)}</h2>
                <dl class="dl">
                    <div class="dl-row"><dt>{t!(i18n, services.products)}</dt><dd>{dash(&s.products)}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, services.turnaround)}</dt><dd>{move || t_string!(i18n, services.working_days, days = days).to_string()}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, services.earliest)}</dt><dd>{move || full_date(i18n, start)}" · "{move || t_string!(i18n, services.load, load = load, capacity = capacity).to_string()}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, services.accredited_until)}</dt><dd>{move || s.accredited_until.map(|d| full_date(i18n, d)).unwrap_or_default()}</dd></div>
                </dl>
                <h3>{t!(i18n, services.sample_requirements)}</h3>
                <dl class="dl">
                    <div class="dl-row"><dt>{t!(i18n, services.sample_quantity)}</dt><dd>{dash(&d.sample_quantity)}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, services.sample_form)}</dt><dd>{dash(&d.sample_form)}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, services.packaging)}</dt><dd>{dash(&d.packaging)}</dd></div>
                </dl>
                <h3>{t!(i18n, services.prices)}</h3>
                <table class="table" data-testid="service-prices">
                    <tbody>{d.prices.iter().map(|(c, m)| {
                        let (c, m) = (*c, *m);
                        view! { <tr><th scope="row">{move || category_label(i18n, c)}</th><td class="num">{m.display()}</td></tr> }
                    }).collect_view()}</tbody>
                </table>
                {(!d.resources.is_empty()).then(|| view! {
                    <h3>{t!(i18n, services.resources)}</h3>
                    <ul>{d.resources.iter().map(|r| {
                        let name = r.name.clone();
                        view! { <li><a href=format!("/resources/{}", r.id)>{move || name.pick(english()).to_string()}</a></li> }
                    }).collect_view()}</ul>
                })}
            </section>
            <section class="panel" aria-labelledby="h-order">
                <h2 id="h-order">{t!(i18n, services.order_title)}</h2>
                {if d.can_order {
                    view! { <OrderForm service=s.id invoice_title=d.invoice_title.clone() credit_code=d.credit_code.clone() place error /> }.into_any()
                } else {
                    view! { <p class="muted">{t!(i18n, services.sign_in_to_order)}</p> }.into_any()
                }}
            </section>
        </div>
    }
}

#[component]
fn OrderForm(
    service: i64,
    invoice_title: String,
    credit_code: String,
    place: ServerAction<PlaceOrder>,
    error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ActionForm action=place attr:class="form" attr:novalidate="">
            <FormError error fields=&["samples", "sample_description", "delivery", "tracking_number", "requested_by", "invoice_title", "credit_code"] />
            <input type="hidden" name="form[service]" value=service />
            <Field name="samples" within="form" kind="number" required=true label=tr!(i18n, services.samples) value="1" error />
            <div class="field">
                <label for="field-sample_description">{t!(i18n, services.sample_description)}<span class="required" aria-hidden="true">" *"</span></label>
                <textarea id="field-sample_description" name="form[sample_description]" rows="3" required>{rcdata("")}</textarea>
                <crate::components::forms::FieldMessage name="sample_description" error />
            </div>
            <div class="field">
                <label for="field-delivery">{t!(i18n, services.delivery)}</label>
                <select id="field-delivery" name="form[delivery]">
                    {Delivery::ALL.iter().map(|d| {
                        let d = *d;
                        view! { <option value=d.as_str()>{move || delivery_label(i18n, d)}</option> }
                    }).collect_view()}
                </select>
            </div>
            <Field name="tracking_number" within="form" label=tr!(i18n, services.tracking_number) error />
            <Field name="requested_by" within="form" kind="date" label=tr!(i18n, services.requested_by) error />
            <Field name="invoice_title" within="form" required=true label=tr!(i18n, services.invoice_title) value=invoice_title error />
            <Field name="credit_code" within="form" required=true label=tr!(i18n, services.credit_code) value=credit_code error />
            <div class="form__actions"><Submit label=tr!(i18n, services.submit_order) pending=place.pending() /></div>
        </ActionForm>
    }
}

#[component]
pub fn InstitutionServicesPage() -> impl IntoView {
    let i18n = use_i18n();
    let q = use_query_map();
    let publish = ServerAction::<PublishService>::new();
    let list = ServerAction::<ListService>::new();
    let number = move |key: &str| q.get().get(key).and_then(|v| v.parse::<i64>().ok());
    let data = page_resource(
        move || {
            (
                (number("institution"), number("edit")),
                publish.version().get(),
                list.version().get(),
            )
        },
        |((institution, edit), _, _)| own_services(institution, edit),
    );
    let published = move || q.get().get("published").as_deref() == Some("1");
    view! {
        <Title text=t_string!(i18n, manage_services.title).to_string() />
        <crate::pages::booking::InstitutionTabs />
        <h1>{t!(i18n, manage_services.title)}</h1>
        <p class="lead">{t!(i18n, manage_services.intro)}</p>
        <Show when=published><Done><p>{t!(i18n, manage_services.published)}</p></Done></Show>
        <Loaded resource=data view=move |p| view! { <ServiceList p publish list /> } />
    }
}

#[component]
fn ServiceList(
    p: InstitutionServices,
    publish: ServerAction<PublishService>,
    list: ServerAction<ListService>,
) -> impl IntoView {
    let i18n = use_i18n();
    let error = action_error(publish);
    let institution = p.institution.id.0;
    let standards = p.standards.join("\n");
    let no_standards = p.standards.is_empty();
    let english = move || i18n.get_locale() == Locale::en;
    let f = p.form.clone();
    let editing = f.service;
    let resources = p.resources.clone();
    view! {
        <section class="panel panel--wide" aria-labelledby="h-own">
            <h2 id="h-own">{t!(i18n, manage_services.list)}</h2>
            {if p.services.is_empty() {
                view! { <p class="muted">{t!(i18n, manage_services.none)}</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap" tabindex="0"><table class="table" data-testid="own-services">
                        <thead><tr>
                            <th scope="col">{t!(i18n, services.service)}</th>
                            <th scope="col">{t!(i18n, services.standards)}</th>
                            <th scope="col">{t!(i18n, services.turnaround)}</th>
                            <th scope="col" class="num">{t!(i18n, manage_services.open_orders)}</th>
                            <th scope="col">{t!(i18n, manage_services.standing)}</th>
                        </tr></thead>
                        <tbody>{p.services.into_iter().map(|s| view! { <OwnRow institution s list /> }).collect_view()}</tbody>
                    </table></div>
                }.into_any()
            }}
        </section>
        <section class="panel panel--wide" aria-labelledby="h-publish">
            <h2 id="h-publish">{move || if editing.is_some() {
                t_string!(i18n, manage_services.edit_title)
            } else {
                t_string!(i18n, manage_services.publish_title)
            }}</h2>
            {no_standards.then(|| view! { <p class="notice notice--warning">{t!(i18n, manage_services.no_standards)}</p> })}
            {editing.map(|_| view! {
                <p class="field__hint">{t!(i18n, manage_services.edit_hint)}" "
                    <a href=format!("/institution/services?institution={institution}")>{t!(i18n, manage_services.edit_leave)}</a></p>
            })}
            <ActionForm action=publish attr:class="form" attr:novalidate="" attr:data-testid="service-form">
                <FormError error fields=&["name_zh", "name_en", "standards", "products", "turnaround_days", "capacity_per_week", "price_own", "price_zone", "price_external", "price_sme", "resources"] />
                <input type="hidden" name="form[institution]" value=institution />
                {editing.map(|id| view! { <input type="hidden" name="form[service]" value=id /> })}
                <Field name="name_zh" within="form" required=true label=tr!(i18n, manage_services.name_zh) value=f.name_zh error />
                <Field name="name_en" within="form" label=tr!(i18n, manage_services.name_en) value=f.name_en error />
                <div class="field">
                    <label for="field-standards">{t!(i18n, manage_services.standards)}<span class="required" aria-hidden="true">" *"</span></label>
                    <textarea id="field-standards" name="form[standards]" rows="3" required>{rcdata(&f.standards)}</textarea>
                    <p class="field__hint">{t!(i18n, manage_services.standards_hint)}" "<span data-testid="offerable">{standards.replace('\n', " · ")}</span></p>
                    <crate::components::forms::FieldMessage name="standards" error />
                </div>
                <Field name="products" within="form" label=tr!(i18n, services.products) value=f.products error />
                <Field name="sample_quantity" within="form" label=tr!(i18n, services.sample_quantity) value=f.sample_quantity error />
                <Field name="sample_form" within="form" label=tr!(i18n, services.sample_form) value=f.sample_form error />
                <Field name="packaging" within="form" label=tr!(i18n, services.packaging) value=f.packaging error />
                <Field name="turnaround_days" within="form" kind="number" required=true label=tr!(i18n, manage_services.turnaround_days) value=f.turnaround_days error />
                <Field name="capacity_per_week" within="form" kind="number" required=true label=tr!(i18n, manage_services.capacity) value=f.capacity_per_week error />
                <fieldset>
                    <legend>{t!(i18n, manage_services.prices)}</legend>
                    <Field name="price_external" within="form" label=Signal::derive(move || category_label(i18n, crate::domain::catalogue::CustomerCategory::External).to_string()) value=f.price_external error />
                    <Field name="price_zone" within="form" label=Signal::derive(move || category_label(i18n, crate::domain::catalogue::CustomerCategory::Zone).to_string()) value=f.price_zone error />
                    <Field name="price_sme" within="form" label=Signal::derive(move || category_label(i18n, crate::domain::catalogue::CustomerCategory::Sme).to_string()) value=f.price_sme error />
                    <Field name="price_own" within="form" label=Signal::derive(move || category_label(i18n, crate::domain::catalogue::CustomerCategory::Own).to_string()) value=f.price_own error />
                </fieldset>
                {(!resources.is_empty()).then(|| view! {
                    <fieldset data-testid="service-resources">
                        <legend>{t!(i18n, manage_services.resources)}</legend>
                        <p class="field__hint">{t!(i18n, manage_services.resources_hint)}</p>
                        {resources.into_iter().map(|r| {
                            let ticked = f.resources.contains(&r.id.0);
                            let name = r.name.clone();
                            view! {
                                <label class="check"><input type="checkbox" name="form[resources][]" value=r.id.0 checked=ticked />" "{move || name.pick(english()).to_string()}</label>
                            }
                        }).collect_view()}
                        <crate::components::forms::FieldMessage name="resources" error />
                    </fieldset>
                })}
                <div class="form__actions"><Submit label=Signal::derive(move || if editing.is_some() {
                    t_string!(i18n, manage_services.save).to_string()
                } else {
                    t_string!(i18n, manage_services.publish).to_string()
                }) pending=publish.pending() /></div>
            </ActionForm>
        </section>
    }
}

#[component]
fn OwnRow(institution: i64, s: OwnService, list: ServerAction<ListService>) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    let name = s.name.clone();
    let days = s.turnaround_days;
    let withdrawn = s.withdrawn.clone();
    view! {
        <tr data-service=s.id>
            <td><a href=format!("/services/{}", s.id)>{move || name.pick(english()).to_string()}</a></td>
            <td>{s.standards.join(" · ")}</td>
            <td>{move || t_string!(i18n, services.working_days, days = days).to_string()}</td>
            <td class="num">{s.open_orders}</td>
            <td>
                {if !withdrawn.is_empty() {
                    view! {
                        <ul class="warnings" data-testid="withdrawn">{withdrawn.into_iter().map(|w| {
                            let standard = w.standard.clone();
                            view! { <li><span class="badge badge--warning">{move || match w.expired_on {
                                Some(day) => t_string!(i18n, manage_services.withdrawn, standard = standard.clone(), day = full_date(i18n, day)).to_string(),
                                None => t_string!(i18n, manage_services.withdrawn_never, standard = standard.clone()).to_string(),
                            }}</span></li> }
                        }).collect_view()}</ul>
                    }.into_any()
                } else if s.listed {
                    view! { <span class="badge badge--status-available">{t!(i18n, manage_services.listed)}</span> }.into_any()
                } else {
                    view! { <span class="badge badge--status-retired">{t!(i18n, manage_services.unlisted)}</span> }.into_any()
                }}
                <a class="button button--quiet" href=format!("/institution/services?institution={institution}&edit={}#h-publish", s.id)>{t!(i18n, manage_services.edit)}</a>
                <ActionForm action=list attr:class="inline-form">
                    <input type="hidden" name="service" value=s.id />
                    <input type="hidden" name="listed" value=if s.listed { "0" } else { "1" } />
                    <button type="submit" class="button button--quiet">{move || if s.listed {
                        t_string!(i18n, manage_services.unlist)
                    } else {
                        t_string!(i18n, manage_services.relist)
                    }}</button>
                </ActionForm>
            </td>
        </tr>
    }
}
