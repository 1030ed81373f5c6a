//! What closing needs, as stored: the three zeros and the follow-up of each clock;
//! and what settles a complaint along the way: goodwill. Attachments are in
//! [`super::attachment`].

use crate::error::StoreResult;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// One zero as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct ZeroRow {
    /// `complaint`, `management`, `technical`.
    pub zero: String,
    /// `done` or `not_applicable`.
    pub status: String,
    /// Evidence or reason.
    pub text: String,
    /// When.
    pub at: i64,
}

/// Records (or replaces, before closing) one zero of a clock.
#[allow(clippy::too_many_arguments)]
pub async fn set_zero(
    conn: &mut AnyConnection,
    complaint_id: i64,
    clock_no: i64,
    zero: &str,
    status: &str,
    text: &str,
    at: i64,
    by: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO complaint_zeros (complaint_id, clock_no, zero, status, text, at, by_id) VALUES ($1,$2,$3,$4,$5,$6,$7) \
         ON CONFLICT (complaint_id, clock_no, zero) DO UPDATE SET status = excluded.status, text = excluded.text, \
         at = excluded.at, by_id = excluded.by_id",
    )
    .bind(complaint_id)
    .bind(clock_no)
    .bind(zero)
    .bind(status)
    .bind(text)
    .bind(at)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// The zeros of a clock.
pub async fn zeros(
    conn: &mut AnyConnection,
    complaint_id: i64,
    clock_no: i64,
) -> StoreResult<Vec<ZeroRow>> {
    let rows = sqlx::query("SELECT zero, status, text, at FROM complaint_zeros WHERE complaint_id = $1 AND clock_no = $2 ORDER BY zero")
        .bind(complaint_id)
        .bind(clock_no)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(ZeroRow {
                zero: r.try_get("zero")?,
                status: r.try_get("status")?,
                text: r.try_get("text")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}

/// The follow-up of a clock.
#[derive(Debug, Clone, Serialize)]
pub struct FollowUpRow {
    /// 1–5.
    pub satisfaction: i64,
    /// Whether the customer accepts the closure.
    pub accepts_closure: bool,
    /// Notes of the call.
    pub note: String,
    /// When.
    pub at: i64,
}

/// Records (or replaces) the follow-up of a clock.
#[allow(clippy::too_many_arguments)]
pub async fn set_follow_up(
    conn: &mut AnyConnection,
    complaint_id: i64,
    clock_no: i64,
    satisfaction: i64,
    accepts: bool,
    note: &str,
    at: i64,
    by: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO complaint_follow_ups (complaint_id, clock_no, satisfaction, accepts_closure, note, at, by_id) \
         VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (complaint_id, clock_no) DO UPDATE SET \
         satisfaction = excluded.satisfaction, accepts_closure = excluded.accepts_closure, note = excluded.note, \
         at = excluded.at, by_id = excluded.by_id",
    )
    .bind(complaint_id)
    .bind(clock_no)
    .bind(satisfaction)
    .bind(i64::from(accepts))
    .bind(note)
    .bind(at)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// The follow-up of a clock, if made.
pub async fn follow_up(
    conn: &mut AnyConnection,
    complaint_id: i64,
    clock_no: i64,
) -> StoreResult<Option<FollowUpRow>> {
    let r = sqlx::query("SELECT satisfaction, accepts_closure, note, at FROM complaint_follow_ups WHERE complaint_id = $1 AND clock_no = $2")
        .bind(complaint_id)
        .bind(clock_no)
        .fetch_optional(conn)
        .await?;
    r.map(|r| {
        Ok(FollowUpRow {
            satisfaction: r.try_get("satisfaction")?,
            accepts_closure: r.try_get::<i64, _>("accepts_closure")? != 0,
            note: r.try_get("note")?,
            at: r.try_get("at")?,
        })
    })
    .transpose()
}

/// One goodwill grant.
#[derive(Debug, Clone, Serialize)]
pub struct GoodwillRow {
    /// Id.
    pub id: i64,
    /// `money`, `parts`, `free_service`.
    pub kind: String,
    /// Value in fen.
    pub value_fen: i64,
    /// What exactly.
    pub note: String,
    /// Approver's role code.
    pub approved_role: String,
    /// When.
    pub at: i64,
}

/// Records an approved goodwill grant.
#[allow(clippy::too_many_arguments)]
pub async fn add_goodwill(
    conn: &mut AnyConnection,
    complaint_id: i64,
    kind: &str,
    value_fen: i64,
    note: &str,
    by: i64,
    role: &str,
    at: i64,
) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO complaint_goodwill (complaint_id, kind, value_fen, note, approved_by, approved_role, at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id",
    )
    .bind(complaint_id)
    .bind(kind)
    .bind(value_fen)
    .bind(note)
    .bind(by)
    .bind(role)
    .bind(at)
    .fetch_one(conn)
    .await?)
}

/// The goodwill of a complaint.
pub async fn goodwill(
    conn: &mut AnyConnection,
    complaint_id: i64,
) -> StoreResult<Vec<GoodwillRow>> {
    let rows = sqlx::query("SELECT id, kind, value_fen, note, approved_role, at FROM complaint_goodwill WHERE complaint_id = $1 ORDER BY id")
        .bind(complaint_id)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(GoodwillRow {
                id: r.try_get("id")?,
                kind: r.try_get("kind")?,
                value_fen: r.try_get("value_fen")?,
                note: r.try_get("note")?,
                approved_role: r.try_get("approved_role")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}
