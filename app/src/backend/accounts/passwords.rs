//! Passwords: sign-in with throttling per account and per address, reset by a mailed single-use
//! token, and change with the current password.

use super::signup::send_verification;
use super::*;

/// Attempts allowed before each further one must wait. Three counts, each kept atomically (an
/// attempt is counted before its password is checked, so parallel guesses cannot slip past; one
/// held back unchecked is taken back):
/// - per account and address: the guesses of one client at one account;
/// - per account, from addresses where the person never signed in: a guesser spread over many
///   addresses (the person's own known addresses are never held back by it);
/// - per address: a client trying many accounts. This one never stops a correct password (many
///   people may share an office's address): past its limit, wrong passwords are answered
///   "too many attempts".
const PAIR_FREE_ATTEMPTS: i64 = 5;
const ACCOUNT_FREE_ATTEMPTS: i64 = 20;
const ADDRESS_FREE_ATTEMPTS: i64 = 30;
/// Failures older than this are forgotten.
use crate::backend::retention::FAILURE_MEMORY_SECS;
/// A known address is forgotten after this long without a sign-in from it.
const KNOWN_ADDRESS_SECS: i64 = 180 * 24 * 3600;

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
        let user: Option<SignInRow> = sqlx::query_as(
            "SELECT id, password_hash, email_verified_at, display_name, locale FROM users WHERE email = $1",
        )
        .bind(&email)
        .fetch_optional(self.pool())
        .await?;
        let known = match &user {
            Some(u) => sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM known_sign_ins WHERE user_id = $1 AND address = $2 AND last_at > $3",
            )
            .bind(u.id)
            .bind(address)
            .bind(now - KNOWN_ADDRESS_SECS)
            .fetch_one(self.pool())
            .await?
                > 0,
            None => false,
        };
        // Counted first, atomically; then judged on the count.
        let pair = self
            .count_attempt(&format!("pair:{email}|{address}"), now)
            .await?;
        let account = if known {
            None
        } else {
            Some(self.count_attempt(&format!("account:{email}"), now).await?)
        };
        let by_address = self
            .count_attempt(&format!("address:{address}"), now)
            .await?;
        let wait = [
            Some((pair, PAIR_FREE_ATTEMPTS)),
            account.map(|a| (a, ACCOUNT_FREE_ATTEMPTS)),
        ]
        .into_iter()
        .flatten()
        .map(|((attempts, previous), free)| {
            (previous + throttle_wait_secs(attempts - 1, free) - now).max(0)
        })
        .max()
        .unwrap_or(0);
        if wait > 0 {
            // Held back before any check: not an attempt after all.
            self.uncount_attempt(&format!("pair:{email}|{address}"), pair.1)
                .await?;
            if let Some((_, previous)) = account {
                self.uncount_attempt(&format!("account:{email}"), previous)
                    .await?;
            }
            self.uncount_attempt(&format!("address:{address}"), by_address.1)
                .await?;
            tracing::info!(address, "sign-in held back");
            return Err(AppError::TooManyAttempts {
                retry_after_secs: wait,
            });
        }
        let stored = user.as_ref().and_then(|u| u.password_hash.clone());
        if !verify_password(password, stored).await {
            tracing::info!(address, "failed sign-in");
            let (attempts, previous) = by_address;
            let address_wait =
                (previous + throttle_wait_secs(attempts - 1, ADDRESS_FREE_ATTEMPTS) - now).max(0);
            if address_wait > 0 {
                return Err(AppError::TooManyAttempts {
                    retry_after_secs: address_wait,
                });
            }
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
        // A correct password clears this client's and this account's counts (not the address's,
        // which others may be using to guess), and makes the address a known one.
        sqlx::query("DELETE FROM sign_in_failures WHERE key = $1 OR key = $2")
            .bind(format!("pair:{email}|{address}"))
            .bind(format!("account:{email}"))
            .execute(self.pool())
            .await?;
        sqlx::query(
            "INSERT INTO known_sign_ins (user_id, address, last_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, address) DO UPDATE SET last_at = $3",
        )
        .bind(user)
        .bind(address)
        .bind(now)
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

    /// Counts an attempt under `key`, in one statement (so parallel attempts are each counted):
    /// the count within the memory window including this one, and when the one before it was.
    async fn count_attempt(&self, key: &str, now: i64) -> Result<(i64, i64), sqlx::Error> {
        let previous: Option<i64> =
            sqlx::query_scalar("SELECT last_failure_at FROM sign_in_failures WHERE key = $1")
                .bind(key)
                .fetch_optional(self.pool())
                .await?;
        let attempts: i64 = sqlx::query_scalar(
            "INSERT INTO sign_in_failures (key, failures, last_failure_at) VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET \
               failures = CASE WHEN sign_in_failures.last_failure_at < $3 THEN 1 ELSE sign_in_failures.failures + 1 END, \
               last_failure_at = $2 \
             RETURNING failures",
        )
        .bind(key)
        .bind(now)
        .bind(now - FAILURE_MEMORY_SECS)
        .fetch_one(self.pool())
        .await?;
        Ok((attempts, previous.unwrap_or(now)))
    }

    /// Takes back an attempt counted by [`Self::count_attempt`] that was held back unchecked.
    async fn uncount_attempt(&self, key: &str, previous: i64) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE sign_in_failures SET failures = failures - 1, last_failure_at = $2 \
             WHERE key = $1 AND failures > 0",
        )
        .bind(key)
        .bind(previous)
        .execute(self.pool())
        .await
        .map(|_| ())
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
        void_tokens(&mut tx, user, "reset_password", now).await?;
        // A reset is how a taken-over account is won back: the API tokens and the calendar
        // address someone else may have made go too.
        sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(user)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM calendar_feeds WHERE user_id = $1")
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
        now: i64,
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
        // A reset link mailed before the change no longer works.
        void_tokens(&mut tx, user.0, "reset_password", now).await?;
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
