//! The durable queue: jobs (work retried with backoff) and timers (fire once at a due
//! time, re-armable until then), on both backends.
//!
//! Workers claim due rows in batches with a lease: one `UPDATE … WHERE id IN (SELECT …
//! LIMIT n)` that uses `FOR UPDATE SKIP LOCKED` on PostgreSQL, so servers sharing a
//! database never take the same row, and SQLite's single write lock elsewhere. For a
//! running row `due_at` is the end of the lease: when it has passed, another worker may
//! claim the row again, so a crash loses nothing. `worker` names the claim; completing
//! or failing a row checks it, so a worker that lost its lease cannot complete a row
//! someone else has since taken, and its handler's effects roll back with the check.

pub mod alert;

use crate::db::{Backend, Db};
use crate::error::StoreResult;
use serde::Serialize;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

/// Which of the two tables a row lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Queue {
    /// Jobs: work with retries.
    Jobs,
    /// Timers: fire once at a due time.
    Timers,
}

impl Queue {
    /// Both queues.
    pub const ALL: [Queue; 2] = [Queue::Jobs, Queue::Timers];

    /// The table (also the code used in forms and on the command line).
    pub fn table(self) -> &'static str {
        match self {
            Queue::Jobs => "jobs",
            Queue::Timers => "timers",
        }
    }

    /// The queue for a code.
    pub fn from_code(code: &str) -> Option<Queue> {
        Queue::ALL.into_iter().find(|q| q.table() == code)
    }
}

/// A row a worker has claimed and must complete or fail.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// Which table.
    pub queue: Queue,
    /// Row id.
    pub id: i64,
    /// Handler kind, e.g. `outbox.deliver`.
    pub kind: String,
    /// Idempotency key (always present for timers).
    pub key: Option<String>,
    /// Handler input, JSON text.
    pub payload: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
    /// Attempts allowed before the row is dead.
    pub max_attempts: i64,
    /// The claim token this worker holds on the row.
    pub claim: String,
}

/// A row as listed for people.
#[derive(Debug, Clone, Serialize)]
pub struct JobRow {
    /// Which table.
    pub queue: Queue,
    /// Row id.
    pub id: i64,
    /// Handler kind.
    pub kind: String,
    /// Idempotency key.
    pub key: Option<String>,
    /// Handler input, JSON text.
    pub payload: String,
    /// State code (see `domain::job::JobState`).
    pub state: String,
    /// Due time (for a running row: end of its lease), UTC ms.
    pub due_at: i64,
    /// Attempts so far.
    pub attempts: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
    /// The last failure, kept after the row died.
    pub last_error: Option<String>,
    /// When it was made, UTC ms.
    pub created_at: i64,
    /// When it finished (done, dead or cancelled), UTC ms.
    pub finished_at: Option<i64>,
}

const COLUMNS: &str = "id, kind, dedupe_key, payload, state, due_at, attempts, max_attempts, last_error, created_at, finished_at";

fn row(queue: Queue, r: &sqlx::any::AnyRow) -> StoreResult<JobRow> {
    Ok(JobRow {
        queue,
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        key: r.try_get("dedupe_key")?,
        payload: r.try_get("payload")?,
        state: r.try_get("state")?,
        due_at: r.try_get("due_at")?,
        attempts: r.try_get("attempts")?,
        max_attempts: r.try_get("max_attempts")?,
        last_error: r.try_get("last_error")?,
        created_at: r.try_get("created_at")?,
        finished_at: r.try_get("finished_at")?,
    })
}

/// A job to queue.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    /// Handler kind.
    pub kind: &'a str,
    /// Idempotency key: queuing the same key twice makes one row. `None` for work that
    /// has no natural key.
    pub key: Option<&'a str>,
    /// Handler input, JSON text.
    pub payload: &'a str,
    /// Not before, UTC ms.
    pub due_at: i64,
    /// Attempts allowed before it is a dead letter.
    pub max_attempts: i64,
}

/// Queues a job on the caller's connection (so in the caller's transaction); returns
/// false when a job with the same key exists already.
pub async fn enqueue(conn: &mut AnyConnection, job: &NewJob<'_>, now: i64) -> StoreResult<bool> {
    let r = sqlx::query(
        "INSERT INTO jobs (kind, dedupe_key, payload, state, due_at, attempts, max_attempts, created_at) \
         VALUES ($1, $2, $3, 'queued', $4, 0, $5, $6) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(job.kind)
    .bind(job.key)
    .bind(job.payload)
    .bind(job.due_at)
    .bind(job.max_attempts)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Arms the timer `key` to fire `kind` at `due_at`, on the caller's connection. When
/// the key exists and has not fired, it is re-armed: due time, kind and payload move
/// to the new values and its attempts start again (a claim in progress loses its row,
/// so it cannot fire the old arming). Returns false when the timer has fired already.
pub async fn arm(
    conn: &mut AnyConnection,
    key: &str,
    kind: &str,
    due_at: i64,
    payload: &str,
    max_attempts: i64,
    now: i64,
) -> StoreResult<bool> {
    let r = sqlx::query(
        "INSERT INTO timers (kind, dedupe_key, payload, state, due_at, attempts, max_attempts, created_at) \
         VALUES ($1, $2, $3, 'queued', $4, 0, $5, $6) \
         ON CONFLICT (dedupe_key) DO UPDATE SET kind = excluded.kind, payload = excluded.payload, \
         due_at = excluded.due_at, max_attempts = excluded.max_attempts, state = 'queued', attempts = 0, \
         last_error = NULL, worker = NULL, finished_at = NULL WHERE timers.state <> 'done'",
    )
    .bind(kind)
    .bind(key)
    .bind(payload)
    .bind(due_at)
    .bind(max_attempts)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Cancels the timer `key` if it has not fired; returns whether it was cancelled.
pub async fn disarm(conn: &mut AnyConnection, key: &str, now: i64) -> StoreResult<bool> {
    let r = sqlx::query(
        "UPDATE timers SET state = 'cancelled', worker = NULL, finished_at = $1 \
         WHERE dedupe_key = $2 AND state IN ('queued', 'running')",
    )
    .bind(now)
    .bind(key)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Claims up to `limit` due rows of `queue` for `lease_ms` under the claim token
/// `claim`, counting the attempt. Each row goes to one claimant only.
pub async fn claim(
    db: &Db,
    queue: Queue,
    now: i64,
    lease_ms: i64,
    limit: i64,
    claim: &str,
) -> StoreResult<Vec<Claimed>> {
    let lock = match db.backend {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let t = queue.table();
    let sql = format!(
        "UPDATE {t} SET state = 'running', due_at = $1, worker = $2, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM {t} WHERE state IN ('queued', 'running') AND due_at <= $3 \
         ORDER BY due_at LIMIT {limit}{lock}) \
         RETURNING id, kind, dedupe_key, payload, attempts, max_attempts"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(domain::job::lease_until(now, lease_ms))
        .bind(claim)
        .bind(now)
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Claimed {
                queue,
                id: r.try_get("id")?,
                kind: r.try_get("kind")?,
                key: r.try_get("dedupe_key")?,
                payload: r.try_get("payload")?,
                attempts: r.try_get("attempts")?,
                max_attempts: r.try_get("max_attempts")?,
                claim: claim.to_string(),
            })
        })
        .collect()
}

/// Marks every row still held under `claim` in `queue` done; returns how many. The
/// worker compares it with what it expects: fewer means a row was taken from it.
pub async fn complete_claim(
    conn: &mut AnyConnection,
    queue: Queue,
    claim: &str,
    now: i64,
) -> StoreResult<u64> {
    let sql = format!(
        "UPDATE {} SET state = 'done', worker = NULL, finished_at = $1 WHERE worker = $2 AND state = 'running'",
        queue.table()
    );
    let r = sqlx::query(AssertSqlSafe(sql))
        .bind(now)
        .bind(claim)
        .execute(conn)
        .await?;
    Ok(r.rows_affected())
}

/// Marks one claimed row done; false when the claim was lost (re-armed, cancelled or
/// claimed again after the lease ran out).
pub async fn complete(conn: &mut AnyConnection, c: &Claimed, now: i64) -> StoreResult<bool> {
    let sql = format!(
        "UPDATE {} SET state = 'done', worker = NULL, finished_at = $1 WHERE id = $2 AND worker = $3 AND state = 'running'",
        c.queue.table()
    );
    let r = sqlx::query(AssertSqlSafe(sql))
        .bind(now)
        .bind(c.id)
        .bind(&c.claim)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Records a failed attempt of a claimed row: queued again at `retry_at`, or dead
/// (kept with its error) when `retry_at` is `None`. False when the claim was lost.
pub async fn fail(
    conn: &mut AnyConnection,
    c: &Claimed,
    error: &str,
    retry_at: Option<i64>,
    now: i64,
) -> StoreResult<bool> {
    let sql = format!(
        "UPDATE {} SET state = $1, due_at = $2, last_error = $3, worker = NULL, finished_at = $4 \
         WHERE id = $5 AND worker = $6 AND state = 'running'",
        c.queue.table()
    );
    let (state, due, finished) = match retry_at {
        Some(at) => ("queued", at, None),
        None => ("dead", now, Some(now)),
    };
    let r = sqlx::query(AssertSqlSafe(sql))
        .bind(state)
        .bind(due)
        .bind(error)
        .bind(finished)
        .bind(c.id)
        .bind(&c.claim)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Sends a dead or cancelled row round again, due now with fresh attempts (its last
/// error is kept until it succeeds). False when it is in another state.
pub async fn retry(conn: &mut AnyConnection, queue: Queue, id: i64, now: i64) -> StoreResult<bool> {
    let sql = format!(
        "UPDATE {} SET state = 'queued', due_at = $1, attempts = 0, worker = NULL, finished_at = NULL \
         WHERE id = $2 AND state IN ('dead', 'cancelled')",
        queue.table()
    );
    let r = sqlx::query(AssertSqlSafe(sql))
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Cancels a queued or running row. False when it is in another state.
pub async fn cancel(
    conn: &mut AnyConnection,
    queue: Queue,
    id: i64,
    now: i64,
) -> StoreResult<bool> {
    let sql = format!(
        "UPDATE {} SET state = 'cancelled', worker = NULL, finished_at = $1 \
         WHERE id = $2 AND state IN ('queued', 'running')",
        queue.table()
    );
    let r = sqlx::query(AssertSqlSafe(sql))
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// One row, if it exists.
pub async fn get(conn: &mut AnyConnection, queue: Queue, id: i64) -> StoreResult<Option<JobRow>> {
    let sql = format!("SELECT {COLUMNS} FROM {} WHERE id = $1", queue.table());
    let r = sqlx::query(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    r.as_ref().map(|r| row(queue, r)).transpose()
}

/// Deletes the fired timers of `kind`: for a chain that re-arms itself every few
/// seconds under a new key and keeps no history worth a row per run.
pub async fn forget_fired(conn: &mut AnyConnection, kind: &str) -> StoreResult<u64> {
    let r = sqlx::query("DELETE FROM timers WHERE kind = $1 AND state = 'done'")
        .bind(kind)
        .execute(conn)
        .await?;
    Ok(r.rows_affected())
}

/// The timer with `key`, if any.
pub async fn timer(conn: &mut AnyConnection, key: &str) -> StoreResult<Option<JobRow>> {
    let sql = format!("SELECT {COLUMNS} FROM timers WHERE dedupe_key = $1");
    let r = sqlx::query(AssertSqlSafe(sql))
        .bind(key)
        .fetch_optional(conn)
        .await?;
    r.as_ref().map(|r| row(Queue::Timers, r)).transpose()
}

/// Rows of `queue` in `state` (any when `None`) and of `kind` (any when `None`),
/// newest first.
pub async fn list(
    conn: &mut AnyConnection,
    queue: Queue,
    state: Option<&str>,
    kind: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<JobRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM {} WHERE ($1 IS NULL OR state = $1) AND ($2 IS NULL OR kind = $2) \
         ORDER BY id DESC LIMIT $3",
        queue.table()
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(state)
        .bind(kind)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter().map(|r| row(queue, r)).collect()
}

/// How many rows there are per queue, kind and state. With `live_only`, only the
/// states that need watching (queued, running, dead), which an index answers without
/// reading the growing history of done rows.
pub async fn counts(
    conn: &mut AnyConnection,
    live_only: bool,
) -> StoreResult<Vec<(Queue, String, String, i64)>> {
    let filter = if live_only {
        "WHERE state IN ('queued', 'running', 'dead')"
    } else {
        ""
    };
    let mut out = Vec::new();
    for q in Queue::ALL {
        let sql = format!(
            "SELECT kind, state, COUNT(*) AS n FROM {} {filter} GROUP BY kind, state ORDER BY kind, state",
            q.table()
        );
        for r in sqlx::query(AssertSqlSafe(sql))
            .fetch_all(&mut *conn)
            .await?
        {
            out.push((q, r.try_get("kind")?, r.try_get("state")?, r.try_get("n")?));
        }
    }
    Ok(out)
}

/// The earliest due time among rows waiting in either queue (queued, or running with
/// a lease that will run out), if any: when the worker next has something to do.
/// With `queued_only`, only queued rows (for the age of the oldest due row).
pub async fn earliest_due(conn: &mut AnyConnection, queued_only: bool) -> StoreResult<Option<i64>> {
    let states = if queued_only {
        "('queued')"
    } else {
        "('queued', 'running')"
    };
    let mut best: Option<i64> = None;
    for q in Queue::ALL {
        let sql = format!(
            "SELECT MIN(due_at) AS d FROM {} WHERE state IN {states}",
            q.table()
        );
        let d: Option<i64> = sqlx::query(AssertSqlSafe(sql))
            .fetch_one(&mut *conn)
            .await?
            .try_get("d")?;
        best = match (best, d) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    Ok(best)
}

/// Records that the probe timer `key` fired (what the `job.probe` kind does).
pub async fn insert_probe(
    conn: &mut AnyConnection,
    key: &str,
    worker: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO job_probes (probe_key, worker, fired_at) VALUES ($1, $2, $3)")
        .bind(key)
        .bind(worker)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Arms many timers of one kind, due and payload at once, 500 rows a statement (a
/// bulk load: probes, benchmarks, back-filling). Keys that exist are left as they are;
/// returns how many were armed.
pub async fn arm_many(
    conn: &mut AnyConnection,
    kind: &str,
    keys: &[String],
    due_at: i64,
    payload: &str,
    max_attempts: i64,
    now: i64,
) -> StoreResult<u64> {
    // Literals are quoted here because the Any driver's bulk binding is not portable;
    // doubling quotes is the SQL standard's escape on both backends.
    let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let (kind, payload) = (quote(kind), quote(payload));
    let mut armed = 0;
    for chunk in keys.chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|k| {
                format!(
                    "({kind}, {}, {payload}, 'queued', {due_at}, 0, {max_attempts}, {now})",
                    quote(k)
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO timers (kind, dedupe_key, payload, state, due_at, attempts, max_attempts, created_at) \
             VALUES {} ON CONFLICT (dedupe_key) DO NOTHING",
            values.join(", ")
        );
        armed += sqlx::query(AssertSqlSafe(sql))
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    Ok(armed)
}

/// How often each probe key fired: `(keys fired, firings)`, for the keys that start
/// with `prefix`. Equal numbers mean each fired once.
pub async fn probe_tally(conn: &mut AnyConnection, prefix: &str) -> StoreResult<(i64, i64)> {
    let r = sqlx::query(
        "SELECT COUNT(DISTINCT probe_key) AS keys, COUNT(*) AS firings FROM job_probes WHERE probe_key LIKE $1",
    )
    .bind(format!("{prefix}%"))
    .fetch_one(conn)
    .await?;
    Ok((r.try_get("keys")?, r.try_get("firings")?))
}
