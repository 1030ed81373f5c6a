//! The main parts of the ten systems (GB/T 29632) as head office keeps them (issue 19
//! item 1): whoever reads the three guarantees lists them; head office adds a part,
//! renames one and retires or restores it. A retired part stays on the faults that
//! name it; a new fault naming it is refused (422 `guarantee.main_part_retired`).

use crate::AppState;
use crate::error::{ApiError, ProblemDoc};
use crate::extract::{Caller, JsonBody};
use app::guarantee::main_part::{MainPartInput, MainPartPatch, MainPartView};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch};
use axum::{Json, Router};
use domain::permission::Action;

/// The OpenAPI description of the main-part list.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list_main_parts, add_main_part, change_main_part),
    components(schemas(MainPartView, MainPartInput, MainPartPatch))
)]
pub struct MainPartApi;

/// Routes under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/three-guarantees/main-parts",
            get(list_main_parts).post(add_main_part),
        )
        .route(
            "/three-guarantees/main-parts/{system}/{code}",
            patch(change_main_part),
        )
}

/// Every main part, retired ones too (`active` false), in display order.
#[utoipa::path(get, path = "/api/v1/three-guarantees/main-parts", tag = "three-guarantees", responses((status = 200, body = Vec<MainPartView>), (status = 403, body = ProblemDoc)))]
pub async fn list_main_parts(
    State(s): State<AppState>,
    c: Caller,
) -> Result<Json<Vec<MainPartView>>, ApiError> {
    let g = c.grant(Action::RepairOrderRead)?;
    let rows = app::guarantee::main_part::list(&s.app, &g)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(rows.iter().map(MainPartView::from).collect()))
}

/// Adds a main part (head office): a system not among the ten, a code out of shape or
/// a blank name is 422 naming the field; a code the system has already is 409
/// `guarantee.main_part_duplicate`.
#[utoipa::path(post, path = "/api/v1/three-guarantees/main-parts", tag = "three-guarantees", request_body = MainPartInput, responses((status = 201, body = MainPartView), (status = 403, body = ProblemDoc), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn add_main_part(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<MainPartInput>,
) -> Result<(StatusCode, Json<MainPartView>), ApiError> {
    let g = c.grant(Action::NetworkWrite)?;
    let input = input?;
    let row = app::guarantee::main_part::add(&s.app, &g, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(MainPartView::from(&row))))
}

/// Renames a main part and retires or restores it (head office); its system and code
/// never change. An unknown part is 404.
#[utoipa::path(patch, path = "/api/v1/three-guarantees/main-parts/{system}/{code}", tag = "three-guarantees", params(("system" = String, Path), ("code" = String, Path)), request_body = MainPartPatch, responses((status = 200, body = MainPartView), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn change_main_part(
    State(s): State<AppState>,
    c: Caller,
    Path((system, code)): Path<(String, String)>,
    JsonBody(input): JsonBody<MainPartPatch>,
) -> Result<Json<MainPartView>, ApiError> {
    let g = c.grant(Action::NetworkWrite)?;
    let input = input?;
    let row = app::guarantee::main_part::change(&s.app, &g, &system, &code, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(MainPartView::from(&row)))
}
