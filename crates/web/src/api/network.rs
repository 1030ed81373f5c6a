//! Regions, stations, depots and mobile units.

use super::{Created, ListQuery, path_id};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody};
use app::network::StationFilter;
use app::network::{MobileUnitInput, RegionInput, StationInput};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::permission::Action;
use std::collections::HashMap;

/// Routes of this area.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/regions", get(list_regions).post(create_region))
        .route("/stations", get(list_stations).post(create_station))
        .route("/stations/{id}", get(get_station).put(update_station))
        .route("/stations/{id}/status", post(change_status))
        .route("/stations/{id}/events", get(station_events))
        .route("/depots", get(list_depots))
        .route("/mobile-units", get(list_units).post(create_unit))
}

/// Lists every region.
#[utoipa::path(get, path = "/api/v1/regions", tag = "network", responses((status = 200, description = "Regions")))]
pub async fn list_regions(
    State(s): State<AppState>,
    c: Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let g = c.grant(Action::NetworkRead)?;
    let r = app::network::regions(&s.app, &g)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(serde_json::json!({ "items": r })))
}

/// Creates a region (administrators).
#[utoipa::path(post, path = "/api/v1/regions", tag = "network", request_body = RegionInput, responses((status = 201, body = Created), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn create_region(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<RegionInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let g = c.grant(Action::NetworkWrite)?;
    let input = input?;
    let id = app::network::create_region(&s.app, &g, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// Lists stations within the caller's reach: `q`, `status`, `region_id`, `page`, `per_page`.
#[utoipa::path(get, path = "/api/v1/stations", tag = "network", params(("q" = Option<String>, Query), ("status" = Option<String>, Query), ("region_id" = Option<i64>, Query), ("page" = Option<i64>, Query), ("per_page" = Option<i64>, Query)), responses((status = 200, description = "A page of stations")))]
pub async fn list_stations(
    State(s): State<AppState>,
    c: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let g = c.grant(Action::NetworkRead)?;
    let q = ListQuery(q);
    let f = StationFilter {
        q: q.text("q"),
        status: q.text("status"),
        region_id: q.int("region_id", c.lang)?,
    };
    let page = app::network::stations(&s.app, &g, &f, q.page(c.lang)?)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(serde_json::to_value(page).unwrap_or_default()))
}

/// Creates a station (administrators).
#[utoipa::path(post, path = "/api/v1/stations", tag = "network", request_body = StationInput, responses((status = 201, body = Created), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn create_station(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<StationInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let g = c.grant(Action::NetworkWrite)?;
    let input = input?;
    let id = app::network::create_station(&s.app, &g, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// One station.
#[utoipa::path(get, path = "/api/v1/stations/{id}", tag = "network", params(("id" = i64, Path)), responses((status = 200, description = "The station"), (status = 404, body = crate::error::ProblemDoc)))]
pub async fn get_station(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<app::network::Station>, ApiError> {
    let g = c.grant(Action::NetworkRead)?;
    let id = path_id(&id, c.lang)?;
    Ok(Json(
        app::network::station(&s.app, &g, id)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// Changes a station's fields.
#[utoipa::path(put, path = "/api/v1/stations/{id}", tag = "network", params(("id" = i64, Path)), request_body = StationInput, responses((status = 204), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn update_station(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<StationInput>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(Action::NetworkWrite)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    app::network::update_station(&s.app, &g, id, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// A status change with its reason.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusInput {
    /// `active`, `suspended` or `closed`.
    #[schema(schema_with = app::schema::code::<domain::network::StationStatus>)]
    pub status: String,
    /// Why: one line, not blank.
    #[schema(schema_with = app::schema::line::<500>)]
    pub reason: String,
}

/// Suspends, reactivates or closes a station; closing keeps its history.
#[utoipa::path(post, path = "/api/v1/stations/{id}/status", tag = "network", params(("id" = i64, Path)), request_body = StatusInput, responses((status = 204), (status = 409, body = crate::error::ProblemDoc)))]
pub async fn change_status(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<StatusInput>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(Action::NetworkWrite)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    app::network::change_station_status(&s.app, &g, id, &input.status, &input.reason)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// A station's history of changes.
#[utoipa::path(get, path = "/api/v1/stations/{id}/events", tag = "network", params(("id" = i64, Path)), responses((status = 200, description = "Events, oldest first")))]
pub async fn station_events(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let g = c.grant(Action::NetworkRead)?;
    let id = path_id(&id, c.lang)?;
    let ev = app::network::station_events(&s.app, &g, id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(serde_json::json!({ "items": ev })))
}

/// Lists the regional parts depots.
#[utoipa::path(get, path = "/api/v1/depots", tag = "network", responses((status = 200, description = "Depots")))]
pub async fn list_depots(
    State(s): State<AppState>,
    c: Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let g = c.grant(Action::NetworkRead)?;
    let d = app::network::depots(&s.app, &g)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(serde_json::json!({ "items": d })))
}

/// Lists mobile units within reach: `station_id` keeps one station's.
#[utoipa::path(get, path = "/api/v1/mobile-units", tag = "network", params(("station_id" = Option<i64>, Query)), responses((status = 200, description = "Mobile units")))]
pub async fn list_units(
    State(s): State<AppState>,
    c: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let g = c.grant(Action::NetworkRead)?;
    let station_id = ListQuery(q).int("station_id", c.lang)?;
    let u = app::network::mobile_units(&s.app, &g, station_id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(serde_json::json!({ "items": u })))
}

/// Creates a mobile unit belonging to a station.
#[utoipa::path(post, path = "/api/v1/mobile-units", tag = "network", request_body = MobileUnitInput, responses((status = 201, body = Created), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn create_unit(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<MobileUnitInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let g = c.grant(Action::NetworkWrite)?;
    let input = input?;
    let id = app::network::create_mobile_unit(&s.app, &g, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}
