//! The owner's correction and deletion requests, and the anonymisation a completed
//! deletion carries out (only on classes without a legal hold).

use crate::error::StoreResult;
use domain::privacy::request::Scope;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// One request as stored.
#[derive(Debug, Clone, Serialize)]
pub struct RequestRow {
    /// Id.
    pub id: i64,
    /// The owner.
    pub customer_id: i64,
    /// `correction` or `deletion`.
    pub kind: String,
    /// Scope codes, comma-separated (deletion).
    pub scopes: String,
    /// Ground code (deletion).
    pub ground: Option<String>,
    /// The owner's text.
    pub detail: String,
    /// `open`, `escalated`, `done`, `refused`.
    pub state: String,
    /// Filed, UTC ms.
    pub filed_at: i64,
    /// Due, UTC ms.
    pub due_at: i64,
    /// Escalated, UTC ms.
    pub escalated_at: Option<i64>,
    /// Answered, UTC ms.
    pub answered_at: Option<i64>,
    /// Head office's answer.
    pub answer: Option<String>,
    /// Per scope what was done, JSON: `[["contact","erased"],["bills","kept:accounting"]]`.
    pub outcome: Option<String>,
}

const COLUMNS: &str = "id, customer_id, kind, scopes, ground, detail, state, filed_at, due_at, \
                       escalated_at, answered_at, answer, outcome";

fn from_row(r: &AnyRow) -> Result<RequestRow, sqlx::Error> {
    Ok(RequestRow {
        id: r.try_get("id")?,
        customer_id: r.try_get("customer_id")?,
        kind: r.try_get("kind")?,
        scopes: r.try_get("scopes")?,
        ground: r.try_get("ground")?,
        detail: r.try_get("detail")?,
        state: r.try_get("state")?,
        filed_at: r.try_get("filed_at")?,
        due_at: r.try_get("due_at")?,
        escalated_at: r.try_get("escalated_at")?,
        answered_at: r.try_get("answered_at")?,
        answer: r.try_get("answer")?,
        outcome: r.try_get("outcome")?,
    })
}

/// What a new request stores.
#[derive(Debug, Clone, Copy)]
pub struct NewRequest<'a> {
    /// The owner.
    pub customer_id: i64,
    /// Kind code.
    pub kind: &'a str,
    /// Scope codes, comma-separated.
    pub scopes: &'a str,
    /// Ground code.
    pub ground: Option<&'a str>,
    /// Owner's text.
    pub detail: &'a str,
    /// Filed, UTC ms.
    pub filed_at: i64,
    /// Due, UTC ms.
    pub due_at: i64,
}

/// Stores a new open request; returns its id.
pub async fn insert(conn: &mut AnyConnection, r: &NewRequest<'_>) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO privacy_requests (customer_id, kind, scopes, ground, detail, state, filed_at, due_at) \
         VALUES ($1,$2,$3,$4,$5,'open',$6,$7) RETURNING id",
    )
    .bind(r.customer_id)
    .bind(r.kind)
    .bind(r.scopes)
    .bind(r.ground)
    .bind(r.detail)
    .bind(r.filed_at)
    .bind(r.due_at)
    .fetch_one(conn)
    .await?)
}

/// One request.
pub async fn get(conn: &mut AnyConnection, id: i64) -> StoreResult<Option<RequestRow>> {
    let sql = format!("SELECT {COLUMNS} FROM privacy_requests WHERE id = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(r.map(|r| from_row(&r)).transpose()?)
}

/// One owner's requests, newest first.
pub async fn for_customer(
    conn: &mut AnyConnection,
    customer_id: i64,
) -> StoreResult<Vec<RequestRow>> {
    let sql =
        format!("SELECT {COLUMNS} FROM privacy_requests WHERE customer_id = $1 ORDER BY id DESC");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(customer_id)
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// The queue: waiting requests first (earliest due first), then the latest answered.
pub async fn queue(conn: &mut AnyConnection, limit: i64) -> StoreResult<Vec<RequestRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM privacy_requests \
         ORDER BY CASE WHEN state IN ('open','escalated') THEN 0 ELSE 1 END, \
         CASE WHEN state IN ('open','escalated') THEN due_at ELSE -id END LIMIT $1"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(limit)
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// The columns head office's queue may be sorted by: (key in the page's link, SQL
/// column).
pub const REQUEST_ORDERS: &[(&str, &str)] = &[
    ("filed", "filed_at"),
    ("due", "due_at"),
    ("kind", "kind"),
    ("state", "state"),
];

/// The queue's own order: waiting requests first, the earliest due first; answered
/// ones after, newest first.
const QUEUE_ORDER: &str = "CASE WHEN state IN ('open','escalated') THEN 0 ELSE 1 END, \
     CASE WHEN state IN ('open','escalated') THEN due_at ELSE -id END, id";

/// One page of every request, in the order a person chose (one of
/// [`REQUEST_ORDERS`]) or the queue's own, with the count of all of them.
pub async fn queue_page(
    conn: &mut AnyConnection,
    order: Option<crate::query::Order>,
    page: crate::Page,
) -> StoreResult<crate::Paged<RequestRow>> {
    let order = order.map_or_else(|| QUEUE_ORDER.to_string(), |o| o.sql("id"));
    crate::query::page_of(
        conn,
        COLUMNS,
        "FROM privacy_requests",
        "1 = 1",
        &order,
        &[],
        page,
        from_row,
    )
    .await
}

/// Moves a request from one of `from` to `to`, guarded so two answers cannot both
/// win; answers whether it moved.
pub async fn set_state(
    conn: &mut AnyConnection,
    id: i64,
    from: &[&str],
    to: &str,
    now: i64,
    answer: Option<(&str, i64, &str)>,
) -> StoreResult<bool> {
    let list = from
        .iter()
        .map(|s| format!("'{}'", s.replace('\'', "")))
        .collect::<Vec<_>>()
        .join(",");
    let n = match answer {
        None => {
            let sql = format!(
                "UPDATE privacy_requests SET state = $1, escalated_at = $2 WHERE id = $3 AND state IN ({list})"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(to)
                .bind(now)
                .bind(id)
                .execute(conn)
                .await?
        }
        Some((text, by, outcome)) => {
            let sql = format!(
                "UPDATE privacy_requests SET state = $1, answered_at = $2, answer = $3, answered_by = $4, outcome = $5 \
                 WHERE id = $6 AND state IN ({list})"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(to)
                .bind(now)
                .bind(text)
                .bind(by)
                .bind(outcome)
                .bind(id)
                .execute(conn)
                .await?
        }
    };
    Ok(n.rows_affected() == 1)
}

/// Anonymises one class of an owner's records (never a class under a legal hold:
/// those are refused here too, so no caller can erase them by mistake). Answers the
/// rows changed.
pub async fn erase(
    conn: &mut AnyConnection,
    customer_id: i64,
    scope: Scope,
    now: i64,
) -> StoreResult<u64> {
    let statements: &[&str] = match scope {
        Scope::Contact => &[
            // The phone is unique and required: a placeholder no person can have.
            "UPDATE customers SET name = '—', phone = 'erased-' || CAST(id AS TEXT), id_number = NULL, \
             quiet_hours = NULL, consent_service = 0, consent_marketing = 0, club_member = 0 WHERE id = $1",
            "UPDATE follow_ups SET note = NULL WHERE customer_id = $1",
            "UPDATE calendar_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE customer_id = $1",
        ],
        Scope::Appointments => {
            &["UPDATE appointments SET concern = NULL, cancel_reason = NULL WHERE customer_id = $1"]
        }
        Scope::Pickups => &[
            "UPDATE pickups SET address = '', confirmed_by = NULL, signature_ref = NULL WHERE customer_id = $1",
        ],
        Scope::Ratings => &[
            "UPDATE ratings SET comment = NULL WHERE repair_order_id IN (SELECT id FROM repair_orders WHERE customer_id = $1)",
        ],
        Scope::Messages => &["DELETE FROM inbox_messages WHERE customer_id = $1"],
        Scope::RepairOrders | Scope::Bills | Scope::AuditLog => &[],
    };
    let mut n = 0;
    for sql in statements {
        // Every statement names $1; those that also use $2 get `now`.
        let q = sqlx::query(sqlx::AssertSqlSafe(*sql)).bind(customer_id);
        let q = if sql.contains("$2") { q.bind(now) } else { q };
        n += q.execute(&mut *conn).await?.rows_affected();
    }
    if scope == Scope::Messages {
        n += super::retention::redact_customer(conn, customer_id, now).await?;
    }
    Ok(n)
}
