//! Group commit for booking changes on SQLite.
//!
//! SQLite has one writer, and with `synchronous = FULL` every commit waits for the disk. Booking
//! changes (create, cancel, reschedule, decide) therefore go to one writer task through a
//! channel: it takes whatever is waiting (up to [`MAX_BATCH`]), opens one `BEGIN IMMEDIATE`
//! transaction, runs each change in a savepoint of its own — a change that fails (the overlap
//! trigger, a quota, any error) is rolled back alone and the others go on — and commits once.
//! Each caller gets its own answer only after that commit is on the disk, so nothing acknowledged
//! is lost, and a batch of 32 changes costs one fsync instead of 32. The database's trigger stays
//! the authority on overlaps: the writer only orders the work.
//!
//! On PostgreSQL a change is an ordinary transaction of its own (concurrent writers, the
//! per-resource advisory lock where a change needs one).

use crate::error::AppError;
use sqlx::{AnyConnection, AnyPool};
use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::sync::{mpsc, oneshot};

/// The future a change returns, borrowing the connection it runs on.
pub type BoxFuture<'c, T> = Pin<Box<dyn Future<Output = T> + Send + 'c>>;

/// A change as the writer runs it: its result type erased.
type Job = Box<
    dyn for<'c> FnOnce(
            &'c mut AnyConnection,
        ) -> BoxFuture<'c, Result<Box<dyn Any + Send>, AppError>>
        + Send,
>;

struct Request {
    job: Job,
    reply: oneshot::Sender<Result<Box<dyn Any + Send>, AppError>>,
}

/// The most changes one commit takes.
pub const MAX_BATCH: usize = 128;

/// How many changes may wait for the writer before callers wait to hand theirs over.
const QUEUE: usize = 4 * MAX_BATCH;

/// The handle to the writer task (SQLite), or nothing (PostgreSQL: each change commits alone).
#[derive(Clone)]
pub struct Writer {
    queue: Option<mpsc::Sender<Request>>,
    counts: Arc<Counts>,
}

/// How many commits the writer made and how many changes they carried (for the benchmark and
/// the tests: changes / commits is the mean batch).
#[derive(Default)]
struct Counts {
    commits: AtomicU64,
    changes: AtomicU64,
}

impl Writer {
    /// Starts the writer task for SQLite; on PostgreSQL there is none.
    pub fn start(pool: &AnyPool, group_commit: bool) -> Writer {
        let counts = Arc::new(Counts::default());
        if !group_commit {
            return Writer {
                queue: None,
                counts,
            };
        }
        let (queue, requests) = mpsc::channel(QUEUE);
        tokio::spawn(serve(pool.clone(), requests, counts.clone()));
        Writer {
            queue: Some(queue),
            counts,
        }
    }

    /// (commits, changes) made through the writer so far.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.counts.commits.load(Ordering::Relaxed),
            self.counts.changes.load(Ordering::Relaxed),
        )
    }

    /// Runs `change` in a transaction (SQLite: a savepoint of a group commit) and answers once
    /// it is durable. An error from `change` rolls back its writes alone.
    pub async fn write<T, F>(&self, pool: &AnyPool, change: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, AppError>>
            + Send
            + 'static,
    {
        let Some(queue) = &self.queue else {
            let mut tx = pool.begin().await?;
            let value = change(&mut tx).await?;
            tx.commit().await?;
            return Ok(value);
        };
        let job: Job = Box::new(move |conn| {
            Box::pin(async move {
                change(conn)
                    .await
                    .map(|v| Box::new(v) as Box<dyn Any + Send>)
            })
        });
        let (reply, answer) = oneshot::channel();
        queue
            .send(Request { job, reply })
            .await
            .map_err(|_| AppError::internal("writer", "the writer task has stopped"))?;
        let value = answer
            .await
            .map_err(|_| AppError::internal("writer", "the writer dropped a change"))??;
        value
            .downcast::<T>()
            .map(|v| *v)
            .map_err(|_| AppError::internal("writer", "a change answered with the wrong type"))
    }
}

/// The writer task: a batch per turn, one transaction and one commit per batch.
async fn serve(pool: AnyPool, mut requests: mpsc::Receiver<Request>, counts: Arc<Counts>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while requests.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let size = batch.len();
        let answers = match pool.acquire().await {
            Ok(mut conn) => run_batch(&mut conn, std::mem::take(&mut batch)).await,
            Err(e) => {
                let error = AppError::from(e);
                batch
                    .drain(..)
                    .map(|r| (r.reply, Err(error.clone())))
                    .collect()
            }
        };
        tracing::trace!(size, "group commit");
        counts.commits.fetch_add(1, Ordering::Relaxed);
        counts.changes.fetch_add(size as u64, Ordering::Relaxed);
        for (reply, answer) in answers {
            // A caller that went away (its request was cancelled) no longer needs its answer.
            let _ = reply.send(answer);
        }
    }
}

type Answer = (
    oneshot::Sender<Result<Box<dyn Any + Send>, AppError>>,
    Result<Box<dyn Any + Send>, AppError>,
);

async fn run_batch(conn: &mut AnyConnection, batch: Vec<Request>) -> Vec<Answer> {
    if let Err(e) = exec(conn, "BEGIN IMMEDIATE").await {
        let error = AppError::from(e);
        return batch
            .into_iter()
            .map(|r| (r.reply, Err(error.clone())))
            .collect();
    }
    let mut answers = Vec::with_capacity(batch.len());
    // Set when the transaction can no longer be trusted (a savepoint could not be taken or
    // undone): the rest of the batch is not run and nothing of it is committed.
    let mut broken: Option<AppError> = None;
    for request in batch {
        if let Some(error) = &broken {
            answers.push((request.reply, Err(error.clone())));
            continue;
        }
        let answer = match exec(conn, "SAVEPOINT change").await {
            Ok(_) => {
                let outcome = CatchUnwind((request.job)(&mut *conn)).await;
                let answer = outcome
                    .unwrap_or_else(|_| Err(AppError::internal("writer", "a change panicked")));
                let undo = if answer.is_ok() {
                    "RELEASE change"
                } else {
                    "ROLLBACK TO change; RELEASE change"
                };
                match exec(conn, undo).await {
                    Ok(_) => answer,
                    Err(e) => {
                        broken = Some(AppError::from(e));
                        answer
                    }
                }
            }
            Err(e) => {
                let error = AppError::from(e);
                broken = Some(error.clone());
                Err(error)
            }
        };
        answers.push((request.reply, answer));
    }
    let committed = match broken {
        None => exec(conn, "COMMIT").await.map_err(AppError::from),
        Some(error) => Err(error),
    };
    if let Err(error) = committed {
        // Nothing of the batch is durable: every change is answered with the failure.
        let _ = exec(conn, "ROLLBACK").await;
        for answer in &mut answers {
            if answer.1.is_ok() {
                answer.1 = Err(error.clone());
            }
        }
    }
    answers
}

/// One statement on the writer's connection (boxed: a spawned task's future must be `Send` for
/// every lifetime, which sqlx's executor bound does not prove by itself).
fn exec<'c>(
    conn: &'c mut AnyConnection,
    sql: &'static str,
) -> BoxFuture<'c, Result<(), sqlx::Error>> {
    Box::pin(async move { sqlx::Executor::execute(conn, sql).await.map(|_| ()) })
}

/// A future whose panic becomes an error instead of ending the writer task.
struct CatchUnwind<'c, T>(BoxFuture<'c, T>);

impl<T> Future for CatchUnwind<'_, T> {
    type Output = Result<T, ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(Err(())),
        }
    }
}
