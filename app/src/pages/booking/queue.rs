//! The institution's side: its tabs and the queue of requests waiting for a decision.

use super::{offset, span};
use crate::api::booking::*;
use crate::components::data::page_resource;
use crate::components::error_view::Loaded;
use crate::components::forms::{action_error, error_text};
use crate::domain::booking::BookingRow;
use crate::i18n::*;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The sections of "my institution".
#[component]
pub fn InstitutionTabs() -> impl IntoView {
    let i18n = use_i18n();
    let location = leptos_router::hooks::use_location();
    let current =
        move |path: &'static str| move || (location.pathname.get() == path).then_some("page");
    view! {
        <nav class="tabs" aria-label=move || t_string!(i18n, nav.institution)>
            <a href="/institution/requests" aria-current=current("/institution/requests")>{t!(i18n, queue.tab)}</a>
            <a href="/institution/resources" aria-current=current("/institution/resources")>{t!(i18n, editor.tab)}</a>
            <a href="/institution/services" aria-current=current("/institution/services")>{t!(i18n, manage_services.tab)}</a>
            <a href="/institution/members" aria-current=current("/institution/members")>{t!(i18n, admin.members_title)}</a>
            <a href="/institution/report" aria-current=current("/institution/report")>{t!(i18n, report.institution_title)}</a>
        </nav>
    }
}

#[component]
pub fn InstitutionRequestsPage() -> impl IntoView {
    let i18n = use_i18n();
    let q = use_query_map();
    let decide = ServerAction::<DecideBooking>::new();
    let outcome = ServerAction::<RecordOutcome>::new();
    let institution = move || {
        q.get()
            .get("institution")
            .and_then(|v| v.parse::<i64>().ok())
    };
    let queue = page_resource(
        move || {
            (
                institution(),
                decide.version().get(),
                outcome.version().get(),
            )
        },
        |(id, _, _)| institution_queue(id),
    );
    view! {
        <Title text=t_string!(i18n, queue.title).to_string() />
        <h1>{t!(i18n, queue.title)}</h1>
        <InstitutionTabs />
        <Loaded resource=queue view=move |qv| view! { <QueueView qv decide outcome /> } />
    }
}

#[component]
fn QueueView(
    qv: crate::domain::booking::InstitutionQueue,
    decide: ServerAction<DecideBooking>,
    outcome: ServerAction<RecordOutcome>,
) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    let off = offset(qv.utc_offset_seconds);
    let decide_error = action_error(decide);
    let outcome_error = action_error(outcome);
    let name = qv.name.clone();
    let who = move |r: &BookingRow| {
        let org = r.organisation.clone();
        let booker = r.booker_name.clone();
        move || format!("{} · {}", booker, org.pick(english()))
    };
    let resource = move |r: &BookingRow| {
        let n = r.resource_name.clone();
        move || n.pick(english()).to_string()
    };
    view! {
        <p class="lead">{move || name.pick(english()).to_string()}</p>
        <div class="notice notice--error" role="alert" hidden=move || decide_error.get().is_none() && outcome_error.get().is_none()>
            <p>{move || decide_error.get().or(outcome_error.get()).map(|e| error_text(i18n, &e))}</p>
        </div>
        <section class="panel panel--wide" aria-labelledby="h-pending">
            <h2 id="h-pending">{t!(i18n, queue.pending)}" ("{qv.pending.len()}")"</h2>
            {if qv.pending.is_empty() {
                view! { <p class="muted">{t!(i18n, queue.no_pending)}</p> }.into_any()
            } else {
                view! {
                    <ul class="requests" data-testid="pending">
                        {qv.pending.into_iter().map(|r| view! {
                            <li class="request" data-booking=r.id.0>
                                <p><a href=format!("/bookings/{}", r.id)>{format!("#{}", r.id)}</a>" "
                                    <strong>{resource(&r)}</strong>" · "{move || span(i18n, r.starts_at, r.ends_at, off)}</p>
                                <p class="muted">{who(&r)}" · "{r.purpose.clone()}" · "{r.price.display()}</p>
                                <div class="request__actions">
                                    <ActionForm action=decide attr:class="inline-form">
                                        <input type="hidden" name="booking" value=r.id.0 />
                                        <input type="hidden" name="decision" value="approve" />
                                        <button type="submit" class="button button--primary">{t!(i18n, queue.approve)}</button>
                                    </ActionForm>
                                    <ActionForm action=decide attr:class="form form--inline">
                                        <input type="hidden" name="booking" value=r.id.0 />
                                        <input type="hidden" name="decision" value="reject" />
                                        <div class="field">
                                            <label for=format!("reject-{}", r.id)>{t!(i18n, queue.reject_reason)}</label>
                                            <input id=format!("reject-{}", r.id) name="reason" required />
                                        </div>
                                        <button type="submit" class="button">{t!(i18n, queue.reject)}</button>
                                    </ActionForm>
                                </div>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <section class="panel panel--wide" aria-labelledby="h-coming">
            <h2 id="h-coming">{t!(i18n, queue.upcoming)}" ("{qv.upcoming.len()}")"</h2>
            <div class="table-wrap" tabindex="0"><table class="table" data-testid="upcoming">
                <thead><tr><th scope="col">{t!(i18n, booking.number)}</th><th scope="col">{t!(i18n, booking.time)}</th>
                    <th scope="col">{t!(i18n, booking.resource)}</th><th scope="col">{t!(i18n, booking.booker)}</th></tr></thead>
                <tbody>{qv.upcoming.into_iter().map(|r| view! {
                    <tr><td><a href=format!("/bookings/{}", r.id)>{format!("#{}", r.id)}</a></td>
                        <td>{move || span(i18n, r.starts_at, r.ends_at, off)}</td><td>{resource(&r)}</td><td>{who(&r)}</td></tr>
                }).collect_view()}</tbody>
            </table></div>
        </section>
        <section class="panel panel--wide" aria-labelledby="h-record">
            <h2 id="h-record">{t!(i18n, queue.to_record)}" ("{qv.to_record.len()}")"</h2>
            <div class="table-wrap" tabindex="0"><table class="table" data-testid="to-record">
                <thead><tr><th scope="col">{t!(i18n, booking.number)}</th><th scope="col">{t!(i18n, booking.time)}</th>
                    <th scope="col">{t!(i18n, booking.resource)}</th><th scope="col">{t!(i18n, booking.booker)}</th>
                    <th scope="col"><span class="visually-hidden">{t!(i18n, booking.actions)}</span></th></tr></thead>
                <tbody>{qv.to_record.into_iter().map(|r| view! {
                    <tr data-booking=r.id.0><td><a href=format!("/bookings/{}", r.id)>{format!("#{}", r.id)}</a></td>
                        <td>{move || span(i18n, r.starts_at, r.ends_at, off)}</td><td>{resource(&r)}</td><td>{who(&r)}</td>
                        <td>
                            <ActionForm action=outcome attr:class="inline-form">
                                <input type="hidden" name="booking" value=r.id.0 />
                                <input type="hidden" name="outcome" value="completed" />
                                <button type="submit" class="button button--quiet">{t!(i18n, queue.completed)}</button>
                            </ActionForm>
                            <ActionForm action=outcome attr:class="inline-form">
                                <input type="hidden" name="booking" value=r.id.0 />
                                <input type="hidden" name="outcome" value="no_show" />
                                <button type="submit" class="button button--quiet">{t!(i18n, queue.no_show)}</button>
                            </ActionForm>
                        </td></tr>
                }).collect_view()}</tbody>
            </table></div>
        </section>
    }
}
