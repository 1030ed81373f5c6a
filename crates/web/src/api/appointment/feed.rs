//! iCalendar feeds of appointments: per station for staff, and per owner through an
//! unguessable token URL (`/ical/owner/{token}.ics`), since calendar apps cannot sign in.
//! [`public_router`] holds the owner feed, outside `/api/v1`.

use super::path_id;
use crate::AppState;
use crate::error::{ApiError, ProblemDoc};
use crate::extract::{ApiLang, Caller};
use app::AppError;
use app::appointment::feed::{READ, WRITE};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

/// The OpenAPI description of this area, merged into the whole API's.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        station_calendar,
        issue_calendar_token,
        revoke_calendar_token,
        own_calendar_token,
        owner_calendar
    ),
    components(schemas(ProblemDoc))
)]
pub struct FeedApi;

/// Routes of this area under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/stations/{id}/appointments.ics", get(station_calendar))
        .route(
            "/customers/{id}/calendar-token",
            post(issue_calendar_token).delete(revoke_calendar_token),
        )
        .route("/me/calendar-token", post(own_calendar_token))
}

/// Routes outside `/api/v1`: the sandbox provider's checkout page and the owners'
/// calendar feeds. To be merged into the app's router next to [`crate::api::router`].
pub fn public_router() -> Router<AppState> {
    Router::new().route("/ical/owner/{file}", get(owner_calendar))
}

fn calendar(body: String, name: &str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    r
}

/// A station's appointments as an iCalendar feed (RFC 5545), for signed-in staff.
#[utoipa::path(get, path = "/api/v1/stations/{id}/appointments.ics", tag = "calendar", params(("id" = i64, Path)), responses((status = 200, description = "text/calendar", content_type = "text/calendar"), (status = 404, body = ProblemDoc)))]
pub async fn station_calendar(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let g = c.grant(READ)?;
    let id = path_id(&id, c.lang)?;
    let body = app::appointment::feed::station_feed(&s.app, &g, id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(calendar(body, &format!("station-{id}.ics")))
}

/// A calendar-feed token and the feed's path.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct CalendarToken {
    /// The token (shown once; only its hash is kept).
    pub token: String,
    /// The feed's path on this server, `/ical/owner/{token}.ics`.
    pub url: String,
}

/// Issues a customer's calendar-feed token, replacing any earlier one.
#[utoipa::path(post, path = "/api/v1/customers/{id}/calendar-token", tag = "calendar", params(("id" = i64, Path)), responses((status = 201, body = CalendarToken), (status = 404, body = ProblemDoc)))]
pub async fn issue_calendar_token(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<CalendarToken>), ApiError> {
    let g = c.grant(WRITE)?;
    let id = path_id(&id, c.lang)?;
    let token = app::appointment::feed::issue_owner_token(&s.app, &g, id)
        .await
        .map_err(|e| c.err(e))?;
    Ok((
        StatusCode::CREATED,
        Json(CalendarToken {
            url: app::appointment::feed::owner_feed_path(&token),
            token,
        }),
    ))
}

/// Revokes a customer's calendar-feed token.
#[utoipa::path(delete, path = "/api/v1/customers/{id}/calendar-token", tag = "calendar", params(("id" = i64, Path)), responses((status = 204), (status = 404, body = ProblemDoc)))]
pub async fn revoke_calendar_token(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(WRITE)?;
    let id = path_id(&id, c.lang)?;
    app::appointment::feed::revoke_owner_token(&s.app, &g, id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// A signed-in owner issues their own calendar-feed token.
#[utoipa::path(post, path = "/api/v1/me/calendar-token", tag = "calendar", responses((status = 201, body = CalendarToken), (status = 403, body = ProblemDoc)))]
pub async fn own_calendar_token(
    State(s): State<AppState>,
    c: Caller,
) -> Result<(StatusCode, Json<CalendarToken>), ApiError> {
    let token = app::appointment::feed::issue_own_token(&s.app, &c.principal)
        .await
        .map_err(|e| c.err(e))?;
    Ok((
        StatusCode::CREATED,
        Json(CalendarToken {
            url: app::appointment::feed::owner_feed_path(&token),
            token,
        }),
    ))
}

/// An owner's appointments as an iCalendar feed; the token in the URL is the
/// capability (`/ical/owner/{token}.ics`). An unknown or revoked token is 404.
#[utoipa::path(get, path = "/ical/owner/{file}", tag = "calendar", params(("file" = String, Path, description = "`{token}.ics`")), responses((status = 200, description = "text/calendar", content_type = "text/calendar"), (status = 404, body = ProblemDoc)))]
pub async fn owner_calendar(
    State(s): State<AppState>,
    ApiLang(lang): ApiLang,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let token = file
        .strip_suffix(".ics")
        .ok_or_else(|| ApiError::app(AppError::NotFound, lang))?;
    let body = app::appointment::feed::owner_feed(&s.app, token)
        .await
        .map_err(|e| ApiError::app(e, lang))?;
    Ok(calendar(body, "aftersales.ics"))
}
