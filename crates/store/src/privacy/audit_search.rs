//! The privacy officer's search of the audit log: by actor, customer, action, field
//! and time, newest first.

use crate::audit::AuditEntry;
use crate::error::StoreResult;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

/// What to look for; every part is optional and they all must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Actor role code.
    pub actor_role: Option<String>,
    /// Actor id (staff, customer or token id).
    pub actor_id: Option<i64>,
    /// A customer: rows about that customer record.
    pub customer_id: Option<i64>,
    /// Action code (`reveal`, `export`, `consent`, …).
    pub action: Option<String>,
    /// Field code (matched inside the comma-separated list of an export).
    pub field: Option<String>,
    /// From, UTC ms, inclusive.
    pub from: Option<i64>,
    /// Until, UTC ms, exclusive.
    pub until: Option<i64>,
}

/// Audit rows matching `q`, newest first, at most `limit`.
pub async fn search(
    conn: &mut AnyConnection,
    q: &AuditQuery,
    limit: i64,
) -> StoreResult<Vec<AuditEntry>> {
    enum B {
        S(String),
        I(i64),
    }
    let mut cond = Vec::new();
    let mut binds = Vec::new();
    let mut add = |sql: &str, b: B| {
        binds.push(b);
        cond.push(sql.replace('?', &format!("${}", binds.len())));
    };
    if let Some(r) = &q.actor_role {
        add("actor_role = ?", B::S(r.clone()));
    }
    if let Some(i) = q.actor_id {
        add("actor_id = ?", B::I(i));
    }
    if let Some(c) = q.customer_id {
        add("entity = 'customer' AND entity_id = ?", B::I(c));
    }
    if let Some(a) = &q.action {
        add("action = ?", B::S(a.clone()));
    }
    if let Some(f) = &q.field {
        // Exports list several fields: match one whole item of the list.
        add(
            "(',' || field || ',') LIKE ?",
            B::S(format!("%,{},%", f.replace(['%', '_', ','], ""))),
        );
    }
    if let Some(t) = q.from {
        add("at >= ?", B::I(t));
    }
    if let Some(t) = q.until {
        add("at < ?", B::I(t));
    }
    let wh = if cond.is_empty() {
        "1 = 1".to_string()
    } else {
        cond.join(" AND ")
    };
    let sql = format!(
        "SELECT at, actor_kind, actor_role, actor_id, action, entity, entity_id, field, reason, row_count \
         FROM audit_log WHERE {wh} ORDER BY id DESC LIMIT {}",
        limit.clamp(1, 10_000)
    );
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for b in binds {
        query = match b {
            B::S(s) => query.bind(s),
            B::I(i) => query.bind(i),
        };
    }
    let rows = query.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
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
        })
        .collect()
}
