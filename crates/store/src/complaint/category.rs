//! The catalogue of complaint categories (migration 39): code, names in both
//! languages, display position and when it was retired. Seeded with the shipped list.

use crate::error::StoreResult;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// One category.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryRow {
    /// Stable code.
    pub code: String,
    /// 中文名.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Display order.
    pub position: i64,
    /// When it was retired (UTC ms); none while it may be chosen.
    pub retired_at: Option<i64>,
}

impl CategoryRow {
    /// The name in a language (`zh-CN` or `en`; Chinese for any other).
    pub fn name(&self, lang: &str) -> &str {
        if lang.starts_with("en") {
            &self.name_en
        } else {
            &self.name_zh
        }
    }

    /// Whether new complaints may choose it.
    pub fn active(&self) -> bool {
        self.retired_at.is_none()
    }
}

fn row(r: &AnyRow) -> StoreResult<CategoryRow> {
    Ok(CategoryRow {
        code: r.try_get("code")?,
        name_zh: r.try_get("name_zh")?,
        name_en: r.try_get("name_en")?,
        position: r.try_get("position")?,
        retired_at: r.try_get("retired_at")?,
    })
}

const COLUMNS: &str = "code, name_zh, name_en, position, retired_at";

/// Every category, retired ones too, in display order.
pub async fn all(conn: &mut AnyConnection) -> StoreResult<Vec<CategoryRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM complaint_categories ORDER BY position, code"
    )))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(row).collect()
}

/// One category by code.
pub async fn get(conn: &mut AnyConnection, code: &str) -> StoreResult<Option<CategoryRow>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM complaint_categories WHERE code = $1"
    )))
    .bind(code)
    .fetch_optional(&mut *conn)
    .await?;
    r.as_ref().map(row).transpose()
}

/// Adds a category at the end of the list; false when the code exists already.
pub async fn insert(
    conn: &mut AnyConnection,
    code: &str,
    name_zh: &str,
    name_en: &str,
    now: i64,
    by: i64,
) -> StoreResult<bool> {
    let id: Option<String> = sqlx::query_scalar(
        "INSERT INTO complaint_categories (code, name_zh, name_en, position, created_at, created_by) \
         VALUES ($1, $2, $3, (SELECT COALESCE(MAX(position), 0) + 1 FROM complaint_categories), $4, $5) \
         ON CONFLICT (code) DO NOTHING RETURNING code",
    )
    .bind(code)
    .bind(name_zh)
    .bind(name_en)
    .bind(now)
    .bind(by)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(id.is_some())
}

/// Renames a category; false when there is none of that code.
pub async fn rename(
    conn: &mut AnyConnection,
    code: &str,
    name_zh: &str,
    name_en: &str,
) -> StoreResult<bool> {
    let n =
        sqlx::query("UPDATE complaint_categories SET name_zh = $2, name_en = $3 WHERE code = $1")
            .bind(code)
            .bind(name_zh)
            .bind(name_en)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    Ok(n == 1)
}

/// Retires a category (or brings it back with `None`); false when there is none.
pub async fn set_retired(
    conn: &mut AnyConnection,
    code: &str,
    at: Option<i64>,
) -> StoreResult<bool> {
    let n = sqlx::query("UPDATE complaint_categories SET retired_at = $2 WHERE code = $1")
        .bind(code)
        .bind(at)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(n == 1)
}
