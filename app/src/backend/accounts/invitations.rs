//! Invitations to an institution: mailed single-use links that create or join an account.

use super::*;

impl Db {
    /// Invites `email` to join `institution`, by a mailed single-use link.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn invite(
        &self,
        actor: Option<&Actor>,
        institution: OrganisationId,
        raw_email: &str,
        now: i64,
        settings: &Settings,
    ) -> Result<(), AppError> {
        let name = institution_gate(self, actor, Action::InviteMember, institution).await?;
        let inviter = actor.ok_or(AppError::NotSignedIn)?;
        let email = account_email(raw_email)?;
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

    #[tracing::instrument(level = "debug", skip_all)]
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
    #[tracing::instrument(level = "debug", skip_all)]
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
                    "UPDATE users SET organisation_id = $1, membership = 'confirmed', \
                     email_verified_at = COALESCE(email_verified_at, $2) WHERE email = $3 RETURNING id",
                )
                .bind(institution)
                .bind(now)
                .bind(&view.email)
                .fetch_one(&mut *tx)
                .await?;
                // The institution's invitation confirms membership: a claim to belong elsewhere
                // has nothing left to decide.
                sqlx::query(
                    "DELETE FROM standing_claims WHERE user_id = $1 AND decided_at IS NULL",
                )
                .bind(id)
                .execute(&mut *tx)
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
}
