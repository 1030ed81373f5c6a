//! Pick-up and delivery (上门取送车): a driver fetches the car from the owner before
//! an appointment (`pickup`) or brings it back after the repair (`return`), at an
//! address within a time window. The hand-over is recorded with a checklist, photos
//! (JPEG, PNG or WebP, checked by their magic bytes, at most 5 MiB each and 12 per
//! hand-over) and the owner's signed confirmation, after which it is closed.

use crate::calendar::station_zone;
use crate::input::{Loose, opt_int, opt_text, text};
use crate::network::expect;
use crate::shared::instant;
use crate::shared::{refused_rule as refused, required};
use crate::{App, AppError, AppResult, actor, begin, commit, conn};
use domain::permission::{Action, Grant, Reach};
use domain::{Violation, Violations};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use store::pickup::{NewPickup, PhotoMeta, PickupRow};

/// The action that reads pick-ups and their hand-overs.
pub const READ: Action = Action::PickupRead;
/// The action that schedules pick-ups and records hand-overs.
pub const WRITE: Action = Action::PickupWrite;

/// Largest photo, in bytes (5 MiB).
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;
/// Most photos per hand-over.
pub const MAX_PHOTOS: usize = 12;
/// Photo content types accepted.
pub const PHOTO_TYPES: [&str; 3] = ["image/jpeg", "image/png", "image/webp"];
/// The hand-over checklist: every item must be recorded before the owner confirms.
pub const CHECKLIST: [&str; 7] = [
    "exterior",
    "interior",
    "fuel",
    "odometer",
    "belongings",
    "keys",
    "documents",
];
/// Longest window, in hours.
pub const MAX_WINDOW_HOURS: i64 = 12;

const ENTITY: &str = "pickup";

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

/// Checks a photo: a known type, at most [`MAX_PHOTO_BYTES`], and magic bytes
/// matching the type (JPEG `FF D8 FF`, PNG `89 50 4E 47 0D 0A 1A 0A`, WebP
/// `RIFF….WEBP`).
pub fn check_photo(content_type: &str, bytes: &[u8]) -> Result<&'static str, PhotoError> {
    let t = photo_type(content_type)?;
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(PhotoError::TooLarge);
    }
    let ok = match t {
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/png" => bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]),
        _ => bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP",
    };
    if ok { Ok(t) } else { Err(PhotoError::Magic) }
}

/// A pick-up or delivery to schedule: for an appointment (a `pickup` to the station)
/// or a repair order (a `return` to the owner) — exactly one of them.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PickupInput {
    /// The appointment served (then the kind is `pickup`).
    #[schema(value_type = Option<i64>)]
    pub appointment_id: Loose,
    /// The repair order served (then the kind is `return`).
    #[schema(value_type = Option<i64>)]
    pub repair_order_id: Loose,
    /// Where the car is handed over.
    #[schema(value_type = String)]
    pub address: Loose,
    /// Window start: UTC ms, RFC 3339, or `YYYY-MM-DD HH:MM` in the station's zone.
    #[schema(value_type = String)]
    pub window_start: Loose,
    /// Window end, as the start.
    #[schema(value_type = String)]
    pub window_end: Loose,
    /// Driver (staff of the station), optional until assigned.
    #[schema(value_type = Option<i64>)]
    pub driver_id: Loose,
}

async fn check_driver(c: &mut sqlx::AnyConnection, station_id: i64, driver: i64) -> AppResult<()> {
    let reach = Reach::Station(domain::ids::StationId(station_id));
    match store::people::staff(c, &reach, driver).await {
        Ok(s) if s.active && s.station_id == Some(station_id) => Ok(()),
        _ => Err(AppError::Invalid(
            Violation::new("driver_id", "pickup.driver_unknown").into(),
        )),
    }
}

/// Schedules a pick-up or delivery; returns its id. The window must end after it
/// starts, last at most 12 hours and not have ended; the driver must work at the
/// station; the appointment or order must not already have one that is not cancelled
/// (`pickup.already_scheduled`). Needs [`WRITE`].
pub async fn schedule(app: &App, grant: &Grant, input: &PickupInput) -> AppResult<i64> {
    expect(grant, WRITE)?;
    schedule_as(app, grant, input, "staff").await
}

/// The owner's request for a pick-up before their appointment.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct OwnerRequest {
    /// The owner's booked appointment.
    #[schema(value_type = i64)]
    pub appointment_id: Loose,
    /// Where the driver fetches the car.
    #[schema(value_type = String)]
    pub address: Loose,
    /// Window start: UTC ms, RFC 3339, or `YYYY-MM-DD HH:MM` in the station's zone.
    #[schema(value_type = String)]
    pub window_start: Loose,
    /// Window end, as the start.
    #[schema(value_type = String)]
    pub window_end: Loose,
}

/// The signed-in owner asks for a pick-up (to the station) before one of their own
/// booked appointments: the same rules as [`schedule`], no driver yet (the station
/// assigns one), recorded with the channel [`CHANNEL_OWNER_PAGE`]. Another owner's
/// appointment answers like a missing one. Needs [`OWNER`] with an owner's reach.
pub async fn request_by_owner(app: &App, grant: &Grant, input: &OwnerRequest) -> AppResult<i64> {
    owner_of(grant)?;
    if input.appointment_id.is_null()
        || input
            .appointment_id
            .as_str()
            .is_some_and(|s| s.trim().is_empty())
    {
        return Err(AppError::Invalid(
            Violation::new("appointment_id", "required").into(),
        ));
    }
    let p = PickupInput {
        appointment_id: input.appointment_id.clone(),
        repair_order_id: Loose::Null,
        address: input.address.clone(),
        window_start: input.window_start.clone(),
        window_end: input.window_end.clone(),
        driver_id: Loose::Null,
    };
    schedule_as(app, grant, &p, CHANNEL_OWNER_PAGE).await
}

/// [`schedule`] for whoever the caller checked the grant of; `channel` is recorded
/// on the event.
async fn schedule_as(
    app: &App,
    grant: &Grant,
    input: &PickupInput,
    channel: &str,
) -> AppResult<i64> {
    let mut v = Violations::new();
    let appt = opt_int(&mut v, "appointment_id", &input.appointment_id, 1, i64::MAX);
    let order = opt_int(
        &mut v,
        "repair_order_id",
        &input.repair_order_id,
        1,
        i64::MAX,
    );
    if let (Some(a), Some(o)) = (appt, order)
        && a.is_some() == o.is_some()
    {
        v.push(Violation::new("appointment_id", "pickup.one_of"));
    }
    let address = text(&mut v, "address", &input.address, 200);
    let driver = opt_int(&mut v, "driver_id", &input.driver_id, 1, i64::MAX);
    v.into_result()?;
    let (appt, order, address, driver) = (
        required(appt)?,
        required(order)?,
        required(address)?,
        required(driver)?,
    );
    let now = app.now_ms();
    let mut tx = begin(app).await?;
    let (station_id, customer_id, vehicle_id, kind) = match (appt, order) {
        (Some(a), _) => {
            let a = store::appointment::get(&mut tx, grant.reach(), a).await?;
            if a.state != "booked" {
                return Err(refused("appointment_id", "pickup.appointment_not_booked"));
            }
            (a.station_id, a.customer_id, a.vehicle_id, "pickup")
        }
        (None, Some(o)) => {
            let o = store::repair_order::get(&mut tx, grant.reach(), o).await?;
            (o.station_id, o.customer_id, o.vehicle_id, "return")
        }
        (None, None) => return Err(refused("appointment_id", "pickup.one_of")),
    };
    let tz = station_zone(&mut tx, station_id).await?;
    let mut v = Violations::new();
    let start = instant(&mut v, "window_start", &input.window_start, &tz);
    let end = instant(&mut v, "window_end", &input.window_end, &tz);
    v.into_result()?;
    let (start, end) = (
        required(start)?.as_millisecond(),
        required(end)?.as_millisecond(),
    );
    if end <= start || end - start > MAX_WINDOW_HOURS * 3_600_000 {
        return Err(AppError::Invalid(
            Violation::new("window_end", "pickup.window")
                .with_detail(MAX_WINDOW_HOURS.to_string())
                .into(),
        ));
    }
    if end <= now {
        return Err(AppError::Invalid(
            Violation::new("window_end", "pickup.window_past").into(),
        ));
    }
    if let Some(d) = driver {
        check_driver(&mut tx, station_id, d).await?;
    }
    let field = if appt.is_some() {
        "appointment_id"
    } else {
        "repair_order_id"
    };
    if store::pickup::active_exists(&mut tx, appt, order).await? {
        return Err(refused(field, "pickup.already_scheduled"));
    }
    let p = NewPickup {
        station_id,
        customer_id,
        vehicle_id,
        appointment_id: appt,
        repair_order_id: order,
        kind: kind.into(),
        address,
        window_start: start,
        window_end: end,
        driver_id: driver,
    };
    // The check above answers the usual case; the database's unique index settles a
    // race between two desks.
    let id = match store::pickup::insert(&mut tx, &p, now).await {
        Err(store::StoreError::Duplicate(_)) => {
            return Err(refused(field, "pickup.already_scheduled"));
        }
        other => other?,
    };
    store::event::record(
        &mut tx,
        now,
        actor(grant),
        ENTITY,
        id,
        "scheduled",
        &serde_json::json!({
            "kind": kind, "appointment_id": appt, "repair_order_id": order,
            "window_start": start, "window_end": end, "driver_id": driver, "channel": channel,
        }),
        None,
    )
    .await?;
    commit(tx).await?;
    Ok(id)
}

/// A pick-up with its photos (without their bytes).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PickupView {
    /// The pick-up.
    #[schema(value_type = Object)]
    pub pickup: PickupRow,
    /// Its hand-over photos.
    #[schema(value_type = Vec<Object>)]
    pub photos: Vec<PhotoMeta>,
}

/// One pick-up within reach. Needs [`READ`].
pub async fn get(app: &App, grant: &Grant, id: i64) -> AppResult<PickupView> {
    expect(grant, READ)?;
    let mut c = conn(app).await?;
    let pickup = store::pickup::get(&mut c, grant.reach(), id).await?;
    let photos = store::pickup::photos(&mut c, id).await?;
    Ok(PickupView { pickup, photos })
}

/// A station's pick-ups within reach whose window starts in `[from, to)`. Needs [`READ`].
pub async fn list(
    app: &App,
    grant: &Grant,
    station_id: i64,
    from: i64,
    to: i64,
) -> AppResult<Vec<PickupRow>> {
    expect(grant, READ)?;
    Ok(store::pickup::list(&mut *conn(app).await?, grant.reach(), station_id, from, to).await?)
}

/// The pick-up of an order's car and its return to the owner: the pick-ups of the
/// order and of the appointment it came from. Needs [`READ`] with the order within
/// reach.
pub async fn of_order(app: &App, grant: &Grant, order_id: i64) -> AppResult<Vec<PickupRow>> {
    expect(grant, READ)?;
    let mut c = conn(app).await?;
    let order = store::repair_order::get(&mut c, grant.reach(), order_id).await?;
    Ok(store::pickup::of_order(&mut c, order.id, order.appointment_id).await?)
}

/// Assigns the driver (staff of the station). Needs [`WRITE`].
pub async fn assign_driver(app: &App, grant: &Grant, id: i64, driver_id: i64) -> AppResult<()> {
    expect(grant, WRITE)?;
    let now = app.now_ms();
    let mut tx = begin(app).await?;
    let p = store::pickup::get(&mut tx, grant.reach(), id).await?;
    check_driver(&mut tx, p.station_id, driver_id).await?;
    store::pickup::set_driver(&mut tx, id, driver_id, now).await?;
    store::event::record(
        &mut tx,
        now,
        actor(grant),
        ENTITY,
        id,
        "driver_assigned",
        &serde_json::json!({"driver_id": driver_id, "before": p.driver_id}),
        None,
    )
    .await?;
    commit(tx).await?;
    Ok(())
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
    let mut tx = begin(app).await?;
    store::pickup::get(&mut tx, grant.reach(), id).await?;
    store::pickup::set_checklist(&mut tx, id, &json, now).await?;
    store::event::record(
        &mut tx,
        now,
        actor(grant),
        ENTITY,
        id,
        "checklist_recorded",
        &json,
        None,
    )
    .await?;
    commit(tx).await?;
    Ok(())
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
    let mut tx = begin(app).await?;
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
        store::pickup::insert_photo(&mut tx, id, t, &sha, bytes, grant.principal().id, now).await?;
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
    commit(tx).await?;
    Ok(photo_id)
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
    #[schema(value_type = String)]
    pub signed_by: Loose,
    /// Reference to the stored signature image, if signed on a pad.
    #[schema(value_type = Option<String>)]
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
    let mut tx = begin(app).await?;
    let p = store::pickup::get(&mut tx, grant.reach(), id).await?;
    let signed = Signed {
        by: &by,
        signature_ref: sig.as_deref(),
        channel: CHANNEL_AT_CAR,
    };
    record_confirmation(&mut tx, grant, &p, &signed, now).await?;
    commit(tx).await?;
    Ok(())
}

/// Who confirmed a hand-over, with what, through which channel.
struct Signed<'a> {
    by: &'a str,
    signature_ref: Option<&'a str>,
    channel: &'static str,
}

/// Checks the hand-over is ready ([`ready_to_confirm`]), closes it and records the
/// `owner_confirmed` event, inside the caller's transaction.
async fn record_confirmation(
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
async fn ready_to_confirm(c: &mut sqlx::AnyConnection, p: &PickupRow) -> AppResult<()> {
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

/// The action an owner's grant must be for on their own pick-up pages: the owner's
/// grant to book, whose reach is their own records.
pub const OWNER: Action = Action::AppointmentBook;

/// The customer an owner's grant is for; staff grants are forbidden here.
fn owner_of(grant: &Grant) -> AppResult<i64> {
    expect(grant, OWNER)?;
    match grant.reach() {
        Reach::Customer(c) => Ok(c.get()),
        _ => Err(AppError::Forbidden),
    }
}

/// A pick-up or delivery as its owner sees it.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerPickup {
    /// The pick-up.
    pub pickup: PickupRow,
    /// Its hand-over photos (without their bytes).
    pub photos: Vec<PhotoMeta>,
    /// The driver's name, once one is assigned.
    pub driver_name: Option<String>,
}

async fn owner_view(c: &mut sqlx::AnyConnection, pickup: PickupRow) -> AppResult<OwnerPickup> {
    let photos = store::pickup::photos(c, pickup.id).await?;
    let driver_name = match pickup.driver_id {
        Some(d) => {
            let reach = Reach::Station(domain::ids::StationId(pickup.station_id));
            store::people::staff(c, &reach, d)
                .await
                .ok()
                .map(|s| s.name)
        }
        None => None,
    };
    Ok(OwnerPickup {
        pickup,
        photos,
        driver_name,
    })
}

/// The signed-in owner's pick-ups and deliveries (of vehicles they still own) whose
/// window ended at most 30 days ago, soonest first. Needs [`OWNER`] with an owner's
/// reach.
pub async fn owner_list(app: &App, grant: &Grant) -> AppResult<Vec<OwnerPickup>> {
    let customer = owner_of(grant)?;
    let since = app.now_ms() - 30 * 86_400_000;
    let mut c = conn(app).await?;
    let rows = store::pickup::list_owned(&mut c, customer, since, 50).await?;
    let mut out = Vec::with_capacity(rows.len());
    for p in rows {
        out.push(owner_view(&mut c, p).await?);
    }
    Ok(out)
}

/// One of the signed-in owner's pick-ups; another owner's answers exactly like a
/// missing one ([`AppError::NotFound`]). Needs [`OWNER`] with an owner's reach.
pub async fn owner_get(app: &App, grant: &Grant, id: i64) -> AppResult<OwnerPickup> {
    let customer = owner_of(grant)?;
    let mut c = conn(app).await?;
    let p = store::pickup::get_owned(&mut c, customer, id).await?;
    owner_view(&mut c, p).await
}

/// One photo of the signed-in owner's pick-up: content type and bytes. Another
/// owner's is not found. Needs [`OWNER`] with an owner's reach.
pub async fn owner_photo(
    app: &App,
    grant: &Grant,
    id: i64,
    photo_id: i64,
) -> AppResult<(String, Vec<u8>)> {
    let customer = owner_of(grant)?;
    let mut c = conn(app).await?;
    store::pickup::get_owned(&mut c, customer, id).await?;
    Ok(store::pickup::photo(&mut c, id, photo_id).await?)
}

/// The signed-in owner confirms the hand-over on their own phone page: the same rules
/// as [`confirm`] (still scheduled, checklist complete, at least one photo), signed
/// with the owner's name, recorded with the channel [`CHANNEL_OWNER_PAGE`], and the
/// event written in the same transaction. Another owner's pick-up answers exactly
/// like a missing one. Needs [`OWNER`] with an owner's reach.
pub async fn confirm_by_owner(app: &App, grant: &Grant, id: i64) -> AppResult<()> {
    let customer = owner_of(grant)?;
    let by: String = grant.principal().name.chars().take(50).collect();
    let now = app.now_ms();
    let mut tx = begin(app).await?;
    let p = store::pickup::get_owned(&mut tx, customer, id).await?;
    let signed = Signed {
        by: &by,
        signature_ref: None,
        channel: CHANNEL_OWNER_PAGE,
    };
    record_confirmation(&mut tx, grant, &p, &signed, now).await?;
    commit(tx).await?;
    Ok(())
}

/// The signed-in owner's booked appointments (vehicles they still own, starting
/// later) that have no pick-up yet: where [`request_by_owner`] applies. Needs
/// [`OWNER`] with an owner's reach.
pub async fn owner_open_appointments(
    app: &App,
    grant: &Grant,
) -> AppResult<Vec<store::pickup::OpenAppointment>> {
    let customer = owner_of(grant)?;
    let mut c = conn(app).await?;
    Ok(store::pickup::open_appointments_owned(&mut c, customer, app.now_ms()).await?)
}

/// The events of a pick-up within reach, oldest first (who, when, what, why). Needs
/// [`READ`].
pub async fn history(app: &App, grant: &Grant, id: i64) -> AppResult<Vec<store::event::Event>> {
    expect(grant, READ)?;
    let mut c = conn(app).await?;
    store::pickup::get(&mut c, grant.reach(), id).await?;
    Ok(store::event::for_entity(&mut c, ENTITY, id).await?)
}

/// Cancels a scheduled pick-up with a reason. Needs [`WRITE`].
pub async fn cancel(app: &App, grant: &Grant, id: i64, reason: &str) -> AppResult<()> {
    expect(grant, WRITE)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(AppError::Invalid(
            Violation::new("reason", "required").into(),
        ));
    }
    let now = app.now_ms();
    let mut tx = begin(app).await?;
    store::pickup::get(&mut tx, grant.reach(), id).await?;
    store::pickup::cancel(&mut tx, id, reason, now).await?;
    store::event::record(
        &mut tx,
        now,
        actor(grant),
        ENTITY,
        id,
        "cancelled",
        &serde_json::json!({}),
        Some(reason),
    )
    .await?;
    commit(tx).await?;
    Ok(())
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
