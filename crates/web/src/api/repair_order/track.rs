//! The owner's transparent-workshop link (掌上车间) as JSON: no sign-in, the
//! unguessable token is the capability. Unknown, tampered or revoked tokens are 404.

use crate::AppState;
use app::repair_order::track::{OwnerTrack, owner_track};

use crate::api::ClientIp;

use crate::error::ApiError;

use crate::extract::ApiLang;

use app::AppError;

use axum::extract::{Path, State};

use axum::http::StatusCode;

use axum::routing::{get, post};

use axum::{Json, Router};

/// Routes of the owner link.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/track/{token}", get(track))
        .route("/track/{token}/lines/{no}/approve", post(owner_approve))
        .route("/track/{token}/lines/{no}/decline", post(owner_decline))
}

/// The owner's view of the order: every stage, notes, ETA, the estimate.
#[utoipa::path(get, path = "/api/v1/track/{token}", tag = "owner link", params(("token" = String, Path)), responses((status = 200, description = "The order as the owner sees it"), (status = 404, body = crate::error::ProblemDoc)))]
pub async fn track(
    State(s): State<AppState>,
    ApiLang(lang): ApiLang,
    Path(token): Path<String>,
) -> Result<Json<OwnerTrack>, ApiError> {
    Ok(Json(
        owner_track(&s.app, &token, lang == crate::i18n::Lang::En)
            .await
            .map_err(|e| ApiError::app(e, lang))?,
    ))
}

async fn decide(
    s: &AppState,
    lang: crate::i18n::Lang,
    token: &str,
    no: &str,
    approve: bool,
    ip: Option<String>,
) -> Result<StatusCode, ApiError> {
    let no = no
        .parse::<u32>()
        .map_err(|_| ApiError::app(AppError::NotFound, lang))?;
    app::estimate::owner_decide(&s.app, token, no, approve, ip.as_deref())
        .await
        .map_err(|e| ApiError::app(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The owner approves a line from the link (channel `owner_page`, client IP kept).
#[utoipa::path(post, path = "/api/v1/track/{token}/lines/{no}/approve", tag = "owner link", params(("token" = String, Path), ("no" = u32, Path)), responses((status = 204), (status = 404, body = crate::error::ProblemDoc), (status = 409, body = crate::error::ProblemDoc)))]
pub async fn owner_approve(
    State(s): State<AppState>,
    ApiLang(lang): ApiLang,
    ip: ClientIp,
    Path((token, no)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    decide(&s, lang, &token, &no, true, ip.0).await
}

/// The owner declines a line from the link; it is kept for a later offer.
#[utoipa::path(post, path = "/api/v1/track/{token}/lines/{no}/decline", tag = "owner link", params(("token" = String, Path), ("no" = u32, Path)), responses((status = 204), (status = 404, body = crate::error::ProblemDoc), (status = 409, body = crate::error::ProblemDoc)))]
pub async fn owner_decline(
    State(s): State<AppState>,
    ApiLang(lang): ApiLang,
    ip: ClientIp,
    Path((token, no)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    decide(&s, lang, &token, &no, false, ip.0).await
}
