//! The explicit "move these" step of a capacity publication that leaves booked slots
//! with more bookings than places (issue 20): instead of the refusal
//! (`capacity.below_booked`), the caller asks for `move_affected`, and within the
//! publication's one transaction each appointment that no longer fits is moved to the
//! nearest free start of the same station, or — where none is free — cancelled; its
//! owner is told through the outbox either way and the appointment's timeline records
//! what happened and whether the owner was notified. Never silent, never half done.
//!
//! Which appointments move: slot by slot in time order, while a slot is over its
//! places, the appointment booked last that holds a place in it (the earliest bookings
//! keep their time). Each move takes a free place, so every step lowers the places
//! over capacity and the loop ends.

use crate::appointment::{cancel_in, reschedule_in};
use crate::calendar::station_calendar;
use crate::capacity::state::{SEARCH_HORIZON_DAYS, job_for, load_state};
use crate::input::Loose;
use crate::shared::ts;
use crate::{AppError, AppResult, actor};
use domain::capacity::DEFAULT_SLOT_MINUTES;
use domain::permission::Grant;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use sqlx::AnyConnection;
use store::appointment::AppointmentRow;

/// How many nearest free starts are tried for one appointment before it is cancelled.
const CANDIDATES: usize = 5;

/// The reason recorded on an appointment cancelled because no place was left.
pub const CANCEL_REASON: &str = "capacity_lowered";

/// What happened to one appointment that no longer fitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Relocated {
    /// The appointment.
    pub appointment_id: i64,
    /// The vehicle's plate, when it has one (how the desk names the appointment).
    pub plate: Option<String>,
    /// The owner's name.
    pub customer_name: String,
    /// Its start before, UTC ms.
    pub from: i64,
    /// Its new start, UTC ms; `None` when it was cancelled (no free start left).
    pub to: Option<i64>,
    /// Whether its owner was sent a message (service messages need their consent).
    pub owner_notified: bool,
}

/// Moves or cancels, one at a time, the appointments holding places in slots of
/// `[first, end)` that are over their (new) capacity; see the module doc.
pub(crate) async fn relocate(
    tx: &mut AnyConnection,
    grant: &Grant,
    station_id: i64,
    first: i64,
    end: i64,
    now: Timestamp,
) -> AppResult<Vec<Relocated>> {
    let held = store::appointment::holding_places(tx, station_id, first, end).await?;
    let mut done = Vec::new();
    // Each round moves one appointment out of an over slot into a free place, so
    // there are at most as many rounds as appointments holding places.
    for _ in 0..=held.len() {
        let Some(row) = next_to_move(tx, station_id, first, end).await? else {
            return Ok(done);
        };
        done.push(move_or_cancel(tx, grant, &row, now).await?);
    }
    Err(AppError::Internal(
        "capacity: appointments left over capacity after moving".into(),
    ))
}

/// The appointment booked last that holds a place in the first slot over capacity.
async fn next_to_move(
    tx: &mut AnyConnection,
    station_id: i64,
    first: i64,
    end: i64,
) -> AppResult<Option<AppointmentRow>> {
    let slots = store::capacity::slots_between(tx, station_id, first, end).await?;
    let Some((slot, class)) = slots.iter().find_map(|s| {
        if s.used_bays > s.bays {
            Some((s.slot_start, None))
        } else {
            s.techs
                .iter()
                .find(|(_, cap, used)| used > cap)
                .map(|(class, ..)| (s.slot_start, Some(*class)))
        }
    }) else {
        return Ok(None);
    };
    let span = slot + DEFAULT_SLOT_MINUTES * 60_000;
    let held = store::appointment::holding_places(tx, station_id, slot, span).await?;
    held.into_iter()
        .filter(|a| a.slot_starts().contains(&slot))
        .filter(|a| class.is_none_or(|c| a.tech_class == c))
        // A car already checked in stays where it is.
        .filter(|a| a.state == "booked")
        .max_by_key(|a| a.id)
        .map(Some)
        .ok_or_else(|| {
            AppError::Refused(
                domain::Violation::new("move_affected", "capacity.below_checked_in")
                    .with_detail(slot.to_string())
                    .into(),
            )
        })
}

/// Moves one appointment to the nearest free start that takes it, or cancels it;
/// tells the owner and records it in the appointment's timeline.
async fn move_or_cancel(
    tx: &mut AnyConnection,
    grant: &Grant,
    row: &AppointmentRow,
    now: Timestamp,
) -> AppResult<Relocated> {
    let mut to = None;
    for start in candidates(tx, row, now).await? {
        // Each try in a savepoint: a refused one (the vehicle's other appointment
        // overlaps, the technician class is full) leaves nothing behind.
        savepoint(tx, "SAVEPOINT relocate_one").await?;
        match reschedule_in(tx, grant, row.id, &Loose::from(start), now).await {
            Ok(()) => {
                savepoint(tx, "RELEASE SAVEPOINT relocate_one").await?;
                to = Some(start);
                break;
            }
            Err(AppError::Refused(_) | AppError::Invalid(_)) => {
                savepoint(tx, "ROLLBACK TO SAVEPOINT relocate_one").await?;
                savepoint(tx, "RELEASE SAVEPOINT relocate_one").await?;
            }
            Err(e) => return Err(e),
        }
    }
    if to.is_none() {
        cancel_in(tx, grant, row.id, CANCEL_REASON, now).await?;
    }
    let owner_notified = notify_owner(tx, row, to, now).await?;
    let kind = if to.is_some() {
        "moved_by_capacity"
    } else {
        "cancelled_by_capacity"
    };
    store::event::record(
        tx,
        now.as_millisecond(),
        actor(grant),
        "appointment",
        row.id,
        kind,
        &serde_json::json!({"from": row.start_at, "to": to, "owner_notified": owner_notified}),
        None,
    )
    .await?;
    let vehicle = store::vehicle::get(tx, &domain::permission::Reach::All, row.vehicle_id).await?;
    let customer =
        store::customer::get(tx, &domain::permission::Reach::All, row.customer_id).await?;
    Ok(Relocated {
        appointment_id: row.id,
        plate: vehicle.plate,
        customer_name: customer.name,
        from: row.start_at,
        to,
        owner_notified,
    })
}

/// The nearest free starts for the appointment's job at its station, nearest to its
/// old start first (at most [`CANDIDATES`]).
async fn candidates(
    tx: &mut AnyConnection,
    row: &AppointmentRow,
    now: Timestamp,
) -> AppResult<Vec<i64>> {
    let station =
        store::network::station(tx, &domain::permission::Reach::All, row.station_id).await?;
    let cal = station_calendar(tx, &station).await?;
    let service_type = domain::appointment::ServiceType::from_code(&row.service_type)
        .ok_or_else(|| AppError::Internal(format!("service type {}", row.service_type)))?;
    let codes: Vec<String> = row
        .operation_codes
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let mut job = job_for(tx, service_type, &codes, None).await?;
    job.duration_minutes = row.duration_minutes;
    let preferred = ts(row.start_at)?;
    let span = SignedDuration::from_hours(24 * i64::from(SEARCH_HORIZON_DAYS + 1));
    let from = preferred
        .saturating_sub(span)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let to = preferred
        .saturating_add(span)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let state = load_state(tx, row.station_id, from, to).await?;
    Ok(domain::capacity::find_slots(
        &cal,
        &state,
        &job,
        preferred,
        SEARCH_HORIZON_DAYS,
        now,
        CANDIDATES,
    )
    .into_iter()
    .map(|t| t.as_millisecond())
    .filter(|t| *t != row.start_at)
    .collect())
}

/// Queues the owner's message (moved, with the new start, or cancelled) when they
/// consented to service messages; returns whether one was queued. The key is stable
/// per appointment and old start, so a retried transaction queues it once.
async fn notify_owner(
    tx: &mut AnyConnection,
    row: &AppointmentRow,
    to: Option<i64>,
    now: Timestamp,
) -> AppResult<bool> {
    // The ledger is the one source of truth for consent: its latest service-contact
    // entry decides at queue time (and the outbox asks again at send time).
    if !crate::privacy::consent::allows_now(
        tx,
        row.customer_id,
        domain::privacy::consent::ConsentPurpose::ServiceContact,
    )
    .await?
    {
        return Ok(false);
    }
    let customer =
        store::customer::get(tx, &domain::permission::Reach::All, row.customer_id).await?;
    let (phone, _) = store::appointment::customer_contact(tx, row.customer_id).await?;
    let template = if to.is_some() {
        "appointment_moved"
    } else {
        "appointment_cancelled"
    };
    store::outbox::enqueue(
        tx,
        &format!("appt-capacity:{}:{}", row.id, row.start_at),
        &customer.channel,
        &phone,
        Some(row.customer_id),
        template,
        &serde_json::json!({
            "appointment_id": row.id, "station_id": row.station_id,
            "from": row.start_at, "to": to, "reason": CANCEL_REASON,
        }),
        now.as_millisecond(),
    )
    .await?;
    Ok(true)
}

async fn savepoint(tx: &mut AnyConnection, sql: &'static str) -> AppResult<()> {
    sqlx::query(sql)
        .execute(&mut *tx)
        .await
        .map_err(|e| AppError::from(store::StoreError::from(e)))?;
    Ok(())
}
