//! One booking: its state, time, price, history, and rescheduling or cancelling it.

use super::{at, offset, span, status_label, BookingStatusBadge};
use crate::api::booking::*;
use crate::components::data::page_resource;
use crate::components::error_view::Loaded;
use crate::components::format::moment;
use crate::components::format::{category_label, local_input};
use crate::components::forms::{action_error, Field, FormError, Submit};
use crate::components::query::use_route_id;
use crate::domain::booking::BookingDetail;
use crate::domain::catalogue::BookingStatus;
use crate::error::AppError;
use crate::i18n::*;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn BookingPage() -> impl IntoView {
    let i18n = use_i18n();
    let route_id = use_route_id();
    let id = move || route_id().unwrap_or_default();
    let cancel = ServerAction::<CancelBooking>::new();
    let reschedule = ServerAction::<RescheduleBooking>::new();
    let detail = page_resource(
        move || (id(), cancel.version().get(), reschedule.version().get()),
        |(id, _, _)| get_booking(id),
    );
    view! {
        <Title text=t_string!(i18n, booking.detail_title).to_string() />
        <Loaded resource=detail view=move |d| view! { <BookingDetailView d cancel reschedule /> } />
    }
}

#[component]
fn BookingDetailView(
    d: BookingDetail,
    cancel: ServerAction<CancelBooking>,
    reschedule: ServerAction<RescheduleBooking>,
) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    let q = use_query_map();
    let off = offset(d.utc_offset_seconds);
    let error = action_error(cancel);
    let reschedule_error = action_error(reschedule);
    let r = d.row.clone();
    let fresh = move || q.get().get("new").as_deref() == Some("1");
    let pending = r.status == BookingStatus::Pending;
    let (name, inst, org) = (
        r.resource_name.clone(),
        r.institution.clone(),
        r.organisation.clone(),
    );
    view! {
        <p><a class="back-link" href="/bookings">"← "{t!(i18n, booking.mine)}</a></p>
        <h1>{move || t_string!(i18n, booking.detail_heading, id = r.id.0).to_string()}</h1>
        <Show when=fresh>
            <div class="notice notice--success" role="status" data-testid="booked">
                <p>{move || if pending { t_string!(i18n, booking.done_pending) } else { t_string!(i18n, booking.done_confirmed) }}</p>
            </div>
        </Show>
        <div class="resource-layout">
            <section class="panel" aria-labelledby="h-booking">
                <h2 id="h-booking">{move || name.pick(english()).to_string()}</h2>
                <dl class="dl">
                    <div class="dl-row"><dt>{t!(i18n, booking.state)}</dt><dd><BookingStatusBadge status=r.status /></dd></div>
                    <div class="dl-row"><dt>{t!(i18n, booking.time)}</dt><dd data-testid="booking-time">{move || span(i18n, r.starts_at, r.ends_at, off)}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, booking.institution)}</dt><dd>{move || inst.pick(english()).to_string()}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, booking.booker)}</dt><dd>{format!("{} · ", r.booker_name)}{move || org.pick(english()).to_string()}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, booking.price)}</dt><dd>{r.price.display()}" ("{move || category_label(i18n, d.customer_category)}")"</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, booking.purpose)}</dt><dd>{r.purpose.clone()}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, booking.samples)}</dt><dd>{format!("{} ({})", d.sample_description, d.sample_count)}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, account.phone)}</dt><dd>{d.contact_phone.clone()}</dd></div>
                    {(!d.status_reason.is_empty()).then(|| view! {
                        <div class="dl-row"><dt>{t!(i18n, booking.reason)}</dt><dd>{d.status_reason.clone()}</dd></div>
                    })}
                </dl>
                {r.can_cancel.then(|| {
                    let (starts, ends) = (local_input(at(r.starts_at), off), local_input(at(r.ends_at), off));
                    view! {
                        <h3>{t!(i18n, booking.reschedule_title)}</h3>
                        <ActionForm action=reschedule attr:class="form form--inline" attr:novalidate="">
                            <FormError error=reschedule_error fields=&["starts", "ends"] />
                            <input type="hidden" name="booking" value=r.id.0 />
                            <div class="field">
                                <label for="move-starts">{t!(i18n, booking.starts)}</label>
                                <input id="move-starts" name="starts" type="datetime-local" required value=starts />
                            </div>
                            <div class="field">
                                <label for="move-ends">{t!(i18n, booking.ends)}</label>
                                <input id="move-ends" name="ends" type="datetime-local" required value=ends />
                            </div>
                            <div class="form__actions"><Submit label=tr!(i18n, booking.reschedule) pending=reschedule.pending() /></div>
                        </ActionForm>
                        {move || match reschedule_error.get() {
                            Some(AppError::Conflict { alternatives } | AppError::Refused { alternatives, .. }) if !alternatives.is_empty() => {
                                view! { <p class="muted">{t!(i18n, booking.alternatives)}" "{alternatives.iter().map(|(a, b)| span(i18n, *a, *b, off)).collect::<Vec<_>>().join("; ")}</p> }.into_any()
                            }
                            _ => ().into_any(),
                        }}
                    }
                })}
                {r.can_cancel.then(|| view! {
                    <h3>{t!(i18n, booking.cancel_title)}</h3>
                    <ActionForm action=cancel attr:class="form" attr:novalidate="">
                        <FormError error fields=&["reason"] />
                        <input type="hidden" name="booking" value=r.id.0 />
                        <Field name="reason" label=tr!(i18n, booking.reason) error />
                        <div class="form__actions"><Submit label=tr!(i18n, booking.cancel) pending=cancel.pending() /></div>
                    </ActionForm>
                })}
            </section>
            <section class="panel" aria-labelledby="h-history">
                <h2 id="h-history">{t!(i18n, booking.history)}</h2>
                <ol class="history" data-testid="history">
                    {d.history.into_iter().map(|e| view! {
                        <li>
                            <span class="muted">{move || moment(i18n, at(e.at), off)}</span>" · "
                            {e.actor.clone()}" · "
                            {move || match e.from { Some(f) => format!("{} → ", status_label(i18n, f)), None => String::new() }}
                            {move || status_label(i18n, e.to)}
                            {(!e.reason.is_empty()).then(|| format!(" · {}", e.reason))}
                        </li>
                    }).collect_view()}
                </ol>
            </section>
        </div>
    }
}
