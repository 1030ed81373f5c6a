//! Calendar feeds: owner feed tokens (only their SHA-256 is stored; revocable) and
//! the appointments a feed lists.

use crate::error::{StoreError, StoreResult};
use crate::scope::station_filter;
use domain::permission::Reach;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

/// Issues a feed token for a customer, revoking any earlier one.
pub async fn issue_token(
    conn: &mut AnyConnection,
    customer_id: i64,
    token_hash: &str,
    now: i64,
) -> StoreResult<()> {
    revoke_tokens(conn, customer_id, now).await?;
    sqlx::query(
        "INSERT INTO calendar_tokens (customer_id, token_hash, created_at) VALUES ($1,$2,$3)",
    )
    .bind(customer_id)
    .bind(token_hash)
    .bind(now)
    .execute(conn)
    .await
    .map_err(StoreError::unique_as("token"))?;
    Ok(())
}

/// Revokes every active feed token of a customer; returns how many.
pub async fn revoke_tokens(
    conn: &mut AnyConnection,
    customer_id: i64,
    now: i64,
) -> StoreResult<u64> {
    let r = sqlx::query(
        "UPDATE calendar_tokens SET revoked_at = $1 WHERE customer_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(customer_id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}

/// The customer of an active feed token hash.
pub async fn customer_of(conn: &mut AnyConnection, token_hash: &str) -> StoreResult<i64> {
    let r = sqlx::query(
        "SELECT customer_id FROM calendar_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok(r.try_get(0)?)
}

/// An appointment as a calendar feed shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedRow {
    /// Appointment id.
    pub id: i64,
    /// Station.
    pub station_id: i64,
    /// Station's Chinese name.
    pub station_name: String,
    /// Station's address.
    pub station_address: String,
    /// Service type code.
    pub service_type: String,
    /// State code.
    pub state: String,
    /// Start, UTC ms.
    pub start_at: i64,
    /// Duration, minutes.
    pub duration_minutes: i64,
    /// Vehicle plate, if registered.
    pub plate: Option<String>,
    /// The owner's concern.
    pub concern: Option<String>,
    /// Last change, UTC ms.
    pub updated_at: i64,
}

const COLS: &str = "a.id, a.station_id, s.name_zh AS station_name, s.address AS station_address, a.service_type, a.state, \
     a.start_at, a.duration_minutes, v.plate, a.concern, a.updated_at";

fn from_row(r: &AnyRow) -> Result<FeedRow, sqlx::Error> {
    Ok(FeedRow {
        id: r.try_get("id")?,
        station_id: r.try_get("station_id")?,
        station_name: r.try_get("station_name")?,
        station_address: r.try_get("station_address")?,
        service_type: r.try_get("service_type")?,
        state: r.try_get("state")?,
        start_at: r.try_get("start_at")?,
        duration_minutes: r.try_get("duration_minutes")?,
        plate: r.try_get("plate")?,
        concern: r.try_get("concern")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// A station's appointments within reach starting in `[from, to)`, cancelled ones
/// excluded, by start (at most 5,000).
pub async fn station_feed(
    conn: &mut AnyConnection,
    reach: &Reach,
    station_id: i64,
    from: i64,
    to: i64,
) -> StoreResult<Vec<FeedRow>> {
    let (cond, val) = station_filter(reach, "a.station_id", "s.region_id", 4);
    let sql = format!(
        "SELECT {COLS} FROM appointments a JOIN stations s ON s.id = a.station_id JOIN vehicles v ON v.id = a.vehicle_id \
         WHERE a.station_id = $1 AND a.start_at >= $2 AND a.start_at < $3 AND a.state <> 'cancelled' AND {cond} \
         ORDER BY a.start_at, a.id LIMIT 5000"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql))
        .bind(station_id)
        .bind(from)
        .bind(to);
    if let Some(v) = val {
        q = q.bind(v);
    }
    let rows = q.fetch_all(conn).await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// A customer's appointments starting from `from`, cancelled ones excluded, by start
/// (at most 500).
pub async fn owner_feed(
    conn: &mut AnyConnection,
    customer_id: i64,
    from: i64,
) -> StoreResult<Vec<FeedRow>> {
    let sql = format!(
        "SELECT {COLS} FROM appointments a JOIN stations s ON s.id = a.station_id JOIN vehicles v ON v.id = a.vehicle_id \
         WHERE a.customer_id = $1 AND a.start_at >= $2 AND a.state <> 'cancelled' ORDER BY a.start_at, a.id LIMIT 500"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(customer_id)
        .bind(from)
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}
