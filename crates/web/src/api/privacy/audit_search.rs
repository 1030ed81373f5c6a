//! The audit log searched and exported by the privacy officer.

use crate::AppState;
use crate::api::ListQuery;
use crate::error::ApiError;
use crate::extract::Caller;
use app::privacy::audit_search::AuditFilter;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use std::collections::HashMap;

/// Routes of the audit search.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/audit", get(search))
        .route("/audit/export", get(export))
}

/// Reads the filter from query parameters: numbers must be numbers (422 naming the
/// parameter), the rest is checked by the use case.
pub(crate) fn filter(
    q: &HashMap<String, String>,
    lang: crate::i18n::Lang,
) -> Result<AuditFilter, ApiError> {
    let l = ListQuery(q.clone());
    let text = |k: &str| {
        l.text(k)
            .map(serde_json::Value::String)
            .unwrap_or(serde_json::Value::Null)
    };
    let int = |k: &str| -> Result<serde_json::Value, ApiError> {
        Ok(l.int(k, lang)?
            .map(serde_json::Value::from)
            .unwrap_or(serde_json::Value::Null))
    };
    Ok(AuditFilter {
        actor_role: text("actor_role"),
        actor_id: int("actor_id")?,
        customer_id: int("customer_id")?,
        record: text("record"),
        action: text("action"),
        field: text("field"),
        from: text("from"),
        to: text("to"),
    })
}

/// Audit rows by actor, customer, action, field and date range (days in China time),
/// newest first, at most 500.
#[utoipa::path(get, path = "/api/v1/audit", operation_id = "audit_search", tag = "privacy", params(("actor_role" = Option<String>, Query), ("actor_id" = Option<i64>, Query, minimum = 0), ("customer_id" = Option<i64>, Query, minimum = 1), ("record" = Option<String>, Query, description = "entity:id"), ("action" = Option<String>, Query), ("field" = Option<String>, Query), ("from" = Option<String>, Query, format = Date), ("to" = Option<String>, Query, format = Date)), responses((status = 200, description = "Audit rows")))]
pub async fn search(
    State(s): State<AppState>,
    c: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let g = c.grant(app::privacy::audit_search::READ)?;
    let f = filter(&q, c.lang)?;
    let rows = app::privacy::audit_search::search(&s.app, &g, &f)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(serde_json::json!({ "items": rows })))
}

/// The same rows as CSV (at most 10,000); the download is itself an audit row.
#[utoipa::path(get, path = "/api/v1/audit/export", operation_id = "audit_export", tag = "privacy", params(("actor_role" = Option<String>, Query), ("actor_id" = Option<i64>, Query, minimum = 0), ("customer_id" = Option<i64>, Query, minimum = 1), ("record" = Option<String>, Query, description = "entity:id"), ("action" = Option<String>, Query), ("field" = Option<String>, Query), ("from" = Option<String>, Query, format = Date), ("to" = Option<String>, Query, format = Date)), responses((status = 200, description = "CSV", content_type = "text/csv")))]
pub async fn export(
    State(s): State<AppState>,
    c: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let g = c.grant(app::privacy::audit_search::READ)?;
    let f = filter(&q, c.lang)?;
    let csv = app::privacy::audit_search::export(&s.app, &g, &f)
        .await
        .map_err(|e| c.err(e))?;
    let mut body = vec![0xEF, 0xBB, 0xBF];
    body.extend_from_slice(csv.as_bytes());
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.csv\"".to_string(),
            ),
        ],
        body,
    )
        .into_response())
}
