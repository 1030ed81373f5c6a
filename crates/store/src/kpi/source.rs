//! The raw rows the KPI counters are computed from: a repair order with the reception
//! times of its comebacks, a complaint with its first response and first closure, and
//! the ids of the orders delivered / complaints received in a span (for a rebuild),
//! finished surveys with their scored answers and submitted audit visits.

use crate::error::StoreResult;
use futures_util::TryStreamExt;
use sqlx::{AnyConnection, Row};

/// A repair order as its KPIs need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderSource {
    /// Order id.
    pub id: i64,
    /// Station.
    pub station_id: i64,
    /// Reception, UTC ms.
    pub received_at: i64,
    /// Hand-over, UTC ms.
    pub delivered_at: Option<i64>,
    /// Promised completion, UTC ms.
    pub promised_at: Option<i64>,
    /// Reception times of the orders opened as its comeback, UTC ms.
    pub comebacks_received: Vec<i64>,
}

/// A complaint as its KPIs need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintSource {
    /// Complaint id.
    pub id: i64,
    /// The station now responsible.
    pub station_id: i64,
    /// Receipt, UTC ms.
    pub received_at: i64,
    /// First `responded` or `acknowledge` event, UTC ms.
    pub first_response_at: Option<i64>,
    /// First `close` event, UTC ms.
    pub first_closed_at: Option<i64>,
}

/// The order `id` with its comebacks, if it exists.
pub async fn order(conn: &mut AnyConnection, id: i64) -> StoreResult<Option<OrderSource>> {
    let row = sqlx::query(
        "SELECT id, station_id, received_at, delivered_at, promised_at FROM repair_orders WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let comebacks: Vec<i64> = sqlx::query_scalar(
        "SELECT received_at FROM repair_orders WHERE comeback_of = $1 ORDER BY received_at",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Some(OrderSource {
        id: r.try_get("id")?,
        station_id: r.try_get("station_id")?,
        received_at: r.try_get("received_at")?,
        delivered_at: r.try_get("delivered_at")?,
        promised_at: r.try_get("promised_at")?,
        comebacks_received: comebacks,
    }))
}

/// Every order delivered in `[from, to)` (UTC ms) with its comebacks, by id; only
/// `station`'s when given (the drill-down from a figure).
pub async fn orders_delivered(
    conn: &mut AnyConnection,
    from: i64,
    to: i64,
    station: Option<i64>,
) -> StoreResult<Vec<OrderSource>> {
    let mut rows = sqlx::query(
        "SELECT o.id AS id, o.station_id AS station_id, o.received_at AS received_at, \
         o.delivered_at AS delivered_at, o.promised_at AS promised_at, c.received_at AS comeback \
         FROM repair_orders o LEFT JOIN repair_orders c ON c.comeback_of = o.id \
         WHERE o.delivered_at >= $1 AND o.delivered_at < $2 AND ($3 = 0 OR o.station_id = $3) \
         ORDER BY o.id, c.received_at",
    )
    .bind(from)
    .bind(to)
    .bind(station.unwrap_or(0))
    .fetch(conn);
    // Streamed: a network month is a quarter of a million orders, and every row held
    // at once (as `fetch_all` holds them) costs far more than the order it becomes.
    let mut out: Vec<OrderSource> = Vec::new();
    while let Some(r) = rows.try_next().await? {
        let id: i64 = r.try_get("id")?;
        let comeback: Option<i64> = r.try_get("comeback")?;
        match out.last_mut() {
            Some(o) if o.id == id => o.comebacks_received.extend(comeback),
            _ => out.push(OrderSource {
                id,
                station_id: r.try_get("station_id")?,
                received_at: r.try_get("received_at")?,
                delivered_at: r.try_get("delivered_at")?,
                promised_at: r.try_get("promised_at")?,
                comebacks_received: comeback.into_iter().collect(),
            }),
        }
    }
    Ok(out)
}

const COMPLAINT_SELECT: &str = "SELECT c.id AS id, c.station_id AS station_id, c.received_at AS received_at, \
     (SELECT MIN(e.at) FROM complaint_events e WHERE e.complaint_id = c.id \
      AND e.kind IN ('responded', 'acknowledge')) AS first_response_at, \
     (SELECT MIN(e.at) FROM complaint_events e WHERE e.complaint_id = c.id AND e.kind = 'close') \
      AS first_closed_at FROM complaints c";

fn complaint_row(r: &sqlx::any::AnyRow) -> StoreResult<ComplaintSource> {
    Ok(ComplaintSource {
        id: r.try_get("id")?,
        station_id: r.try_get("station_id")?,
        received_at: r.try_get("received_at")?,
        first_response_at: r.try_get("first_response_at")?,
        first_closed_at: r.try_get("first_closed_at")?,
    })
}

/// The complaint `id` as its KPIs need it, if it exists.
pub async fn complaint(conn: &mut AnyConnection, id: i64) -> StoreResult<Option<ComplaintSource>> {
    let sql = format!("{COMPLAINT_SELECT} WHERE c.id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(complaint_row).transpose()
}

/// Every complaint received in `[from, to)` (UTC ms), by id; only `station`'s when
/// given.
pub async fn complaints_received(
    conn: &mut AnyConnection,
    from: i64,
    to: i64,
    station: Option<i64>,
) -> StoreResult<Vec<ComplaintSource>> {
    let sql = format!(
        "{COMPLAINT_SELECT} WHERE c.received_at >= $1 AND c.received_at < $2 \
         AND ($3 = 0 OR c.station_id = $3) ORDER BY c.id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(from)
        .bind(to)
        .bind(station.unwrap_or(0))
        .fetch_all(conn)
        .await?;
    rows.iter().map(complaint_row).collect()
}

/// A finished callback survey as its KPIs need it: where and when it counts, the
/// questionnaire version it was given on and its scored answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveySource {
    /// Invitation id.
    pub id: i64,
    /// The station the answers count for.
    pub station_id: i64,
    /// The questionnaire version.
    pub version: i64,
    /// Finished, UTC ms.
    pub answered_at: i64,
    /// `owner` or `agent`.
    pub answered_via: Option<String>,
    /// Scored answers: question key and score.
    pub scores: Vec<(String, i64)>,
}

/// Every survey finished (`answered`) in `[from, to)` (UTC ms) with its scored
/// answers, by id; only `station`'s when given (the drill-down from a figure).
pub async fn surveys_finished(
    conn: &mut AnyConnection,
    from: i64,
    to: i64,
    station: Option<i64>,
) -> StoreResult<Vec<SurveySource>> {
    let mut rows = sqlx::query(
        "SELECT i.id AS id, i.station_id AS station_id, i.version AS version, \
         i.answered_at AS answered_at, i.answered_via AS answered_via, \
         a.question_key AS question_key, a.score AS score \
         FROM survey_invitations i LEFT JOIN survey_answers a \
           ON a.invitation_id = i.id AND a.score IS NOT NULL \
         WHERE i.state = 'answered' AND i.answered_at >= $1 AND i.answered_at < $2 \
           AND ($3 = 0 OR i.station_id = $3) \
         ORDER BY i.id, a.question_key",
    )
    .bind(from)
    .bind(to)
    .bind(station.unwrap_or(0))
    .fetch(conn);
    // Streamed: a network month's surveys have 1.8 million scored answers (the
    // 1,000-station simulated year); held as rows at once they took over a gigabyte.
    let mut out: Vec<SurveySource> = Vec::new();
    while let Some(r) = rows.try_next().await? {
        let id: i64 = r.try_get("id")?;
        let key: Option<String> = r.try_get("question_key")?;
        let score: Option<i64> = r.try_get("score")?;
        let answer = key.zip(score);
        match out.last_mut() {
            Some(s) if s.id == id => s.scores.extend(answer),
            _ => out.push(SurveySource {
                id,
                station_id: r.try_get("station_id")?,
                version: r.try_get("version")?,
                answered_at: r.try_get("answered_at")?,
                answered_via: r.try_get("answered_via")?,
                scores: answer.into_iter().collect(),
            }),
        }
    }
    Ok(out)
}

/// A submitted quality-audit visit as its KPI needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditSource {
    /// Visit id.
    pub id: i64,
    /// The station audited.
    pub station_id: i64,
    /// The visit day, `YYYY-MM-DD`.
    pub visited_on: String,
    /// Checkpoints passed.
    pub passed: i64,
    /// Checkpoints failed.
    pub failed: i64,
}

/// Every submitted audit visit whose day falls in `month` (`YYYY-MM`), by id.
pub async fn audits_submitted(
    conn: &mut AnyConnection,
    month: &str,
) -> StoreResult<Vec<AuditSource>> {
    // Days are `YYYY-MM-DD` text: the month is every day from `YYYY-MM-01` up to
    // (not including) `YYYY-MM-99`, an index-friendly range on both databases.
    let rows = sqlx::query(
        "SELECT id, station_id, visited_on, passed, failed FROM audit_visits \
         WHERE state = 'submitted' AND visited_on >= $1 AND visited_on < $2 ORDER BY id",
    )
    .bind(format!("{month}-01"))
    .bind(format!("{month}-99"))
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AuditSource {
                id: r.try_get("id")?,
                station_id: r.try_get("station_id")?,
                visited_on: r.try_get("visited_on")?,
                passed: r.try_get("passed")?,
                failed: r.try_get("failed")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// The submitted audit visit `id` as its KPI needs it, if it exists and is submitted.
pub async fn audit(conn: &mut AnyConnection, id: i64) -> StoreResult<Option<AuditSource>> {
    let row = sqlx::query(
        "SELECT id, station_id, visited_on, passed, failed FROM audit_visits \
         WHERE id = $1 AND state = 'submitted'",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(AuditSource {
            id: r.try_get("id")?,
            station_id: r.try_get("station_id")?,
            visited_on: r.try_get("visited_on")?,
            passed: r.try_get("passed")?,
            failed: r.try_get("failed")?,
        })
    })
    .transpose()
    .map_err(|e: sqlx::Error| e.into())
}
