//! Estimate lines (估价单): labour and parts, the owner's decision with its approval
//! record, work progress, the technician assigned and re-offers of declined lines.

use crate::error::{StoreError, StoreResult};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// An estimate line row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EstimateLineRow {
    /// Line number within the order, from 1.
    pub line_no: i64,
    /// `labour` or `part`.
    pub kind: String,
    /// Labour operation code or part number.
    pub code: String,
    /// Hours (labour) or quantity (part), in hundredths.
    pub hundredths: i64,
    /// Hourly rate (labour) or unit price (part), fen.
    pub unit_price_fen: i64,
    /// Line amount before VAT, fen (0 for comebacks).
    pub amount_fen: i64,
    /// `proposed`, `approved` or `declined`.
    pub decision: String,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When decided, UTC ms.
    pub decided_at: Option<i64>,
    /// Approval channel code.
    pub decision_channel: Option<String>,
    /// Client IP for owner-page decisions.
    pub decision_ip: Option<String>,
    /// Stored signature reference.
    pub signature_ref: Option<String>,
    /// The declined line this one offers again.
    pub reoffer_of: Option<i64>,
    /// A comeback line (free of charge).
    pub comeback: bool,
    /// Found during repair.
    pub extra: bool,
    /// `not_started`, `in_progress`, `done`.
    pub work: String,
    /// Work done or part fitted.
    pub done: bool,
    /// Technician assigned.
    pub technician_id: Option<i64>,
}

const COLS: &str = "line_no, kind, code, hundredths, unit_price_fen, amount_fen, decision, decided_by, decided_at, \
     decision_channel, decision_ip, signature_ref, reoffer_of, comeback, extra, work, done, technician_id";

fn from_row(r: &AnyRow) -> Result<EstimateLineRow, sqlx::Error> {
    Ok(EstimateLineRow {
        line_no: r.try_get("line_no")?,
        kind: r.try_get("kind")?,
        code: r.try_get("code")?,
        hundredths: r.try_get("hundredths")?,
        unit_price_fen: r.try_get("unit_price_fen")?,
        amount_fen: r.try_get("amount_fen")?,
        decision: r.try_get("decision")?,
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get("decided_at")?,
        decision_channel: r.try_get("decision_channel")?,
        decision_ip: r.try_get("decision_ip")?,
        signature_ref: r.try_get("signature_ref")?,
        reoffer_of: r.try_get("reoffer_of")?,
        comeback: r.try_get::<i64, _>("comeback")? != 0,
        extra: r.try_get::<i64, _>("extra")? != 0,
        work: r.try_get("work")?,
        done: r.try_get::<i64, _>("done")? != 0,
        technician_id: r.try_get("technician_id")?,
    })
}

/// Inserts a line; the line number must be new for the order.
pub async fn insert(
    conn: &mut AnyConnection,
    order_id: i64,
    l: &EstimateLineRow,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO estimate_lines (repair_order_id, line_no, kind, code, hundredths, unit_price_fen, amount_fen, decision, \
         reoffer_of, comeback, extra, work, done, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)",
    )
    .bind(order_id)
    .bind(l.line_no)
    .bind(&l.kind)
    .bind(&l.code)
    .bind(l.hundredths)
    .bind(l.unit_price_fen)
    .bind(l.amount_fen)
    .bind(&l.decision)
    .bind(l.reoffer_of)
    .bind(l.comeback as i64)
    .bind(l.extra as i64)
    .bind(&l.work)
    .bind(l.done as i64)
    .bind(now)
    .execute(conn)
    .await
    .map_err(StoreError::unique_as("line_no"))?;
    Ok(())
}

/// Every line of an order by number.
pub async fn lines(conn: &mut AnyConnection, order_id: i64) -> StoreResult<Vec<EstimateLineRow>> {
    let sql =
        format!("SELECT {COLS} FROM estimate_lines WHERE repair_order_id = $1 ORDER BY line_no");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(order_id)
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Records the owner's decision on a proposed line (guarded on it still being proposed).
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    conn: &mut AnyConnection,
    order_id: i64,
    line_no: i64,
    decision: &str,
    by: &str,
    at: i64,
    channel: &str,
    ip: Option<&str>,
    signature_ref: Option<&str>,
) -> StoreResult<()> {
    let r = sqlx::query(
        "UPDATE estimate_lines SET decision = $1, decided_by = $2, decided_at = $3, decision_channel = $4, decision_ip = $5, \
         signature_ref = $6 WHERE repair_order_id = $7 AND line_no = $8 AND decision = 'proposed'",
    )
    .bind(decision)
    .bind(by)
    .bind(at)
    .bind(channel)
    .bind(ip)
    .bind(signature_ref)
    .bind(order_id)
    .bind(line_no)
    .execute(conn)
    .await?;
    if r.rows_affected() == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict("estimate.changed_meanwhile"))
    }
}

/// Sets a line's work status and done flag.
pub async fn set_work(
    conn: &mut AnyConnection,
    order_id: i64,
    line_no: i64,
    work: &str,
    done: bool,
) -> StoreResult<()> {
    sqlx::query("UPDATE estimate_lines SET work = $1, done = $2 WHERE repair_order_id = $3 AND line_no = $4")
        .bind(work)
        .bind(done as i64)
        .bind(order_id)
        .bind(line_no)
        .execute(conn)
        .await?;
    Ok(())
}

/// Assigns a technician to a line.
pub async fn assign(
    conn: &mut AnyConnection,
    order_id: i64,
    line_no: i64,
    staff_id: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE estimate_lines SET technician_id = $1 WHERE repair_order_id = $2 AND line_no = $3",
    )
    .bind(staff_id)
    .bind(order_id)
    .bind(line_no)
    .execute(conn)
    .await?;
    Ok(())
}
