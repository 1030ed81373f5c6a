//! The audit log of whole views of personal data, reveals, caller lookups, exports
//! and refused attempts (SPEC §1; issue 21). Rows are only ever inserted.

use crate::error::StoreResult;
use crate::event::Actor;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// One audited access.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    /// When, UTC milliseconds.
    pub at: i64,
    /// `person`, `token` or `system`.
    pub actor_kind: String,
    /// Actor role code.
    pub actor_role: String,
    /// Actor id (staff, customer or token id, as `actor_kind` says).
    pub actor_id: i64,
    /// What was done, e.g. `reveal`, `identify`, `export`.
    pub action: String,
    /// Entity kind.
    pub entity: String,
    /// Entity id (0 for a list or an export).
    pub entity_id: i64,
    /// Which field was seen whole (comma-separated for an export).
    pub field: String,
    /// The reason given (purpose and note).
    pub reason: String,
    /// Rows carried, for exports.
    pub row_count: Option<i64>,
}

/// What one audit row records.
#[derive(Debug, Clone, Copy)]
pub struct AuditRow<'a> {
    /// What was done.
    pub action: &'a str,
    /// Entity kind.
    pub entity: &'a str,
    /// Entity id (0 for a list or an export).
    pub entity_id: i64,
    /// Which field (or fields).
    pub field: &'a str,
    /// Why.
    pub reason: &'a str,
    /// Rows carried, for exports.
    pub row_count: Option<i64>,
}

/// Writes one audit row.
pub async fn insert(
    conn: &mut AnyConnection,
    at: i64,
    actor: Actor<'_>,
    row: AuditRow<'_>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor_kind, actor_role, actor_id, action, entity, entity_id, field, reason, row_count) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
    )
    .bind(at)
    .bind(actor.kind)
    .bind(actor.role)
    .bind(actor.id)
    .bind(row.action)
    .bind(row.entity)
    .bind(row.entity_id)
    .bind(row.field)
    .bind(row.reason)
    .bind(row.row_count)
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes one audit row about one field of one entity.
#[allow(clippy::too_many_arguments)]
pub async fn write(
    conn: &mut AnyConnection,
    at: i64,
    actor: Actor<'_>,
    action: &str,
    entity: &str,
    entity_id: i64,
    field: &str,
    reason: &str,
) -> StoreResult<()> {
    let row = AuditRow {
        action,
        entity,
        entity_id,
        field,
        reason,
        row_count: None,
    };
    insert(conn, at, actor, row).await
}

/// How many rows of `action` this actor wrote since `since` (UTC ms): the count the
/// per-user rate limits read, so they hold across several app servers.
pub async fn count_since(
    conn: &mut AnyConnection,
    actor: Actor<'_>,
    action: &str,
    since: i64,
) -> StoreResult<i64> {
    let r = sqlx::query(
        "SELECT COUNT(*) FROM audit_log WHERE actor_role = $1 AND actor_id = $2 AND actor_kind = $3 AND action = $4 AND at >= $5",
    )
    .bind(actor.role)
    .bind(actor.id)
    .bind(actor.kind)
    .bind(action)
    .bind(since)
    .fetch_one(conn)
    .await?;
    Ok(r.try_get(0)?)
}

const COLS: &str =
    "at, actor_kind, actor_role, actor_id, action, entity, entity_id, field, reason, row_count";

fn from_row(r: &AnyRow) -> Result<AuditEntry, sqlx::Error> {
    Ok(AuditEntry {
        at: r.try_get("at")?,
        actor_kind: r.try_get("actor_kind")?,
        actor_role: r.try_get("actor_role")?,
        actor_id: r.try_get("actor_id")?,
        action: r.try_get("action")?,
        entity: r.try_get("entity")?,
        entity_id: r.try_get("entity_id")?,
        field: r.try_get("field")?,
        reason: r.try_get("reason")?,
        row_count: r.try_get("row_count")?,
    })
}

/// Audit rows about one entity, newest first.
pub async fn for_entity(
    conn: &mut AnyConnection,
    entity: &str,
    entity_id: i64,
) -> StoreResult<Vec<AuditEntry>> {
    let sql = format!(
        "SELECT {COLS} FROM audit_log WHERE entity = $1 AND entity_id = $2 ORDER BY id DESC"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(entity)
        .bind(entity_id)
        .fetch_all(conn)
        .await?;
    rows.iter().map(|r| Ok(from_row(r)?)).collect()
}
