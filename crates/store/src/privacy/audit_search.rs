//! The privacy officer's search of the audit log: by actor, customer, action, field
//! and time, newest first.

use crate::audit::AuditEntry;
use crate::error::StoreResult;
use crate::query::{Bind, Order, bind_all, page_of};
use crate::{Page, Paged};
use sqlx::any::AnyRow;
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
    /// Any record: rows about that entity and id.
    pub record: Option<(String, i64)>,
    /// Action code (`reveal`, `export`, `consent`, …).
    pub action: Option<String>,
    /// Field code (matched inside the comma-separated list of an export).
    pub field: Option<String>,
    /// From, UTC ms, inclusive.
    pub from: Option<i64>,
    /// Until, UTC ms, exclusive.
    pub until: Option<i64>,
}

/// The columns an audit list may be sorted by: (key in the page's link, SQL column).
pub const AUDIT_ORDERS: &[(&str, &str)] = &[
    ("at", "at"),
    ("actor", "actor_role"),
    ("action", "action"),
    ("record", "entity"),
    ("field", "field"),
];

/// The columns every audit read returns.
const COLUMNS: &str =
    "at, actor_kind, actor_role, actor_id, action, entity, entity_id, field, reason, row_count";

/// The `WHERE` text and its binds for `q`.
fn where_of(q: &AuditQuery) -> (String, Vec<Bind>) {
    let mut cond = Vec::new();
    let mut binds = Vec::new();
    let mut add = |sql: &str, b: Bind| {
        binds.push(b);
        cond.push(sql.replace('?', &format!("${}", binds.len())));
    };
    if let Some(r) = &q.actor_role {
        add("actor_role = ?", Bind::S(r.clone()));
    }
    if let Some(i) = q.actor_id {
        add("actor_id = ?", Bind::I(i));
    }
    if let Some(c) = q.customer_id {
        add("entity = 'customer' AND entity_id = ?", Bind::I(c));
    }
    if let Some((e, i)) = &q.record {
        add("entity = ?", Bind::S(e.clone()));
        add("entity_id = ?", Bind::I(*i));
    }
    if let Some(a) = &q.action {
        add("action = ?", Bind::S(a.clone()));
    }
    if let Some(f) = &q.field {
        // Exports list several fields: match one whole item of the list.
        add(
            "(',' || field || ',') LIKE ?",
            Bind::S(format!("%,{},%", f.replace(['%', '_', ','], ""))),
        );
    }
    if let Some(t) = q.from {
        add("at >= ?", Bind::I(t));
    }
    if let Some(t) = q.until {
        add("at < ?", Bind::I(t));
    }
    let wh = if cond.is_empty() {
        "1 = 1".to_string()
    } else {
        cond.join(" AND ")
    };
    (wh, binds)
}

fn entry_of(r: &AnyRow) -> Result<AuditEntry, sqlx::Error> {
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

/// Audit rows matching `q`, newest first, at most `limit` (the download).
pub async fn search(
    conn: &mut AnyConnection,
    q: &AuditQuery,
    limit: i64,
) -> StoreResult<Vec<AuditEntry>> {
    let (wh, binds) = where_of(q);
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_log WHERE {wh} ORDER BY id DESC LIMIT {}",
        limit.clamp(1, 10_000)
    );
    let rows = bind_all(sqlx::query(AssertSqlSafe(sql)), &binds)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| entry_of(r).map_err(Into::into))
        .collect()
}

/// One page of the rows matching `q`, in the order a person chose (one of
/// [`AUDIT_ORDERS`]; newest first otherwise), with the count of all of them.
pub async fn search_page(
    conn: &mut AnyConnection,
    q: &AuditQuery,
    order: Option<Order>,
    page: Page,
) -> StoreResult<Paged<AuditEntry>> {
    let (wh, binds) = where_of(q);
    let order = order.map_or_else(|| "id DESC".to_string(), |o| o.sql("id DESC"));
    page_of(
        conn,
        COLUMNS,
        "FROM audit_log",
        &wh,
        &order,
        &binds,
        page,
        entry_of,
    )
    .await
}

/// The SQL that names records of one kind (`$ids` replaced by the id list): customers
/// and staff by name, API tokens by their name, vehicles, orders and pick-ups by the
/// car's plate (else its VIN). `None` for a kind without names (exports, settings).
fn names_sql(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "customer" => "SELECT id, name FROM customers WHERE id IN ($ids)",
        "staff" => "SELECT id, name FROM staff WHERE id IN ($ids)",
        "api_token" => "SELECT id, name FROM api_tokens WHERE id IN ($ids)",
        "vehicle" => "SELECT id, COALESCE(plate, vin) AS name FROM vehicles WHERE id IN ($ids)",
        "repair_order" => {
            "SELECT r.id, COALESCE(v.plate, v.vin) AS name FROM repair_orders r \
             JOIN vehicles v ON v.id = r.vehicle_id WHERE r.id IN ($ids)"
        }
        "pickup" => {
            "SELECT p.id, COALESCE(v.plate, v.vin) AS name FROM pickups p \
             JOIN vehicles v ON v.id = p.vehicle_id WHERE p.id IN ($ids)"
        }
        _ => return None,
    })
}

/// The names of records of `kind` with these ids (see [`names_sql`]); ids without a
/// record, and kinds without names, are left out. The ids are numbers written into the
/// statement, so no text of a caller's reaches the SQL.
pub async fn names(
    conn: &mut AnyConnection,
    kind: &str,
    ids: &[i64],
) -> StoreResult<Vec<(i64, String)>> {
    let Some(sql) = names_sql(kind) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let list = chunk
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let rows = sqlx::query(AssertSqlSafe(sql.replace("$ids", &list)))
            .fetch_all(&mut *conn)
            .await?;
        for r in rows {
            out.push((r.try_get("id")?, r.try_get("name")?));
        }
    }
    Ok(out)
}

/// Who appears as an actor in the log, and which records it is about, for the
/// filters' lists: (kind, role, id) of actors and (entity, id) of records with an id,
/// most recent first, at most `limit` of each.
pub async fn choices(
    conn: &mut AnyConnection,
    limit: i64,
) -> StoreResult<(Vec<(String, String, i64)>, Vec<(String, i64)>)> {
    let limit = limit.clamp(1, 5_000);
    let actors = sqlx::query(AssertSqlSafe(format!(
        "SELECT actor_kind, actor_role, actor_id FROM audit_log \
         GROUP BY actor_kind, actor_role, actor_id ORDER BY MAX(id) DESC LIMIT {limit}"
    )))
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok((
            r.try_get("actor_kind")?,
            r.try_get("actor_role")?,
            r.try_get("actor_id")?,
        ))
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let records = sqlx::query(AssertSqlSafe(format!(
        "SELECT entity, entity_id FROM audit_log WHERE entity_id > 0 \
         GROUP BY entity, entity_id ORDER BY MAX(id) DESC LIMIT {limit}"
    )))
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| Ok((r.try_get("entity")?, r.try_get("entity_id")?)))
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok((actors, records))
}
