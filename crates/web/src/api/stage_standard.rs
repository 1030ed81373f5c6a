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
#[utoipa::path(post, path = "/api/v1/stage-standards", tag = "service", request_body(content = Object, description = "The stage standard, version = current + 1"), responses((status = 201, description = "Published"), (status = 403, body = crate::error::ProblemDoc), (status = 409, description = "Refused: the version is not the current one + 1 (`stage_standard.version`), or a checkpoint code is listed twice across the stages (`repair_order.standard_invalid`)", body = crate::error::ProblemDoc), (status = 422, body = crate::error::ProblemDoc)))]
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

/// The JSON Schema of a stage standard as [`StageStandard::validate`] reads it: a
/// version from 1, the six stages in their order (`domain::repair_order::Stage::ALL`),
/// each with a positive standard time and checkpoints whose code and labels are not
/// blank. That a checkpoint code is used once across all stages is not a rule JSON
/// Schema can state; it is answered 409, as the operation declares.
pub fn input_schema() -> serde_json::Value {
    let line = |max: usize| {
        serde_json::json!({"type": "string",
            "pattern": domain::text::pattern(domain::text::Lines::One, max, true)})
    };
    let positive = serde_json::json!({"type": "integer", "format": "int64", "minimum": 1});
    let time = serde_json::json!({"oneOf": [
        {"type": "object", "required": ["kind", "value"], "additionalProperties": false,
            "properties": {"kind": {"const": "minutes"}, "value": positive}},
        {"type": "object", "required": ["kind"], "additionalProperties": false,
            "properties": {"kind": {"const": "labour_hours"}}},
        {"type": "object", "required": ["kind", "value"], "additionalProperties": false,
            "properties": {"kind": {"const": "days_after_delivery"}, "value": positive}}
    ]});
    let checkpoint = serde_json::json!({
        "type": "object",
        "required": ["code", "label_zh", "label_en", "rule"],
        "properties": {
            "code": line(100),
            "label_zh": line(200),
            "label_en": line(200),
            "rule": {"type": "string", "enum": ["required", "optional", "when_applicable"]}
        }
    });
    let stages: Vec<serde_json::Value> = domain::repair_order::Stage::ALL
        .iter()
        .map(|stage| {
            serde_json::json!({
                "type": "object",
                "required": ["stage", "time", "checkpoints"],
                "properties": {
                    "stage": {"const": stage.code()},
                    "time": time,
                    "checkpoints": {"type": "array", "items": checkpoint}
                }
            })
        })
        .collect();
    serde_json::json!({
        "type": "object",
        "description": "The stage standard: version = current + 1, the six stages in order",
        "required": ["version", "stages"],
        "properties": {
            "version": {"type": "integer", "format": "int64", "minimum": 1, "maximum": u32::MAX},
            "stages": {
                "type": "array",
                "prefixItems": stages,
                "items": false,
                "minItems": stages.len(),
                "maxItems": stages.len()
            }
        }
    })
}
