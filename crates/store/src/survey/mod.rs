//! Callback surveys (回访, issue 11): questionnaire versions, invitations with their
//! one-time link (only its SHA-256 is stored), answers (each keeps its version), the
//! monthly sample runs and hot alerts. State changes are guarded updates whose
//! affected-row count says whether this call made them.

pub mod alert;
pub mod answer;
pub mod sample;

use crate::error::{StoreError, StoreResult};
use crate::scope::station_filter;
use domain::permission::Reach;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

/// A stored questionnaire version: the questions as JSON, checked by the domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuestionnaireRow {
    /// Version number.
    pub version: i64,
    /// The questions (JSON array of `domain::survey::Question`).
    pub body: String,
    /// Published, UTC ms.
    pub published_at: i64,
    /// Staff who published it (0: the system's default).
    pub published_by: i64,
}

/// Stores a new version; a [`StoreError::Duplicate`] when the number is taken.
pub async fn insert_questionnaire(
    conn: &mut AnyConnection,
    version: i64,
    body: &str,
    by: i64,
    now: i64,
) -> StoreResult<()> {
    let r = sqlx::query(
        "INSERT INTO survey_questionnaires (version, body, published_at, published_by) VALUES ($1,$2,$3,$4) \
         ON CONFLICT (version) DO NOTHING",
    )
    .bind(version)
    .bind(body)
    .bind(now)
    .bind(by)
    .execute(conn)
    .await?;
    if r.rows_affected() == 1 {
        Ok(())
    } else {
        Err(StoreError::Duplicate("survey.version_taken"))
    }
}

/// The newest version, if any was published.
pub async fn current_questionnaire(
    conn: &mut AnyConnection,
) -> StoreResult<Option<QuestionnaireRow>> {
    let row = sqlx::query(
        "SELECT version, body, published_at, published_by FROM survey_questionnaires ORDER BY version DESC LIMIT 1",
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.as_ref().map(q_row).transpose()?)
}

/// One version.
pub async fn questionnaire(
    conn: &mut AnyConnection,
    version: i64,
) -> StoreResult<Option<QuestionnaireRow>> {
    let row = sqlx::query(
        "SELECT version, body, published_at, published_by FROM survey_questionnaires WHERE version = $1",
    )
    .bind(version)
    .fetch_optional(conn)
    .await?;
    Ok(row.as_ref().map(q_row).transpose()?)
}

/// Every version, newest first.
pub async fn questionnaires(conn: &mut AnyConnection) -> StoreResult<Vec<QuestionnaireRow>> {
    let rows = sqlx::query(
        "SELECT version, body, published_at, published_by FROM survey_questionnaires ORDER BY version DESC",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.iter().map(q_row).collect::<Result<_, _>>()?)
}

fn q_row(r: &AnyRow) -> Result<QuestionnaireRow, sqlx::Error> {
    Ok(QuestionnaireRow {
        version: r.try_get("version")?,
        body: r.try_get("body")?,
        published_at: r.try_get("published_at")?,
        published_by: r.try_get("published_by")?,
    })
}

/// An invitation as stored (the link's hash is never read back out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvitationRow {
    /// Id.
    pub id: i64,
    /// Who is asked.
    pub customer_id: i64,
    /// The car, when the survey is about a visit.
    pub vehicle_id: Option<i64>,
    /// The delivered order (delivery surveys).
    pub repair_order_id: Option<i64>,
    /// The station the answers count for.
    pub station_id: i64,
    /// Its region.
    pub region_id: i64,
    /// `delivery` or `monthly`.
    pub reason: String,
    /// `YYYY-MM` of a monthly sample.
    pub sample_month: Option<String>,
    /// The questionnaire version asked.
    pub version: i64,
    /// `pending`, `partial`, `answered`, `refused`, `unreachable`, `expired`.
    pub state: String,
    /// Why refused or unreachable.
    pub state_reason: Option<String>,
    /// The link's expiry, UTC ms.
    pub expires_at: i64,
    /// Due by, UTC ms.
    pub due_at: i64,
    /// Created, UTC ms.
    pub created_at: i64,
    /// Finished, UTC ms.
    pub answered_at: Option<i64>,
    /// `owner` (phone page) or `agent` (call centre).
    pub answered_via: Option<String>,
    /// The agent, when answered by call.
    pub answered_by: Option<i64>,
}

const COLS: &str = "i.id, i.customer_id, i.vehicle_id, i.repair_order_id, i.station_id, i.region_id, i.reason, \
     i.sample_month, i.version, i.state, i.state_reason, i.expires_at, i.due_at, i.created_at, i.answered_at, \
     i.answered_via, i.answered_by";

fn from_row(r: &AnyRow) -> Result<InvitationRow, sqlx::Error> {
    Ok(InvitationRow {
        id: r.try_get("id")?,
        customer_id: r.try_get("customer_id")?,
        vehicle_id: r.try_get("vehicle_id")?,
        repair_order_id: r.try_get("repair_order_id")?,
        station_id: r.try_get("station_id")?,
        region_id: r.try_get("region_id")?,
        reason: r.try_get("reason")?,
        sample_month: r.try_get("sample_month")?,
        version: r.try_get("version")?,
        state: r.try_get("state")?,
        state_reason: r.try_get("state_reason")?,
        expires_at: r.try_get("expires_at")?,
        due_at: r.try_get("due_at")?,
        created_at: r.try_get("created_at")?,
        answered_at: r.try_get("answered_at")?,
        answered_via: r.try_get("answered_via")?,
        answered_by: r.try_get("answered_by")?,
    })
}

/// A new invitation.
#[derive(Debug, Clone)]
pub struct NewInvitation<'a> {
    /// Who.
    pub customer_id: i64,
    /// The car.
    pub vehicle_id: Option<i64>,
    /// The delivered order.
    pub repair_order_id: Option<i64>,
    /// The station.
    pub station_id: i64,
    /// Its region.
    pub region_id: i64,
    /// `delivery` or `monthly`.
    pub reason: &'a str,
    /// `YYYY-MM` for a monthly sample.
    pub sample_month: Option<&'a str>,
    /// Version asked.
    pub version: i64,
    /// SHA-256 of the one-time link's token.
    pub token_hash: &'a str,
    /// Link expiry.
    pub expires_at: i64,
    /// Due by.
    pub due_at: i64,
}

/// Inserts an invitation; `None` when one exists for the same order or the same
/// month and customer (so a job or batch run twice asks nobody twice).
pub async fn insert(
    conn: &mut AnyConnection,
    n: &NewInvitation<'_>,
    now: i64,
) -> StoreResult<Option<i64>> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO survey_invitations (customer_id, vehicle_id, repair_order_id, station_id, region_id, reason, \
         sample_month, version, state, token_hash, expires_at, due_at, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,'pending',$9,$10,$11,$12) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(n.customer_id)
    .bind(n.vehicle_id)
    .bind(n.repair_order_id)
    .bind(n.station_id)
    .bind(n.region_id)
    .bind(n.reason)
    .bind(n.sample_month)
    .bind(n.version)
    .bind(n.token_hash)
    .bind(n.expires_at)
    .bind(n.due_at)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    Ok(id)
}

/// One invitation within reach.
pub async fn get(conn: &mut AnyConnection, reach: &Reach, id: i64) -> StoreResult<InvitationRow> {
    let (cond, val) = station_filter(reach, "i.station_id", "i.region_id", 2);
    let sql = format!("SELECT {COLS} FROM survey_invitations i WHERE i.id = $1 AND {cond}");
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(id);
    if let Some(v) = val {
        q = q.bind(v);
    }
    let row = q.fetch_optional(conn).await?.ok_or(StoreError::NotFound)?;
    Ok(from_row(&row)?)
}

/// The invitation of a one-time link, by the token's hash.
pub async fn by_token_hash(
    conn: &mut AnyConnection,
    hash: &str,
) -> StoreResult<Option<InvitationRow>> {
    let sql = format!("SELECT {COLS} FROM survey_invitations i WHERE i.token_hash = $1");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(hash)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// The invitation of a delivered order, if any.
pub async fn by_order(
    conn: &mut AnyConnection,
    order_id: i64,
) -> StoreResult<Option<InvitationRow>> {
    let sql = format!("SELECT {COLS} FROM survey_invitations i WHERE i.repair_order_id = $1");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(order_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// Filters of the invitation list.
#[derive(Debug, Clone, Default)]
pub struct Filter<'a> {
    /// One station.
    pub station_id: Option<i64>,
    /// One state code.
    pub state: Option<&'a str>,
    /// One reason code.
    pub reason: Option<&'a str>,
    /// One customer.
    pub customer_id: Option<i64>,
}

/// Invitations within reach, newest first, at most `limit`.
pub async fn list(
    conn: &mut AnyConnection,
    reach: &Reach,
    f: &Filter<'_>,
    limit: i64,
) -> StoreResult<Vec<InvitationRow>> {
    let (cond, val) = station_filter(reach, "i.station_id", "i.region_id", 6);
    let sql = format!(
        "SELECT {COLS} FROM survey_invitations i WHERE ($1 = 0 OR i.station_id = $1) AND ($2 = '' OR i.state = $2) \
         AND ($3 = '' OR i.reason = $3) AND ($4 = 0 OR i.customer_id = $4) AND {cond} \
         ORDER BY i.created_at DESC, i.id DESC LIMIT $5"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql))
        .bind(f.station_id.unwrap_or(0))
        .bind(f.state.unwrap_or(""))
        .bind(f.reason.unwrap_or(""))
        .bind(f.customer_id.unwrap_or(0))
        .bind(limit);
    if let Some(v) = val {
        q = q.bind(v);
    }
    let rows = q.fetch_all(conn).await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Moves an open invitation (`pending` or `partial`) to `state`; a
/// [`StoreError::Conflict`] (`survey.closed`) when it is no longer open.
#[allow(clippy::too_many_arguments)]
pub async fn close(
    conn: &mut AnyConnection,
    id: i64,
    state: &str,
    reason: Option<&str>,
    via: Option<&str>,
    by: Option<i64>,
    now: i64,
) -> StoreResult<()> {
    let r = sqlx::query(
        "UPDATE survey_invitations SET state = $1, state_reason = $2, answered_via = $3, answered_by = $4, \
         answered_at = $5 WHERE id = $6 AND state IN ('pending','partial')",
    )
    .bind(state)
    .bind(reason)
    .bind(via)
    .bind(by)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    if r.rows_affected() == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict("survey.closed"))
    }
}

/// Marks an open invitation as partly answered (kept open).
pub async fn mark_partial(conn: &mut AnyConnection, id: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE survey_invitations SET state = 'partial' WHERE id = $1 AND state = 'pending'",
    )
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every invitation of a customer (the owner's export), oldest first.
pub async fn of_customer(
    conn: &mut AnyConnection,
    customer_id: i64,
) -> StoreResult<Vec<InvitationRow>> {
    let sql =
        format!("SELECT {COLS} FROM survey_invitations i WHERE i.customer_id = $1 ORDER BY i.id");
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(customer_id)
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}
