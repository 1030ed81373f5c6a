//! Follow-up calls (回访): one task per delivered order, due 3 days after the
//! hand-over. The rows are created by the database at delivery (trigger
//! `follow_up_on_delivery` of migration 3), whatever path delivered the order.

use crate::error::{StoreError, StoreResult};
use crate::privacy::consent::latest_consent;
use crate::scope::station_filter;
use domain::permission::Reach;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

/// A follow-up task as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FollowUpRow {
    /// Id.
    pub id: i64,
    /// The delivered order.
    pub repair_order_id: i64,
    /// Station.
    pub station_id: i64,
    /// Customer to call.
    pub customer_id: i64,
    /// Hand-over, UTC ms.
    pub delivered_at: i64,
    /// Call due by, UTC ms.
    pub due_at: i64,
    /// `open` or `done`.
    pub state: String,
    /// Done, UTC ms.
    pub done_at: Option<i64>,
    /// Staff who made the call.
    pub done_by: Option<i64>,
    /// Outcome code.
    pub outcome: Option<String>,
    /// Note.
    pub note: Option<String>,
    /// Created, UTC ms.
    pub created_at: i64,
}

const COLS: &str = "f.id, f.repair_order_id, f.station_id, f.customer_id, f.delivered_at, f.due_at, f.state, f.done_at, \
     f.done_by, f.outcome, f.note, f.created_at";

fn from_row(r: &AnyRow) -> Result<FollowUpRow, sqlx::Error> {
    Ok(FollowUpRow {
        id: r.try_get("id")?,
        repair_order_id: r.try_get("repair_order_id")?,
        station_id: r.try_get("station_id")?,
        customer_id: r.try_get("customer_id")?,
        delivered_at: r.try_get("delivered_at")?,
        due_at: r.try_get("due_at")?,
        state: r.try_get("state")?,
        done_at: r.try_get("done_at")?,
        done_by: r.try_get("done_by")?,
        outcome: r.try_get("outcome")?,
        note: r.try_get("note")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Open follow-ups within reach due before `due_before`, optionally of one station,
/// the most urgent first (at most 500). A customer whose latest survey consent is not
/// a yes is left out: the call is not made to someone who withdrew after delivery.
pub async fn open_due(
    conn: &mut AnyConnection,
    reach: &Reach,
    due_before: i64,
    station_id: Option<i64>,
) -> StoreResult<Vec<FollowUpRow>> {
    let (cond, val) = station_filter(reach, "f.station_id", "s.region_id", 3);
    let sql = format!(
        concat!(
            "SELECT {cols} FROM follow_ups f JOIN stations s ON s.id = f.station_id \
             WHERE f.state = 'open' AND f.due_at < $1 AND ($2 = 0 OR f.station_id = $2) AND {cond} AND ",
            latest_consent!("f.customer_id", "'surveys'"),
            " = 1 ORDER BY f.due_at, f.id LIMIT 500"
        ),
        cols = COLS,
        cond = cond
    );
    let mut q = sqlx::query(AssertSqlSafe(sql))
        .bind(due_before)
        .bind(station_id.unwrap_or(0));
    if let Some(v) = val {
        q = q.bind(v);
    }
    let rows = q.fetch_all(conn).await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// One follow-up within reach.
pub async fn get(conn: &mut AnyConnection, reach: &Reach, id: i64) -> StoreResult<FollowUpRow> {
    let (cond, val) = station_filter(reach, "f.station_id", "s.region_id", 2);
    let sql = format!(
        "SELECT {COLS} FROM follow_ups f JOIN stations s ON s.id = f.station_id WHERE f.id = $1 AND {cond}"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(id);
    if let Some(v) = val {
        q = q.bind(v);
    }
    let row = q.fetch_optional(conn).await?.ok_or(StoreError::NotFound)?;
    Ok(from_row(&row)?)
}

/// The follow-up of an order, if the order was delivered.
pub async fn by_order(conn: &mut AnyConnection, order_id: i64) -> StoreResult<Option<FollowUpRow>> {
    let sql = format!("SELECT {COLS} FROM follow_ups f WHERE f.repair_order_id = $1");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(order_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// Records the call as made; a [`StoreError::Conflict`] when it already was.
pub async fn complete(
    conn: &mut AnyConnection,
    id: i64,
    by: i64,
    outcome: &str,
    note: Option<&str>,
    now: i64,
) -> StoreResult<()> {
    let r = sqlx::query(
        "UPDATE follow_ups SET state = 'done', done_at = $1, done_by = $2, outcome = $3, note = $4 WHERE id = $5 AND state = 'open'",
    )
    .bind(now)
    .bind(by)
    .bind(outcome)
    .bind(note)
    .bind(id)
    .execute(conn)
    .await?;
    if r.rows_affected() == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict("follow_up.done"))
    }
}
