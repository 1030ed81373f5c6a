//! The notification outbox: messages written in the same transaction as the change
//! that causes them, delivered later by a worker. A dedupe key makes re-runs send
//! nothing twice.

use crate::db::{Backend, Db};
use crate::error::StoreResult;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// A message to send.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxMessage {
    /// Id.
    pub id: i64,
    /// Unique key of what caused it (e.g. `otp:+86138…:1700000000`).
    pub dedupe_key: String,
    /// Channel code: `sms`, `wechat`, `app`, `log`.
    pub channel: String,
    /// Phone or other address.
    pub recipient: String,
    /// Customer, when the message is for one.
    pub customer_id: Option<i64>,
    /// Template key in the translation files.
    pub template: String,
    /// Template values as JSON.
    pub payload: serde_json::Value,
    /// Attempts so far.
    pub attempts: i64,
}

/// Queues a message; returns false when one with the same key exists already.
#[allow(clippy::too_many_arguments)]
pub async fn enqueue(
    conn: &mut AnyConnection,
    dedupe_key: &str,
    channel: &str,
    recipient: &str,
    customer_id: Option<i64>,
    template: &str,
    payload: &serde_json::Value,
    due_at: i64,
) -> StoreResult<bool> {
    let r = sqlx::query(
        "INSERT INTO outbox (dedupe_key, channel, recipient, customer_id, template, payload, status, due_at) \
         VALUES ($1,$2,$3,$4,$5,$6,'pending',$7) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(dedupe_key)
    .bind(channel)
    .bind(recipient)
    .bind(customer_id)
    .bind(template)
    .bind(payload.to_string())
    .bind(due_at)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Claims up to `limit` due messages for `lease_ms`, so that several servers never
/// send the same message at once (SKIP LOCKED on PostgreSQL, the write lock on SQLite).
pub async fn claim_due(
    db: &Db,
    now: i64,
    lease_ms: i64,
    limit: i64,
) -> StoreResult<Vec<OutboxMessage>> {
    let mut tx = db.begin().await?;
    let lock = if db.backend == Backend::Postgres {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "SELECT id, dedupe_key, channel, recipient, customer_id, template, payload, attempts FROM outbox \
         WHERE status = 'pending' AND due_at <= $1 AND claimed_until <= $1 ORDER BY due_at LIMIT {limit}{lock}"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let payload: String = r.try_get("payload")?;
        let m = OutboxMessage {
            id: r.try_get("id")?,
            dedupe_key: r.try_get("dedupe_key")?,
            channel: r.try_get("channel")?,
            recipient: r.try_get("recipient")?,
            customer_id: r.try_get("customer_id")?,
            template: r.try_get("template")?,
            payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
            attempts: r.try_get("attempts")?,
        };
        sqlx::query("UPDATE outbox SET claimed_until = $1, attempts = attempts + 1 WHERE id = $2")
            .bind(now + lease_ms)
            .bind(m.id)
            .execute(&mut *tx)
            .await?;
        out.push(m);
    }
    tx.commit().await?;
    Ok(out)
}

/// Records a delivery.
pub async fn mark_sent(conn: &mut AnyConnection, id: i64, now: i64) -> StoreResult<()> {
    sqlx::query("UPDATE outbox SET status = 'sent', sent_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records a failed attempt; after `max_attempts` the message is given up.
pub async fn mark_failed(
    conn: &mut AnyConnection,
    id: i64,
    error: &str,
    retry_at: i64,
    give_up: bool,
) -> StoreResult<()> {
    sqlx::query("UPDATE outbox SET status = $1, last_error = $2, due_at = $3, claimed_until = 0 WHERE id = $4")
        .bind(if give_up { "failed" } else { "pending" })
        .bind(error)
        .bind(retry_at)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Puts a message in an owner's in-app inbox.
pub async fn insert_inbox(
    conn: &mut AnyConnection,
    customer_id: i64,
    template: &str,
    payload: &serde_json::Value,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO inbox_messages (customer_id, template, payload, created_at) VALUES ($1,$2,$3,$4)")
        .bind(customer_id)
        .bind(template)
        .bind(payload.to_string())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// An inbox message.
#[derive(Debug, Clone, Serialize)]
pub struct InboxMessage {
    /// Template key.
    pub template: String,
    /// Values.
    pub payload: serde_json::Value,
    /// When, UTC ms.
    pub created_at: i64,
}

/// An owner's inbox, newest first.
pub async fn inbox(
    conn: &mut AnyConnection,
    customer_id: i64,
    limit: i64,
) -> StoreResult<Vec<InboxMessage>> {
    let rows = sqlx::query("SELECT template, payload, created_at FROM inbox_messages WHERE customer_id = $1 ORDER BY id DESC LIMIT $2")
        .bind(customer_id)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            let p: String = r.try_get("payload")?;
            Ok(InboxMessage {
                template: r.try_get("template")?,
                payload: serde_json::from_str(&p).unwrap_or(serde_json::Value::Null),
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}
