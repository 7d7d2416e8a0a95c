//! Testing orders: `/orders` lists those a person's organisation placed and those sent to the
//! institutions they run; `/orders/:id` shows one with its history and the steps the reader
//! may take next (the server decides them from the order's state and the reader's side).

use crate::api::services::*;
use crate::components::data::page_resource;
use crate::components::error_view::Loaded;
use crate::components::format::{
    category_label, delivery_label, full_date, moment, order_action, order_status,
};
use crate::components::forms::{action_error, Done, Field, FormError, Submit};
use crate::components::query::use_route_id;
use crate::domain::ids::ResourceId;
use crate::domain::services::{
    HeldTime, OrderAction, OrderDetail, OrderRow, OrderStatus, OrdersPage as Page,
};
use crate::domain::vocabulary::Named;
use crate::i18n::*;
use chrono::{DateTime, FixedOffset, Utc};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

macro_rules! tr {
    ($i18n:ident, $($key:tt)+) => {
        Signal::derive(move || t_string!($i18n, $($key)+).to_string())
    };
}

fn offset(seconds: i32) -> FixedOffset {
    FixedOffset::east_opt(seconds).unwrap_or(FixedOffset::east_opt(0).expect("zero offset"))
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

#[component]
fn OrderStatusBadge(status: OrderStatus) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <span class=format!("badge badge--order-{}", status.as_str()) data-status=status.as_str()>
            {move || order_status(i18n, status)}
        </span>
    }
}

#[component]
pub fn OrdersPage() -> impl IntoView {
    let i18n = use_i18n();
    let data = page_resource(|| (), |_| my_orders());
    view! {
        <Title text=t_string!(i18n, orders.title).to_string() />
        <h1>{t!(i18n, orders.title)}</h1>
        <p><a href="/services">{t!(i18n, orders.find_service)}</a></p>
        <Loaded resource=data view=move |p| view! { <Orders p /> } />
    }
}

#[component]
fn Orders(p: Page) -> impl IntoView {
    let i18n = use_i18n();
    let off = offset(p.utc_offset_seconds);
    let has_received = !p.received.is_empty();
    view! {
        <section class="panel panel--wide" aria-labelledby="h-placed">
            <h2 id="h-placed">{t!(i18n, orders.placed)}</h2>
            <OrderTable rows=p.placed off counterpart=false testid="placed-orders" />
        </section>
        {has_received.then(|| view! {
            <section class="panel panel--wide" aria-labelledby="h-received">
                <h2 id="h-received">{t!(i18n, orders.received)}</h2>
                <OrderTable rows=p.received off counterpart=true testid="received-orders" />
            </section>
        })}
    }
}

/// A list of orders; `counterpart`: show the customer (for the institution) instead of the
/// institution.
#[component]
fn OrderTable(
    rows: Vec<OrderRow>,
    off: FixedOffset,
    counterpart: bool,
    testid: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    if rows.is_empty() {
        return view! { <p class="muted">{t!(i18n, orders.none)}</p> }.into_any();
    }
    view! {
        <div class="table-wrap" tabindex="0"><table class="table" data-testid=testid>
            <thead><tr>
                <th scope="col">{t!(i18n, orders.number)}</th>
                <th scope="col">{t!(i18n, services.service)}</th>
                <th scope="col">{move || if counterpart { t_string!(i18n, orders.customer) } else { t_string!(i18n, services.institution) }}</th>
                <th scope="col" class="num">{t!(i18n, orders.samples)}</th>
                <th scope="col" class="num">{t!(i18n, orders.price)}</th>
                <th scope="col">{t!(i18n, orders.status)}</th>
                <th scope="col">{t!(i18n, orders.created)}</th>
            </tr></thead>
            <tbody>{rows.into_iter().map(|r| {
                let (service, other) = (r.service.clone(), if counterpart { r.customer.clone() } else { r.institution.clone() });
                let created = r.created_at;
                view! {
                    <tr data-order=r.id>
                        <td><a href=format!("/orders/{}", r.id)>{format!("#{}", r.id)}</a></td>
                        <td>{move || service.pick(english()).to_string()}</td>
                        <td>{move || other.pick(english()).to_string()}</td>
                        <td class="num">{r.samples}</td>
                        <td class="num">{r.price.display()}</td>
                        <td><OrderStatusBadge status=r.status /></td>
                        <td>{move || moment(i18n, at(created), off)}</td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table></div>
    }
    .into_any()
}

#[component]
pub fn OrderPage() -> impl IntoView {
    let i18n = use_i18n();
    let route_id = use_route_id();
    let act = ServerAction::<ActOnOrder>::new();
    let rate = ServerAction::<RateOrder>::new();
    let hold = ServerAction::<HoldOrderTime>::new();
    let release = ServerAction::<ReleaseOrderTime>::new();
    let data = page_resource(
        move || {
            (
                route_id(),
                act.version().get() + rate.version().get(),
                hold.version().get() + release.version().get(),
            )
        },
        |(id, _, _)| async move { get_order(id.ok_or(crate::error::AppError::NotFound)?).await },
    );
    view! {
        <Title text=t_string!(i18n, orders.title).to_string() />
        <p><a class="back-link" href="/orders">"← "{t!(i18n, orders.title)}</a></p>
        <Loaded resource=data view=move |d| view! { <OrderView d act rate hold release /> } />
    }
}

#[component]
fn OrderView(
    d: OrderDetail,
    act: ServerAction<ActOnOrder>,
    rate: ServerAction<RateOrder>,
    hold: ServerAction<HoldOrderTime>,
    release: ServerAction<ReleaseOrderTime>,
) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    let (held, hold_on) = (d.held.clone(), d.hold_on.clone());
    let q = use_query_map();
    let off = offset(d.utc_offset_seconds);
    let error = action_error(act);
    let rate_error = action_error(rate);
    let r = d.row.clone();
    let id = r.id;
    let placed = move || q.get().get("placed").as_deref() == Some("1");
    let done = move || q.get().get("done").as_deref() == Some("1");
    let report_error = move || q.get().get("report_error");
    let (service, institution, customer) =
        (r.service.clone(), r.institution.clone(), r.customer.clone());
    let (delivery, category) = (d.delivery, d.category);
    let promised = d.promised_days;
    let requested_by = d.requested_by;
    let steps: Vec<OrderAction> = d
        .actions
        .iter()
        .copied()
        .filter(|a| *a != OrderAction::IssueReport)
        .collect();
    let can_issue = d.actions.contains(&OrderAction::IssueReport);
    view! {
        <h1>{move || t_string!(i18n, orders.detail_title, id = id).to_string()}</h1>
        <Show when=placed><Done><p data-testid="order-placed">{t!(i18n, orders.placed_done)}</p></Done></Show>
        <Show when=done><Done><p>{t!(i18n, orders.done)}</p></Done></Show>
        <div class="notice notice--error" role="alert" hidden=move || report_error().is_none()>
            <p>{move || report_error().map(|k| crate::components::forms::validation_text(i18n, &k))}</p>
        </div>
        <div class="resource-layout">
            <section class="panel" aria-labelledby="h-order">
                <h2 id="h-order"><a href=format!("/services/{}", d.service_id)>{move || service.pick(english()).to_string()}</a></h2>
                <dl class="dl">
                    <div class="dl-row"><dt>{t!(i18n, orders.status)}</dt><dd data-testid="order-status"><OrderStatusBadge status=r.status /></dd></div>
                    <div class="dl-row"><dt>{t!(i18n, services.institution)}</dt><dd>{move || institution.pick(english()).to_string()}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, orders.customer)}</dt><dd>{format!("{} · ", d.requester)}{move || customer.pick(english()).to_string()}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, orders.samples)}</dt><dd>{format!("{} · {}", r.samples, d.sample_description)}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, services.delivery)}</dt><dd>{move || delivery_label(i18n, delivery)}{(!d.tracking_number.is_empty()).then(|| format!(" · {}", d.tracking_number))}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, orders.price)}</dt><dd data-testid="order-price">{r.price.display()}" ("{move || category_label(i18n, category)}")"</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, services.turnaround)}</dt><dd>{move || t_string!(i18n, services.working_days, days = promised).to_string()}</dd></div>
                    {requested_by.map(|day| view! {
                        <div class="dl-row"><dt>{t!(i18n, services.requested_by)}</dt><dd>{move || full_date(i18n, day)}</dd></div>
                    })}
                    <div class="dl-row"><dt>{t!(i18n, services.invoice_title)}</dt><dd>{format!("{} · {}", d.invoice_title, d.credit_code)}</dd></div>
                    {(!d.status_note.is_empty()).then(|| view! {
                        <div class="dl-row"><dt>{t!(i18n, orders.note)}</dt><dd>{d.status_note.clone()}</dd></div>
                    })}
                    <div class="dl-row"><dt>{t!(i18n, orders.report)}</dt><dd>{match d.report.clone() {
                        Some(name) => view! { <a href=format!("/orders/{id}/report") data-testid="report-link" rel="external">{move || t_string!(i18n, orders.report_download, name = name.clone()).to_string()}</a> }.into_any(),
                        None => view! { <span class="muted">{t!(i18n, orders.report_none)}</span> }.into_any(),
                    }}</dd></div>
                    {d.rating.clone().map(|(stars, comment)| view! {
                        <div class="dl-row"><dt>{t!(i18n, orders.rate)}</dt><dd>{move || t_string!(i18n, orders.rated, rating = stars).to_string()}{(!comment.is_empty()).then(|| format!(" · {comment}"))}</dd></div>
                    })}
                </dl>
                {(!steps.is_empty()).then(|| view! {
                    <h3>{t!(i18n, orders.actions)}</h3>
                    <FormError error fields=&[] />
                    {steps.into_iter().map(|action| view! { <Step id action act /> }).collect_view()}
                })}
                {can_issue.then(|| view! {
                    <h3>{t!(i18n, orders.report_upload)}</h3>
                    <form class="form" method="post" action=format!("/orders/{id}/report") enctype="multipart/form-data">
                        <div class="field">
                            <label for="field-report">{t!(i18n, orders.report_file)}</label>
                            <input id="field-report" name="report" type="file" accept="application/pdf,.pdf" required />
                        </div>
                        <div class="form__actions"><button type="submit" class="button button--primary">{move || order_action(i18n, OrderAction::IssueReport)}</button></div>
                    </form>
                })}
                {d.can_rate.then(|| view! {
                    <h3>{t!(i18n, orders.rate)}</h3>
                    <ActionForm action=rate attr:class="form">
                        <FormError error=rate_error fields=&[] />
                        <input type="hidden" name="order" value=id />
                        <div class="field">
                            <label for="field-rating">{t!(i18n, orders.rating)}</label>
                            <select id="field-rating" name="rating">
                                {(1..=5).rev().map(|n| view! { <option value=n>{n}</option> }).collect_view()}
                            </select>
                        </div>
                        <div class="field">
                            <label for="field-comment">{t!(i18n, orders.comment)}</label>
                            <input id="field-comment" name="comment" type="text" />
                        </div>
                        <div class="form__actions"><Submit label=tr!(i18n, orders.rate) pending=rate.pending() /></div>
                    </ActionForm>
                })}
            </section>
            {(!held.is_empty() || !hold_on.is_empty()).then(|| view! { <HeldTimes id held hold_on off hold release /> })}
            <section class="panel" aria-labelledby="h-history">
                <h2 id="h-history">{t!(i18n, orders.history)}</h2>
                <ol class="history" data-testid="order-history">
                    {d.events.into_iter().map(|e| view! {
                        <li>
                            <span class="muted">{move || moment(i18n, at(e.at), off)}</span>" · "
                            {e.by.clone()}" · "
                            {move || match e.from { Some(f) => format!("{} → ", order_status(i18n, f)), None => String::new() }}
                            {move || order_status(i18n, e.to)}
                            {(!e.note.is_empty()).then(|| format!(" · {}", e.note))}
                        </li>
                    }).collect_view()}
                </ol>
            </section>
        </div>
    }
}

/// The instrument time held for the order, and for the institution a form to hold more on the
/// service's instruments (the time must be free: nobody's booking gives way to it).
#[component]
fn HeldTimes(
    id: i64,
    held: Vec<HeldTime>,
    hold_on: Vec<Named<ResourceId>>,
    off: FixedOffset,
    hold: ServerAction<HoldOrderTime>,
    release: ServerAction<ReleaseOrderTime>,
) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    let error = action_error(hold);
    let release_error = action_error(release);
    let can_hold = !hold_on.is_empty();
    view! {
        <section class="panel" aria-labelledby="h-held" data-testid="held-time">
            <h2 id="h-held">{t!(i18n, orders.held)}</h2>
            {if held.is_empty() {
                view! { <p class="muted">{t!(i18n, orders.held_none)}</p> }.into_any()
            } else {
                view! {
                    <FormError error=release_error fields=&[] />
                    <ul class="history" data-testid="held-list">{held.into_iter().map(|h| {
                        let name = h.resource.name.clone();
                        view! {
                            <li data-hold=h.id>
                                <a href=format!("/resources/{}", h.resource.id.0)>{move || name.pick(english()).to_string()}</a>" · "
                                {move || format!("{} – {}", moment(i18n, at(h.starts_at), off), moment(i18n, at(h.ends_at), off))}
                                {can_hold.then(|| view! {
                                    <ActionForm action=release attr:class="inline-form">
                                        <input type="hidden" name="order" value=id />
                                        <input type="hidden" name="hold" value=h.id />
                                        <button type="submit" class="button button--quiet">{t!(i18n, orders.release)}</button>
                                    </ActionForm>
                                })}
                            </li>
                        }
                    }).collect_view()}</ul>
                }.into_any()
            }}
            {can_hold.then(|| view! {
                <h3>{t!(i18n, orders.hold)}</h3>
                <p class="field__hint">{t!(i18n, orders.hold_hint)}</p>
                <ActionForm action=hold attr:class="form" attr:novalidate="">
                    <FormError error fields=&["resource", "starts", "ends"] />
                    <input type="hidden" name="form[order]" value=id />
                    <div class="field">
                        <label for="field-resource">{t!(i18n, orders.hold_resource)}</label>
                        <select id="field-resource" name="form[resource]">
                            {hold_on.into_iter().map(|r| {
                                let name = r.name.clone();
                                view! { <option value=r.id.0>{move || name.pick(english()).to_string()}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                    <Field name="starts" within="form" kind="datetime-local" required=true label=tr!(i18n, orders.hold_starts) error />
                    <Field name="ends" within="form" kind="datetime-local" required=true label=tr!(i18n, orders.hold_ends) error />
                    <div class="form__actions"><Submit label=tr!(i18n, orders.hold) pending=hold.pending() /></div>
                </ActionForm>
            })}
        </section>
    }
}

/// One step the reader may take, as its own small form: a note where the other side must be
/// told why, a price for a quote.
#[component]
fn Step(id: i64, action: OrderAction, act: ServerAction<ActOnOrder>) -> impl IntoView {
    let i18n = use_i18n();
    let note_id = format!("note-{}", action.as_str());
    let price_id = format!("quoted-{}", action.as_str());
    let needs_note = action.needs_note();
    let quote = action == OrderAction::Quote;
    let quiet = matches!(
        action,
        OrderAction::Cancel | OrderAction::Reject | OrderAction::DeclineQuote
    );
    view! {
        <ActionForm action=act attr:class="form form--inline" attr:data-action=action.as_str()>
            <input type="hidden" name="order" value=id />
            <input type="hidden" name="action" value=action.as_str() />
            {quote.then(|| view! {
                <div class="field">
                    <label for=price_id.clone()>{t!(i18n, orders.quote_price)}</label>
                    <input id=price_id.clone() name="quoted" type="text" inputmode="decimal" required />
                </div>
            })}
            {needs_note.then(|| view! {
                <div class="field">
                    <label for=note_id.clone()>{move || if quote { t_string!(i18n, orders.note_label) } else { t_string!(i18n, orders.reason_label) }}</label>
                    <input id=note_id.clone() name="note" type="text" required=!quote />
                </div>
            })}
            <div class="form__actions">
                <button type="submit" class=if quiet { "button button--quiet" } else { "button button--primary" }>{move || order_action(i18n, action)}</button>
            </div>
        </ActionForm>
    }
}
