//! The parts catalogue the estimate prices parts from.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use domain::permission::Action;

/// The OpenAPI description of this area, merged into the whole API's.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list_parts, upsert_part))]
pub struct PartApi;

/// Routes of this area.
pub fn router() -> Router<AppState> {
    Router::new().route("/parts", get(list_parts).post(upsert_part))
}

/// The parts catalogue with catalogue prices (fen).
#[utoipa::path(get, path = "/api/v1/parts", tag = "service", responses((status = 200, description = "Catalogue entries")))]
pub async fn list_parts(
    State(s): State<AppState>,
    c: Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let g = c.grant(Action::NetworkRead)?;
    let parts = app::part::list(&s.app, &g).await.map_err(|e| c.err(e))?;
    Ok(Json(serde_json::json!({ "items": parts })))
}

/// Adds a part to the catalogue or changes its price (head office); estimates then price the part from it.
#[utoipa::path(post, path = "/api/v1/parts", tag = "service", request_body = app::part::PartInput, responses((status = 204), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn upsert_part(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<app::part::PartInput>,
) -> Result<axum::http::StatusCode, ApiError> {
    let g = c.grant(Action::NetworkWrite)?;
    let input = input?;
    app::part::upsert(&s.app, &g, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
