//! The nightly purge's statements, one per record class (`domain::privacy::retention`
//! says how long each is kept), and the redaction of a delivered message's body.

use crate::error::StoreResult;
use domain::privacy::retention::{Cutoffs, PurgeCounts};
use sqlx::AnyConnection;

/// What a redacted message's values become: nothing personal, marked as redacted.
pub const REDACTED_PAYLOAD: &str = r#"{"redacted":true}"#;

/// Runs every purge statement on the caller's transaction and counts what each did:
/// used or old sign-in codes, old sign-in attempts, the bodies of delivered messages
/// not yet redacted and of failed ones past their keep time, old audit rows.
pub async fn purge(conn: &mut AnyConnection, c: &Cutoffs, now: i64) -> StoreResult<PurgeCounts> {
    let codes = sqlx::query("DELETE FROM otp_codes WHERE used <> 0 OR created_at < $1")
        .bind(c.sign_in_code_before)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let attempts = sqlx::query("DELETE FROM sign_in_attempts WHERE at < $1")
        .bind(c.sign_in_attempt_before)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let bodies = redact_where(
        conn,
        "redacted_at IS NULL AND (status IN ('sent', 'withdrawn') OR (status = 'failed' AND due_at < $2))",
        c.outbox_failed_before,
        now,
    )
    .await?;
    let audit = sqlx::query("DELETE FROM audit_log WHERE at < $1")
        .bind(c.audit_log_before)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(PurgeCounts {
        sign_in_codes: codes,
        sign_in_attempts: attempts,
        outbox_bodies: bodies,
        audit_rows: audit,
    })
}

/// Redacts the messages matching `filter` (which may use `$2`): their values, their
/// recipient (masked: first three and last four characters) and their dedupe key's
/// tail go; kind (template), channel, status and times stay.
async fn redact_where(
    conn: &mut AnyConnection,
    filter: &str,
    param: i64,
    now: i64,
) -> StoreResult<u64> {
    // The mask is computed in SQL so one statement covers any number of rows on both
    // databases: `substr` and `||` mean the same on SQLite and PostgreSQL.
    let sql = format!(
        "UPDATE outbox SET payload = $1, redacted_at = $3, last_error = NULL, \
         recipient = CASE WHEN length(recipient) > 7 \
           THEN substr(recipient, 1, 3) || '****' || substr(recipient, length(recipient) - 3, 4) \
           ELSE '****' END \
         WHERE {filter}"
    );
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(REDACTED_PAYLOAD)
        .bind(param)
        .bind(now)
        .execute(conn)
        .await?
        .rows_affected())
}

/// Redacts one message just delivered, in the transaction that marks it sent.
pub async fn redact_delivered(conn: &mut AnyConnection, id: i64, now: i64) -> StoreResult<u64> {
    redact_where(conn, "id = $2 AND redacted_at IS NULL", id, now).await
}

/// Redacts every message to one customer and withdraws those not yet sent (a
/// deletion request).
pub async fn redact_customer(
    conn: &mut AnyConnection,
    customer_id: i64,
    now: i64,
) -> StoreResult<u64> {
    sqlx::query(
        "UPDATE outbox SET status = 'withdrawn' WHERE customer_id = $1 AND status = 'pending'",
    )
    .bind(customer_id)
    .execute(&mut *conn)
    .await?;
    redact_where(
        conn,
        "customer_id = $2 AND redacted_at IS NULL",
        customer_id,
        now,
    )
    .await
}
