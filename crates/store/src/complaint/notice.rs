//! Warnings and escalations of the clocks: one row per complaint, clock, stage and
//! step (a unique key, so a step is noticed once even when two workers or a restart
//! run its timer again). The rows are the in-app inbox of the station manager, the
//! regional manager and head office.

use crate::error::StoreResult;
use domain::permission::Reach;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// One notice.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeRow {
    /// Id.
    pub id: i64,
    /// The complaint.
    pub complaint_id: i64,
    /// Its clock.
    pub clock_no: i64,
    /// Stage code.
    pub stage: String,
    /// Step code (`warn50`, `breach100`, …).
    pub step: String,
    /// Who it is for: `station`, `station_manager`, `regional_manager`, `head_office`.
    pub level: String,
    /// Station.
    pub station_id: i64,
    /// Region.
    pub region_id: i64,
    /// When the step fell due.
    pub due_at: i64,
    /// When it was written.
    pub created_at: i64,
    /// When read.
    pub read_at: Option<i64>,
}

/// What a new notice stores.
#[derive(Debug, Clone, Copy)]
pub struct NewNotice<'a> {
    /// The complaint.
    pub complaint_id: i64,
    /// Its clock.
    pub clock_no: i64,
    /// Stage code.
    pub stage: &'a str,
    /// Step code.
    pub step: &'a str,
    /// Level code.
    pub level: &'a str,
    /// Station.
    pub station_id: i64,
    /// Region.
    pub region_id: i64,
    /// Due.
    pub due_at: i64,
}

/// Writes a notice once; false when this step was noticed already.
pub async fn insert(conn: &mut AnyConnection, n: &NewNotice<'_>, now: i64) -> StoreResult<bool> {
    let r = sqlx::query(
        "INSERT INTO complaint_notices (complaint_id, clock_no, stage, step, level, station_id, region_id, due_at, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (complaint_id, clock_no, stage, step) DO NOTHING",
    )
    .bind(n.complaint_id)
    .bind(n.clock_no)
    .bind(n.stage)
    .bind(n.step)
    .bind(n.level)
    .bind(n.station_id)
    .bind(n.region_id)
    .bind(n.due_at)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<NoticeRow, sqlx::Error> {
    Ok(NoticeRow {
        id: r.try_get("id")?,
        complaint_id: r.try_get("complaint_id")?,
        clock_no: r.try_get("clock_no")?,
        stage: r.try_get("stage")?,
        step: r.try_get("step")?,
        level: r.try_get("level")?,
        station_id: r.try_get("station_id")?,
        region_id: r.try_get("region_id")?,
        due_at: r.try_get("due_at")?,
        created_at: r.try_get("created_at")?,
        read_at: r.try_get("read_at")?,
    })
}

/// The inbox of a reach at `levels`, newest first.
pub async fn inbox(
    conn: &mut AnyConnection,
    reach: &Reach,
    levels: &[&str],
    limit: i64,
) -> StoreResult<Vec<NoticeRow>> {
    let (cond, bind) = crate::scope::station_filter(reach, "station_id", "region_id", 1);
    let levels_sql: Vec<String> = levels
        .iter()
        .filter(|l| l.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .map(|l| format!("'{l}'"))
        .collect();
    let level_cond = if levels_sql.is_empty() {
        "1=0".to_string()
    } else {
        format!("level IN ({})", levels_sql.join(","))
    };
    let n = usize::from(bind.is_some()) + 1;
    let sql = format!(
        "SELECT id, complaint_id, clock_no, stage, step, level, station_id, region_id, due_at, created_at, read_at \
         FROM complaint_notices WHERE {cond} AND {level_cond} ORDER BY id DESC LIMIT ${n}"
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    if let Some(b) = bind {
        q = q.bind(b);
    }
    let rows = q.bind(limit).fetch_all(conn).await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// The notices of one complaint, oldest first.
pub async fn for_complaint(
    conn: &mut AnyConnection,
    complaint_id: i64,
) -> StoreResult<Vec<NoticeRow>> {
    let rows = sqlx::query(
        "SELECT id, complaint_id, clock_no, stage, step, level, station_id, region_id, due_at, created_at, read_at \
         FROM complaint_notices WHERE complaint_id = $1 ORDER BY id",
    )
    .bind(complaint_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Marks notices read at `at` (those not read yet); answers how many changed.
pub async fn mark_read(conn: &mut AnyConnection, ids: &[i64], at: i64) -> StoreResult<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    // Integers only, so the list is safe to write into the statement.
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    let sql = format!(
        "UPDATE complaint_notices SET read_at = $1 WHERE read_at IS NULL AND id IN ({})",
        list.join(",")
    );
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(at)
        .execute(conn)
        .await?;
    Ok(r.rows_affected())
}

/// A person an escalation notice goes to, with the addresses their record holds.
#[derive(Debug, Clone, Serialize)]
pub struct Recipient {
    /// Staff id.
    pub staff_id: i64,
    /// Mobile number (may be empty).
    pub phone: String,
    /// WeChat id, when given.
    pub wechat_id: Option<String>,
}

/// The active people of an escalation level: the station's managers
/// (`station_manager`), the region's managers (`regional_manager`) or head office's
/// administrators (`head_office`: no station, no region). Any other level has none.
pub async fn recipients(
    conn: &mut AnyConnection,
    level: &str,
    station_id: i64,
    region_id: i64,
) -> StoreResult<Vec<Recipient>> {
    let (cond, unit) = match level {
        "station_manager" => ("role = 'station_manager' AND station_id = $1", station_id),
        "regional_manager" => ("role = 'regional_manager' AND region_id = $1", region_id),
        "head_office" => (
            "role = 'administrator' AND station_id IS NULL AND region_id IS NULL AND id > $1",
            0,
        ),
        _ => return Ok(Vec::new()),
    };
    let sql =
        format!("SELECT id, phone, wechat_id FROM staff WHERE active = 1 AND {cond} ORDER BY id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(unit)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Recipient {
                staff_id: r.try_get("id")?,
                phone: r.try_get("phone")?,
                wechat_id: r.try_get("wechat_id")?,
            })
        })
        .collect()
}
