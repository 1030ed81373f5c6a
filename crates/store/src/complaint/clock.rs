//! The stored parts of a complaint's clocks: policies by version, the clock's
//! segments (which station's calendar and which mode count from when), its pauses and
//! the stages with their deadlines and when each was met.

use crate::error::StoreResult;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// One version of a policy.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyRow {
    /// Id (what a complaint keeps).
    pub id: i64,
    /// Category code.
    pub category: String,
    /// Severity level code.
    pub severity: String,
    /// Version, from 1.
    pub version: i64,
    /// `business` or `calendar`.
    pub mode: String,
    /// The policy as JSON (`domain::complaint::sla::Policy`).
    pub body: String,
    /// Created.
    pub created_at: i64,
}

fn policy_from(r: &sqlx::any::AnyRow) -> Result<PolicyRow, sqlx::Error> {
    Ok(PolicyRow {
        id: r.try_get("id")?,
        category: r.try_get("category")?,
        severity: r.try_get("severity")?,
        version: r.try_get("version")?,
        mode: r.try_get("mode")?,
        body: r.try_get("body")?,
        created_at: r.try_get("created_at")?,
    })
}

const POLICY_COLUMNS: &str = "id, category, severity, version, mode, body, created_at";

/// The newest version for a category × severity.
pub async fn current_policy(
    conn: &mut AnyConnection,
    category: &str,
    severity: &str,
) -> StoreResult<Option<PolicyRow>> {
    let sql = format!(
        "SELECT {POLICY_COLUMNS} FROM complaint_policies WHERE category = $1 AND severity = $2 ORDER BY version DESC LIMIT 1"
    );
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(category)
        .bind(severity)
        .fetch_optional(conn)
        .await?;
    Ok(r.map(|r| policy_from(&r)).transpose()?)
}

/// One policy version by id.
pub async fn policy(conn: &mut AnyConnection, id: i64) -> StoreResult<Option<PolicyRow>> {
    let sql = format!("SELECT {POLICY_COLUMNS} FROM complaint_policies WHERE id = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(r.map(|r| policy_from(&r)).transpose()?)
}

/// The newest version of every policy.
pub async fn current_policies(conn: &mut AnyConnection) -> StoreResult<Vec<PolicyRow>> {
    let sql = format!(
        "SELECT {POLICY_COLUMNS} FROM complaint_policies p WHERE version = \
         (SELECT MAX(version) FROM complaint_policies q WHERE q.category = p.category AND q.severity = p.severity) \
         ORDER BY category, severity"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(policy_from).collect::<Result<_, _>>()?)
}

/// One version with the name of who published it (none for the defaults the system
/// stored itself).
#[derive(Debug, Clone, Serialize)]
pub struct PolicyVersionRow {
    /// The version.
    pub row: PolicyRow,
    /// Who published it.
    pub by_name: Option<String>,
}

/// Every version of a category × severity's policy, newest first (the policy
/// page's history).
pub async fn policy_versions(
    conn: &mut AnyConnection,
    category: &str,
    severity: &str,
) -> StoreResult<Vec<PolicyVersionRow>> {
    let rows = sqlx::query(
        "SELECT p.id, p.category, p.severity, p.version, p.mode, p.body, p.created_at, st.name AS by_name \
         FROM complaint_policies p LEFT JOIN staff st ON st.id = p.created_by \
         WHERE p.category = $1 AND p.severity = $2 ORDER BY p.version DESC",
    )
    .bind(category)
    .bind(severity)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PolicyVersionRow {
                row: policy_from(r)?,
                by_name: r.try_get("by_name")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Stores the next version of a policy; returns its id.
pub async fn insert_policy(
    conn: &mut AnyConnection,
    category: &str,
    severity: &str,
    mode: &str,
    body: &str,
    at: i64,
    by: i64,
) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO complaint_policies (category, severity, version, mode, body, created_at, created_by) \
         VALUES ($1, $2, (SELECT COALESCE(MAX(version), 0) + 1 FROM complaint_policies WHERE category = $1 AND severity = $2), \
         $3, $4, $5, $6) RETURNING id",
    )
    .bind(category)
    .bind(severity)
    .bind(mode)
    .bind(body)
    .bind(at)
    .bind(by)
    .fetch_one(conn)
    .await?)
}

/// The open complaints running under a policy's category × severity (recomputed when
/// head office publishes a new version).
pub async fn open_with(
    conn: &mut AnyConnection,
    category: &str,
    severity: &str,
) -> StoreResult<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM complaints WHERE category = $1 AND severity = $2 AND state <> 'closed' ORDER BY id",
    )
    .bind(category)
    .bind(severity)
    .fetch_all(conn)
    .await?)
}

/// A stored segment: from when which station's calendar and mode count.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentRow {
    /// Start.
    pub from_at: i64,
    /// Station whose calendar counts.
    pub station_id: i64,
    /// `business` or `calendar`.
    pub mode: String,
}

/// Adds a segment to a clock.
pub async fn add_segment(
    conn: &mut AnyConnection,
    complaint_id: i64,
    clock_no: i64,
    from_at: i64,
    station_id: i64,
    mode: &str,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO complaint_segments (complaint_id, clock_no, from_at, station_id, mode) VALUES ($1,$2,$3,$4,$5)")
        .bind(complaint_id)
        .bind(clock_no)
        .bind(from_at)
        .bind(station_id)
        .bind(mode)
        .execute(conn)
        .await?;
    Ok(())
}

/// The segments of a clock, in time order.
pub async fn segments(
    conn: &mut AnyConnection,
    complaint_id: i64,
    clock_no: i64,
) -> StoreResult<Vec<SegmentRow>> {
    let rows = sqlx::query(
        "SELECT from_at, station_id, mode FROM complaint_segments WHERE complaint_id = $1 AND clock_no = $2 ORDER BY from_at, id",
    )
    .bind(complaint_id)
    .bind(clock_no)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SegmentRow {
                from_at: r.try_get("from_at")?,
                station_id: r.try_get("station_id")?,
                mode: r.try_get("mode")?,
            })
        })
        .collect()
}

/// Starts a pause.
pub async fn pause(
    conn: &mut AnyConnection,
    complaint_id: i64,
    clock_no: i64,
    at: i64,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO complaint_pauses (complaint_id, clock_no, from_at) VALUES ($1,$2,$3)")
        .bind(complaint_id)
        .bind(clock_no)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends the open pause; false when none was open.
pub async fn resume(
    conn: &mut AnyConnection,
    complaint_id: i64,
    clock_no: i64,
    at: i64,
) -> StoreResult<bool> {
    let r = sqlx::query("UPDATE complaint_pauses SET to_at = $1 WHERE complaint_id = $2 AND clock_no = $3 AND to_at IS NULL")
        .bind(at)
        .bind(complaint_id)
        .bind(clock_no)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() >= 1)
}

/// The pauses of a clock, `(from, to)`, in time order.
pub async fn pauses(
    conn: &mut AnyConnection,
    complaint_id: i64,
    clock_no: i64,
) -> StoreResult<Vec<(i64, Option<i64>)>> {
    let rows = sqlx::query("SELECT from_at, to_at FROM complaint_pauses WHERE complaint_id = $1 AND clock_no = $2 ORDER BY from_at, id")
        .bind(complaint_id)
        .bind(clock_no)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("from_at")?, r.try_get("to_at")?)))
        .collect()
}

/// One stage of a clock.
#[derive(Debug, Clone, Serialize)]
pub struct StageRow {
    /// Stage code.
    pub stage: String,
    /// Deadline (100 %), when computed.
    pub deadline_at: Option<i64>,
    /// When met.
    pub met_at: Option<i64>,
    /// Counted minutes from the stage's origin to when it was met.
    pub counted_minutes: Option<i64>,
    /// Whether the deadline reaches past the loaded holiday plan (SPEC §6).
    pub provisional: bool,
}

/// Writes the counted minutes of a met stage.
pub async fn set_counted(
    conn: &mut AnyConnection,
    complaint_id: i64,
    clock_no: i64,
    stage: &str,
    minutes: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE complaint_stages SET counted_minutes = $4 WHERE complaint_id = $1 AND clock_no = $2 AND stage = $3",
    )
    .bind(complaint_id)
    .bind(clock_no)
    .bind(stage)
    .bind(minutes)
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes a stage's deadline (keeping `met_at`).
pub async fn set_deadline(
    conn: &mut AnyConnection,
    complaint_id: i64,
    clock_no: i64,
    stage: &str,
    deadline_at: Option<i64>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO complaint_stages (complaint_id, clock_no, stage, deadline_at) VALUES ($1,$2,$3,$4) \
         ON CONFLICT (complaint_id, clock_no, stage) DO UPDATE SET deadline_at = excluded.deadline_at",
    )
    .bind(complaint_id)
    .bind(clock_no)
    .bind(stage)
    .bind(deadline_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores whether a stage's deadline is provisional (past the loaded holiday plan).
pub async fn set_stage_provisional(
    conn: &mut AnyConnection,
    complaint_id: i64,
    clock_no: i64,
    stage: &str,
    provisional: bool,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE complaint_stages SET provisional = $1 WHERE complaint_id = $2 AND clock_no = $3 AND stage = $4",
    )
    .bind(i64::from(provisional))
    .bind(complaint_id)
    .bind(clock_no)
    .bind(stage)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks a stage met at `at`, once (the first time counts); answers whether it was new.
pub async fn meet(
    conn: &mut AnyConnection,
    complaint_id: i64,
    clock_no: i64,
    stage: &str,
    at: i64,
) -> StoreResult<bool> {
    let r = sqlx::query(
        "INSERT INTO complaint_stages (complaint_id, clock_no, stage, met_at) VALUES ($1,$2,$3,$4) \
         ON CONFLICT (complaint_id, clock_no, stage) DO UPDATE SET met_at = excluded.met_at \
         WHERE complaint_stages.met_at IS NULL",
    )
    .bind(complaint_id)
    .bind(clock_no)
    .bind(stage)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The stages of a clock.
pub async fn stages(
    conn: &mut AnyConnection,
    complaint_id: i64,
    clock_no: i64,
) -> StoreResult<Vec<StageRow>> {
    let rows = sqlx::query("SELECT stage, deadline_at, met_at, counted_minutes, provisional FROM complaint_stages WHERE complaint_id = $1 AND clock_no = $2")
        .bind(complaint_id)
        .bind(clock_no)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(StageRow {
                stage: r.try_get("stage")?,
                deadline_at: r.try_get("deadline_at")?,
                met_at: r.try_get("met_at")?,
                counted_minutes: r.try_get("counted_minutes")?,
                provisional: r.try_get::<i64, _>("provisional")? != 0,
            })
        })
        .collect()
}
