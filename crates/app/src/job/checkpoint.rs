//! The SQLite checkpoint, on the job machinery: a timer chain (kind [`KIND`]) that
//! every [`INTERVAL_MS`] copies the write-ahead log into the database file on a
//! reading connection ([`store::Db::checkpoint`]), so that no request's commit does
//! it. Left to SQLite, the commit that crossed 1,000 log pages did the copy and the
//! sync before answering: the slowest 1 % of every write (a provider notice took
//! 5 ms at p99 against 0.5 ms at the median).
//!
//! Runs fall on multiples of [`INTERVAL_MS`] and each is keyed by its time, so a
//! chain armed again at a restart, or by a second server process, merges with the
//! one already there instead of running beside it. Each run arms the next and
//! forgets the fired ones: the chain keeps one or two rows, not one a run. On
//! PostgreSQL the chain is never armed: the server checkpoints by itself, off the
//! commit path.

use super::handler::{BoxFuture, Ctx, Handler, Outcome};
use crate::{App, AppResult};
use sqlx::AnyConnection;
use store::Backend;
use store::job::Claimed;

/// The timer kind.
pub const KIND: &str = "database.checkpoint";

/// Time between two checkpoints: short enough that the log stays a few megabytes at
/// a busy station network's write rate, long enough that the chain's own rows are
/// noise.
pub const INTERVAL_MS: i64 = 10_000;

/// The checkpoint handler.
#[derive(Debug, Clone, Copy)]
pub struct Checkpoint;

impl Handler for Checkpoint {
    /// The checkpoint itself: outside the completing transaction, which on SQLite
    /// holds the write lock a checkpoint must not wait for.
    fn outside<'a>(&'a self, ctx: &'a Ctx, _job: &'a Claimed) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            if let Some(c) = ctx.app.db.checkpoint().await.map_err(|e| e.to_string())? {
                metrics::counter!("db_wal_checkpoint_frames_total")
                    .increment(u64::try_from(c.copied_frames).unwrap_or_default());
                tracing::debug!(?c, "write-ahead log checkpointed");
            }
            Ok(())
        })
    }

    /// Arms the next run and forgets the fired ones.
    fn inside<'a>(
        &'a self,
        ctx: &'a Ctx,
        conn: &'a mut AnyConnection,
        _job: &'a Claimed,
    ) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            store::job::forget_fired(conn, KIND)
                .await
                .map_err(|e| e.to_string())?;
            arm(conn, ctx.app.now_ms()).await.map_err(|e| e.to_string())
        })
    }
}

/// The first multiple of [`INTERVAL_MS`] after `now`: every process arms the same slot.
pub fn next_slot(now: i64) -> i64 {
    (now.div_euclid(INTERVAL_MS) + 1) * INTERVAL_MS
}

/// Arms the run of the slot after `now`, keyed by its time.
async fn arm(conn: &mut AnyConnection, now: i64) -> AppResult<()> {
    let due = next_slot(now);
    super::arm(
        conn,
        &format!("{KIND}:{due}"),
        KIND,
        due,
        &serde_json::json!({}),
        now,
    )
    .await?;
    Ok(())
}

/// Arms the next checkpoint when the database is SQLite (the server calls it at
/// start; it merges with a chain an earlier run left armed).
pub async fn ensure(app: &App) -> AppResult<()> {
    if app.db.backend != Backend::Sqlite {
        return Ok(());
    }
    crate::transaction::run(app, "job.checkpoint_arm", move |mut tx| async move {
        arm(&mut tx, app.now_ms()).await?;
        Ok((tx, ()))
    })
    .await
}
