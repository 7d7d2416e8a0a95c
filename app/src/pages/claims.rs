//! `/zone/sign-ups`: a zone manager checks what people said at sign-up that changes prices or
//! access, and approves (all or part of it) or refuses. The server refuses anyone else.

use crate::api::account::{sign_up_claims, DecideClaim};
use crate::components::data::page_resource;
use crate::components::error_view::Loaded;
use crate::components::format::moment;
use crate::components::forms::{action_error, error_text, Done};
use crate::domain::account::{ClaimKind, ClaimsPage, StandingClaim};
use crate::i18n::*;
use chrono::{DateTime, FixedOffset};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_i18n::I18nContext;
use leptos_meta::Title;

fn at(seconds: i64) -> DateTime<chrono::Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

fn offset(seconds: i32) -> FixedOffset {
    FixedOffset::east_opt(seconds).unwrap_or(FixedOffset::east_opt(0).expect("zero offset"))
}

#[component]
pub fn ClaimsPage() -> impl IntoView {
    let i18n = use_i18n();
    let decide = ServerAction::<DecideClaim>::new();
    let page = page_resource(move || decide.version().get(), |_| sign_up_claims());
    let error = action_error(decide);
    // A decision is a plain form post: the server comes back here with `?decided=1`.
    let q = leptos_router::hooks::use_query_map();
    let done = move || q.get().get("decided").as_deref() == Some("1");
    view! {
        <Title text=t_string!(i18n, claims.title).to_string() />
        <h1>{t!(i18n, claims.title)}</h1>
        <p class="lead">{t!(i18n, claims.intro)}</p>
        <Show when=done><Done><p>{t!(i18n, claims.done)}</p></Done></Show>
        <div class="notice notice--error" role="alert" hidden=move || error.get().is_none()>
            <p>{move || error.get().map(|e| error_text(i18n, &e))}</p>
        </div>
        <Loaded resource=page view=move |p| view! { <Claims p decide /> } />
    }
}

/// What a claim asks for, in words: "in the zone, SME", or membership alone.
fn claimed(i18n: I18nContext<Locale>, in_zone: bool, sme: bool) -> String {
    let mut parts = Vec::new();
    if in_zone {
        parts.push(t_string!(i18n, claims.claims_zone).to_string());
    }
    if sme {
        parts.push(t_string!(i18n, claims.claims_sme).to_string());
    }
    if parts.is_empty() {
        t_string!(i18n, claims.claims_nothing).to_string()
    } else {
        parts.join(" · ")
    }
}

/// The person and organisation columns of a claim.
#[component]
fn Who(c: StandingClaim) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    let org = c.organisation.clone();
    let code = c.credit_code.clone();
    view! {
        <td>
            {c.person.clone()}
            {(!c.verified).then(|| view! { " " <span class="badge badge--status-maintenance">{t!(i18n, admin.unverified)}</span> })}
            <br /><span class="muted">{c.email.clone()}</span>
        </td>
        <td>
            {move || org.pick(english()).to_string()}
            <br /><span class="muted">{move || if code.is_empty() { t_string!(i18n, claims.no_code).to_string() } else { code.clone() }}</span>
        </td>
        <td>
            {move || match c.kind {
                ClaimKind::NewOrganisation => t_string!(i18n, claims.new_organisation),
                ClaimKind::Join => t_string!(i18n, claims.join),
            }}
            <br /><span class="muted">{move || claimed(i18n, c.in_zone, c.sme)}</span>
        </td>
    }
}

#[component]
fn Claims(p: ClaimsPage, decide: ServerAction<DecideClaim>) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    let off = offset(p.utc_offset_seconds);
    let zone = p.zone.clone();
    view! {
        <p class="muted">{move || zone.pick(english()).to_string()}</p>
        <section class="panel panel--wide" aria-labelledby="h-open">
            <h2 id="h-open">{t!(i18n, claims.open)}</h2>
            {if p.open.is_empty() {
                view! { <p class="muted">{t!(i18n, claims.none_open)}</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap" tabindex="0"><table class="table" data-testid="open-claims">
                        <thead><tr>
                            <th scope="col">{t!(i18n, claims.person)}</th>
                            <th scope="col">{t!(i18n, claims.organisation)}</th>
                            <th scope="col">{t!(i18n, claims.claim)}</th>
                            <th scope="col">{t!(i18n, claims.since)}</th>
                            <th scope="col">{t!(i18n, claims.decision)}</th>
                        </tr></thead>
                        <tbody>
                            {p.open.into_iter().map(|c| {
                                let id = c.id;
                                let created = c.created_at;
                                let (in_zone, sme) = (c.in_zone, c.sme);
                                let new_org = c.kind == ClaimKind::NewOrganisation;
                                view! {
                                    <tr data-claim=id>
                                        <Who c />
                                        <td>{move || moment(i18n, at(created), off)}</td>
                                        <td>
                                            <ActionForm action=decide attr:class="inline-form">
                                                <input type="hidden" name="claim" value=id />
                                                <input type="hidden" name="decision" value="approve" />
                                                {(new_org && in_zone).then(|| view! {
                                                    <label class="check"><input type="checkbox" name="in_zone" value="1" checked />" "{t!(i18n, claims.grant_zone)}</label>
                                                })}
                                                {(new_org && sme).then(|| view! {
                                                    <label class="check"><input type="checkbox" name="sme" value="1" checked />" "{t!(i18n, claims.grant_sme)}</label>
                                                })}
                                                <button type="submit" class="button button--primary">{t!(i18n, claims.approve)}</button>
                                            </ActionForm>
                                            <ActionForm action=decide attr:class="inline-form">
                                                <input type="hidden" name="claim" value=id />
                                                <input type="hidden" name="decision" value="refuse" />
                                                <button type="submit" class="button button--quiet">{t!(i18n, claims.refuse)}</button>
                                            </ActionForm>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table></div>
                }.into_any()
            }}
        </section>
        <section class="panel panel--wide" aria-labelledby="h-decided">
            <h2 id="h-decided">{t!(i18n, claims.decided)}</h2>
            {if p.decided.is_empty() {
                view! { <p class="muted">{t!(i18n, claims.none_decided)}</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap" tabindex="0"><table class="table" data-testid="decided-claims">
                        <thead><tr>
                            <th scope="col">{t!(i18n, claims.person)}</th>
                            <th scope="col">{t!(i18n, claims.organisation)}</th>
                            <th scope="col">{t!(i18n, claims.claim)}</th>
                            <th scope="col">{t!(i18n, claims.decision)}</th>
                            <th scope="col">{t!(i18n, claims.decided_at)}</th>
                            <th scope="col">{t!(i18n, claims.by)}</th>
                        </tr></thead>
                        <tbody>
                            {p.decided.into_iter().map(|d| {
                                let (approved, zone, sme, when) = (d.approved, d.granted_in_zone, d.granted_sme, d.decided_at);
                                let join = d.claim.kind == ClaimKind::Join;
                                view! {
                                    <tr>
                                        <Who c=d.claim />
                                        <td>{move || if !approved {
                                            t_string!(i18n, claims.refused).to_string()
                                        } else if join {
                                            t_string!(i18n, claims.approved).to_string()
                                        } else {
                                            format!("{}: {}", t_string!(i18n, claims.granted), claimed(i18n, zone, sme))
                                        }}</td>
                                        <td>{move || moment(i18n, at(when), off)}</td>
                                        <td>{d.decided_by.clone()}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table></div>
                }.into_any()
            }}
        </section>
    }
}
