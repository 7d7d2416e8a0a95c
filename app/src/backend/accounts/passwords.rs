//! Passwords: sign-in with throttling per account and per address, reset by a mailed single-use
//! token, and change with the current password.

use super::signup::send_verification;
use super::*;

/// Failed sign-ins allowed before each further attempt must wait; per account, and per address
/// (which may be an office behind one public address, hence more).
const ACCOUNT_FREE_FAILURES: i64 = 5;
const ADDRESS_FREE_FAILURES: i64 = 30;
/// Failures older than this are forgotten.
const FAILURE_MEMORY_SECS: i64 = 3600;

/// How long the next attempt must wait after `failures` failures, of which `free` are allowed.
pub fn throttle_wait_secs(failures: i64, free: i64) -> i64 {
    if failures < free {
        0
    } else {
        (30_i64 << (failures - free).min(5)).min(900)
    }
}

#[derive(FromRow)]
struct SignInRow {
    id: i64,
    password_hash: Option<String>,
    email_verified_at: Option<i64>,
    display_name: String,
    locale: String,
}

impl Db {
    /// Checks the password and starts a session. Failures are counted per account and per
    /// address; past a few, each attempt must wait longer (up to 15 minutes), correct or not.
    #[tracing::instrument(level = "debug", skip_all)]
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
    #[tracing::instrument(level = "debug", skip_all)]
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
    #[tracing::instrument(level = "debug", skip_all)]
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

    /// Changes the password after checking the current one; every other session ends.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn change_password(
        &self,
        actor: Option<&Actor>,
        current: String,
        new: String,
        keep_session: Option<&str>,
    ) -> Result<(), AppError> {
        let user = myself(actor)?.user;
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
