//! The event log: every state change with who, when, what and why. Never rewritten.

use crate::error::StoreResult;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// Who did something.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    /// Role code of the actor (`system` for the server itself).
    pub role: &'a str,
    /// Staff, customer or token id; 0 for the system.
    pub id: i64,
    /// `person`, `token` or `system` (see `domain::permission::ActorKind`), so a
    /// token's actions are never taken for those of the person sharing its id.
    pub kind: &'a str,
}

impl Actor<'_> {
    /// The server acting on its own (timers, imports).
    pub const SYSTEM: Actor<'static> = Actor {
        role: "system",
        id: 0,
        kind: "system",
    };
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// Event id (ascending in time).
    pub id: i64,
    /// When, UTC milliseconds.
    pub at: i64,
    /// Actor role code.
    pub actor_role: String,
    /// Actor id.
    pub actor_id: i64,
    /// Entity kind, e.g. `station`.
    pub entity: String,
    /// Entity id.
    pub entity_id: i64,
    /// What happened, e.g. `status_changed`.
    pub kind: String,
    /// Details as JSON.
    pub data: serde_json::Value,
    /// Why, when a reason was given.
    pub reason: Option<String>,
}

/// Records one event.
#[allow(clippy::too_many_arguments)]
pub async fn record(
    conn: &mut AnyConnection,
    at: i64,
    actor: Actor<'_>,
    entity: &str,
    entity_id: i64,
    kind: &str,
    data: &serde_json::Value,
    reason: Option<&str>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO events (at, actor_role, actor_id, entity, entity_id, kind, data, reason) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
    )
    .bind(at)
    .bind(actor.role)
    .bind(actor.id)
    .bind(entity)
    .bind(entity_id)
    .bind(kind)
    .bind(data.to_string())
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(())
}

/// The events of one entity, oldest first.
pub async fn for_entity(
    conn: &mut AnyConnection,
    entity: &str,
    entity_id: i64,
) -> StoreResult<Vec<Event>> {
    let rows = sqlx::query(
        "SELECT id, at, actor_role, actor_id, entity, entity_id, kind, data, reason FROM events WHERE entity = $1 AND entity_id = $2 ORDER BY id",
    )
    .bind(entity)
    .bind(entity_id)
    .fetch_all(conn)
    .await?;
    rows_to_events(&rows)
}

/// The events of one entity whose kind is one of `kinds`, oldest first: what a use
/// case rebuilds state from, without reading the rest of a long timeline.
pub async fn for_entity_of_kinds(
    conn: &mut AnyConnection,
    entity: &str,
    entity_id: i64,
    kinds: &[&str],
) -> StoreResult<Vec<Event>> {
    let placeholders: Vec<String> = (0..kinds.len()).map(|i| format!("${}", i + 3)).collect();
    let sql = format!(
        "SELECT id, at, actor_role, actor_id, entity, entity_id, kind, data, reason FROM events WHERE entity = $1 AND entity_id = $2 AND kind IN ({}) ORDER BY id",
        placeholders.join(",")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(entity)
        .bind(entity_id);
    for kind in kinds {
        query = query.bind(*kind);
    }
    let rows = query.fetch_all(conn).await?;
    rows_to_events(&rows)
}

fn rows_to_events(rows: &[sqlx::any::AnyRow]) -> StoreResult<Vec<Event>> {
    rows.iter()
        .map(|r| {
            let data: String = r.try_get("data")?;
            Ok(Event {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                actor_role: r.try_get("actor_role")?,
                actor_id: r.try_get("actor_id")?,
                entity: r.try_get("entity")?,
                entity_id: r.try_get("entity_id")?,
                kind: r.try_get("kind")?,
                data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
                reason: r.try_get("reason")?,
            })
        })
        .collect()
}
