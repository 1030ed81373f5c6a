//! Reading and checking a booking before any place is taken: the station, the car,
//! the calendar, the start, the job, its slots and a plan on the current counts. Used
//! twice by `book`: on a plain connection first where the database has no row locks
//! (SQLite, so a full slot is refused without queueing for the one writer), then in
//! the write transaction.

use super::{BookInput, Parsed};
use crate::calendar::station_calendar;
use crate::capacity::state::{job_for, load_state};
use crate::shared::{instant, refused, station_reach};
use crate::{AppError, AppResult};
use domain::appointment::Appointment;
use domain::capacity::{DEFAULT_SLOT_MINUTES, slots_needed};
use domain::permission::{Grant, Reach};
use domain::{Violation, Violations};
use jiff::{SignedDuration, Timestamp};

/// What a booking needs, read and checked: the station, the car, the calendar, the
/// start, the job, the appointment, its slots and a plan on the current counts.
pub(super) struct Prepared {
    pub(super) station: store::network::Station,
    pub(super) vehicle: store::vehicle::Vehicle,
    pub(super) cal: domain::calendar::WorkingCalendar,
    pub(super) start: Timestamp,
    pub(super) job: domain::capacity::Job,
    pub(super) appt: Appointment,
    pub(super) slots: Vec<Timestamp>,
    pub(super) booking: domain::capacity::Booking,
}

pub(super) async fn prepare(
    tx: &mut sqlx::AnyConnection,
    grant: &Grant,
    input: &BookInput,
    p: &Parsed,
    now: Timestamp,
) -> AppResult<Prepared> {
    let station = store::network::station(tx, &station_reach(grant.reach()), input.station_id)
        .await
        .map_err(|_| crate::shared::refused_rule("station_id", "station.unknown"))?;
    let vehicle = store::vehicle::get(tx, &Reach::All, input.vehicle_id)
        .await
        .map_err(|_| crate::shared::refused_rule("vehicle_id", "vehicle.unknown"))?;
    // An owner books only their own vehicles.
    if let Reach::Customer(c) = grant.reach()
        && c.get() != vehicle.owner_id
    {
        return Err(crate::shared::refused_rule("vehicle_id", "vehicle.unknown"));
    }
    let cal = station_calendar(tx, &station).await?;
    let mut v = Violations::new();
    let start = instant(&mut v, "start", &input.start, &cal.tz);
    v.into_result()?;
    let Some(start) = start else {
        return Err(AppError::Invalid(
            Violation::new("start", "required").into(),
        ));
    };
    let job = job_for(
        tx,
        p.service_type,
        &input.operation_codes,
        input.duration_minutes,
    )
    .await?;
    let appt = Appointment::book(p.service_type, p.channel, start, job.duration_minutes, now)
        .map_err(refused)?;
    let slots = slots_needed(&cal, DEFAULT_SLOT_MINUTES, start, job.duration_minutes, now)
        .map_err(refused)?;
    // Refuse at once when the counts already say full: under a burst for the last
    // places most requests end here, without queueing for the lock.
    let booking = plan(tx, station.id, &job, &slots).await?;
    Ok(Prepared {
        station,
        vehicle,
        cal,
        start,
        job,
        appt,
        slots,
        booking,
    })
}

/// Plans the booking on the stored counts of the slots it needs.
pub(super) async fn plan(
    c: &mut sqlx::AnyConnection,
    station_id: i64,
    job: &domain::capacity::Job,
    slots: &[Timestamp],
) -> AppResult<domain::capacity::Booking> {
    let (Some(first), Some(last)) = (slots.first(), slots.last()) else {
        return Err(refused(Violation::new(
            "duration",
            "capacity.duration_invalid",
        )));
    };
    let end = last
        .checked_add(SignedDuration::from_mins(DEFAULT_SLOT_MINUTES))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let state = load_state(c, station_id, *first, end).await?;
    state.plan(job, *first).map_err(refused)
}
