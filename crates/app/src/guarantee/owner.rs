//! The owner's own view of a car's three guarantees (the phone page): the same
//! position the staff see (periods, the repair-time counter, every right that arose)
//! and the car's requests. Reached only through the owner's own grant; another
//! owner's car answers exactly like a missing one.

use super::history;
use super::request::{RequestView, view_of};
use super::view::{ThreeGuarantees, assess_at, view};
use crate::shared::ts;
use crate::{App, AppError, AppResult, conn};
use domain::permission::{Grant, Reach};

/// A car's three guarantees as its owner sees them.
#[derive(Debug, Clone)]
pub struct OwnerPosition {
    /// The position.
    pub position: ThreeGuarantees,
    /// The car's requests, oldest first.
    pub requests: Vec<RequestView>,
    /// Brand and model.
    pub model: String,
    /// Plate, if registered.
    pub plate: Option<String>,
}

/// The position of one of the owner's own cars. Needs an owner's grant.
pub async fn position(app: &App, grant: &Grant, vehicle_id: i64) -> AppResult<OwnerPosition> {
    let Reach::Customer(cid) = *grant.reach() else {
        return Err(AppError::Forbidden);
    };
    let mut c = conn(app).await?;
    let vehicle = store::vehicle::get(&mut c, &Reach::All, vehicle_id).await?;
    if vehicle.owner_id != cid.get() {
        return Err(AppError::NotFound);
    }
    let model = format!("{} {}", vehicle.brand, vehicle.model);
    let plate = vehicle.plate.clone();
    let h = history::load(&mut c, vehicle).await?;
    let now = ts(app.now_ms())?;
    let today = h.tz.to_datetime(now).date();
    let requests = store::guarantee::request::of_vehicle(&mut c, vehicle_id)
        .await?
        .iter()
        .map(|r| view_of(r, today))
        .collect::<AppResult<Vec<_>>>()?;
    let mut position = view(&h, &assess_at(&h, now), now);
    position.battery = super::battery::load(&mut c, &h, today).await?;
    Ok(OwnerPosition {
        position,
        requests,
        model,
        plate,
    })
}
