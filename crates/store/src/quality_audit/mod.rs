//! Quality audits as stored: checklist versions, visits with their answers and scores
//! ([`action`]: the corrective actions and their events; [`depot`]: the quarterly
//! rating of depots by their stations; [`photo`]: photos of failed checkpoints).

pub mod action;
pub mod depot;
pub mod photo;

use crate::error::StoreResult;
use domain::permission::Reach;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

/// One published checklist version.
#[derive(Debug, Clone, Serialize)]
pub struct ChecklistRow {
    /// Id.
    pub id: i64,
    /// Version number, 1 and up.
    pub version: i64,
    /// Its name.
    pub name: String,
    /// The checkpoints as JSON (`domain::quality_audit::checklist::Checkpoint` list).
    pub body: String,
    /// How many checkpoints.
    pub checkpoints: i64,
    /// When published.
    pub published_at: i64,
    /// Who published it (staff id; 0 for the shipped default).
    pub published_by: i64,
}

fn checklist_from(r: &AnyRow) -> Result<ChecklistRow, sqlx::Error> {
    Ok(ChecklistRow {
        id: r.try_get("id")?,
        version: r.try_get("version")?,
        name: r.try_get("name")?,
        body: r.try_get("body")?,
        checkpoints: r.try_get("checkpoints")?,
        published_at: r.try_get("published_at")?,
        published_by: r.try_get("published_by")?,
    })
}

const CHECKLIST_COLUMNS: &str = "id, version, name, body, checkpoints, published_at, published_by";

/// The newest checklist version, if any.
pub async fn current_checklist(conn: &mut AnyConnection) -> StoreResult<Option<ChecklistRow>> {
    let sql =
        format!("SELECT {CHECKLIST_COLUMNS} FROM audit_checklists ORDER BY version DESC LIMIT 1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_optional(conn)
        .await?;
    Ok(r.map(|r| checklist_from(&r)).transpose()?)
}

/// One checklist version by id.
pub async fn checklist(conn: &mut AnyConnection, id: i64) -> StoreResult<Option<ChecklistRow>> {
    let sql = format!("SELECT {CHECKLIST_COLUMNS} FROM audit_checklists WHERE id = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(r.map(|r| checklist_from(&r)).transpose()?)
}

/// Every version, newest first.
pub async fn checklists(conn: &mut AnyConnection) -> StoreResult<Vec<ChecklistRow>> {
    let sql = format!("SELECT {CHECKLIST_COLUMNS} FROM audit_checklists ORDER BY version DESC");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(checklist_from).collect::<Result<_, _>>()?)
}

/// Publishes the next version (one more than the newest); returns it. Two publishers
/// at once: the unique version makes the second fail, and the transaction runner
/// retries it on top of the first.
pub async fn publish_checklist(
    conn: &mut AnyConnection,
    name: &str,
    body: &str,
    checkpoints: i64,
    at: i64,
    by: i64,
) -> StoreResult<ChecklistRow> {
    let version: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM audit_checklists")
            .fetch_one(&mut *conn)
            .await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO audit_checklists (version, name, body, checkpoints, published_at, published_by) \
         VALUES ($1,$2,$3,$4,$5,$6) RETURNING id",
    )
    .bind(version)
    .bind(name)
    .bind(body)
    .bind(checkpoints)
    .bind(at)
    .bind(by)
    .fetch_one(&mut *conn)
    .await?;
    Ok(ChecklistRow {
        id,
        version,
        name: name.to_string(),
        body: body.to_string(),
        checkpoints,
        published_at: at,
        published_by: by,
    })
}

/// One audit visit.
#[derive(Debug, Clone, Serialize)]
pub struct VisitRow {
    /// Id.
    pub id: i64,
    /// The station audited.
    pub station_id: i64,
    /// Its region.
    pub region_id: i64,
    /// The checklist version scored on.
    pub checklist_id: i64,
    /// `head_office`, `third_party`, `mystery_shopper`.
    pub kind: String,
    /// The auditor (staff id).
    pub auditor_id: i64,
    /// The day of the visit, `YYYY-MM-DD`.
    pub visited_on: String,
    /// `draft` (answers may change) or `submitted` (scored, actions opened).
    pub state: String,
    /// Checkpoints passed.
    pub passed: i64,
    /// Checkpoints failed.
    pub failed: i64,
    /// Checkpoints not applicable.
    pub not_applicable: i64,
    /// The auditor's summary.
    pub summary: Option<String>,
    /// Created.
    pub created_at: i64,
    /// Submitted.
    pub submitted_at: Option<i64>,
}

const VISIT_COLUMNS: &str = "id, station_id, region_id, checklist_id, kind, auditor_id, visited_on, state, \
    passed, failed, not_applicable, summary, created_at, submitted_at";

fn visit_from(r: &AnyRow) -> Result<VisitRow, sqlx::Error> {
    Ok(VisitRow {
        id: r.try_get("id")?,
        station_id: r.try_get("station_id")?,
        region_id: r.try_get("region_id")?,
        checklist_id: r.try_get("checklist_id")?,
        kind: r.try_get("kind")?,
        auditor_id: r.try_get("auditor_id")?,
        visited_on: r.try_get("visited_on")?,
        state: r.try_get("state")?,
        passed: r.try_get("passed")?,
        failed: r.try_get("failed")?,
        not_applicable: r.try_get("not_applicable")?,
        summary: r.try_get("summary")?,
        created_at: r.try_get("created_at")?,
        submitted_at: r.try_get("submitted_at")?,
    })
}

/// What a new visit stores.
#[derive(Debug, Clone)]
pub struct NewVisit<'a> {
    /// Station.
    pub station_id: i64,
    /// Its region.
    pub region_id: i64,
    /// Checklist version.
    pub checklist_id: i64,
    /// Kind code.
    pub kind: &'a str,
    /// Auditor.
    pub auditor_id: i64,
    /// Day of the visit.
    pub visited_on: &'a str,
    /// Now.
    pub created_at: i64,
}

/// Stores a draft visit; returns its id.
pub async fn insert_visit(conn: &mut AnyConnection, v: &NewVisit<'_>) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO audit_visits (station_id, region_id, checklist_id, kind, auditor_id, visited_on, state, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,'draft',$7) RETURNING id",
    )
    .bind(v.station_id)
    .bind(v.region_id)
    .bind(v.checklist_id)
    .bind(v.kind)
    .bind(v.auditor_id)
    .bind(v.visited_on)
    .bind(v.created_at)
    .fetch_one(conn)
    .await?)
}

/// One visit within `reach`.
pub async fn visit(
    conn: &mut AnyConnection,
    reach: &Reach,
    id: i64,
) -> StoreResult<Option<VisitRow>> {
    let (cond, bind) = crate::scope::station_filter(reach, "station_id", "region_id", 2);
    let sql = format!("SELECT {VISIT_COLUMNS} FROM audit_visits WHERE id = $1 AND {cond}");
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id);
    if let Some(b) = bind {
        q = q.bind(b);
    }
    let r = q.fetch_optional(conn).await?;
    Ok(r.map(|r| visit_from(&r)).transpose()?)
}

/// Visits within `reach`, newest first, optionally of one station; and the total.
pub async fn visits(
    conn: &mut AnyConnection,
    reach: &Reach,
    station_id: Option<i64>,
    limit: i64,
    offset: i64,
) -> StoreResult<(Vec<VisitRow>, i64)> {
    use crate::query::{Bind, Filters};
    let (cond, bind) = crate::scope::station_filter(reach, "station_id", "region_id", 1);
    let mut f = Filters::new(
        "audit_visits",
        &cond,
        bind.into_iter().map(Bind::I).collect(),
    );
    f.eq("station_id", station_id.map(Bind::I));
    let order = "visited_on DESC, id DESC";
    crate::query::rows_and_total(conn, VISIT_COLUMNS, &f, order, limit, offset, visit_from).await
}

/// One stored answer.
#[derive(Debug, Clone, Serialize)]
pub struct AnswerRow {
    /// Checkpoint code.
    pub code: String,
    /// `pass`, `fail`, `not_applicable`.
    pub verdict: String,
    /// What was found.
    pub finding: Option<String>,
}

/// Sets (or replaces) a draft visit's answers `(code, verdict, finding)`, each code
/// once, in one statement per 500: a phone's whole checklist (68 checkpoints) in one
/// round trip instead of 68.
pub async fn set_answers(
    conn: &mut AnyConnection,
    visit_id: i64,
    answers: &[(&str, &str, Option<&str>)],
) -> StoreResult<()> {
    for chunk in answers.chunks(500) {
        let rows = (0..chunk.len())
            .map(|i| {
                let n = 4 * i;
                format!("(${},${},${},${})", n + 1, n + 2, n + 3, n + 4)
            })
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!(
            "INSERT INTO audit_answers (visit_id, code, verdict, finding) VALUES {rows} \
             ON CONFLICT (visit_id, code) DO UPDATE SET verdict = excluded.verdict, finding = excluded.finding"
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (code, verdict, finding) in chunk {
            q = q.bind(visit_id).bind(*code).bind(*verdict).bind(*finding);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A visit's answers by code.
pub async fn answers(conn: &mut AnyConnection, visit_id: i64) -> StoreResult<Vec<AnswerRow>> {
    let rows = sqlx::query(
        "SELECT code, verdict, finding FROM audit_answers WHERE visit_id = $1 ORDER BY code",
    )
    .bind(visit_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            Ok(AnswerRow {
                code: r.try_get("code")?,
                verdict: r.try_get("verdict")?,
                finding: r.try_get("finding")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?)
}

/// Marks a draft visit submitted with its score; false when it was not a draft any
/// more (a second submit lost the race).
pub async fn submit_visit(
    conn: &mut AnyConnection,
    id: i64,
    (passed, failed, not_applicable): (i64, i64, i64),
    summary: Option<&str>,
    at: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE audit_visits SET state = 'submitted', passed = $2, failed = $3, not_applicable = $4, \
         summary = $5, submitted_at = $6 WHERE id = $1 AND state = 'draft'",
    )
    .bind(id)
    .bind(passed)
    .bind(failed)
    .bind(not_applicable)
    .bind(summary)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
