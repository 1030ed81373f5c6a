//! The catalogue of complaint categories (issue 10): everyone who reads complaints
//! lists it; head office adds a category (it gets the default service levels for both
//! severities), renames one and retires or restores it.

use crate::AppState;
use crate::error::{ApiError, ProblemDoc};
use crate::extract::{Caller, JsonBody};
use app::complaint::category::{CategoryInput, CategoryView, NamesInput};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use domain::permission::Action;

/// The OpenAPI description of the category catalogue.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list, add, rename, retire, restore),
    components(schemas(CategoryView, CategoryInput, NamesInput))
)]
pub struct CategoryApi;

/// Routes under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/complaint-categories", get(list).post(add))
        .route("/complaint-categories/{code}", put(rename))
        .route("/complaint-categories/{code}/retire", post(retire))
        .route("/complaint-categories/{code}/restore", post(restore))
}

/// Every category, retired ones too (`active` false), in display order.
#[utoipa::path(get, path = "/api/v1/complaint-categories", tag = "complaints", responses((status = 200, body = Vec<CategoryView>), (status = 403, body = ProblemDoc)))]
pub async fn list(
    State(s): State<AppState>,
    c: Caller,
) -> Result<Json<Vec<CategoryView>>, ApiError> {
    let g = c.grant(Action::ComplaintRead)?;
    let rows = app::complaint::category::list(&s.app, &g)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(rows.iter().map(CategoryView::from).collect()))
}

/// Adds a category (head office) with the default service levels; a code in use is
/// 409 `complaint.category_exists`, a bad code or a blank name 422 naming the field.
#[utoipa::path(post, path = "/api/v1/complaint-categories", tag = "complaints", request_body = CategoryInput, responses((status = 201, body = CategoryView), (status = 403, body = ProblemDoc), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn add(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<CategoryInput>,
) -> Result<(StatusCode, Json<CategoryView>), ApiError> {
    let g = c.grant(Action::ComplaintPolicy)?;
    let input = input?;
    let row = app::complaint::category::add(&s.app, &g, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(CategoryView::from(&row))))
}

/// Renames a category (head office); its code never changes.
#[utoipa::path(put, path = "/api/v1/complaint-categories/{code}", tag = "complaints", params(("code" = String, Path)), request_body = NamesInput, responses((status = 200, body = CategoryView), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn rename(
    State(s): State<AppState>,
    c: Caller,
    Path(code): Path<String>,
    JsonBody(input): JsonBody<NamesInput>,
) -> Result<Json<CategoryView>, ApiError> {
    let g = c.grant(Action::ComplaintPolicy)?;
    let input = input?;
    let row = app::complaint::category::rename(&s.app, &g, &code, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(CategoryView::from(&row)))
}

/// Retires a category (head office): new complaints cannot choose it (422 on
/// `category`); the complaints that have it keep it.
#[utoipa::path(post, path = "/api/v1/complaint-categories/{code}/retire", tag = "complaints", params(("code" = String, Path)), responses((status = 200, body = CategoryView), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)))]
pub async fn retire(
    State(s): State<AppState>,
    c: Caller,
    Path(code): Path<String>,
) -> Result<Json<CategoryView>, ApiError> {
    let g = c.grant(Action::ComplaintPolicy)?;
    let row = app::complaint::category::retire(&s.app, &g, &code, true)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(CategoryView::from(&row)))
}

/// Brings a retired category back (head office).
#[utoipa::path(post, path = "/api/v1/complaint-categories/{code}/restore", tag = "complaints", params(("code" = String, Path)), responses((status = 200, body = CategoryView), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)))]
pub async fn restore(
    State(s): State<AppState>,
    c: Caller,
    Path(code): Path<String>,
) -> Result<Json<CategoryView>, ApiError> {
    let g = c.grant(Action::ComplaintPolicy)?;
    let row = app::complaint::category::retire(&s.app, &g, &code, false)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(CategoryView::from(&row)))
}
