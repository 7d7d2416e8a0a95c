//! Server functions for accounts: sign-up, sign-in and out, verification, password reset, profile,
//! invitations, roles and the outbox. Each parses its input and calls the backend's service, which
//! asks the policy with the facts of the rows concerned.

use crate::domain::account::*;
use crate::error::AppError;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use {
    crate::backend::{session, state, AppState},
    crate::domain::ids::{OrganisationId, UserId, ZoneId},
};

#[cfg(feature = "ssr")]
fn now(state: &AppState) -> i64 {
    state.clock.now().timestamp()
}

/// A path on this site to go to after signing in; anything else becomes the home page.
pub fn safe_next(next: Option<&str>) -> String {
    next.and_then(crate::domain::link::local_path)
        .unwrap_or("/")
        .to_string()
}

#[cfg(feature = "ssr")]
fn set_language_cookie(language: Language) {
    session::set_cookie(&format!(
        "{}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        crate::domain::account::LOCALE_COOKIE,
        language.as_str()
    ));
}

/// The signed-in person, or None.
#[server(endpoint = "me")]
pub async fn current_user() -> Result<Option<Actor>, AppError> {
    super::reply(async move { Ok(session::actor()) }).await
}

/// Organisations to choose from when signing up.
#[server(endpoint = "sign_up_organisations")]
pub async fn sign_up_organisations() -> Result<Vec<OrganisationOption>, AppError> {
    super::reply(async move { Ok(state()?.db.sign_up_organisations().await?) }).await
}

/// Creates an account and mails the verification link. `organisation` is an id, or "new" with the
/// `org_*` fields describing the new organisation.
#[allow(clippy::too_many_arguments)]
#[server(endpoint = "sign_up")]
pub async fn sign_up(
    name: String,
    email: String,
    phone: String,
    password: String,
    language: String,
    organisation: String,
    org_name: Option<String>,
    org_kind: Option<String>,
    org_in_zone: Option<String>,
    org_sme: Option<String>,
    credit_code: Option<String>,
) -> Result<(), AppError> {
    use crate::backend::accounts::{NewOrExisting, SignUp};
    super::reply(async move {
        let state = state()?;
        let language = Language::parse(&language).unwrap_or(Language::ZhCn);
        let organisation = match organisation.as_str() {
            "new" => NewOrExisting::New {
                name: org_name.unwrap_or_default(),
                kind: org_kind
                    .as_deref()
                    .and_then(OrganisationKind::parse)
                    .ok_or_else(|| AppError::validation("org_kind", "organisation_kind_missing"))?,
                in_zone: org_in_zone.is_some(),
                sme: org_sme.is_some(),
                credit_code,
            },
            id => NewOrExisting::Existing(OrganisationId(
                id.parse()
                    .map_err(|_| AppError::validation("organisation", "organisation_missing"))?,
            )),
        };
        let input = SignUp {
            name,
            email,
            phone,
            password,
            language,
            organisation,
        };
        state
            .db
            .sign_up(input, now(&state), &state.settings)
            .await?;
        super::after_form("/sign-up?done=1");
        Ok(())
    })
    .await
}

#[server(endpoint = "verify_email")]
pub async fn verify_email(token: String) -> Result<(), AppError> {
    super::reply(async move {
        let state = state()?;
        state.db.verify_email(&token, now(&state)).await?;
        super::after_form("/verify-email?done=1");
        Ok(())
    })
    .await
}

/// Signs in; returns where to go next. The session id is always new (any session the request
/// carried ends), so a planted cookie cannot be ridden into an account.
#[server(endpoint = "sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<String, AppError> {
    super::reply(async move {
        let state = state()?;
        let current = session::current();
        let result = state
            .db
            .sign_in(
                &email,
                password,
                &current.address,
                &current.user_agent,
                now(&state),
                &state.settings,
            )
            .await;
        let (token, actor) = match result {
            Ok(ok) => ok,
            Err(AppError::TooManyAttempts { retry_after_secs }) => {
                if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
                    res.insert_header(http::header::RETRY_AFTER, retry_after_secs.into());
                }
                return Err(AppError::TooManyAttempts { retry_after_secs });
            }
            Err(e) => return Err(e),
        };
        if let Some(old) = current.token {
            state.db.end_session(&old).await?;
        }
        session::set_cookie(&session::session_cookie(
            &token,
            state.settings.session_max_secs,
            state.settings.secure_cookies(),
        ));
        set_language_cookie(actor.language);
        let next = safe_next(next.as_deref());
        super::after_form(&next);
        Ok(next)
    })
    .await
}

/// Ends the session and goes to the home page.
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    super::reply(async move {
        let state = state()?;
        if let Some(token) = session::current().token {
            state.db.end_session(&token).await?;
        }
        session::set_cookie(&session::clear_session_cookie(
            state.settings.secure_cookies(),
        ));
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}

#[server(endpoint = "request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    super::reply(async move {
        let state = state()?;
        state
            .db
            .request_password_reset(&email, now(&state), &state.settings)
            .await?;
        super::after_form("/forgot-password?done=1");
        Ok(())
    })
    .await
}

#[server(endpoint = "reset_password")]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    super::reply(async move {
        let state = state()?;
        state
            .db
            .reset_password(&token, password, now(&state))
            .await?;
        super::after_form("/reset-password?done=1");
        Ok(())
    })
    .await
}

#[server(endpoint = "profile")]
pub async fn get_profile() -> Result<Profile, AppError> {
    super::reply(async move {
        let state = state()?;
        let current = session::current();
        state
            .db
            .profile(
                current.actor.as_ref(),
                current.token.as_deref(),
                crate::backend::utc_offset(&state),
            )
            .await
    })
    .await
}

#[server(endpoint = "update_profile")]
pub async fn update_profile(name: String, phone: String, language: String) -> Result<(), AppError> {
    super::reply(async move {
        let actor = session::actor();
        actor.as_ref().ok_or(AppError::NotSignedIn)?;
        let language = Language::parse(&language)
            .ok_or_else(|| AppError::validation("language", "language_unknown"))?;
        state()?
            .db
            .update_profile(actor.as_ref(), &name, &phone, language)
            .await?;
        set_language_cookie(language);
        super::after_form("/profile?saved=1");
        Ok(())
    })
    .await
}

#[server(endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    super::reply(async move {
        let session = session::current();
        let state = state()?;
        state
            .db
            .change_password(
                session.actor.as_ref(),
                current_password,
                new_password,
                session.token.as_deref(),
                now(&state),
            )
            .await?;
        super::after_form("/profile?password=1");
        Ok(())
    })
    .await
}

/// Ends one of the person's sessions (a device they no longer use, or one they do not know).
#[server(endpoint = "end_session")]
pub async fn end_session(id: String) -> Result<(), AppError> {
    super::reply(async move {
        state()?
            .db
            .end_session_of(session::actor().as_ref(), &id)
            .await?;
        super::after_form("/profile?ended=1");
        Ok(())
    })
    .await
}

/// An institution's people and invitations; without `institution`, the first one the person
/// administers.
#[server(endpoint = "members")]
pub async fn institution_members(institution: Option<i64>) -> Result<(i64, Members), AppError> {
    super::reply(async move {
        let state = state()?;
        let actor = session::actor();
        let institution = match institution {
            Some(id) => id,
            None => {
                actor
                    .as_ref()
                    .ok_or(AppError::NotSignedIn)?
                    .administered()
                    .next()
                    .ok_or(AppError::Forbidden)?
                    .0
            }
        };
        let mut members = state
            .db
            .members(actor.as_ref(), OrganisationId(institution), now(&state))
            .await?;
        members.utc_offset_seconds = crate::backend::utc_offset(&state);
        Ok((institution, members))
    })
    .await
}

#[server(endpoint = "invite")]
pub async fn invite_member(institution: i64, email: String) -> Result<(), AppError> {
    super::reply(async move {
        let state = state()?;
        let actor = session::actor();
        state
            .db
            .invite(
                actor.as_ref(),
                OrganisationId(institution),
                &email,
                now(&state),
                &state.settings,
            )
            .await?;
        super::after_form(&format!(
            "/institution/members?institution={institution}&invited=1"
        ));
        Ok(())
    })
    .await
}

#[server(endpoint = "invitation")]
pub async fn get_invitation(token: String) -> Result<InvitationView, AppError> {
    super::reply(async move {
        let state = state()?;
        state.db.invitation(&token, now(&state)).await
    })
    .await
}

/// Accepts an invitation: with name, phone and password for a new account, or signed in as the
/// invited account.
#[server(endpoint = "accept_invitation")]
pub async fn accept_invitation(
    token: String,
    name: Option<String>,
    phone: Option<String>,
    password: Option<String>,
    language: Option<String>,
) -> Result<(), AppError> {
    super::reply(async move {
        let state = state()?;
        let actor = session::actor();
        let new_account = match (name, password) {
            (Some(name), Some(password)) => Some((
                name,
                phone.unwrap_or_default(),
                password,
                language
                    .as_deref()
                    .and_then(Language::parse)
                    .unwrap_or(Language::ZhCn),
            )),
            _ => None,
        };
        state
            .db
            .accept_invitation(&token, actor.as_ref(), new_account, now(&state))
            .await?;
        super::after_form("/invitation?done=1");
        Ok(())
    })
    .await
}

#[server(endpoint = "people")]
pub async fn list_people(query: Option<String>) -> Result<PeoplePage, AppError> {
    super::reply(async move {
        state()?
            .db
            .people(
                session::actor().as_ref(),
                query.as_deref().unwrap_or_default(),
            )
            .await
    })
    .await
}

/// Grants (`grant` = "1") or revokes a role. `scope` is the institution or zone id.
#[server(endpoint = "set_role")]
pub async fn set_role(
    user: i64,
    role: String,
    scope: Option<i64>,
    grant: String,
) -> Result<(), AppError> {
    super::reply(async move {
        let actor = session::actor();
        actor.as_ref().ok_or(AppError::NotSignedIn)?;
        let name =
            RoleName::parse(&role).ok_or_else(|| AppError::validation("role", "role_unknown"))?;
        let role = match name {
            RoleName::SiteAdmin => Role::SiteAdmin,
            RoleName::InstitutionAdmin => Role::InstitutionAdmin(OrganisationId(
                scope.ok_or_else(|| AppError::validation("scope", "scope_unknown"))?,
            )),
            RoleName::ZoneManager => Role::ZoneManager(ZoneId(
                scope.ok_or_else(|| AppError::validation("scope", "scope_unknown"))?,
            )),
        };
        let state = state()?;
        state
            .db
            .set_role(
                actor.as_ref(),
                UserId(user),
                role,
                grant == "1",
                now(&state),
            )
            .await?;
        super::after_form("/admin/people");
        Ok(())
    })
    .await
}

#[server(endpoint = "outbox")]
pub async fn outbox_messages(filter: Option<String>) -> Result<OutboxPage, AppError> {
    super::reply(async move {
        let state = state()?;
        let offset = crate::backend::utc_offset(&state);
        state
            .db
            .outbox_page(session::actor().as_ref(), filter, offset)
            .await
    })
    .await
}

/// A site admin sends a failed message again: a new round of attempts starts now.
#[server(endpoint = "retry_mail")]
pub async fn retry_mail(message: i64) -> Result<(), AppError> {
    super::reply(async move {
        let state = state()?;
        state
            .db
            .retry_failed_mail(session::actor().as_ref(), message, now(&state))
            .await?;
        super::after_form("/admin/outbox?filter=failed");
        Ok(())
    })
    .await
}

/// The sign-up claims of the zone the person manages.
#[server(endpoint = "claims")]
pub async fn sign_up_claims() -> Result<ClaimsPage, AppError> {
    super::reply(async move {
        let state = state()?;
        let offset = crate::backend::utc_offset(&state);
        state
            .db
            .claims_page(session::actor().as_ref(), offset)
            .await
    })
    .await
}

/// A zone manager decides a sign-up claim: `decision` is "approve" (granting what is ticked of
/// `in_zone` and `sme`, at most what was claimed) or "refuse".
#[server(endpoint = "decide_claim")]
pub async fn decide_claim(
    claim: i64,
    decision: String,
    in_zone: Option<String>,
    sme: Option<String>,
) -> Result<(), AppError> {
    super::reply(async move {
        let approve = match decision.as_str() {
            "approve" => true,
            "refuse" => false,
            _ => return Err(AppError::validation("decision", "decision_unknown")),
        };
        let state = state()?;
        state
            .db
            .decide_claim(
                session::actor().as_ref(),
                claim,
                crate::backend::accounts::Decision {
                    approve,
                    in_zone: in_zone.is_some(),
                    sme: sme.is_some(),
                },
                now(&state),
                &state.settings,
            )
            .await?;
        super::after_form("/zone/sign-ups?decided=1");
        Ok(())
    })
    .await
}

/// A personal API token made just now: its view, and the secret, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NewApiToken {
    pub token: ApiTokenView,
    pub secret: String,
}

/// Makes a personal API token with `scope` ("read", "book" or "admin").
#[server(endpoint = "create_api_token")]
pub async fn create_api_token(token_name: String, scope: String) -> Result<NewApiToken, AppError> {
    super::reply(async move {
        let scope = TokenScope::parse(&scope)
            .ok_or_else(|| AppError::validation("scope", "choice_unknown"))?;
        let state = state()?;
        let (token, secret) = state
            .db
            .create_api_token(session::actor().as_ref(), &token_name, scope, now(&state))
            .await?;
        let secure = state.settings.secure_cookies();
        super::show_once_after_form("/profile?shown=token", "token", &secret, secure);
        Ok(NewApiToken { token, secret })
    })
    .await
}

/// Revokes one of the person's API tokens, at once.
#[server(endpoint = "revoke_api_token")]
pub async fn revoke_api_token(token: i64) -> Result<(), AppError> {
    super::reply(async move {
        let state = state()?;
        state
            .db
            .revoke_api_token(session::actor().as_ref(), token, now(&state))
            .await?;
        super::after_form("/profile?revoked=1");
        Ok(())
    })
    .await
}

/// Makes a new secret calendar address (the old one stops working); returns the address.
#[server(endpoint = "reset_calendar_feed")]
pub async fn reset_calendar_feed() -> Result<String, AppError> {
    super::reply(async move {
        let state = state()?;
        let secret = state
            .db
            .reset_calendar_feed(session::actor().as_ref(), now(&state))
            .await?;
        let url = format!(
            "{}/api/v1/calendars/{secret}/bookings.ics",
            state.settings.public_url.trim_end_matches('/')
        );
        let secure = state.settings.secure_cookies();
        super::show_once_after_form("/profile?shown=feed", "feed", &url, secure);
        Ok(url)
    })
    .await
}
