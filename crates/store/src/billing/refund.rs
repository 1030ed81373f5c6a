//! Refunds of a bill: what was given back, per line or of an overpayment, how and
//! why. A refund is inserted `pending` (through a provider) or `succeeded` (at the
//! desk) and only ever moves from pending to succeeded or failed.

use crate::error::{StoreError, StoreResult};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

/// A refund as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundRow {
    /// Id.
    pub id: i64,
    /// The bill.
    pub bill_id: i64,
    /// Our reference, sent to the provider (random).
    pub refund_ref: String,
    /// The online payment refunded through its provider, if any.
    pub payment_id: Option<i64>,
    /// `provider`, `cash` or `transfer`.
    pub method: String,
    /// Provider code of a provider refund.
    pub provider: Option<String>,
    /// The provider's refund reference, once it answered.
    pub provider_refund_ref: Option<String>,
    /// Amount given back, fen.
    pub amount_fen: i64,
    /// Of it, overpayment given back (not credited on the lines), fen.
    pub excess_fen: i64,
    /// Per line: `[{"line_no", "amount_fen"}]`.
    pub lines: serde_json::Value,
    /// Why.
    pub reason: String,
    /// `pending`, `succeeded` or `failed`.
    pub state: String,
    /// Role code of who asked for it.
    pub requested_by_role: String,
    /// Id of who asked for it.
    pub requested_by_id: i64,
    /// Asked for, UTC ms.
    pub created_at: i64,
    /// Succeeded or failed, UTC ms.
    pub settled_at: Option<i64>,
}

/// A refund to record.
#[derive(Debug, Clone)]
pub struct NewRefund {
    /// The bill.
    pub bill_id: i64,
    /// Our reference.
    pub refund_ref: String,
    /// The online payment refunded, if through a provider.
    pub payment_id: Option<i64>,
    /// `provider`, `cash` or `transfer`.
    pub method: String,
    /// Provider code.
    pub provider: Option<String>,
    /// Amount, fen.
    pub amount_fen: i64,
    /// Overpayment part, fen.
    pub excess_fen: i64,
    /// Per line amounts.
    pub lines: serde_json::Value,
    /// Why.
    pub reason: String,
    /// `pending` or `succeeded`.
    pub state: String,
    /// Role code of the requester.
    pub requested_by_role: String,
    /// Id of the requester.
    pub requested_by_id: i64,
}

const COLS: &str = "id, bill_id, refund_ref, payment_id, method, provider, provider_refund_ref, amount_fen, excess_fen, \
     lines, reason, state, requested_by_role, requested_by_id, created_at, settled_at";

fn from_row(r: &AnyRow) -> Result<RefundRow, sqlx::Error> {
    let lines: String = r.try_get("lines")?;
    Ok(RefundRow {
        id: r.try_get("id")?,
        bill_id: r.try_get("bill_id")?,
        refund_ref: r.try_get("refund_ref")?,
        payment_id: r.try_get("payment_id")?,
        method: r.try_get("method")?,
        provider: r.try_get("provider")?,
        provider_refund_ref: r.try_get("provider_refund_ref")?,
        amount_fen: r.try_get("amount_fen")?,
        excess_fen: r.try_get("excess_fen")?,
        lines: serde_json::from_str(&lines).unwrap_or(serde_json::Value::Null),
        reason: r.try_get("reason")?,
        state: r.try_get("state")?,
        requested_by_role: r.try_get("requested_by_role")?,
        requested_by_id: r.try_get("requested_by_id")?,
        created_at: r.try_get("created_at")?,
        settled_at: r.try_get("settled_at")?,
    })
}

/// Records a refund; returns its id.
pub async fn insert(conn: &mut AnyConnection, n: &NewRefund, now: i64) -> StoreResult<i64> {
    let settled = (n.state != "pending").then_some(now);
    let r = sqlx::query(
        "INSERT INTO refunds (bill_id, refund_ref, payment_id, method, provider, amount_fen, excess_fen, lines, reason, \
         state, requested_by_role, requested_by_id, created_at, settled_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) RETURNING id",
    )
    .bind(n.bill_id)
    .bind(&n.refund_ref)
    .bind(n.payment_id)
    .bind(&n.method)
    .bind(n.provider.as_deref())
    .bind(n.amount_fen)
    .bind(n.excess_fen)
    .bind(n.lines.to_string())
    .bind(&n.reason)
    .bind(&n.state)
    .bind(&n.requested_by_role)
    .bind(n.requested_by_id)
    .bind(now)
    .bind(settled)
    .fetch_one(conn)
    .await
    .map_err(StoreError::unique_as("refund_ref"))?;
    Ok(r.try_get(0)?)
}

/// The refunds of a bill, oldest first.
pub async fn of_bill(conn: &mut AnyConnection, bill_id: i64) -> StoreResult<Vec<RefundRow>> {
    let sql = format!("SELECT {COLS} FROM refunds WHERE bill_id = $1 ORDER BY id");
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(bill_id)
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// A refund by our reference.
pub async fn by_ref(conn: &mut AnyConnection, refund_ref: &str) -> StoreResult<RefundRow> {
    let sql = format!("SELECT {COLS} FROM refunds WHERE refund_ref = $1");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(refund_ref)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(from_row(&row)?)
}

/// Moves a pending refund to `succeeded` or `failed` with the provider's refund
/// reference. Returns whether this call changed it.
pub async fn settle(
    conn: &mut AnyConnection,
    id: i64,
    state: &str,
    provider_refund_ref: &str,
    now: i64,
) -> StoreResult<bool> {
    let r = sqlx::query(
        "UPDATE refunds SET state = $1, provider_refund_ref = $2, settled_at = $3 WHERE id = $4 AND state = 'pending'",
    )
    .bind(state)
    .bind(provider_refund_ref)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Reserves a refund on its bill: `credit` fen credited, `excess` fen of the refund
/// to make given back (clearing the reconciliation flag once none is left). Guarded
/// by the amounts the refund was checked against: a [`StoreError::Conflict`] when
/// another refund or payment changed them meanwhile.
pub async fn reserve(
    conn: &mut AnyConnection,
    bill_id: i64,
    credit: i64,
    excess: i64,
    seen: (i64, i64, i64),
) -> StoreResult<()> {
    let (paid, refund, refunded) = seen;
    let r = sqlx::query(
        "UPDATE bills SET refunded_fen = refunded_fen + $1, refund_fen = refund_fen - $2, \
         needs_reconciliation = CASE WHEN $2 > 0 AND refund_fen - $2 = 0 THEN 0 ELSE needs_reconciliation END \
         WHERE id = $3 AND paid_fen = $4 AND refund_fen = $5 AND refunded_fen = $6",
    )
    .bind(credit)
    .bind(excess)
    .bind(bill_id)
    .bind(paid)
    .bind(refund)
    .bind(refunded)
    .execute(conn)
    .await?;
    if r.rows_affected() == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict("bill.changed_meanwhile"))
    }
}

/// Gives back the reservation of a refund the provider refused.
pub async fn release(
    conn: &mut AnyConnection,
    bill_id: i64,
    credit: i64,
    excess: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE bills SET refunded_fen = refunded_fen - $1, refund_fen = refund_fen + $2, \
         needs_reconciliation = CASE WHEN $2 > 0 THEN 1 ELSE needs_reconciliation END WHERE id = $3",
    )
    .bind(credit)
    .bind(excess)
    .bind(bill_id)
    .execute(conn)
    .await?;
    Ok(())
}
