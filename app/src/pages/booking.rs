//! Booking pages: book a slot (with the quote and the rules' verdict before confirming), my
//! bookings, and a booking's detail with its history.

use crate::api::booking::*;
use crate::api::catalogue::get_resource;
use crate::components::error_view::{ErrorView, Loaded};
use crate::components::format::{book_href, category_label, duration, local_input, moment};
use crate::components::forms::{action_error, error_text, Field, FormError, Submit};
use crate::domain::booking::{BookingDetail, BookingRow, MyBookings, Quote};
use crate::domain::catalogue::{BookingStatus, ResourceDetail};
use crate::domain::rules::{BookingRules, RuleViolation};
use crate::domain::schedule::OpeningHours;
use crate::domain::vocabulary::ResourceStatus;
use crate::error::AppError;
use crate::i18n::*;
use chrono::{DateTime, FixedOffset, Utc};
use leptos::form::ActionForm;
use leptos::html::Input;
use leptos::prelude::*;
use leptos_i18n::I18nContext;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

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

fn span(i18n: I18nContext<Locale>, from: i64, to: i64, off: FixedOffset) -> String {
    let (a, b) = (at(from).with_timezone(&off), at(to).with_timezone(&off));
    let end = if a.date_naive() == b.date_naive() {
        b.format("%H:%M").to_string()
    } else {
        moment(i18n, at(to), off)
    };
    format!("{} – {end}", moment(i18n, at(from), off))
}

pub fn status_label(i18n: I18nContext<Locale>, status: BookingStatus) -> &'static str {
    match status {
        BookingStatus::Pending => t_string!(i18n, booking.status.pending),
        BookingStatus::Confirmed => t_string!(i18n, booking.status.confirmed),
        BookingStatus::Rejected => t_string!(i18n, booking.status.rejected),
        BookingStatus::Expired => t_string!(i18n, booking.status.expired),
        BookingStatus::Cancelled => t_string!(i18n, booking.status.cancelled),
        BookingStatus::Completed => t_string!(i18n, booking.status.completed),
        BookingStatus::NoShow => t_string!(i18n, booking.status.no_show),
    }
}

#[component]
fn BookingStatusBadge(status: BookingStatus) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <span class=format!("badge badge--booking-{}", status.as_str()) data-status=status.as_str()>
            {move || status_label(i18n, status)}
        </span>
    }
}

/// What a rule refusal says, in the reader's language.
pub fn violation_text(i18n: I18nContext<Locale>, v: RuleViolation) -> String {
    match v {
        RuleViolation::NotAvailable(_) => t_string!(i18n, booking.rule.not_available).to_string(),
        RuleViolation::NotAllowed(_) => t_string!(i18n, booking.rule.not_allowed).to_string(),
        RuleViolation::Granularity(m) => {
            t_string!(i18n, booking.rule.granularity, step = duration(i18n, m)).to_string()
        }
        RuleViolation::TooShort(m) => {
            t_string!(i18n, booking.rule.too_short, min = duration(i18n, m)).to_string()
        }
        RuleViolation::TooLong(m) => {
            t_string!(i18n, booking.rule.too_long, max = duration(i18n, m)).to_string()
        }
        RuleViolation::NoticeTooShort(m) => {
            t_string!(i18n, booking.rule.notice, min = duration(i18n, m)).to_string()
        }
        RuleViolation::TooFarAhead(d) => {
            t_string!(i18n, booking.rule.too_far, days = d).to_string()
        }
        RuleViolation::OutsideOpeningHours => t_string!(i18n, booking.rule.closed).to_string(),
        RuleViolation::Taken => t_string!(i18n, booking.rule.taken).to_string(),
        RuleViolation::ActiveLimit {
            organisation: false,
            limit,
        } => t_string!(i18n, booking.rule.active_limit, limit = limit).to_string(),
        RuleViolation::ActiveLimit {
            organisation: true,
            limit,
        } => t_string!(i18n, booking.rule.active_limit_organisation, limit = limit).to_string(),
        RuleViolation::WeekLimit {
            organisation: false,
            minutes,
        } => t_string!(
            i18n,
            booking.rule.week_limit,
            time = duration(i18n, minutes)
        )
        .to_string(),
        RuleViolation::WeekLimit {
            organisation: true,
            minutes,
        } => t_string!(
            i18n,
            booking.rule.week_limit_organisation,
            time = duration(i18n, minutes)
        )
        .to_string(),
    }
}

/// "What would work instead": links that fill the form with each nearby free slot.
#[component]
fn Alternatives(
    resource: i64,
    alternatives: Vec<(i64, i64)>,
    offset: FixedOffset,
) -> impl IntoView {
    let i18n = use_i18n();
    if alternatives.is_empty() {
        return ().into_any();
    }
    view! {
        <p>{t!(i18n, booking.alternatives)}</p>
        <ul class="free-list" data-testid="alternatives">
            {alternatives.into_iter().map(|(a, b)| view! {
                <li><a href=book_href(resource, at(a), at(b), offset)>{move || span(i18n, a, b, offset)}</a></li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
pub fn BookPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || {
        params
            .get()
            .get("id")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or_default()
    };
    let q = use_query_map();
    let detail = Resource::new(id, |id| get_resource(id, None));
    view! {
        <Title text=t_string!(i18n, booking.book_title).to_string() />
        <Suspense fallback=move || view! { <p class="muted">{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => {
                        let (starts, ends) = initial_times(&d, |key| q.get_untracked().get(key));
                        // The quote of the times shown comes with the page: the island starts
                        // from it and asks again only when the times change.
                        let quote = if starts.is_empty() || ends.is_empty() {
                            Err(AppError::validation("starts", "time_invalid"))
                        } else {
                            quote_booking(d.summary.id.0, starts.clone(), ends.clone()).await
                        };
                        view! { <BookForm d starts ends quote /> }.into_any()
                    }
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The times the form starts with: those typed into a refused form, else those asked for in the
/// URL, else the week's first free window at the shortest allowed length.
fn initial_times(d: &ResourceDetail, query: impl Fn(&str) -> Option<String>) -> (String, String) {
    let off = offset(d.utc_offset_seconds);
    let default = d.week.free_windows.first().map(|w| {
        let end = w.start() + chrono::Duration::minutes(d.rules.min_duration_minutes);
        (
            local_input(w.start(), off),
            local_input(end.min(w.end()), off),
        )
    });
    let initial = |key: &str, fallback: Option<String>| {
        crate::components::forms::kept_value(key)
            .or_else(|| query(key))
            .filter(|v| !v.is_empty())
            .or(fallback)
            .unwrap_or_default()
    };
    (
        initial("starts", default.as_ref().map(|d| d.0.clone())),
        initial("ends", default.map(|d| d.1)),
    )
}

/// The booking page's server-rendered frame: where the booking is for, then the form.
#[component]
fn BookForm(
    d: ResourceDetail,
    starts: String,
    ends: String,
    quote: Result<Quote, AppError>,
) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    let location = leptos_router::hooks::use_location();
    let resource = d.summary.id.0;
    let here = format!(
        "{}?{}",
        location.pathname.get_untracked(),
        location.search.get_untracked()
    );
    let (name, institution) = (d.summary.name.clone(), d.summary.institution.name.clone());
    view! {
        <p><a class="back-link" href=format!("/resources/{resource}")>"← "{move || name.pick(english()).to_string()}</a></p>
        <h1>{t!(i18n, booking.book_title)}</h1>
        <p class="lead">{let n = d.summary.name.clone(); move || format!("{} · {}", n.pick(english()), institution.pick(english()))}</p>
        <BookingForm resource rules=d.rules hours=d.opening_hours status=d.summary.status
            utc_offset_seconds=d.utc_offset_seconds starts ends quote here />
    }
}

/// The booking form and its quote: an island, so the browser checks the rules and asks for the
/// quote as the times change. Before (or without) the wasm it is a plain form the server answers.
#[island]
fn BookingForm(
    resource: i64,
    rules: BookingRules,
    hours: OpeningHours,
    status: ResourceStatus,
    utc_offset_seconds: i32,
    starts: String,
    ends: String,
    /// The server's quote for `starts`–`ends`.
    quote: Result<Quote, AppError>,
    /// This page's address, for the sign-in link when the quote needs a signed-in person.
    here: String,
) -> impl IntoView {
    let i18n = use_i18n();
    let off = offset(utc_offset_seconds);
    let starts = RwSignal::new(starts);
    let ends = RwSignal::new(ends);
    // Times typed before the wasm arrived are in the inputs, not in the signals: read them once
    // the island wakes, so the checks answer what the person sees rather than the page's default.
    let (starts_input, ends_input) = (NodeRef::<Input>::new(), NodeRef::<Input>::new());
    Effect::new(move || {
        for (input, value) in [(starts_input, starts), (ends_input, ends)] {
            if let Some(typed) = input.get().map(|el| el.value()) {
                if typed != value.get_untracked() {
                    value.set(typed);
                }
            }
        }
    });
    // The quote follows the times: asked again in the browser when they change, the latest
    // question's answer kept (an earlier, slower answer is dropped).
    let quote = RwSignal::new(quote);
    let asked = StoredValue::new((starts.get_untracked(), ends.get_untracked(), 0u64));
    Effect::new(move || {
        let (s, e) = (starts.get(), ends.get());
        let (last_s, last_e, n) = asked.get_value();
        if (s.as_str(), e.as_str()) == (last_s.as_str(), last_e.as_str()) {
            return;
        }
        let n = n + 1;
        asked.set_value((s.clone(), e.clone(), n));
        leptos::task::spawn_local(async move {
            let answer = if s.is_empty() || e.is_empty() {
                Err(AppError::validation("starts", "time_invalid"))
            } else {
                quote_booking(resource, s, e).await
            };
            if asked.get_value().2 == n {
                quote.set(answer);
            }
        });
    });
    let action = ServerAction::<Book>::new();
    let error = action_error(action);
    Effect::new(move || {
        if let Some(Ok(booked)) = action.value().get() {
            crate::components::forms::reload_to(&format!("/bookings/{}?new=1", booked.id));
        }
    });
    // Instant feedback in the browser from the same rule code the server runs: step, length,
    // notice and opening hours. What depends on others (taken times, who may book, the price)
    // comes with the server's quote beside it.
    let instant = {
        let rules = rules.clone();
        move || {
            let parse = |raw: String| {
                chrono::NaiveDateTime::parse_from_str(&raw, "%Y-%m-%dT%H:%M")
                    .ok()
                    .and_then(|t| t.and_local_timezone(off).single())
                    .map(|t| t.with_timezone(&Utc))
            };
            let (Some(from), Some(to)) = (parse(starts.get()), parse(ends.get())) else {
                return Vec::new();
            };
            let Ok(slot) = crate::domain::time::TimeSlot::new(from, to) else {
                return Vec::new();
            };
            let situation = crate::domain::rules::Situation {
                tz: &off,
                now: Utc::now(),
                status,
                hours: &hours,
                closed_days: &[],
                taken: &[],
            };
            rules.check(
                &situation,
                crate::domain::rules::Relation::OwnInstitution,
                &slot,
            )
        }
    };
    let sign_in = format!(
        "/sign-in?next={}",
        crate::components::layout::urlencode(&here)
    );
    view! {
        <div class="resource-layout">
            <section class="panel" aria-labelledby="h-slot">
                <h2 id="h-slot">{t!(i18n, booking.your_booking)}</h2>
                <ActionForm action attr:class="form" attr:novalidate="">
                    <FormError error fields=&["starts", "ends", "purpose", "sample_description", "sample_count", "contact_phone"] />
                    <input type="hidden" name="resource" value=resource />
                    <div class="field">
                        <label for="field-starts">{t!(i18n, booking.starts)}<span class="required" aria-hidden="true">" *"</span></label>
                        <input id="field-starts" name="starts" type="datetime-local" required
                            step=rules.slot_minutes * 60 value=starts.get_untracked() node_ref=starts_input
                            on:change=move |ev| starts.set(event_target_value(&ev)) />
                    </div>
                    <div class="field">
                        <label for="field-ends">{t!(i18n, booking.ends)}<span class="required" aria-hidden="true">" *"</span></label>
                        <input id="field-ends" name="ends" type="datetime-local" required
                            step=rules.slot_minutes * 60 value=ends.get_untracked() node_ref=ends_input
                            on:change=move |ev| ends.set(event_target_value(&ev)) />
                        <p class="field__hint">{move || t_string!(i18n, booking.length_hint,
                            step = duration(i18n, rules.slot_minutes),
                            min = duration(i18n, rules.min_duration_minutes),
                            max = duration(i18n, rules.max_duration_minutes)).to_string()}</p>
                    </div>
                    <Field name="purpose" label=tr!(i18n, booking.purpose) required=true error />
                    <Field name="sample_description" label=tr!(i18n, booking.samples) error />
                    <Field name="sample_count" kind="number" label=tr!(i18n, booking.sample_count) value="0" error />
                    <Field name="contact_phone" kind="tel" label=tr!(i18n, account.phone) required=true autocomplete="tel" error />
                    <div class="form__actions">
                        <Submit label=tr!(i18n, booking.confirm) pending=action.pending() />
                    </div>
                </ActionForm>
                {move || match error.get() {
                    Some(AppError::Conflict { alternatives } | AppError::Refused { alternatives, .. }) => {
                        view! { <Alternatives resource alternatives offset=off /> }.into_any()
                    }
                    _ => ().into_any(),
                }}
            </section>
            <section class="panel" aria-labelledby="h-quote" aria-live="polite">
                <h2 id="h-quote">{t!(i18n, booking.quote)}</h2>
                {move || {
                    let broken = instant();
                    (!broken.is_empty()).then(|| view! {
                        <div class="notice notice--warning" data-testid="instant">
                            <ul>{broken.into_iter().map(|v| view! { <li>{move || violation_text(i18n, v)}</li> }).collect_view()}</ul>
                        </div>
                    })
                }}
                {move || {
                        match quote.get() {
                            Ok(q) => view! { <QuoteView q resource offset=off /> }.into_any(),
                            Err(AppError::NotSignedIn) => view! {
                                <div class="notice notice--error" role="alert">
                                    <p>{error_text(i18n, &AppError::NotSignedIn)}</p>
                                    <p><a class="button button--primary" href=sign_in.clone()>{t!(i18n, account.sign_in)}</a></p>
                                </div>
                            }.into_any(),
                            Err(e) => view! { <p class="muted">{error_text(i18n, &e)}</p> }.into_any(),
                        }
                }}
            </section>
        </div>
    }
}

#[component]
fn QuoteView(q: Quote, resource: i64, offset: FixedOffset) -> impl IntoView {
    let i18n = use_i18n();
    let ok = q.violations.is_empty();
    let violations = q.violations.clone();
    view! {
        <dl class="dl" data-testid="quote">
            <div class="dl-row"><dt>{t!(i18n, booking.length)}</dt><dd>{move || duration(i18n, q.minutes)}</dd></div>
            <div class="dl-row"><dt>{t!(i18n, booking.category)}</dt><dd>{move || category_label(i18n, q.category)}</dd></div>
            <div class="dl-row"><dt>{t!(i18n, booking.price)}</dt><dd class="price" data-testid="price">{q.price.display()}</dd></div>
            <div class="dl-row"><dt>{t!(i18n, booking.decision)}</dt><dd>{move || if q.approval_required {
                t_string!(i18n, booking.needs_approval)
            } else {
                t_string!(i18n, booking.instant)
            }}</dd></div>
        </dl>
        {if ok {
            view! { <p class="notice notice--success" data-testid="verdict">{t!(i18n, booking.bookable)}</p> }.into_any()
        } else {
            view! {
                <div class="notice notice--warning" data-testid="verdict">
                    <ul>{violations.into_iter().map(|v| view! { <li>{move || violation_text(i18n, v)}</li> }).collect_view()}</ul>
                </div>
                <Alternatives resource alternatives=q.alternatives.clone() offset />
            }.into_any()
        }}
    }
}

#[component]
pub fn MyBookingsPage() -> impl IntoView {
    let i18n = use_i18n();
    let cancel = ServerAction::<CancelBooking>::new();
    let page = Resource::new(move || cancel.version().get(), |_| list_my_bookings());
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

#[component]
pub fn BookingPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || {
        params
            .get()
            .get("id")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or_default()
    };
    let cancel = ServerAction::<CancelBooking>::new();
    let reschedule = ServerAction::<RescheduleBooking>::new();
    let detail = Resource::new(
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
    let queue = Resource::new(
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
