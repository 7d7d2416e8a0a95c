//! Pages for institution admins (members and invitations) and site admins (people and roles, the
//! mail outbox). The server refuses whoever may not see them; the header only hides the links.

use crate::api::account::*;
use crate::components::data::page_resource;
use crate::components::error_view::Loaded;
use crate::components::format::moment;
use crate::components::forms::{action_error, error_text, Done, Field, FormError, Submit};
use crate::components::layout::role_list;
use crate::domain::account::{Members, OutboxPage, PeoplePage, PersonRow, Role, RoleName};
use crate::i18n::*;
use chrono::{DateTime, FixedOffset};
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

fn at(seconds: i64) -> DateTime<chrono::Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

#[component]
pub fn MembersPage() -> impl IntoView {
    let i18n = use_i18n();
    let q = use_query_map();
    let invite = ServerAction::<InviteMember>::new();
    let institution = move || {
        q.get()
            .get("institution")
            .and_then(|v| v.parse::<i64>().ok())
    };
    let members = page_resource(
        move || (institution(), invite.version().get()),
        |(id, _)| institution_members(id),
    );
    view! {
        <Title text=t_string!(i18n, admin.members_title).to_string() />
        <h1>{t!(i18n, admin.members_title)}</h1>
        <crate::pages::booking::InstitutionTabs />
        <Loaded resource=members view=move |(id, m)| view! { <MembersView id m invite /> } />
    }
}

#[component]
fn MembersView(id: i64, m: Members, invite: ServerAction<InviteMember>) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    let error = action_error(invite);
    let q = use_query_map();
    let done = Signal::derive(move || q.get().get("invited").as_deref() == Some("1"));
    let off = offset(m.utc_offset_seconds);
    let name = m.institution.clone();
    view! {
        <p class="lead">{move || name.pick(english()).to_string()}</p>
        <section class="panel" aria-labelledby="h-invite">
            <h2 id="h-invite">{t!(i18n, admin.invite_title)}</h2>
            <p>{t!(i18n, admin.invite_intro)}</p>
            <Show when=move || done.get()><Done><p>{t!(i18n, admin.invite_sent)}</p></Done></Show>
            <ActionForm action=invite attr:class="form form--inline" attr:novalidate="">
                <FormError error fields=&["email"] />
                <input type="hidden" name="institution" value=id />
                <Field name="email" kind="email" label=tr!(i18n, account.email) required=true error />
                <div class="form__actions"><Submit label=tr!(i18n, admin.invite_button) pending=invite.pending() /></div>
            </ActionForm>
        </section>
        <section class="panel panel--wide" aria-labelledby="h-people">
            <h2 id="h-people">{t!(i18n, admin.people)}</h2>
            <PeopleTable people=m.people.clone() revoke=None />
        </section>
        <section class="panel panel--wide" aria-labelledby="h-invitations">
            <h2 id="h-invitations">{t!(i18n, admin.invitations)}</h2>
            {if m.invitations.is_empty() {
                view! { <p class="muted">{t!(i18n, admin.no_invitations)}</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap" tabindex="0"><table class="table">
                        <thead><tr><th scope="col">{t!(i18n, account.email)}</th><th scope="col">{t!(i18n, admin.sent_at)}</th>
                            <th scope="col">{t!(i18n, admin.state)}</th></tr></thead>
                        <tbody>
                            {m.invitations.into_iter().map(|inv| view! {
                                <tr>
                                    <td>{inv.email.clone()}</td>
                                    <td>{move || moment(i18n, at(inv.created_at), off)}</td>
                                    <td>{move || if inv.accepted { t_string!(i18n, admin.accepted) } else { t_string!(i18n, admin.waiting) }}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table></div>
                }.into_any()
            }}
        </section>
    }
}

/// People with their roles; with `revoke`, each role carries a button that revokes it.
#[component]
fn PeopleTable(people: Vec<PersonRow>, revoke: Option<ServerAction<SetRole>>) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    view! {
        <div class="table-wrap" tabindex="0"><table class="table" data-testid="people">
            <thead><tr>
                <th scope="col">{t!(i18n, account.name)}</th>
                <th scope="col">{t!(i18n, account.email)}</th>
                <th scope="col">{t!(i18n, account.organisation)}</th>
                <th scope="col">{t!(i18n, account.roles)}</th>
            </tr></thead>
            <tbody>
                {people.into_iter().map(|p| {
                    let org = p.organisation.clone();
                    let roles = p.roles.clone();
                    view! {
                        <tr>
                            <td>{p.name.clone()}{(!p.verified).then(|| view! { " " <span class="badge badge--status-maintenance">{t!(i18n, admin.unverified)}</span> })}</td>
                            <td>{p.email.clone()}</td>
                            <td>{move || org.pick(english()).to_string()}</td>
                            <td>{match revoke {
                                Some(set) => roles.into_iter().map(|role| view! { <RevokeButton user=p.id.0 role set /> }).collect_view().into_any(),
                                None => view! { {move || role_list(i18n, &roles)} }.into_any(),
                            }}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table></div>
    }
}

/// The sections of the administration.
#[component]
fn AdminTabs() -> impl IntoView {
    let i18n = use_i18n();
    let location = leptos_router::hooks::use_location();
    let current =
        move |path: &'static str| move || (location.pathname.get() == path).then_some("page");
    view! {
        <nav class="tabs" aria-label=move || t_string!(i18n, admin.tabs)>
            <a href="/admin/people" aria-current=current("/admin/people")>{t!(i18n, admin.tab_people)}</a>
            <a href="/admin/outbox" aria-current=current("/admin/outbox")>{t!(i18n, admin.tab_outbox)}</a>
        </nav>
    }
}

#[component]
pub fn PeoplePage() -> impl IntoView {
    let i18n = use_i18n();
    let q = use_query_map();
    let set = ServerAction::<SetRole>::new();
    let search = move || q.get().get("q");
    let page = page_resource(
        move || (search(), set.version().get()),
        |(s, _)| list_people(s),
    );
    view! {
        <Title text=t_string!(i18n, admin.people_title).to_string() />
        <h1>{t!(i18n, admin.people_title)}</h1>
        <AdminTabs />
        <form class="filters" method="get" action="/admin/people" role="search">
            <div class="field">
                <label for="people-q">{t!(i18n, admin.search_people)}</label>
                <input id="people-q" name="q" type="search" value=move || search().unwrap_or_default() />
            </div>
            <div class="filters__actions"><button type="submit" class="button">{t!(i18n, free.search)}</button></div>
        </form>
        <Loaded resource=page view=move |p| view! { <RolesView p set /> } />
    }
}

#[component]
fn RolesView(p: PeoplePage, set: ServerAction<SetRole>) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    let error = action_error(set);
    let institutions = p.institutions.clone();
    let zones = p.zones.clone();
    let people_options = p.people.clone();
    view! {
        <section class="panel" aria-labelledby="h-grant">
            <h2 id="h-grant">{t!(i18n, admin.grant_title)}</h2>
            <p class="muted">{t!(i18n, admin.grant_intro)}</p>
            <div class="notice notice--error" role="alert" hidden=move || error.get().is_none()>
                <p>{move || error.get().map(|e| error_text(i18n, &e))}</p>
            </div>
            <ActionForm action=set attr:class="form form--inline">
                <input type="hidden" name="grant" value="1" />
                <div class="field">
                    <label for="grant-user">{t!(i18n, admin.person)}</label>
                    <select id="grant-user" name="user" required>
                        {people_options.into_iter().map(|person| view! {
                            <option value=person.id.0>{format!("{} <{}>", person.name, person.email)}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="grant-role">{t!(i18n, admin.role)}</label>
                    <select id="grant-role" name="role">
                        {RoleName::ALL.iter().map(|r| view! {
                            <option value=r.as_str()>{move || crate::components::layout::role_name(i18n, *r)}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="grant-scope">{t!(i18n, admin.scope)}</label>
                    <select id="grant-scope" name="scope">
                        <optgroup label=move || t_string!(i18n, admin.scope_institutions)>
                            {institutions.into_iter().map(|o| view! { <option value=o.id.0>{move || o.name.pick(english()).to_string()}</option> }).collect_view()}
                        </optgroup>
                        <optgroup label=move || t_string!(i18n, admin.scope_zones)>
                            {zones.into_iter().map(|(id, name)| view! { <option value=id.0>{move || name.pick(english()).to_string()}</option> }).collect_view()}
                        </optgroup>
                    </select>
                    <p class="field__hint">{t!(i18n, admin.scope_hint)}</p>
                </div>
                <div class="form__actions"><Submit label=tr!(i18n, admin.grant_button) pending=set.pending() /></div>
            </ActionForm>
        </section>
        <section class="panel panel--wide" aria-labelledby="h-everyone">
            <h2 id="h-everyone">{t!(i18n, admin.people)}</h2>
            <PeopleTable people=p.people revoke=Some(set) />
        </section>
    }
}

#[component]
fn RevokeButton(user: i64, role: Role, set: ServerAction<SetRole>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ActionForm action=set attr:class="role-chip">
            <input type="hidden" name="user" value=user />
            <input type="hidden" name="role" value=role.name().as_str() />
            <input type="hidden" name="scope" value=role.scope_id() />
            <input type="hidden" name="grant" value="0" />
            <span>{move || crate::components::layout::role_label(i18n, role)}</span>
            <button type="submit" class="button button--quiet" aria-label=move || t_string!(i18n, admin.revoke).to_string()>"×"</button>
        </ActionForm>
    }
}

#[component]
pub fn OutboxPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let filter = move || query.read().get("filter").filter(|f| !f.is_empty());
    let retry = ServerAction::<RetryMail>::new();
    let page = page_resource(
        move || (filter(), retry.version().get()),
        |(filter, _)| outbox_messages(filter),
    );
    view! {
        <Title text=t_string!(i18n, admin.outbox_title).to_string() />
        <h1>{t!(i18n, admin.outbox_title)}</h1>
        <AdminTabs />
        <p class="lead">{t!(i18n, admin.outbox_intro)}</p>
        <Loaded resource=page view=move |p| view! { <Messages p retry /> } />
    }
}

fn status_label(i18n: leptos_i18n::I18nContext<Locale>, status: &str) -> &'static str {
    match status {
        "queued" => t_string!(i18n, admin.status_queued),
        "sending" => t_string!(i18n, admin.status_sending),
        "sent" => t_string!(i18n, admin.status_sent),
        _ => t_string!(i18n, admin.status_failed),
    }
}

#[component]
fn Messages(p: OutboxPage, retry: ServerAction<RetryMail>) -> impl IntoView {
    let i18n = use_i18n();
    let off = offset(p.utc_offset_seconds);
    let error = action_error(retry);
    let current = p.filter.clone().unwrap_or_default();
    let tab = move |value: &'static str| {
        let current = current.clone();
        let href = if value.is_empty() {
            "/admin/outbox".to_string()
        } else {
            format!("/admin/outbox?filter={value}")
        };
        (href, (current == value).then_some("page"))
    };
    let (all_href, all_current) = tab("");
    let (queued_href, queued_current) = tab("queued");
    let (failed_href, failed_current) = tab("failed");
    let (sent_href, sent_current) = tab("sent");
    let (waiting, failed) = (p.waiting, p.failed);
    view! {
        <nav class="tabs tabs--small" aria-label=move || t_string!(i18n, admin.outbox_filter)>
            <a href=all_href aria-current=all_current>{t!(i18n, admin.outbox_all)}</a>
            <a href=queued_href aria-current=queued_current>{t!(i18n, admin.status_queued)}" ("{waiting}")"</a>
            <a href=failed_href aria-current=failed_current data-testid="failed-tab">{t!(i18n, admin.status_failed)}" ("{failed}")"</a>
            <a href=sent_href aria-current=sent_current>{t!(i18n, admin.status_sent)}</a>
        </nav>
        <div class="notice notice--error" role="alert" hidden=move || error.get().is_none()>
            <p>{move || error.get().map(|e| error_text(i18n, &e))}</p>
        </div>
        {if p.messages.is_empty() {
            view! { <p class="muted">{t!(i18n, admin.outbox_empty)}</p> }.into_any()
        } else {
            view! {
                <ul class="messages" data-testid="outbox">
                    {p.messages.into_iter().map(|m| {
                        let failed = m.status == "failed";
                        let status = m.status.clone();
                        let waiting = m.status == "queued" && m.attempts > 0;
                        let invite = match m.invite.as_str() {
                            "REQUEST" => Some(t_string!(i18n, admin.invite_request)),
                            "CANCEL" => Some(t_string!(i18n, admin.invite_cancel)),
                            _ => None,
                        };
                        view! {
                            <li class="panel message" data-status=status>
                                <details>
                                    <summary>
                                        <strong>{m.subject.clone()}</strong>
                                        <span class="muted">" → "{m.to_address.clone()}" · "{move || moment(i18n, at(m.created_at), off)}" · "{move || status_label(i18n, &m.status)}</span>
                                        {invite.map(|label| view! { <span class="badge">{label}</span> })}
                                    </summary>
                                    <pre class="message__body">{m.body_text.clone()}</pre>
                                </details>
                                {m.sent_at.map(|sent| view! { <p class="muted">{t!(i18n, admin.sent_at)}" "{move || moment(i18n, at(sent), off)}</p> })}
                                {(m.attempts > 0 && m.sent_at.is_none()).then(|| view! {
                                    <p class="muted">
                                        {t!(i18n, admin.attempts)}" "{m.attempts}
                                        {waiting.then(|| view! { " · "{t!(i18n, admin.next_attempt)}" "{move || moment(i18n, at(m.next_attempt_at), off)}})}
                                    </p>
                                })}
                                {(!m.last_error.is_empty()).then(|| view! { <p class="message__error">{m.last_error.clone()}</p> })}
                                {failed.then(|| view! {
                                    <ActionForm action=retry attr:class="form form--inline">
                                        <input type="hidden" name="message" value=m.id />
                                        <Submit label=tr!(i18n, admin.retry) pending=retry.pending() />
                                    </ActionForm>
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
}
