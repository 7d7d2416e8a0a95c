//! Personal API tokens and the secret calendar-feed address: made on the profile page, shown
//! once, stored as SHA-256 hashes (like sessions), refused at once when revoked.

use super::*;

/// Every token starts with this, so a leaked one is easy to recognise (and to scan for).
pub const TOKEN_PREFIX: &str = "lsk_";
/// How many tokens one person may hold at once.
const MAX_TOKENS: i64 = 20;
/// `last_used_at` is written at most this often per token, so reads do not each write.
const LAST_USED_GRANULARITY_SECS: i64 = 60;

/// A token in force, as the API layer sees its caller.
#[derive(Debug, Clone)]
pub struct TokenCaller {
    pub token: i64,
    pub actor: Actor,
    pub scope: TokenScope,
}

impl Db {
    /// Makes a token for the person; returns its view and the secret, which is not kept.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_api_token(
        &self,
        actor: Option<&Actor>,
        name: &str,
        scope: TokenScope,
        now: i64,
    ) -> Result<(ApiTokenView, String), AppError> {
        let user = myself(actor)?.user;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(AppError::validation("token_name", "token_name_invalid"));
        }
        if name.chars().any(char::is_control) {
            return Err(AppError::validation("token_name", "text_control"));
        }
        let held = self.api_tokens(user).await?.len() as i64;
        if held >= MAX_TOKENS {
            return Err(AppError::validation("token_name", "token_too_many"));
        }
        let secret = format!("{TOKEN_PREFIX}{}", new_token());
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO api_tokens (user_id, name, scope, token_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(user.0)
        .bind(name)
        .bind(scope.as_str())
        .bind(token_hash(&secret))
        .bind(now)
        .fetch_one(self.pool())
        .await?;
        tracing::info!(
            user = user.0,
            token = id,
            scope = scope.as_str(),
            "API token made"
        );
        Ok((
            ApiTokenView {
                id,
                name: name.to_string(),
                scope,
                created_at: now,
                last_used_at: None,
            },
            secret,
        ))
    }

    /// Revokes one of the person's own tokens. Someone else's is as good as absent.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn revoke_api_token(
        &self,
        actor: Option<&Actor>,
        id: i64,
        now: i64,
    ) -> Result<(), AppError> {
        let user = myself(actor)?.user;
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .bind(user.0)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(AppError::NotFound);
        }
        tracing::info!(user = user.0, token = id, "API token revoked");
        Ok(())
    }

    /// The person's tokens in force, the newest first.
    pub async fn api_tokens(&self, user: UserId) -> Result<Vec<ApiTokenView>, sqlx::Error> {
        let rows: Vec<(i64, String, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT id, name, scope, created_at, last_used_at FROM api_tokens \
             WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id DESC",
        )
        .bind(user.0)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, scope, created_at, last_used_at)| ApiTokenView {
                id,
                name,
                scope: TokenScope::parse(&scope).unwrap_or(TokenScope::Read),
                created_at,
                last_used_at,
            })
            .collect())
    }

    /// The caller behind a bearer token, if the token is in force and its person can still sign
    /// in (verified address). Notes the use, at most once a minute.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn token_caller(
        &self,
        secret: &str,
        now: i64,
    ) -> Result<Option<TokenCaller>, sqlx::Error> {
        if !secret.starts_with(TOKEN_PREFIX) || secret.len() > 100 {
            return Ok(None);
        }
        let row: Option<(i64, i64, String, Option<i64>)> = sqlx::query_as(
            "SELECT t.id, t.user_id, t.scope, t.last_used_at FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.email_verified_at IS NOT NULL",
        )
        .bind(token_hash(secret))
        .fetch_optional(self.pool())
        .await?;
        let Some((token, user, scope, last_used)) = row else {
            return Ok(None);
        };
        if last_used.is_none_or(|t| now - t >= LAST_USED_GRANULARITY_SECS) {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(token)
                .execute(self.pool())
                .await?;
        }
        let Some(actor) = self.actor(UserId(user)).await? else {
            return Ok(None);
        };
        Ok(Some(TokenCaller {
            token,
            actor,
            scope: TokenScope::parse(&scope).unwrap_or(TokenScope::Read),
        }))
    }

    /// Makes (or replaces) the person's secret calendar address; returns the secret.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn reset_calendar_feed(
        &self,
        actor: Option<&Actor>,
        now: i64,
    ) -> Result<String, AppError> {
        let user = myself(actor)?.user;
        let secret = new_token();
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM calendar_feeds WHERE user_id = $1")
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO calendar_feeds (user_id, secret_hash, created_at) VALUES ($1, $2, $3)",
        )
        .bind(user.0)
        .bind(token_hash(&secret))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(user = user.0, "calendar feed address reset");
        Ok(secret)
    }

    /// The person whose calendar address this is.
    pub async fn calendar_owner(&self, secret: &str) -> Result<Option<Actor>, sqlx::Error> {
        if secret.len() != 64 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT user_id FROM calendar_feeds WHERE secret_hash = $1")
                .bind(token_hash(secret))
                .fetch_optional(self.pool())
                .await?;
        match row {
            Some((user,)) => self.actor(UserId(user)).await,
            None => Ok(None),
        }
    }

    pub(super) async fn has_calendar_feed(&self, user: UserId) -> Result<bool, sqlx::Error> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT user_id FROM calendar_feeds WHERE user_id = $1")
                .bind(user.0)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.is_some())
    }
}
