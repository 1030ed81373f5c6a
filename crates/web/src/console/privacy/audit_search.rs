//! The privacy officer's audit search page: filter by actor and record (searchable
//! selects of the names in the log), action, field and days; download the same rows
//! as CSV with ids and names (the download is audited itself). Rows show names, not
//! ids: who acted (name, type, role), the record (a customer's name, a plate), the
//! fields as translated labels.

use crate::AppState;
use crate::api::privacy::audit_search::filter;
use crate::console::chrome::{Chrome, ListQuery, Pager, SortHeader, show_time};
use crate::console::form::{error_page, render, violations_text};
use crate::console::select::SearchSelect;
use crate::console::session::ConsoleUser;
use app::privacy::audit_search::AuditLine;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::collections::HashMap;

/// Routes of the audit search page.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/audit", get(page))
        .route("/console/audit/export", get(export))
}

/// The actions the audit log records, for the filter's list.
const ACTIONS: [&str; 13] = [
    "view",
    "reveal",
    "reveal_refused",
    "identify",
    "identify_refused",
    "search_refused",
    "export",
    "export_refused",
    "consent",
    "consent_refused",
    "duplicate_phone",
    "own_data",
    "refund",
];

#[derive(Template)]
#[template(path = "audit_search.html")]
struct AuditPage {
    chrome: Chrome,
    title: String,
    actions: Vec<(String, String)>,
    actor: SearchSelect,
    record: SearchSelect,
    action: String,
    fields: Vec<(String, String)>,
    field: String,
    from: String,
    to: String,
    export_href: String,
    /// Column headings, the sortable ones as links with `aria-sort`.
    sort: Vec<SortHeader>,
    rows: Vec<Vec<String>>,
    pager: Pager,
    error: Option<String>,
}

fn label_or_code(chrome: &Chrome, key: &str, code: &str) -> String {
    let l = chrome.t(key);
    if l == key { code.to_string() } else { l }
}

async fn page(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let chrome = user.chrome("audit");
    let Ok(g) = user
        .session
        .principal
        .grant(app::privacy::audit_search::READ)
    else {
        return error_page(chrome, &app::AppError::Forbidden);
    };
    // Sort, page and size come from the page's own links; every filter stays on them.
    let lq = ListQuery::read(
        "/console/audit",
        &q,
        app::privacy::audit_search::AUDIT_ORDERS,
        &FILTERS,
    );
    let q = with_choices(q);
    let get = |k: &str| q.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let query: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            q.iter()
                .filter(|(k, v)| !v.trim().is_empty() && FILTERS.contains(&k.as_str())),
        )
        .finish();
    let empty = app::Paged {
        items: Vec::new(),
        total: 0,
        page: 1,
        per_page: lq.size,
    };
    let (found, error) = match filter(&q, user.lang) {
        Err(_) => (empty, Some(chrome.t("rule.type.integer"))),
        Ok(f) => {
            match app::privacy::audit_search::search_page(&s.app, &g, &f, lq.page(), lq.order).await
            {
                Ok(rows) => (rows, None),
                Err(e @ app::AppError::Invalid(_)) => (empty, violations_text(&chrome, &e)),
                Err(e) => return error_page(chrome, &e),
            }
        }
    };
    let pager = lq.pager(user.lang, found.total, found.page, found.pages());
    let rows = found.items.iter().map(|r| row(&chrome, r)).collect();
    let (actors, records) = app::privacy::audit_names::choices(&s.app, &g)
        .await
        .unwrap_or_default();
    let actor = SearchSelect {
        name: "actor".into(),
        label: chrome.t("audit.actor"),
        hint: chrome.t("select.filter"),
        options: actors
            .iter()
            .map(|a| {
                (
                    format!("{}:{}", a.role, a.id),
                    actor_text(&chrome, &a.kind, &a.role, a.id, &a.name),
                )
            })
            .collect(),
        selected: get("actor"),
        empty: Some(chrome.t("audit.all")),
        submit_on_change: false,
    };
    let record = SearchSelect {
        name: "record".into(),
        label: chrome.t("audit.record"),
        hint: chrome.t("select.filter"),
        options: records
            .iter()
            .map(|r| {
                (
                    format!("{}:{}", r.entity, r.id),
                    record_text(&chrome, &r.entity, r.id, &r.name),
                )
            })
            .collect(),
        selected: get("record"),
        empty: Some(chrome.t("audit.all")),
        submit_on_change: false,
    };
    let page = AuditPage {
        title: chrome.t("audit.title"),
        actor,
        record,
        fields: FIELD_CODES
            .iter()
            .map(|c| (c.to_string(), field_label(&chrome, c)))
            .collect(),
        actions: ACTIONS
            .iter()
            .map(|a| {
                (
                    a.to_string(),
                    label_or_code(&chrome, &format!("audit.action.{a}"), a),
                )
            })
            .collect(),
        action: get("action"),
        field: get("field"),
        from: get("from"),
        to: get("to"),
        export_href: format!("/console/audit/export?{query}"),
        sort: lq.headers(
            [
                ("audit.at", Some("at")),
                ("audit.actor", Some("actor")),
                ("audit.action", Some("action")),
                ("audit.entity", Some("record")),
                ("audit.field", Some("field")),
                ("audit.reason", None),
                ("audit.rows", None),
            ]
            .iter()
            .map(|(k, key)| (chrome.t(k), *key))
            .collect(),
        ),
        rows,
        pager,
        error,
        chrome,
    };
    render(&page, StatusCode::OK)
}

/// The filter parameters the page passes on to its download link.
const FILTERS: [&str; 9] = [
    "actor",
    "record",
    "actor_role",
    "actor_id",
    "customer_id",
    "action",
    "field",
    "from",
    "to",
];

/// The field codes the log writes, for the filter's list.
const FIELD_CODES: [&str; 16] = [
    "name",
    "phone",
    "id_number",
    "address",
    "staff_phone",
    "approver_name",
    "approver_signature",
    "approver_ip",
    "free_text",
    "vehicle_identity",
    "service_contact",
    "marketing",
    "surveys",
    "data_sharing",
    "own_data",
    "privacy_request",
];

/// The page's `actor` (`role:id`) becomes the filter's role and id; the rest passes on.
fn with_choices(mut q: HashMap<String, String>) -> HashMap<String, String> {
    if let Some((role, id)) = q
        .get("actor")
        .and_then(|a| a.trim().split_once(':'))
        .map(|(r, i)| (r.to_string(), i.to_string()))
    {
        q.insert("actor_role".into(), role);
        q.insert("actor_id".into(), id);
    }
    q
}

/// A translated label, or the code when there is none.
fn label_of(chrome: &Chrome, keys: &[String], code: &str) -> String {
    keys.iter()
        .map(|k| (k, chrome.t(k)))
        .find(|(k, l)| l != *k)
        .map(|(_, l)| l)
        .unwrap_or_else(|| code.to_string())
}

/// A field code (or an export's comma-separated list of them) as labels.
fn field_label(chrome: &Chrome, codes: &str) -> String {
    codes
        .split(',')
        .filter(|c| !c.is_empty())
        .map(|c| {
            let keys = [
                format!("audit.field.{c}"),
                format!("consent.purpose.{c}"),
                format!("field.{c}"),
            ];
            label_of(chrome, &keys, c)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Who acted: their name, the type of actor and the role (the system has neither
/// name nor role).
fn actor_text(chrome: &Chrome, kind: &str, role: &str, id: i64, name: &str) -> String {
    let kind_label = label_or_code(chrome, &format!("audit.kind.{kind}"), kind);
    if kind == "system" {
        return kind_label;
    }
    let role_label = label_or_code(chrome, &format!("role.{role}"), role);
    // Id 0 is no person (the demo's and the bootstrap's own head-office steps):
    // nothing to name, so no "#0" either.
    match (name.is_empty(), id) {
        (true, 0) => format!("{kind_label} · {role_label}"),
        (true, _) => format!("#{id} · {kind_label} · {role_label}"),
        (false, _) => format!("{name} · {kind_label} · {role_label}"),
    }
}

/// The record: its kind and name (a customer's name, a plate); an export names the
/// kind of file.
fn record_text(chrome: &Chrome, entity: &str, id: i64, name: &str) -> String {
    let kind = label_or_code(chrome, &format!("audit.entity.{entity}"), entity);
    match (name.is_empty(), id) {
        (false, _) => format!("{kind} {name}"),
        (true, 0) => kind,
        (true, _) => format!("{kind} #{id}"),
    }
}

/// One row of the table.
fn row(chrome: &Chrome, l: &AuditLine) -> Vec<String> {
    let r = &l.entry;
    vec![
        show_time(r.at),
        actor_text(
            chrome,
            &r.actor_kind,
            &r.actor_role,
            r.actor_id,
            &l.actor_name,
        ),
        label_or_code(chrome, &format!("audit.action.{}", r.action), &r.action),
        record_text(chrome, &r.entity, r.entity_id, &l.record_name),
        field_label(chrome, &r.field),
        r.reason.clone(),
        r.row_count.map(|n| n.to_string()).unwrap_or_default(),
    ]
}

async fn export(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let chrome = user.chrome("audit");
    let Ok(g) = user
        .session
        .principal
        .grant(app::privacy::audit_search::READ)
    else {
        return error_page(chrome, &app::AppError::Forbidden);
    };
    let q = with_choices(q);
    let Ok(f) = filter(&q, user.lang) else {
        return error_page(
            chrome,
            &app::AppError::Invalid(domain::Violation::new("actor_id", "type.integer").into()),
        );
    };
    match app::privacy::audit_search::export(&s.app, &g, &f).await {
        Ok(csv) => {
            let mut body = vec![0xEF, 0xBB, 0xBF];
            body.extend_from_slice(csv.as_bytes());
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"audit.csv\"".to_string(),
                    ),
                ],
                body,
            )
                .into_response()
        }
        Err(e) => error_page(chrome, &e),
    }
}
