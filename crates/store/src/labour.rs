//! The labour-operation catalogue (工时项目).

use crate::error::StoreResult;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// A catalogue entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabourOperationRow {
    /// Id.
    pub id: i64,
    /// Unique code, e.g. `MAINT-10K`.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Standard time in hundredths of an hour.
    pub standard_hundredths: i64,
    /// Minimum technician grade 1–4, if any.
    pub min_grade: Option<i64>,
    /// Qualification code needed, if any.
    pub qualification: Option<String>,
    /// Main part the operation replaces (`engine`, `transmission`, `traction_battery`,
    /// `drive_motor`), if it is a main-part replacement.
    pub major_part: Option<String>,
}

const COLS: &str =
    "id, code, name_zh, name_en, standard_hundredths, min_grade, qualification, major_part";

fn from_row(r: &AnyRow) -> Result<LabourOperationRow, sqlx::Error> {
    Ok(LabourOperationRow {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name_zh: r.try_get("name_zh")?,
        name_en: r.try_get("name_en")?,
        standard_hundredths: r.try_get("standard_hundredths")?,
        min_grade: r.try_get("min_grade")?,
        qualification: r.try_get("qualification")?,
        major_part: r.try_get("major_part")?,
    })
}

/// Creates the entry with `row.code`, or changes it when the code exists; returns its id.
/// `row.id` is ignored.
pub async fn upsert(
    conn: &mut AnyConnection,
    row: &LabourOperationRow,
    now: i64,
) -> StoreResult<i64> {
    let r = sqlx::query(
        "INSERT INTO labour_operations (code, name_zh, name_en, standard_hundredths, min_grade, qualification, created_at, updated_at, major_part) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$7,$8) ON CONFLICT (code) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en, \
         standard_hundredths = excluded.standard_hundredths, min_grade = excluded.min_grade, qualification = excluded.qualification, \
         updated_at = excluded.updated_at, major_part = excluded.major_part RETURNING id",
    )
    .bind(&row.code)
    .bind(&row.name_zh)
    .bind(&row.name_en)
    .bind(row.standard_hundredths)
    .bind(row.min_grade)
    .bind(row.qualification.as_deref())
    .bind(now)
    .bind(row.major_part.as_deref())
    .fetch_one(conn)
    .await?;
    Ok(r.try_get(0)?)
}

/// The entry with `code`, if any.
pub async fn by_code(
    conn: &mut AnyConnection,
    code: &str,
) -> StoreResult<Option<LabourOperationRow>> {
    let sql = format!("SELECT {COLS} FROM labour_operations WHERE code = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(code)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// The whole catalogue ordered by code.
pub async fn list(conn: &mut AnyConnection) -> StoreResult<Vec<LabourOperationRow>> {
    let sql = format!("SELECT {COLS} FROM labour_operations ORDER BY code");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}
