//! Replacement or refund requests (Arts 25–29) as stored: the cited right, the
//! deadlines and the domain's state kept whole as JSON, with its name beside it for
//! lists.

use crate::error::StoreResult;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// A request as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestRow {
    /// Id (0 before insert).
    pub id: i64,
    /// The vehicle.
    pub vehicle_id: i64,
    /// The station whose calendar counts the working days.
    pub station_id: i64,
    /// `replacement` or `refund`.
    pub kind: String,
    /// Cited article (stable code, e.g. `art24_1_4`).
    pub article: String,
    /// Subject of the cited right.
    pub subject: String,
    /// Day filed.
    pub filed_on: String,
    /// Last day to answer.
    pub answer_by: String,
    /// State name (`filed`, `accepted`, `refused`, `performed`).
    pub state: String,
    /// The domain's state, whole.
    pub state_json: String,
    /// `agent` or `owner`.
    pub channel: String,
    /// Art 27 usage charge, once computed.
    pub usage_charge_fen: Option<i64>,
    /// The car that replaced the vehicle, once a replacement was performed (Art 29).
    pub replacement_vehicle_id: Option<i64>,
}

const COLS: &str = "id, vehicle_id, station_id, kind, article, subject, filed_on, answer_by, state, state_json, \
    channel, usage_charge_fen, replacement_vehicle_id";

fn from_row(r: &sqlx::any::AnyRow) -> Result<RequestRow, sqlx::Error> {
    Ok(RequestRow {
        id: r.try_get("id")?,
        vehicle_id: r.try_get("vehicle_id")?,
        station_id: r.try_get("station_id")?,
        kind: r.try_get("kind")?,
        article: r.try_get("article")?,
        subject: r.try_get("subject")?,
        filed_on: r.try_get("filed_on")?,
        answer_by: r.try_get("answer_by")?,
        state: r.try_get("state")?,
        state_json: r.try_get("state_json")?,
        channel: r.try_get("channel")?,
        usage_charge_fen: r.try_get("usage_charge_fen")?,
        replacement_vehicle_id: r.try_get("replacement_vehicle_id")?,
    })
}

/// Requests of a vehicle, oldest first.
pub async fn of_vehicle(conn: &mut AnyConnection, vehicle_id: i64) -> StoreResult<Vec<RequestRow>> {
    let sql = format!("SELECT {COLS} FROM guarantee_requests WHERE vehicle_id = $1 ORDER BY id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(vehicle_id)
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// The performed replacement request whose new car is `vehicle_id`, if any: the link
/// from a replacement car back to the car it replaced (Art 29).
pub async fn replacing(
    conn: &mut AnyConnection,
    vehicle_id: i64,
) -> StoreResult<Option<RequestRow>> {
    let sql = format!(
        "SELECT {COLS} FROM guarantee_requests WHERE replacement_vehicle_id = $1 ORDER BY id LIMIT 1"
    );
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(vehicle_id)
        .fetch_optional(conn)
        .await?;
    Ok(r.as_ref().map(from_row).transpose()?)
}

/// One request.
pub async fn get(conn: &mut AnyConnection, id: i64) -> StoreResult<Option<RequestRow>> {
    let sql = format!("SELECT {COLS} FROM guarantee_requests WHERE id = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(r.as_ref().map(from_row).transpose()?)
}

/// Records a new request.
pub async fn insert(
    conn: &mut AnyConnection,
    r: &RequestRow,
    by: Option<i64>,
    now: i64,
) -> StoreResult<i64> {
    let row = sqlx::query(
        "INSERT INTO guarantee_requests (vehicle_id, station_id, kind, article, subject, filed_on, answer_by, state, \
         state_json, channel, usage_charge_fen, filed_by, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$13) RETURNING id",
    )
    .bind(r.vehicle_id)
    .bind(r.station_id)
    .bind(&r.kind)
    .bind(&r.article)
    .bind(&r.subject)
    .bind(&r.filed_on)
    .bind(&r.answer_by)
    .bind(&r.state)
    .bind(&r.state_json)
    .bind(&r.channel)
    .bind(r.usage_charge_fen)
    .bind(by)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get("id")?)
}

/// Moves a request from `from_state` to its new state; false when it was not in
/// `from_state` any more (a concurrent step won).
pub async fn update_state(
    conn: &mut AnyConnection,
    r: &RequestRow,
    from_state: &str,
    now: i64,
) -> StoreResult<bool> {
    let res = sqlx::query(
        "UPDATE guarantee_requests SET state = $1, state_json = $2, usage_charge_fen = $3, updated_at = $4, \
         replacement_vehicle_id = $7 WHERE id = $5 AND state = $6",
    )
    .bind(&r.state)
    .bind(&r.state_json)
    .bind(r.usage_charge_fen)
    .bind(now)
    .bind(r.id)
    .bind(from_state)
    .bind(r.replacement_vehicle_id)
    .execute(conn)
    .await?;
    Ok(res.rows_affected() == 1)
}

/// A request in a list, with the vehicle's VIN and plate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestListRow {
    /// The request.
    pub request: RequestRow,
    /// The vehicle's VIN.
    pub vin: String,
    /// Its plate, if registered.
    pub plate: Option<String>,
}

/// Requests within reach (by the station whose calendar counts them), the waiting ones
/// first (filed, then accepted), then the newest; at most `limit`.
pub async fn list(
    conn: &mut AnyConnection,
    reach: &domain::permission::Reach,
    state: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<RequestListRow>> {
    let (cond, bind) = crate::scope::station_filter(reach, "r.station_id", "s.region_id", 2);
    let state_cond = if bind.is_some() {
        "($3 = '' OR r.state = $3)"
    } else {
        "($2 = '' OR r.state = $2)"
    };
    let cols = COLS
        .split(", ")
        .map(|c| format!("r.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {cols}, v.vin, v.plate FROM guarantee_requests r \
         JOIN stations s ON s.id = r.station_id JOIN vehicles v ON v.id = r.vehicle_id \
         WHERE {cond} AND {state_cond} \
         ORDER BY CASE r.state WHEN 'filed' THEN 0 WHEN 'accepted' THEN 1 ELSE 2 END, r.id DESC \
         LIMIT $1"
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(limit);
    if let Some(b) = bind {
        q = q.bind(b);
    }
    let rows = q.bind(state.unwrap_or("")).fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(RequestListRow {
                request: from_row(r)?,
                vin: r.try_get("vin")?,
                plate: r.try_get("plate")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}
