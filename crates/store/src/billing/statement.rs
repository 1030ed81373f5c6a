//! The providers' statement files as downloaded (`provider_statements`) and the
//! payments read from them (`provider_statement_lines`), which the day's
//! reconciliation matches against our books.

use super::reconciliation::{BILL_COLUMNS, Entry, entries};
use crate::error::StoreResult;
use crate::scope::station_filter;
use domain::permission::Reach;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

/// A payment read from a statement file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLine {
    /// The provider's reference.
    pub provider_ref: String,
    /// Our payment reference as the file names it.
    pub payment_ref: String,
    /// Amount, fen.
    pub amount_fen: i64,
}

/// Keeps the file of `provider` for `day` and its lines, replacing what an
/// earlier download of the same day kept.
pub async fn save(
    conn: &mut AnyConnection,
    provider: &str,
    day: &str,
    raw_text: &str,
    lines: &[NewLine],
    now: i64,
) -> StoreResult<()> {
    for table in ["provider_statement_lines", "provider_statements"] {
        sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE provider = $1 AND day = $2"
        )))
        .bind(provider)
        .bind(day)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(
        "INSERT INTO provider_statements (provider, day, raw_text, line_count, fetched_at) \
         VALUES ($1,$2,$3,$4,$5)",
    )
    .bind(provider)
    .bind(day)
    .bind(raw_text)
    .bind(lines.len() as i64)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    for l in lines {
        sqlx::query(
            "INSERT INTO provider_statement_lines (provider, day, provider_ref, payment_ref, amount_fen) \
             VALUES ($1,$2,$3,$4,$5)",
        )
        .bind(provider)
        .bind(day)
        .bind(&l.provider_ref)
        .bind(&l.payment_ref)
        .bind(l.amount_fen)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// When the file of `provider` for `day` was downloaded, if it was.
pub async fn fetched_at(
    conn: &mut AnyConnection,
    provider: &str,
    day: &str,
) -> StoreResult<Option<i64>> {
    let row =
        sqlx::query("SELECT fetched_at FROM provider_statements WHERE provider = $1 AND day = $2")
            .bind(provider)
            .bind(day)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|r| r.try_get("fetched_at")).transpose()?)
}

/// The downloaded statement of `provider` for `day` within reach (a line naming
/// no payment of ours is head office's alone).
pub async fn lines(
    conn: &mut AnyConnection,
    reach: &Reach,
    provider: &str,
    day: &str,
) -> StoreResult<Vec<Entry>> {
    let (cond, val) = station_filter(reach, "b.station_id", "s.region_id", 3);
    let sql = format!(
        "SELECT t.payment_ref, t.provider_ref, t.amount_fen, {BILL_COLUMNS} \
         FROM provider_statement_lines t \
         LEFT JOIN payments p ON p.payment_ref = t.payment_ref LEFT JOIN bills b ON b.id = p.bill_id \
         LEFT JOIN stations s ON s.id = b.station_id \
         WHERE t.provider = $1 AND t.day = $2 AND {cond} ORDER BY t.provider_ref"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(provider).bind(day);
    if let Some(v) = val {
        q = q.bind(v);
    }
    let rows = q.fetch_all(conn).await?;
    Ok(entries(&rows)?)
}
