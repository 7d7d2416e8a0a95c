//! Group commit on SQLite: changes handed to the writer together commit together, each in its own
//! savepoint — the one the overlap trigger refuses, the one that fails on its own and the one
//! that panics are rolled back alone, the others are durable — and the writer goes on after.
//!
//! SQLite only, whatever the run's database: the writer task exists only there. On PostgreSQL each
//! change is a transaction of its own; the races and the property test prove it there.

use crate::common;

use app::error::AppError;
use common::race::open_resource;
use common::TestApp;

/// A change that books [from, until) on `resource`; the database's trigger decides.
fn book(
    resource: i64,
    from: i64,
    until: i64,
) -> impl for<'c> FnOnce(
    &'c mut sqlx::AnyConnection,
) -> app::backend::writer::BoxFuture<'c, Result<i64, AppError>>
       + Send
       + 'static {
    move |tx| {
        Box::pin(async move {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO bookings (resource_id, user_id, organisation_id, starts_at, ends_at, blocked_from, blocked_until, status, \
                   customer_category, price_fen, created_at, updated_at) \
                 VALUES ($1, 1, 1, $2, $3, $2, $3, 'confirmed', 'external', 0, 0, 0) RETURNING id",
            )
            .bind(resource)
            .bind(from)
            .bind(until)
            .fetch_one(&mut *tx)
            .await?;
            Ok(id)
        })
    }
}

#[tokio::test]
async fn changes_handed_over_together_commit_together_and_fail_alone() {
    let app = TestApp::sqlite(true).await;
    let resource = open_resource(&app, (0, 0)).await;
    let db = app.state.db.clone();
    let (commits_before, changes_before) = db.group_commits();
    let hour = 1_900_000_000_i64;
    let mut tasks = tokio::task::JoinSet::new();
    // Spawned before the writer runs again: all five wait for it at once.
    let d = db.clone();
    tasks.spawn(async move { ("first", d.write(book(resource, hour, hour + 3600)).await) });
    let d = db.clone();
    tasks.spawn(async move {
        (
            "overlap",
            d.write(book(resource, hour + 1800, hour + 5400)).await,
        )
    });
    let d = db.clone();
    tasks.spawn(async move {
        let result = d
            .write(move |tx| {
                Box::pin(async move {
                    book(resource, hour + 7200, hour + 10800)(tx).await?;
                    // Fails after writing: its row must not survive.
                    Err::<i64, _>(AppError::validation("x", "refused_after_writing"))
                })
            })
            .await;
        ("fails", result)
    });
    let d = db.clone();
    tasks.spawn(async move {
        let result = d
            .write(move |tx| {
                Box::pin(async move {
                    book(resource, hour + 14400, hour + 18000)(tx).await?;
                    panic!("a change that panics");
                })
            })
            .await;
        ("panics", result)
    });
    let d = db.clone();
    tasks.spawn(async move {
        (
            "second",
            d.write(book(resource, hour + 3600, hour + 7200)).await,
        )
    });
    let mut answers = std::collections::HashMap::new();
    while let Some(done) = tasks.join_next().await {
        let (name, result) = done.expect("task");
        answers.insert(name, result);
    }
    assert!(answers["first"].is_ok(), "{answers:?}");
    assert!(answers["second"].is_ok(), "{answers:?}");
    assert!(
        matches!(answers["overlap"], Err(AppError::Conflict { .. })),
        "{answers:?}"
    );
    assert!(
        matches!(&answers["fails"], Err(AppError::Validation { key, .. }) if key == "refused_after_writing"),
        "{answers:?}"
    );
    assert!(
        matches!(answers["panics"], Err(AppError::Internal { .. })),
        "{answers:?}"
    );
    let (commits, changes) = db.group_commits();
    assert_eq!(changes - changes_before, 5);
    assert_eq!(commits - commits_before, 1, "one commit carried all five");
    // Exactly the two good bookings are in the database.
    let kept: Vec<(i64,)> = sqlx::query_as(
        "SELECT starts_at - $2 FROM bookings WHERE resource_id = $1 ORDER BY starts_at",
    )
    .bind(resource)
    .bind(hour)
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert_eq!(kept, vec![(0,), (3600,)]);
    // The writer goes on after a panic.
    let later = db.write(book(resource, hour + 36000, hour + 39600)).await;
    assert!(later.is_ok(), "{later:?}");
}
