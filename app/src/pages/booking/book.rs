//! Book a slot: the form with the rules' verdict and the quote before confirming.

use super::{at, offset, span, violation_text};
use crate::api::booking::*;
use crate::api::catalogue::get_resource;
use crate::components::data::page_resource;
use crate::components::error_view::ErrorView;
use crate::components::format::duration;
use crate::components::format::{book_href, category_label, local_input};
use crate::components::forms::{action_error, error_text, Field, FormError, Submit};
use crate::components::query::use_route_id;
use crate::domain::booking::Quote;
use crate::domain::catalogue::ResourceDetail;
use crate::domain::rules::BookingRules;
use crate::domain::schedule::OpeningHours;
use crate::domain::vocabulary::ResourceStatus;
use crate::error::AppError;
use crate::i18n::*;
use chrono::FixedOffset;
use chrono::Utc;
use leptos::form::ActionForm;
use leptos::html::Input;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

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
    let route_id = use_route_id();
    let id = move || route_id().unwrap_or_default();
    let q = use_query_map();
    let detail = page_resource(id, |id| get_resource(id, None));
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
