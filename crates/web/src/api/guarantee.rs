//! The three-guarantees counters per VIN (三包, SPEC §15) and their thresholds, a
//! head-office setting. Bodies are read only after the caller's grant was checked.

use super::path_id;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody};
use app::guarantee::{ThreeGuarantees, ThresholdSetting, ThresholdsInput};
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use domain::permission::Action;

/// The OpenAPI description of this area, merged into the whole API's.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(vehicle_three_guarantees, get_thresholds, put_thresholds),
    components(schemas(
        ThreeGuarantees,
        ThresholdSetting,
        ThresholdsInput,
        app::guarantee::CounterSummary,
        app::guarantee::ProblemCount,
        app::guarantee::FaultSummary,
    ))
)]
pub struct GuaranteeApi;

/// Routes of this area.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/vehicles/{id}/three-guarantees",
            get(vehicle_three_guarantees),
        )
        .route(
            "/settings/three-guarantees",
            get(get_thresholds).put(put_thresholds),
        )
}

/// A vehicle's three-guarantees counters inside the period and its findings: warnings
/// one step before a threshold, entitlements (replacement or refund, courtesy car) past it.
#[utoipa::path(get, path = "/api/v1/vehicles/{id}/three-guarantees", tag = "three-guarantees", params(("id" = i64, Path)), responses((status = 200, body = ThreeGuarantees), (status = 404, body = crate::error::ProblemDoc)))]
pub async fn vehicle_three_guarantees(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<ThreeGuarantees>, ApiError> {
    let g = c.grant(Action::RepairOrderRead)?;
    let id = path_id(&id, c.lang)?;
    Ok(Json(
        app::guarantee::for_vehicle(&s.app, &g, id)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// The three-guarantees thresholds in force (the built-in defaults until head office
/// changes them).
#[utoipa::path(get, path = "/api/v1/settings/three-guarantees", tag = "three-guarantees", responses((status = 200, body = ThresholdSetting)))]
pub async fn get_thresholds(
    State(s): State<AppState>,
    c: Caller,
) -> Result<Json<ThresholdSetting>, ApiError> {
    let g = c.grant(Action::NetworkRead)?;
    Ok(Json(
        app::guarantee::setting(&s.app, &g)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// Replaces the three-guarantees thresholds (head office only); each must be at least 1.
#[utoipa::path(put, path = "/api/v1/settings/three-guarantees", tag = "three-guarantees", request_body = ThresholdsInput, responses((status = 200, body = ThresholdSetting), (status = 403, body = crate::error::ProblemDoc), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn put_thresholds(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<ThresholdsInput>,
) -> Result<Json<ThresholdSetting>, ApiError> {
    let g = c.grant(Action::NetworkWrite)?;
    let input = input?;
    Ok(Json(
        app::guarantee::set_thresholds(&s.app, &g, &input)
            .await
            .map_err(|e| c.err(e))?,
    ))
}
