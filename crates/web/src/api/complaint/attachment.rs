//! Evidence files of a complaint over the API: one file per request as the raw body
//! (its `Content-Type` a photo or recording type, its name in `file_name`), the list
//! without bytes, and one file back byte for byte with its type and a
//! `Content-Disposition` naming it. Staff within reach of the complaint's station and
//! the owner of the complaint (their own only) may send and read.

use super::super::path_id;
use crate::AppState;
use crate::api::problem;
use crate::error::{ApiError, ProblemDoc};
use crate::extract::Caller;
use crate::i18n::Lang;
use app::AppError;
use app::complaint::attachment::AttachmentRow;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::Violation;
use domain::complaint::attachment::{MAX_BYTES, MAX_SIZE_TEXT, Media, accepted_types};
use domain::permission::Action;
use std::collections::HashMap;

/// The answer of a file refused before it reaches the use case: 415 for a type that is
/// not a photo or recording, 413 for a body over the limit.
fn refused(v: Violation, lang: Lang) -> Response {
    if v.rule == "complaint.attachment_size" {
        problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "complaint.error.attachment_too_large",
            lang,
            vec![v],
        )
    } else {
        problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content-type",
            "complaint.error.attachment_type",
            lang,
            vec![v],
        )
    }
}

/// Sends one file as evidence of complaint `id`, as the raw request body. A type
/// other than JPEG, PNG, WebP, MP3, M4A, AMR or WAV, or bytes that are not what the
/// type says, is 415; a body over 10 MiB 413; a bad file name 422; a closed
/// complaint or a 21st file 409; staff of another unit 403.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/attachments", operation_id = "complaint_attach", tag = "complaints", params(("id" = i64, Path, minimum = 1), ("file_name" = String, Query, description = "The file's name (1–200 characters; folders dropped)")), request_body(content = Vec<u8>, content_type = "image/jpeg"), responses((status = 201, description = "`{id, file_name, content_type, size_bytes, sha256, has_file, by_role, by_name, at}`"), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc), (status = 413, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn attach(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    receive(&s, &c, Action::ComplaintWrite, &id, &q, &headers, body).await
}

/// The signed-in owner sends one file as evidence of their own complaint `id`, as the
/// raw request body; the same rules and answers as staff's upload, and another
/// owner's complaint is 404.
#[utoipa::path(post, path = "/api/v1/me/complaints/{id}/attachments", operation_id = "complaint_attach_own", tag = "complaints", params(("id" = i64, Path, minimum = 1), ("file_name" = String, Query, description = "The file's name (1–200 characters; folders dropped)")), request_body(content = Vec<u8>, content_type = "image/jpeg"), responses((status = 201, description = "The attachment as listed"), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc), (status = 413, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn attach_own(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    receive(&s, &c, Action::ComplaintOwnerFile, &id, &q, &headers, body).await
}

/// Reads, checks and keeps one file sent with `action`'s grant.
async fn receive(
    s: &AppState,
    c: &Caller,
    action: Action,
    id: &str,
    q: &HashMap<String, String>,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    let g = match c.grant(action) {
        Ok(g) => g,
        Err(e) => return e.into_response(),
    };
    let id = match path_id(id, c.lang) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if Media::of_content_type(ct).is_none() {
        let v = Violation::new("file", "complaint.attachment_type").with_detail(accepted_types());
        return refused(v, c.lang);
    }
    let too_large = || {
        refused(
            Violation::new("file", "complaint.attachment_size").with_detail(MAX_SIZE_TEXT),
            c.lang,
        )
    };
    // Up to twice the limit is read, so a client that sends a little too much still
    // hears the 413 rather than a reset connection; more is refused unread.
    let read_cap = 2 * MAX_BYTES;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > read_cap) {
        return too_large();
    }
    let bytes = match axum::body::to_bytes(body, read_cap).await {
        Ok(b) if b.len() <= MAX_BYTES => b,
        _ => return too_large(),
    };
    let name = q.get("file_name").map(String::as_str).unwrap_or("");
    match app::complaint::attachment::add(&s.app, &g, id, name, ct, &bytes).await {
        Ok(row) => (StatusCode::CREATED, Json(row)).into_response(),
        Err(AppError::Invalid(v)) if v.0.iter().any(|x| x.rule == "complaint.attachment_magic") => {
            refused(Violation::new("file", "complaint.attachment_magic"), c.lang)
        }
        Err(e) => c.err(e).into_response(),
    }
}

/// The attachments of complaint `id`, oldest first, without their bytes.
#[utoipa::path(get, path = "/api/v1/complaints/{id}/attachments", operation_id = "complaint_attachments", tag = "complaints", params(("id" = i64, Path, minimum = 1)), responses((status = 200, description = "`[{id, file_name, content_type, size_bytes, sha256, has_file, by_role, by_name, at}]`"), (status = 404, body = ProblemDoc)))]
pub async fn list(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<AttachmentRow>>, ApiError> {
    let g = c.grant(Action::ComplaintRead)?;
    let id = path_id(&id, c.lang)?;
    Ok(Json(
        app::complaint::attachment::list(&s.app, &g, id)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// One attachment of complaint `id`, byte for byte, with its type and a
/// `Content-Disposition` naming the file.
#[utoipa::path(get, path = "/api/v1/complaints/{id}/attachments/{attachment_id}", operation_id = "complaint_attachment", tag = "complaints", params(("id" = i64, Path, minimum = 1), ("attachment_id" = i64, Path, minimum = 1)), responses((status = 200, description = "The file"), (status = 404, body = ProblemDoc)))]
pub async fn file(
    State(s): State<AppState>,
    c: Caller,
    Path((id, attachment_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let g = c.grant(Action::ComplaintRead)?;
    let id = path_id(&id, c.lang)?;
    let attachment_id = path_id(&attachment_id, c.lang)?;
    let f = app::complaint::attachment::file(&s.app, &g, id, attachment_id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(crate::console::complaint::attachment::file_response(f))
}
