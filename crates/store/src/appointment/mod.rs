//! Appointments (预约) as stored, scoped by station, and the owners' calendar feeds
//! of them ([`feed`]).

pub mod feed;

use crate::error::{StoreError, StoreResult};
use crate::scope::{owned_filter, station_filter};
use domain::permission::Reach;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

/// An appointment row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppointmentRow {
    /// Id.
    pub id: i64,
    /// Station.
    pub station_id: i64,
    /// Customer (the vehicle's owner when booked).
    pub customer_id: i64,
    /// Vehicle.
    pub vehicle_id: i64,
    /// Service type code.
    pub service_type: String,
    /// Channel code.
    pub channel: String,
    /// Start, UTC ms.
    pub start_at: i64,
    /// Standard duration in minutes.
    pub duration_minutes: i64,
    /// Slot length used for the booking.
    pub slot_minutes: i64,
    /// Number of consecutive slots consumed from `start_at`.
    pub slot_count: i64,
    /// Technician class index consumed in each slot.
    pub tech_class: i64,
    /// Labour operation codes booked, comma-separated.
    pub operation_codes: String,
    /// The owner's concern, if told.
    pub concern: Option<String>,
    /// State code (`booked`, `checked_in`, `converted`, `cancelled`, `no_show`).
    pub state: String,
    /// Times rescheduled.
    pub reschedules: i64,
    /// Check-in time.
    pub checked_in_at: Option<i64>,
    /// The repair order opened for it.
    pub repair_order_id: Option<i64>,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
    /// When it was cancelled or marked no-show.
    pub closed_at: Option<i64>,
    /// Created, UTC ms.
    pub created_at: i64,
}

impl AppointmentRow {
    /// The slot starts (UTC ms) the booking consumes.
    pub fn slot_starts(&self) -> Vec<i64> {
        (0..self.slot_count)
            .map(|i| self.start_at + i * self.slot_minutes * 60_000)
            .collect()
    }
}

const COLS: &str = "a.id, a.station_id, a.customer_id, a.vehicle_id, a.service_type, a.channel, a.start_at, a.duration_minutes, \
     a.slot_minutes, a.slot_count, a.tech_class, a.operation_codes, a.concern, a.state, a.reschedules, a.checked_in_at, \
     a.repair_order_id, a.cancel_reason, a.closed_at, a.created_at";

fn from_row(r: &AnyRow) -> Result<AppointmentRow, sqlx::Error> {
    Ok(AppointmentRow {
        id: r.try_get("id")?,
        station_id: r.try_get("station_id")?,
        customer_id: r.try_get("customer_id")?,
        vehicle_id: r.try_get("vehicle_id")?,
        service_type: r.try_get("service_type")?,
        channel: r.try_get("channel")?,
        start_at: r.try_get("start_at")?,
        duration_minutes: r.try_get("duration_minutes")?,
        slot_minutes: r.try_get("slot_minutes")?,
        slot_count: r.try_get("slot_count")?,
        tech_class: r.try_get("tech_class")?,
        operation_codes: r.try_get("operation_codes")?,
        concern: r.try_get("concern")?,
        state: r.try_get("state")?,
        reschedules: r.try_get("reschedules")?,
        checked_in_at: r.try_get("checked_in_at")?,
        repair_order_id: r.try_get("repair_order_id")?,
        cancel_reason: r.try_get("cancel_reason")?,
        closed_at: r.try_get("closed_at")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Inserts a booked appointment (`row.id`, `state` and the history fields are
/// ignored) and returns its id.
pub async fn insert(conn: &mut AnyConnection, row: &AppointmentRow, now: i64) -> StoreResult<i64> {
    let r = sqlx::query(
        "INSERT INTO appointments (station_id, customer_id, vehicle_id, service_type, channel, start_at, duration_minutes, \
         slot_minutes, slot_count, tech_class, operation_codes, concern, state, reschedules, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,'booked',0,$13,$13) RETURNING id",
    )
    .bind(row.station_id)
    .bind(row.customer_id)
    .bind(row.vehicle_id)
    .bind(&row.service_type)
    .bind(&row.channel)
    .bind(row.start_at)
    .bind(row.duration_minutes)
    .bind(row.slot_minutes)
    .bind(row.slot_count)
    .bind(row.tech_class)
    .bind(&row.operation_codes)
    .bind(row.concern.as_deref())
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(r.try_get(0)?)
}

/// The reach condition on appointments (alias `a`, station `s`): staff by station
/// or region; an owner reaches the appointments booked for them of vehicles that are
/// still theirs.
fn reach_filter(reach: &Reach, next_param: usize) -> (String, Option<i64>) {
    match reach {
        Reach::Customer(_) => {
            let (cond, val) = owned_filter(
                reach,
                "a.station_id",
                "s.region_id",
                Some("a.customer_id"),
                next_param,
            );
            (
                format!(
                    "{cond} AND EXISTS (SELECT 1 FROM vehicles v WHERE v.id = a.vehicle_id AND v.owner_id = a.customer_id)"
                ),
                val,
            )
        }
        _ => station_filter(reach, "a.station_id", "s.region_id", next_param),
    }
}

/// One appointment within reach.
pub async fn get(conn: &mut AnyConnection, reach: &Reach, id: i64) -> StoreResult<AppointmentRow> {
    let (cond, val) = reach_filter(reach, 2);
    let sql = format!(
        "SELECT {COLS} FROM appointments a JOIN stations s ON s.id = a.station_id WHERE a.id = $1 AND {cond}"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(id);
    if let Some(v) = val {
        q = q.bind(v);
    }
    let row = q.fetch_optional(conn).await?.ok_or(StoreError::NotFound)?;
    Ok(from_row(&row)?)
}

/// Appointments of a station within reach starting in `[from, to)`, by start.
pub async fn list(
    conn: &mut AnyConnection,
    reach: &Reach,
    station_id: i64,
    from: i64,
    to: i64,
) -> StoreResult<Vec<AppointmentRow>> {
    let (cond, val) = reach_filter(reach, 4);
    let sql = format!(
        "SELECT {COLS} FROM appointments a JOIN stations s ON s.id = a.station_id \
         WHERE a.station_id = $1 AND a.start_at >= $2 AND a.start_at < $3 AND {cond} ORDER BY a.start_at, a.id"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql))
        .bind(station_id)
        .bind(from)
        .bind(to);
    if let Some(v) = val {
        q = q.bind(v);
    }
    let rows = q.fetch_all(conn).await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Moves a booked appointment to new slots. Guarded on the state still being
/// `booked`; a [`StoreError::Conflict`] otherwise.
pub async fn reschedule(
    conn: &mut AnyConnection,
    id: i64,
    start_at: i64,
    slot_count: i64,
    tech_class: i64,
    now: i64,
) -> StoreResult<()> {
    let r = sqlx::query(
        "UPDATE appointments SET start_at = $1, slot_count = $2, tech_class = $3, reschedules = reschedules + 1, updated_at = $4 \
         WHERE id = $5 AND state = 'booked'",
    )
    .bind(start_at)
    .bind(slot_count)
    .bind(tech_class)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    guarded(r.rows_affected())
}

/// Changes the state from `from` to `to`, setting the optional history fields that
/// are given. A [`StoreError::Conflict`] when the state was no longer `from`.
#[allow(clippy::too_many_arguments)]
pub async fn set_state(
    conn: &mut AnyConnection,
    id: i64,
    from: &str,
    to: &str,
    checked_in_at: Option<i64>,
    repair_order_id: Option<i64>,
    cancel_reason: Option<&str>,
    closed_at: Option<i64>,
    now: i64,
) -> StoreResult<()> {
    let r = sqlx::query(
        "UPDATE appointments SET state = $1, checked_in_at = COALESCE($2, checked_in_at), \
         repair_order_id = COALESCE($3, repair_order_id), cancel_reason = COALESCE($4, cancel_reason), \
         closed_at = COALESCE($5, closed_at), updated_at = $6 WHERE id = $7 AND state = $8",
    )
    .bind(to)
    .bind(checked_in_at)
    .bind(repair_order_id)
    .bind(cancel_reason)
    .bind(closed_at)
    .bind(now)
    .bind(id)
    .bind(from)
    .execute(conn)
    .await?;
    guarded(r.rows_affected())
}

fn guarded(rows: u64) -> StoreResult<()> {
    if rows == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict("appointment.changed_meanwhile"))
    }
}

/// The customer's whole phone number and quiet hours, for reminders (never shown).
pub async fn customer_contact(
    conn: &mut AnyConnection,
    customer_id: i64,
) -> StoreResult<(String, Option<String>)> {
    let row = sqlx::query("SELECT phone, quiet_hours FROM customers WHERE id = $1")
        .bind(customer_id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok((row.try_get("phone")?, row.try_get("quiet_hours")?))
}

/// Withdraws a pending outbox message by its dedupe key (a reminder for a start that
/// no longer holds); returns whether one was withdrawn.
pub async fn withdraw_message(conn: &mut AnyConnection, dedupe_key: &str) -> StoreResult<bool> {
    let r = sqlx::query(
        "UPDATE outbox SET status = 'withdrawn' WHERE dedupe_key = $1 AND status = 'pending'",
    )
    .bind(dedupe_key)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The first appointment of `vehicle_id` at `station_id` that still holds places
/// (booked or checked in) and overlaps `[start, end)` (UTC ms), other than
/// `except_id`: the same car cannot be in the workshop twice at once.
pub async fn overlapping(
    conn: &mut AnyConnection,
    station_id: i64,
    vehicle_id: i64,
    start: i64,
    end: i64,
    except_id: i64,
) -> StoreResult<Option<i64>> {
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM appointments WHERE station_id = $1 AND vehicle_id = $2 AND id <> $3 \
         AND state IN ('booked', 'checked_in') AND start_at < $4 \
         AND start_at + duration_minutes * 60000 > $5 ORDER BY start_at, id LIMIT 1",
    )
    .bind(station_id)
    .bind(vehicle_id)
    .bind(except_id)
    .bind(end)
    .bind(start)
    .fetch_optional(conn)
    .await?;
    Ok(id)
}

/// The appointments of a station that hold places (booked or checked in) in any
/// slot starting in `[from, to)` (UTC ms), by start: those a capacity change touches.
pub async fn holding_places(
    conn: &mut AnyConnection,
    station_id: i64,
    from: i64,
    to: i64,
) -> StoreResult<Vec<AppointmentRow>> {
    let sql = format!(
        "SELECT {COLS} FROM appointments a WHERE a.station_id = $1 \
         AND a.state IN ('booked', 'checked_in') AND a.start_at < $3 \
         AND a.start_at + a.slot_count * a.slot_minutes * 60000 > $2 ORDER BY a.start_at, a.id"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(station_id)
        .bind(from)
        .bind(to)
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}
