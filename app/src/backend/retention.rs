//! Forgetting what is no longer needed, as a job of the in-process scheduler: ended sessions,
//! used or expired single-use tokens, old sign-in failure counts (one row per address tried,
//! which an attacker could grow), invitations that expired unused, and the text of mail sent
//! long ago (the record of the sending stays).

use super::Db;

/// Sign-in failures older than this no longer count (see `accounts::passwords`).
pub const FAILURE_MEMORY_SECS: i64 = 3600;
/// Used and expired tokens, and expired invitations, are kept this long for the record.
pub const TOKEN_RECORD_SECS: i64 = 30 * 24 * 3600;
/// An Idempotency-Key's answer is replayed this long.
pub const IDEMPOTENCY_SECS: i64 = 24 * 3600;
/// The text of sent mail is kept this long (the admin's outbox shows it).
pub const MAIL_TEXT_SECS: i64 = 90 * 24 * 3600;

/// How many rows each part of a purge removed or emptied.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub sessions: u64,
    pub tokens: u64,
    pub failures: u64,
    pub invitations: u64,
    pub mail_texts: u64,
    /// Idempotency keys and ledger uploads past their 24 hours, and API tokens revoked 30 days ago.
    pub api_records: u64,
}

impl Purged {
    pub fn total(&self) -> u64 {
        self.sessions
            + self.tokens
            + self.failures
            + self.invitations
            + self.mail_texts
            + self.api_records
    }
}

impl Db {
    /// Removes what is past keeping at `now`; sessions idle longer than `session_idle_secs`
    /// have ended too.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn purge(&self, now: i64, session_idle_secs: i64) -> Result<Purged, sqlx::Error> {
        let run = |sql: &'static str, binds: Vec<i64>| async move {
            let mut query = sqlx::query(sql);
            for value in binds {
                query = query.bind(value);
            }
            query.execute(self.pool()).await.map(|r| r.rows_affected())
        };
        let purged = Purged {
            sessions: run(
                "DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2",
                vec![now, now - session_idle_secs],
            )
            .await?,
            tokens: run(
                "DELETE FROM account_tokens WHERE (used_at IS NOT NULL OR expires_at <= $1) AND created_at <= $2",
                vec![now, now - TOKEN_RECORD_SECS],
            )
            .await?,
            failures: run(
                "DELETE FROM sign_in_failures WHERE last_failure_at <= $1",
                vec![now - FAILURE_MEMORY_SECS],
            )
            .await?,
            invitations: run(
                "DELETE FROM invitations WHERE accepted_at IS NULL AND expires_at <= $1 AND created_at <= $2",
                vec![now, now - TOKEN_RECORD_SECS],
            )
            .await?,
            mail_texts: run(
                "UPDATE outbox SET body_text = '', body_html = '', payload = '{}', ics = NULL \
                 WHERE status = 'sent' AND sent_at <= $1 AND body_text <> ''",
                vec![now - MAIL_TEXT_SECS],
            )
            .await?,
            api_records: run(
                "DELETE FROM idempotency_keys WHERE created_at <= $1",
                vec![now - IDEMPOTENCY_SECS],
            )
            .await?
                + run(
                    "DELETE FROM api_tokens WHERE revoked_at IS NOT NULL AND revoked_at <= $1",
                    vec![now - TOKEN_RECORD_SECS],
                )
                .await?
                + run(
                    "DELETE FROM ledger_uploads WHERE created_at <= $1",
                    vec![now - IDEMPOTENCY_SECS],
                )
                .await?,
        };
        if purged.total() > 0 {
            tracing::info!(?purged, "purged what is past keeping");
        }
        Ok(purged)
    }
}
