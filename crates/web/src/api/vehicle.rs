//! Vehicles, ownership and odometer.

use super::{Created, ListQuery, path_id};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody};
use app::vehicle::VehicleFilter;
use app::vehicle::{ReadingInput, VehicleDetail, VehicleInput};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::permission::Action;
use std::collections::HashMap;

/// Routes of this area.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/vehicles", get(list_vehicles).post(create_vehicle))
        .route("/vehicles/by-vin/{vin}", get(by_vin))
        .route("/vehicles/{id}", get(get_vehicle).put(update_vehicle))
        .route("/vehicles/{id}/transfer", post(transfer))
        .route("/vehicles/{id}/odometer", post(add_reading))
}

/// Lists vehicles within reach: `q` (VIN prefix, plate or model), `owner_id`, `station_id`.
#[utoipa::path(get, path = "/api/v1/vehicles", tag = "vehicles", params(("q" = Option<String>, Query), ("owner_id" = Option<i64>, Query), ("station_id" = Option<i64>, Query), ("page" = Option<i64>, Query), ("per_page" = Option<i64>, Query)), responses((status = 200, description = "A page of vehicles")))]
pub async fn list_vehicles(
    State(s): State<AppState>,
    c: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let g = c.grant(Action::VehicleRead)?;
    let q = ListQuery(q);
    let f = VehicleFilter {
        q: q.text("q"),
        owner_id: q.int("owner_id", c.lang)?,
        station_id: q.int("station_id", c.lang)?,
    };
    let page = app::vehicle::list(&s.app, &g, &f, q.page(c.lang)?)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(serde_json::to_value(page).unwrap_or_default()))
}

/// Creates a vehicle; the VIN check digit is verified.
#[utoipa::path(post, path = "/api/v1/vehicles", tag = "vehicles", request_body = VehicleInput, responses((status = 201, body = Created), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn create_vehicle(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<VehicleInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let g = c.grant(Action::VehicleWrite)?;
    let input = input?;
    let id = app::vehicle::create(&s.app, &g, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// A vehicle by VIN.
#[utoipa::path(get, path = "/api/v1/vehicles/by-vin/{vin}", tag = "vehicles", params(("vin" = String, Path)), responses((status = 200, description = "The vehicle"), (status = 404, body = crate::error::ProblemDoc), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn by_vin(
    State(s): State<AppState>,
    c: Caller,
    Path(vin): Path<String>,
) -> Result<Json<app::vehicle::Vehicle>, ApiError> {
    let g = c.grant(Action::VehicleRead)?;
    Ok(Json(
        app::vehicle::by_vin(&s.app, &g, &vin)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// A vehicle with owner history and odometer readings.
#[utoipa::path(get, path = "/api/v1/vehicles/{id}", tag = "vehicles", params(("id" = i64, Path)), responses((status = 200, body = VehicleDetail), (status = 404, body = crate::error::ProblemDoc)))]
pub async fn get_vehicle(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<VehicleDetail>, ApiError> {
    let g = c.grant(Action::VehicleRead)?;
    let id = path_id(&id, c.lang)?;
    Ok(Json(
        app::vehicle::detail(&s.app, &g, id)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// Changes a vehicle's fields (not its owner).
#[utoipa::path(put, path = "/api/v1/vehicles/{id}", tag = "vehicles", params(("id" = i64, Path)), request_body = VehicleInput, responses((status = 204), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn update_vehicle(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<VehicleInput>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(Action::VehicleWrite)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    app::vehicle::update(&s.app, &g, id, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// A change of owner.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferInput {
    /// The new owner's customer id.
    pub owner_id: i64,
    /// Why (sale, inheritance, …).
    #[serde(default)]
    pub reason: String,
}

/// Moves a vehicle to a new owner; the history stays with the vehicle.
#[utoipa::path(post, path = "/api/v1/vehicles/{id}/transfer", tag = "vehicles", params(("id" = i64, Path)), request_body = TransferInput, responses((status = 204), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn transfer(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<TransferInput>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(Action::VehicleWrite)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    app::vehicle::transfer(&s.app, &g, id, input.owner_id, &input.reason)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Records an odometer reading; a lower one is refused unless flagged as a cluster replacement.
#[utoipa::path(post, path = "/api/v1/vehicles/{id}/odometer", tag = "vehicles", params(("id" = i64, Path)), request_body = ReadingInput, responses((status = 204), (status = 409, body = crate::error::ProblemDoc)))]
pub async fn add_reading(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ReadingInput>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(Action::VehicleWrite)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    app::vehicle::add_reading(&s.app, &g, id, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}
