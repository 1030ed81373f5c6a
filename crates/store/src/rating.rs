//! The owner's rating of a delivered repair order: 1–5 stars and a comment, once.

use crate::error::{StoreError, StoreResult};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// A rating as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RatingRow {
    /// The order rated.
    pub repair_order_id: i64,
    /// Station.
    pub station_id: i64,
    /// 1 to 5.
    pub stars: i64,
    /// The owner's words, if any.
    pub comment: Option<String>,
    /// `owner_page` or `desk`.
    pub channel: String,
    /// When, UTC ms.
    pub rated_at: i64,
}

/// Records the rating; a second rating of the same order is a
/// [`StoreError::Duplicate`] (the primary key is the order).
pub async fn insert(conn: &mut AnyConnection, r: &RatingRow) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO ratings (repair_order_id, station_id, stars, comment, channel, rated_at) VALUES ($1,$2,$3,$4,$5,$6)",
    )
    .bind(r.repair_order_id)
    .bind(r.station_id)
    .bind(r.stars)
    .bind(r.comment.as_deref())
    .bind(&r.channel)
    .bind(r.rated_at)
    .execute(conn)
    .await
    .map_err(StoreError::unique_as("repair_order_id"))?;
    Ok(())
}

/// The rating of an order, if given.
pub async fn get(conn: &mut AnyConnection, order_id: i64) -> StoreResult<Option<RatingRow>> {
    let row = sqlx::query(
        "SELECT repair_order_id, station_id, stars, comment, channel, rated_at FROM ratings WHERE repair_order_id = $1",
    )
    .bind(order_id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(RatingRow {
            repair_order_id: r.try_get("repair_order_id")?,
            station_id: r.try_get("station_id")?,
            stars: r.try_get("stars")?,
            comment: r.try_get("comment")?,
            channel: r.try_get("channel")?,
            rated_at: r.try_get("rated_at")?,
        })
    })
    .transpose()
    .map_err(|e: sqlx::Error| e.into())
}
