//! Evidence sent with a complaint: photos and recordings, checked by the domain
//! (`domain::complaint::attachment`: a known type, at most 10 MiB, bytes that are
//! what the type says, a clean file name) and kept with their SHA-256, as pick-up
//! and audit photos are. Staff within reach of the complaint's station send and read
//! them (a station user reaching another station's complaint is refused); the owner
//! sends and reads them for their own complaints only (another's answers as missing).

use super::action::{event, load, open};
use crate::transaction::run;
use crate::{App, AppError, AppResult, conn};
use domain::complaint::attachment::{self as rules, FileName};
use domain::permission::{Action, Grant};
use domain::{Violation, Violations};
use sha2::{Digest, Sha256};
pub use store::complaint::attachment::AttachmentRow;

/// Most attachments one complaint keeps (a refusal past it is 409
/// `complaint.attachment_count`).
pub const MAX_PER_COMPLAINT: i64 = 20;

/// A file served back: its name, its checked type and its bytes.
#[derive(Debug, Clone)]
pub struct AttachmentFile {
    /// The file name as kept.
    pub file_name: String,
    /// The MIME type checked at upload.
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// Who may send: staff with `ComplaintWrite`, or the owner (`ComplaintOwnerFile`).
fn may_send(grant: &Grant) -> AppResult<bool> {
    match grant.action() {
        Action::ComplaintWrite => Ok(false),
        Action::ComplaintOwnerFile => Ok(true),
        _ => Err(AppError::Forbidden),
    }
}

/// Keeps a file sent as evidence of complaint `id` and returns it as listed.
/// Refusals: 422 naming `file` (`complaint.attachment_type`, `…_size`, `…_magic`,
/// `complaint.file_name_invalid`), 409 on a closed complaint (`complaint.closed`) or
/// past [`MAX_PER_COMPLAINT`] (`complaint.attachment_count`), 403 for staff of
/// another unit, 404 for an owner's complaint that is not theirs. Nothing is kept on
/// a refusal.
pub async fn add(
    app: &App,
    grant: &Grant,
    id: i64,
    file_name: &str,
    content_type: &str,
    bytes: &[u8],
) -> AppResult<AttachmentRow> {
    let owner = may_send(grant)?;
    let mut v = Violations::new();
    let media = v.field("file", rules::check("file", content_type, bytes));
    let name = v.field("file", FileName::parse("file", file_name));
    v.clone().into_result().map_err(AppError::Invalid)?;
    let (Some(media), Some(name)) = (media, name) else {
        return Err(AppError::Invalid(v));
    };
    let sha = hex::encode(Sha256::digest(bytes));
    let now = app.now_ms();
    let p = grant.principal();
    let (by, role) = (p.id, p.role.code());
    let (sha, name) = (&sha, &name);
    let attachment_id = run(app, "complaint.attach", move |mut tx| async move {
        let c = if owner {
            store::complaint::get(&mut tx, grant.reach(), id)
                .await?
                .ok_or(AppError::NotFound)?
        } else {
            load(&mut tx, grant, id).await?
        };
        open(&c)?;
        if store::complaint::attachment::count(&mut tx, id).await? >= MAX_PER_COMPLAINT {
            return Err(AppError::Refused(
                Violation::new("file", "complaint.attachment_count")
                    .with_detail(MAX_PER_COMPLAINT.to_string())
                    .into(),
            ));
        }
        let new = store::complaint::attachment::NewAttachment {
            complaint_id: id,
            file_name: name.as_str(),
            content_type: media.content_type(),
            sha256: sha,
            bytes,
            by,
            by_role: role,
            at: now,
        };
        let aid = store::complaint::attachment::insert(&mut tx, &new).await?;
        event(
            &mut tx,
            grant,
            id,
            now,
            "attached",
            serde_json::json!({ "file_name": name.as_str(), "content_type": media.content_type(), "size_bytes": bytes.len() }),
        )
        .await?;
        Ok((tx, aid))
    })
    .await?;
    list(app, &read_grant(grant)?, id)
        .await?
        .into_iter()
        .find(|a| a.id == attachment_id)
        .ok_or(AppError::NotFound)
}

/// The reading grant of the same principal as a sending one.
fn read_grant(grant: &Grant) -> AppResult<Grant> {
    grant
        .principal()
        .grant(Action::ComplaintRead)
        .map_err(|_| AppError::Forbidden)
}

/// Complaint `id` as `grant` may read it (staff: within reach; the owner: their own).
async fn readable(c: &mut sqlx::AnyConnection, grant: &Grant, id: i64) -> AppResult<()> {
    crate::network::expect(grant, Action::ComplaintRead)?;
    store::complaint::get(c, grant.reach(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(())
}

/// The attachments of complaint `id`, oldest first, without their bytes.
pub async fn list(app: &App, grant: &Grant, id: i64) -> AppResult<Vec<AttachmentRow>> {
    let mut c = conn(app).await?;
    readable(&mut c, grant, id).await?;
    Ok(store::complaint::attachment::of_complaint(&mut c, id).await?)
}

/// One attachment's file, for whoever may read the complaint; 404 when it is not
/// this complaint's, holds no file, or the complaint is out of reach.
pub async fn file(
    app: &App,
    grant: &Grant,
    id: i64,
    attachment_id: i64,
) -> AppResult<AttachmentFile> {
    let mut c = conn(app).await?;
    readable(&mut c, grant, id).await?;
    let (file_name, content_type, bytes) =
        store::complaint::attachment::file(&mut c, id, attachment_id).await?;
    Ok(AttachmentFile {
        file_name,
        content_type,
        bytes,
    })
}
