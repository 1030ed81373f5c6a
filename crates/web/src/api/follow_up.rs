//! Follow-up calls (回访): a task per delivered order, due within 3 days; the call's
//! outcome is recorded.

use super::{ListQuery, path_id};
use crate::AppState;
use crate::api::json;
use crate::error::{ApiError, ProblemDoc};
use crate::extract::{Caller, JsonBody};
use app::follow_up::{CallInput, FollowUpView};
use app::follow_up::{READ, WRITE};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use std::collections::HashMap;

/// The OpenAPI description of this area, merged into the whole API's.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(order_follow_up, list_follow_ups, complete_follow_up),
    components(schemas(ProblemDoc))
)]
pub struct FollowUpApi;

/// Routes of this area under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/repair-orders/{id}/follow-up", get(order_follow_up))
        .route("/follow-ups", get(list_follow_ups))
        .route("/follow-ups/{id}/call", post(complete_follow_up))
}

/// The follow-up call task of a delivered order.
#[utoipa::path(get, path = "/api/v1/repair-orders/{id}/follow-up", tag = "follow-ups", params(("id" = i64, Path)), responses((status = 200, description = "The task"), (status = 404, body = ProblemDoc)))]
pub async fn order_follow_up(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let g = c.grant(READ)?;
    let id = path_id(&id, c.lang)?;
    let f = app::follow_up::for_order(&s.app, &g, id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(json(&f))
}

/// Open follow-up calls, most urgent first: `station_id`, `due_before` (UTC ms;
/// default every open task).
#[utoipa::path(get, path = "/api/v1/follow-ups", tag = "follow-ups", params(("station_id" = Option<i64>, Query), ("due_before" = Option<i64>, Query)), responses((status = 200, body = Vec<FollowUpView>)))]
pub async fn list_follow_ups(
    State(s): State<AppState>,
    c: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Vec<FollowUpView>>, ApiError> {
    let g = c.grant(READ)?;
    let q = ListQuery(q);
    let station = q.int("station_id", c.lang)?;
    let before = q.int("due_before", c.lang)?;
    Ok(Json(
        app::follow_up::due(&s.app, &g, station, before)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// Records a follow-up call.
#[utoipa::path(post, path = "/api/v1/follow-ups/{id}/call", tag = "follow-ups", params(("id" = i64, Path)), request_body = CallInput, responses((status = 204), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn complete_follow_up(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<CallInput>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(WRITE)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    app::follow_up::complete(&s.app, &g, id, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}
