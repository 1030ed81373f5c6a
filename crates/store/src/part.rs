//! The minimal parts catalogue: part number, names and catalogue price.

use crate::error::StoreResult;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// A catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartRow {
    /// Part number, e.g. `06L115562B`.
    pub part_number: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Catalogue price per unit, fen.
    pub price_fen: i64,
}

fn read(r: &AnyRow) -> Result<PartRow, sqlx::Error> {
    Ok(PartRow {
        part_number: r.try_get("part_number")?,
        name_zh: r.try_get("name_zh")?,
        name_en: r.try_get("name_en")?,
        price_fen: r.try_get("price_fen")?,
    })
}

/// Adds a part or changes its names and price.
pub async fn upsert(conn: &mut AnyConnection, p: &PartRow, now: i64) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO parts (part_number, name_zh, name_en, price_fen, updated_at) VALUES ($1,$2,$3,$4,$5) \
         ON CONFLICT (part_number) DO UPDATE SET name_zh = $2, name_en = $3, price_fen = $4, updated_at = $5",
    )
    .bind(&p.part_number)
    .bind(&p.name_zh)
    .bind(&p.name_en)
    .bind(p.price_fen)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// One part by number.
pub async fn by_number(
    conn: &mut AnyConnection,
    part_number: &str,
) -> StoreResult<Option<PartRow>> {
    let r = sqlx::query(
        "SELECT part_number, name_zh, name_en, price_fen FROM parts WHERE part_number = $1",
    )
    .bind(part_number)
    .fetch_optional(conn)
    .await?;
    r.map(|r| read(&r)).transpose().map_err(Into::into)
}

/// The whole catalogue by part number (at most 5,000 rows; the parts issue pages it).
pub async fn list(conn: &mut AnyConnection) -> StoreResult<Vec<PartRow>> {
    let rows = sqlx::query("SELECT part_number, name_zh, name_en, price_fen FROM parts ORDER BY part_number LIMIT 5000")
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(read)
        .collect::<Result<_, _>>()
        .map_err(Into::into)
}
