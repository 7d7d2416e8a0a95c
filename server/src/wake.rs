//! Wake-ups between servers on PostgreSQL. The triggers of migration 0018 notify at each commit
//! that queues mail (`labshare_outbox`) or adds to the resources' change log (`labshare_changes`);
//! every server listens, so its mail sender and its search's copy act at once instead of at their
//! next poll. A wake-up is only a hint: the outbox and the change log stay the truth, and both
//! loops still poll in case one is lost (the sender every `MAIL_POLL_SECONDS`, the copy every two
//! seconds instead of a quarter); after a dropped connection both are woken anyway.

use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// What the listener wakes. `notify_one` keeps one wake-up for a loop that is busy when it comes.
#[derive(Clone, Default)]
pub struct WakeUps {
    pub outbox: Arc<Notify>,
    pub changes: Arc<Notify>,
}

/// The next tick of `tick`, or `wake` when there is one, whichever comes first.
pub async fn tick_or_wake(tick: &mut tokio::time::Interval, wake: Option<&Notify>) {
    match wake {
        Some(wake) => tokio::select! {
            _ = tick.tick() => {}
            _ = wake.notified() => {}
        },
        None => {
            tick.tick().await;
        }
    }
}

const OUTBOX: &str = "labshare_outbox";
const CHANGES: &str = "labshare_changes";

/// Listens on the database at `url` for as long as the process runs, reconnecting after a failure.
pub fn listen(url: String) -> (WakeUps, tokio::task::JoinHandle<()>) {
    let wake = WakeUps::default();
    let both = wake.clone();
    let task = tokio::spawn(async move {
        loop {
            match sqlx::postgres::PgListener::connect(&url).await {
                Ok(mut listener) => match listener.listen_all([OUTBOX, CHANGES]).await {
                    Ok(()) => {
                        tracing::debug!("listening for other servers' wake-ups");
                        // Whatever was written while nobody listened is looked at now.
                        both.outbox.notify_one();
                        both.changes.notify_one();
                        loop {
                            match listener.try_recv().await {
                                Ok(Some(n)) if n.channel() == OUTBOX => both.outbox.notify_one(),
                                Ok(Some(_)) => both.changes.notify_one(),
                                // The connection dropped and is made again on the next call:
                                // what came meanwhile is lost, so both look now.
                                Ok(None) => {
                                    both.outbox.notify_one();
                                    both.changes.notify_one();
                                }
                                Err(err) => {
                                    tracing::warn!(error = %err, "listening for wake-ups");
                                    break;
                                }
                            }
                        }
                    }
                    Err(err) => tracing::warn!(error = %err, "listening for wake-ups"),
                },
                Err(err) => tracing::warn!(error = %err, "connecting to listen for wake-ups"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    (wake, task)
}
