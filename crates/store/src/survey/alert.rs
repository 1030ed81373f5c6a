//! Hot alerts: the station's follow-up task opened by a low score or an angry comment.

use crate::error::{StoreError, StoreResult};
use crate::scope::station_filter;
use domain::permission::Reach;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

/// A hot alert as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertRow {
    /// Id.
    pub id: i64,
    /// The answered invitation.
    pub invitation_id: i64,
    /// Station that must call back.
    pub station_id: i64,
    /// Its region (escalation goes there).
    pub region_id: i64,
    /// The customer.
    pub customer_id: i64,
    /// Trigger codes, comma-separated.
    pub triggers: String,
    /// `open` or `done`.
    pub state: String,
    /// Call back by, UTC ms.
    pub due_at: i64,
    /// Escalated to the region, UTC ms.
    pub escalated_at: Option<i64>,
    /// Closed, UTC ms.
    pub done_at: Option<i64>,
    /// Who closed it.
    pub done_by: Option<i64>,
    /// What was done.
    pub note: Option<String>,
    /// The complaint it became.
    pub complaint_id: Option<i64>,
    /// Opened, UTC ms.
    pub created_at: i64,
}

const COLS: &str = "a.id, a.invitation_id, a.station_id, a.region_id, a.customer_id, a.triggers, a.state, a.due_at, \
     a.escalated_at, a.done_at, a.done_by, a.note, a.complaint_id, a.created_at";

fn from_row(r: &AnyRow) -> Result<AlertRow, sqlx::Error> {
    Ok(AlertRow {
        id: r.try_get("id")?,
        invitation_id: r.try_get("invitation_id")?,
        station_id: r.try_get("station_id")?,
        region_id: r.try_get("region_id")?,
        customer_id: r.try_get("customer_id")?,
        triggers: r.try_get("triggers")?,
        state: r.try_get("state")?,
        due_at: r.try_get("due_at")?,
        escalated_at: r.try_get("escalated_at")?,
        done_at: r.try_get("done_at")?,
        done_by: r.try_get("done_by")?,
        note: r.try_get("note")?,
        complaint_id: r.try_get("complaint_id")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Opens an alert for an invitation; `None` when it has one already.
#[allow(clippy::too_many_arguments)]
pub async fn insert(
    conn: &mut AnyConnection,
    invitation_id: i64,
    station_id: i64,
    region_id: i64,
    customer_id: i64,
    triggers: &str,
    due_at: i64,
    now: i64,
) -> StoreResult<Option<i64>> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO survey_alerts (invitation_id, station_id, region_id, customer_id, triggers, state, due_at, created_at) \
         VALUES ($1,$2,$3,$4,$5,'open',$6,$7) ON CONFLICT (invitation_id) DO NOTHING RETURNING id",
    )
    .bind(invitation_id)
    .bind(station_id)
    .bind(region_id)
    .bind(customer_id)
    .bind(triggers)
    .bind(due_at)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    Ok(id)
}

/// One alert within reach.
pub async fn get(conn: &mut AnyConnection, reach: &Reach, id: i64) -> StoreResult<AlertRow> {
    let (cond, val) = station_filter(reach, "a.station_id", "a.region_id", 2);
    let sql = format!("SELECT {COLS} FROM survey_alerts a WHERE a.id = $1 AND {cond}");
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(id);
    if let Some(v) = val {
        q = q.bind(v);
    }
    let row = q.fetch_optional(conn).await?.ok_or(StoreError::NotFound)?;
    Ok(from_row(&row)?)
}

/// Alerts within reach, open first by due time, then the closed newest first; at most
/// `limit`. `state` filters by state code when not empty.
pub async fn list(
    conn: &mut AnyConnection,
    reach: &Reach,
    station_id: Option<i64>,
    state: &str,
    limit: i64,
) -> StoreResult<Vec<AlertRow>> {
    let (cond, val) = station_filter(reach, "a.station_id", "a.region_id", 4);
    let sql = format!(
        "SELECT {COLS} FROM survey_alerts a WHERE ($1 = 0 OR a.station_id = $1) AND ($2 = '' OR a.state = $2) AND {cond} \
         ORDER BY CASE WHEN a.state = 'open' THEN 0 ELSE 1 END, a.due_at, a.id DESC LIMIT $3"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql))
        .bind(station_id.unwrap_or(0))
        .bind(state)
        .bind(limit);
    if let Some(v) = val {
        q = q.bind(v);
    }
    let rows = q.fetch_all(conn).await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Marks an open alert escalated; false when it is closed or was escalated already.
pub async fn escalate(conn: &mut AnyConnection, id: i64, now: i64) -> StoreResult<bool> {
    let r = sqlx::query(
        "UPDATE survey_alerts SET escalated_at = $1 WHERE id = $2 AND state = 'open' AND escalated_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Closes an open alert; a [`StoreError::Conflict`] (`survey.alert_done`) when it is
/// closed already.
pub async fn close(
    conn: &mut AnyConnection,
    id: i64,
    by: i64,
    note: &str,
    complaint_id: Option<i64>,
    now: i64,
) -> StoreResult<()> {
    let r = sqlx::query(
        "UPDATE survey_alerts SET state = 'done', done_at = $1, done_by = $2, note = $3, complaint_id = $4 \
         WHERE id = $5 AND state = 'open'",
    )
    .bind(now)
    .bind(by)
    .bind(note)
    .bind(complaint_id)
    .bind(id)
    .execute(conn)
    .await?;
    if r.rows_affected() == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict("survey.alert_done"))
    }
}

/// Every alert about a customer (the owner's export).
pub async fn of_customer(conn: &mut AnyConnection, customer_id: i64) -> StoreResult<Vec<AlertRow>> {
    let sql = format!("SELECT {COLS} FROM survey_alerts a WHERE a.customer_id = $1 ORDER BY a.id");
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(customer_id)
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// The alert that became a complaint, if any.
pub async fn by_complaint(conn: &mut AnyConnection, complaint_id: i64) -> StoreResult<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM survey_alerts WHERE complaint_id = $1")
            .bind(complaint_id)
            .fetch_optional(conn)
            .await?,
    )
}

/// The alert an invitation's answers opened, if any.
pub async fn by_invitation(
    conn: &mut AnyConnection,
    invitation_id: i64,
) -> StoreResult<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM survey_alerts WHERE invitation_id = $1")
            .bind(invitation_id)
            .fetch_optional(conn)
            .await?,
    )
}
