//! Station stars per quarter: one row per station and quarter (recomputing a quarter
//! replaces its rows, so the quarterly batch is idempotent).

use crate::error::StoreResult;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// A station's stars for a quarter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StarRow {
    /// Station.
    pub station_id: i64,
    /// Quarter `YYYYQn`.
    pub quarter: String,
    /// 1–5.
    pub stars: i64,
    /// Weighted score in per mille of 100 points (score × 10).
    pub score_permille: i64,
    /// The star policy version used.
    pub policy_version: i64,
    /// Below the threshold this quarter and the one before.
    pub flagged: bool,
    /// When computed, UTC ms.
    pub computed_at: i64,
}

/// Stores a station's stars for a quarter, replacing an earlier computation.
pub async fn put(conn: &mut AnyConnection, s: &StarRow) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO station_stars (station_id, quarter, stars, score_permille, policy_version, flagged, computed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (station_id, quarter) DO UPDATE SET \
         stars = excluded.stars, score_permille = excluded.score_permille, \
         policy_version = excluded.policy_version, flagged = excluded.flagged, computed_at = excluded.computed_at",
    )
    .bind(s.station_id)
    .bind(&s.quarter)
    .bind(s.stars)
    .bind(s.score_permille)
    .bind(s.policy_version)
    .bind(i64::from(s.flagged))
    .bind(s.computed_at)
    .execute(conn)
    .await?;
    Ok(())
}

fn row(r: &sqlx::any::AnyRow) -> StoreResult<StarRow> {
    Ok(StarRow {
        station_id: r.try_get("station_id")?,
        quarter: r.try_get("quarter")?,
        stars: r.try_get("stars")?,
        score_permille: r.try_get("score_permille")?,
        policy_version: r.try_get("policy_version")?,
        flagged: r.try_get::<i64, _>("flagged")? != 0,
        computed_at: r.try_get("computed_at")?,
    })
}

const COLS: &str =
    "station_id, quarter, stars, score_permille, policy_version, flagged, computed_at";

/// Every station's stars for a quarter, by station.
pub async fn for_quarter(conn: &mut AnyConnection, quarter: &str) -> StoreResult<Vec<StarRow>> {
    let sql = format!("SELECT {COLS} FROM station_stars WHERE quarter = $1 ORDER BY station_id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(quarter)
        .fetch_all(conn)
        .await?;
    rows.iter().map(row).collect()
}

/// A station's history of stars, newest quarter first.
pub async fn history(conn: &mut AnyConnection, station_id: i64) -> StoreResult<Vec<StarRow>> {
    let sql =
        format!("SELECT {COLS} FROM station_stars WHERE station_id = $1 ORDER BY quarter DESC");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(station_id)
        .fetch_all(conn)
        .await?;
    rows.iter().map(row).collect()
}
