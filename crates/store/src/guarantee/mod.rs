//! What the three-guarantees model (三包, 2021 regulation) reads beyond the orders: per
//! order the repair's clock (Art 40) and its excluded intervals, per fault the line
//! classification ([`line`]), per vehicle its delivery date (Art 18) and its
//! replacement or refund requests ([`request`]). Rights are not stored: the domain
//! recomputes them from this history (see the migration's note).

pub mod battery;
pub mod line;
pub mod main_part;
pub mod request;

use crate::error::StoreResult;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// One repair's clock as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpanRow {
    /// The order.
    pub repair_order_id: i64,
    /// When owner and repairer agreed the repair, UTC ms.
    pub agreed_at: i64,
    /// When the owner was told to collect, UTC ms.
    pub completed_at: Option<i64>,
}

/// An excluded interval of a repair as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExcludedRow {
    /// Id.
    pub id: i64,
    /// The order.
    pub repair_order_id: i64,
    /// `battery_transport`, `special_part_transport`, `rescue_travel`, `owner_wait`.
    pub kind: String,
    /// Start, UTC ms.
    pub from_at: i64,
    /// End, UTC ms.
    pub to_at: i64,
    /// Evidence reference (waybill, rescue record, message to the owner).
    pub evidence: String,
}

/// The vehicle's delivery date (Art 18), when recorded.
pub async fn delivered_on(
    conn: &mut AnyConnection,
    vehicle_id: i64,
) -> StoreResult<Option<String>> {
    let r = sqlx::query("SELECT delivered_on FROM vehicles WHERE id = $1")
        .bind(vehicle_id)
        .fetch_optional(conn)
        .await?;
    Ok(match r {
        Some(r) => r.try_get("delivered_on")?,
        None => None,
    })
}

/// Records (or clears) the vehicle's delivery date.
pub async fn set_delivered_on(
    conn: &mut AnyConnection,
    vehicle_id: i64,
    on: Option<&str>,
) -> StoreResult<bool> {
    let r = sqlx::query("UPDATE vehicles SET delivered_on = $1 WHERE id = $2")
        .bind(on)
        .bind(vehicle_id)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// The recorded clocks of a vehicle's orders.
pub async fn spans_of_vehicle(
    conn: &mut AnyConnection,
    vehicle_id: i64,
) -> StoreResult<Vec<SpanRow>> {
    let rows = sqlx::query(
        "SELECT s.repair_order_id, s.agreed_at, s.completed_at FROM guarantee_spans s \
         JOIN repair_orders r ON r.id = s.repair_order_id WHERE r.vehicle_id = $1",
    )
    .bind(vehicle_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SpanRow {
                repair_order_id: r.try_get("repair_order_id")?,
                agreed_at: r.try_get("agreed_at")?,
                completed_at: r.try_get("completed_at")?,
            })
        })
        .collect()
}

/// Stores an order's clock, replacing the previous one.
pub async fn put_span(conn: &mut AnyConnection, s: &SpanRow, now: i64) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO guarantee_spans (repair_order_id, agreed_at, completed_at, updated_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (repair_order_id) DO UPDATE SET \
         agreed_at = excluded.agreed_at, completed_at = excluded.completed_at, updated_at = excluded.updated_at",
    )
    .bind(s.repair_order_id)
    .bind(s.agreed_at)
    .bind(s.completed_at)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

fn excluded_row(r: &sqlx::any::AnyRow) -> Result<ExcludedRow, sqlx::Error> {
    Ok(ExcludedRow {
        id: r.try_get("id")?,
        repair_order_id: r.try_get("repair_order_id")?,
        kind: r.try_get("kind")?,
        from_at: r.try_get("from_at")?,
        to_at: r.try_get("to_at")?,
        evidence: r.try_get("evidence")?,
    })
}

/// Excluded intervals of a vehicle's orders, by order and start.
pub async fn excluded_of_vehicle(
    conn: &mut AnyConnection,
    vehicle_id: i64,
) -> StoreResult<Vec<ExcludedRow>> {
    let rows = sqlx::query(
        "SELECT e.id, e.repair_order_id, e.kind, e.from_at, e.to_at, e.evidence FROM guarantee_excluded e \
         JOIN repair_orders r ON r.id = e.repair_order_id WHERE r.vehicle_id = $1 \
         ORDER BY e.repair_order_id, e.from_at, e.id",
    )
    .bind(vehicle_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.iter().map(excluded_row).collect::<Result<_, _>>()?)
}

/// Records an excluded interval (already checked against the repair's clock).
pub async fn insert_excluded(
    conn: &mut AnyConnection,
    e: &ExcludedRow,
    by: Option<i64>,
    now: i64,
) -> StoreResult<i64> {
    let r = sqlx::query(
        "INSERT INTO guarantee_excluded (repair_order_id, kind, from_at, to_at, evidence, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(e.repair_order_id)
    .bind(&e.kind)
    .bind(e.from_at)
    .bind(e.to_at)
    .bind(&e.evidence)
    .bind(by)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(r.try_get("id")?)
}

/// Removes an excluded interval of `order_id`; false when there was none.
pub async fn delete_excluded(
    conn: &mut AnyConnection,
    order_id: i64,
    id: i64,
) -> StoreResult<bool> {
    let r = sqlx::query("DELETE FROM guarantee_excluded WHERE id = $1 AND repair_order_id = $2")
        .bind(id)
        .bind(order_id)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}
