//! `/needs`: the needs board (需求对接). An enterprise posts what it needs tested and accepts one
//! of the offers; an institution's admin reads the open needs it can answer (those matching its
//! accreditation first) and makes an offer naming one of its services.

use crate::api::services::*;
use crate::components::data::page_resource;
use crate::components::error_view::Loaded;
use crate::components::format::full_date;
use crate::components::forms::{action_error, Done, Field, FormError, Submit};
use crate::domain::services::{NeedStatus, NeedView, NeedsPage as Page, Visibility};
use crate::domain::vocabulary::Named;
use crate::i18n::*;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_i18n::I18nContext;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

macro_rules! tr {
    ($i18n:ident, $($key:tt)+) => {
        Signal::derive(move || t_string!($i18n, $($key)+).to_string())
    };
}

fn status_label(i18n: I18nContext<Locale>, status: NeedStatus) -> &'static str {
    match status {
        NeedStatus::Open => t_string!(i18n, needs.status_open),
        NeedStatus::Matched => t_string!(i18n, needs.status_matched),
        NeedStatus::Closed => t_string!(i18n, needs.status_closed),
        NeedStatus::Withdrawn => t_string!(i18n, needs.status_withdrawn),
    }
}

#[derive(Clone, Copy)]
struct Actions {
    post: ServerAction<PostNeed>,
    offer: ServerAction<MakeOffer>,
    accept: ServerAction<AcceptOffer>,
    withdraw: ServerAction<WithdrawNeed>,
}

#[component]
pub fn NeedsBoardPage() -> impl IntoView {
    let i18n = use_i18n();
    let q = use_query_map();
    let actions = Actions {
        post: ServerAction::<PostNeed>::new(),
        offer: ServerAction::<MakeOffer>::new(),
        accept: ServerAction::<AcceptOffer>::new(),
        withdraw: ServerAction::<WithdrawNeed>::new(),
    };
    let data = page_resource(
        move || {
            (
                actions.post.version().get(),
                actions.offer.version().get(),
                actions.withdraw.version().get(),
            )
        },
        |_| needs_board(),
    );
    let said = move |key: &'static str| move || q.get().get(key).as_deref() == Some("1");
    view! {
        <Title text=t_string!(i18n, needs.title).to_string() />
        <h1>{t!(i18n, needs.title)}</h1>
        <p class="lead">{t!(i18n, needs.intro)}</p>
        <Show when=said("posted")><Done><p data-testid="need-posted">{t!(i18n, needs.posted)}</p></Done></Show>
        <Show when=said("offered")><Done><p data-testid="offer-made">{t!(i18n, needs.offered)}</p></Done></Show>
        <Loaded resource=data view=move |p| view! { <Board p actions /> } />
    }
}

#[component]
fn Board(p: Page, actions: Actions) -> impl IntoView {
    let i18n = use_i18n();
    let services = p.services.clone();
    let institution_side = !p.open.is_empty() || !p.services.is_empty();
    view! {
        {(!p.open.is_empty() || institution_side).then(|| view! {
            <section class="panel panel--wide" aria-labelledby="h-open-needs">
                <h2 id="h-open-needs">{t!(i18n, needs.open)}</h2>
                {if p.open.is_empty() {
                    view! { <p class="muted">{t!(i18n, needs.none_open)}</p> }.into_any()
                } else {
                    view! {
                        <ul class="cards" data-testid="open-needs">
                            {p.open.into_iter().map(|n| view! { <OpenNeed n services=services.clone() actions /> }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
        })}
        {p.can_post.then(|| view! {
            <section class="panel panel--wide" aria-labelledby="h-mine">
                <h2 id="h-mine">{t!(i18n, needs.mine)}</h2>
                {if p.mine.is_empty() {
                    view! { <p class="muted">{t!(i18n, needs.none_mine)}</p> }.into_any()
                } else {
                    view! {
                        <ul class="cards" data-testid="my-needs">
                            {p.mine.into_iter().map(|n| view! { <MyNeed n actions /> }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
            <PostForm post=actions.post />
        })}
    }
}

/// What a need says, the same for both sides.
#[component]
fn NeedFacts(n: NeedView) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    let customer = n.customer.clone();
    let (deadline, status) = (n.deadline, n.status);
    view! {
        <h3>{n.title.clone()}</h3>
        <dl class="dl">
            <div class="dl-row"><dt>{t!(i18n, needs.customer)}</dt><dd>{move || customer.pick(english()).to_string()}</dd></div>
            {(!n.product.is_empty()).then(|| view! { <div class="dl-row"><dt>{t!(i18n, needs.product)}</dt><dd>{n.product.clone()}</dd></div> })}
            {(!n.standard.is_empty()).then(|| view! { <div class="dl-row"><dt>{t!(i18n, services.standard)}</dt><dd>{n.standard.clone()}</dd></div> })}
            {(!n.quantity.is_empty()).then(|| view! { <div class="dl-row"><dt>{t!(i18n, needs.quantity)}</dt><dd>{n.quantity.clone()}</dd></div> })}
            <div class="dl-row"><dt>{t!(i18n, needs.deadline)}</dt><dd>{move || full_date(i18n, deadline)}</dd></div>
            {n.budget.map(|b| view! { <div class="dl-row"><dt>{t!(i18n, needs.budget)}</dt><dd>{b.display()}</dd></div> })}
            <div class="dl-row"><dt>{t!(i18n, orders.status)}</dt><dd><span class=format!("badge badge--need-{}", status.as_str())>{move || status_label(i18n, status)}</span></dd></div>
        </dl>
    }
}

#[component]
fn MyNeed(n: NeedView, actions: Actions) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    let open = n.status == NeedStatus::Open;
    let id = n.id;
    let order = n.order;
    let offers = n.offers.clone();
    let error = action_error(actions.accept);
    view! {
        <li class="need-card" data-need=id>
            <NeedFacts n=n.clone() />
            {order.map(|o| view! { <p><a href=format!("/orders/{o}")>{move || t_string!(i18n, needs.became_order, order = o).to_string()}</a></p> })}
            <h4>{move || t_string!(i18n, needs.offers, count = offers.len()).to_string()}</h4>
            <FormError error fields=&[] />
            <ul class="offers" data-testid="offers">
                {n.offers.into_iter().map(|o| {
                    let (inst, service) = (o.institution.name.clone(), o.service.name.clone());
                    let days = o.turnaround_days;
                    view! {
                        <li data-offer=o.id>
                            <strong>{move || inst.pick(english()).to_string()}</strong>" · "
                            <a href=format!("/services/{}", o.service.id)>{move || service.pick(english()).to_string()}</a>" · "
                            {o.price.display()}" · "{move || t_string!(i18n, services.working_days, days = days).to_string()}
                            {(!o.note.is_empty()).then(|| format!(" · {}", o.note))}
                            {open.then(|| view! {
                                <ActionForm action=actions.accept attr:class="inline-form">
                                    <input type="hidden" name="offer" value=o.id />
                                    <button type="submit" class="button button--primary">{t!(i18n, needs.accept)}</button>
                                </ActionForm>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            {open.then(|| view! {
                <ActionForm action=actions.withdraw attr:class="inline-form">
                    <input type="hidden" name="need" value=id />
                    <button type="submit" class="button button--quiet">{t!(i18n, needs.withdraw)}</button>
                </ActionForm>
            })}
        </li>
    }
}

#[component]
fn OpenNeed(n: NeedView, services: Vec<Named<i64>>, actions: Actions) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    let id = n.id;
    let own = n.offers.first().cloned();
    let error = action_error(actions.offer);
    view! {
        <li class="need-card" data-need=id>
            {n.matches.then(|| view! { <span class="badge badge--status-available" data-testid="matches">{t!(i18n, needs.matches)}</span> })}
            <NeedFacts n=n.clone() />
            {own.map(|o| view! { <p class="muted" data-testid="own-offer">{move || t_string!(i18n, needs.your_offer, price = o.price.display(), days = o.turnaround_days).to_string()}</p> })}
            {if services.is_empty() {
                view! { <p class="muted">{t!(i18n, needs.no_services)}</p> }.into_any()
            } else {
                view! {
                    <ActionForm action=actions.offer attr:class="form form--inline">
                        <FormError error fields=&["price", "turnaround_days", "note"] />
                        <input type="hidden" name="need" value=id />
                        <div class="field">
                            <label for=format!("offer-service-{id}")>{t!(i18n, services.service)}</label>
                            <select id=format!("offer-service-{id}") name="service">
                                {services.iter().map(|s| {
                                    let name = s.name.clone();
                                    view! { <option value=s.id>{move || name.pick(english()).to_string()}</option> }
                                }).collect_view()}
                            </select>
                        </div>
                        <div class="field">
                            <label for=format!("offer-price-{id}")>{t!(i18n, needs.offer_price)}</label>
                            <input id=format!("offer-price-{id}") name="price" type="text" inputmode="decimal" required />
                        </div>
                        <div class="field">
                            <label for=format!("offer-days-{id}")>{t!(i18n, manage_services.turnaround_days)}</label>
                            <input id=format!("offer-days-{id}") name="turnaround_days" type="number" min="1" max="365" required />
                        </div>
                        <div class="field">
                            <label for=format!("offer-note-{id}")>{t!(i18n, needs.offer_note)}</label>
                            <input id=format!("offer-note-{id}") name="note" type="text" />
                        </div>
                        <div class="form__actions"><Submit label=tr!(i18n, needs.make_offer) pending=actions.offer.pending() /></div>
                    </ActionForm>
                }.into_any()
            }}
        </li>
    }
}

#[component]
fn PostForm(post: ServerAction<PostNeed>) -> impl IntoView {
    let i18n = use_i18n();
    let error = action_error(post);
    view! {
        <section class="panel panel--wide" aria-labelledby="h-post">
            <h2 id="h-post">{t!(i18n, needs.post_title)}</h2>
            <ActionForm action=post attr:class="form" attr:novalidate="">
                <FormError error fields=&["title", "product", "standard", "quantity", "deadline", "budget", "visibility"] />
                <Field name="title" within="form" required=true label=tr!(i18n, needs.what) error />
                <Field name="product" within="form" label=tr!(i18n, needs.product) error />
                <Field name="standard" within="form" label=tr!(i18n, needs.standard_if_known) hint=tr!(i18n, services.standard_hint) error />
                <Field name="quantity" within="form" label=tr!(i18n, needs.quantity) error />
                <Field name="deadline" within="form" kind="date" required=true label=tr!(i18n, needs.deadline) error />
                <Field name="budget" within="form" label=tr!(i18n, needs.budget_yuan) error />
                <div class="field">
                    <label for="field-visibility">{t!(i18n, needs.visibility)}</label>
                    <select id="field-visibility" name="form[visibility]">
                        {Visibility::ALL.iter().map(|v| {
                            let v = *v;
                            view! { <option value=v.as_str()>{move || match v {
                                Visibility::Zone => t_string!(i18n, needs.visible_zone),
                                Visibility::All => t_string!(i18n, needs.visible_all),
                            }}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="form__actions"><Submit label=tr!(i18n, needs.post) pending=post.pending() /></div>
            </ActionForm>
        </section>
    }
}
