//! The estimate of a repair order: lines, and the owner's decisions taken at the desk.

use super::path_id;
use crate::AppState;
use crate::api::{ClientIp, line_of};
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody};
use app::estimate::{DecisionInput, LineInput};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use domain::permission::Action;
use serde::{Deserialize, Serialize};

/// The OpenAPI description of this area, merged into the whole API's.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(add_line, approve_line, decline_line, reoffer_line),
    components(schemas(LineBody, DeskDecision))
)]
pub struct EstimateApi;

/// Routes of this area.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/repair-orders/{id}/lines", post(add_line))
        .route("/repair-orders/{id}/lines/{no}/approve", post(approve_line))
        .route("/repair-orders/{id}/lines/{no}/decline", post(decline_line))
        .route("/repair-orders/{id}/lines/{no}/reoffer", post(reoffer_line))
}

/// An estimate line.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineBody {
    /// `labour` or `part`.
    #[serde(default)]
    #[schema(required = true, pattern = "^(labour|part)$")]
    pub kind: String,
    /// Labour operation code or part number (one the catalogue lacks: 409).
    #[serde(default)]
    #[schema(required = true, min_length = 1)]
    pub code: String,
    /// Hours or quantity in hundredths.
    #[serde(default)]
    pub hundredths: Option<i64>,
    /// Part unit price in fen.
    #[serde(default)]
    pub unit_price_fen: Option<i64>,
}

/// Line number of an added line.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LineAdded {
    /// Line number.
    pub line_no: u32,
}

/// Adds a proposed estimate line (labour at the station rate, or a part). Added during
/// repair, it is extra work that blocks completing repair until the owner decides.
#[utoipa::path(post, path = "/api/v1/repair-orders/{id}/lines", tag = "service", params(("id" = i64, Path)), request_body = LineBody, responses((status = 201, description = "The line number"), (status = 409, body = crate::error::ProblemDoc), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn add_line(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<LineBody>,
) -> Result<(StatusCode, Json<LineAdded>), ApiError> {
    let g = c.grant(Action::RepairOrderWrite)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    let line_no = app::estimate::add_line(
        &s.app,
        &g,
        id,
        &LineInput {
            kind: input.kind.trim().to_string(),
            code: input.code,
            hundredths: input.hundredths,
            unit_price_fen: input.unit_price_fen,
        },
    )
    .await
    .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(LineAdded { line_no })))
}

/// The owner's decision at the desk.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeskDecision {
    /// Who decided (the owner's name).
    #[serde(default)]
    pub by: String,
    /// The signature as captured (text or a stored image reference).
    #[serde(default)]
    pub signature: Option<String>,
    /// Promised completion (UTC ms), set with the first approval; the ETA otherwise.
    #[serde(default)]
    pub promised_at: Option<i64>,
}

fn desk(input: DeskDecision, ip: Option<String>) -> DecisionInput {
    DecisionInput {
        by: input.by,
        channel: "desk_signature".into(),
        ip,
        signature_ref: input
            .signature
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        promised_at: input.promised_at,
    }
}

/// Approves a line at the desk (channel `desk_signature`, with the signature and the
/// client's IP kept).
#[utoipa::path(post, path = "/api/v1/repair-orders/{id}/lines/{no}/approve", tag = "service", params(("id" = i64, Path), ("no" = u32, Path)), request_body = DeskDecision, responses((status = 204), (status = 409, body = crate::error::ProblemDoc)))]
pub async fn approve_line(
    State(s): State<AppState>,
    c: Caller,
    ip: ClientIp,
    Path((id, no)): Path<(String, String)>,
    JsonBody(input): JsonBody<DeskDecision>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(Action::RepairOrderWrite)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    let no = line_of(&no, c.lang)?;
    app::estimate::approve(&s.app, &g, id, no, &desk(input, ip.0))
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Declines a line at the desk; it is kept for a later offer.
#[utoipa::path(post, path = "/api/v1/repair-orders/{id}/lines/{no}/decline", tag = "service", params(("id" = i64, Path), ("no" = u32, Path)), request_body = DeskDecision, responses((status = 204), (status = 409, body = crate::error::ProblemDoc)))]
pub async fn decline_line(
    State(s): State<AppState>,
    c: Caller,
    ip: ClientIp,
    Path((id, no)): Path<(String, String)>,
    JsonBody(input): JsonBody<DeskDecision>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(Action::RepairOrderWrite)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    let no = line_of(&no, c.lang)?;
    app::estimate::decline(&s.app, &g, id, no, &desk(input, ip.0))
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Offers a declined line again as a new proposed line.
#[utoipa::path(post, path = "/api/v1/repair-orders/{id}/lines/{no}/reoffer", tag = "service", params(("id" = i64, Path), ("no" = u32, Path)), responses((status = 201, description = "The new line number"), (status = 409, body = crate::error::ProblemDoc)))]
pub async fn reoffer_line(
    State(s): State<AppState>,
    c: Caller,
    Path((id, no)): Path<(String, String)>,
) -> Result<(StatusCode, Json<LineAdded>), ApiError> {
    let g = c.grant(Action::RepairOrderWrite)?;
    let id = path_id(&id, c.lang)?;
    let no = line_of(&no, c.lang)?;
    let line_no = app::estimate::reoffer(&s.app, &g, id, no)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(LineAdded { line_no })))
}
