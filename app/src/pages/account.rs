//! Account pages: sign in, sign up, verify, forgot and reset password, profile, invitation.

use crate::api::account::*;
use crate::components::data::page_resource;
use crate::components::error_view::{ErrorView, Loaded};
use crate::components::forms::{
    action_error, kept_checked, kept_value, Done, Field, FormError, Submit,
};
use crate::domain::account::{
    ApiTokenView, ClaimKind, InvitationView, Language, Membership, OrganisationKind, Profile,
    SessionView, TokenScope,
};
use crate::domain::vocabulary::Bilingual;
use crate::i18n::*;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// A translated text as a signal, for labels.
macro_rules! tr {
    ($i18n:ident, $($key:tt)+) => {
        Signal::derive(move || t_string!($i18n, $($key)+).to_string())
    };
}

/// Done: the form's plain post succeeded and the server came back here with `?{name}=1`.
fn flag(name: &'static str) -> Signal<bool> {
    let q = use_query_map();
    Signal::derive(move || q.get().get(name).as_deref() == Some("1"))
}

fn query(name: &'static str) -> impl Fn() -> String + Copy {
    let q = use_query_map();
    move || q.get().get(name).unwrap_or_default()
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<SignIn>::new();
    let error = action_error(action);
    let next = query("next");
    view! {
        <Title text=t_string!(i18n, account.sign_in).to_string() />
        <div class="narrow">
            <h1>{t!(i18n, account.sign_in)}</h1>
            <ActionForm action attr:class="form" attr:novalidate="">
                <FormError error fields=&["email", "password"] />
                <input type="hidden" name="next" value=move || { let n = next(); if n.is_empty() { "/".to_string() } else { n } } />
                <Field name="email" kind="email" label=tr!(i18n, account.email) required=true autocomplete="username" error />
                <Field name="password" kind="password" label=tr!(i18n, account.password) required=true autocomplete="current-password" error />
                <div class="form__actions">
                    <Submit label=tr!(i18n, account.sign_in) pending=action.pending() />
                    <a href="/forgot-password">{t!(i18n, account.forgot)}</a>
                </div>
            </ActionForm>
            <p>{t!(i18n, account.no_account)}" "<a href="/sign-up">{t!(i18n, account.sign_up)}</a></p>
        </div>
    }
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<SignUp>::new();
    let error = action_error(action);
    let done = flag("done");
    let organisations = page_resource(|| (), |_| sign_up_organisations());
    let english = move || i18n.get_locale() == Locale::en;
    view! {
        <Title text=t_string!(i18n, account.sign_up).to_string() />
        <div class="narrow">
            <h1>{t!(i18n, account.sign_up)}</h1>
            <Show when=move || !done.get() fallback=move || view! {
                <Done>
                    <h2>{t!(i18n, account.check_mail_title)}</h2>
                    <p>{t!(i18n, account.check_mail)}</p>
                </Done>
            }>
            <p class="lead">{t!(i18n, account.sign_up_intro)}</p>
            <ActionForm action attr:class="form" attr:novalidate="">
                <FormError error fields=&["name", "email", "phone", "password", "organisation", "org_name", "org_kind", "credit_code"] />
                <fieldset>
                    <legend>{t!(i18n, account.about_you)}</legend>
                    <Field name="name" label=tr!(i18n, account.name) required=true autocomplete="name" error />
                    <Field name="email" kind="email" label=tr!(i18n, account.email) required=true autocomplete="email" error />
                    <Field name="phone" kind="tel" label=tr!(i18n, account.phone) required=true autocomplete="tel" error />
                    <Field name="password" kind="password" label=tr!(i18n, account.password) required=true autocomplete="new-password"
                        hint=tr!(i18n, account.password_hint) error />
                    <div class="field">
                        <label for="field-language">{t!(i18n, account.language)}</label>
                        <select id="field-language" name="language">
                            <option value="zh-CN" selected=move || !english()>"简体中文"</option>
                            <option value="en" selected=english>"English"</option>
                        </select>
                    </div>
                </fieldset>
                <fieldset>
                    <legend>{t!(i18n, account.organisation)}</legend>
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            let options = organisations.await.unwrap_or_default().into_iter().map(|o| (o.id.0, o.name)).collect::<Vec<_>>();
                            view! {
                                <OrganisationChoice options chosen=kept_value("organisation").unwrap_or_else(|| "new".into())>
                                    <Field name="org_name" label=tr!(i18n, account.organisation_name) error />
                                    <div class="field">
                                        <label for="field-org_kind">{t!(i18n, account.organisation_kind)}</label>
                                        <select id="field-org_kind" name="org_kind">
                                            <option value=OrganisationKind::Lab.as_str()>{t!(i18n, account.kind_lab)}</option>
                                            <option value=OrganisationKind::Enterprise.as_str()
                                                selected=kept_value("org_kind").as_deref() == Some(OrganisationKind::Enterprise.as_str())>
                                                {t!(i18n, account.kind_enterprise)}</option>
                                        </select>
                                    </div>
                                    <label class="check"><input type="checkbox" name="org_in_zone" checked=kept_checked("org_in_zone", false) />" "{t!(i18n, account.in_zone)}</label>
                                    <label class="check"><input type="checkbox" name="org_sme" checked=kept_checked("org_sme", false) />" "{t!(i18n, account.sme)}</label>
                                    <Field name="credit_code" label=tr!(i18n, account.credit_code) hint=tr!(i18n, account.credit_code_hint) error />
                                </OrganisationChoice>
                            }
                        })}
                    </Suspense>
                </fieldset>
                <div class="form__actions">
                    <Submit label=tr!(i18n, account.sign_up) pending=action.pending() />
                </div>
            </ActionForm>
            <p>{t!(i18n, account.have_account)}" "<a href="/sign-in">{t!(i18n, account.sign_in)}</a></p>
            </Show>
        </div>
    }
}

/// The choice between a new organisation and one already registered: an island, so the new
/// organisation's fields (the server-rendered children) hide once an existing one is chosen.
/// Without the wasm they stay visible and the server ignores them for an existing organisation.
#[island]
fn OrganisationChoice(
    options: Vec<(i64, Bilingual)>,
    /// "new", or the id of the organisation chosen (a refused form shown again keeps it).
    chosen: String,
    children: Children,
) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    let chosen = RwSignal::new(chosen);
    view! {
        <div class="field">
            <label for="field-organisation">{t!(i18n, account.organisation_choice)}</label>
            <select id="field-organisation" name="organisation"
                on:change=move |ev| chosen.set(event_target_value(&ev))>
                <option value="new" selected=chosen.get_untracked() == "new">{t!(i18n, account.organisation_new)}</option>
                {options.into_iter().map(|(id, name)| view! {
                    <option value=id selected=chosen.get_untracked() == id.to_string()>{move || name.pick(english()).to_string()}</option>
                }).collect_view()}
            </select>
            <p class="field__hint">{t!(i18n, account.institution_hint)}</p>
            <p class="field__hint" data-testid="claim-hint">{t!(i18n, account.claim_hint)}</p>
        </div>
        <div class="subform" hidden=move || chosen.get() != "new">{children()}</div>
    }
}

#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<VerifyEmail>::new();
    let error = action_error(action);
    let done = flag("done");
    let token = query("token");
    view! {
        <Title text=t_string!(i18n, account.verify_title).to_string() />
        <div class="narrow">
            <h1>{t!(i18n, account.verify_title)}</h1>
            <Show when=move || !done.get() fallback=move || view! {
                <Done><p>{t!(i18n, account.verified)}" "<a href="/sign-in">{t!(i18n, account.sign_in)}</a></p></Done>
            }>
                <p>{t!(i18n, account.verify_intro)}</p>
                <ActionForm action attr:class="form">
                    <FormError error />
                    <input type="hidden" name="token" value=token />
                    <div class="form__actions">
                        <Submit label=tr!(i18n, account.verify_button) pending=action.pending() />
                    </div>
                </ActionForm>
            </Show>
        </div>
    }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<RequestPasswordReset>::new();
    let error = action_error(action);
    let done = flag("done");
    view! {
        <Title text=t_string!(i18n, account.forgot).to_string() />
        <div class="narrow">
            <h1>{t!(i18n, account.forgot)}</h1>
            <Show when=move || !done.get() fallback=move || view! { <Done><p>{t!(i18n, account.reset_sent)}</p></Done> }>
                <p>{t!(i18n, account.forgot_intro)}</p>
                <ActionForm action attr:class="form" attr:novalidate="">
                    <FormError error fields=&["email"] />
                    <Field name="email" kind="email" label=tr!(i18n, account.email) required=true autocomplete="email" error />
                    <div class="form__actions">
                        <Submit label=tr!(i18n, account.send_link) pending=action.pending() />
                    </div>
                </ActionForm>
            </Show>
        </div>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<ResetPassword>::new();
    let error = action_error(action);
    let done = flag("done");
    let token = query("token");
    view! {
        <Title text=t_string!(i18n, account.reset_title).to_string() />
        <div class="narrow">
            <h1>{t!(i18n, account.reset_title)}</h1>
            <Show when=move || !done.get() fallback=move || view! {
                <Done><p>{t!(i18n, account.reset_done)}" "<a href="/sign-in">{t!(i18n, account.sign_in)}</a></p></Done>
            }>
                <ActionForm action attr:class="form" attr:novalidate="">
                    <FormError error fields=&["password"] />
                    <input type="hidden" name="token" value=token />
                    <Field name="password" kind="password" label=tr!(i18n, account.new_password) required=true
                        autocomplete="new-password" hint=tr!(i18n, account.password_hint) error />
                    <div class="form__actions">
                        <Submit label=tr!(i18n, account.reset_button) pending=action.pending() />
                    </div>
                </ActionForm>
            </Show>
        </div>
    }
}

#[component]
pub fn ProfilePage() -> impl IntoView {
    let i18n = use_i18n();
    let profile = page_resource(|| (), |_| get_profile());
    view! {
        <Title text=t_string!(i18n, account.profile).to_string() />
        <h1>{t!(i18n, account.profile)}</h1>
        <Loaded resource=profile view=move |p| view! { <ProfileForms p /> } />
    }
}

#[component]
fn ProfileForms(p: Profile) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    let update = ServerAction::<UpdateProfile>::new();
    let update_error = action_error(update);
    let password = ServerAction::<ChangePassword>::new();
    let password_error = action_error(password);
    let password_done = flag("password");
    // A new language takes effect on a fresh page.
    let saved = query("saved");
    let actor = p.actor.clone();
    let organisation = actor.organisation_name.clone();
    let kind = actor.organisation_kind;
    let is_en = actor.language == Language::En;
    view! {
        <Show when=move || saved() == "1"><Done><p>{t!(i18n, account.saved)}</p></Done></Show>
        <div class="resource-layout">
            <section class="panel" aria-labelledby="h-details">
                <h2 id="h-details">{t!(i18n, account.details)}</h2>
                <ActionForm action=update attr:class="form" attr:novalidate="">
                    <FormError error=update_error fields=&["name", "phone"] />
                    <div class="field">
                        <span class="field__label">{t!(i18n, account.email)}</span>
                        <span data-testid="profile-email">{actor.email.clone()}</span>
                    </div>
                    <Field name="name" label=tr!(i18n, account.name) required=true autocomplete="name" value=actor.name.clone() error=update_error />
                    <Field name="phone" kind="tel" label=tr!(i18n, account.phone) required=true autocomplete="tel" value=p.phone.clone() error=update_error />
                    <div class="field">
                        <label for="field-language">{t!(i18n, account.language)}</label>
                        <select id="field-language" name="language">
                            <option value="zh-CN" selected=!is_en>"简体中文"</option>
                            <option value="en" selected=is_en>"English"</option>
                        </select>
                    </div>
                    <div class="form__actions">
                        <Submit label=tr!(i18n, account.save) pending=update.pending() />
                    </div>
                </ActionForm>
            </section>
            <section class="panel" aria-labelledby="h-org">
                <h2 id="h-org">{t!(i18n, account.organisation)}</h2>
                {match (&p.open_claim, actor.membership) {
                    (Some(c), _) if c.kind == ClaimKind::Join => Some(t_string!(i18n, account.claim_open_join)),
                    (Some(_), _) => Some(t_string!(i18n, account.claim_open_new)),
                    (None, Membership::Refused) => Some(t_string!(i18n, account.membership_refused)),
                    (None, _) => None,
                }.map(|text| view! { <div class="notice" role="status" data-testid="claim-notice"><p>{text}</p></div> })}
                <dl class="dl">
                    <div class="dl-row"><dt>{t!(i18n, account.organisation_name)}</dt>
                        <dd data-testid="profile-organisation">{move || organisation.pick(english()).to_string()}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, account.organisation_kind)}</dt><dd>{move || match kind {
                        OrganisationKind::Institution => t_string!(i18n, account.kind_institution),
                        OrganisationKind::Lab => t_string!(i18n, account.kind_lab),
                        OrganisationKind::Enterprise => t_string!(i18n, account.kind_enterprise),
                    }}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, account.in_zone)}</dt><dd>{move || if p.organisation_in_zone { t_string!(i18n, account.yes) } else { t_string!(i18n, account.no) }}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, account.sme)}</dt><dd>{move || if p.organisation_is_sme { t_string!(i18n, account.yes) } else { t_string!(i18n, account.no) }}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, account.credit_code)}</dt><dd>{p.organisation_credit_code.clone()}</dd></div>
                    <div class="dl-row"><dt>{t!(i18n, account.roles)}</dt><dd>{crate::components::layout::role_list(i18n, &actor.roles)}</dd></div>
                </dl>
            </section>
            <section class="panel" aria-labelledby="h-password">
                <h2 id="h-password">{t!(i18n, account.change_password)}</h2>
                <Show when=move || password_done.get()><Done><p>{t!(i18n, account.password_changed)}</p></Done></Show>
                <ActionForm action=password attr:class="form" attr:novalidate="">
                    <FormError error=password_error fields=&["current_password", "new_password"] />
                    <Field name="current_password" kind="password" label=tr!(i18n, account.current_password) required=true autocomplete="current-password" error=password_error />
                    <Field name="new_password" kind="password" label=tr!(i18n, account.new_password) required=true autocomplete="new-password"
                        hint=tr!(i18n, account.password_hint) error=password_error />
                    <div class="form__actions">
                        <Submit label=tr!(i18n, account.change_password) pending=password.pending() />
                    </div>
                </ActionForm>
            </section>
        </div>
        <Sessions sessions=p.sessions.clone() offset=p.utc_offset_seconds />
        <ApiTokens tokens=p.tokens.clone() offset=p.utc_offset_seconds has_feed=p.has_calendar_feed />
        <form method="post" action="/api/sign_out" class="form__actions">
            <button type="submit" class="button" data-testid="sign-out">{t!(i18n, account.sign_out)}</button>
        </form>
    }
}

/// Where the person is signed in, each with a way to end it (a lost phone, a shared computer).
#[component]
fn Sessions(sessions: Vec<SessionView>, offset: i32) -> impl IntoView {
    let i18n = use_i18n();
    let end = ServerAction::<EndSession>::new();
    let ended = flag("ended");
    let offset = chrono::FixedOffset::east_opt(offset)
        .unwrap_or(chrono::FixedOffset::east_opt(0).expect("UTC"));
    let at = move |t: i64| {
        crate::components::format::moment(
            i18n,
            chrono::DateTime::from_timestamp(t, 0).unwrap_or_default(),
            offset,
        )
    };
    let rows = sessions
        .into_iter()
        .map(|s| {
            let device = if s.user_agent.is_empty() {
                None
            } else {
                Some(s.user_agent.clone())
            };
            let (created, seen) = (s.created_at, s.last_seen_at);
            view! {
                <li class="session" data-testid="session">
                    <div>
                        <strong>{move || device.clone().unwrap_or_else(|| t_string!(i18n, account.unknown_device).to_string())}</strong>
                        {s.current.then(|| view! { " " <span class="badge">{t!(i18n, account.this_device)}</span> })}
                        <p class="muted">{move || t_string!(i18n, account.session_times, since = at(created), seen = at(seen)).to_string()}</p>
                    </div>
                    <ActionForm action=end>
                        <input type="hidden" name="id" value=s.id.clone() />
                        <button type="submit" class="button button--quiet">{t!(i18n, account.end_session)}</button>
                    </ActionForm>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="panel panel--wide" aria-labelledby="h-sessions">
            <h2 id="h-sessions">{t!(i18n, account.sessions)}</h2>
            <Show when=move || ended.get()><Done><p>{t!(i18n, account.session_ended)}</p></Done></Show>
            <p class="muted">{t!(i18n, account.sessions_hint)}</p>
            <ul class="sessions" data-testid="sessions">{rows}</ul>
        </section>
    }
}

/// Personal API tokens (made, shown once, revoked) and the secret calendar address, for a lab's
/// own systems and the person's calendar.
#[component]
fn ApiTokens(tokens: Vec<ApiTokenView>, offset: i32, has_feed: bool) -> impl IntoView {
    let i18n = use_i18n();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let revoked = flag("revoked");
    let offset = chrono::FixedOffset::east_opt(offset)
        .unwrap_or(chrono::FixedOffset::east_opt(0).expect("UTC"));
    let at = move |t: i64| {
        crate::components::format::moment(
            i18n,
            chrono::DateTime::from_timestamp(t, 0).unwrap_or_default(),
            offset,
        )
    };
    let scope_label = move |scope: TokenScope| match scope {
        TokenScope::Read => t_string!(i18n, tokens.scope_read),
        TokenScope::Book => t_string!(i18n, tokens.scope_book),
        TokenScope::Admin => t_string!(i18n, tokens.scope_admin),
    };
    let rows = tokens
        .into_iter()
        .map(|t| {
            let (created, used, scope) = (t.created_at, t.last_used_at, t.scope);
            view! {
                <li class="session" data-testid="api-token">
                    <div>
                        <strong>{t.name.clone()}</strong>" "<span class="badge">{move || scope_label(scope)}</span>
                        <p class="muted">{move || match used {
                            Some(u) => t_string!(i18n, tokens.times_used, since = at(created), used = at(u)).to_string(),
                            None => t_string!(i18n, tokens.times_unused, since = at(created)).to_string(),
                        }}</p>
                    </div>
                    <ActionForm action=revoke>
                        <input type="hidden" name="token" value=t.id />
                        <button type="submit" class="button button--quiet">{t!(i18n, tokens.revoke)}</button>
                    </ActionForm>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="panel panel--wide" aria-labelledby="h-tokens">
            <h2 id="h-tokens">{t!(i18n, tokens.title)}</h2>
            <p class="muted">{t!(i18n, tokens.intro)}" "<a href="/api/v1/docs" rel="external">{t!(i18n, tokens.reference)}</a></p>
            <Show when=move || revoked.get()><Done><p>{t!(i18n, tokens.revoked)}</p></Done></Show>
            <NewApiToken shown=crate::components::forms::shown_once("token") />
            <ul class="sessions" data-testid="api-tokens">{rows}</ul>
            <h3>{t!(i18n, tokens.calendar_title)}</h3>
            <CalendarFeed has_feed shown=crate::components::forms::shown_once("feed") />
        </section>
    }
}

/// A new API token: an island, because its secret is shown once, in the page that asked for it.
/// `shown`: the secret of a token made by a plain form post, which came back to this page.
#[island]
fn NewApiToken(shown: Option<String>) -> impl IntoView {
    let i18n = use_i18n();
    let create = ServerAction::<CreateApiToken>::new();
    let error = action_error(create);
    let made = move || {
        create
            .value()
            .get()
            .and_then(Result::ok)
            .map(|m| m.secret)
            .or_else(|| shown.clone())
    };
    view! {
        {move || made().map(|secret| view! {
            <div class="notice notice--success" role="status" data-testid="new-token">
                <p>{t!(i18n, tokens.shown_once)}</p>
                <p><code class="secret">{secret}</code></p>
            </div>
        })}
        <ActionForm action=create attr:class="form form--inline" attr:novalidate="">
            <FormError error fields=&["token_name", "scope"] />
            <Field name="token_name" label=tr!(i18n, tokens.name) required=true error />
            <div class="field">
                <label for="field-scope">{t!(i18n, tokens.scope)}</label>
                <select id="field-scope" name="scope">
                    <option value="read">{t!(i18n, tokens.scope_read)}</option>
                    <option value="book">{t!(i18n, tokens.scope_book)}</option>
                    <option value="admin">{t!(i18n, tokens.scope_admin)}</option>
                </select>
            </div>
            <div class="form__actions"><Submit label=tr!(i18n, tokens.create) pending=create.pending() /></div>
        </ActionForm>
    }
}

/// The personal calendar feed's address: an island, shown once like a token's secret.
#[island]
fn CalendarFeed(has_feed: bool, shown: Option<String>) -> impl IntoView {
    let i18n = use_i18n();
    let feed = ServerAction::<ResetCalendarFeed>::new();
    let feed_url = move || {
        feed.value()
            .get()
            .and_then(Result::ok)
            .or_else(|| shown.clone())
    };
    view! {
        <p class="muted">{move || if has_feed { t_string!(i18n, tokens.calendar_exists) } else { t_string!(i18n, tokens.calendar_intro) }}</p>
        {move || feed_url().map(|url| view! {
            <div class="notice notice--success" role="status" data-testid="calendar-url">
                <p>{t!(i18n, tokens.calendar_shown_once)}</p>
                <p><code class="secret">{url}</code></p>
            </div>
        })}
        <ActionForm action=feed>
            <button type="submit" class="button">{move || if has_feed { t_string!(i18n, tokens.calendar_reset) } else { t_string!(i18n, tokens.calendar_make) }}</button>
        </ActionForm>
    }
}

#[component]
pub fn InvitationPage() -> impl IntoView {
    let i18n = use_i18n();
    let token = query("token");
    let invitation = page_resource(token, get_invitation);
    view! {
        <Title text=t_string!(i18n, account.invitation_title).to_string() />
        <div class="narrow">
            <h1>{t!(i18n, account.invitation_title)}</h1>
            <Show when=move || query("done")() == "1">
                <Done><p>{t!(i18n, account.invitation_done)}" "<a href="/profile" rel="external">{t!(i18n, account.profile)}</a></p></Done>
            </Show>
            <Suspense fallback=move || view! { <p class="muted">{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    if query("done")() == "1" {
                        return ().into_any();
                    }
                    match invitation.await {
                        Ok(view) => view! { <AcceptInvitation view token=token() /> }.into_any(),
                        Err(error) => view! { <ErrorView error /> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn AcceptInvitation(view: InvitationView, token: String) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    let action = ServerAction::<AcceptInvitation>::new();
    let error = action_error(action);
    let done = flag("done");
    let institution = view.institution.clone();
    let email = view.email.clone();
    let exists = view.account_exists;
    let token = StoredValue::new(token);
    view! {
        <p class="lead">{move || t_string!(i18n, account.invitation_intro, institution = institution.pick(english()).to_string(), email = email.clone()).to_string()}</p>
        <Show when=move || !done.get() fallback=move || view! {
            <Done><p>{t!(i18n, account.invitation_done)}" "<a href="/profile" rel="external">{t!(i18n, account.profile)}</a></p></Done>
        }>
            <ActionForm action attr:class="form" attr:novalidate="">
                <FormError error fields=&["name", "phone", "password"] />
                <input type="hidden" name="token" value=token.get_value() />
                {(!exists).then(|| view! {
                    <Field name="name" label=tr!(i18n, account.name) required=true autocomplete="name" error />
                    <Field name="phone" kind="tel" label=tr!(i18n, account.phone) required=true autocomplete="tel" error />
                    <Field name="password" kind="password" label=tr!(i18n, account.password) required=true autocomplete="new-password"
                        hint=tr!(i18n, account.password_hint) error />
                    <input type="hidden" name="language" value=move || if english() { "en" } else { "zh-CN" } />
                })}
                {exists.then(|| view! { <p>{t!(i18n, account.invitation_existing)}</p> })}
                <div class="form__actions">
                    <Submit label=tr!(i18n, account.invitation_accept) pending=action.pending() />
                </div>
            </ActionForm>
        </Show>
    }
}
