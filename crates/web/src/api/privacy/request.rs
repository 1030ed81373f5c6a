//! The owner's correction and deletion requests, and head office's queue.

use crate::AppState;
use crate::api::path_id;
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody};
use app::privacy::request::{AnswerInput, FileInput, RequestView};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::permission::Action;

/// Routes of this area.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me/privacy-requests", get(my_requests).post(file_request))
        .route("/privacy-requests", get(queue))
        .route("/privacy-requests/{id}/complete", post(complete))
        .route("/privacy-requests/{id}/refuse", post(refuse))
}

/// The signed-in owner files a correction or deletion request. A deletion only of
/// records under a legal hold (repair orders, bills, the audit log) is refused with
/// 422 `privacy.legal_hold` on `scopes`, explaining why they are kept; a correction
/// without `detail`, or a deletion without `ground` (or with `other` and no `detail`),
/// is 422 naming the field.
#[utoipa::path(post, path = "/api/v1/me/privacy-requests", tag = "privacy", request_body = FileInput, responses((status = 201, body = RequestView), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn file_request(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<FileInput>,
) -> Result<(StatusCode, Json<RequestView>), ApiError> {
    let g = c.grant(Action::OwnDataExport)?;
    let input = input?;
    let v = app::privacy::request::file(&s.app, &g, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// The signed-in owner's requests and their answers, newest first.
#[utoipa::path(get, path = "/api/v1/me/privacy-requests", tag = "privacy", responses((status = 200, body = Vec<RequestView>)))]
pub async fn my_requests(
    State(s): State<AppState>,
    c: Caller,
) -> Result<Json<Vec<RequestView>>, ApiError> {
    let g = c.grant(Action::OwnDataExport)?;
    Ok(Json(
        app::privacy::request::mine(&s.app, &g)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// Head office's queue: waiting requests (earliest due first), then answered ones.
#[utoipa::path(get, path = "/api/v1/privacy-requests", tag = "privacy", responses((status = 200, body = Vec<RequestView>)))]
pub async fn queue(
    State(s): State<AppState>,
    c: Caller,
) -> Result<Json<Vec<RequestView>>, ApiError> {
    let g = c.grant(Action::PrivacyRequestHandle)?;
    Ok(Json(
        app::privacy::request::queue(&s.app, &g)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// Carries a request out (a deletion erases what has no legal hold and records what
/// was kept and why); `answer` is required for a correction.
#[utoipa::path(post, path = "/api/v1/privacy-requests/{id}/complete", tag = "privacy", params(("id" = i64, Path)), request_body = AnswerInput, responses((status = 200, body = RequestView), (status = 409, body = crate::error::ProblemDoc), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn complete(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<AnswerInput>,
) -> Result<Json<RequestView>, ApiError> {
    let g = c.grant(Action::PrivacyRequestHandle)?;
    let id = path_id(&id, c.lang)?;
    let input = input?;
    Ok(Json(
        app::privacy::request::complete(&s.app, &g, id, &input)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// Refuses a request; `answer` (why) is required.
#[utoipa::path(post, path = "/api/v1/privacy-requests/{id}/refuse", tag = "privacy", params(("id" = i64, Path)), request_body = AnswerInput, responses((status = 200, body = RequestView), (status = 409, body = crate::error::ProblemDoc), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn refuse(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<AnswerInput>,
) -> Result<Json<RequestView>, ApiError> {
    let g = c.grant(Action::PrivacyRequestHandle)?;
    let id = path_id(&id, c.lang)?;
    let input = input?;
    Ok(Json(
        app::privacy::request::refuse(&s.app, &g, id, &input)
            .await
            .map_err(|e| c.err(e))?,
    ))
}
