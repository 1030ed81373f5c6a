//! Photos of failed checkpoints: the auditor attaches them on the phone (one upload
//! per photo), the visit and the corrective action of that checkpoint show them. The
//! checks are the pick-up hand-over's (`pickup::check_photo`: JPEG, PNG or
//! WebP by their magic bytes, at most 5 MiB), so the product has one rule for photos.

use crate::network::expect;
use crate::pickup::check_photo;
use crate::transaction::run;
use crate::{App, AppError, AppResult, conn};
use domain::Violation;
use domain::permission::{Action, Grant};
use sha2::{Digest, Sha256};
pub use store::quality_audit::photo::AuditPhoto;

/// Most photos one checkpoint of a visit keeps.
pub const MAX_PER_CHECKPOINT: usize = 6;

/// Stores a photo of checkpoint `code` of visit `id`: a photo that is not JPEG, PNG
/// or WebP, does not match its type or is over 5 MiB is 422 naming `photo` (rules
/// `photo.type`, `photo.magic`, `photo.size`); a checkpoint not answered "fail" is
/// 409 `quality_audit.photo_not_failed`; a seventh photo of one checkpoint 409
/// `quality_audit.photo_count`. Needs `QualityAuditWrite` within reach.
pub async fn add(
    app: &App,
    grant: &Grant,
    id: i64,
    code: &str,
    content_type: &str,
    bytes: &[u8],
) -> AppResult<i64> {
    expect(grant, Action::QualityAuditWrite)?;
    let t = check_photo(content_type, bytes)
        .map_err(|e| AppError::Invalid(Violation::new("photo", e.rule()).into()))?;
    let sha = hex::encode(Sha256::digest(bytes));
    let now = app.now_ms();
    let by = grant.principal().id;
    let code = code.trim().to_string();
    let (sha, code) = (&sha, &code);
    run(app, "quality_audit.photo", move |mut tx| async move {
        store::quality_audit::visit(&mut tx, grant.reach(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        let failed = store::quality_audit::answers(&mut tx, id)
            .await?
            .iter()
            .any(|a| a.code == *code && a.verdict == "fail");
        if !failed {
            return Err(AppError::Refused(
                Violation::new("code", "quality_audit.photo_not_failed")
                    .with_detail(code.clone())
                    .into(),
            ));
        }
        let count = store::quality_audit::photo::of_visit(&mut tx, id, Some(code))
            .await?
            .len();
        if count >= MAX_PER_CHECKPOINT {
            return Err(AppError::Refused(
                Violation::new("photo", "quality_audit.photo_count")
                    .with_detail(MAX_PER_CHECKPOINT.to_string())
                    .into(),
            ));
        }
        let photo = store::quality_audit::photo::insert(
            &mut tx,
            &store::quality_audit::photo::NewPhoto {
                visit_id: id,
                code,
                content_type: t,
                sha256: sha,
                bytes,
                by,
                at: now,
            },
        )
        .await?;
        Ok((tx, photo))
    })
    .await
}

/// Who may see a visit's photos: the auditors (`QualityAuditRead`) and the station's
/// people working its corrective actions (`CorrectiveActionWrite`), within reach.
fn may_see(grant: &Grant) -> AppResult<()> {
    match grant.action() {
        Action::QualityAuditRead | Action::CorrectiveActionWrite => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

/// The photos of visit `id` (of one checkpoint when `code` is given), without bytes.
pub async fn list(
    app: &App,
    grant: &Grant,
    id: i64,
    code: Option<&str>,
) -> AppResult<Vec<AuditPhoto>> {
    may_see(grant)?;
    let mut c = conn(app).await?;
    store::quality_audit::visit(&mut c, grant.reach(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(store::quality_audit::photo::of_visit(&mut c, id, code).await?)
}

/// One photo of visit `id`: its content type and bytes.
pub async fn bytes(
    app: &App,
    grant: &Grant,
    id: i64,
    photo_id: i64,
) -> AppResult<(String, Vec<u8>)> {
    may_see(grant)?;
    let mut c = conn(app).await?;
    store::quality_audit::visit(&mut c, grant.reach(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(store::quality_audit::photo::bytes(&mut c, id, photo_id).await?)
}
