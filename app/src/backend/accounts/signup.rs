//! Signing up: a person with a new or existing organisation, and the address verified by a mailed
//! single-use link.

use super::standing::{record_claim, Claim};
use super::*;

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

impl Db {
    /// Every organisation a person may say they belong to when signing up: labs and enterprises.
    /// Institutions are joined by invitation only, since membership brings their own-staff rates.
    #[tracing::instrument(level = "debug", skip_all)]
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
    #[tracing::instrument(level = "debug", skip_all)]
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
        let (organisation_id, claim) = match organisation {
            NewOrExisting::Existing(id) => (id.0, Claim::Join),
            NewOrExisting::New {
                name,
                kind,
                in_zone,
                sme,
                credit_code,
            } => {
                // Outside the zone and not an SME until a zone manager approves the claim.
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO organisations (zone_id, kind, name_zh, name_en, credit_code, is_sme, created_at) \
                     VALUES (NULL, $1, $2, $2, $3, FALSE, $4) RETURNING id",
                )
                .bind(kind.as_str())
                .bind(&name)
                .bind(credit_code)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                (id, Claim::NewOrganisation { in_zone, sme })
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
        record_claim(&mut tx, user, organisation_id, claim, now).await?;
        send_verification(&mut tx, user, &email, &name, input.language, now, settings).await?;
        tx.commit().await?;
        tracing::info!(user, "signed up");
        Ok(())
    }

    /// Confirms an address by its token. Used tokens and expired ones are refused.
    #[tracing::instrument(level = "debug", skip_all)]
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
}

pub(super) async fn send_verification(
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
