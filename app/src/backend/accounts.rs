//! People and their sessions: sign-up with a verified address, sign-in with throttling, sessions
//! stored server-side, password reset by a single-use token, profiles, invitations and roles.
//! Authorization is not decided here: the server functions ask the policy module first.

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

pub const VERIFY_HOURS: i64 = 48;
pub const RESET_MINUTES: i64 = 60;
pub const INVITE_DAYS: i64 = 7;
/// Failed sign-ins allowed before each further attempt must wait; per account, and per address
/// (which may be an office behind one public address, hence more).
const ACCOUNT_FREE_FAILURES: i64 = 5;
const ADDRESS_FREE_FAILURES: i64 = 30;
/// Failures older than this are forgotten.
const FAILURE_MEMORY_SECS: i64 = 3600;
/// Sessions are touched at most this often, so reading pages does not write on every request.
const TOUCH_EVERY_SECS: i64 = 60;

/// How long the next attempt must wait after `failures` failures, of which `free` are allowed.
pub fn throttle_wait_secs(failures: i64, free: i64) -> i64 {
    if failures < free {
        0
    } else {
        (30_i64 << (failures - free).min(5)).min(900)
    }
}

/// Lower-cased address, the key of an account.
pub fn account_email(raw: &str) -> Result<String, AppError> {
    let email = Email::parse(raw).map_err(|_| AppError::validation("email", "email_invalid"))?;
    Ok(email.as_str().to_lowercase())
}

fn invalid(field: &str) -> impl Fn(&'static str) -> AppError + '_ {
    move |key| AppError::validation(field, key)
}

/// What a person fills in to sign up.
#[derive(Debug, Clone)]
pub struct SignUp {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub password: String,
    pub language: Language,
    pub organisation: NewOrExisting,
}

#[derive(Debug, Clone)]
pub enum NewOrExisting {
    Existing(OrganisationId),
    New {
        name: String,
        kind: OrganisationKind,
        in_zone: bool,
        sme: bool,
        credit_code: Option<String>,
    },
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
}

#[derive(FromRow)]
struct SignInRow {
    id: i64,
    password_hash: Option<String>,
    email_verified_at: Option<i64>,
    display_name: String,
    locale: String,
}

#[derive(FromRow)]
struct PersonDbRow {
    id: i64,
    display_name: String,
    email: String,
    name_zh: String,
    name_en: String,
    verified: i64,
}

const PERSON_COLUMNS: &str = "u.id, u.display_name, u.email, o.name_zh, o.name_en, \
     CASE WHEN u.email_verified_at IS NULL THEN 0 ELSE 1 END AS verified";

impl Db {
    /// The person behind a user id, with organisation and roles.
    pub async fn actor(&self, user: UserId) -> Result<Option<Actor>, sqlx::Error> {
        let row: Option<ActorRow> = sqlx::query_as(
            "SELECT u.id, u.display_name, u.email, u.locale, o.id AS organisation_id, o.name_zh, o.name_en, o.kind, o.zone_id \
             FROM users u JOIN organisations o ON o.id = u.organisation_id WHERE u.id = $1",
        )
        .bind(user.0)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let roles = self.roles_of(&[row.id]).await?;
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
            zone: row.zone_id.map(ZoneId),
            roles: roles.into_iter().map(|(_, r)| r).collect(),
        }))
    }

    async fn roles_of(&self, users: &[i64]) -> Result<Vec<(i64, Role)>, sqlx::Error> {
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

    /// The person a session token belongs to, if the session is alive. Expired sessions are
    /// deleted on sight; live ones are touched (at most once a minute) for the idle limit.
    pub async fn session_actor(
        &self,
        token: &str,
        now: i64,
        settings: &Settings,
    ) -> Result<Option<Actor>, sqlx::Error> {
        let hash = token_hash(token);
        let row: Option<(i64, i64, i64)> = sqlx::query_as(
            "SELECT user_id, last_seen_at, expires_at FROM sessions WHERE token_hash = $1",
        )
        .bind(&hash)
        .fetch_optional(self.pool())
        .await?;
        let Some((user, last_seen, expires)) = row else {
            return Ok(None);
        };
        if now >= expires || now - last_seen > settings.session_idle_secs {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(&hash)
                .execute(self.pool())
                .await?;
            return Ok(None);
        }
        if now - last_seen >= TOUCH_EVERY_SECS {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                .bind(now)
                .bind(&hash)
                .execute(self.pool())
                .await?;
        }
        self.actor(UserId(user)).await
    }

    /// Starts a new session for `user`; returns the token for the cookie.
    async fn create_session(
        &self,
        user: i64,
        now: i64,
        user_agent: &str,
        settings: &Settings,
    ) -> Result<String, sqlx::Error> {
        let token = new_token();
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, user_agent) \
             VALUES ($1, $2, $3, $3, $4, $5)",
        )
        .bind(token_hash(&token))
        .bind(user)
        .bind(now)
        .bind(now + settings.session_max_secs)
        .bind(user_agent.chars().take(200).collect::<String>())
        .execute(self.pool())
        .await?;
        Ok(token)
    }

    pub async fn end_session(&self, token: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash(token))
            .execute(self.pool())
            .await
            .map(|_| ())
    }

    /// Every organisation a person may say they belong to when signing up: labs and enterprises.
    /// Institutions are joined by invitation only, since membership brings their own-staff rates.
    pub async fn sign_up_organisations(&self) -> Result<Vec<OrganisationOption>, sqlx::Error> {
        let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT id, name_zh, name_en, kind FROM organisations WHERE kind <> 'institution' ORDER BY name_zh",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, zh, en, kind)| OrganisationOption {
                id: OrganisationId(id),
                name: Bilingual { zh, en },
                kind: OrganisationKind::parse(&kind).unwrap_or(OrganisationKind::Enterprise),
            })
            .collect())
    }

    /// Creates an unverified account and mails the verification link. If the address already has
    /// an account, nothing is created and its owner is told by mail instead, so that the answer
    /// does not reveal who has an account.
    pub async fn sign_up(
        &self,
        input: SignUp,
        now: i64,
        settings: &Settings,
    ) -> Result<(), AppError> {
        let name = check_name(&input.name).map_err(invalid("name"))?;
        let email = account_email(&input.email)?;
        let phone = check_phone(&input.phone).map_err(invalid("phone"))?;
        check_password(&input.password, &email).map_err(invalid("password"))?;
        let organisation = match &input.organisation {
            NewOrExisting::Existing(id) => {
                let kind: Option<(String,)> =
                    sqlx::query_as("SELECT kind FROM organisations WHERE id = $1")
                        .bind(id.0)
                        .fetch_optional(self.pool())
                        .await?;
                match kind {
                    None => {
                        return Err(AppError::validation("organisation", "organisation_unknown"))
                    }
                    Some((k,)) if k == "institution" => {
                        return Err(AppError::validation(
                            "organisation",
                            "institution_by_invitation",
                        ))
                    }
                    Some(_) => input.organisation.clone(),
                }
            }
            NewOrExisting::New {
                name,
                kind,
                in_zone,
                sme,
                credit_code,
            } => {
                let name = name.trim();
                if name.is_empty() || name.chars().count() > 100 {
                    return Err(AppError::validation(
                        "organisation_name",
                        "organisation_name_invalid",
                    ));
                }
                if *kind == OrganisationKind::Institution {
                    return Err(AppError::validation(
                        "organisation_kind",
                        "institution_by_invitation",
                    ));
                }
                let credit_code = match credit_code
                    .as_deref()
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                {
                    Some(code) => Some(check_credit_code(code).map_err(invalid("credit_code"))?),
                    None => None,
                };
                if let Some(code) = &credit_code {
                    let taken: Option<(i64,)> =
                        sqlx::query_as("SELECT id FROM organisations WHERE credit_code = $1")
                            .bind(code)
                            .fetch_optional(self.pool())
                            .await?;
                    if taken.is_some() {
                        return Err(AppError::validation("credit_code", "organisation_exists"));
                    }
                }
                NewOrExisting::New {
                    name: name.to_string(),
                    kind: *kind,
                    in_zone: *in_zone,
                    sme: *sme,
                    credit_code,
                }
            }
        };

        // Hashed whether or not the address is taken, so the answer takes as long either way.
        let hash = hash_password(input.password).await?;
        let existing: Option<(i64, String, String)> =
            sqlx::query_as("SELECT id, display_name, locale FROM users WHERE email = $1")
                .bind(&email)
                .fetch_optional(self.pool())
                .await?;
        if let Some((_, existing_name, locale)) = existing {
            let mut tx = self.pool().begin().await?;
            let mail = Mail {
                to: email.clone(),
                to_name: existing_name.clone(),
                language: Language::parse(&locale).unwrap_or(Language::ZhCn),
                template: "account_exists",
                context: json!({
                    "name": existing_name,
                    "sign_in_link": format!("{}/sign-in", settings.public_url),
                    "reset_link": format!("{}/forgot-password", settings.public_url),
                }),
                booking: None,
                invite: None,
            };
            enqueue(&mut tx, &mail, now, &settings.public_url).await?;
            tx.commit().await?;
            return Ok(());
        }

        let mut tx = self.pool().begin().await?;
        let organisation_id = match organisation {
            NewOrExisting::Existing(id) => id.0,
            NewOrExisting::New {
                name,
                kind,
                in_zone,
                sme,
                credit_code,
            } => {
                let zone: Option<i64> = if in_zone {
                    sqlx::query_as::<_, (i64,)>("SELECT id FROM zones ORDER BY id LIMIT 1")
                        .fetch_optional(&mut *tx)
                        .await?
                        .map(|(z,)| z)
                } else {
                    None
                };
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO organisations (zone_id, kind, name_zh, name_en, credit_code, is_sme, created_at) \
                     VALUES ($1, $2, $3, $3, $4, $5, $6) RETURNING id",
                )
                .bind(zone)
                .bind(kind.as_str())
                .bind(&name)
                .bind(credit_code)
                .bind(sme)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                id
            }
        };
        let inserted: Result<(i64,), sqlx::Error> = sqlx::query_as(
            "INSERT INTO users (organisation_id, email, display_name, phone, locale, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(organisation_id)
        .bind(&email)
        .bind(&name)
        .bind(&phone)
        .bind(input.language.as_str())
        .bind(&hash)
        .bind(now)
        .fetch_one(&mut *tx)
        .await;
        let user = match inserted {
            Ok((id,)) => id,
            // Signed up twice at the same moment: the first one stands.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        send_verification(&mut tx, user, &email, &name, input.language, now, settings).await?;
        tx.commit().await?;
        tracing::info!(user, "signed up");
        Ok(())
    }

    /// Confirms an address by its token. Used tokens and expired ones are refused.
    pub async fn verify_email(&self, token: &str, now: i64) -> Result<(), AppError> {
        let mut tx = self.pool().begin().await?;
        let user = use_token(&mut tx, token, "verify_email", now).await?;
        sqlx::query(
            "UPDATE users SET email_verified_at = $1 WHERE id = $2 AND email_verified_at IS NULL",
        )
        .bind(now)
        .bind(user)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Checks the password and starts a session. Failures are counted per account and per
    /// address; past a few, each attempt must wait longer (up to 15 minutes), correct or not.
    pub async fn sign_in(
        &self,
        raw_email: &str,
        password: String,
        address: &str,
        user_agent: &str,
        now: i64,
        settings: &Settings,
    ) -> Result<(String, Actor), AppError> {
        let email = raw_email.trim().to_lowercase();
        let keys = [
            (format!("account:{email}"), ACCOUNT_FREE_FAILURES),
            (format!("address:{address}"), ADDRESS_FREE_FAILURES),
        ];
        for (key, free) in &keys {
            let row: Option<(i64, i64)> = sqlx::query_as(
                "SELECT failures, last_failure_at FROM sign_in_failures WHERE key = $1",
            )
            .bind(key)
            .fetch_optional(self.pool())
            .await?;
            if let Some((failures, last)) = row.filter(|(_, last)| now - last < FAILURE_MEMORY_SECS)
            {
                let until = last + throttle_wait_secs(failures, *free);
                if now < until {
                    return Err(AppError::TooManyAttempts {
                        retry_after_secs: until - now,
                    });
                }
            }
        }
        let user: Option<SignInRow> = sqlx::query_as(
            "SELECT id, password_hash, email_verified_at, display_name, locale FROM users WHERE email = $1",
        )
        .bind(&email)
        .fetch_optional(self.pool())
        .await?;
        let stored = user.as_ref().and_then(|u| u.password_hash.clone());
        if !verify_password(password, stored).await {
            for (key, _) in &keys {
                sqlx::query(
                    "INSERT INTO sign_in_failures (key, failures, last_failure_at) VALUES ($1, 1, $2) \
                     ON CONFLICT (key) DO UPDATE SET \
                       failures = CASE WHEN sign_in_failures.last_failure_at < $3 THEN 1 ELSE sign_in_failures.failures + 1 END, \
                       last_failure_at = $2",
                )
                .bind(key)
                .bind(now)
                .bind(now - FAILURE_MEMORY_SECS)
                .execute(self.pool())
                .await?;
            }
            tracing::info!(address, "failed sign-in");
            return Err(AppError::validation("password", "sign_in_failed"));
        }
        let Some(SignInRow {
            id: user,
            email_verified_at: verified,
            display_name: name,
            locale,
            ..
        }) = user
        else {
            return Err(AppError::validation("password", "sign_in_failed"));
        };
        sqlx::query("DELETE FROM sign_in_failures WHERE key = $1")
            .bind(&keys[0].0)
            .execute(self.pool())
            .await?;
        if verified.is_none() {
            // The password was right: send a fresh link rather than leave them stuck.
            let mut tx = self.pool().begin().await?;
            let language = Language::parse(&locale).unwrap_or(Language::ZhCn);
            send_verification(&mut tx, user, &email, &name, language, now, settings).await?;
            tx.commit().await?;
            return Err(AppError::validation("email", "not_verified"));
        }
        let token = self.create_session(user, now, user_agent, settings).await?;
        let actor = self.actor(UserId(user)).await?.ok_or(AppError::NotFound)?;
        tracing::info!(user, "signed in");
        Ok((token, actor))
    }

    /// Mails a reset link if the address has an account; answers the same either way.
    pub async fn request_password_reset(
        &self,
        raw_email: &str,
        now: i64,
        settings: &Settings,
    ) -> Result<(), AppError> {
        let email = account_email(raw_email)?;
        let user: Option<(i64, String, String)> =
            sqlx::query_as("SELECT id, display_name, locale FROM users WHERE email = $1")
                .bind(&email)
                .fetch_optional(self.pool())
                .await?;
        let Some((user, name, locale)) = user else {
            return Ok(());
        };
        let token = new_token();
        let mut tx = self.pool().begin().await?;
        insert_token(
            &mut tx,
            &token,
            user,
            "reset_password",
            now,
            now + RESET_MINUTES * 60,
        )
        .await?;
        let language = Language::parse(&locale).unwrap_or(Language::ZhCn);
        let mail = Mail {
            to: email,
            to_name: name.clone(),
            language,
            template: "reset_password",
            context: json!({
                "name": name,
                "link": format!("{}/reset-password?token={token}", settings.public_url),
                "minutes": RESET_MINUTES,
            }),
            booking: None,
            invite: None,
        };
        enqueue(&mut tx, &mail, now, &settings.public_url).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a new password from a reset token. Every session of the account ends; the address
    /// counts as verified, since the link reached it.
    pub async fn reset_password(
        &self,
        token: &str,
        password: String,
        now: i64,
    ) -> Result<(), AppError> {
        let hash_of_token = token_hash(token);
        let owner: Option<(String,)> = sqlx::query_as(
            "SELECT u.email FROM account_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
        )
        .bind(&hash_of_token)
        .fetch_optional(self.pool())
        .await?;
        let email = owner.map(|(e,)| e).unwrap_or_default();
        check_password(&password, &email).map_err(invalid("password"))?;
        let hash = hash_password(password).await?;
        let mut tx = self.pool().begin().await?;
        let user = use_token(&mut tx, token, "reset_password", now).await?;
        sqlx::query(
            "UPDATE users SET password_hash = $1, email_verified_at = COALESCE(email_verified_at, $2) WHERE id = $3",
        )
        .bind(&hash)
        .bind(now)
        .bind(user)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sign_in_failures WHERE key = $1")
            .bind(format!("account:{email}"))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(user, "password reset");
        Ok(())
    }

    pub async fn profile(&self, user: UserId) -> Result<Profile, AppError> {
        let actor = self.actor(user).await?.ok_or(AppError::NotFound)?;
        let (phone, sme, code, zone): (Option<String>, i64, Option<String>, Option<i64>) =
            sqlx::query_as(
                "SELECT u.phone, CASE WHEN o.is_sme THEN 1 ELSE 0 END, o.credit_code, o.zone_id \
             FROM users u JOIN organisations o ON o.id = u.organisation_id WHERE u.id = $1",
            )
            .bind(user.0)
            .fetch_one(self.pool())
            .await?;
        Ok(Profile {
            actor,
            phone: phone.unwrap_or_default(),
            organisation_is_sme: sme != 0,
            organisation_credit_code: code.unwrap_or_default(),
            organisation_in_zone: zone.is_some(),
        })
    }

    pub async fn update_profile(
        &self,
        user: UserId,
        name: &str,
        phone: &str,
        language: Language,
    ) -> Result<(), AppError> {
        let name = check_name(name).map_err(invalid("name"))?;
        let phone = check_phone(phone).map_err(invalid("phone"))?;
        sqlx::query("UPDATE users SET display_name = $1, phone = $2, locale = $3 WHERE id = $4")
            .bind(name)
            .bind(phone)
            .bind(language.as_str())
            .bind(user.0)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Changes the password after checking the current one; every other session ends.
    pub async fn change_password(
        &self,
        user: UserId,
        current: String,
        new: String,
        keep_session: Option<&str>,
    ) -> Result<(), AppError> {
        let (email, stored): (String, Option<String>) =
            sqlx::query_as("SELECT email, password_hash FROM users WHERE id = $1")
                .bind(user.0)
                .fetch_one(self.pool())
                .await?;
        if !verify_password(current, stored).await {
            return Err(AppError::validation("current_password", "password_wrong"));
        }
        check_password(&new, &email).map_err(invalid("new_password"))?;
        let hash = hash_password(new).await?;
        let mut tx = self.pool().begin().await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(&hash)
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user.0)
            .bind(keep_session.map(token_hash).unwrap_or_default())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(user = user.0, "password changed");
        Ok(())
    }

    /// An institution's name and zone, for the policy; None if it is not an institution.
    pub async fn institution(
        &self,
        id: OrganisationId,
    ) -> Result<Option<(Bilingual, Option<ZoneId>)>, sqlx::Error> {
        let row: Option<(String, String, Option<i64>)> = sqlx::query_as(
            "SELECT name_zh, name_en, zone_id FROM organisations WHERE id = $1 AND kind = 'institution'",
        )
        .bind(id.0)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(zh, en, zone)| (Bilingual { zh, en }, zone.map(ZoneId))))
    }

    pub async fn members(
        &self,
        institution: OrganisationId,
        now: i64,
    ) -> Result<Members, AppError> {
        let (name, _) = self
            .institution(institution)
            .await?
            .ok_or(AppError::NotFound)?;
        let rows: Vec<PersonDbRow> = sqlx::query_as(&format!(
            "SELECT {PERSON_COLUMNS} FROM users u JOIN organisations o ON o.id = u.organisation_id \
             WHERE u.organisation_id = $1 ORDER BY u.display_name"
        ))
        .bind(institution.0)
        .fetch_all(self.pool())
        .await?;
        let people = self.people_rows(rows).await?;
        let invitations: Vec<(String, i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT email, created_at, expires_at, accepted_at FROM invitations \
             WHERE institution_id = $1 AND (accepted_at IS NOT NULL OR expires_at > $2) ORDER BY created_at DESC LIMIT 100",
        )
        .bind(institution.0)
        .bind(now)
        .fetch_all(self.pool())
        .await?;
        Ok(Members {
            institution: name,
            utc_offset_seconds: 0,
            people,
            invitations: invitations
                .into_iter()
                .map(|(email, created_at, expires_at, accepted)| InvitationRow {
                    email,
                    created_at,
                    expires_at,
                    accepted: accepted.is_some(),
                })
                .collect(),
        })
    }

    async fn people_rows(&self, rows: Vec<PersonDbRow>) -> Result<Vec<PersonRow>, sqlx::Error> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let roles = self.roles_of(&ids).await?;
        Ok(rows
            .into_iter()
            .map(|r| PersonRow {
                id: UserId(r.id),
                roles: roles
                    .iter()
                    .filter(|(u, _)| *u == r.id)
                    .map(|(_, role)| *role)
                    .collect(),
                name: r.display_name,
                email: r.email,
                organisation: Bilingual {
                    zh: r.name_zh,
                    en: r.name_en,
                },
                verified: r.verified != 0,
            })
            .collect())
    }

    /// Invites `email` to join `institution`, by a mailed single-use link.
    pub async fn invite(
        &self,
        inviter: &Actor,
        institution: OrganisationId,
        raw_email: &str,
        now: i64,
        settings: &Settings,
    ) -> Result<(), AppError> {
        let email = account_email(raw_email)?;
        let (name, _) = self
            .institution(institution)
            .await?
            .ok_or(AppError::NotFound)?;
        let already: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM users WHERE email = $1 AND organisation_id = $2")
                .bind(&email)
                .bind(institution.0)
                .fetch_optional(self.pool())
                .await?;
        if already.is_some() {
            return Err(AppError::validation("email", "already_member"));
        }
        let language: Language =
            sqlx::query_as::<_, (String,)>("SELECT locale FROM users WHERE email = $1")
                .bind(&email)
                .fetch_optional(self.pool())
                .await?
                .and_then(|(l,)| Language::parse(&l))
                .unwrap_or(inviter.language);
        let token = new_token();
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO invitations (token_hash, institution_id, email, invited_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash(&token))
        .bind(institution.0)
        .bind(&email)
        .bind(inviter.user.0)
        .bind(now)
        .bind(now + INVITE_DAYS * 86_400)
        .execute(&mut *tx)
        .await?;
        let mail = Mail {
            to: email,
            to_name: String::new(),
            language,
            template: "invitation",
            context: json!({
                "institution": name.pick(language == Language::En),
                "inviter": inviter.name,
                "link": format!("{}/invitation?token={token}", settings.public_url),
                "days": INVITE_DAYS,
            }),
            booking: None,
            invite: None,
        };
        enqueue(&mut tx, &mail, now, &settings.public_url).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn invitation(&self, token: &str, now: i64) -> Result<InvitationView, AppError> {
        let row: Option<(i64, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT institution_id, email, expires_at, accepted_at FROM invitations WHERE token_hash = $1",
        )
        .bind(token_hash(token))
        .fetch_optional(self.pool())
        .await?;
        let (institution, email, expires, accepted) =
            row.ok_or_else(|| AppError::validation("token", "token_invalid"))?;
        if accepted.is_some() || now >= expires {
            return Err(AppError::validation("token", "token_invalid"));
        }
        let (name, _) = self
            .institution(OrganisationId(institution))
            .await?
            .ok_or(AppError::NotFound)?;
        let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM users WHERE email = $1")
            .bind(&email)
            .fetch_optional(self.pool())
            .await?;
        Ok(InvitationView {
            institution: name,
            email,
            account_exists: exists.is_some(),
        })
    }

    /// Accepts an invitation. A new person sets name, phone and password (the link proved the
    /// address); a person with an account must be signed in as that account, which then moves
    /// into the institution.
    pub async fn accept_invitation(
        &self,
        token: &str,
        signed_in: Option<&Actor>,
        new_account: Option<(String, String, String, Language)>,
        now: i64,
    ) -> Result<UserId, AppError> {
        let view = self.invitation(token, now).await?;
        let hash = match (&signed_in, &new_account, view.account_exists) {
            (Some(actor), _, true) if actor.email == view.email => None,
            (_, _, true) => return Err(AppError::NotSignedIn),
            (_, Some((name, phone, password, _)), false) => {
                check_name(name).map_err(invalid("name"))?;
                check_phone(phone).map_err(invalid("phone"))?;
                check_password(password, &view.email).map_err(invalid("password"))?;
                Some(hash_password(password.clone()).await?)
            }
            (_, None, false) => return Err(AppError::validation("name", "name_missing")),
        };
        let mut tx = self.pool().begin().await?;
        let claimed: Option<(i64,)> = sqlx::query_as(
            "UPDATE invitations SET accepted_at = $1 WHERE token_hash = $2 AND accepted_at IS NULL AND expires_at > $1 \
             RETURNING institution_id",
        )
        .bind(now)
        .bind(token_hash(token))
        .fetch_optional(&mut *tx)
        .await?;
        let (institution,) =
            claimed.ok_or_else(|| AppError::validation("token", "token_invalid"))?;
        let user = match (hash, new_account) {
            (Some(hash), Some((name, phone, _, language))) => {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO users (organisation_id, email, display_name, phone, locale, password_hash, email_verified_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
                )
                .bind(institution)
                .bind(&view.email)
                .bind(check_name(&name).map_err(invalid("name"))?)
                .bind(phone.trim())
                .bind(language.as_str())
                .bind(hash)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                id
            }
            _ => {
                let (id,): (i64,) = sqlx::query_as(
                    "UPDATE users SET organisation_id = $1, email_verified_at = COALESCE(email_verified_at, $2) \
                     WHERE email = $3 RETURNING id",
                )
                .bind(institution)
                .bind(now)
                .bind(&view.email)
                .fetch_one(&mut *tx)
                .await?;
                id
            }
        };
        sqlx::query("UPDATE invitations SET accepted_by = $1 WHERE token_hash = $2")
            .bind(user)
            .bind(token_hash(token))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(user, institution, "invitation accepted");
        Ok(UserId(user))
    }

    /// Everyone, for the site administrators (optionally matching `query` in name or address).
    pub async fn people(&self, query: &str) -> Result<PeoplePage, AppError> {
        let pattern = format!("%{}%", query.trim().to_lowercase());
        let rows: Vec<PersonDbRow> = sqlx::query_as(&format!(
            "SELECT {PERSON_COLUMNS} FROM users u JOIN organisations o ON o.id = u.organisation_id \
             WHERE LOWER(u.email) LIKE $1 OR LOWER(u.display_name) LIKE $1 ORDER BY u.id LIMIT 200"
        ))
        .bind(&pattern)
        .fetch_all(self.pool())
        .await?;
        let people = self.people_rows(rows).await?;
        let institutions: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT id, name_zh, name_en FROM organisations WHERE kind = 'institution' ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?;
        let zones: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT id, name_zh, name_en FROM zones ORDER BY id")
                .fetch_all(self.pool())
                .await?;
        Ok(PeoplePage {
            people,
            institutions: institutions
                .into_iter()
                .map(|(id, zh, en)| OrganisationOption {
                    id: OrganisationId(id),
                    name: Bilingual { zh, en },
                    kind: OrganisationKind::Institution,
                })
                .collect(),
            zones: zones
                .into_iter()
                .map(|(id, zh, en)| (ZoneId(id), Bilingual { zh, en }))
                .collect(),
        })
    }

    /// Grants or revokes a role, with an audit row. The scope must exist.
    pub async fn set_role(
        &self,
        actor: &Actor,
        user: UserId,
        role: Role,
        granted: bool,
        now: i64,
    ) -> Result<(), AppError> {
        let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM users WHERE id = $1")
            .bind(user.0)
            .fetch_optional(self.pool())
            .await?;
        exists.ok_or(AppError::NotFound)?;
        let scope_ok = match role {
            Role::InstitutionAdmin(id) => self.institution(id).await?.is_some(),
            Role::ZoneManager(zone) => {
                sqlx::query_as::<_, (i64,)>("SELECT id FROM zones WHERE id = $1")
                    .bind(zone.0)
                    .fetch_optional(self.pool())
                    .await?
                    .is_some()
            }
            Role::SiteAdmin => true,
        };
        if !scope_ok {
            return Err(AppError::validation("scope", "scope_unknown"));
        }
        if !granted && role == Role::SiteAdmin && user == actor.user {
            // The last door out must not be locked from inside.
            return Err(AppError::validation("role", "cannot_revoke_own_site_admin"));
        }
        let mut tx = self.pool().begin().await?;
        let changed = if granted {
            sqlx::query(
                "INSERT INTO user_roles (user_id, role, scope_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
        } else {
            sqlx::query("DELETE FROM user_roles WHERE user_id = $1 AND role = $2 AND scope_id = $3")
        }
        .bind(user.0)
        .bind(role.name().as_str())
        .bind(role.scope_id())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed > 0 {
            sqlx::query(
                "INSERT INTO role_events (user_id, role, scope_id, granted, actor_id, at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(user.0)
            .bind(role.name().as_str())
            .bind(role.scope_id())
            .bind(granted)
            .bind(actor.user.0)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The newest `limit` messages, all or only those in state `status`.
    pub async fn outbox(
        &self,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<OutboxRow>, sqlx::Error> {
        sqlx::query_as(
            "SELECT id, to_address, subject, body_text, status, attempts, last_error, created_at, sent_at, \
               next_attempt_at, CASE WHEN ics IS NULL THEN '' WHEN ics LIKE '%METHOD:CANCEL%' THEN 'CANCEL' \
               ELSE 'REQUEST' END AS invite \
             FROM outbox WHERE $1 = '' OR status = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(status.unwrap_or(""))
        .bind(limit)
        .fetch_all(self.pool())
        .await
    }

    /// How many messages wait for delivery, and how many failed for good.
    pub async fn outbox_counts(&self) -> Result<(i64, i64), sqlx::Error> {
        sqlx::query_as(
            "SELECT COALESCE(SUM(CASE WHEN status IN ('queued', 'sending') THEN 1 ELSE 0 END), 0), \
               COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) FROM outbox",
        )
        .fetch_one(self.pool())
        .await
    }

    /// Creates a site administrator, or makes an existing account one and sets its password. Used
    /// by the `create-admin` command and by INITIAL_ADMIN_* at first start.
    pub async fn ensure_site_admin(
        &self,
        raw_email: &str,
        name: &str,
        password: String,
        now: i64,
    ) -> Result<UserId, AppError> {
        let email = account_email(raw_email)?;
        let name = check_name(name).map_err(invalid("name"))?;
        check_password(&password, &email).map_err(invalid("password"))?;
        let hash = hash_password(password).await?;
        let mut tx = self.pool().begin().await?;
        let existing: Option<(i64,)> = sqlx::query_as("SELECT id FROM users WHERE email = $1")
            .bind(&email)
            .fetch_optional(&mut *tx)
            .await?;
        let user = match existing {
            Some((id,)) => {
                sqlx::query(
                    "UPDATE users SET password_hash = $1, email_verified_at = COALESCE(email_verified_at, $2) WHERE id = $3",
                )
                .bind(&hash)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                id
            }
            None => {
                let operator: Option<(i64,)> = sqlx::query_as(
                    "SELECT id FROM organisations WHERE kind = 'enterprise' AND name_en = 'Platform operator'",
                )
                .fetch_optional(&mut *tx)
                .await?;
                let organisation = match operator {
                    Some((id,)) => id,
                    None => {
                        sqlx::query_as::<_, (i64,)>(
                            "INSERT INTO organisations (kind, name_zh, name_en, created_at) \
                             VALUES ('enterprise', '平台运营方', 'Platform operator', $1) RETURNING id",
                        )
                        .bind(now)
                        .fetch_one(&mut *tx)
                        .await?
                        .0
                    }
                };
                sqlx::query_as::<_, (i64,)>(
                    "INSERT INTO users (organisation_id, email, display_name, locale, password_hash, email_verified_at, created_at) \
                     VALUES ($1, $2, $3, 'zh-CN', $4, $5, $5) RETURNING id",
                )
                .bind(organisation)
                .bind(&email)
                .bind(&name)
                .bind(&hash)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?
                .0
            }
        };
        sqlx::query(
            "INSERT INTO user_roles (user_id, role, scope_id) VALUES ($1, 'site_admin', 0) ON CONFLICT DO NOTHING",
        )
        .bind(user)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(UserId(user))
    }

    pub async fn has_site_admin(&self) -> Result<bool, sqlx::Error> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM user_roles WHERE role = 'site_admin'")
                .fetch_one(self.pool())
                .await?;
        Ok(n > 0)
    }
}

async fn insert_token(
    conn: &mut AnyConnection,
    token: &str,
    user: i64,
    purpose: &str,
    now: i64,
    expires: i64,
) -> Result<(), sqlx::Error> {
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

async fn send_verification(
    conn: &mut AnyConnection,
    user: i64,
    email: &str,
    name: &str,
    language: Language,
    now: i64,
    settings: &Settings,
) -> Result<(), AppError> {
    let token = new_token();
    insert_token(
        conn,
        &token,
        user,
        "verify_email",
        now,
        now + VERIFY_HOURS * 3600,
    )
    .await?;
    let mail = Mail {
        to: email.to_string(),
        to_name: name.to_string(),
        language,
        template: "verify_email",
        context: json!({
            "name": name,
            "link": format!("{}/verify-email?token={token}", settings.public_url),
            "hours": VERIFY_HOURS,
        }),
        booking: None,
        invite: None,
    };
    enqueue(conn, &mail, now, &settings.public_url).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_grows_after_the_free_failures_and_is_capped() {
        assert_eq!(throttle_wait_secs(4, 5), 0);
        assert_eq!(throttle_wait_secs(5, 5), 30);
        assert_eq!(throttle_wait_secs(6, 5), 60);
        assert_eq!(throttle_wait_secs(9, 5), 480);
        assert_eq!(throttle_wait_secs(10, 5), 900);
        assert_eq!(throttle_wait_secs(50, 5), 900);
    }
}
