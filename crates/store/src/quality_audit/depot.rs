//! The quarterly rating of each depot (配件中心库) by the stations it supplies.

use crate::error::StoreResult;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// Records a station's rating of a depot for a quarter; false when the station had
/// already rated it that quarter (one rating each, never rewritten).
#[allow(clippy::too_many_arguments)]
pub async fn rate(
    conn: &mut AnyConnection,
    depot_id: i64,
    station_id: i64,
    quarter: &str,
    score: i64,
    comment: Option<&str>,
    by: i64,
    at: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO depot_ratings (depot_id, station_id, quarter, score, comment, rated_by, rated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (depot_id, station_id, quarter) DO NOTHING",
    )
    .bind(depot_id)
    .bind(station_id)
    .bind(quarter)
    .bind(score)
    .bind(comment)
    .bind(by)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A depot's ratings for one quarter, summed.
#[derive(Debug, Clone, Serialize)]
pub struct DepotQuarter {
    /// The depot.
    pub depot_id: i64,
    /// Its name in Chinese.
    pub name_zh: String,
    /// Its name in English.
    pub name_en: String,
    /// How many stations rated it.
    pub ratings: i64,
    /// The sum of the scores (1–5 each).
    pub score_sum: i64,
}

/// Every depot with its ratings of a quarter (depots nobody rated show 0 ratings).
pub async fn quarter(conn: &mut AnyConnection, quarter: &str) -> StoreResult<Vec<DepotQuarter>> {
    let rows = sqlx::query(
        "SELECT d.id, d.name_zh, d.name_en, COUNT(r.id) AS n, CAST(COALESCE(SUM(r.score), 0) AS BIGINT) AS s \
         FROM depots d LEFT JOIN depot_ratings r ON r.depot_id = d.id AND r.quarter = $1 \
         GROUP BY d.id, d.name_zh, d.name_en ORDER BY d.id",
    )
    .bind(quarter)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            Ok(DepotQuarter {
                depot_id: r.try_get("id")?,
                name_zh: r.try_get("name_zh")?,
                name_en: r.try_get("name_en")?,
                ratings: r.try_get("n")?,
                score_sum: r.try_get("s")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?)
}
