//! Alerts of dead letters for the administrators: one open alert per queue and kind,
//! counting the rows that gave up since it opened, until someone acknowledges it (see
//! migration 0037). Raised by the worker in the transaction that records the death,
//! so an alert exists exactly when a dead letter does.

use super::Queue;
use crate::error::StoreResult;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// An alert: dead letters of one kind since `first_at`.
#[derive(Debug, Clone, Serialize)]
pub struct JobAlert {
    /// Id.
    pub id: i64,
    /// Which queue.
    pub queue: Queue,
    /// The handler kind, e.g. `outbox.deliver`.
    pub kind: String,
    /// How many rows gave up while the alert was open.
    pub dead_count: i64,
    /// The last one's error.
    pub last_error: String,
    /// The first and the last death, UTC ms.
    pub first_at: i64,
    /// See `first_at`.
    pub last_at: i64,
}

/// Adds a dead letter of `kind` to its open alert, opening one when none is; answers
/// true when this dead letter opened a new alert.
pub async fn raise(
    conn: &mut AnyConnection,
    queue: Queue,
    kind: &str,
    error: &str,
    now: i64,
) -> StoreResult<bool> {
    // One statement on both databases: the partial unique index is the one open alert.
    let count: i64 = sqlx::query_scalar(
        "INSERT INTO job_alerts (queue, kind, dead_count, last_error, first_at, last_at) \
         VALUES ($1, $2, 1, $3, $4, $4) \
         ON CONFLICT (queue, kind) WHERE acknowledged_at IS NULL \
         DO UPDATE SET dead_count = job_alerts.dead_count + 1, \
           last_error = excluded.last_error, last_at = excluded.last_at \
         RETURNING dead_count",
    )
    .bind(queue.table())
    .bind(kind)
    .bind(error)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(count == 1)
}

/// The open alerts, the latest death first.
pub async fn open(conn: &mut AnyConnection) -> StoreResult<Vec<JobAlert>> {
    let rows = sqlx::query(
        "SELECT id, queue, kind, dead_count, last_error, first_at, last_at FROM job_alerts \
         WHERE acknowledged_at IS NULL ORDER BY last_at DESC, id DESC",
    )
    .fetch_all(conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let queue: String = r.try_get("queue")?;
        let Some(queue) = Queue::from_code(&queue) else {
            continue;
        };
        out.push(JobAlert {
            id: r.try_get("id")?,
            queue,
            kind: r.try_get("kind")?,
            dead_count: r.try_get("dead_count")?,
            last_error: r.try_get("last_error")?,
            first_at: r.try_get("first_at")?,
            last_at: r.try_get("last_at")?,
        });
    }
    Ok(out)
}

/// Acknowledges an open alert; false when it is not open (acknowledged already, or
/// no such alert).
pub async fn acknowledge(
    conn: &mut AnyConnection,
    id: i64,
    by: i64,
    now: i64,
) -> StoreResult<bool> {
    Ok(sqlx::query(
        "UPDATE job_alerts SET acknowledged_at = $1, acknowledged_by = $2 \
         WHERE id = $3 AND acknowledged_at IS NULL",
    )
    .bind(now)
    .bind(by)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}
