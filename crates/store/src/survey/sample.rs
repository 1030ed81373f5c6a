//! The monthly sample's inputs and its run ledger.

use super::{COLS, InvitationRow, from_row};
use crate::error::StoreResult;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

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
/// station, with their survey consent and last monthly-sample invitation.
pub async fn candidates(
    conn: &mut AnyConnection,
    from: i64,
    to: i64,
) -> StoreResult<Vec<CandidateRow>> {
    let rows = sqlx::query(
        "SELECT v.customer_id, v.station_id, \
           COALESCE((SELECT ce.granted FROM consent_entries ce WHERE ce.customer_id = v.customer_id \
                     AND ce.purpose = 'surveys' ORDER BY ce.id DESC LIMIT 1), 0) AS consent, \
           (SELECT MAX(i.created_at) FROM survey_invitations i WHERE i.customer_id = v.customer_id \
                     AND i.reason = 'monthly') AS last_asked_at \
         FROM (SELECT DISTINCT customer_id, station_id FROM repair_orders \
               WHERE delivered_at >= $1 AND delivered_at < $2) v \
         ORDER BY v.customer_id, v.station_id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CandidateRow {
                customer_id: r.try_get("customer_id")?,
                station_id: r.try_get("station_id")?,
                consent: r.try_get::<i64, _>("consent")? != 0,
                last_asked_at: r.try_get("last_asked_at")?,
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
