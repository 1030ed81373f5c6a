//! The owner's side of pick-up and delivery on their phone: their own pick-ups (another
//! owner's answer exactly like missing ones), photos, confirming the hand-over, asking for
//! a pick-up before a booked appointment.

use super::*;
use crate::network::expect;
use crate::{App, AppError, AppResult, conn};
use domain::permission::{Action, Grant, Reach};
use serde::Serialize;
use store::pickup::{PhotoMeta, PickupRow};

/// The action an owner's grant must be for on their own pick-up pages: the owner's
/// grant to book, whose reach is their own records.
pub const OWNER: Action = Action::AppointmentBook;

/// The customer an owner's grant is for; staff grants are forbidden here.
pub(super) fn owner_of(grant: &Grant) -> AppResult<i64> {
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

pub(super) async fn owner_view(
    c: &mut sqlx::AnyConnection,
    pickup: PickupRow,
) -> AppResult<OwnerPickup> {
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
    let by = &by;
    crate::transaction::run(app, "pickup.confirm_by_owner", move |mut tx| async move {
        let p = store::pickup::get_owned(&mut tx, customer, id).await?;
        let signed = Signed {
            by,
            signature_ref: None,
            channel: CHANNEL_OWNER_PAGE,
        };
        record_confirmation(&mut tx, grant, &p, &signed, now).await?;
        Ok((tx, ()))
    })
    .await
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
