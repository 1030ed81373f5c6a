//! Names for the audit log as the privacy officer reads it: who acted (a person's or
//! token's name, or the system) and which record it was about (a customer's name, a
//! staff member's name, a car's plate), looked up for a whole page at once. Names of
//! customers and plates go through the field policy like any other view, so the log
//! shows no more than the reader's role may see; the ids stay beside them.

use crate::{App, AppResult, conn};
use domain::permission::{Grant, Principal};
use domain::privacy::{Field, Purpose, Relation, shown};
use serde::Serialize;
use sqlx::AnyConnection;
use std::collections::{BTreeSet, HashMap};
pub use store::audit::AuditEntry;

/// One audit row with the names it points at.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditLine {
    /// The row as stored (ids and codes).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub entry: AuditEntry,
    /// The actor's name: a person's or an API token's; "" for the system or one not
    /// found.
    pub actor_name: String,
    /// The record as people know it (a customer's name, a plate); "" when the record
    /// has no name (an export, a setting) or is gone.
    pub record_name: String,
}

/// An actor that appears in the log, for the filter's list.
#[derive(Debug, Clone, Serialize)]
pub struct ActorChoice {
    /// `person`, `token` or `system`.
    pub kind: String,
    /// Role code (`system` for the system).
    pub role: String,
    /// Id.
    pub id: i64,
    /// Name ("" for the system).
    pub name: String,
}

/// A record that appears in the log, for the filter's list.
#[derive(Debug, Clone, Serialize)]
pub struct RecordChoice {
    /// Entity code (`customer`, `pickup`, …).
    pub entity: String,
    /// Id.
    pub id: i64,
    /// Name as in [`AuditLine::record_name`].
    pub name: String,
}

/// The table that names an actor of this kind and role.
fn actor_table(kind: &str, role: &str) -> Option<&'static str> {
    match (kind, role) {
        ("person", "owner") => Some("customer"),
        ("person", _) => Some("staff"),
        ("token", _) => Some("api_token"),
        _ => None,
    }
}

/// Names keyed by (kind, id), looked up once per kind.
struct Names(HashMap<(&'static str, i64), String>);

impl Names {
    async fn load(
        c: &mut AnyConnection,
        viewer: &Principal,
        wanted: BTreeSet<(&'static str, i64)>,
    ) -> AppResult<Names> {
        let mut by_kind: HashMap<&'static str, Vec<i64>> = HashMap::new();
        for (k, id) in wanted {
            by_kind.entry(k).or_default().push(id);
        }
        let mut out = HashMap::new();
        for (kind, ids) in by_kind {
            for (id, name) in store::privacy::audit_search::names(c, kind, &ids).await? {
                // A customer's name and a plate are personal data: the reader's role
                // decides how much of them the log shows.
                let field = match kind {
                    "customer" => Some(Field::CustomerName),
                    "vehicle" | "repair_order" | "pickup" => Some(Field::VehicleIdentity),
                    _ => None,
                };
                let name = match field {
                    Some(f) => shown(viewer.role, f, Relation::InReach, Purpose::View, &name)
                        .unwrap_or_default(),
                    None => name,
                };
                out.insert((kind, id), name);
            }
        }
        Ok(Names(out))
    }

    fn get(&self, kind: Option<&'static str>, id: i64) -> String {
        kind.and_then(|k| self.0.get(&(k, id)).cloned())
            .unwrap_or_default()
    }
}

/// The kind of named record an entity code is, when it has names.
fn record_kind(entity: &str) -> Option<&'static str> {
    ["customer", "staff", "vehicle", "repair_order", "pickup"]
        .into_iter()
        .find(|k| *k == entity)
}

/// The rows with their names.
pub(crate) async fn name_rows(
    c: &mut AnyConnection,
    viewer: &Principal,
    rows: Vec<AuditEntry>,
) -> AppResult<Vec<AuditLine>> {
    let mut wanted = BTreeSet::new();
    for r in &rows {
        if let Some(k) = actor_table(&r.actor_kind, &r.actor_role) {
            wanted.insert((k, r.actor_id));
        }
        if let Some(k) = record_kind(&r.entity) {
            wanted.insert((k, r.entity_id));
        }
    }
    let names = Names::load(c, viewer, wanted).await?;
    Ok(rows
        .into_iter()
        .map(|r| AuditLine {
            actor_name: names.get(actor_table(&r.actor_kind, &r.actor_role), r.actor_id),
            record_name: names.get(record_kind(&r.entity), r.entity_id),
            entry: r,
        })
        .collect())
}

/// The actors and records that appear in the log, named, for the filters' lists
/// (at most 1,000 of each, most recent first). Needs `AuditRead`.
pub async fn choices(app: &App, grant: &Grant) -> AppResult<(Vec<ActorChoice>, Vec<RecordChoice>)> {
    crate::network::expect(grant, domain::permission::Action::AuditRead)?;
    let mut c = conn(app).await?;
    let (actors, records) = store::privacy::audit_search::choices(&mut c, 1_000).await?;
    let mut wanted = BTreeSet::new();
    for (kind, role, id) in &actors {
        if let Some(k) = actor_table(kind, role) {
            wanted.insert((k, *id));
        }
    }
    for (entity, id) in &records {
        if let Some(k) = record_kind(entity) {
            wanted.insert((k, *id));
        }
    }
    let names = Names::load(&mut c, grant.principal(), wanted).await?;
    let actors = actors
        .into_iter()
        .map(|(kind, role, id)| ActorChoice {
            name: names.get(actor_table(&kind, &role), id),
            kind,
            role,
            id,
        })
        .collect();
    let records = records
        .into_iter()
        .map(|(entity, id)| RecordChoice {
            name: names.get(record_kind(&entity), id),
            entity,
            id,
        })
        .collect();
    Ok((actors, records))
}
