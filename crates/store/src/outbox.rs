//! The notification outbox: messages written in the same transaction as the change
//! that causes them, each with a delivery job on the job queue (see [`crate::job`]).
//! A dedupe key makes re-runs queue nothing twice, and is sent along so a gateway can
//! drop a repeated delivery.

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
    /// `pending`, `sent`, `failed` (gave up), `withdrawn` (its cause went away, e.g.
    /// a reminder for an appointment that moved) or `suppressed` (the customer's
    /// consent ledger did not allow it at send time).
    pub status: String,
    /// Why it was suppressed (`consent:<purpose>`).
    pub suppressed_reason: Option<String>,
}

/// The job kind that delivers one outbox message.
pub const DELIVERY_JOB: &str = "outbox.deliver";

/// Attempts a message gets before it is a dead letter (marked `failed`).
pub const MAX_ATTEMPTS: i64 = 9;

/// Queues a message, and the job that delivers it, on the caller's connection (so in
/// the caller's transaction); returns false when one with the same key exists already.
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
    let m = NewMessage {
        dedupe_key,
        channel,
        recipient,
        customer_id,
        template,
        payload: &payload.to_string(),
        status: "pending",
    };
    insert(conn, &m, due_at).await
}

/// Writes a message that is never to be sent (`withdrawn` from the start) with its
/// delivery job, through the very statements [`enqueue`] runs: a sign-in code asked
/// for a number no customer holds costs the same database work as a real one, so the
/// time an answer takes does not tell who is a customer. The caller passes a masked
/// recipient and no values (nothing of a stranger's number is kept); the delivery
/// job finds the message not pending and sends nothing.
pub async fn enqueue_withdrawn(
    conn: &mut AnyConnection,
    dedupe_key: &str,
    channel: &str,
    masked_recipient: &str,
    template: &str,
    due_at: i64,
) -> StoreResult<bool> {
    let m = NewMessage {
        dedupe_key,
        channel,
        recipient: masked_recipient,
        customer_id: None,
        template,
        payload: REDACTED_PAYLOAD,
        status: "withdrawn",
    };
    insert(conn, &m, due_at).await
}

/// The columns of a new message.
struct NewMessage<'a> {
    dedupe_key: &'a str,
    channel: &'a str,
    recipient: &'a str,
    customer_id: Option<i64>,
    template: &'a str,
    payload: &'a str,
    status: &'a str,
}

/// The one INSERT of a message and its delivery job (one path for every status, so
/// every message costs the same statements).
async fn insert(conn: &mut AnyConnection, m: &NewMessage<'_>, due_at: i64) -> StoreResult<bool> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO outbox (dedupe_key, channel, recipient, customer_id, template, payload, status, due_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
    )
    .bind(m.dedupe_key)
    .bind(m.channel)
    .bind(m.recipient)
    .bind(m.customer_id)
    .bind(m.template)
    .bind(m.payload)
    .bind(m.status)
    .bind(due_at)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else {
        return Ok(false);
    };
    let job_key = format!("outbox:{id}");
    let job_payload = serde_json::json!({ "outbox_id": id }).to_string();
    crate::job::enqueue(
        conn,
        &crate::job::NewJob {
            kind: DELIVERY_JOB,
            key: Some(&job_key),
            payload: &job_payload,
            due_at,
            max_attempts: MAX_ATTEMPTS,
        },
        due_at,
    )
    .await?;
    Ok(true)
}

/// One message, if it exists.
pub async fn get(conn: &mut AnyConnection, id: i64) -> StoreResult<Option<OutboxMessage>> {
    let r = sqlx::query(
        "SELECT id, dedupe_key, channel, recipient, customer_id, template, payload, attempts, status, suppressed_reason \
         FROM outbox WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    let Some(r) = r else {
        return Ok(None);
    };
    let payload: String = r.try_get("payload")?;
    Ok(Some(OutboxMessage {
        id: r.try_get("id")?,
        dedupe_key: r.try_get("dedupe_key")?,
        channel: r.try_get("channel")?,
        recipient: r.try_get("recipient")?,
        customer_id: r.try_get("customer_id")?,
        template: r.try_get("template")?,
        payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
        attempts: r.try_get("attempts")?,
        status: r.try_get("status")?,
        suppressed_reason: r.try_get("suppressed_reason")?,
    }))
}

/// Holds a pending message back for good: the customer did not consent to its kind
/// when it was due. Not a failure (nothing is retried); `reason` says which consent.
/// The message is redacted in the same transaction.
pub async fn mark_suppressed(
    conn: &mut AnyConnection,
    id: i64,
    attempts: i64,
    reason: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE outbox SET status = 'suppressed', suppressed_reason = $1, attempts = $2 WHERE id = $3 AND status = 'pending'",
    )
    .bind(reason)
    .bind(attempts)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    // Never to be sent: its values and whole recipient are of no use to anyone
    // (retention), as for a delivered message.
    crate::privacy::retention::redact_delivered(conn, id, now).await?;
    Ok(())
}

/// A customer's messages, newest first (at most `limit`): what was sent, held back
/// or is still due, for the customer's page.
pub async fn for_customer(
    conn: &mut AnyConnection,
    customer_id: i64,
    limit: i64,
) -> StoreResult<Vec<OutboxMessage>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM outbox WHERE customer_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(customer_id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(m) = get(conn, id).await? {
            out.push(m);
        }
    }
    Ok(out)
}

/// Records a delivery, and redacts the message in the same statement's transaction:
/// once delivered, its values (a sign-in code, a plate, a time) and its whole
/// recipient are of no use to anyone and must not stay in the table (retention,
/// `domain::privacy::retention`); its kind, channel, time and masked recipient stay.
pub async fn mark_sent(
    conn: &mut AnyConnection,
    id: i64,
    attempts: i64,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("UPDATE outbox SET status = 'sent', sent_at = $1, attempts = $2 WHERE id = $3")
        .bind(now)
        .bind(attempts)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    crate::privacy::retention::redact_delivered(conn, id, now).await?;
    Ok(())
}

/// The template whose values are a secret (the owner's one-time sign-in code).
pub const SECRET_TEMPLATE: &str = "otp";
/// What a delivered message's values become.
pub const REDACTED_PAYLOAD: &str = crate::privacy::retention::REDACTED_PAYLOAD;

/// Records a failed attempt: the message stays `pending`, or is `failed` when its job
/// gave up (a dead letter, re-sent by retrying the job).
pub async fn mark_failed(
    conn: &mut AnyConnection,
    id: i64,
    attempts: i64,
    error: &str,
    give_up: bool,
) -> StoreResult<()> {
    sqlx::query("UPDATE outbox SET status = $1, last_error = $2, attempts = $3 WHERE id = $4 AND status IN ('pending', 'failed')")
        .bind(if give_up { "failed" } else { "pending" })
        .bind(error)
        .bind(attempts)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets a message back to `pending` (its dead delivery job is being retried).
pub async fn mark_pending(conn: &mut AnyConnection, id: i64) -> StoreResult<()> {
    sqlx::query("UPDATE outbox SET status = 'pending' WHERE id = $1 AND status = 'failed'")
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

/// The id and due time of the message queued under `dedupe_key`, if any.
pub async fn by_key(conn: &mut AnyConnection, dedupe_key: &str) -> StoreResult<Option<(i64, i64)>> {
    Ok(
        sqlx::query_as("SELECT id, due_at FROM outbox WHERE dedupe_key = $1")
            .bind(dedupe_key)
            .fetch_optional(conn)
            .await?,
    )
}
