//! The public-holiday plan (one row per date) and a station's time zone.

use crate::error::{StoreError, StoreResult};
use sqlx::{AnyConnection, Row};

/// One dated entry of the plan.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlanDay {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// `holiday` or `workday` (a weekend day worked, 调休).
    pub kind: String,
    /// The holiday's name, for holidays.
    pub name: Option<String>,
}

/// Inserts a day unless the date is listed already; returns whether it was inserted.
pub async fn insert_day(conn: &mut AnyConnection, d: &PlanDay) -> StoreResult<bool> {
    let r = sqlx::query(
        "INSERT INTO holiday_plan (day, kind, name) VALUES ($1,$2,$3) ON CONFLICT (day) DO NOTHING",
    )
    .bind(&d.day)
    .bind(&d.kind)
    .bind(d.name.as_deref())
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Every dated entry in date order.
pub async fn days(conn: &mut AnyConnection) -> StoreResult<Vec<PlanDay>> {
    let rows = sqlx::query("SELECT day, kind, name FROM holiday_plan ORDER BY day")
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(PlanDay {
                day: r.try_get("day")?,
                kind: r.try_get("kind")?,
                name: r.try_get("name")?,
            })
        })
        .collect()
}

/// A station's time-zone name.
pub async fn station_timezone(conn: &mut AnyConnection, station_id: i64) -> StoreResult<String> {
    let row = sqlx::query("SELECT timezone FROM stations WHERE id = $1")
        .bind(station_id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(row.try_get(0)?)
}

/// Replaces the whole plan with `days` (head office publishes a corrected plan).
pub async fn replace_all(conn: &mut AnyConnection, days: &[PlanDay]) -> StoreResult<()> {
    sqlx::query("DELETE FROM holiday_plan")
        .execute(&mut *conn)
        .await?;
    for d in days {
        insert_day(conn, d).await?;
    }
    Ok(())
}

/// Records that administrators were warned that the plan ending on `plan_end` runs
/// out; answers whether it is new (the warning is given once per end date).
pub async fn insert_plan_warning(
    conn: &mut AnyConnection,
    plan_end: &str,
    at: i64,
) -> StoreResult<bool> {
    let r = sqlx::query(
        "INSERT INTO holiday_plan_warnings (plan_end, warned_at) VALUES ($1, $2) ON CONFLICT (plan_end) DO NOTHING",
    )
    .bind(plan_end)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Whether administrators were warned that the plan ending on `plan_end` runs out.
pub async fn plan_warned(conn: &mut AnyConnection, plan_end: &str) -> StoreResult<bool> {
    let row = sqlx::query("SELECT 1 FROM holiday_plan_warnings WHERE plan_end = $1")
        .bind(plan_end)
        .fetch_optional(conn)
        .await?;
    Ok(row.is_some())
}
