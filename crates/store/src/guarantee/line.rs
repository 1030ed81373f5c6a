//! One fault of an order as diagnosed (the per-line classification of the three
//! guarantees): quality or not, the smallest part repaired, its system and main part,
//! what was done, and an Art 32 exclusion.

use crate::error::StoreResult;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// A classified fault as stored. Codes are the domain's stable codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct LineRow {
    /// Id (0 before insert).
    pub id: i64,
    /// The order.
    pub repair_order_id: i64,
    /// A quality problem (not wear, accident or paid work).
    pub quality: bool,
    /// The smallest repairable or replaceable part (catalogue code); None: no fault found.
    pub part: Option<String>,
    /// System code, when one of the ten.
    pub system: Option<String>,
    /// Listed main part code within the system.
    pub main_part: Option<String>,
    /// Concern or fault code, as evidence.
    pub code: Option<String>,
    /// `repair`, `replace_main_part` or `replace_assembly`.
    pub action: String,
    /// A serious safety fault.
    pub serious_safety: bool,
    /// Art 23 fault code, if one.
    pub art23: Option<String>,
    /// Art 32 ground, if excluded.
    pub exclusion_reason: Option<String>,
    /// Its explanation.
    pub exclusion_explanation: Option<String>,
    /// Its evidence reference.
    pub exclusion_evidence: Option<String>,
}

const COLS: &str = "l.id, l.repair_order_id, l.quality, l.part, l.system, l.main_part, l.code, l.action, \
    l.serious_safety, l.art23, l.exclusion_reason, l.exclusion_explanation, l.exclusion_evidence";

fn from_row(r: &sqlx::any::AnyRow) -> Result<LineRow, sqlx::Error> {
    Ok(LineRow {
        id: r.try_get("id")?,
        repair_order_id: r.try_get("repair_order_id")?,
        quality: r.try_get::<i64, _>("quality")? != 0,
        part: r.try_get("part")?,
        system: r.try_get("system")?,
        main_part: r.try_get("main_part")?,
        code: r.try_get("code")?,
        action: r.try_get("action")?,
        serious_safety: r.try_get::<i64, _>("serious_safety")? != 0,
        art23: r.try_get("art23")?,
        exclusion_reason: r.try_get("exclusion_reason")?,
        exclusion_explanation: r.try_get("exclusion_explanation")?,
        exclusion_evidence: r.try_get("exclusion_evidence")?,
    })
}

/// Classified faults of every order of a vehicle, by order and id.
pub async fn of_vehicle(conn: &mut AnyConnection, vehicle_id: i64) -> StoreResult<Vec<LineRow>> {
    let sql = format!(
        "SELECT {COLS} FROM guarantee_lines l JOIN repair_orders r ON r.id = l.repair_order_id \
         WHERE r.vehicle_id = $1 ORDER BY l.repair_order_id, l.id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(vehicle_id)
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// One classified fault of an order.
pub async fn get(conn: &mut AnyConnection, order_id: i64, id: i64) -> StoreResult<Option<LineRow>> {
    let sql =
        format!("SELECT {COLS} FROM guarantee_lines l WHERE l.id = $1 AND l.repair_order_id = $2");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(order_id)
        .fetch_optional(conn)
        .await?;
    Ok(r.as_ref().map(from_row).transpose()?)
}

/// Records a classified fault.
pub async fn insert(
    conn: &mut AnyConnection,
    l: &LineRow,
    by: Option<i64>,
    now: i64,
) -> StoreResult<i64> {
    let r = sqlx::query(
        "INSERT INTO guarantee_lines (repair_order_id, quality, part, system, main_part, code, action, serious_safety, \
         art23, exclusion_reason, exclusion_explanation, exclusion_evidence, created_by, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$14) RETURNING id",
    )
    .bind(l.repair_order_id)
    .bind(i64::from(l.quality))
    .bind(l.part.as_deref())
    .bind(l.system.as_deref())
    .bind(l.main_part.as_deref())
    .bind(l.code.as_deref())
    .bind(&l.action)
    .bind(i64::from(l.serious_safety))
    .bind(l.art23.as_deref())
    .bind(l.exclusion_reason.as_deref())
    .bind(l.exclusion_explanation.as_deref())
    .bind(l.exclusion_evidence.as_deref())
    .bind(by)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(r.try_get("id")?)
}

/// Sets (or clears, with Nones) the Art 32 exclusion of a fault; false when none.
pub async fn set_exclusion(
    conn: &mut AnyConnection,
    order_id: i64,
    id: i64,
    reason: Option<&str>,
    explanation: Option<&str>,
    evidence: Option<&str>,
    now: i64,
) -> StoreResult<bool> {
    let r = sqlx::query(
        "UPDATE guarantee_lines SET exclusion_reason = $1, exclusion_explanation = $2, exclusion_evidence = $3, \
         updated_at = $4 WHERE id = $5 AND repair_order_id = $6",
    )
    .bind(reason)
    .bind(explanation)
    .bind(evidence)
    .bind(now)
    .bind(id)
    .bind(order_id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}
