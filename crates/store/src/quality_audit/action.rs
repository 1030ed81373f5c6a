//! Corrective actions as stored, with their events (every step, who and when).

use crate::error::StoreResult;
use domain::permission::Reach;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// One corrective action.
#[derive(Debug, Clone, Serialize)]
pub struct ActionRow {
    /// Id.
    pub id: i64,
    /// The visit that found the problem.
    pub visit_id: i64,
    /// The station that owns it.
    pub station_id: i64,
    /// Its region.
    pub region_id: i64,
    /// The failed checkpoint's code.
    pub code: String,
    /// The problem (the auditor's finding).
    pub problem: String,
    /// Due date, `YYYY-MM-DD`.
    pub due_on: String,
    /// State code (`domain::quality_audit::action::ActionState`).
    pub state: String,
    /// The cause found.
    pub cause: Option<String>,
    /// The measure taken.
    pub measure: Option<String>,
    /// Its evidence.
    pub evidence: Option<String>,
    /// The auditor's verification note.
    pub verify_note: Option<String>,
    /// Where the measure became standard.
    pub standard_note: Option<String>,
    /// Whether the due date passed with work owed.
    pub overdue: bool,
    /// Opened.
    pub created_at: i64,
    /// Last changed.
    pub updated_at: i64,
}

const COLUMNS: &str = "id, visit_id, station_id, region_id, code, problem, due_on, state, cause, measure, \
    evidence, verify_note, standard_note, overdue, created_at, updated_at";

fn from_row(r: &AnyRow) -> Result<ActionRow, sqlx::Error> {
    Ok(ActionRow {
        id: r.try_get("id")?,
        visit_id: r.try_get("visit_id")?,
        station_id: r.try_get("station_id")?,
        region_id: r.try_get("region_id")?,
        code: r.try_get("code")?,
        problem: r.try_get("problem")?,
        due_on: r.try_get("due_on")?,
        state: r.try_get("state")?,
        cause: r.try_get("cause")?,
        measure: r.try_get("measure")?,
        evidence: r.try_get("evidence")?,
        verify_note: r.try_get("verify_note")?,
        standard_note: r.try_get("standard_note")?,
        overdue: r.try_get::<i64, _>("overdue")? != 0,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Opens a corrective action for a failed checkpoint of a visit; returns its id.
#[allow(clippy::too_many_arguments)]
pub async fn insert(
    conn: &mut AnyConnection,
    visit_id: i64,
    station_id: i64,
    region_id: i64,
    code: &str,
    problem: &str,
    due_on: &str,
    at: i64,
) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO corrective_actions (visit_id, station_id, region_id, code, problem, due_on, state, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,'open',$7,$7) RETURNING id",
    )
    .bind(visit_id)
    .bind(station_id)
    .bind(region_id)
    .bind(code)
    .bind(problem)
    .bind(due_on)
    .bind(at)
    .fetch_one(conn)
    .await?)
}

/// One action within `reach`.
pub async fn get(
    conn: &mut AnyConnection,
    reach: &Reach,
    id: i64,
) -> StoreResult<Option<ActionRow>> {
    let (cond, bind) = crate::scope::station_filter(reach, "station_id", "region_id", 2);
    let sql = format!("SELECT {COLUMNS} FROM corrective_actions WHERE id = $1 AND {cond}");
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id);
    if let Some(b) = bind {
        q = q.bind(b);
    }
    Ok(q.fetch_optional(conn)
        .await?
        .map(|r| from_row(&r))
        .transpose()?)
}

/// The actions of one visit.
pub async fn of_visit(conn: &mut AnyConnection, visit_id: i64) -> StoreResult<Vec<ActionRow>> {
    let sql = format!("SELECT {COLUMNS} FROM corrective_actions WHERE visit_id = $1 ORDER BY code");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(visit_id)
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Actions within `reach`, optionally in one state and of one station, the nearest due
/// first; and the total.
pub async fn list(
    conn: &mut AnyConnection,
    reach: &Reach,
    state: Option<&str>,
    station_id: Option<i64>,
    limit: i64,
    offset: i64,
) -> StoreResult<(Vec<ActionRow>, i64)> {
    use crate::query::{Bind, Filters};
    let (cond, bind) = crate::scope::station_filter(reach, "station_id", "region_id", 1);
    let mut f = Filters::new(
        "corrective_actions",
        &cond,
        bind.into_iter().map(Bind::I).collect(),
    );
    f.eq("state", state.map(|s| Bind::S(s.to_string())))
        .eq("station_id", station_id.map(Bind::I));
    crate::query::rows_and_total(conn, COLUMNS, &f, "due_on, id", limit, offset, from_row).await
}

/// What one step writes: the new state and the column the step fills.
#[derive(Debug, Clone, Copy)]
pub enum StepWrite<'a> {
    /// The cause.
    Cause(&'a str),
    /// The measure and its evidence.
    Measure(&'a str, &'a str),
    /// The verification note.
    Verify(&'a str),
    /// Rejected: the measure and evidence are cleared for a new one.
    Reject,
    /// The standardisation note.
    Standard(&'a str),
}

/// Moves an action from `from` to `to`, writing the step's columns; false when the
/// action was no longer in `from` (a concurrent step won).
pub async fn step(
    conn: &mut AnyConnection,
    id: i64,
    from: &str,
    to: &str,
    write: StepWrite<'_>,
    at: i64,
) -> StoreResult<bool> {
    let (set, a, b): (&str, Option<&str>, Option<&str>) = match write {
        StepWrite::Cause(c) => ("cause = $5", Some(c), None),
        StepWrite::Measure(m, e) => ("measure = $5, evidence = $6", Some(m), Some(e)),
        StepWrite::Verify(n) => ("verify_note = $5", Some(n), None),
        StepWrite::Reject => ("measure = NULL, evidence = NULL", None, None),
        StepWrite::Standard(n) => ("standard_note = $5", Some(n), None),
    };
    let sql = format!(
        "UPDATE corrective_actions SET state = $3, updated_at = $4, {set} WHERE id = $1 AND state = $2"
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(from)
        .bind(to)
        .bind(at);
    if let Some(a) = a {
        q = q.bind(a.to_string());
    }
    if let Some(b) = b {
        q = q.bind(b.to_string());
    }
    Ok(q.execute(conn).await?.rows_affected() == 1)
}

/// Marks an action overdue if it still owes work (open or cause found); true when it
/// did (the timer's effect happens once).
pub async fn mark_overdue(conn: &mut AnyConnection, id: i64, at: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE corrective_actions SET overdue = 1, updated_at = $2 \
         WHERE id = $1 AND overdue = 0 AND state IN ('open', 'cause_found')",
    )
    .bind(id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// One event of an action.
#[derive(Debug, Clone, Serialize)]
pub struct ActionEventRow {
    /// When.
    pub at: i64,
    /// Who (staff id; 0 for the system).
    pub actor_id: i64,
    /// The step code (`opened`, `record_cause`, …, `overdue`).
    pub step: String,
    /// Its words.
    pub note: Option<String>,
}

/// Appends an event.
pub async fn add_event(
    conn: &mut AnyConnection,
    action_id: i64,
    at: i64,
    actor_id: i64,
    step: &str,
    note: Option<&str>,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO corrective_action_events (action_id, at, actor_id, step, note) VALUES ($1,$2,$3,$4,$5)")
        .bind(action_id)
        .bind(at)
        .bind(actor_id)
        .bind(step)
        .bind(note)
        .execute(conn)
        .await?;
    Ok(())
}

/// The events of an action, oldest first.
pub async fn events(conn: &mut AnyConnection, action_id: i64) -> StoreResult<Vec<ActionEventRow>> {
    let rows = sqlx::query(
        "SELECT at, actor_id, step, note FROM corrective_action_events WHERE action_id = $1 ORDER BY id",
    )
    .bind(action_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            Ok(ActionEventRow {
                at: r.try_get("at")?,
                actor_id: r.try_get("actor_id")?,
                step: r.try_get("step")?,
                note: r.try_get("note")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?)
}
