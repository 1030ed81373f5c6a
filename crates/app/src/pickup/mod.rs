//! Pick-up and delivery (上门取送车): a driver fetches the car from the owner before
//! an appointment (`pickup`) or brings it back after the repair (`return`), at an
//! address within a time window. The hand-over is recorded with a checklist, photos
//! (JPEG, PNG or WebP, checked by their magic bytes, at most 5 MiB each and 12 per
//! hand-over) and the owner's signed confirmation, after which it is closed.

mod handover;
mod names;
mod owner;
pub mod reveal;

use crate::calendar::station_zone;
pub use handover::*;
pub use names::*;
pub use owner::*;

use crate::input::{Loose, opt_int, text};

use crate::network::expect;

use crate::shared::instant;

use crate::shared::{refused_rule as refused, required};

use crate::{App, AppError, AppResult, actor, conn};

use domain::permission::{Action, Grant, Reach};

use domain::{Violation, Violations};

use serde::{Deserialize, Serialize};

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
    #[schema(schema_with = crate::schema::line::<200>, required = true)]
    pub address: Loose,
    /// Window start: UTC ms, RFC 3339, or `YYYY-MM-DD HH:MM` in the station's zone.
    #[schema(schema_with = crate::schema::instant, required = true)]
    pub window_start: Loose,
    /// Window end, as the start: after the start, at most 12 hours after it and not
    /// over (409 `pickup.window`, `pickup.window_past`).
    #[schema(schema_with = crate::schema::instant, required = true)]
    pub window_end: Loose,
    /// Driver (staff of the station), optional until assigned.
    #[schema(value_type = Option<i64>, minimum = 1)]
    pub driver_id: Loose,
}

async fn check_driver(c: &mut sqlx::AnyConnection, station_id: i64, driver: i64) -> AppResult<()> {
    let reach = Reach::Station(domain::ids::StationId(station_id));
    match store::people::staff(c, &reach, driver).await {
        Ok(s) if s.active && s.station_id == Some(station_id) => Ok(()),
        // A well-formed id of no active driver of this station: refused (409), as
        // for every reference to a record this database does not hold.
        _ => Err(AppError::Refused(
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
    #[schema(schema_with = crate::schema::line::<200>, required = true)]
    pub address: Loose,
    /// Window start: UTC ms, RFC 3339, or `YYYY-MM-DD HH:MM` in the station's zone.
    #[schema(schema_with = crate::schema::instant, required = true)]
    pub window_start: Loose,
    /// Window end, as the start: after the start, at most 12 hours after it and not
    /// over (409 `pickup.window`, `pickup.window_past`).
    #[schema(schema_with = crate::schema::instant, required = true)]
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
    let address = &address;
    crate::transaction::run(app, "pickup.schedule_as", move |mut tx| async move {
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
        // Rules between the two instants and the clock, which no schema of one field
        // can state: refused (409), as the API document declares for this operation.
        if end <= start || end - start > MAX_WINDOW_HOURS * 3_600_000 {
            return Err(AppError::Refused(
                Violation::new("window_end", "pickup.window")
                    .with_detail(MAX_WINDOW_HOURS.to_string())
                    .into(),
            ));
        }
        if end <= now {
            return Err(AppError::Refused(
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
            address: address.clone(),
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
        Ok((tx, id))
    })
    .await
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
    /// Whether the caller may reveal the address (its driver or the person who
    /// scheduled it), with a purpose, through the reveal.
    pub can_reveal: bool,
}

/// One pick-up within reach. Needs [`READ`]. The address is masked for everyone, the
/// pick-up's driver and the person who scheduled it included: they see it whole only
/// through [`reveal::reveal_address`] (a purpose, a time limit, one audit row), so a
/// page opened in passing does not show a home address. `can_reveal` tells the page
/// whether to offer that reveal.
pub async fn get(app: &App, grant: &Grant, id: i64) -> AppResult<PickupView> {
    use domain::privacy::{Field, Purpose, Visibility, see};
    expect(grant, READ)?;
    let mut c = conn(app).await?;
    let pickup = store::pickup::get(&mut c, grant.reach(), id).await?;
    let photos = store::pickup::photos(&mut c, id).await?;
    let p = grant.principal();
    let rel = crate::privacy::relation_to_pickup(&mut c, p, &pickup).await?;
    drop(c);
    let can_reveal = see(p.role, Field::PickupAddress, rel, Purpose::Reveal) == Visibility::Whole;
    let pickup = crate::privacy::pickup_view(p, rel, Purpose::View, pickup);
    Ok(PickupView {
        pickup,
        photos,
        can_reveal,
    })
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
    let rows =
        store::pickup::list(&mut *conn(app).await?, grant.reach(), station_id, from, to).await?;
    Ok(masked_rows(grant, rows))
}

/// The columns a station's pick-up list may be sorted by (see `store`'s whitelist).
pub const PICKUP_ORDERS: &[(&str, &str)] = store::pickup::PICKUP_ORDERS;

/// One page of [`list`], in the order a person chose from [`PICKUP_ORDERS`] (by
/// window otherwise), addresses masked as in every list.
#[allow(clippy::too_many_arguments)] // the list's filters, its order and its page
pub async fn list_page(
    app: &App,
    grant: &Grant,
    station_id: i64,
    from: i64,
    to: i64,
    order: Option<crate::Order>,
    page: crate::Page,
) -> AppResult<crate::Paged<PickupRow>> {
    expect(grant, READ)?;
    let rows = store::pickup::list_page(
        &mut *conn(app).await?,
        grant.reach(),
        station_id,
        from,
        to,
        order,
        page,
    )
    .await?;
    Ok(crate::Paged {
        items: masked_rows(grant, rows.items),
        total: rows.total,
        page: rows.page,
        per_page: rows.per_page,
    })
}

/// Pick-ups as lists show them: addresses masked for everyone (issue 21, finding 2).
fn masked_rows(grant: &Grant, rows: Vec<PickupRow>) -> Vec<PickupRow> {
    use domain::privacy::{Purpose, Relation};
    let p = grant.principal();
    rows.into_iter()
        .map(|r| crate::privacy::pickup_view(p, Relation::InReach, Purpose::View, r))
        .collect()
}

/// The pick-up of an order's car and its return to the owner: the pick-ups of the
/// order and of the appointment it came from. Needs [`READ`] with the order within
/// reach.
pub async fn of_order(app: &App, grant: &Grant, order_id: i64) -> AppResult<Vec<PickupRow>> {
    expect(grant, READ)?;
    let mut c = conn(app).await?;
    let order = store::repair_order::get(&mut c, grant.reach(), order_id).await?;
    let rows = store::pickup::of_order(&mut c, order.id, order.appointment_id).await?;
    Ok(masked_rows(grant, rows))
}

/// Assigns the driver (staff of the station). Needs [`WRITE`].
pub async fn assign_driver(app: &App, grant: &Grant, id: i64, driver_id: i64) -> AppResult<()> {
    expect(grant, WRITE)?;
    let now = app.now_ms();
    crate::transaction::run(app, "pickup.assign_driver", move |mut tx| async move {
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
        Ok((tx, ()))
    })
    .await
}

/// The events of a pick-up within reach, oldest first (who, when, what, why). Needs
/// [`READ`].
pub async fn history(app: &App, grant: &Grant, id: i64) -> AppResult<Vec<store::event::Event>> {
    expect(grant, READ)?;
    let mut c = conn(app).await?;
    store::pickup::get(&mut c, grant.reach(), id).await?;
    let role = grant.principal().role;
    Ok(store::event::for_entity(&mut c, ENTITY, id)
        .await?
        .into_iter()
        // Who signed, and the signature, as the pick-up itself shows them.
        .map(|e| crate::privacy::event_view(role, e))
        .collect())
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
    crate::transaction::run(app, "pickup.cancel", move |mut tx| async move {
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
        Ok((tx, ()))
    })
    .await
}

/// Where a pick-up being scheduled comes from, for the form: the station of the
/// appointment (with its start, to end the window at) or of the repair order, when
/// within reach. Needs [`READ`].
pub async fn source(
    app: &App,
    grant: &Grant,
    appointment_id: Option<i64>,
    repair_order_id: Option<i64>,
) -> AppResult<Option<(i64, Option<i64>)>> {
    expect(grant, READ)?;
    let mut c = conn(app).await?;
    if let Some(a) = appointment_id {
        return Ok(store::appointment::get(&mut c, grant.reach(), a)
            .await
            .ok()
            .map(|a| (a.station_id, Some(a.start_at))));
    }
    if let Some(o) = repair_order_id {
        return Ok(store::repair_order::get(&mut c, grant.reach(), o)
            .await
            .ok()
            .map(|o| (o.station_id, None)));
    }
    Ok(None)
}
