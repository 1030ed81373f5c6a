//! Group commit: writes of one statement each, sent by many requests at once,
//! committed together.
//!
//! Why: a write on its own pays for its commit and its round trips whoever else is
//! writing. On SQLite our writer is one connection ([`crate::db::Db::begin`]), and a
//! write on its own held it for four hand-offs to sqlx's connection thread
//! (`BEGIN IMMEDIATE`, the statement, `COMMIT`, and the ping as the connection goes
//! back to its pool) while every other writer waited: under load (32 advisors moving
//! orders at once) that queue, not the CPU, was the limit. On PostgreSQL each write
//! was a round trip, a plan's set-up and a commit of its own, and the server's share
//! of a stage change was most of the two cores. Here the writes waiting in the queue
//! are taken together, up to [`MAX_BATCH`]:
//! - on SQLite as `BEGIN IMMEDIATE`, one statement each, `COMMIT` ([`one_writer`]):
//!   the writer is held for `n + 3` hand-offs instead of `4n`;
//! - on PostgreSQL, writes of one family that say how they combine ([`Combined`]) as
//!   one statement over a `VALUES` list of all their parameters ([`combined`]): one
//!   round trip and one commit instead of `n`.
//!
//! What each caller sees is what its own write would have given it:
//! - its row count, only after the commit that made it durable (a crash before that
//!   commit loses the whole group, and no caller was told it landed);
//! - a write that fails for a reason of its own (not a busy database) fails the
//!   group, and each write is then run again alone, in its own transaction, so that
//!   one bad write fails alone and the others still land;
//! - a caller that went away before its group began (a dropped request) is skipped,
//!   as its own transaction would never have begun.
//!
//! Only statements whose outcome stands alone belong here: each runs in a
//! transaction shared with writes it knows nothing of. A write that needs reads and
//! decisions inside its transaction uses [`crate::db::Db::run`].

mod combined;
mod one_writer;

use crate::error::{StoreError, StoreResult};
use crate::transaction::{again, is_transient};
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyPool};
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{mpsc, oneshot};

/// The most writes committed together. Bounded so that one commit's wait (every
/// write in it answers at its commit) stays short.
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

/// How writes of one family are combined into one statement on PostgreSQL.
///
/// `template` holds `{rows}` where a `VALUES` list goes: one tuple per write, its
/// parameters in order, each cast to its type (`BIGINT` for [`Arg::Int`], `TEXT` for
/// [`Arg::Text`]), so the template reads them as columns of a named list
/// (`WITH x (id, …) AS (VALUES {rows})`). The statement must answer, in its first
/// column, the key of every write that took effect, and a write whose key it does not
/// answer took no effect: each caller is answered 1 or 0. The write's own statement
/// ([`Write::sql`], run when a write is alone or its group failed) must count the same
/// way, 1 or 0. Writes to one key are never combined (the later one waits for the
/// next group), so each sees the effect of the one before it, as it would alone.
#[derive(Debug)]
pub struct Combined {
    /// The statement, with `{rows}` for the `VALUES` tuples.
    pub template: &'static str,
    /// Which parameter is the key (an [`Arg::Int`]): the row the write changes.
    pub key: usize,
}

/// A write of one statement (on SQLite possibly a query of several statements that
/// stand or fall together, as `UPDATE …; INSERT … WHERE changes() = 1`), with its
/// parameters in order.
#[derive(Debug, Clone)]
pub struct Write {
    /// The SQL for this backend, with `$1`… placeholders.
    pub sql: &'static str,
    /// The parameters.
    pub args: Vec<Arg>,
    /// How writes like this one are combined on PostgreSQL; without it a write runs
    /// there on its own.
    pub combined: Option<&'static Combined>,
}

impl Write {
    /// The key this write changes, when it says how it combines.
    fn key(&self) -> Option<i64> {
        match self.args.get(self.combined?.key) {
            Some(Arg::Int(k)) => *k,
            _ => None,
        }
    }
}

/// What a database's group commit has done since it was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Groups of more than one write committed together (one transaction on SQLite,
    /// one statement on PostgreSQL).
    pub together: u64,
    /// The writes in those groups.
    pub writes_together: u64,
    /// Groups that failed as a whole and whose writes were then run alone.
    pub failed: u64,
}

/// The counters behind [`Tally`], shared by the queue's handles and its task.
#[derive(Debug, Default)]
struct Counters {
    together: AtomicU64,
    writes_together: AtomicU64,
    failed: AtomicU64,
}

impl Counters {
    /// A group of `writes` committed together.
    fn committed(&self, writes: usize) {
        if writes > 1 {
            self.together.fetch_add(1, Ordering::Relaxed);
            self.writes_together
                .fetch_add(writes as u64, Ordering::Relaxed);
        }
    }

    /// A group failed and its writes run alone.
    fn failed(&self) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("db_group_commit_failed_groups").increment(1);
    }
}

/// How a group is committed, by backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grouping {
    /// SQLite: every write's statement in one transaction on the one writer.
    OneTransaction,
    /// PostgreSQL: the writes of one family as one statement ([`Combined`]).
    OneStatement,
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
    counters: Arc<Counters>,
}

impl Group {
    /// Starts the grouping task on `writer`: SQLite's pool of one connection, or
    /// PostgreSQL's pool.
    pub(crate) fn start(writer: AnyPool, grouping: Grouping) -> Group {
        let (queue, rx) = mpsc::channel(QUEUE);
        let counters = Arc::new(Counters::default());
        tokio::spawn(serve(writer, grouping, rx, counters.clone()));
        Group { queue, counters }
    }

    /// What the group commit has done so far.
    pub(crate) fn tally(&self) -> Tally {
        let c = &self.counters;
        Tally {
            together: c.together.load(Ordering::Relaxed),
            writes_together: c.writes_together.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
        }
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
/// waiting behind it, up to [`MAX_BATCH`]. On PostgreSQL the writes a group cannot
/// take (another family, a key already in it) are held for the next group, first in
/// line.
async fn serve(
    writer: AnyPool,
    grouping: Grouping,
    mut rx: mpsc::Receiver<Request>,
    counters: Arc<Counters>,
) {
    let mut held: VecDeque<Request> = VecDeque::new();
    let mut statements = combined::Statements::default();
    loop {
        let first = match held.pop_front() {
            Some(r) => r,
            None => match rx.recv().await {
                Some(r) => r,
                None => return,
            },
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match held.pop_front().map(Ok).unwrap_or_else(|| rx.try_recv()) {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        batch.retain(|r| !r.reply.is_closed());
        if batch.is_empty() {
            continue;
        }
        if grouping == Grouping::OneStatement {
            let (now, later) = combined::split(batch);
            held.extend(later);
            batch = now;
        }
        metrics::histogram!("db_group_commit_writes").record(batch.len() as f64);
        match grouping {
            Grouping::OneTransaction => one_writer::commit(&writer, &counters, batch).await,
            Grouping::OneStatement => {
                combined::commit(&writer, &counters, &mut statements, batch).await
            }
        }
    }
}

/// Runs `run` again while it fails with a transient error, up to the retry policy's
/// attempts; then [`StoreError::Busy`].
async fn retried<T, F, Fut>(mut run: F) -> StoreResult<Result<T, sqlx::Error>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, sqlx::Error>>,
{
    let mut n = 1;
    loop {
        match run().await {
            Err(e) if is_transient(&e) => {
                if !again("group_commit", n).await {
                    return Err(StoreError::Busy("group_commit"));
                }
                n += 1;
            }
            other => return Ok(other),
        }
    }
}

/// Tells every caller of a group that the database stayed busy.
fn all_busy(batch: Vec<Request>) {
    for r in batch {
        let _ = r.reply.send(Err(StoreError::Busy("group_commit")));
    }
}

/// One write on its own, committed as it runs (PostgreSQL), retried while the
/// database is busy.
pub(crate) async fn single(pool: &AnyPool, write: &Write) -> StoreResult<u64> {
    let outcome = retried(|| bind(sqlx::query(write.sql), &write.args).execute(pool)).await?;
    Ok(outcome?.rows_affected())
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
