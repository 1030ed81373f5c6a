//! Pick-up and delivery (上门取送车): address, time window, driver, the hand-over
//! checklist with photos (stored as BLOB / BYTEA) and the owner's confirmation.

use crate::error::{StoreError, StoreResult};
use crate::scope::station_filter;
use domain::permission::Reach;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

/// A pick-up or delivery as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PickupRow {
    /// Id.
    pub id: i64,
    /// Station.
    pub station_id: i64,
    /// Customer.
    pub customer_id: i64,
    /// Vehicle.
    pub vehicle_id: i64,
    /// The appointment it serves (pick-up to the station).
    pub appointment_id: Option<i64>,
    /// The repair order it serves (return to the owner).
    pub repair_order_id: Option<i64>,
    /// `pickup` (owner → station) or `return` (station → owner).
    pub kind: String,
    /// Where the car is handed over.
    pub address: String,
    /// Window start, UTC ms.
    pub window_start: i64,
    /// Window end, UTC ms.
    pub window_end: i64,
    /// Driver (staff id), once assigned.
    pub driver_id: Option<i64>,
    /// `scheduled`, `confirmed` or `cancelled`.
    pub state: String,
    /// The hand-over checklist (JSON array of items).
    pub checklist: serde_json::Value,
    /// Who confirmed for the owner (name as signed).
    pub confirmed_by: Option<String>,
    /// When the owner confirmed, UTC ms.
    pub confirmed_at: Option<i64>,
    /// Reference to the owner's signature.
    pub signature_ref: Option<String>,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
    /// Created, UTC ms.
    pub created_at: i64,
}

/// A pick-up or delivery to schedule.
#[derive(Debug, Clone)]
pub struct NewPickup {
    /// Station.
    pub station_id: i64,
    /// Customer.
    pub customer_id: i64,
    /// Vehicle.
    pub vehicle_id: i64,
    /// Appointment served.
    pub appointment_id: Option<i64>,
    /// Repair order served.
    pub repair_order_id: Option<i64>,
    /// Kind code.
    pub kind: String,
    /// Address.
    pub address: String,
    /// Window start, UTC ms.
    pub window_start: i64,
    /// Window end, UTC ms.
    pub window_end: i64,
    /// Driver.
    pub driver_id: Option<i64>,
}

const COLS: &str = "p.id, p.station_id, p.customer_id, p.vehicle_id, p.appointment_id, p.repair_order_id, p.kind, p.address, \
     p.window_start, p.window_end, p.driver_id, p.state, p.checklist, p.confirmed_by, p.confirmed_at, p.signature_ref, \
     p.cancel_reason, p.created_at";

fn from_row(r: &AnyRow) -> Result<PickupRow, sqlx::Error> {
    let checklist: String = r.try_get("checklist")?;
    Ok(PickupRow {
        id: r.try_get("id")?,
        station_id: r.try_get("station_id")?,
        customer_id: r.try_get("customer_id")?,
        vehicle_id: r.try_get("vehicle_id")?,
        appointment_id: r.try_get("appointment_id")?,
        repair_order_id: r.try_get("repair_order_id")?,
        kind: r.try_get("kind")?,
        address: r.try_get("address")?,
        window_start: r.try_get("window_start")?,
        window_end: r.try_get("window_end")?,
        driver_id: r.try_get("driver_id")?,
        state: r.try_get("state")?,
        checklist: serde_json::from_str(&checklist).unwrap_or(serde_json::Value::Null),
        confirmed_by: r.try_get("confirmed_by")?,
        confirmed_at: r.try_get("confirmed_at")?,
        signature_ref: r.try_get("signature_ref")?,
        cancel_reason: r.try_get("cancel_reason")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Schedules a pick-up or delivery; returns its id. A second one, not cancelled, for
/// the same appointment or order is [`crate::StoreError::Duplicate`] (`pickup`).
pub async fn insert(conn: &mut AnyConnection, p: &NewPickup, now: i64) -> StoreResult<i64> {
    let r = sqlx::query(
        "INSERT INTO pickups (station_id, customer_id, vehicle_id, appointment_id, repair_order_id, kind, address, window_start, \
         window_end, driver_id, state, checklist, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,'scheduled','[]',$11,$11) RETURNING id",
    )
    .bind(p.station_id)
    .bind(p.customer_id)
    .bind(p.vehicle_id)
    .bind(p.appointment_id)
    .bind(p.repair_order_id)
    .bind(&p.kind)
    .bind(&p.address)
    .bind(p.window_start)
    .bind(p.window_end)
    .bind(p.driver_id)
    .bind(now)
    .fetch_one(conn)
    .await
    .map_err(StoreError::unique_as("pickup"))?;
    Ok(r.try_get(0)?)
}

/// One pick-up within reach.
pub async fn get(conn: &mut AnyConnection, reach: &Reach, id: i64) -> StoreResult<PickupRow> {
    let (cond, val) = station_filter(reach, "p.station_id", "s.region_id", 2);
    let sql = format!(
        "SELECT {COLS} FROM pickups p JOIN stations s ON s.id = p.station_id WHERE p.id = $1 AND {cond}"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(id);
    if let Some(v) = val {
        q = q.bind(v);
    }
    let row = q.fetch_optional(conn).await?.ok_or(StoreError::NotFound)?;
    Ok(from_row(&row)?)
}

/// The owner's condition: the pick-up is the customer's, for a vehicle still theirs
/// (as with appointments, a sold car's history stays with the station).
const OWNED: &str = "p.customer_id = $1 AND EXISTS (SELECT 1 FROM vehicles v WHERE v.id = p.vehicle_id AND v.owner_id = p.customer_id)";

/// One pick-up of a customer's own (for a vehicle they still own); any other is
/// [`StoreError::NotFound`], exactly like a missing one.
pub async fn get_owned(
    conn: &mut AnyConnection,
    customer_id: i64,
    id: i64,
) -> StoreResult<PickupRow> {
    let sql = format!("SELECT {COLS} FROM pickups p WHERE {OWNED} AND p.id = $2");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(customer_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(from_row(&row)?)
}

/// A customer's own pick-ups (vehicles they still own) whose window ends at or after
/// `since`, soonest first, at most `limit`.
pub async fn list_owned(
    conn: &mut AnyConnection,
    customer_id: i64,
    since: i64,
    limit: i64,
) -> StoreResult<Vec<PickupRow>> {
    let sql = format!(
        "SELECT {COLS} FROM pickups p WHERE {OWNED} AND p.window_end >= $2 ORDER BY p.window_start, p.id LIMIT $3"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(customer_id)
        .bind(since)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Whether the appointment or repair order already has a pick-up that is not
/// cancelled (scheduled or confirmed).
pub async fn active_exists(
    conn: &mut AnyConnection,
    appointment_id: Option<i64>,
    repair_order_id: Option<i64>,
) -> StoreResult<bool> {
    let r = sqlx::query(
        "SELECT COUNT(*) FROM pickups WHERE state <> 'cancelled' AND (appointment_id = $1 OR repair_order_id = $2)",
    )
    .bind(appointment_id.unwrap_or(0))
    .bind(repair_order_id.unwrap_or(0))
    .fetch_one(conn)
    .await?;
    let n: i64 = r.try_get(0)?;
    Ok(n > 0)
}

/// Pick-ups of a repair order, and of the appointment it came from, oldest window
/// first. The caller has loaded the order within its reach.
pub async fn of_order(
    conn: &mut AnyConnection,
    repair_order_id: i64,
    appointment_id: Option<i64>,
) -> StoreResult<Vec<PickupRow>> {
    let sql = format!(
        "SELECT {COLS} FROM pickups p WHERE p.repair_order_id = $1 OR p.appointment_id = $2 \
         ORDER BY p.window_start, p.id"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(repair_order_id)
        .bind(appointment_id.unwrap_or(0))
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// A customer's booked appointment that could still have a pick-up requested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenAppointment {
    /// Appointment id.
    pub id: i64,
    /// Station.
    pub station_id: i64,
    /// Vehicle.
    pub vehicle_id: i64,
    /// Start, UTC ms.
    pub start_at: i64,
    /// The vehicle's plate, if it has one.
    pub plate: Option<String>,
}

/// A customer's booked appointments starting after `now`, for vehicles they still
/// own, without a pick-up that is not cancelled; soonest first, at most 20.
pub async fn open_appointments_owned(
    conn: &mut AnyConnection,
    customer_id: i64,
    now: i64,
) -> StoreResult<Vec<OpenAppointment>> {
    let rows = sqlx::query(
        "SELECT a.id, a.station_id, a.vehicle_id, a.start_at, v.plate FROM appointments a \
         JOIN vehicles v ON v.id = a.vehicle_id AND v.owner_id = a.customer_id \
         WHERE a.customer_id = $1 AND a.state = 'booked' AND a.start_at > $2 \
         AND NOT EXISTS (SELECT 1 FROM pickups p WHERE p.appointment_id = a.id AND p.state <> 'cancelled') \
         ORDER BY a.start_at, a.id LIMIT 20",
    )
    .bind(customer_id)
    .bind(now)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(OpenAppointment {
                id: r.try_get("id")?,
                station_id: r.try_get("station_id")?,
                vehicle_id: r.try_get("vehicle_id")?,
                start_at: r.try_get("start_at")?,
                plate: r.try_get("plate")?,
            })
        })
        .collect()
}

/// Pick-ups of a station within reach whose window starts in `[from, to)`.
pub async fn list(
    conn: &mut AnyConnection,
    reach: &Reach,
    station_id: i64,
    from: i64,
    to: i64,
) -> StoreResult<Vec<PickupRow>> {
    let (cond, val) = station_filter(reach, "p.station_id", "s.region_id", 4);
    let sql = format!(
        "SELECT {COLS} FROM pickups p JOIN stations s ON s.id = p.station_id \
         WHERE p.station_id = $1 AND p.window_start >= $2 AND p.window_start < $3 AND {cond} ORDER BY p.window_start, p.id"
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

/// The columns a station's pick-up list may be sorted by: (key in the page's link,
/// SQL column).
pub const PICKUP_ORDERS: &[(&str, &str)] = &[
    ("window", "p.window_start"),
    ("kind", "p.kind"),
    ("driver", "p.driver_id"),
    ("state", "p.state"),
];

/// One page of [`list`], in the order a person chose (one of [`PICKUP_ORDERS`]; by
/// window otherwise), with the count of all of them.
#[allow(clippy::too_many_arguments)] // the list's filters, its order and its page
pub async fn list_page(
    conn: &mut AnyConnection,
    reach: &Reach,
    station_id: i64,
    from: i64,
    to: i64,
    order: Option<crate::query::Order>,
    page: crate::Page,
) -> StoreResult<crate::Paged<PickupRow>> {
    use crate::query::Bind;
    let (cond, val) = station_filter(reach, "p.station_id", "s.region_id", 4);
    let mut binds = vec![Bind::I(station_id), Bind::I(from), Bind::I(to)];
    binds.extend(val.map(Bind::I));
    let order = order.map_or_else(|| "p.window_start, p.id".to_string(), |o| o.sql("p.id"));
    crate::query::page_of(
        conn,
        COLS,
        "FROM pickups p JOIN stations s ON s.id = p.station_id",
        &format!("p.station_id = $1 AND p.window_start >= $2 AND p.window_start < $3 AND {cond}"),
        &order,
        &binds,
        page,
        from_row,
    )
    .await
}

fn guarded(affected: u64) -> StoreResult<()> {
    if affected == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict("pickup.not_scheduled"))
    }
}

/// Assigns the driver of a scheduled pick-up.
pub async fn set_driver(
    conn: &mut AnyConnection,
    id: i64,
    driver: i64,
    now: i64,
) -> StoreResult<()> {
    let r = sqlx::query(
        "UPDATE pickups SET driver_id = $1, updated_at = $2 WHERE id = $3 AND state = 'scheduled'",
    )
    .bind(driver)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    guarded(r.rows_affected())
}

/// Replaces the hand-over checklist of a scheduled pick-up.
pub async fn set_checklist(
    conn: &mut AnyConnection,
    id: i64,
    checklist: &serde_json::Value,
    now: i64,
) -> StoreResult<()> {
    let r = sqlx::query(
        "UPDATE pickups SET checklist = $1, updated_at = $2 WHERE id = $3 AND state = 'scheduled'",
    )
    .bind(checklist.to_string())
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    guarded(r.rows_affected())
}

/// Records the owner's confirmation of the hand-over.
pub async fn confirm(
    conn: &mut AnyConnection,
    id: i64,
    by: &str,
    signature_ref: Option<&str>,
    now: i64,
) -> StoreResult<()> {
    let r = sqlx::query(
        "UPDATE pickups SET state = 'confirmed', confirmed_by = $1, signature_ref = $2, confirmed_at = $3, updated_at = $3 \
         WHERE id = $4 AND state = 'scheduled'",
    )
    .bind(by)
    .bind(signature_ref)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    guarded(r.rows_affected())
}

/// Cancels a scheduled pick-up with a reason.
pub async fn cancel(conn: &mut AnyConnection, id: i64, reason: &str, now: i64) -> StoreResult<()> {
    let r = sqlx::query(
        "UPDATE pickups SET state = 'cancelled', cancel_reason = $1, updated_at = $2 WHERE id = $3 AND state = 'scheduled'",
    )
    .bind(reason)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    guarded(r.rows_affected())
}

/// A hand-over photo without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhotoMeta {
    /// Id.
    pub id: i64,
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// Uploaded, UTC ms.
    pub uploaded_at: i64,
    /// Staff who uploaded it.
    pub uploaded_by: i64,
}

/// Stores a photo; returns its id.
#[allow(clippy::too_many_arguments)]
pub async fn insert_photo(
    conn: &mut AnyConnection,
    pickup_id: i64,
    content_type: &str,
    sha256: &str,
    bytes: &[u8],
    by: i64,
    now: i64,
) -> StoreResult<i64> {
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    let r = sqlx::query(
        "INSERT INTO pickup_photos (pickup_id, content_type, size_bytes, sha256, bytes, uploaded_at, uploaded_by) \
         VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id",
    )
    .bind(pickup_id)
    .bind(content_type)
    .bind(size)
    .bind(sha256)
    .bind(bytes)
    .bind(now)
    .bind(by)
    .fetch_one(conn)
    .await?;
    Ok(r.try_get(0)?)
}

/// The photos of a pick-up, in upload order, without their bytes.
pub async fn photos(conn: &mut AnyConnection, pickup_id: i64) -> StoreResult<Vec<PhotoMeta>> {
    let rows = sqlx::query(
        "SELECT id, content_type, size_bytes, sha256, uploaded_at, uploaded_by FROM pickup_photos WHERE pickup_id = $1 ORDER BY id",
    )
    .bind(pickup_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PhotoMeta {
                id: r.try_get("id")?,
                content_type: r.try_get("content_type")?,
                size_bytes: r.try_get("size_bytes")?,
                sha256: r.try_get("sha256")?,
                uploaded_at: r.try_get("uploaded_at")?,
                uploaded_by: r.try_get("uploaded_by")?,
            })
        })
        .collect()
}

/// One photo's content type and bytes.
pub async fn photo(
    conn: &mut AnyConnection,
    pickup_id: i64,
    photo_id: i64,
) -> StoreResult<(String, Vec<u8>)> {
    let r = sqlx::query(
        "SELECT content_type, bytes FROM pickup_photos WHERE id = $1 AND pickup_id = $2",
    )
    .bind(photo_id)
    .bind(pickup_id)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok((r.try_get("content_type")?, r.try_get("bytes")?))
}
