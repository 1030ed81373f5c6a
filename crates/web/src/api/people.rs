//! Staff accounts and certificates.

use super::{Created, ListQuery, path_id};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody};
use app::people::StaffFilter;
use app::people::{CertificateInput, StaffInput, StaffUpdateInput};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::permission::Action;
use std::collections::HashMap;

/// Routes of this area.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff", get(list_staff).post(create_staff))
        .route("/staff/{id}", get(get_staff).put(update_staff))
        .route("/staff/{id}/certificates", post(add_certificate))
        .route("/staff/{id}/reveal", post(reveal_phone))
}

/// Lists staff within reach: `q`, `role`, `station_id`, `page`, `per_page`.
#[utoipa::path(get, path = "/api/v1/staff", tag = "people", params(("q" = Option<String>, Query), ("role" = Option<String>, Query), ("station_id" = Option<i64>, Query), ("page" = Option<i64>, Query), ("per_page" = Option<i64>, Query)), responses((status = 200, description = "A page of staff")))]
pub async fn list_staff(
    State(s): State<AppState>,
    c: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let g = c.grant(Action::StaffRead)?;
    let q = ListQuery(q);
    let f = StaffFilter {
        q: q.text("q"),
        role: q.text("role"),
        station_id: q.int("station_id", c.lang)?,
    };
    let page = app::people::staff_list(&s.app, &g, &f, q.page(c.lang)?)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(serde_json::to_value(page).unwrap_or_default()))
}

/// Creates a staff account.
#[utoipa::path(post, path = "/api/v1/staff", tag = "people", request_body = StaffInput, responses((status = 201, body = Created), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn create_staff(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<StaffInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let g = c.grant(Action::StaffWrite)?;
    let input = input?;
    let id = app::people::create_staff(&s.app, &g, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// One staff member with certificates.
#[utoipa::path(get, path = "/api/v1/staff/{id}", tag = "people", params(("id" = i64, Path)), responses((status = 200, description = "Staff and certificates"), (status = 404, body = crate::error::ProblemDoc)))]
pub async fn get_staff(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let g = c.grant(Action::StaffRead)?;
    let id = path_id(&id, c.lang)?;
    let (staff, certs) = app::people::staff(&s.app, &g, id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(
        serde_json::json!({ "staff": staff, "certificates": certs }),
    ))
}

/// Adds a certificate (grade, qualification or key position) with its expiry.
#[utoipa::path(post, path = "/api/v1/staff/{id}/certificates", tag = "people", params(("id" = i64, Path)), request_body = CertificateInput, responses((status = 201, body = Created), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn add_certificate(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<CertificateInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let g = c.grant(Action::StaffWrite)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    let cid = app::people::add_certificate(&s.app, &g, id, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(Created { id: cid })))
}

/// Changes a staff account: name, role, unit, phone, active (turning it off ends its sessions), WeChat id (empty keeps it, `clear_wechat_id` removes it).
#[utoipa::path(put, path = "/api/v1/staff/{id}", tag = "people", params(("id" = i64, Path)), request_body = StaffUpdateInput, responses((status = 204), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn update_staff(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<StaffUpdateInput>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(Action::StaffWrite)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    app::people::update_staff(&s.app, &g, id, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Shows a staff member's phone whole (account managers only), for a purpose from the
/// list plus a note; one audit row; the answer says until when it may stay on screen.
#[utoipa::path(post, path = "/api/v1/staff/{id}/reveal", tag = "people", params(("id" = i64, Path)), request_body = app::customer::RevealInput, responses((status = 200, body = app::customer::Revealed), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn reveal_phone(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<app::customer::RevealInput>,
) -> Result<Json<app::customer::Revealed>, ApiError> {
    let g = c.grant(Action::StaffWrite)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    Ok(Json(
        app::people::reveal_phone(&s.app, &g, id, &input)
            .await
            .map_err(|e| c.err(e))?,
    ))
}
