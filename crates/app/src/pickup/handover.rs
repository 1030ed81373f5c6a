//! The hand-over of a pick-up or return: the checklist, photos (JPEG, PNG or WebP,
//! checked by their magic bytes, at most 5 MiB each and 12 per hand-over) and the owner's
//! signed confirmation, after which it is closed.

use super::*;
use crate::input::{Loose, opt_text, text};
use crate::network::expect;
use crate::shared::{refused_rule as refused, required};
use crate::{App, AppError, AppResult, actor, conn};
use domain::permission::Grant;
use domain::{Violation, Violations};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use store::pickup::PickupRow;

/// Why a photo is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoError {
    /// Not one of [`PHOTO_TYPES`].
    Type,
    /// The bytes are not what the content type says.
    Magic,
    /// Larger than [`MAX_PHOTO_BYTES`].
    TooLarge,
}

impl PhotoError {
    /// The stable rule code.
    pub fn rule(self) -> &'static str {
        match self {
            PhotoError::Type => "photo.type",
            PhotoError::Magic => "photo.magic",
            PhotoError::TooLarge => "photo.size",
        }
    }
}

/// The accepted content type of a `Content-Type` header value (parameters and case
/// ignored), or [`PhotoError::Type`].
pub fn photo_type(header: &str) -> Result<&'static str, PhotoError> {
    let media = header.split(';').next().unwrap_or("").trim();
    PHOTO_TYPES
        .into_iter()
        .find(|t| t.eq_ignore_ascii_case(media))
        .ok_or(PhotoError::Type)
}

/// Checks a photo: a known type, at most [`MAX_PHOTO_BYTES`], and first bytes
/// matching the type by the one signature rule, `domain::signature::matches`.
pub fn check_photo(content_type: &str, bytes: &[u8]) -> Result<&'static str, PhotoError> {
    let t = photo_type(content_type)?;
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(PhotoError::TooLarge);
    }
    // The same signature rule as a complaint's evidence (`domain::signature`).
    if domain::signature::matches(t, bytes) {
        Ok(t)
    } else {
        Err(PhotoError::Magic)
    }
}

/// One checklist item as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistItem {
    /// One of [`CHECKLIST`].
    pub code: String,
    /// Whether it is in order.
    pub ok: bool,
    /// What was seen (damage, fuel level, km, belongings …).
    #[serde(default)]
    pub note: Option<String>,
}

/// Records the hand-over checklist (replacing an earlier record). Unknown or
/// repeated codes are invalid. Needs [`WRITE`].
pub async fn set_checklist(
    app: &App,
    grant: &Grant,
    id: i64,
    items: &[ChecklistItem],
) -> AppResult<()> {
    expect(grant, WRITE)?;
    let mut v = Violations::new();
    let mut seen = Vec::new();
    let mut clean = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let field = format!("items[{i}].code");
        if !CHECKLIST.contains(&item.code.as_str()) {
            v.push(
                Violation::new(field, "pickup.checklist_item").with_detail(CHECKLIST.join(", ")),
            );
        } else if seen.contains(&item.code) {
            v.push(Violation::new(field, "pickup.checklist_repeated"));
        } else {
            seen.push(item.code.clone());
        }
        let note = opt_text(
            &mut v,
            &format!("items[{i}].note"),
            &item.note.clone().map(Loose::String).unwrap_or(Loose::Null),
            200,
        )
        .flatten();
        clean.push(ChecklistItem {
            code: item.code.clone(),
            ok: item.ok,
            note,
        });
    }
    v.into_result()?;
    let now = app.now_ms();
    let json = serde_json::to_value(&clean).map_err(|e| AppError::Internal(e.to_string()))?;
    let json = &json;
    crate::transaction::run(app, "pickup.set_checklist", move |mut tx| async move {
        store::pickup::get(&mut tx, grant.reach(), id).await?;
        store::pickup::set_checklist(&mut tx, id, json, now).await?;
        store::event::record(
            &mut tx,
            now,
            actor(grant),
            ENTITY,
            id,
            "checklist_recorded",
            json,
            None,
        )
        .await?;
        Ok((tx, ()))
    })
    .await
}

/// Stores a hand-over photo (see [`check_photo`]; a refused photo is invalid with
/// the rule `photo.type`, `photo.magic` or `photo.size`) and returns its id. The
/// 13th photo is refused (`photo.count`), as is any photo after the owner confirmed.
/// Needs [`WRITE`].
pub async fn add_photo(
    app: &App,
    grant: &Grant,
    id: i64,
    content_type: &str,
    bytes: &[u8],
) -> AppResult<i64> {
    expect(grant, WRITE)?;
    let t = check_photo(content_type, bytes)
        .map_err(|e| AppError::Invalid(Violation::new("body", e.rule()).into()))?;
    let sha = hex::encode(Sha256::digest(bytes));
    let now = app.now_ms();
    let sha = &sha;
    crate::transaction::run(app, "pickup.add_photo", move |mut tx| async move {
    let p = store::pickup::get(&mut tx, grant.reach(), id).await?;
    if p.state != "scheduled" {
        return Err(refused("state", "pickup.not_scheduled"));
    }
    let count = store::pickup::photos(&mut tx, id).await?.len();
    if count >= MAX_PHOTOS {
        return Err(AppError::Refused(
            Violation::new("body", "photo.count")
                .with_detail(MAX_PHOTOS.to_string())
                .into(),
        ));
    }
    let photo_id =
        store::pickup::insert_photo(&mut tx, id, t, sha, bytes, grant.principal().id, now).await?;
    store::event::record(
        &mut tx,
        now,
        actor(grant),
        ENTITY,
        id,
        "photo_added",
        &serde_json::json!({"photo_id": photo_id, "content_type": t, "size_bytes": bytes.len(), "sha256": sha}),
        None,
    )
    .await?;
        Ok((tx, photo_id))
    })
    .await
}

/// One photo's content type and bytes. Needs [`READ`].
pub async fn photo(
    app: &App,
    grant: &Grant,
    id: i64,
    photo_id: i64,
) -> AppResult<(String, Vec<u8>)> {
    expect(grant, READ)?;
    let mut c = conn(app).await?;
    store::pickup::get(&mut c, grant.reach(), id).await?;
    Ok(store::pickup::photo(&mut c, id, photo_id).await?)
}

/// The owner's confirmation of the hand-over.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ConfirmInput {
    /// The name the owner signed with.
    #[schema(schema_with = crate::schema::line::<50>, required = true)]
    pub signed_by: Loose,
    /// Reference to the stored signature image, if signed on a pad.
    #[schema(schema_with = crate::schema::opt_line::<200>)]
    pub signature_ref: Loose,
}

/// Records the owner's confirmation of the hand-over, given at the car and entered by
/// staff (channel [`CHANNEL_AT_CAR`]): refused once confirmed or cancelled
/// (`pickup.not_scheduled`), until every checklist item is recorded
/// (`pickup.checklist_incomplete`, naming the missing ones) and until at least one
/// photo is stored (`pickup.photo_missing`). Closes the hand-over. Needs [`WRITE`].
pub async fn confirm(app: &App, grant: &Grant, id: i64, input: &ConfirmInput) -> AppResult<()> {
    expect(grant, WRITE)?;
    let mut v = Violations::new();
    let by = text(&mut v, "signed_by", &input.signed_by, 50);
    let sig = opt_text(&mut v, "signature_ref", &input.signature_ref, 200);
    v.into_result()?;
    let (by, sig) = (required(by)?, required(sig)?);
    let now = app.now_ms();
    let (by, sig) = (&by, &sig);
    crate::transaction::run(app, "pickup.confirm", move |mut tx| async move {
        let p = store::pickup::get(&mut tx, grant.reach(), id).await?;
        let signed = Signed {
            by,
            signature_ref: sig.as_deref(),
            channel: CHANNEL_AT_CAR,
        };
        record_confirmation(&mut tx, grant, &p, &signed, now).await?;
        Ok((tx, ()))
    })
    .await
}

/// Who confirmed a hand-over, with what, through which channel.
pub(super) struct Signed<'a> {
    pub(super) by: &'a str,
    pub(super) signature_ref: Option<&'a str>,
    pub(super) channel: &'static str,
}

/// Checks the hand-over is ready ([`ready_to_confirm`]), closes it and records the
/// `owner_confirmed` event, inside the caller's transaction.
pub(super) async fn record_confirmation(
    tx: &mut sqlx::AnyConnection,
    grant: &Grant,
    p: &PickupRow,
    signed: &Signed<'_>,
    now: i64,
) -> AppResult<()> {
    ready_to_confirm(tx, p).await?;
    store::pickup::confirm(tx, p.id, signed.by, signed.signature_ref, now).await?;
    store::event::record(
        tx,
        now,
        actor(grant),
        ENTITY,
        p.id,
        "owner_confirmed",
        &serde_json::json!({
            "signed_by": signed.by, "signature_ref": signed.signature_ref, "channel": signed.channel,
        }),
        None,
    )
    .await?;
    Ok(())
}

/// Channel of a confirmation recorded by staff at the car (name and signature).
pub const CHANNEL_AT_CAR: &str = "at_car";

/// Channel of a confirmation the signed-in owner gave on their own phone page.
pub const CHANNEL_OWNER_PAGE: &str = "owner_page";

/// The checks before the owner's confirmation, whoever records it: still scheduled
/// (`pickup.not_scheduled`), every checklist item recorded
/// (`pickup.checklist_incomplete`, naming the missing ones) and at least one photo
/// (`pickup.photo_missing`).
pub(super) async fn ready_to_confirm(c: &mut sqlx::AnyConnection, p: &PickupRow) -> AppResult<()> {
    if p.state != "scheduled" {
        return Err(refused("state", "pickup.not_scheduled"));
    }
    let missing = missing_items(p);
    if !missing.is_empty() {
        return Err(AppError::Refused(
            Violation::new("checklist", "pickup.checklist_incomplete")
                .with_detail(missing.join(", "))
                .into(),
        ));
    }
    if store::pickup::photos(c, p.id).await?.is_empty() {
        return Err(refused("photos", "pickup.photo_missing"));
    }
    Ok(())
}

/// The checklist as recorded (empty when nothing, or something unreadable, is stored).
pub fn checklist_of(p: &PickupRow) -> Vec<ChecklistItem> {
    serde_json::from_value(p.checklist.clone()).unwrap_or_default()
}

/// The checklist items not yet recorded, in [`CHECKLIST`] order.
pub fn missing_items(p: &PickupRow) -> Vec<&'static str> {
    let items = checklist_of(p);
    CHECKLIST
        .into_iter()
        .filter(|c| !items.iter().any(|i| i.code == *c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photos_are_checked_by_type_size_and_magic_bytes() {
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0];
        let png = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0];
        let webp = *b"RIFF\x10\0\0\0WEBPVP8 ";
        assert_eq!(check_photo("image/jpeg", &jpeg), Ok("image/jpeg"));
        assert_eq!(check_photo("IMAGE/PNG; q=1", &png), Ok("image/png"));
        assert_eq!(check_photo("image/webp", &webp), Ok("image/webp"));
        assert_eq!(check_photo("image/png", &jpeg), Err(PhotoError::Magic));
        assert_eq!(check_photo("image/jpeg", &[]), Err(PhotoError::Magic));
        assert_eq!(check_photo("image/gif", b"GIF89a"), Err(PhotoError::Type));
        let mut big = vec![0u8; MAX_PHOTO_BYTES + 1];
        big[..3].copy_from_slice(&[0xFF, 0xD8, 0xFF]);
        assert_eq!(check_photo("image/jpeg", &big), Err(PhotoError::TooLarge));
    }
}
