//! Electronic bills (one per delivered repair order) and the payments against them.

pub mod ledger;
pub mod reconciliation;
pub mod refund;
pub mod sandbox;
pub mod statement;

use crate::error::{StoreError, StoreResult};
use crate::scope::station_filter;
use domain::permission::Reach;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

/// A bill as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BillRow {
    /// Id.
    pub id: i64,
    /// The repair order billed.
    pub repair_order_id: i64,
    /// Station.
    pub station_id: i64,
    /// Customer billed.
    pub customer_id: i64,
    /// Bill number, unique.
    pub number: String,
    /// The invoiced lines as issued (JSON snapshot).
    pub lines: serde_json::Value,
    /// VAT rate in basis points.
    pub vat_bp: i64,
    /// Net total, fen.
    pub net_fen: i64,
    /// VAT, fen.
    pub vat_fen: i64,
    /// Gross total, fen.
    pub gross_fen: i64,
    /// Paid so far, fen.
    pub paid_fen: i64,
    /// `unpaid` or `paid`.
    pub state: String,
    /// Issued, UTC ms.
    pub issued_at: i64,
    /// Fully paid, UTC ms.
    pub paid_at: Option<i64>,
    /// Money came in that was no longer expected (a paid notice after a failed,
    /// closed or cancelled payment): the cashier must reconcile the bill.
    pub needs_reconciliation: bool,
    /// Paid beyond the gross by late notices, fen: a refund to make (it falls as
    /// that money is given back).
    pub refund_fen: i64,
    /// Credited on the bill by line refunds (pending or succeeded), fen.
    pub refunded_fen: i64,
}

/// A bill to issue.
#[derive(Debug, Clone)]
pub struct NewBill {
    /// The repair order.
    pub repair_order_id: i64,
    /// Station.
    pub station_id: i64,
    /// Customer.
    pub customer_id: i64,
    /// Bill number.
    pub number: String,
    /// Lines snapshot.
    pub lines: serde_json::Value,
    /// VAT rate.
    pub vat_bp: i64,
    /// Net, fen.
    pub net_fen: i64,
    /// VAT, fen.
    pub vat_fen: i64,
    /// Gross, fen.
    pub gross_fen: i64,
}

const COLS: &str = "b.id, b.repair_order_id, b.station_id, b.customer_id, b.number, b.lines, b.vat_bp, b.net_fen, \
     b.vat_fen, b.gross_fen, b.paid_fen, b.state, b.issued_at, b.paid_at, b.needs_reconciliation, b.refund_fen, b.refunded_fen";

fn from_row(r: &AnyRow) -> Result<BillRow, sqlx::Error> {
    let lines: String = r.try_get("lines")?;
    Ok(BillRow {
        id: r.try_get("id")?,
        repair_order_id: r.try_get("repair_order_id")?,
        station_id: r.try_get("station_id")?,
        customer_id: r.try_get("customer_id")?,
        number: r.try_get("number")?,
        lines: serde_json::from_str(&lines).unwrap_or(serde_json::Value::Null),
        vat_bp: r.try_get("vat_bp")?,
        net_fen: r.try_get("net_fen")?,
        vat_fen: r.try_get("vat_fen")?,
        gross_fen: r.try_get("gross_fen")?,
        paid_fen: r.try_get("paid_fen")?,
        state: r.try_get("state")?,
        issued_at: r.try_get("issued_at")?,
        paid_at: r.try_get("paid_at")?,
        needs_reconciliation: r.try_get::<i64, _>("needs_reconciliation")? != 0,
        refund_fen: r.try_get("refund_fen")?,
        refunded_fen: r.try_get("refunded_fen")?,
    })
}

/// Issues a bill; a second bill for the same order is a [`StoreError::Duplicate`].
/// A bill for nothing (gross 0, e.g. a free comeback) is issued already paid.
pub async fn insert(conn: &mut AnyConnection, b: &NewBill, now: i64) -> StoreResult<i64> {
    let paid = b.gross_fen == 0;
    let r = sqlx::query(
        "INSERT INTO bills (repair_order_id, station_id, customer_id, number, lines, vat_bp, net_fen, vat_fen, gross_fen, \
         paid_fen, state, issued_at, paid_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,0,$10,$11,$12) RETURNING id",
    )
    .bind(b.repair_order_id)
    .bind(b.station_id)
    .bind(b.customer_id)
    .bind(&b.number)
    .bind(b.lines.to_string())
    .bind(b.vat_bp)
    .bind(b.net_fen)
    .bind(b.vat_fen)
    .bind(b.gross_fen)
    .bind(if paid { "paid" } else { "unpaid" })
    .bind(now)
    .bind(paid.then_some(now))
    .fetch_one(conn)
    .await
    .map_err(StoreError::unique_as("repair_order_id"))?;
    Ok(r.try_get(0)?)
}

/// The bill of an order within reach.
pub async fn by_order(
    conn: &mut AnyConnection,
    reach: &Reach,
    order_id: i64,
) -> StoreResult<BillRow> {
    let (cond, val) = station_filter(reach, "b.station_id", "s.region_id", 2);
    let sql = format!(
        "SELECT {COLS} FROM bills b JOIN stations s ON s.id = b.station_id WHERE b.repair_order_id = $1 AND {cond}"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(order_id);
    if let Some(v) = val {
        q = q.bind(v);
    }
    let row = q.fetch_optional(conn).await?.ok_or(StoreError::NotFound)?;
    Ok(from_row(&row)?)
}

/// A bill by id, unscoped: for the provider's callback, which carries no principal
/// (its signature is the authority) and for the owner link.
pub async fn get(conn: &mut AnyConnection, id: i64) -> StoreResult<BillRow> {
    let sql = format!("SELECT {COLS} FROM bills b WHERE b.id = $1");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(from_row(&row)?)
}

/// The bill of an order, unscoped (owner link: the token is the capability).
pub async fn by_order_unscoped(conn: &mut AnyConnection, order_id: i64) -> StoreResult<BillRow> {
    let sql = format!("SELECT {COLS} FROM bills b WHERE b.repair_order_id = $1");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(order_id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(from_row(&row)?)
}

/// Adds a settled payment to an unpaid bill; the bill becomes `paid` when the paid
/// amount reaches the gross. Guarded: a [`StoreError::Conflict`] when the bill is no
/// longer unpaid or the amount would exceed what is owed.
pub async fn add_paid(conn: &mut AnyConnection, id: i64, amount: i64, now: i64) -> StoreResult<()> {
    let r = sqlx::query(
        "UPDATE bills SET paid_fen = paid_fen + $1, \
         state = CASE WHEN paid_fen + $1 >= gross_fen THEN 'paid' ELSE 'unpaid' END, \
         paid_at = CASE WHEN paid_fen + $1 >= gross_fen THEN $2 ELSE paid_at END \
         WHERE id = $3 AND state = 'unpaid' AND paid_fen + $1 <= gross_fen",
    )
    .bind(amount)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    if r.rows_affected() == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict("bill.not_payable"))
    }
}

/// Adds money that came in late (a paid notice for a payment no longer pending) and
/// flags the bill for reconciliation. The paid total never rises above the gross:
/// what is beyond it is added to the refund to make.
pub async fn add_paid_late(
    conn: &mut AnyConnection,
    id: i64,
    amount: i64,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE bills SET \
         paid_fen = CASE WHEN paid_fen + $1 >= gross_fen THEN gross_fen ELSE paid_fen + $1 END, \
         refund_fen = refund_fen + CASE WHEN paid_fen + $1 > gross_fen THEN paid_fen + $1 - gross_fen ELSE 0 END, \
         state = CASE WHEN paid_fen + $1 >= gross_fen THEN 'paid' ELSE state END, \
         paid_at = CASE WHEN paid_at IS NULL AND paid_fen + $1 >= gross_fen THEN $2 ELSE paid_at END, \
         needs_reconciliation = 1 WHERE id = $3",
    )
    .bind(amount)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A payment as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentRow {
    /// Id.
    pub id: i64,
    /// The bill paid.
    pub bill_id: i64,
    /// Our reference (random, unguessable; names the payment to the provider).
    pub payment_ref: String,
    /// `cash`, `card`, `wechat`, `alipay` (at the desk) or `online`.
    pub method: String,
    /// Provider code for online payments (`sandbox`).
    pub provider: Option<String>,
    /// The provider's transaction reference, once settled online.
    pub provider_ref: Option<String>,
    /// Desk reference: card slip, WeChat/Alipay transaction number.
    pub reference: Option<String>,
    /// Amount, fen.
    pub amount_fen: i64,
    /// `pending`, `paid`, `failed`, `cancelled` (a desk payment settled the bill),
    /// `closed` (a newer online start replaced it) or `paid_late` (paid after it
    /// was no longer pending).
    pub state: String,
    /// Created, UTC ms.
    pub created_at: i64,
    /// Role code of who created it.
    pub created_by_role: String,
    /// Id of who created it.
    pub created_by_id: i64,
    /// Paid, failed or cancelled, UTC ms.
    pub settled_at: Option<i64>,
    /// Why it failed or was cancelled.
    pub failure: Option<String>,
}

/// A payment to record.
#[derive(Debug, Clone)]
pub struct NewPayment {
    /// The bill.
    pub bill_id: i64,
    /// Our reference.
    pub payment_ref: String,
    /// Method code.
    pub method: String,
    /// Provider code, online only.
    pub provider: Option<String>,
    /// Desk reference.
    pub reference: Option<String>,
    /// Amount, fen.
    pub amount_fen: i64,
    /// `pending` (online) or `paid` (desk).
    pub state: String,
    /// Role code of the creator.
    pub created_by_role: String,
    /// Id of the creator.
    pub created_by_id: i64,
}

const PAY_COLS: &str = "id, bill_id, payment_ref, method, provider, provider_ref, reference, amount_fen, state, created_at, \
     created_by_role, created_by_id, settled_at, failure";

fn pay_row(r: &AnyRow) -> Result<PaymentRow, sqlx::Error> {
    Ok(PaymentRow {
        id: r.try_get("id")?,
        bill_id: r.try_get("bill_id")?,
        payment_ref: r.try_get("payment_ref")?,
        method: r.try_get("method")?,
        provider: r.try_get("provider")?,
        provider_ref: r.try_get("provider_ref")?,
        reference: r.try_get("reference")?,
        amount_fen: r.try_get("amount_fen")?,
        state: r.try_get("state")?,
        created_at: r.try_get("created_at")?,
        created_by_role: r.try_get("created_by_role")?,
        created_by_id: r.try_get("created_by_id")?,
        settled_at: r.try_get("settled_at")?,
        failure: r.try_get("failure")?,
    })
}

/// Records a payment; returns its id.
pub async fn insert_payment(
    conn: &mut AnyConnection,
    p: &NewPayment,
    now: i64,
) -> StoreResult<i64> {
    let settled = (p.state == "paid").then_some(now);
    let r = sqlx::query(
        "INSERT INTO payments (bill_id, payment_ref, method, provider, reference, amount_fen, state, created_at, \
         created_by_role, created_by_id, settled_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING id",
    )
    .bind(p.bill_id)
    .bind(&p.payment_ref)
    .bind(&p.method)
    .bind(p.provider.as_deref())
    .bind(p.reference.as_deref())
    .bind(p.amount_fen)
    .bind(&p.state)
    .bind(now)
    .bind(&p.created_by_role)
    .bind(p.created_by_id)
    .bind(settled)
    .fetch_one(conn)
    .await
    .map_err(StoreError::unique_as("payment_ref"))?;
    Ok(r.try_get(0)?)
}

/// The payments of a bill, oldest first.
pub async fn payments(conn: &mut AnyConnection, bill_id: i64) -> StoreResult<Vec<PaymentRow>> {
    let sql = format!("SELECT {PAY_COLS} FROM payments WHERE bill_id = $1 ORDER BY id");
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(bill_id)
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(pay_row).collect::<Result<_, _>>()?)
}

/// A payment by our reference.
pub async fn payment_by_ref(
    conn: &mut AnyConnection,
    payment_ref: &str,
) -> StoreResult<PaymentRow> {
    let sql = format!("SELECT {PAY_COLS} FROM payments WHERE payment_ref = $1");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(payment_ref)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(pay_row(&row)?)
}

/// Marks a pending online payment paid with the provider's reference. Returns
/// whether this call settled it (false when it was no longer pending). A provider
/// reference already used by another payment is a [`StoreError::Duplicate`].
pub async fn settle(
    conn: &mut AnyConnection,
    id: i64,
    provider_ref: &str,
    now: i64,
) -> StoreResult<bool> {
    let r = sqlx::query(
        "UPDATE payments SET state = 'paid', provider_ref = $1, settled_at = $2 WHERE id = $3 AND state = 'pending'",
    )
    .bind(provider_ref)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await
    .map_err(StoreError::unique_as("provider_ref"))?;
    Ok(r.rows_affected() == 1)
}

/// Marks a pending payment `failed` or `cancelled` with a reason. Returns whether
/// this call changed it.
pub async fn close(
    conn: &mut AnyConnection,
    id: i64,
    state: &str,
    provider_ref: Option<&str>,
    reason: &str,
    now: i64,
) -> StoreResult<bool> {
    let r = sqlx::query(
        "UPDATE payments SET state = $1, provider_ref = COALESCE($2, provider_ref), failure = $3, settled_at = $4 \
         WHERE id = $5 AND state = 'pending'",
    )
    .bind(state)
    .bind(provider_ref)
    .bind(reason)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await
    .map_err(StoreError::unique_as("provider_ref"))?;
    Ok(r.rows_affected() == 1)
}

/// Marks a payment that is no longer pending (`failed`, `cancelled`, `closed`) as
/// `paid_late` with the provider's reference. Returns whether this call changed it.
pub async fn settle_late(
    conn: &mut AnyConnection,
    id: i64,
    provider_ref: &str,
    now: i64,
) -> StoreResult<bool> {
    let r = sqlx::query(
        "UPDATE payments SET state = 'paid_late', provider_ref = $1, settled_at = $2 \
         WHERE id = $3 AND state IN ('failed', 'cancelled', 'closed')",
    )
    .bind(provider_ref)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await
    .map_err(StoreError::unique_as("provider_ref"))?;
    Ok(r.rows_affected() == 1)
}

/// The payment of `provider` that carries the provider's reference, if any.
pub async fn payment_by_provider_ref(
    conn: &mut AnyConnection,
    provider: &str,
    provider_ref: &str,
) -> StoreResult<Option<PaymentRow>> {
    let sql = format!("SELECT {PAY_COLS} FROM payments WHERE provider = $1 AND provider_ref = $2");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(provider)
        .bind(provider_ref)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(pay_row).transpose()?)
}

/// A payment by id.
pub async fn payment_by_id(conn: &mut AnyConnection, id: i64) -> StoreResult<PaymentRow> {
    let sql = format!("SELECT {PAY_COLS} FROM payments WHERE id = $1");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(pay_row(&row)?)
}

/// Records money a provider took that no open order expected (the payer paid twice)
/// as a `paid_late` payment with the provider's reference; returns its id. A
/// provider reference already used is a [`StoreError::Duplicate`].
pub async fn insert_paid_late(
    conn: &mut AnyConnection,
    p: &NewPayment,
    provider_ref: &str,
    now: i64,
) -> StoreResult<i64> {
    let r = sqlx::query(
        "INSERT INTO payments (bill_id, payment_ref, method, provider, provider_ref, reference, amount_fen, state, \
         created_at, created_by_role, created_by_id, settled_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,'paid_late',$8,$9,$10,$8) RETURNING id",
    )
    .bind(p.bill_id)
    .bind(&p.payment_ref)
    .bind(&p.method)
    .bind(p.provider.as_deref())
    .bind(provider_ref)
    .bind(p.reference.as_deref())
    .bind(p.amount_fen)
    .bind(now)
    .bind(&p.created_by_role)
    .bind(p.created_by_id)
    .fetch_one(conn)
    .await
    .map_err(StoreError::unique_as("provider_ref"))?;
    Ok(r.try_get(0)?)
}

/// Turns a payment just settled as `paid` into `paid_late`, when the bill turned out
/// to be paid already (by late money) as it was settled.
pub async fn paid_to_late(conn: &mut AnyConnection, id: i64) -> StoreResult<()> {
    sqlx::query("UPDATE payments SET state = 'paid_late' WHERE id = $1 AND state = 'paid'")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
