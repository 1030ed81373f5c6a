//! Pick-up and delivery (上门取送车): schedule, list, driver, checklist, hand-over photos,
//! the owner's confirmation and cancel.

use super::{Created, ListQuery, ReasonInput, path_id};
use crate::AppState;
use crate::api::{json, problem};
use crate::error::{ApiError, ProblemDoc};
use crate::extract::{Caller, JsonBody};
use crate::i18n::Lang;
use app::AppError;
use app::pickup::{ChecklistItem, ConfirmInput, PhotoError, PickupInput, PickupView};
use app::pickup::{READ, WRITE};
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use domain::Violation;
use std::collections::HashMap;

/// The OpenAPI description of this area, merged into the whole API's.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        schedule_pickup,
        list_pickups,
        get_pickup,
        assign_driver,
        set_checklist,
        upload_photo,
        get_photo,
        confirm_pickup,
        cancel_pickup,
        reveal_address
    ),
    components(schemas(ProblemDoc))
)]
pub struct PickupApi;

/// Routes of this area under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/pickups", get(list_pickups).post(schedule_pickup))
        .route("/pickups/{id}", get(get_pickup))
        .route("/pickups/{id}/driver", post(assign_driver))
        .route("/pickups/{id}/checklist", put(set_checklist))
        .route("/pickups/{id}/photos", put(upload_photo))
        .route("/pickups/{id}/photos/{photo_id}", get(get_photo))
        .route("/pickups/{id}/confirm", post(confirm_pickup))
        .route("/pickups/{id}/cancel", post(cancel_pickup))
        .route("/pickups/{id}/reveal", post(reveal_address))
}

/// The problem answer of a refused photo: 413 when too large, 415 for a wrong type or
/// bytes that do not match it (also the audit photos' answer).
pub(crate) fn photo_problem(e: PhotoError, lang: Lang) -> Response {
    let v = vec![Violation::new("body", e.rule())];
    match e {
        PhotoError::TooLarge => problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "payment.error.photo_too_large",
            lang,
            v,
        ),
        PhotoError::Type | PhotoError::Magic => problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content-type",
            "payment.error.photo_type",
            lang,
            v,
        ),
    }
}

/// Schedules a pick-up (for an appointment) or a return (for a repair order).
#[utoipa::path(post, path = "/api/v1/pickups", tag = "pickups", request_body = PickupInput, responses((status = 201, body = Created), (status = 409, description = "Refused: the window ends before it starts, lasts over 12 hours or is over (`pickup.window`, `pickup.window_past`); the appointment is not booked; a pick-up is already scheduled", body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn schedule_pickup(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<PickupInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let g = c.grant(WRITE)?;
    let input = input?;
    let id = app::pickup::schedule(&s.app, &g, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// A station's pick-ups whose window starts in `[from, to)` (UTC ms; default: from
/// a day ago to two weeks ahead).
#[utoipa::path(get, path = "/api/v1/pickups", tag = "pickups", params(("station_id" = i64, Query), ("from" = Option<i64>, Query), ("to" = Option<i64>, Query)), responses((status = 200, description = "The pick-ups"), (status = 422, body = ProblemDoc)))]
pub async fn list_pickups(
    State(s): State<AppState>,
    c: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let g = c.grant(READ)?;
    let q = ListQuery(q);
    let now = s.app.now_ms();
    let station = q.int("station_id", c.lang)?.ok_or_else(|| {
        c.err(AppError::Invalid(
            Violation::new("station_id", "required").into(),
        ))
    })?;
    let from = q.int("from", c.lang)?.unwrap_or(now - 86_400_000);
    let to = q.int("to", c.lang)?.unwrap_or(now + 14 * 86_400_000);
    let rows = app::pickup::list(&s.app, &g, station, from, to)
        .await
        .map_err(|e| c.err(e))?;
    Ok(json(&rows))
}

/// A pick-up with its checklist and photos.
#[utoipa::path(get, path = "/api/v1/pickups/{id}", tag = "pickups", params(("id" = i64, Path)), responses((status = 200, body = PickupView), (status = 404, body = ProblemDoc)))]
pub async fn get_pickup(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<PickupView>, ApiError> {
    let g = c.grant(READ)?;
    let id = path_id(&id, c.lang)?;
    Ok(Json(
        app::pickup::get(&s.app, &g, id)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// The driver to assign.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DriverInput {
    /// Staff id of the driver (staff of the station).
    pub driver_id: i64,
}

/// Assigns the driver.
#[utoipa::path(post, path = "/api/v1/pickups/{id}/driver", tag = "pickups", params(("id" = i64, Path)), request_body = DriverInput, responses((status = 204), (status = 422, body = ProblemDoc)))]
pub async fn assign_driver(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<DriverInput>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(WRITE)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    app::pickup::assign_driver(&s.app, &g, id, input.driver_id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The hand-over checklist.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistInput {
    /// Items (exterior, interior, fuel, odometer, belongings, keys, documents).
    pub items: Vec<ChecklistItem>,
}

/// Records the hand-over checklist.
#[utoipa::path(put, path = "/api/v1/pickups/{id}/checklist", tag = "pickups", params(("id" = i64, Path)), request_body = ChecklistInput, responses((status = 204), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn set_checklist(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ChecklistInput>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(WRITE)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    app::pickup::set_checklist(&s.app, &g, id, &input.items)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Uploads a hand-over photo as the raw request body (`Content-Type` image/jpeg,
/// image/png or image/webp, magic bytes matching; at most 5 MiB, 12 per hand-over).
/// Another type or mismatching bytes are 415, a larger body 413, the 13th photo 409.
#[utoipa::path(put, path = "/api/v1/pickups/{id}/photos", tag = "pickups", params(("id" = i64, Path)), request_body(content = Vec<u8>, content_type = "image/jpeg"), responses((status = 201, body = Created), (status = 409, body = ProblemDoc), (status = 413, body = ProblemDoc), (status = 415, body = ProblemDoc)))]
pub async fn upload_photo(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let g = match c.grant(WRITE) {
        Ok(g) => g,
        Err(e) => return e.into_response(),
    };
    let id = match path_id(&id, c.lang) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if let Err(e) = app::pickup::photo_type(ct) {
        return photo_problem(e, c.lang);
    }
    // A body somewhat over the limit is still read (and dropped) so the client gets
    // the 413 instead of a broken pipe; one far over it is refused unread.
    let limit = app::pickup::MAX_PHOTO_BYTES;
    let read_cap = 2 * limit;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > read_cap) {
        return photo_problem(PhotoError::TooLarge, c.lang);
    }
    let bytes = match axum::body::to_bytes(body, read_cap).await {
        Ok(b) if b.len() <= limit => b,
        _ => return photo_problem(PhotoError::TooLarge, c.lang),
    };
    if let Err(e) = app::pickup::check_photo(ct, &bytes) {
        return photo_problem(e, c.lang);
    }
    match app::pickup::add_photo(&s.app, &g, id, ct, &bytes).await {
        Ok(photo) => (StatusCode::CREATED, Json(Created { id: photo })).into_response(),
        Err(e) => c.err(e).into_response(),
    }
}

/// A hand-over photo, byte for byte, with its content type.
#[utoipa::path(get, path = "/api/v1/pickups/{id}/photos/{photo_id}", tag = "pickups", params(("id" = i64, Path), ("photo_id" = i64, Path)), responses((status = 200, description = "The image"), (status = 404, body = ProblemDoc)))]
pub async fn get_photo(
    State(s): State<AppState>,
    c: Caller,
    Path((id, photo_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let g = c.grant(READ)?;
    let id = path_id(&id, c.lang)?;
    let photo_id = path_id(&photo_id, c.lang)?;
    let (ct, bytes) = app::pickup::photo(&s.app, &g, id, photo_id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(crate::api::file::stored_file(&ct, bytes, None))
}

/// Records the owner's confirmation of the hand-over (checklist complete, photos taken).
#[utoipa::path(post, path = "/api/v1/pickups/{id}/confirm", tag = "pickups", params(("id" = i64, Path)), request_body = ConfirmInput, responses((status = 204), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn confirm_pickup(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ConfirmInput>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(WRITE)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    app::pickup::confirm(&s.app, &g, id, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Cancels a scheduled pick-up with a reason.
#[utoipa::path(post, path = "/api/v1/pickups/{id}/cancel", tag = "pickups", params(("id" = i64, Path)), request_body = ReasonInput, responses((status = 204), (status = 409, body = ProblemDoc)))]
pub async fn cancel_pickup(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ReasonInput>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(WRITE)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    app::pickup::cancel(&s.app, &g, id, &input.reason)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Shows the pick-up's address whole to its driver or the advisor who scheduled it,
/// for a purpose from the list plus a note; one audit row; time-limited.
#[utoipa::path(post, path = "/api/v1/pickups/{id}/reveal", tag = "pickups", params(("id" = i64, Path)), request_body = app::customer::RevealInput, responses((status = 200, body = app::customer::Revealed), (status = 422, body = ProblemDoc)))]
pub async fn reveal_address(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<app::customer::RevealInput>,
) -> Result<Json<app::customer::Revealed>, ApiError> {
    let g = c.grant(READ)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    Ok(Json(
        app::pickup::reveal::reveal_address(&s.app, &g, id, &input)
            .await
            .map_err(|e| c.err(e))?,
    ))
}
