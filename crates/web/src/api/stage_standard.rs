//! The stage standard: the checkpoints of each repair-order stage, published by version.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::permission::Action;
use domain::repair_order::StageStandard;

/// The OpenAPI description of this area, merged into the whole API's.
#[derive(utoipa::OpenApi)]
#[openapi(paths(current_stage_standard, publish_stage_standard))]
pub struct StageStandardApi;

/// Routes of this area.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/stage-standards/current", get(current_stage_standard))
        .route("/stage-standards", post(publish_stage_standard))
}

/// Publishes the next version of the stage standard (head office only); orders
/// already open keep the version they were opened with.
#[utoipa::path(post, path = "/api/v1/stage-standards", tag = "service", request_body(content = Object, description = "The stage standard, version = current + 1"), responses((status = 201, description = "Published"), (status = 403, body = crate::error::ProblemDoc), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn publish_stage_standard(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<StageStandard>,
) -> Result<(StatusCode, Json<StageStandard>), ApiError> {
    let g = c.grant(Action::NetworkWrite)?;
    let input = input?;
    let published = app::stage_standard::publish(&s.app, &g, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(published)))
}

/// The stage standard new repair orders run under (stages, standard times and
/// checkpoints, SPEC §5).
#[utoipa::path(get, path = "/api/v1/stage-standards/current", tag = "service", responses((status = 200, description = "The current stage standard")))]
pub async fn current_stage_standard(
    State(s): State<AppState>,
    c: Caller,
) -> Result<Json<StageStandard>, ApiError> {
    let g = c.grant(Action::NetworkRead)?;
    Ok(Json(
        app::stage_standard::read_current(&s.app, &g)
            .await
            .map_err(|e| c.err(e))?,
    ))
}
