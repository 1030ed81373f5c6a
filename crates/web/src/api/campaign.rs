//! Marketing campaigns: start one for a station (its messages check marketing
//! consent at send time).

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody};
use app::campaign::CampaignInput;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};

/// The OpenAPI description of this area.
#[derive(utoipa::OpenApi)]
#[openapi(paths(start))]
pub struct CampaignApi;

/// Routes of this area.
pub fn router() -> Router<AppState> {
    Router::new().route("/campaigns", post(start))
}

/// Starts a campaign for a station: a job queues one message per customer; each is
/// sent only to customers whose consent ledger says yes to marketing at send time,
/// the others are marked suppressed. Answers the job's key.
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns", request_body = CampaignInput, responses((status = 202, description = "Queued"), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn start(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<CampaignInput>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let g = c.grant(app::campaign::WRITE)?;
    let input = input?;
    let key = app::campaign::start(&s.app, &g, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "key": key })),
    ))
}
