//! The monthly sample's inputs and its run ledger.

use super::{COLS, InvitationRow, from_row};
use crate::error::StoreResult;
use crate::privacy::consent::latest_consent;
use sqlx::{AnyConnection, AssertSqlSafe, Row};
use std::collections::HashMap;

/// One delivered visit of the month with the facts the draw needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateRow {
    /// Customer.
    pub customer_id: i64,
    /// Station of the visit.
    pub station_id: i64,
    /// Latest `surveys` consent entry is a yes.
    pub consent: bool,
    /// Last monthly-sample invitation, UTC ms (the after-delivery survey every
    /// visit gets does not count, or no customer of last month could ever be drawn).
    pub last_asked_at: Option<i64>,
}

/// Customers with an order delivered in `[from, to)`, one row per customer and
/// station, with their survey consent and last monthly-sample invitation made at or
/// after `asked_since` (UTC ms; older ones cannot keep anybody out of a draw, so they
/// are not read).
///
/// Why two statements: the monthly invitations of the window are a few thousand a
/// month, read once through the `(sample_month, customer_id)` key; a subquery per
/// candidate instead walked each of 200,000 customers' invitations (every
/// after-delivery survey included).
///
/// Why `station_id IN (SELECT id FROM stations)`, which every order meets: it lets
/// SQLite (which keeps no statistics here) read the month through the
/// `(station_id, delivered_at)` index, a thousand short ranges, instead of scanning
/// every order ever made (10 M orders: 1.8 s instead of 6.1 s warm, 4.3 s instead
/// of 25 s on a cold file).
pub async fn candidates(
    conn: &mut AnyConnection,
    from: i64,
    to: i64,
    asked_since: i64,
) -> StoreResult<Vec<CandidateRow>> {
    // A month's sample is drawn in the month after it (the sample of November on
    // 1 December), so the key starts two months before the window: no invitation of
    // the window is missed, and `created_at` then bounds it exactly.
    const TWO_MONTHS_MS: i64 = 62 * 24 * 3_600_000;
    let since_month = jiff::Timestamp::from_millisecond(asked_since - TWO_MONTHS_MS)
        .map(|t| {
            t.to_zoned(jiff::tz::TimeZone::UTC)
                .strftime("%Y-%m")
                .to_string()
        })
        .unwrap_or_default();
    let asked: HashMap<i64, i64> = sqlx::query(
        "SELECT customer_id, MAX(created_at) AS at FROM survey_invitations \
         WHERE sample_month >= $1 AND reason = 'monthly' AND created_at >= $2 GROUP BY customer_id",
    )
    .bind(since_month)
    .bind(asked_since)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| Ok((r.try_get("customer_id")?, r.try_get("at")?)))
    .collect::<Result<_, sqlx::Error>>()?;
    let rows = sqlx::query(concat!(
        "SELECT v.customer_id, v.station_id, ",
        latest_consent!("v.customer_id", "'surveys'"),
        " AS consent \
         FROM (SELECT DISTINCT customer_id, station_id FROM repair_orders \
               WHERE station_id IN (SELECT id FROM stations) AND delivered_at >= $1 AND delivered_at < $2) v \
         ORDER BY v.customer_id, v.station_id"
    ))
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            let customer_id = r.try_get("customer_id")?;
            Ok(CandidateRow {
                customer_id,
                station_id: r.try_get("station_id")?,
                consent: r.try_get::<i64, _>("consent")? != 0,
                last_asked_at: asked.get(&customer_id).copied(),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Claims the month's run; false when the month was drawn already (the batch then
/// does nothing, so re-running it asks nobody twice).
pub async fn claim_run(conn: &mut AnyConnection, month: &str, now: i64) -> StoreResult<bool> {
    let r = sqlx::query(
        "INSERT INTO survey_sample_runs (month, drawn, created_at) VALUES ($1, 0, $2) ON CONFLICT (month) DO NOTHING",
    )
    .bind(month)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Records how many were drawn in the month's run.
pub async fn set_drawn(conn: &mut AnyConnection, month: &str, drawn: i64) -> StoreResult<()> {
    sqlx::query("UPDATE survey_sample_runs SET drawn = $1 WHERE month = $2")
        .bind(drawn)
        .bind(month)
        .execute(conn)
        .await?;
    Ok(())
}

/// The invitations of month `month`'s sample (`YYYY-MM`), by id.
pub async fn invitations(conn: &mut AnyConnection, month: &str) -> StoreResult<Vec<InvitationRow>> {
    let sql = format!(
        "SELECT {COLS} FROM survey_invitations i WHERE i.reason = 'monthly' AND i.sample_month = $1 ORDER BY i.id"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(month)
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}
