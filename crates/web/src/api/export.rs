//! CSV export of the foundation lists, limited to the caller's reach, personal data masked.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::Caller;
use app::import::ImportKind;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::permission::Action;

/// The OpenAPI description of this area.
#[derive(utoipa::OpenApi)]
#[openapi(paths(export))]
pub struct ExportApi;

/// Routes of this area.
pub fn router() -> Router<AppState> {
    Router::new().route("/export/{kind}", get(export))
}

/// Exports `stations`, `staff`, `customers` or `vehicles` as CSV (UTF-8 with a byte-order mark for spreadsheet programs).
#[utoipa::path(get, path = "/api/v1/export/{kind}", tag = "export", params(("kind" = String, Path, description = "stations, staff, customers or vehicles")), responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 404, body = crate::error::ProblemDoc)))]
pub async fn export(
    State(s): State<AppState>,
    c: Caller,
    Path(kind): Path<String>,
) -> Result<Response, ApiError> {
    let kind = ImportKind::from_name(kind.trim_end_matches(".csv"));
    let g = match c.grant(Action::Export) {
        Ok(g) => g,
        Err(e) => {
            // Refused, and the attempt is in the audit log (a failure to write it
            // still refuses).
            if let Some(kind) = kind
                && let Err(err) = app::export::refused(&s.app, &c.principal, kind).await
            {
                tracing::warn!(error = %err, "export refusal not audited");
            }
            return Err(e);
        }
    };
    let kind = kind.ok_or_else(|| c.err(app::AppError::NotFound))?;
    let mut out = vec![0xEF, 0xBB, 0xBF];
    app::export::export(&s.app, &g, kind, &mut out)
        .await
        .map_err(|e| c.err(e))?;
    let name = format!("attachment; filename=\"{}.csv\"", kind.name());
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, name),
        ],
        out,
    )
        .into_response())
}
