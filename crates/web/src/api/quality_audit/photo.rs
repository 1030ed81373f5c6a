//! Photos of failed checkpoints: the auditor uploads one photo per request as the raw
//! body (`Content-Type` image/jpeg, image/png or image/webp, magic bytes matching, at
//! most 5 MiB: the pick-up hand-over's rule), the visit's photos are listed, and one
//! is read back byte for byte.

use super::super::path_id;
use crate::AppState;
use crate::api::pickup::photo_problem;
use crate::error::{ApiError, ProblemDoc};
use crate::extract::Caller;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::permission::Action;
use std::collections::HashMap;

/// Uploads a photo of failed checkpoint `code` (query) of visit `id` as the raw
/// request body.
/// A type other than JPEG, PNG or WebP, or bytes not matching it, is 415; a body over
/// 5 MiB 413; a checkpoint not answered "fail" 409 `quality_audit.photo_not_failed`;
/// a seventh photo of one checkpoint 409 `quality_audit.photo_count`.
#[utoipa::path(put, path = "/api/v1/audit-visits/{id}/photos", operation_id = "quality_audit_add_photo", tag = "quality", params(("id" = i64, Path, minimum = 1), ("code" = String, Query, pattern = "^[A-Za-z0-9_]{1,20}$")), request_body(content = Vec<u8>, content_type = "image/jpeg"), responses((status = 201, body = crate::api::Created), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc), (status = 413, body = ProblemDoc), (status = 415, body = ProblemDoc)))]
pub async fn add_photo(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let g = match c.grant(Action::QualityAuditWrite) {
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
    let limit = app::pickup::MAX_PHOTO_BYTES;
    let read_cap = 2 * limit;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > read_cap) {
        return photo_problem(app::pickup::PhotoError::TooLarge, c.lang);
    }
    let bytes = match axum::body::to_bytes(body, read_cap).await {
        Ok(b) if b.len() <= limit => b,
        _ => return photo_problem(app::pickup::PhotoError::TooLarge, c.lang),
    };
    if let Err(e) = app::pickup::check_photo(ct, &bytes) {
        return photo_problem(e, c.lang);
    }
    let code = q.get("code").map(String::as_str).unwrap_or("");
    match app::quality_audit::photo::add(&s.app, &g, id, code, ct, &bytes).await {
        Ok(photo) => (StatusCode::CREATED, Json(crate::api::Created { id: photo })).into_response(),
        Err(e) => c.err(e).into_response(),
    }
}

/// The photos of visit `id` (without their bytes): id, checkpoint, type, size,
/// SHA-256 and when.
#[utoipa::path(get, path = "/api/v1/audit-visits/{id}/photos", operation_id = "quality_audit_photos", tag = "quality", params(("id" = i64, Path, minimum = 1)), responses((status = 200, description = "`[{id, visit_id, code, content_type, size_bytes, sha256, uploaded_at}]`"), (status = 404, body = ProblemDoc)))]
pub async fn photos(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<app::quality_audit::photo::AuditPhoto>>, ApiError> {
    let g = c.grant(Action::QualityAuditRead)?;
    let id = path_id(&id, c.lang)?;
    Ok(Json(
        app::quality_audit::photo::list(&s.app, &g, id, None)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// One photo of visit `id`, byte for byte, with its content type.
#[utoipa::path(get, path = "/api/v1/audit-visits/{id}/photos/{photo_id}", operation_id = "quality_audit_photo", tag = "quality", params(("id" = i64, Path, minimum = 1), ("photo_id" = i64, Path, minimum = 1)), responses((status = 200, description = "The image"), (status = 404, body = ProblemDoc)))]
pub async fn photo(
    State(s): State<AppState>,
    c: Caller,
    Path((id, photo_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let g = c.grant(Action::QualityAuditRead)?;
    let id = path_id(&id, c.lang)?;
    let photo_id = path_id(&photo_id, c.lang)?;
    let (ct, bytes) = app::quality_audit::photo::bytes(&s.app, &g, id, photo_id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(crate::api::file::stored_file(&ct, bytes, None))
}
