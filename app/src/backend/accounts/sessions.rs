//! Sessions: kept in the database, found by the hash of the cookie's token, ended on sign-out.

use super::*;

/// Sessions are touched at most this often, so reading pages does not write on every request.
const TOUCH_EVERY_SECS: i64 = 60;

impl Db {
    /// The person a session token belongs to, if the session is alive. Expired sessions are
    /// deleted on sight; live ones are touched (at most once a minute) for the idle limit.
    #[tracing::instrument(level = "debug", skip_all)]
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
    pub(super) async fn create_session(
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

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn end_session(&self, token: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash(token))
            .execute(self.pool())
            .await
            .map(|_| ())
    }

    /// The person's sessions, the newest first; `current` (a token) is marked.
    pub(super) async fn sessions_of(
        &self,
        user: UserId,
        current: Option<&str>,
    ) -> Result<Vec<SessionView>, sqlx::Error> {
        #[derive(FromRow)]
        struct SessionRow {
            token_hash: String,
            created_at: i64,
            last_seen_at: i64,
            user_agent: String,
        }
        let rows: Vec<SessionRow> = sqlx::query_as(
            "SELECT token_hash, created_at, last_seen_at, user_agent FROM sessions \
             WHERE user_id = $1 ORDER BY last_seen_at DESC",
        )
        .bind(user.0)
        .fetch_all(self.pool())
        .await?;
        let current = current.map(token_hash);
        Ok(rows
            .into_iter()
            .map(|r| SessionView {
                id: r.token_hash.chars().take(SESSION_ID_CHARS).collect(),
                current: current.as_deref() == Some(r.token_hash.as_str()),
                created_at: r.created_at,
                last_seen_at: r.last_seen_at,
                user_agent: r.user_agent.chars().take(200).collect(),
            })
            .collect())
    }

    /// Ends one of the signed-in person's sessions (another device, or this one), by its
    /// public handle. Someone else's session is not found.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn end_session_of(&self, actor: Option<&Actor>, id: &str) -> Result<(), AppError> {
        let me = myself(actor)?;
        let plain = id.len() == SESSION_ID_CHARS && id.chars().all(|c| c.is_ascii_hexdigit());
        if !plain {
            return Err(AppError::NotFound);
        }
        let ended = sqlx::query(
            "DELETE FROM sessions WHERE user_id = $1 AND SUBSTR(token_hash, 1, 16) = $2",
        )
        .bind(me.user.0)
        .bind(id)
        .execute(self.pool())
        .await?
        .rows_affected();
        if ended == 0 {
            return Err(AppError::NotFound);
        }
        tracing::info!(user = me.user.0, "a session ended from the profile");
        Ok(())
    }
}

/// How many hex characters of a session's hash name it on the profile page.
const SESSION_ID_CHARS: usize = 16;
