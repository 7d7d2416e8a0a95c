//! People and their sessions, one file an area: [`sessions`] (stored server-side), [`signup`]
//! (with a verified address), [`passwords`] (sign-in with throttling, reset by a single-use token,
//! change), [`invitations`] and [`people`] (profiles, members, roles, site admins). What they share
//! lives here: the person behind a user id, and single-use tokens.

use super::mail::{enqueue, Mail};
use super::secrets::{hash_password, new_token, token_hash, verify_password};
use super::{Db, Settings};
use crate::domain::account::*;
use crate::domain::catalogue::Bilingual;
use crate::domain::email::Email;
use crate::domain::ids::{OrganisationId, UserId, ZoneId};
use crate::error::AppError;
use serde_json::json;
use sqlx::{AnyConnection, FromRow};

/// The policy, asked here in the services with the facts read from the rows concerned.
use crate::domain::policy::{require, Action, Target};

pub const VERIFY_HOURS: i64 = 48;
pub const RESET_MINUTES: i64 = 60;
pub const INVITE_DAYS: i64 = 7;

/// Lower-cased address, the key of an account.
pub fn account_email(raw: &str) -> Result<String, AppError> {
    let email = Email::parse(raw).map_err(|_| AppError::validation("email", "email_invalid"))?;
    Ok(email.as_str().to_lowercase())
}

/// The signed-in person, if they may edit their own profile and password.
fn myself(actor: Option<&Actor>) -> Result<&Actor, AppError> {
    let me = actor.ok_or(AppError::NotSignedIn)?;
    require(actor, Action::EditProfile, Target::User(me.user))?;
    Ok(me)
}

/// An institution's name, if `actor` may do `action` to it (asked with the zone from its row).
async fn institution_gate(
    db: &Db,
    actor: Option<&Actor>,
    action: Action,
    institution: OrganisationId,
) -> Result<Bilingual, AppError> {
    let (name, zone) = db
        .institution(institution)
        .await?
        .ok_or(AppError::NotFound)?;
    require(
        actor,
        action,
        Target::Institution {
            id: institution,
            zone,
        },
    )?;
    Ok(name)
}

fn invalid(field: &str) -> impl Fn(&'static str) -> AppError + '_ {
    move |key| AppError::validation(field, key)
}

#[derive(FromRow)]
struct ActorRow {
    id: i64,
    display_name: String,
    email: String,
    locale: String,
    organisation_id: i64,
    name_zh: String,
    name_en: String,
    kind: String,
    zone_id: Option<i64>,
    membership: String,
}

mod invitations;
mod passwords;
mod people;
mod sessions;
mod signup;
mod standing;
mod tokens;

pub use passwords::throttle_wait_secs;
pub use signup::{NewOrExisting, SignUp};
pub use standing::Decision;
pub use tokens::{TokenCaller, TOKEN_PREFIX};

impl Db {
    /// The person behind a user id, with organisation and roles.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn actor(&self, user: UserId) -> Result<Option<Actor>, sqlx::Error> {
        let row: Option<ActorRow> = sqlx::query_as(
            "SELECT u.id, u.display_name, u.email, u.locale, o.id AS organisation_id, o.name_zh, o.name_en, o.kind, o.zone_id, u.membership \
             FROM users u JOIN organisations o ON o.id = u.organisation_id WHERE u.id = $1",
        )
        .bind(user.0)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let roles = self.roles_of(&[row.id]).await?;
        let membership = Membership::parse(&row.membership).unwrap_or(Membership::Pending);
        let confirmed = membership == Membership::Confirmed;
        Ok(Some(Actor {
            user: UserId(row.id),
            name: row.display_name,
            email: row.email,
            language: Language::parse(&row.locale).unwrap_or(Language::ZhCn),
            organisation: OrganisationId(row.organisation_id),
            organisation_name: Bilingual {
                zh: row.name_zh,
                en: row.name_en,
            },
            organisation_kind: OrganisationKind::parse(&row.kind)
                .unwrap_or(OrganisationKind::Enterprise),
            zone: row.zone_id.filter(|_| confirmed).map(ZoneId),
            membership,
            roles: roles.into_iter().map(|(_, r)| r).collect(),
        }))
    }

    pub(super) async fn roles_of(&self, users: &[i64]) -> Result<Vec<(i64, Role)>, sqlx::Error> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let list = users
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(&format!(
            "SELECT user_id, role, scope_id FROM user_roles WHERE user_id IN ({list}) ORDER BY user_id, role, scope_id"
        ))
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(u, name, scope)| {
                RoleName::parse(&name).map(|n| (u, Role::from_parts(n, scope)))
            })
            .collect())
    }
}

/// Stores a new single-use token; the person's older tokens for the same purpose stop working.
async fn insert_token(
    conn: &mut AnyConnection,
    token: &str,
    user: i64,
    purpose: &str,
    now: i64,
    expires: i64,
) -> Result<(), sqlx::Error> {
    void_tokens(conn, user, purpose, now).await?;
    sqlx::query(
        "INSERT INTO account_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash(token))
    .bind(user)
    .bind(purpose)
    .bind(now)
    .bind(expires)
    .execute(&mut *conn)
    .await
    .map(|_| ())
}

/// Ends every unused token of `user` for `purpose` (a newer one was sent, or the password changed).
async fn void_tokens(
    conn: &mut AnyConnection,
    user: i64,
    purpose: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE account_tokens SET used_at = $1 WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL",
    )
    .bind(now)
    .bind(user)
    .bind(purpose)
    .execute(&mut *conn)
    .await
    .map(|_| ())
}

/// Marks a token used, atomically: of two requests racing with one token, one wins.
async fn use_token(
    conn: &mut AnyConnection,
    token: &str,
    purpose: &str,
    now: i64,
) -> Result<i64, AppError> {
    let row: Option<(i64,)> = sqlx::query_as(
        "UPDATE account_tokens SET used_at = $1 \
         WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
    )
    .bind(now)
    .bind(token_hash(token))
    .bind(purpose)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|(u,)| u)
        .ok_or_else(|| AppError::validation("token", "token_invalid"))
}
