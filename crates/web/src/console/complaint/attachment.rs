//! Evidence files on the complaint pages: the box the detail page shows (each file
//! with its name as a link, kind, size, who sent it and when; the upload form with
//! its limits stated beside the field), the upload's reading (a `multipart/form-data`
//! form read by the console's shared upload reader, checked by the domain's rule; the
//! form is received with the page's other forms, [`super::submit::upload`]), and the file
//! served back with its checked type and a `Content-Disposition` naming it. The
//! owner's page ([`crate::owner::complaint`]) uses the same rows and response.

use super::super::chrome::show_time;
use super::super::form::{error_page, t};
use super::super::session::{ConsoleUser, grant};
use super::forms::Failed;
use crate::AppState;
use crate::console::pickup::read_file_upload;
use crate::i18n::{Lang, tables};
use app::AppError;
use app::complaint::attachment::{AttachmentFile, AttachmentRow, MAX_PER_COMPLAINT};
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::Violation;
use domain::complaint::attachment::{MAX_BYTES, MAX_SIZE_TEXT, Media};
use domain::permission::Action;

/// How much of a request an upload form may send: twice the file limit and the
/// form's small fields, so an oversized file is still read far enough to be named.
pub const UPLOAD_READ_LIMIT: usize = 2 * MAX_BYTES + 64 * 1024;

/// The `accept` list of the file field.
pub fn accept() -> String {
    Media::ALL
        .iter()
        .map(|m| m.content_type())
        .collect::<Vec<_>>()
        .join(",")
}

/// The limits stated beside the file field, in the page's language.
pub fn limits_text(lang: Lang) -> String {
    tables().fill(
        lang,
        "complaint.attach.limits",
        &[
            ("size", MAX_SIZE_TEXT),
            ("count", &MAX_PER_COMPLAINT.to_string()),
        ],
    )
}

/// A size as people read it: bytes, KB or MB (1024-based, one decimal).
pub fn size_text(bytes: i64) -> String {
    let b = bytes.max(0) as f64;
    if bytes < 1024 {
        format!("{bytes} B")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.1} KB", b / 1024.0)
    } else {
        format!("{:.1} MB", b / (1024.0 * 1024.0))
    }
}

/// One file as a page lists it, every cell in the page's language.
pub struct FileRow {
    /// Where the file is served; none for a metadata-only row recorded before files
    /// were kept.
    pub href: Option<String>,
    /// The file name.
    pub name: String,
    /// "Photo (JPEG)", "Recording (MP3)".
    pub kind: String,
    /// Size.
    pub size: String,
    /// Who sent it: a staff member's name and role, or "the owner".
    pub who: String,
    /// When.
    pub at: String,
}

/// The kind of a stored type as shown: photo or recording and its format.
pub fn kind_text(lang: Lang, content_type: &str) -> String {
    match Media::of_content_type(content_type) {
        Some(m) => tables().fill(
            lang,
            if m.is_photo() {
                "complaint.attach.photo"
            } else {
                "complaint.attach.audio"
            },
            &[("format", m.format_name())],
        ),
        None => content_type.to_string(),
    }
}

/// The rows of a complaint's files; links under `base` (the console's or the owner's
/// complaint path).
pub fn rows(lang: Lang, base: &str, files: &[AttachmentRow]) -> Vec<FileRow> {
    files
        .iter()
        .map(|a| FileRow {
            href: a.has_file.then(|| format!("{base}/attachments/{}", a.id)),
            name: a.file_name.clone(),
            kind: kind_text(lang, &a.content_type),
            size: size_text(a.size_bytes),
            who: match (a.by_role.as_str(), &a.by_name) {
                ("owner", _) => t(lang, "complaint.attach.by_owner"),
                ("", _) => "—".into(),
                (role, Some(name)) => format!("{name} · {}", t(lang, &format!("role.{role}"))),
                (role, None) => t(lang, &format!("role.{role}")),
            },
            at: show_time(a.at),
        })
        .collect()
}

/// The evidence box of the detail page.
pub struct AttachmentBox {
    /// Where the upload posts; none when the user may not send or the complaint is
    /// closed.
    pub action: Option<String>,
    /// The files.
    pub rows: Vec<FileRow>,
    /// The limits stated beside the field.
    pub limits: String,
    /// The `accept` list of the field.
    pub accept: String,
    /// The refusal of the last upload, beside the field.
    pub error: Option<String>,
}

/// The box of complaint `id` for the detail page, with the refusal when the upload
/// was refused (`failed` of the form `attachment`).
pub fn attachment_box(
    lang: Lang,
    id: i64,
    files: &[AttachmentRow],
    may_send: bool,
    failed: Option<&Failed>,
) -> AttachmentBox {
    let error = failed
        .filter(|f| f.form == "attachment")
        .map(|f| match &f.error {
            AppError::Invalid(v) | AppError::Refused(v) => {
                v.0.iter()
                    .map(|x| tables().violation(lang, x))
                    .collect::<Vec<_>>()
                    .join("; ")
            }
            other => crate::error::page_error(lang, other).0,
        });
    AttachmentBox {
        action: may_send.then(|| format!("/console/complaints/{id}/attachments")),
        rows: rows(lang, &format!("/console/complaints/{id}"), files),
        limits: limits_text(lang),
        accept: accept(),
        error,
    }
}

/// The file itself, through the one stored-file response ([`crate::api::file`]):
/// its checked type, `nosniff` and `Content-Disposition: inline` with its name.
pub fn file_response(f: AttachmentFile) -> Response {
    crate::api::file::stored_file(&f.content_type, f.bytes, Some(&f.file_name))
}

/// The status of a refused file: 413 too large, 415 not a photo or recording (or
/// bytes that are not what the type says), else the refusal's own.
pub fn refusal_status(e: &AppError) -> StatusCode {
    let rule = match e {
        AppError::Invalid(v) | AppError::Refused(v) => v.0.first().map(|x| x.rule),
        _ => None,
    };
    match rule {
        Some("complaint.attachment_size") => StatusCode::PAYLOAD_TOO_LARGE,
        Some("complaint.attachment_type" | "complaint.attachment_magic") => {
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        }
        _ => crate::error::describe_app(e).0,
    }
}

/// A file read from an upload form: name, declared type and bytes; or the refusal to
/// show beside the field. `Err(None)` when the form could not be read at all for its
/// size (its token unread, nothing to check).
pub async fn read(
    mp: Result<Multipart, MultipartRejection>,
) -> Result<(String, String, String, Vec<u8>), (Option<String>, AppError)> {
    let required = || AppError::Invalid(Violation::new("file", "required").into());
    let Ok(mp) = mp else {
        return Err((None, required()));
    };
    let up = read_file_upload(mp, "file", MAX_BYTES).await.map_err(|_| {
        (
            None,
            AppError::Invalid(
                Violation::new("file", "complaint.attachment_size")
                    .with_detail(MAX_SIZE_TEXT)
                    .into(),
            ),
        )
    })?;
    let csrf = up.csrf;
    let Some((ct, name, bytes)) = up.photo.filter(|(_, f, b)| !(f.is_empty() && b.is_empty()))
    else {
        return Err((Some(csrf), required()));
    };
    if up.too_large {
        let v = Violation::new("file", "complaint.attachment_size").with_detail(MAX_SIZE_TEXT);
        return Err((Some(csrf), AppError::Invalid(v.into())));
    }
    Ok((csrf, name, ct, bytes))
}

/// `GET /console/complaints/{id}/attachments/{attachment_id}`: the file, for whoever
/// may read the complaint (another station's user meets "not found").
pub async fn file(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path((id, attachment_id)): Path<(String, String)>,
) -> Response {
    let chrome = user.chrome("complaints");
    let (Ok(id), Ok(attachment_id)) = (id.parse::<i64>(), attachment_id.parse::<i64>()) else {
        return error_page(chrome, &AppError::NotFound);
    };
    let r = match grant(&user, Action::ComplaintRead) {
        Ok(g) => app::complaint::attachment::file(&s.app, &g, id, attachment_id).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(f) => file_response(f),
        Err(e) => error_page(chrome, &e),
    }
}
