//! The holiday plan (调休) the working calendars of every station are computed from.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use domain::permission::Action;
use serde::{Deserialize, Serialize};

/// The OpenAPI description of this area, merged into the whole API's.
#[derive(utoipa::OpenApi)]
#[openapi(paths(holiday_plan, replace_holiday_plan))]
pub struct CalendarApi;

/// Routes of this area.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/calendar/holidays",
        get(holiday_plan).put(replace_holiday_plan),
    )
}

/// The public-holiday plan as text.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HolidayPlanText {
    /// One entry per line: `2026-02-15..2026-02-23 holiday 春节` or `2026-02-14 workday`
    /// (a weekend day worked, 调休); `#` starts a comment.
    pub plan: String,
}

/// The working-day calendar every clock uses: China's holidays and adjusted workdays.
#[utoipa::path(get, path = "/api/v1/calendar/holidays", tag = "service", responses((status = 200, body = HolidayPlanText)))]
pub async fn holiday_plan(
    State(s): State<AppState>,
    c: Caller,
) -> Result<Json<HolidayPlanText>, ApiError> {
    let g = c.grant(Action::NetworkRead)?;
    let plan = app::calendar::plan_text(&s.app, &g)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(HolidayPlanText { plan }))
}

/// Replaces the holiday plan (head office). A bad line is reported with its number and nothing changes.
#[utoipa::path(put, path = "/api/v1/calendar/holidays", tag = "service", request_body = HolidayPlanText, responses((status = 204), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn replace_holiday_plan(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<HolidayPlanText>,
) -> Result<axum::http::StatusCode, ApiError> {
    let g = c.grant(Action::NetworkWrite)?;
    let input = input?;
    app::calendar::replace_plan(&s.app, &g, &input.plan)
        .await
        .map_err(|e| c.err(e))?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
