//! The demo server's clock (`aftersales demo` only): a browser test moves the server
//! forward into a repair's 6th day or past a complaint's target and then back to real
//! time. The route and its description exist only when the state carries a demo clock;
//! `aftersales serve` answers 404 (see `tests/demo_clock.rs`).

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody};
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use domain::permission::Action;
use serde::{Deserialize, Serialize};

/// The OpenAPI description of this area, merged into the document only in the demo.
#[derive(utoipa::OpenApi)]
#[openapi(paths(move_clock))]
pub struct DemoApi;

/// Routes of this area (mounted by [`crate::router`] only with a demo clock).
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/demo/clock", post(move_clock))
}

/// A move of the demo clock: forward by some minutes, or back to real time.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DemoClockMove {
    /// Minutes to move forward (not with `reset`).
    #[schema(minimum = 1, maximum = 86400)]
    pub advance_minutes: Option<i64>,
    /// Back to real time (not with `advance_minutes`).
    #[serde(default)]
    pub reset: bool,
}

/// Where the demo clock stands.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DemoClockState {
    /// The server's now (RFC 3339, UTC).
    pub now: String,
    /// The server's now, UTC milliseconds.
    pub now_ms: i64,
    /// How far ahead of real time, in minutes.
    pub offset_minutes: i64,
}

/// Moves the demo server's clock (administrator; the demo only, audited). Timers due
/// in the skipped time fire at once.
#[utoipa::path(post, path = "/api/v1/demo/clock", tag = "service", request_body = DemoClockMove,
    responses((status = 200, body = DemoClockState), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn move_clock(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<DemoClockMove>,
) -> Result<Json<DemoClockState>, ApiError> {
    let g = c.grant(Action::JobAdmin)?;
    let Some(clock) = s.demo_clock.clone() else {
        return Err(c.err(app::AppError::NotFound));
    };
    let input = input?;
    let step = app::demo::clock::ClockMove::parse(input.advance_minutes, input.reset)
        .map_err(|v| c.err(app::AppError::Invalid(v)))?;
    let state = app::demo::clock::move_clock(&s.app, &g, &clock, step)
        .await
        .map_err(|e| c.err(e))?;
    let now = jiff::Timestamp::from_millisecond(state.now_ms)
        .map(|t| t.to_string())
        .unwrap_or_default();
    Ok(Json(DemoClockState {
        now,
        now_ms: state.now_ms,
        offset_minutes: state.offset_minutes,
    }))
}
