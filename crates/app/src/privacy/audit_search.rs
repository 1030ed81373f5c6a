//! The privacy officer's search of the audit log (issue 21): by actor, customer,
//! action, field and date range, on a console page and as a CSV download. The
//! download is itself one audit row (`export` of `audit_log`, with its row count), so
//! who read the log is in the log.

pub use super::audit_names::AuditLine;
use super::audit_names::name_rows;
use crate::input::{Loose, opt_date, opt_int, opt_text};
use crate::network::expect;
use crate::{App, AppError, AppResult, actor, conn};
use domain::Violations;
use domain::permission::{Action, Grant};
use jiff::civil::Date;
use serde::Deserialize;
pub use store::audit::AuditEntry;
use store::privacy::audit_search::AuditQuery;

/// The action that searches and exports the audit log (the privacy officer and the
/// administrator).
pub const READ: Action = Action::AuditRead;

/// Rows a search shows at most.
pub const SHOWN: i64 = 500;
/// Rows a download carries at most.
pub const EXPORTED: i64 = 10_000;

/// What the officer asks for; every part optional.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AuditFilter {
    /// Actor role code (`service_advisor`, `owner`, …).
    #[schema(value_type = Option<String>)]
    pub actor_role: Loose,
    /// Actor id.
    #[schema(value_type = Option<i64>)]
    pub actor_id: Loose,
    /// Customer id: rows about that customer.
    #[schema(value_type = Option<i64>)]
    pub customer_id: Loose,
    /// Any record: `entity:id` (`pickup:12`, `staff:3`).
    #[schema(value_type = Option<String>)]
    pub record: Loose,
    /// Action code (`reveal`, `export`, `consent`, `identify`, …).
    #[schema(value_type = Option<String>)]
    pub action: Loose,
    /// Field code (`phone`, `address`, `marketing`, …).
    #[schema(value_type = Option<String>)]
    pub field: Loose,
    /// First day, `YYYY-MM-DD` (China time), inclusive.
    #[schema(value_type = Option<String>, format = Date)]
    pub from: Loose,
    /// Last day, `YYYY-MM-DD` (China time), inclusive.
    #[schema(value_type = Option<String>, format = Date)]
    pub to: Loose,
}

fn day_start(d: Date) -> AppResult<i64> {
    let tz =
        jiff::tz::TimeZone::get("Asia/Shanghai").map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(d.to_zoned(tz)
        .map_err(|e| AppError::Internal(e.to_string()))?
        .timestamp()
        .as_millisecond())
}

/// The earliest day a search of the audit log may name.
pub const EARLIEST_DAY: Date = Date::constant(2000, 1, 1);
/// The latest day a search of the audit log may name.
pub const LATEST_DAY: Date = Date::constant(2099, 12, 31);

/// `entity:id` with a code of lower-case letters and underscores and a positive id.
fn parse_record(s: &str) -> Option<(String, i64)> {
    let (e, id) = s.split_once(':')?;
    let id: i64 = id.parse().ok().filter(|i| *i > 0)?;
    (!e.is_empty() && e.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .then(|| (e.to_string(), id))
}

fn parse(f: &AuditFilter) -> AppResult<AuditQuery> {
    let mut v = Violations::new();
    let role = opt_text(&mut v, "actor_role", &f.actor_role, 40).flatten();
    if let Some(r) = &role
        && r != "system"
        && domain::role::Role::from_code(r).is_none()
    {
        v.push(domain::Violation::new("actor_role", "audit.actor_role"));
    }
    let actor_id = opt_int(&mut v, "actor_id", &f.actor_id, 0, i64::MAX).flatten();
    let customer_id = opt_int(&mut v, "customer_id", &f.customer_id, 1, i64::MAX).flatten();
    let record = opt_text(&mut v, "record", &f.record, 60)
        .flatten()
        .and_then(|r| match parse_record(&r) {
            Some(x) => Some(x),
            None => {
                v.push(domain::Violation::new("record", "audit.record"));
                None
            }
        });
    let action = opt_text(&mut v, "action", &f.action, 40).flatten();
    let field = opt_text(&mut v, "field", &f.field, 40).flatten();
    // The log began with the product; a bound past any row's day keeps "the day after
    // `to`" computable (9999-12-31 has none and answered 500).
    let from = opt_date(&mut v, "from", &f.from, EARLIEST_DAY, LATEST_DAY).flatten();
    let to = opt_date(&mut v, "to", &f.to, EARLIEST_DAY, LATEST_DAY).flatten();
    if let (Some(a), Some(b)) = (from, to)
        && b < a
    {
        v.push(domain::Violation::new("to", "audit.range"));
    }
    v.into_result()?;
    let until = match to {
        Some(d) => Some(day_start(
            d.tomorrow()
                .map_err(|e| AppError::Internal(e.to_string()))?,
        )?),
        None => None,
    };
    Ok(AuditQuery {
        actor_role: role,
        actor_id,
        customer_id,
        record,
        action,
        field,
        from: from.map(day_start).transpose()?,
        until,
    })
}

/// Audit rows matching the filter, newest first (at most [`SHOWN`]). Needs [`READ`].
/// Each row carries the actor's and the record's names beside their ids.
pub async fn search(app: &App, grant: &Grant, f: &AuditFilter) -> AppResult<Vec<AuditLine>> {
    expect(grant, READ)?;
    let q = parse(f)?;
    let mut c = conn(app).await?;
    let rows = store::privacy::audit_search::search(&mut c, &q, SHOWN).await?;
    name_rows(&mut c, grant.principal(), rows).await
}

/// The columns the audit page may be sorted by (see `store`'s whitelist).
pub const AUDIT_ORDERS: &[(&str, &str)] = store::privacy::audit_search::AUDIT_ORDERS;

/// One page of the audit rows matching the filter, in the order a person chose from
/// [`AUDIT_ORDERS`] (newest first otherwise), with the count of all matching rows, so
/// the page can offer numbered pages instead of cutting the list off. Needs [`READ`].
pub async fn search_page(
    app: &App,
    grant: &Grant,
    f: &AuditFilter,
    page: crate::Page,
    order: Option<crate::Order>,
) -> AppResult<crate::Paged<AuditLine>> {
    expect(grant, READ)?;
    let q = parse(f)?;
    let mut c = conn(app).await?;
    let rows = store::privacy::audit_search::search_page(&mut c, &q, order, page).await?;
    let items = name_rows(&mut c, grant.principal(), rows.items).await?;
    Ok(crate::Paged {
        items,
        total: rows.total,
        page: rows.page,
        per_page: rows.per_page,
    })
}

/// The rows matching the filter as CSV (at most [`EXPORTED`]), and one audit row for
/// the download itself with its row count. Needs [`READ`].
pub async fn export(app: &App, grant: &Grant, f: &AuditFilter) -> AppResult<String> {
    expect(grant, READ)?;
    let q = parse(f)?;
    let mut c = conn(app).await?;
    let rows = store::privacy::audit_search::search(&mut c, &q, EXPORTED).await?;
    let rows = name_rows(&mut c, grant.principal(), rows).await?;
    drop(c);
    let mut out = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| AppError::Internal(format!("audit export: {e}"));
    out.write_record([
        "at",
        "actor_kind",
        "actor_role",
        "actor_id",
        "actor_name",
        "action",
        "entity",
        "entity_id",
        "record_name",
        "field",
        "reason",
        "row_count",
    ])
    .map_err(err)?;
    for line in &rows {
        let r = &line.entry;
        let at = jiff::Timestamp::from_millisecond(r.at)
            .map(|t| t.to_string())
            .unwrap_or_default();
        out.write_record([
            at,
            r.actor_kind.clone(),
            r.actor_role.clone(),
            r.actor_id.to_string(),
            line.actor_name.clone(),
            r.action.clone(),
            r.entity.clone(),
            r.entity_id.to_string(),
            line.record_name.clone(),
            r.field.clone(),
            r.reason.clone(),
            r.row_count.map(|n| n.to_string()).unwrap_or_default(),
        ])
        .map_err(err)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| AppError::Internal(format!("audit export: {e}")))?;
    let row = store::audit::AuditRow {
        action: "export",
        entity: "audit_log",
        entity_id: 0,
        field: "actor,reason",
        reason: "csv",
        row_count: Some(rows.len() as i64),
    };
    crate::transaction::run(app, "privacy.audit_export", move |mut tx| async move {
        store::audit::insert(&mut tx, app.now_ms(), actor(grant), row).await?;
        Ok((tx, ()))
    })
    .await?;
    String::from_utf8(bytes).map_err(|e| AppError::Internal(e.to_string()))
}
