//! The owner's rating of a delivered order: at the desk on the owner's behalf, or on the
//! owner link.

use super::path_id;
use crate::AppState;
use crate::api::json;
use crate::error::{ApiError, ProblemDoc};
use crate::extract::{ApiLang, Caller, JsonBody};
use app::rating::RatingInput;
use app::rating::WRITE;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};

/// The OpenAPI description of this area, merged into the whole API's.
#[derive(utoipa::OpenApi)]
#[openapi(paths(rate_at_desk, owner_rate), components(schemas(ProblemDoc)))]
pub struct RatingApi;

/// Routes of this area under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/repair-orders/{id}/rating", post(rate_at_desk))
        .route("/owner-links/{token}/rating", post(owner_rate))
}

/// Records the owner's rating given at the desk (1–5 and a comment, once).
#[utoipa::path(post, path = "/api/v1/repair-orders/{id}/rating", tag = "payments", params(("id" = i64, Path)), request_body = RatingInput, responses((status = 201, description = "The rating"), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn rate_at_desk(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<RatingInput>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let g = c.grant(WRITE)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    let r = app::rating::rate_at_desk(&s.app, &g, id, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, json(&r)))
}

/// The owner rates the delivered order from the link (1–5 and a comment, once).
#[utoipa::path(post, path = "/api/v1/owner-links/{token}/rating", tag = "payments", params(("token" = String, Path)), request_body = RatingInput, responses((status = 201, description = "The rating"), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn owner_rate(
    State(s): State<AppState>,
    ApiLang(lang): ApiLang,
    Path(token): Path<String>,
    JsonBody(input): JsonBody<RatingInput>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let input = input?;
    let r = app::rating::rate_by_owner(&s.app, &token, &input)
        .await
        .map_err(|e| ApiError::app(e, lang))?;
    Ok((StatusCode::CREATED, json(&r)))
}
