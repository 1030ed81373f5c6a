//! The audit log of whole views of personal data (SPEC §1).

use crate::error::StoreResult;
use crate::event::Actor;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// One audited access.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    /// When, UTC milliseconds.
    pub at: i64,
    /// Actor role code.
    pub actor_role: String,
    /// Actor id.
    pub actor_id: i64,
    /// What was done, e.g. `reveal`.
    pub action: String,
    /// Entity kind.
    pub entity: String,
    /// Entity id.
    pub entity_id: i64,
    /// Which field was seen whole.
    pub field: String,
    /// The reason given.
    pub reason: String,
}

/// Writes one audit row.
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
    sqlx::query(
        "INSERT INTO audit_log (at, actor_role, actor_id, action, entity, entity_id, field, reason) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
    )
    .bind(at)
    .bind(actor.role)
    .bind(actor.id)
    .bind(action)
    .bind(entity)
    .bind(entity_id)
    .bind(field)
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(())
}

/// Audit rows about one entity, newest first.
pub async fn for_entity(
    conn: &mut AnyConnection,
    entity: &str,
    entity_id: i64,
) -> StoreResult<Vec<AuditEntry>> {
    let rows = sqlx::query(
        "SELECT at, actor_role, actor_id, action, entity, entity_id, field, reason FROM audit_log WHERE entity = $1 AND entity_id = $2 ORDER BY id DESC",
    )
    .bind(entity)
    .bind(entity_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AuditEntry {
                at: r.try_get("at")?,
                actor_role: r.try_get("actor_role")?,
                actor_id: r.try_get("actor_id")?,
                action: r.try_get("action")?,
                entity: r.try_get("entity")?,
                entity_id: r.try_get("entity_id")?,
                field: r.try_get("field")?,
                reason: r.try_get("reason")?,
            })
        })
        .collect()
}
