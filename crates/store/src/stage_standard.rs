//! Published stage standards (SPEC §5), one row per version; the body is the
//! standard's JSON form.

use crate::error::{StoreError, StoreResult};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// A published standard as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageStandardRow {
    /// Version number, from 1.
    pub version: i64,
    /// The standard's JSON form.
    pub body: String,
    /// When it was published, UTC ms.
    pub published_at: i64,
    /// The staff id who published it.
    pub published_by: i64,
}

const COLS: &str = "version, body, published_at, published_by";

fn from_row(r: &AnyRow) -> Result<StageStandardRow, sqlx::Error> {
    Ok(StageStandardRow {
        version: r.try_get("version")?,
        body: r.try_get("body")?,
        published_at: r.try_get("published_at")?,
        published_by: r.try_get("published_by")?,
    })
}

/// Stores a new version; a version already stored fails as
/// [`StoreError::Duplicate`] naming `version`.
pub async fn insert(conn: &mut AnyConnection, row: &StageStandardRow) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO stage_standards (version, body, published_at, published_by) VALUES ($1,$2,$3,$4)",
    )
    .bind(row.version)
    .bind(&row.body)
    .bind(row.published_at)
    .bind(row.published_by)
    .execute(conn)
    .await
    .map_err(StoreError::unique_as("version"))?;
    Ok(())
}

/// The standard with `version`, if stored.
pub async fn get(conn: &mut AnyConnection, version: i64) -> StoreResult<Option<StageStandardRow>> {
    let sql = format!("SELECT {COLS} FROM stage_standards WHERE version = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(version)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// The highest stored version, if any.
pub async fn latest(conn: &mut AnyConnection) -> StoreResult<Option<StageStandardRow>> {
    let sql = format!("SELECT {COLS} FROM stage_standards ORDER BY version DESC LIMIT 1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}
