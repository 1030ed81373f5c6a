//! The traction battery's capacity-fade promise per model and the battery checks
//! measured at stations (migration 34). Each check keeps the promise it is held to
//! (migration 35): the one in force when it was recorded, else the first recorded
//! after it ([`hold_unheld`]). The verdict is not stored: the domain judges each check
//! against its held promise when a page or the dossier is read.

use crate::error::StoreResult;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// A model's promise as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PromiseRow {
    /// The model, as vehicles name it.
    pub model: String,
    /// The least share of the rated capacity kept, tenths of a per cent.
    pub min_share_permille: i64,
    /// For how many years.
    pub years: i64,
    /// Or up to how many kilometres.
    pub km: i64,
    /// When last set, UTC ms.
    pub updated_at: i64,
}

/// One battery check as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckRow {
    /// Id.
    pub id: i64,
    /// The vehicle.
    pub vehicle_id: i64,
    /// The station that measured, if any.
    pub station_id: Option<i64>,
    /// Day measured, `YYYY-MM-DD`.
    pub checked_on: String,
    /// Odometer then.
    pub odometer_km: i64,
    /// Measured share of the rated capacity, tenths of a per cent.
    pub share_permille: i64,
    /// When recorded, UTC ms.
    pub recorded_at: i64,
    /// The promise it is held to: least share, tenths of a per cent (None: no promise
    /// yet for the model).
    pub promise_share_permille: Option<i64>,
    /// The held promise's years.
    pub promise_years: Option<i64>,
    /// The held promise's kilometres.
    pub promise_km: Option<i64>,
}

/// Holds every check of `model`'s vehicles that is held to no promise yet to `p`;
/// returns how many.
pub async fn hold_unheld(conn: &mut AnyConnection, p: &PromiseRow) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE guarantee_battery_checks SET promise_share_permille = $1, promise_years = $2, promise_km = $3 \
         WHERE promise_share_permille IS NULL AND vehicle_id IN (SELECT id FROM vehicles WHERE model = $4)",
    )
    .bind(p.min_share_permille)
    .bind(p.years)
    .bind(p.km)
    .bind(&p.model)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Sets (or replaces) a model's promise.
pub async fn put_promise(
    conn: &mut AnyConnection,
    p: &PromiseRow,
    by: i64,
) -> StoreResult<Option<PromiseRow>> {
    let before = promise(conn, &p.model).await?;
    sqlx::query(
        "INSERT INTO guarantee_fade_promises (model, min_share_permille, years, km, updated_at, updated_by) \
         VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (model) DO UPDATE SET min_share_permille = excluded.min_share_permille, \
         years = excluded.years, km = excluded.km, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )
    .bind(&p.model)
    .bind(p.min_share_permille)
    .bind(p.years)
    .bind(p.km)
    .bind(p.updated_at)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(before)
}

fn promise_of(r: &sqlx::any::AnyRow) -> StoreResult<PromiseRow> {
    Ok(PromiseRow {
        model: r.try_get("model")?,
        min_share_permille: r.try_get("min_share_permille")?,
        years: r.try_get("years")?,
        km: r.try_get("km")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// The promise of one model, if head office recorded one.
pub async fn promise(conn: &mut AnyConnection, model: &str) -> StoreResult<Option<PromiseRow>> {
    let row = sqlx::query(
        "SELECT model, min_share_permille, years, km, updated_at FROM guarantee_fade_promises WHERE model = $1",
    )
    .bind(model)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(promise_of).transpose()
}

/// Every model's promise, by model.
pub async fn promises(conn: &mut AnyConnection) -> StoreResult<Vec<PromiseRow>> {
    let rows = sqlx::query(
        "SELECT model, min_share_permille, years, km, updated_at FROM guarantee_fade_promises ORDER BY model",
    )
    .fetch_all(conn)
    .await?;
    rows.iter().map(promise_of).collect()
}

/// Records a battery check; returns its id.
pub async fn insert_check(conn: &mut AnyConnection, c: &CheckRow, by: i64) -> StoreResult<i64> {
    let row = sqlx::query(
        "INSERT INTO guarantee_battery_checks (vehicle_id, station_id, checked_on, odometer_km, share_permille, recorded_at, recorded_by, \
         promise_share_permille, promise_years, promise_km) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id",
    )
    .bind(c.vehicle_id)
    .bind(c.station_id)
    .bind(&c.checked_on)
    .bind(c.odometer_km)
    .bind(c.share_permille)
    .bind(c.recorded_at)
    .bind(by)
    .bind(c.promise_share_permille)
    .bind(c.promise_years)
    .bind(c.promise_km)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get("id")?)
}

/// A vehicle's battery checks, oldest first.
pub async fn checks(conn: &mut AnyConnection, vehicle_id: i64) -> StoreResult<Vec<CheckRow>> {
    let rows = sqlx::query(
        "SELECT id, vehicle_id, station_id, checked_on, odometer_km, share_permille, recorded_at, \
         promise_share_permille, promise_years, promise_km FROM guarantee_battery_checks WHERE vehicle_id = $1 ORDER BY checked_on, id",
    )
    .bind(vehicle_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CheckRow {
                id: r.try_get("id")?,
                vehicle_id: r.try_get("vehicle_id")?,
                station_id: r.try_get("station_id")?,
                checked_on: r.try_get("checked_on")?,
                odometer_km: r.try_get("odometer_km")?,
                share_permille: r.try_get("share_permille")?,
                recorded_at: r.try_get("recorded_at")?,
                promise_share_permille: r.try_get("promise_share_permille")?,
                promise_years: r.try_get("promise_years")?,
                promise_km: r.try_get("promise_km")?,
            })
        })
        .collect()
}

/// Every model of the new-energy vehicles on record with how many there are, by model.
pub async fn ev_models(conn: &mut AnyConnection) -> StoreResult<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "SELECT model, COUNT(*) AS n FROM vehicles WHERE is_ev <> 0 GROUP BY model ORDER BY model",
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("model")?, r.try_get("n")?)))
        .collect()
}
