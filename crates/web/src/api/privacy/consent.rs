//! A customer's consent per purpose: read and record (staff), and the owner's own.

use crate::AppState;
use crate::api::path_id;
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody};
use app::privacy::consent::{ConsentInput, ConsentView};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};

/// Routes of the consent ledger.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/customers/{id}/consent", get(of_customer).post(record))
        .route("/me/consent", get(own))
}

/// A customer's consent: the state of each purpose and every entry, newest first.
#[utoipa::path(get, path = "/api/v1/customers/{id}/consent", tag = "privacy", params(("id" = i64, Path)), responses((status = 200, body = ConsentView), (status = 404, body = crate::error::ProblemDoc)))]
pub async fn of_customer(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<ConsentView>, ApiError> {
    let g = c.grant(app::privacy::consent::READ)?;
    let id = path_id(&id, c.lang)?;
    Ok(Json(
        app::privacy::consent::of_customer(&s.app, &g, id)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// Records a change of one purpose (given or withdrawn) with its source (`desk` or
/// `call`) and evidence (a call needs its recording reference). Without a source: 422
/// naming `source`, nothing recorded, the attempt audited.
#[utoipa::path(post, path = "/api/v1/customers/{id}/consent", tag = "privacy", params(("id" = i64, Path)), request_body = ConsentInput, responses((status = 204), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn record(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ConsentInput>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(app::privacy::consent::WRITE)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    app::privacy::consent::record(&s.app, &g, id, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in owner's own consent (owners only).
#[utoipa::path(get, path = "/api/v1/me/consent", tag = "privacy", responses((status = 200, body = ConsentView)))]
pub async fn own(State(s): State<AppState>, c: Caller) -> Result<Json<ConsentView>, ApiError> {
    let g = c.grant(app::privacy::consent::OWN)?;
    Ok(Json(
        app::privacy::consent::own(&s.app, &g)
            .await
            .map_err(|e| c.err(e))?,
    ))
}
