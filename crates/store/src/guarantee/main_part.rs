//! The main parts of the ten systems (GB/T 29632) as head office keeps them
//! (migration 40): system, code, names in both languages, display position and when
//! the part was retired. Seeded with the list shipped in `crates/domain/data`.

use crate::error::StoreResult;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// One main part.
#[derive(Debug, Clone, Serialize)]
pub struct MainPartRow {
    /// System code (one of the ten).
    pub system: String,
    /// Code, unique within the system.
    pub code: String,
    /// 中文名.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Display order.
    pub position: i64,
    /// When it was retired (UTC ms); none while new faults may name it.
    pub retired_at: Option<i64>,
}

fn row(r: &AnyRow) -> StoreResult<MainPartRow> {
    Ok(MainPartRow {
        system: r.try_get("system")?,
        code: r.try_get("code")?,
        name_zh: r.try_get("name_zh")?,
        name_en: r.try_get("name_en")?,
        position: r.try_get::<i64, _>("position")?,
        retired_at: r.try_get("retired_at")?,
    })
}

const COLUMNS: &str = "system, code, name_zh, name_en, position, retired_at";

/// Every main part, retired ones too, in display order.
pub async fn all(conn: &mut AnyConnection) -> StoreResult<Vec<MainPartRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM guarantee_main_parts ORDER BY position, system, code"
    )))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(row).collect()
}

/// One main part.
pub async fn get(
    conn: &mut AnyConnection,
    system: &str,
    code: &str,
) -> StoreResult<Option<MainPartRow>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM guarantee_main_parts WHERE system = $1 AND code = $2"
    )))
    .bind(system)
    .bind(code)
    .fetch_optional(&mut *conn)
    .await?;
    r.as_ref().map(row).transpose()
}

/// Adds a part at the end of the list; false when the system has that code already.
pub async fn insert(
    conn: &mut AnyConnection,
    system: &str,
    code: &str,
    name_zh: &str,
    name_en: &str,
    now: i64,
) -> StoreResult<bool> {
    let added: Option<String> = sqlx::query_scalar(
        "INSERT INTO guarantee_main_parts (system, code, name_zh, name_en, position, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, (SELECT COALESCE(MAX(position), 0) + 1 FROM guarantee_main_parts), $5, $5) \
         ON CONFLICT (system, code) DO NOTHING RETURNING code",
    )
    .bind(system)
    .bind(code)
    .bind(name_zh)
    .bind(name_en)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(added.is_some())
}

/// Renames a part and sets whether it is retired (`retired_at`); false when there is
/// no such part.
pub async fn update(
    conn: &mut AnyConnection,
    system: &str,
    code: &str,
    name_zh: &str,
    name_en: &str,
    retired_at: Option<i64>,
    now: i64,
) -> StoreResult<bool> {
    let n = sqlx::query(
        "UPDATE guarantee_main_parts SET name_zh = $3, name_en = $4, retired_at = $5, updated_at = $6 \
         WHERE system = $1 AND code = $2",
    )
    .bind(system)
    .bind(code)
    .bind(name_zh)
    .bind(name_en)
    .bind(retired_at)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}
