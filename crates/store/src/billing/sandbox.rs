//! The sandbox provider's own side: the transactions its checkout took or refused,
//! from which it answers order queries and draws its statement file.

use crate::error::StoreResult;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// A transaction of the sandbox provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SandboxTransaction {
    /// Our payment reference (the provider's "out trade number").
    pub payment_ref: String,
    /// The provider's transaction reference.
    pub provider_ref: String,
    /// Amount, fen.
    pub amount_fen: i64,
    /// `paid` or `failed`.
    pub status: String,
    /// When, UTC ms.
    pub at: i64,
}

fn from_row(r: &AnyRow) -> Result<SandboxTransaction, sqlx::Error> {
    Ok(SandboxTransaction {
        payment_ref: r.try_get("payment_ref")?,
        provider_ref: r.try_get("provider_ref")?,
        amount_fen: r.try_get("amount_fen")?,
        status: r.try_get("status")?,
        at: r.try_get("at")?,
    })
}

/// Records a transaction the sandbox checkout made.
pub async fn insert(conn: &mut AnyConnection, t: &SandboxTransaction) -> StoreResult<()> {
    insert_for(conn, "sandbox", "payment", t).await
}

/// Records a transaction of the sandbox playing `provider` (`sandbox`, `wechat`,
/// `alipay`); `kind` is `payment` or `refund` (then `payment_ref` is our refund
/// reference).
pub async fn insert_for(
    conn: &mut AnyConnection,
    provider: &str,
    kind: &str,
    t: &SandboxTransaction,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sandbox_transactions (payment_ref, provider_ref, amount_fen, status, at, provider, kind) \
         VALUES ($1,$2,$3,$4,$5,$6,$7)",
    )
    .bind(&t.payment_ref)
    .bind(&t.provider_ref)
    .bind(t.amount_fen)
    .bind(&t.status)
    .bind(t.at)
    .bind(provider)
    .bind(kind)
    .execute(conn)
    .await?;
    Ok(())
}

/// The latest transaction of an order, if the payer got as far as paying.
pub async fn latest(
    conn: &mut AnyConnection,
    payment_ref: &str,
) -> StoreResult<Option<SandboxTransaction>> {
    let row = sqlx::query(
        "SELECT payment_ref, provider_ref, amount_fen, status, at FROM sandbox_transactions \
         WHERE payment_ref = $1 AND kind = 'payment' ORDER BY id DESC LIMIT 1",
    )
    .bind(payment_ref)
    .fetch_optional(conn)
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// The paid transactions of `[from, to)`, in order: the statement file of a day.
pub async fn paid_between(
    conn: &mut AnyConnection,
    from: i64,
    to: i64,
) -> StoreResult<Vec<SandboxTransaction>> {
    let rows = sqlx::query(
        "SELECT payment_ref, provider_ref, amount_fen, status, at FROM sandbox_transactions \
         WHERE status = 'paid' AND kind = 'payment' AND at >= $1 AND at < $2 ORDER BY id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// The refund the sandbox playing `provider` made for our refund reference
/// `refund_ref`, if it made one (a provider answers a repeated refund request
/// with the refund it already made).
pub async fn refund_of(
    conn: &mut AnyConnection,
    provider: &str,
    refund_ref: &str,
) -> StoreResult<Option<SandboxTransaction>> {
    let row = sqlx::query(
        "SELECT payment_ref, provider_ref, amount_fen, status, at FROM sandbox_transactions \
         WHERE payment_ref = $1 AND provider = $2 AND kind = 'refund' ORDER BY id DESC LIMIT 1",
    )
    .bind(refund_ref)
    .bind(provider)
    .fetch_optional(conn)
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// What the sandbox playing `provider` did in `[from, to)`, in order: money taken
/// (`paid` payments) and given back (refunds, `true`), the rows of its statement
/// file.
pub async fn file_between(
    conn: &mut AnyConnection,
    provider: &str,
    from: i64,
    to: i64,
) -> StoreResult<Vec<(SandboxTransaction, bool)>> {
    let rows = sqlx::query(
        "SELECT payment_ref, provider_ref, amount_fen, status, at, kind FROM sandbox_transactions \
         WHERE provider = $1 AND at >= $2 AND at < $3 \
         AND ((kind = 'payment' AND status = 'paid') OR kind = 'refund') ORDER BY id",
    )
    .bind(provider)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            Ok((from_row(r)?, kind == "refund"))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Records that the sandbox playing `provider` was asked to open (`open`) or
/// close (`close`) our order `payment_ref`: its own side of the order's life,
/// apart from the money (`payment` and `refund` rows). `row_ref` is the row's
/// own unique reference (the column is unique; no money is named by it).
pub async fn mark_order(
    conn: &mut AnyConnection,
    provider: &str,
    kind: &str,
    payment_ref: &str,
    row_ref: &str,
    amount_fen: i64,
    at: i64,
) -> StoreResult<()> {
    let t = SandboxTransaction {
        payment_ref: payment_ref.into(),
        provider_ref: row_ref.into(),
        amount_fen,
        status: kind.into(),
        at,
    };
    insert_for(conn, provider, kind, &t).await
}

/// Whether the sandbox playing `provider` closed our order `payment_ref`.
pub async fn closed(
    conn: &mut AnyConnection,
    provider: &str,
    payment_ref: &str,
) -> StoreResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sandbox_transactions WHERE payment_ref = $1 AND provider = $2 AND kind = 'close'",
    )
    .bind(payment_ref)
    .bind(provider)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}
