//! The privacy officer's audit search page: filter by actor, customer, action, field
//! and days; download the same rows as CSV (the download is audited itself).

use crate::AppState;
use crate::api::privacy::audit_search::filter;
use crate::console::chrome::{Chrome, show_time};
use crate::console::form::{error_page, render, violations_text};
use crate::console::session::ConsoleUser;
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
const ACTIONS: [&str; 11] = [
    "view",
    "reveal",
    "reveal_refused",
    "identify",
    "identify_refused",
    "search_refused",
    "export",
    "consent",
    "consent_refused",
    "duplicate_phone",
    "own_data",
];

#[derive(Template)]
#[template(path = "audit_search.html")]
struct AuditPage {
    chrome: Chrome,
    title: String,
    roles: Vec<(String, String)>,
    actions: Vec<(String, String)>,
    actor_role: String,
    actor_id: String,
    customer_id: String,
    action: String,
    field: String,
    from: String,
    to: String,
    export_href: String,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
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
    let get = |k: &str| q.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let query: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            q.iter()
                .filter(|(k, v)| !v.trim().is_empty() && FILTERS.contains(&k.as_str())),
        )
        .finish();
    let (rows, error) = match filter(&q, user.lang) {
        Err(_) => (Vec::new(), Some(chrome.t("rule.type.integer"))),
        Ok(f) => match app::privacy::audit_search::search(&s.app, &g, &f).await {
            Ok(rows) => (rows, None),
            Err(e @ app::AppError::Invalid(_)) => (Vec::new(), violations_text(&chrome, &e)),
            Err(e) => return error_page(chrome, &e),
        },
    };
    let rows = rows
        .iter()
        .map(|r| {
            vec![
                show_time(r.at),
                label_or_code(
                    &chrome,
                    &format!("audit.kind.{}", r.actor_kind),
                    &r.actor_kind,
                ),
                label_or_code(&chrome, &format!("role.{}", r.actor_role), &r.actor_role),
                r.actor_id.to_string(),
                label_or_code(&chrome, &format!("audit.action.{}", r.action), &r.action),
                format!("{} {}", r.entity, r.entity_id),
                r.field.clone(),
                r.reason.clone(),
                r.row_count.map(|n| n.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    let mut roles: Vec<(String, String)> = domain::role::Role::ALL
        .iter()
        .map(|r| {
            (
                r.code().to_string(),
                chrome.t(&format!("role.{}", r.code())),
            )
        })
        .collect();
    roles.push(("system".into(), chrome.t("audit.kind.system")));
    let page = AuditPage {
        title: chrome.t("audit.title"),
        roles,
        actions: ACTIONS
            .iter()
            .map(|a| {
                (
                    a.to_string(),
                    label_or_code(&chrome, &format!("audit.action.{a}"), a),
                )
            })
            .collect(),
        actor_role: get("actor_role"),
        actor_id: get("actor_id"),
        customer_id: get("customer_id"),
        action: get("action"),
        field: get("field"),
        from: get("from"),
        to: get("to"),
        export_href: format!("/console/audit/export?{query}"),
        headers: [
            "audit.at",
            "audit.kind",
            "audit.actor_role",
            "audit.actor_id",
            "audit.action",
            "audit.entity",
            "audit.field",
            "audit.reason",
            "audit.rows",
        ]
        .iter()
        .map(|k| chrome.t(k))
        .collect(),
        rows,
        error,
        chrome,
    };
    render(&page, StatusCode::OK)
}

/// The filter parameters the page passes on to its download link.
const FILTERS: [&str; 7] = [
    "actor_role",
    "actor_id",
    "customer_id",
    "action",
    "field",
    "from",
    "to",
];

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
