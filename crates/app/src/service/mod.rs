//! The service loop's use cases (SPEC §4–§5): the labour catalogue, the holiday
//! calendar, station slot capacity, appointments, repair orders and estimates.
//!
//! Permissions: dedicated actions of [`domain::permission::Action`] —
//! `AppointmentRead` / `AppointmentBook` (owners book their own vehicles),
//! `RepairOrderRead` / `RepairOrderWrite` (advisor side), `WorkshopWork` (technicians:
//! work and checkpoint notes), `CapacityAdmin` and `KpiRead`; the labour catalogue is
//! head-office data (`NetworkRead` / `NetworkWrite`).
//!
//! Domain objects whose fields are private ([`domain::appointment::Appointment`],
//! [`domain::repair_order::RepairOrder`], [`domain::estimate::Estimate`],
//! [`domain::capacity::CapacityState`]) are rebuilt from the stored rows through
//! their serde form, so every rule is still checked by the domain.

pub mod appointment;
pub mod calendar;
pub mod capacity;
pub mod estimate;
pub mod guarantee;
pub mod labour;
pub mod parts;
pub mod repair_order;
pub mod stage_standard;

use crate::input::Loose;
use crate::{AppError, AppResult};
use domain::{Violation, Violations};
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// How often a booking is retried when a concurrent booking took the last place
/// between planning and taking it.
const BOOKING_ATTEMPTS: usize = 4;

/// Guards that a grant is for one of the actions a use case accepts.
pub(crate) fn expect_any(
    grant: &domain::permission::Grant,
    actions: &[domain::permission::Action],
) -> AppResult<()> {
    if actions.contains(&grant.action()) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The reach to look a station up with: owners may book at any station (free slots
/// are not personal data); staff only within their own reach.
pub(crate) fn station_reach(reach: &domain::permission::Reach) -> domain::permission::Reach {
    match reach {
        domain::permission::Reach::Customer(_) => domain::permission::Reach::All,
        other => *other,
    }
}

/// A business rule refused the change.
pub(crate) fn refused(v: impl Into<Violation>) -> AppError {
    AppError::Refused(Violations::from(v.into()))
}

/// An instant from stored UTC milliseconds.
pub(crate) fn ts(ms: i64) -> AppResult<Timestamp> {
    Timestamp::from_millisecond(ms)
        .map_err(|e| AppError::Internal(format!("stored instant {ms}: {e}")))
}

/// A domain value rebuilt from its serde form.
pub(crate) fn rebuild<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> AppResult<T> {
    serde_json::from_value(value).map_err(|e| AppError::Internal(format!("stored state: {e}")))
}

/// A serde form of a domain value.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> AppResult<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| AppError::Internal(e.to_string()))
}

/// An instant given as UTC milliseconds, an RFC 3339 text with offset, or a civil
/// `YYYY-MM-DD HH:MM` read in `tz`.
pub(crate) fn instant(
    v: &mut Violations,
    field: &str,
    value: &Loose,
    tz: &TimeZone,
) -> Option<Timestamp> {
    let parsed = match value {
        Loose::Number(n) => n
            .as_i64()
            .and_then(|ms| Timestamp::from_millisecond(ms).ok()),
        Loose::String(s) if !s.trim().is_empty() => {
            let s = s.trim();
            s.parse::<Timestamp>().ok().or_else(|| {
                s.parse::<jiff::civil::DateTime>()
                    .ok()
                    .and_then(|dt| tz.to_timestamp(dt).ok())
            })
        }
        Loose::Null | Loose::String(_) => {
            v.push(Violation::new(field, "required"));
            return None;
        }
        _ => None,
    };
    if parsed.is_none() {
        v.push(Violation::new(field, "datetime.format"));
    }
    parsed
}
