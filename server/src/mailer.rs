//! The mail sender: a task inside the server process (no cron, no external queue) that delivers
//! the outbox. It claims due messages with guarded updates, so several server processes on one
//! database never hand the same message to two transports at once; it retries with backoff and
//! gives up after `MAIL_GIVE_UP_HOURS`, leaving the message for a site admin to retry.
//!
//! A sender that dies between the mail server's acceptance and recording it leaves the message
//! claimed; when the claim runs out the message is sent again with the same Message-ID, which
//! mail systems use to recognise the duplicate. Nothing is ever dropped.

use crate::config::Config;
use anyhow::Context;
use app::backend::mail::{platform_name, AfterFailure, Outgoing};
use app::backend::AppState;
use app::domain::account::Language;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// How long a claimed message stays with its sender before another may take it over.
const LEASE_SECS: i64 = 300;
/// Messages claimed per round.
const BATCH: i64 = 20;

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// The dev mailbox: one `.eml` file per message in this folder.
    Mailbox(PathBuf),
}

pub struct Sender {
    transport: Transport,
    from: Mailbox,
    give_up_secs: i64,
}

/// What one round of delivery did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// Why a message did not go.
struct Failure {
    error: String,
    permanent: bool,
}

impl Sender {
    pub fn from_config(config: &Config) -> anyhow::Result<Sender> {
        let transport = match &config.smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .context("SMTP_URL is not a valid smtp:// or smtps:// address")?
                    .timeout(Some(Duration::from_secs(30)))
                    .build(),
            ),
            None => Transport::Mailbox(config.data_dir.join("mailbox")),
        };
        Sender::new(
            transport,
            &config.mail_from,
            config.mail_give_up_hours * 3600,
        )
    }

    pub fn new(transport: Transport, from: &str, give_up_secs: i64) -> anyhow::Result<Sender> {
        let from = match from.parse::<Mailbox>() {
            Ok(mailbox) if mailbox.name.is_some() => mailbox,
            Ok(mailbox) => Mailbox::new(
                Some(platform_name(Language::ZhCn).to_string()),
                mailbox.email,
            ),
            Err(e) => anyhow::bail!("MAIL_FROM is not a mail address: {e}"),
        };
        if let Transport::Mailbox(dir) = &transport {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating the dev mailbox {}", dir.display()))?;
        }
        Ok(Sender {
            transport,
            from,
            give_up_secs,
        })
    }

    /// Delivers every message due now, in rounds of [`BATCH`], and says what happened.
    pub async fn deliver_due(&self, state: &AppState) -> anyhow::Result<Round> {
        let mut round = Round::default();
        loop {
            let now = state.clock.now().timestamp();
            let batch = state.db.claim_due_mail(now, LEASE_SECS, BATCH).await?;
            if batch.is_empty() {
                return Ok(round);
            }
            for mail in batch {
                let result = match build(&self.from, &mail) {
                    Ok(message) => self.send(&mail, message).await,
                    Err(failure) => Err(failure),
                };
                let now = state.clock.now().timestamp();
                match result {
                    Ok(()) => {
                        state.db.record_mail_sent(&mail, now).await?;
                        tracing::info!(outbox_id = mail.id, to = %mail.to_address, "mail delivered");
                        round.sent += 1;
                    }
                    Err(failure) => {
                        let after = state
                            .db
                            .record_mail_failure(
                                &mail,
                                now,
                                &failure.error,
                                failure.permanent,
                                self.give_up_secs,
                            )
                            .await?;
                        match after {
                            AfterFailure::RetryAt(at) => {
                                tracing::warn!(outbox_id = mail.id, attempts = mail.attempts, retry_at = at, error = %failure.error, "mail not delivered; will retry");
                                round.retrying += 1;
                            }
                            AfterFailure::Failed => {
                                tracing::error!(outbox_id = mail.id, attempts = mail.attempts, error = %failure.error, "mail not delivered; gave up");
                                round.failed += 1;
                            }
                        }
                    }
                }
            }
        }
    }

    async fn send(&self, mail: &Outgoing, message: Message) -> Result<(), Failure> {
        match &self.transport {
            Transport::Smtp(smtp) => smtp.send(message).await.map(|_| ()).map_err(|e| Failure {
                permanent: e.is_permanent(),
                error: e.to_string(),
            }),
            Transport::Mailbox(dir) => {
                let path = dir.join(format!("{:08}.eml", mail.id));
                let partial = dir.join(format!(".{:08}.eml.partial", mail.id));
                let write = async {
                    tokio::fs::write(&partial, message.formatted()).await?;
                    tokio::fs::rename(&partial, &path).await
                };
                write.await.map_err(|e| Failure {
                    permanent: false,
                    error: format!("writing {}: {e}", path.display()),
                })
            }
        }
    }

    /// Delivers due mail every `poll` until the process ends, and at once when `wake` is
    /// notified (mail queued by any server on PostgreSQL, see `crate::wake`).
    pub async fn run(
        self,
        state: AppState,
        poll: Duration,
        wake: Option<std::sync::Arc<tokio::sync::Notify>>,
    ) {
        let mut tick = tokio::time::interval(poll);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            crate::wake::tick_or_wake(&mut tick, wake.as_deref()).await;
            if let Err(err) = self.deliver_due(&state).await {
                tracing::error!(error = %err, "delivering mail");
            }
        }
    }
}

/// The MIME message: text and HTML alternatives; with an invitation, the calendar part inside
/// the alternatives (what calendar-aware readers act on) and the same as an `.ics` attachment.
fn build(from: &Mailbox, mail: &Outgoing) -> Result<Message, Failure> {
    let permanent = |error: String| Failure {
        error,
        permanent: true,
    };
    let address = mail
        .to_address
        .parse()
        .map_err(|e| permanent(format!("recipient address: {e}")))?;
    let to = Mailbox::new(
        Some(mail.to_name.clone()).filter(|n| !n.is_empty()),
        address,
    );
    let created = SystemTime::UNIX_EPOCH + Duration::from_secs(mail.created_at.max(0) as u64);
    let builder = Message::builder()
        .message_id(Some(mail.message_id.clone()))
        .date(created)
        .from(from.clone())
        .to(to)
        .subject(mail.subject.clone());
    let mut alternatives = MultiPart::alternative()
        .singlepart(SinglePart::plain(mail.body_text.clone()))
        .singlepart(SinglePart::html(mail.body_html.clone()));
    let body = match &mail.ics {
        None => alternatives,
        Some(ics) => {
            let method = if ics.contains("METHOD:CANCEL") {
                "CANCEL"
            } else {
                "REQUEST"
            };
            let calendar =
                ContentType::parse(&format!("text/calendar; charset=UTF-8; method={method}"))
                    .map_err(|e| permanent(e.to_string()))?;
            alternatives =
                alternatives.singlepart(SinglePart::builder().header(calendar).body(ics.clone()));
            let attachment = ContentType::parse("application/ics; name=\"invite.ics\"")
                .map_err(|e| permanent(e.to_string()))?;
            MultiPart::mixed()
                .multipart(alternatives)
                .singlepart(Attachment::new("invite.ics".into()).body(ics.clone(), attachment))
        }
    };
    builder
        .multipart(body)
        .map_err(|e| permanent(e.to_string()))
}
