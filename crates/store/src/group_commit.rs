//! Group commit on SQLite's one writer: writes of one statement each, sent by many
//! requests at once, committed together in one transaction.
//!
//! Why: SQLite lets one writer in at a time, and our writer is one connection
//! ([`crate::db::Db::begin`]). A write on its own holds it for four hand-offs to
//! sqlx's connection thread (`BEGIN IMMEDIATE`, the statement, `COMMIT`, and the
//! ping as the connection goes back to its pool), and every other writer waits
//! through all four. Under load (32 advisors moving orders at once) that queue, not
//! the CPU, was the limit: a profile found the two cores 45 % idle. Here the writes
//! waiting in the queue are taken together, up to [`MAX_BATCH`], and run as
//! `BEGIN IMMEDIATE`, one statement each, `COMMIT`: the writer is held for
//! `n + 3` hand-offs instead of `4n`.
//!
//! What each caller sees is what its own transaction would have given it:
//! - its statement's row count, only after the commit that made it durable (a crash
//!   before that commit loses the whole group, and no caller was told it landed);
//! - a statement that fails for a reason of its own (not a busy database) rolls the
//!   group back, and each write is then run again alone, in its own transaction,
//!   so that one bad write fails alone and the others still land;
//! - a caller that went away before its group began (a dropped request) is skipped,
//!   as its own transaction would never have begun.
//!
//! Only statements whose outcome stands alone belong here: each runs in a
//! transaction shared with writes it knows nothing of. A write that needs reads and
//! decisions inside its transaction uses [`crate::db::Db::run`].

use crate::error::{StoreError, StoreResult};
use crate::transaction::{again, is_transient};
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyPool};
use tokio::sync::{mpsc, oneshot};

/// The most writes committed in one transaction. Bounded so that one commit's
/// wait (every write in it answers at its commit) stays short.
pub const MAX_BATCH: usize = 64;

/// The writes waiting for the writer, at most (senders then wait their turn).
const QUEUE: usize = 4096;

/// One parameter of a grouped write, owned (the statement runs on another task).
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// An integer, or NULL.
    Int(Option<i64>),
    /// A text, or NULL.
    Text(Option<String>),
}

/// A write of one statement (which may be a query of several statements that stand
/// or fall together, as `UPDATE …; INSERT … WHERE changes() = 1`), with its
/// parameters in order.
#[derive(Debug, Clone)]
pub struct Write {
    /// The SQL, with `$1`… placeholders.
    pub sql: &'static str,
    /// The parameters.
    pub args: Vec<Arg>,
}

/// A write and where its outcome goes.
struct Request {
    write: Write,
    reply: oneshot::Sender<StoreResult<u64>>,
}

/// The queue in front of the grouping task. The task ends when the last handle to
/// the queue is dropped (with the last clone of its [`crate::db::Db`]).
#[derive(Debug, Clone)]
pub(crate) struct Group {
    queue: mpsc::Sender<Request>,
}

impl Group {
    /// Starts the grouping task on `writer` (SQLite's pool of one connection).
    pub(crate) fn start(writer: AnyPool) -> Group {
        let (queue, rx) = mpsc::channel(QUEUE);
        tokio::spawn(serve(writer, rx));
        Group { queue }
    }

    /// Sends `write` and waits for its outcome: the rows it changed, once committed.
    pub(crate) async fn write(&self, write: Write) -> StoreResult<u64> {
        let (reply, outcome) = oneshot::channel();
        self.queue
            .send(Request { write, reply })
            .await
            .map_err(|_| StoreError::Busy("group_commit"))?;
        outcome
            .await
            .map_err(|_| StoreError::Busy("group_commit"))?
    }
}

/// Takes the writes as they come: the first one waited for, then every one already
/// waiting behind it, up to [`MAX_BATCH`].
async fn serve(writer: AnyPool, mut rx: mpsc::Receiver<Request>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        batch.retain(|r| !r.reply.is_closed());
        if batch.is_empty() {
            continue;
        }
        metrics::histogram!("db_group_commit_writes").record(batch.len() as f64);
        commit(&writer, batch).await;
    }
}

/// Commits a group, retried while the database is busy (each caller told it is busy
/// when the retries run out); on any other failure runs each write alone.
async fn commit(writer: &AnyPool, batch: Vec<Request>) {
    let writes: Vec<&Write> = batch.iter().map(|r| &r.write).collect();
    let mut n = 1;
    let together = loop {
        match run(writer, &writes).await {
            Err(e) if is_transient(&e) => {
                if !again("group_commit", n).await {
                    for r in batch {
                        let _ = r.reply.send(Err(StoreError::Busy("group_commit")));
                    }
                    return;
                }
                n += 1;
            }
            other => break other,
        }
    };
    match together {
        Ok(counts) => {
            for (r, count) in batch.into_iter().zip(counts) {
                let _ = r.reply.send(Ok(count));
            }
        }
        Err(_) => {
            for r in batch {
                let outcome = alone(writer, &r.write).await;
                let _ = r.reply.send(outcome);
            }
        }
    }
}

/// One write in a transaction of its own, retried while the database is busy.
async fn alone(writer: &AnyPool, write: &Write) -> StoreResult<u64> {
    let mut n = 1;
    loop {
        match run(writer, &[write]).await {
            Err(e) if is_transient(&e) => {
                if !again("group_commit", n).await {
                    return Err(StoreError::Busy("group_commit"));
                }
                n += 1;
            }
            Err(e) => return Err(e.into()),
            Ok(counts) => return Ok(counts.into_iter().sum()),
        }
    }
}

/// One write on its own, committed as it runs (PostgreSQL, where writers do not
/// queue on one connection), retried while the database is busy.
pub(crate) async fn single(pool: &AnyPool, write: &Write) -> StoreResult<u64> {
    let mut n = 1;
    loop {
        match bind(sqlx::query(write.sql), &write.args)
            .execute(pool)
            .await
        {
            Err(e) if is_transient(&e) => {
                if !again("group_commit", n).await {
                    return Err(StoreError::Busy("group_commit"));
                }
                n += 1;
            }
            Err(e) => return Err(e.into()),
            Ok(r) => return Ok(r.rows_affected()),
        }
    }
}

/// The writes in one transaction; their row counts, in order.
async fn run(writer: &AnyPool, writes: &[&Write]) -> Result<Vec<u64>, sqlx::Error> {
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
    let mut counts = Vec::with_capacity(writes.len());
    for w in writes {
        let r = bind(sqlx::query(w.sql), &w.args).execute(&mut *tx).await?;
        counts.push(r.rows_affected());
    }
    tx.commit().await?;
    Ok(counts)
}

/// Binds a write's parameters.
pub(crate) fn bind<'q>(
    mut q: Query<'q, Any, AnyArguments>,
    args: &'q [Arg],
) -> Query<'q, Any, AnyArguments> {
    for a in args {
        q = match a {
            Arg::Int(v) => q.bind(*v),
            Arg::Text(v) => q.bind(v.as_deref()),
        };
    }
    q
}
