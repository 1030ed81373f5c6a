//! The payment-notice ledger: every notice a provider posted, kept as received with
//! the verdict given to it. Rows are only ever inserted, never updated or deleted.

use crate::error::StoreResult;
use crate::scope::station_filter;
use domain::permission::Reach;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

/// A notice to keep.
#[derive(Debug, Clone, Default)]
pub struct NewNotice {
    /// Provider code named in the body, if any.
    pub provider: Option<String>,
    /// Our payment reference named in the body, if parsable.
    pub payment_ref: Option<String>,
    /// The bill of that payment, if the payment is known.
    pub bill_id: Option<i64>,
    /// The body exactly as received.
    pub raw_body: String,
    /// The signature header as received.
    pub signature: Option<String>,
    /// The client's address as seen through the trusted proxies.
    pub client_addr: Option<String>,
    /// What was decided (`applied`, `duplicate`, `signature_invalid`, …).
    pub verdict: String,
}

/// A kept notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeRow {
    /// Id (the order of arrival).
    pub id: i64,
    /// Received, UTC ms.
    pub received_at: i64,
    /// Provider code named in the body.
    pub provider: Option<String>,
    /// Payment reference named in the body.
    pub payment_ref: Option<String>,
    /// The bill of the payment, when the payment is known.
    pub bill_id: Option<i64>,
    /// That bill's number (what people call it).
    pub bill_number: Option<String>,
    /// That bill's repair order.
    pub repair_order_id: Option<i64>,
    /// The body as received.
    pub raw_body: String,
    /// The signature header as received.
    pub signature: Option<String>,
    /// The client's address.
    pub client_addr: Option<String>,
    /// The verdict.
    pub verdict: String,
}

/// Keeps a notice; returns its id.
pub async fn insert(conn: &mut AnyConnection, n: &NewNotice, now: i64) -> StoreResult<i64> {
    let r = sqlx::query(
        "INSERT INTO payment_notices (received_at, provider, payment_ref, bill_id, raw_body, signature, client_addr, verdict) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
    )
    .bind(now)
    .bind(n.provider.as_deref())
    .bind(n.payment_ref.as_deref())
    .bind(n.bill_id)
    .bind(&n.raw_body)
    .bind(n.signature.as_deref())
    .bind(n.client_addr.as_deref())
    .bind(&n.verdict)
    .fetch_one(conn)
    .await?;
    Ok(r.try_get(0)?)
}

/// Records that `provider` used `nonce` at `now`; false when it was used before
/// (a replayed notice). One statement, so simultaneous copies cannot both be first.
pub async fn first_use_of_nonce(
    conn: &mut AnyConnection,
    provider: &str,
    nonce: &str,
    now: i64,
) -> StoreResult<bool> {
    let r = sqlx::query(
        "INSERT INTO provider_nonces (provider, nonce, at) VALUES ($1,$2,$3) \
         ON CONFLICT (provider, nonce) DO NOTHING",
    )
    .bind(provider)
    .bind(nonce)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Forgets the nonces used before `before` (beyond any signature window).
pub async fn purge_nonces(conn: &mut AnyConnection, before: i64) -> StoreResult<u64> {
    let r = sqlx::query("DELETE FROM provider_nonces WHERE at < $1")
        .bind(before)
        .execute(conn)
        .await?;
    Ok(r.rows_affected())
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct NoticeFilter {
    /// Only the notices of this bill.
    pub bill_id: Option<i64>,
    /// Only the notices of the bill with this number.
    pub bill_number: Option<String>,
    /// Only this verdict.
    pub verdict: Option<String>,
    /// Rows to skip.
    pub offset: i64,
    /// Rows to return.
    pub limit: i64,
}

fn from_row(r: &AnyRow) -> Result<NoticeRow, sqlx::Error> {
    Ok(NoticeRow {
        id: r.try_get("id")?,
        received_at: r.try_get("received_at")?,
        provider: r.try_get("provider")?,
        payment_ref: r.try_get("payment_ref")?,
        bill_id: r.try_get("bill_id")?,
        bill_number: r.try_get("bill_number")?,
        repair_order_id: r.try_get("repair_order_id")?,
        raw_body: r.try_get("raw_body")?,
        signature: r.try_get("signature")?,
        client_addr: r.try_get("client_addr")?,
        verdict: r.try_get("verdict")?,
    })
}

/// The notices within reach, newest first. A station reaches the notices of its own
/// bills; notices naming no known payment belong to no station, so only a reach of
/// everything (head office) sees them.
pub async fn list(
    conn: &mut AnyConnection,
    reach: &Reach,
    f: &NoticeFilter,
) -> StoreResult<Vec<NoticeRow>> {
    let (cond, val) = station_filter(reach, "b.station_id", "s.region_id", 1);
    let mut sql = format!(
        "SELECT n.id, n.received_at, n.provider, n.payment_ref, n.bill_id, b.number AS bill_number, \
         b.repair_order_id, n.raw_body, n.signature, n.client_addr, \
         n.verdict FROM payment_notices n LEFT JOIN bills b ON b.id = n.bill_id \
         LEFT JOIN stations s ON s.id = b.station_id WHERE {cond}"
    );
    let mut next = if val.is_some() { 2 } else { 1 };
    if f.bill_id.is_some() {
        sql.push_str(&format!(" AND n.bill_id = ${next}"));
        next += 1;
    }
    if f.bill_number.is_some() {
        sql.push_str(&format!(" AND b.number = ${next}"));
        next += 1;
    }
    if f.verdict.is_some() {
        sql.push_str(&format!(" AND n.verdict = ${next}"));
        next += 1;
    }
    sql.push_str(&format!(
        " ORDER BY n.id DESC LIMIT ${next} OFFSET ${}",
        next + 1
    ));
    let mut q = sqlx::query(AssertSqlSafe(sql));
    if let Some(v) = val {
        q = q.bind(v);
    }
    if let Some(b) = f.bill_id {
        q = q.bind(b);
    }
    if let Some(n) = &f.bill_number {
        q = q.bind(n.clone());
    }
    if let Some(v) = &f.verdict {
        q = q.bind(v.clone());
    }
    let rows = q.bind(f.limit).bind(f.offset).fetch_all(conn).await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}
