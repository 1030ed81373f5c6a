//! Photos of failed checkpoints on the console: the upload (a plain
//! `multipart/form-data` form per failed checkpoint, read like the pick-up hand-over's
//! and checked by the same rule: JPEG, PNG or WebP by their magic bytes, at most
//! 5 MiB), the photo itself, and the boxes the visit and the corrective action show.

use super::super::form::{FormData, error_page};
use super::super::session::{ConsoleUser, grant};
use crate::AppState;
use crate::console::pickup::{photo_response, photo_status, read_upload};
use crate::i18n::tables;
use app::AppError;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::Violation;
use domain::permission::{Action, Grant};

/// One failed checkpoint with its photos, as the visit and the action show it.
pub struct PhotoBox {
    /// Checkpoint code.
    pub code: String,
    /// Its text in the page's language.
    pub text: String,
    /// Its photos: link and text alternative.
    pub photos: Vec<(String, String)>,
    /// The auditor may add one more here.
    pub can_add: bool,
}

/// The photo boxes of visit `id` for the failed checkpoints `failed` (code, text):
/// photos read with `g` (auditors' or the station's grant); `may_add` when the page's
/// user is an auditor.
pub async fn boxes(
    s: &AppState,
    lang: crate::i18n::Lang,
    g: &Grant,
    id: i64,
    failed: Vec<(String, String)>,
    may_add: bool,
) -> Vec<PhotoBox> {
    let photos = app::quality_audit::photo::list(&s.app, g, id, None)
        .await
        .unwrap_or_default();
    failed
        .into_iter()
        .map(|(code, text)| {
            let mine: Vec<(String, String)> = photos
                .iter()
                .filter(|p| p.code == code)
                .enumerate()
                .map(|(i, p)| {
                    (
                        format!("/console/quality-audits/{id}/photos/{}", p.id),
                        tables().fill(
                            lang,
                            "qa.photo_of",
                            &[("code", &code), ("n", &(i + 1).to_string())],
                        ),
                    )
                })
                .collect();
            PhotoBox {
                can_add: may_add && mine.len() < app::quality_audit::photo::MAX_PER_CHECKPOINT,
                code,
                text,
                photos: mine,
            }
        })
        .collect()
}

/// Only the characters a checkpoint code or a rule code has.
fn token(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        .take(40)
        .collect()
}

/// Back to the visit at the checkpoint's box (post-redirect-get), with the refused
/// rule named in the query (the page translates it; no free text travels in a URL).
fn back(id: i64, code: &str, error: Option<&Violation>) -> Response {
    let code = token(code);
    match error {
        Some(v) => super::super::toast::redirect(
            &format!(
                "/console/quality-audits/{id}?photo_rule={}&code={code}#photos-{code}",
                token(v.rule)
            ),
            "",
        ),
        None => super::super::toast::redirect(
            &format!("/console/quality-audits/{id}#photos-{code}"),
            "toast.qa_photo_added",
        ),
    }
}

/// The sentence of a refused upload named in the visit page's query, if its rule is
/// one of the photo rules.
pub fn refused_text(lang: crate::i18n::Lang, rule: &str, code: &str) -> Option<String> {
    const RULES: [&str; 5] = [
        "photo.type",
        "photo.magic",
        "photo.size",
        "quality_audit.photo_count",
        "quality_audit.photo_not_failed",
    ];
    let rule = RULES
        .into_iter()
        .find(|r| *r == rule)
        .or_else(|| (rule == "required").then_some("required"))?;
    let mut v = Violation::new("photo", rule);
    v = match rule {
        "quality_audit.photo_count" => {
            v.with_detail(app::quality_audit::photo::MAX_PER_CHECKPOINT.to_string())
        }
        "quality_audit.photo_not_failed" => v.with_detail(token(code)),
        _ => v,
    };
    Some(tables().violation(lang, &v))
}

/// `POST /console/quality-audits/{id}/photos`: one photo of a failed checkpoint
/// (`code`). A refused photo comes back to the visit with the rule's sentence beside
/// the checkpoint (type, magic bytes, size, count, not a failed checkpoint).
pub async fn upload(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    mp: Result<Multipart, MultipartRejection>,
) -> Response {
    let chrome = user.chrome("quality_audits");
    let Ok(mp) = mp else {
        return back(id, "", Some(&Violation::new("photo", "required")));
    };
    let up = match read_upload(mp).await {
        Ok(u) => u,
        Err(e) => {
            // Too large to read: the token could not be checked, nothing is stored.
            let mut r = back(id, "", Some(&Violation::new("photo", e.rule())));
            *r.status_mut() = photo_status(e);
            return r;
        }
    };
    if let Err(r) = user.check_csrf(&FormData(vec![("csrf".into(), up.csrf.clone())])) {
        return r;
    }
    let g = match grant(&user, Action::QualityAuditWrite) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let code = up
        .fields
        .iter()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    let Some((ct, _, bytes)) = up.photo.filter(|(_, f, b)| !(f.is_empty() && b.is_empty())) else {
        return back(id, &code, Some(&Violation::new("photo", "required")));
    };
    if up.too_large {
        return back(id, &code, Some(&Violation::new("photo", "photo.size")));
    }
    match app::quality_audit::photo::add(&s.app, &g, id, &code, &ct, &bytes).await {
        Ok(_) => back(id, &code, None),
        Err(AppError::Invalid(v) | AppError::Refused(v)) => back(id, &code, v.0.first()),
        Err(e) => error_page(chrome, &e),
    }
}

/// `GET /console/quality-audits/{id}/photos/{photo_id}`: the photo, byte for byte.
pub async fn photo(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path((id, photo_id)): Path<(i64, i64)>,
) -> Response {
    let chrome = user.chrome("quality_audits");
    let g = match grant(&user, Action::QualityAuditRead)
        .or_else(|_| grant(&user, Action::CorrectiveActionWrite))
    {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    match app::quality_audit::photo::bytes(&s.app, &g, id, photo_id).await {
        Ok((ct, bytes)) => photo_response(&ct, bytes),
        Err(e) => {
            let mut r = error_page(chrome, &e);
            if matches!(e, AppError::NotFound) {
                *r.status_mut() = StatusCode::NOT_FOUND;
            }
            r
        }
    }
}
