//! Every repair order of one vehicle, open and delivered, at any station: the
//! history the three-guarantees counters (三包, SPEC §15) are computed from. The
//! counters run per VIN across the whole network, so this is not limited to a
//! station; the use case checks the vehicle itself is within the caller's reach.

use crate::error::StoreResult;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// One repair order of a vehicle, as the history needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VehicleOrderRow {
    /// Order id.
    pub id: i64,
    /// Station that took the order.
    pub station_id: i64,
    /// The owner's concern in their words.
    pub concern: String,
    /// Coded concern, if coded.
    pub concern_code: Option<String>,
    /// `open` or `delivered`.
    pub state: String,
    /// Reception start, UTC ms.
    pub received_at: i64,
    /// Hand-over, UTC ms, once delivered.
    pub delivered_at: Option<i64>,
    /// Whether a courtesy car was flagged at delivery.
    pub courtesy_car: bool,
    /// The original order when this is a comeback.
    pub comeback_of: Option<i64>,
    /// Service type code (`repair`, `maintenance`, …).
    pub service_type: String,
    /// Whether diagnosis classed the concern as a serious safety fault.
    pub safety_fault: bool,
}

/// Every repair order of `vehicle_id`, open and delivered, oldest reception first.
pub async fn orders_of_vehicle(
    conn: &mut AnyConnection,
    vehicle_id: i64,
) -> StoreResult<Vec<VehicleOrderRow>> {
    let rows = sqlx::query(
        "SELECT id, station_id, concern, concern_code, state, received_at, delivered_at, courtesy_car, comeback_of, service_type, safety_fault \
         FROM repair_orders WHERE vehicle_id = $1 ORDER BY received_at, id",
    )
    .bind(vehicle_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(VehicleOrderRow {
                id: r.try_get("id")?,
                station_id: r.try_get("station_id")?,
                concern: r.try_get("concern")?,
                concern_code: r.try_get("concern_code")?,
                state: r.try_get("state")?,
                received_at: r.try_get("received_at")?,
                delivered_at: r.try_get("delivered_at")?,
                courtesy_car: r.try_get::<i64, _>("courtesy_car")? != 0,
                comeback_of: r.try_get("comeback_of")?,
                service_type: r.try_get("service_type")?,
                safety_fault: r.try_get::<i64, _>("safety_fault")? != 0,
            })
        })
        .collect()
}
