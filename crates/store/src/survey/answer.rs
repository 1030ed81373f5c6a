//! Answers: one row per invitation and question, keeping the version it was asked on.
//! Saving a question again (a partial survey continued) replaces its row.

use crate::error::StoreResult;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// One stored answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnswerRow {
    /// The invitation.
    pub invitation_id: i64,
    /// The question key.
    pub question_key: String,
    /// The questionnaire version.
    pub version: i64,
    /// A score, for scored and recommend questions.
    pub score: Option<i64>,
    /// A text, for free-text questions.
    pub text: Option<String>,
    /// When, UTC ms.
    pub answered_at: i64,
}

/// Saves (or replaces) one answer.
pub async fn save(conn: &mut AnyConnection, a: &AnswerRow) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO survey_answers (invitation_id, question_key, version, score, text, answered_at) \
         VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (invitation_id, question_key) \
         DO UPDATE SET score = excluded.score, text = excluded.text, answered_at = excluded.answered_at",
    )
    .bind(a.invitation_id)
    .bind(&a.question_key)
    .bind(a.version)
    .bind(a.score)
    .bind(a.text.as_deref())
    .bind(a.answered_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The answers of one invitation.
pub async fn of_invitation(conn: &mut AnyConnection, id: i64) -> StoreResult<Vec<AnswerRow>> {
    let rows = sqlx::query(
        "SELECT invitation_id, question_key, version, score, text, answered_at FROM survey_answers \
         WHERE invitation_id = $1 ORDER BY question_key",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AnswerRow {
                invitation_id: r.try_get("invitation_id")?,
                question_key: r.try_get("question_key")?,
                version: r.try_get("version")?,
                score: r.try_get("score")?,
                text: r.try_get("text")?,
                answered_at: r.try_get("answered_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// One answer of a finished survey, with where it counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScoredAnswer {
    /// The invitation.
    pub invitation_id: i64,
    /// Its station.
    pub station_id: i64,
    /// Its region.
    pub region_id: i64,
    /// Version.
    pub version: i64,
    /// Question key.
    pub question_key: String,
    /// Score (texts are not needed for figures).
    pub score: Option<i64>,
}

/// The answers of invitations finished (`answered`) in `[from, to)`, ordered by
/// invitation, for the month's figures.
pub async fn finished_between(
    conn: &mut AnyConnection,
    from: i64,
    to: i64,
) -> StoreResult<Vec<ScoredAnswer>> {
    let rows = sqlx::query(
        "SELECT a.invitation_id, i.station_id, i.region_id, a.version, a.question_key, a.score \
         FROM survey_answers a JOIN survey_invitations i ON i.id = a.invitation_id \
         WHERE i.state = 'answered' AND i.answered_at >= $1 AND i.answered_at < $2 AND a.score IS NOT NULL \
         ORDER BY a.invitation_id, a.question_key",
    )
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ScoredAnswer {
                invitation_id: r.try_get("invitation_id")?,
                station_id: r.try_get("station_id")?,
                region_id: r.try_get("region_id")?,
                version: r.try_get("version")?,
                question_key: r.try_get("question_key")?,
                score: r.try_get("score")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}
