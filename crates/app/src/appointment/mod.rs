//! Appointments (预约): booking against slot capacity, rescheduling, cancelling with a
//! reason (capacity released), no-shows, and the reminder before the start.
//!
//! Every write runs through the one transaction runner ([`crate::transaction`]): the
//! slots a booking, reschedule or cancel touches are locked first in the one lock
//! order (by station, then start), the counts read under that lock, and places taken
//! with guarded conditional updates (see [`store::capacity`]), so the answer is the
//! domain's own refusal; a deadlock or busy database runs the whole transaction again.

pub mod feed;
pub mod list;
pub mod owner;
mod prepare;
pub mod view;
use crate::calendar::{station_calendar, station_zone};
use crate::capacity::state::job_for;
use crate::input::Loose;
use crate::network::expect;
use crate::shared::{instant, rebuild, refused, to_json, ts};
use crate::transaction::run;
use crate::{App, AppError, AppResult, actor, conn};
use domain::appointment::{Appointment, AppointmentState, Channel, QuietHours, ServiceType};
use domain::capacity::{DEFAULT_SLOT_MINUTES, slots_needed};
use domain::permission::{Action, Grant, Reach};
use domain::{Violation, Violations};
use jiff::Timestamp;
use serde::Deserialize;
pub use store::appointment::AppointmentRow;

/// Hours before the start at which the reminder goes out.
pub const REMINDER_HOURS_BEFORE: i64 = 24;

/// A booking as asked.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BookInput {
    /// Station.
    pub station_id: i64,
    /// Vehicle; the customer is its owner.
    pub vehicle_id: i64,
    /// Service type code (`maintenance`, `repair`, …).
    pub service_type: String,
    /// Channel code (`owner_app`, `hotline`, `walk_in`).
    pub channel: String,
    /// Start: UTC ms, RFC 3339, or `YYYY-MM-DD HH:MM` in the station's zone.
    pub start: Loose,
    /// Labour operations, if known (they set duration and requirement).
    pub operation_codes: Vec<String>,
    /// Duration in minutes when no operation is named (default 60).
    pub duration_minutes: Option<i64>,
    /// The owner's concern.
    pub concern: Option<String>,
}

struct Parsed {
    service_type: ServiceType,
    channel: Channel,
}

fn parse(input: &BookInput) -> Result<Parsed, Violations> {
    let mut v = Violations::new();
    let st = ServiceType::from_code(input.service_type.trim());
    if st.is_none() {
        v.push(Violation::new(
            "service_type",
            "appointment.service_type_unknown",
        ));
    }
    let ch = Channel::from_code(input.channel.trim());
    if ch.is_none() {
        v.push(Violation::new("channel", "appointment.channel_unknown"));
    }
    if input
        .concern
        .as_ref()
        .is_some_and(|c| c.chars().count() > 2000)
    {
        v.push(Violation::new("concern", "text.length").with_detail("2000"));
    }
    v.into_result()?;
    match (st, ch) {
        (Some(service_type), Some(channel)) => Ok(Parsed {
            service_type,
            channel,
        }),
        _ => Err(Violation::new("body", "required").into()),
    }
}

/// The domain form of a stored appointment.
pub fn to_domain(row: &AppointmentRow) -> AppResult<Appointment> {
    let state = match row.state.as_str() {
        "booked" => AppointmentState::Booked,
        "checked_in" => AppointmentState::CheckedIn {
            at: ts(row.checked_in_at.unwrap_or(row.start_at))?,
        },
        "converted" => AppointmentState::Converted {
            repair_order_id: row.repair_order_id.unwrap_or_default().to_string(),
        },
        "cancelled" => AppointmentState::Cancelled {
            reason: row.cancel_reason.clone().unwrap_or_default(),
            at: ts(row.closed_at.unwrap_or(row.start_at))?,
        },
        "no_show" => AppointmentState::NoShow {
            at: ts(row.closed_at.unwrap_or(row.start_at))?,
        },
        other => return Err(AppError::Internal(format!("appointment state {other}"))),
    };
    let service_type = ServiceType::from_code(&row.service_type)
        .ok_or_else(|| AppError::Internal(format!("service type {}", row.service_type)))?;
    let channel = Channel::from_code(&row.channel)
        .ok_or_else(|| AppError::Internal(format!("channel {}", row.channel)))?;
    rebuild(serde_json::json!({
        "service_type": to_json(&service_type)?,
        "channel": to_json(&channel)?,
        "start": to_json(&ts(row.start_at)?)?,
        "duration_minutes": row.duration_minutes,
        "state": to_json(&state)?,
        "reschedules": row.reschedules,
    }))
}

/// Books an appointment. Refused (with the domain's rule code) in the past, on a
/// holiday or closed day, outside opening hours, off the slot grid, past closing, or
/// when no bay or qualified technician is free for the whole job; refused too when
/// the vehicle already holds an overlapping appointment at the station (the rule
/// names it). Needs `AppointmentBook` within the station's reach; the vehicle may be
/// registered anywhere. Runs through the transaction runner.
pub async fn book(app: &App, grant: &Grant, input: &BookInput) -> AppResult<i64> {
    expect(grant, Action::AppointmentBook)?;
    let p = &parse(input)?;
    let now = app.clock.now();
    // Where the database has no row locks (SQLite), the write transaction itself is
    // the lock: every request of a burst for the last places would queue for the one
    // writer only to be refused. Readers do not wait for the writer (WAL), so the
    // whole check runs first on a plain connection and refuses a full slot at once;
    // the write transaction checks again.
    {
        let mut c = crate::conn(app).await?;
        if !store::capacity::locks_rows(&c) {
            prepare(&mut c, grant, input, p, now).await?;
        }
    }
    run(app, "appointment.book", move |mut tx| async move {
        let id = book_in(&mut tx, grant, input, p, now).await?;
        Ok((tx, id))
    })
    .await
}

use prepare::{Prepared, plan, prepare};

async fn book_in(
    tx: &mut sqlx::AnyConnection,
    grant: &Grant,
    input: &BookInput,
    p: &Parsed,
    now: Timestamp,
) -> AppResult<i64> {
    let Prepared {
        station,
        vehicle,
        cal,
        start,
        job,
        appt,
        slots,
        booking,
    } = prepare(tx, grant, input, p, now).await?;
    // Lock order: the slots (by start), then read the counts again under the lock —
    // only where the lock is a real row lock (PostgreSQL); SQLite's write transaction
    // already held the one writer when the counts above were read.
    // Under the lock the counts come first: a burst's losers then hold the slot rows
    // for the lock and one read only, not for the overlap check as well.
    store::capacity::lock(tx, station.id, &millis(&slots)).await?;
    let booking = if store::capacity::locks_rows(tx) {
        plan(tx, station.id, &job, &slots).await?
    } else {
        booking
    };
    refuse_overlap(
        tx,
        station.id,
        vehicle.id,
        start,
        appt.duration_minutes(),
        0,
    )
    .await?;
    let starts = millis(&booking.slots);
    let class = booking.class.index() as i64;
    take(tx, station.id, &starts, class).await?;
    let row = AppointmentRow {
        id: 0,
        station_id: station.id,
        customer_id: vehicle.owner_id,
        vehicle_id: vehicle.id,
        service_type: p.service_type.code().into(),
        channel: p.channel.code().into(),
        start_at: start.as_millisecond(),
        duration_minutes: appt.duration_minutes(),
        slot_minutes: DEFAULT_SLOT_MINUTES,
        slot_count: starts.len() as i64,
        tech_class: class,
        operation_codes: input.operation_codes.join(","),
        concern: input.concern.as_deref().map(str::trim).map(str::to_string),
        state: "booked".into(),
        reschedules: 0,
        checked_in_at: None,
        repair_order_id: None,
        cancel_reason: None,
        closed_at: None,
        created_at: now.as_millisecond(),
    };
    let id = store::appointment::insert(tx, &row, now.as_millisecond()).await?;
    store::event::record(
        tx,
        now.as_millisecond(),
        actor(grant),
        "appointment",
        id,
        "booked",
        &serde_json::json!({
            "station_id": station.id, "vehicle_id": vehicle.id, "start": row.start_at,
            "duration_minutes": row.duration_minutes, "service_type": row.service_type,
            "channel": row.channel, "tech_class": class,
        }),
        None,
    )
    .await?;
    enqueue_reminder(tx, &row, id, now, &cal.tz).await?;
    Ok(id)
}

/// UTC milliseconds of instants.
fn millis(slots: &[Timestamp]) -> Vec<i64> {
    slots.iter().map(|s| s.as_millisecond()).collect()
}

/// Takes the places of a plan made under the slots' lock; a counter found full then
/// is refused with the domain's rule (the whole transaction rolls back).
async fn take(
    tx: &mut sqlx::AnyConnection,
    station_id: i64,
    starts: &[i64],
    class: i64,
) -> AppResult<()> {
    match store::capacity::take(tx, station_id, starts, class).await? {
        Ok(()) => Ok(()),
        Err(store::capacity::Full::Bay) => Err(refused(Violation::new("start", "capacity.no_bay"))),
        Err(store::capacity::Full::Technician) => {
            Err(refused(Violation::new("start", "capacity.no_technician")))
        }
    }
}

/// Refuses a second appointment of the same vehicle at the station overlapping
/// `[start, start + minutes)`, naming the existing one and its link (a double submit
/// without an idempotency key makes one booking, not two).
async fn refuse_overlap(
    tx: &mut sqlx::AnyConnection,
    station_id: i64,
    vehicle_id: i64,
    start: Timestamp,
    minutes: i64,
    except_id: i64,
) -> AppResult<()> {
    let from = start.as_millisecond();
    let to = from + minutes * 60_000;
    match store::appointment::overlapping(tx, station_id, vehicle_id, from, to, except_id).await? {
        None => Ok(()),
        Some(existing) => Err(refused(
            Violation::new("vehicle_id", "appointment.overlap")
                .with_detail(format!("/api/v1/appointments/{existing}")),
        )),
    }
}

fn reminder_key(id: i64, start_ms: i64) -> String {
    format!("appt-reminder:{id}:{start_ms}")
}

async fn enqueue_reminder(
    c: &mut sqlx::AnyConnection,
    row: &AppointmentRow,
    id: i64,
    now: Timestamp,
    tz: &jiff::tz::TimeZone,
) -> AppResult<()> {
    // Reminders are service messages: only with the customer's consent, on the channel
    // they chose.
    // The ledger is the one source of truth for consent: its latest service-contact
    // entry decides at queue time (and the outbox asks again at send time).
    if !crate::privacy::consent::allows_now(
        c,
        row.customer_id,
        domain::privacy::consent::ConsentPurpose::ServiceContact,
    )
    .await?
    {
        return Ok(());
    }
    let customer =
        store::customer::get(c, &domain::permission::Reach::All, row.customer_id).await?;
    let (phone, quiet) = store::appointment::customer_contact(c, row.customer_id).await?;
    let quiet = quiet
        .as_deref()
        .and_then(|q| domain::customer::QuietHours::parse(q).ok())
        .map(|q| QuietHours {
            from: q.from,
            to: q.to,
        });
    let start = ts(row.start_at)?;
    let due = domain::appointment::reminder_at(start, REMINDER_HOURS_BEFORE, quiet, tz)
        .map_err(refused)?
        .max(now);
    store::outbox::enqueue(
        c,
        &reminder_key(id, row.start_at),
        &customer.channel,
        &phone,
        Some(row.customer_id),
        "appointment_reminder",
        &serde_json::json!({
            "appointment_id": id, "station_id": row.station_id, "start": row.start_at,
            "service_type": row.service_type,
        }),
        due.as_millisecond(),
    )
    .await?;
    Ok(())
}

/// Moves a booked appointment to `start`: in one transaction through the runner,
/// the old and new slots are locked together in the one lock order (by start), the
/// old places released and the new ones taken; the old reminder is withdrawn and a
/// new one queued. Needs `AppointmentBook`; an owner reaches only the appointments of
/// their own vehicles (others are not found).
pub async fn reschedule(app: &App, grant: &Grant, id: i64, start: &Loose) -> AppResult<()> {
    expect(grant, Action::AppointmentBook)?;
    let now = app.clock.now();
    run(app, "appointment.reschedule", move |mut tx| async move {
        reschedule_in(&mut tx, grant, id, start, now).await?;
        Ok((tx, ()))
    })
    .await
}

pub(crate) async fn reschedule_in(
    tx: &mut sqlx::AnyConnection,
    grant: &Grant,
    id: i64,
    start: &Loose,
    now: Timestamp,
) -> AppResult<()> {
    let row = store::appointment::get(tx, grant.reach(), id).await?;
    let station = store::network::station(tx, &Reach::All, row.station_id).await?;
    let cal = station_calendar(tx, &station).await?;
    let mut v = Violations::new();
    let new_start = instant(&mut v, "start", start, &cal.tz);
    v.into_result()?;
    let Some(new_start) = new_start else {
        return Err(AppError::Invalid(
            Violation::new("start", "required").into(),
        ));
    };
    let mut appt = to_domain(&row)?;
    appt.reschedule(new_start, now).map_err(refused)?;
    let codes: Vec<String> = row
        .operation_codes
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let mut job = job_for(tx, appt.service_type(), &codes, None).await?;
    job.duration_minutes = row.duration_minutes;
    let slots = slots_needed(
        &cal,
        DEFAULT_SLOT_MINUTES,
        new_start,
        job.duration_minutes,
        now,
    )
    .map_err(refused)?;
    // One lock order: old and new slots together, by start — never "free the old,
    // then take the new", which locks in the opposite order of a booking.
    let mut touched = row.slot_starts();
    touched.extend(millis(&slots));
    store::capacity::lock(tx, row.station_id, &touched).await?;
    // The appointment's state may have changed while we waited for the slots.
    let row = store::appointment::get(tx, grant.reach(), id).await?;
    to_domain(&row)?
        .reschedule(new_start, now)
        .map_err(refused)?;
    refuse_overlap(
        tx,
        row.station_id,
        row.vehicle_id,
        new_start,
        row.duration_minutes,
        id,
    )
    .await?;
    store::capacity::release(tx, row.station_id, &row.slot_starts(), row.tech_class).await?;
    let booking = plan(tx, row.station_id, &job, &slots).await?;
    let starts = millis(&booking.slots);
    let class = booking.class.index() as i64;
    take(tx, row.station_id, &starts, class).await?;
    let now_ms = now.as_millisecond();
    store::appointment::reschedule(
        tx,
        id,
        new_start.as_millisecond(),
        starts.len() as i64,
        class,
        now_ms,
    )
    .await?;
    store::appointment::withdraw_message(tx, &reminder_key(id, row.start_at)).await?;
    let mut moved = row.clone();
    moved.start_at = new_start.as_millisecond();
    enqueue_reminder(tx, &moved, id, now, &cal.tz).await?;
    store::event::record(
        tx,
        now_ms,
        actor(grant),
        "appointment",
        id,
        "rescheduled",
        &serde_json::json!({"from": row.start_at, "to": moved.start_at, "tech_class": class}),
        None,
    )
    .await?;
    Ok(())
}

/// Cancels a booked appointment with a reason; its places are released (its slots
/// locked first, in the one order) and its reminder withdrawn. Needs
/// `AppointmentBook`; an owner reaches only the appointments of their own vehicles
/// (others are not found).
pub async fn cancel(app: &App, grant: &Grant, id: i64, reason: &str) -> AppResult<()> {
    expect(grant, Action::AppointmentBook)?;
    let now = app.clock.now();
    run(app, "appointment.cancel", move |mut tx| async move {
        cancel_in(&mut tx, grant, id, reason, now).await?;
        Ok((tx, ()))
    })
    .await
}

pub(crate) async fn cancel_in(
    tx: &mut sqlx::AnyConnection,
    grant: &Grant,
    id: i64,
    reason: &str,
    now: Timestamp,
) -> AppResult<()> {
    let now_ms = now.as_millisecond();
    let row = store::appointment::get(tx, grant.reach(), id).await?;
    store::capacity::lock(tx, row.station_id, &row.slot_starts()).await?;
    let row = store::appointment::get(tx, grant.reach(), id).await?;
    let mut appt = to_domain(&row)?;
    appt.cancel(reason, now).map_err(refused)?;
    let reason = reason.trim();
    store::appointment::set_state(
        tx,
        id,
        "booked",
        "cancelled",
        None,
        None,
        Some(reason),
        Some(now_ms),
        now_ms,
    )
    .await?;
    store::capacity::release(tx, row.station_id, &row.slot_starts(), row.tech_class).await?;
    store::appointment::withdraw_message(tx, &reminder_key(id, row.start_at)).await?;
    store::event::record(
        tx,
        now_ms,
        actor(grant),
        "appointment",
        id,
        "cancelled",
        &serde_json::json!({"start": row.start_at}),
        Some(reason),
    )
    .await?;
    Ok(())
}

/// Records that the owner did not come (only after the start). The places stay
/// counted as used: the time has passed. Needs `AppointmentBook`.
pub async fn no_show(app: &App, grant: &Grant, id: i64) -> AppResult<()> {
    expect(grant, Action::AppointmentBook)?;
    let now = app.clock.now();
    let now_ms = now.as_millisecond();
    run(app, "appointment.no_show", move |mut tx| async move {
        let row = store::appointment::get(&mut tx, grant.reach(), id).await?;
        let mut appt = to_domain(&row)?;
        appt.mark_no_show(now).map_err(refused)?;
        store::appointment::set_state(
            &mut tx,
            id,
            "booked",
            "no_show",
            None,
            None,
            None,
            Some(now_ms),
            now_ms,
        )
        .await?;
        store::event::record(
            &mut tx,
            now_ms,
            actor(grant),
            "appointment",
            id,
            "no_show",
            &serde_json::json!({"start": row.start_at}),
            None,
        )
        .await?;
        Ok((tx, ()))
    })
    .await
}

/// One appointment within reach. Needs `AppointmentRead`.
pub async fn get(app: &App, grant: &Grant, id: i64) -> AppResult<AppointmentRow> {
    expect(grant, Action::AppointmentRead)?;
    let mut c = conn(app).await?;
    Ok(store::appointment::get(&mut c, grant.reach(), id).await?)
}

/// A station's appointments starting in `[from, to)` (UTC ms). Needs `AppointmentRead`.
pub async fn list(
    app: &App,
    grant: &Grant,
    station_id: i64,
    from: i64,
    to: i64,
) -> AppResult<Vec<AppointmentRow>> {
    expect(grant, Action::AppointmentRead)?;
    let mut c = conn(app).await?;
    Ok(store::appointment::list(&mut c, grant.reach(), station_id, from, to).await?)
}

/// The zone of a station, for showing appointment times.
pub async fn zone_of(app: &App, station_id: i64) -> AppResult<jiff::tz::TimeZone> {
    let mut c = conn(app).await?;
    station_zone(&mut c, station_id).await
}
