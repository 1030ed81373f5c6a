//! Both sides of a day's reconciliation, within a caller's reach: our settled
//! provider payments and the sandbox provider's statement.

use crate::error::StoreResult;
use crate::scope::station_filter;
use domain::permission::Reach;
use serde::Serialize;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

/// A provider transaction on one side, with the bill it belongs to when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Our payment reference.
    pub payment_ref: String,
    /// The provider's reference.
    pub provider_ref: String,
    /// Amount, fen.
    pub amount_fen: i64,
    /// The bill, when the payment is known.
    pub bill_id: Option<i64>,
    /// The bill's number (what people call it), when the payment is known.
    pub bill_number: Option<String>,
    /// The bill's repair order, when the payment is known.
    pub repair_order_id: Option<i64>,
    /// The bill's station.
    pub station_id: Option<i64>,
}

/// The bill columns every side selects with its entries (`b` is the bill).
pub(crate) const BILL_COLUMNS: &str =
    "b.id AS bill_id, b.number AS bill_number, b.repair_order_id, b.station_id";

/// The entries of rows selected with [`BILL_COLUMNS`].
pub(crate) fn entries(rows: &[sqlx::any::AnyRow]) -> Result<Vec<Entry>, sqlx::Error> {
    rows.iter()
        .map(|r| {
            Ok(Entry {
                payment_ref: r.try_get("payment_ref")?,
                provider_ref: r.try_get("provider_ref")?,
                amount_fen: r.try_get("amount_fen")?,
                bill_id: r.try_get("bill_id")?,
                bill_number: r.try_get("bill_number")?,
                repair_order_id: r.try_get("repair_order_id")?,
                station_id: r.try_get("station_id")?,
            })
        })
        .collect()
}

/// Our payments through `provider` settled in `[from, to)` within reach.
pub async fn ours(
    conn: &mut AnyConnection,
    reach: &Reach,
    provider: &str,
    from: i64,
    to: i64,
) -> StoreResult<Vec<Entry>> {
    let (cond, val) = station_filter(reach, "b.station_id", "s.region_id", 4);
    let sql = format!(
        "SELECT p.payment_ref, p.provider_ref, p.amount_fen, {BILL_COLUMNS} FROM payments p \
         JOIN bills b ON b.id = p.bill_id JOIN stations s ON s.id = b.station_id \
         WHERE p.provider = $1 AND p.state IN ('paid', 'paid_late') AND p.settled_at >= $2 AND p.settled_at < $3 \
         AND p.provider_ref IS NOT NULL AND {cond} ORDER BY p.id"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql))
        .bind(provider)
        .bind(from)
        .bind(to);
    if let Some(v) = val {
        q = q.bind(v);
    }
    Ok(entries(&q.fetch_all(conn).await?)?)
}

/// The statement of `[from, to)` of the sandbox playing `provider`: its paid
/// transactions within reach (one naming no payment of ours is head office's alone).
pub async fn sandbox_statement(
    conn: &mut AnyConnection,
    reach: &Reach,
    provider: &str,
    from: i64,
    to: i64,
) -> StoreResult<Vec<Entry>> {
    let (cond, val) = station_filter(reach, "b.station_id", "s.region_id", 4);
    let sql = format!(
        "SELECT t.payment_ref, t.provider_ref, t.amount_fen, {BILL_COLUMNS} FROM sandbox_transactions t \
         LEFT JOIN payments p ON p.payment_ref = t.payment_ref LEFT JOIN bills b ON b.id = p.bill_id \
         LEFT JOIN stations s ON s.id = b.station_id \
         WHERE t.status = 'paid' AND t.kind = 'payment' AND t.at >= $1 AND t.at < $2 AND t.provider = $3 \
         AND {cond} ORDER BY t.id"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql))
        .bind(from)
        .bind(to)
        .bind(provider);
    if let Some(v) = val {
        q = q.bind(v);
    }
    Ok(entries(&q.fetch_all(conn).await?)?)
}

/// The counts of a day's reconciliation for one provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Run {
    /// The day, `YYYY-MM-DD` (Shanghai).
    pub day: String,
    /// The provider.
    pub provider: String,
    /// Lines on both sides with the same amount.
    pub matched: i64,
    /// Lines on both sides with different amounts.
    pub amount_mismatch: i64,
    /// Lines in the statement only.
    pub missing: i64,
    /// Lines in our books only.
    pub extra: i64,
    /// When the nightly job ran, UTC ms.
    pub ran_at: i64,
}

/// Keeps (or replaces) the nightly result of a day for a provider.
pub async fn save_run(conn: &mut AnyConnection, r: &Run) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO reconciliation_runs (day, provider, matched, amount_mismatch, missing, extra, ran_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (day, provider) DO UPDATE SET matched = $3, \
         amount_mismatch = $4, missing = $5, extra = $6, ran_at = $7",
    )
    .bind(&r.day)
    .bind(&r.provider)
    .bind(r.matched)
    .bind(r.amount_mismatch)
    .bind(r.missing)
    .bind(r.extra)
    .bind(r.ran_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The nightly results of a day, by provider.
pub async fn runs_of(conn: &mut AnyConnection, day: &str) -> StoreResult<Vec<Run>> {
    let rows = sqlx::query(
        "SELECT day, provider, matched, amount_mismatch, missing, extra, ran_at FROM reconciliation_runs \
         WHERE day = $1 ORDER BY provider",
    )
    .bind(day)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Run {
                day: r.try_get("day")?,
                provider: r.try_get("provider")?,
                matched: r.try_get("matched")?,
                amount_mismatch: r.try_get("amount_mismatch")?,
                missing: r.try_get("missing")?,
                extra: r.try_get("extra")?,
                ran_at: r.try_get("ran_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Flags a bill for the cashier: a statement line of its payments did not match.
pub async fn flag_bill(conn: &mut AnyConnection, bill_id: i64) -> StoreResult<()> {
    sqlx::query("UPDATE bills SET needs_reconciliation = 1 WHERE id = $1")
        .bind(bill_id)
        .execute(conn)
        .await?;
    Ok(())
}
