//! My bookings: upcoming, past and cancelled, with a cancel beside each upcoming one.

use super::{offset, span, BookingStatusBadge};
use crate::api::booking::*;
use crate::components::data::page_resource;
use crate::components::error_view::Loaded;
use crate::components::forms::{action_error, error_text};
use crate::domain::booking::{BookingRow, MyBookings};
use crate::i18n::*;
use chrono::FixedOffset;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn MyBookingsPage() -> impl IntoView {
    let i18n = use_i18n();
    let cancel = ServerAction::<CancelBooking>::new();
    let page = page_resource(move || cancel.version().get(), |_| list_my_bookings());
    view! {
        <Title text=t_string!(i18n, booking.mine).to_string() />
        <h1>{t!(i18n, booking.mine)}</h1>
        <Loaded resource=page view=move |p| view! { <MyBookingsView p cancel /> } />
    }
}

#[component]
fn MyBookingsView(p: MyBookings, cancel: ServerAction<CancelBooking>) -> impl IntoView {
    let i18n = use_i18n();
    let off = offset(p.utc_offset_seconds);
    let error = action_error(cancel);
    let section = move |title: Signal<String>, rows: Vec<BookingRow>, id: &'static str| {
        view! {
            <section class="panel panel--wide" aria-labelledby=id>
                <h2 id=id>{move || title.get()}" ("{rows.len()}")"</h2>
                {if rows.is_empty() {
                    view! { <p class="muted">{t!(i18n, booking.none)}</p> }.into_any()
                } else {
                    view! { <BookingTable rows offset=off cancel /> }.into_any()
                }}
            </section>
        }
    };
    view! {
        <div class="notice notice--error" role="alert" hidden=move || error.get().is_none()>
            <p>{move || error.get().map(|e| error_text(i18n, &e))}</p>
        </div>
        {p.upcoming.is_empty().then(|| view! {
            <div class="empty-state"><p>{t!(i18n, booking.empty)}" "<a href="/free">{t!(i18n, nav.free)}</a></p></div>
        })}
        {section(tr!(i18n, booking.upcoming), p.upcoming, "h-upcoming")}
        {section(tr!(i18n, booking.past), p.past, "h-past")}
        {section(tr!(i18n, booking.cancelled), p.cancelled, "h-cancelled")}
    }
}

#[component]
fn BookingTable(
    rows: Vec<BookingRow>,
    offset: FixedOffset,
    cancel: ServerAction<CancelBooking>,
) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    view! {
        <div class="table-wrap" tabindex="0"><table class="table" data-testid="bookings">
            <thead><tr>
                <th scope="col">{t!(i18n, booking.number)}</th>
                <th scope="col">{t!(i18n, booking.resource)}</th>
                <th scope="col">{t!(i18n, booking.time)}</th>
                <th scope="col">{t!(i18n, booking.state)}</th>
                <th scope="col">{t!(i18n, booking.price)}</th>
                <th scope="col"><span class="visually-hidden">{t!(i18n, booking.actions)}</span></th>
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|r| {
                    let (name, inst) = (r.resource_name.clone(), r.institution.clone());
                    view! {
                        <tr data-booking=r.id.0>
                            <td><a href=format!("/bookings/{}", r.id)>{format!("#{}", r.id)}</a></td>
                            <td><a href=format!("/resources/{}", r.resource)>{move || name.pick(english()).to_string()}</a>
                                <br /><span class="muted">{move || inst.pick(english()).to_string()}</span></td>
                            <td>{move || span(i18n, r.starts_at, r.ends_at, offset)}</td>
                            <td><BookingStatusBadge status=r.status /></td>
                            <td>{r.price.display()}</td>
                            <td>{r.can_cancel.then(|| view! {
                                <ActionForm action=cancel attr:class="inline-form">
                                    <input type="hidden" name="booking" value=r.id.0 />
                                    <button type="submit" class="button button--quiet">{t!(i18n, booking.cancel)}</button>
                                </ActionForm>
                            })}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table></div>
    }
}
