//! Appointments (预约): book, read, reschedule, cancel, no-show, a station's list, and
//! the iCalendar feeds of them ([`feed`]).

pub mod feed;

use super::{Created, ListQuery, ReasonInput, path_id};
use crate::AppState;
use crate::api::capacity::day_range;
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody};
use app::appointment::AppointmentRow;
use app::appointment::BookInput;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::permission::Action;
use domain::role::Role;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The OpenAPI description of this area, merged into the whole API's.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        station_appointments,
        book,
        get_appointment,
        reschedule,
        cancel,
        no_show
    ),
    components(schemas(BookBody, RescheduleInput, BookedAnswer))
)]
pub struct AppointmentApi;

/// Routes of this area.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/stations/{id}/appointments", get(station_appointments))
        .route("/appointments", post(book))
        .route("/appointments/{id}", get(get_appointment))
        .route("/appointments/{id}/reschedule", post(reschedule))
        .route("/appointments/{id}/cancel", post(cancel))
        .route("/appointments/{id}/no-show", post(no_show))
}

/// A booking.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookBody {
    /// Station.
    #[serde(default)]
    pub station_id: i64,
    /// Vehicle (its owner is the customer).
    #[serde(default)]
    pub vehicle_id: i64,
    /// `maintenance`, `repair`, `warranty`, `recall`, `accident_body`, `ev_battery_check`.
    #[serde(default)]
    #[schema(schema_with = app::schema::service_type, required = true)]
    pub service_type: String,
    /// `owner_app`, `hotline`, `walk_in` (owners: always `owner_app`).
    #[serde(default)]
    #[schema(schema_with = app::schema::booking_channel, required = true)]
    pub channel: String,
    /// Start: UTC ms, RFC 3339, or `YYYY-MM-DD HH:MM` in the station's zone.
    #[serde(default)]
    #[schema(schema_with = app::schema::instant, required = true)]
    pub start: serde_json::Value,
    /// Labour operation codes, if known.
    #[serde(default)]
    pub operation_codes: Vec<String>,
    /// Duration in minutes when no operation is named.
    #[serde(default)]
    pub duration_minutes: Option<i64>,
    /// The owner's concern.
    #[serde(default)]
    pub concern: Option<String>,
}

/// A station's appointments of one day (`day`, default today in the station's zone).
#[utoipa::path(get, path = "/api/v1/stations/{id}/appointments", tag = "service", params(("id" = i64, Path), ("day" = Option<String>, Query)), responses((status = 200, description = "Appointments by start")))]
pub async fn station_appointments(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Vec<AppointmentRow>>, ApiError> {
    let g = c.grant(Action::AppointmentRead)?;
    let id = path_id(&id, c.lang)?;
    let q = ListQuery(q);
    let (_, from, to) = day_range(&s.app, id, q.given("day").as_deref(), c.lang).await?;
    Ok(Json(
        app::appointment::list(&s.app, &g, id, from, to)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// A booking's outcome.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BookedAnswer {
    /// Appointment id.
    pub id: i64,
}

/// Books an appointment against the station's capacity; refused (409, naming the
/// rule) in the past, on a holiday, outside hours, or when full.
#[utoipa::path(post, path = "/api/v1/appointments", tag = "service", request_body = BookBody, responses((status = 201, body = Created), (status = 409, body = crate::error::ProblemDoc), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn book(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<BookBody>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let g = c.grant(Action::AppointmentBook)?;
    let input = input?;
    let channel = if c.principal.role == Role::Owner {
        "owner_app".to_string()
    } else {
        input.channel
    };
    let id = app::appointment::book(
        &s.app,
        &g,
        &BookInput {
            station_id: input.station_id,
            vehicle_id: input.vehicle_id,
            service_type: input.service_type,
            channel,
            start: input.start,
            operation_codes: input.operation_codes,
            duration_minutes: input.duration_minutes,
            concern: input.concern,
        },
    )
    .await
    .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// One appointment.
#[utoipa::path(get, path = "/api/v1/appointments/{id}", tag = "service", params(("id" = i64, Path)), responses((status = 200, description = "The appointment"), (status = 404, body = crate::error::ProblemDoc)))]
pub async fn get_appointment(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<AppointmentRow>, ApiError> {
    let g = c.grant(Action::AppointmentRead)?;
    let id = path_id(&id, c.lang)?;
    Ok(Json(
        app::appointment::get(&s.app, &g, id)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// A new start.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleInput {
    /// Start: UTC ms, RFC 3339, or `YYYY-MM-DD HH:MM` in the station's zone.
    #[serde(default)]
    #[schema(schema_with = app::schema::instant, required = true)]
    pub start: serde_json::Value,
}

/// Moves a booked appointment; the old places are released.
#[utoipa::path(post, path = "/api/v1/appointments/{id}/reschedule", tag = "service", params(("id" = i64, Path)), request_body = RescheduleInput, responses((status = 204), (status = 409, body = crate::error::ProblemDoc)))]
pub async fn reschedule(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<RescheduleInput>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(Action::AppointmentBook)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    app::appointment::reschedule(&s.app, &g, id, &input.start)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Cancels with a reason; the places are released.
#[utoipa::path(post, path = "/api/v1/appointments/{id}/cancel", tag = "service", params(("id" = i64, Path)), request_body = ReasonInput, responses((status = 204), (status = 409, body = crate::error::ProblemDoc)))]
pub async fn cancel(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ReasonInput>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(Action::AppointmentBook)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    app::appointment::cancel(&s.app, &g, id, &input.reason)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Records that the owner did not come (only after the start).
#[utoipa::path(post, path = "/api/v1/appointments/{id}/no-show", tag = "service", params(("id" = i64, Path)), responses((status = 204), (status = 409, body = crate::error::ProblemDoc)))]
pub async fn no_show(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(Action::AppointmentBook)?;
    let id = path_id(&id, c.lang)?;
    app::appointment::no_show(&s.app, &g, id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}
