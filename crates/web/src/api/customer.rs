//! Customers, personal data and owners' own data.

use super::{Created, ListQuery, path_id};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody};
use app::customer::CustomerFilter;
use app::customer::{CustomerInput, RevealInput, Revealed};
use app::privacy::export::OwnExport;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::permission::Action;
use std::collections::HashMap;

/// Routes of this area.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/customers", get(list_customers).post(create_customer))
        .route("/customers/identify", post(identify))
        .route("/customers/{id}", get(get_customer).put(update_customer))
        .route("/customers/{id}/reveal", post(reveal))
        .route("/customers/{id}/audit", get(audit))
        .route("/me/data", get(own_data))
}

/// Lists customers within reach, masked: `q` (name words and/or the last four digits of
/// the phone; a whole or partial number is refused with 422 and audited), `station_id`.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", params(("q" = Option<String>, Query), ("station_id" = Option<i64>, Query), ("page" = Option<i64>, Query), ("per_page" = Option<i64>, Query)), responses((status = 200, description = "A page of customers")))]
pub async fn list_customers(
    State(s): State<AppState>,
    c: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let g = c.grant(Action::CustomerRead)?;
    let q = ListQuery(q);
    let f = CustomerFilter {
        q: q.text("q"),
        station_id: q.int("station_id", c.lang)?,
    };
    let page = app::customer::list(&s.app, &g, &f, q.page(c.lang)?)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(serde_json::to_value(page).unwrap_or_default()))
}

/// Creates a customer.
#[utoipa::path(post, path = "/api/v1/customers", tag = "customers", request_body = CustomerInput, responses((status = 201, body = Created), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn create_customer(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<CustomerInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let g = c.grant(Action::CustomerWrite)?;
    let input = input?;
    let id = app::customer::create(&s.app, &g, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// One customer, masked.
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers", params(("id" = i64, Path)), responses((status = 200, description = "The customer"), (status = 404, body = crate::error::ProblemDoc)))]
pub async fn get_customer(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<app::customer::Customer>, ApiError> {
    let g = c.grant(Action::CustomerRead)?;
    let id = path_id(&id, c.lang)?;
    Ok(Json(
        app::customer::get(&s.app, &g, id)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// Changes a customer; consent changes are recorded.
#[utoipa::path(put, path = "/api/v1/customers/{id}", tag = "customers", params(("id" = i64, Path)), request_body = CustomerInput, responses((status = 204), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn update_customer(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<CustomerInput>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(Action::CustomerWrite)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    app::customer::update(&s.app, &g, id, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The number on the line, for the caller lookup.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct IdentifyInput {
    /// The caller's whole number (CN mobile or E.164). Sent in the body, never in a
    /// URL, so it does not land in access logs.
    #[schema(schema_with = app::schema::phone)]
    pub phone: String,
}

/// Identifies a caller by the whole number on the line (hotline and customer
/// relations only): masked matches, one audit row each, rate-limited per user (429
/// with Retry-After over the rate).
#[utoipa::path(post, path = "/api/v1/customers/identify", tag = "customers", request_body = IdentifyInput, responses((status = 200, description = "Masked customers with that number"), (status = 422, body = crate::error::ProblemDoc), (status = 429, body = crate::error::ProblemDoc)))]
pub async fn identify(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<IdentifyInput>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let g = c.grant(Action::CallerIdentify)?;
    let input = input?;
    let found = app::customer::identify(&s.app, &g, &input.phone)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(serde_json::json!({ "items": found })))
}

/// Shows one field (`phone` or `id_number`) whole, for a purpose from the list plus a
/// note; one audit row; the answer says until when it may stay on screen.
#[utoipa::path(post, path = "/api/v1/customers/{id}/reveal", tag = "customers", params(("id" = i64, Path)), request_body = RevealInput, responses((status = 200, body = Revealed), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn reveal(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<RevealInput>,
) -> Result<Json<Revealed>, ApiError> {
    let g = c.grant(Action::PersonalDataReveal)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    Ok(Json(
        app::customer::reveal(&s.app, &g, id, &input)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// Who saw a customer's personal data, and why.
#[utoipa::path(get, path = "/api/v1/customers/{id}/audit", tag = "customers", params(("id" = i64, Path)), responses((status = 200, description = "Audit rows")))]
pub async fn audit(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let g = c.grant(Action::AuditRead)?;
    let id = path_id(&id, c.lang)?;
    let rows = app::customer::audit(&s.app, &g, id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(serde_json::json!({ "items": rows })))
}

/// Everything kept about the signed-in owner (owners only): every record keyed to
/// them, section by section (`app::privacy::export`); audited with its row count.
#[utoipa::path(get, path = "/api/v1/me/data", tag = "customers", responses((status = 200, body = OwnExport)))]
pub async fn own_data(State(s): State<AppState>, c: Caller) -> Result<Json<OwnExport>, ApiError> {
    let g = c.grant(Action::OwnDataExport)?;
    Ok(Json(
        app::privacy::export::own(&s.app, &g)
            .await
            .map_err(|e| c.err(e))?,
    ))
}
