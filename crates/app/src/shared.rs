//! Helpers shared by the use cases of every area: grant guards, refusals, stored
//! instants, and rebuilding domain values from their stored form. Machinery, not an
//! area: nothing here knows a business rule.
//!
//! Domain objects whose fields are private ([`domain::appointment::Appointment`],
//! [`domain::repair_order::RepairOrder`], [`domain::estimate::Estimate`],
//! [`domain::capacity::CapacityState`]) are rebuilt from the stored rows through
//! their serde form, so every rule is still checked by the domain.

use crate::input::Loose;
use crate::{AppError, AppResult};
use domain::{Violation, Violations};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use store::event::Actor;

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

/// Entity of the event log the bill, payment and rating events are recorded on: they
/// belong to the order's timeline.
pub const ORDER_ENTITY: &str = "repair_order";

/// A business rule refused the change: names the field and the rule.
pub(crate) fn refused_rule(field: &str, rule: &'static str) -> AppError {
    AppError::Refused(Violations::from(Violation::new(field, rule)))
}

/// The owner acting through a capability link.
pub(crate) fn owner_actor(customer_id: i64) -> Actor<'static> {
    Actor {
        role: "owner",
        id: customer_id,
        kind: "person",
    }
}

/// A fresh random secret: 32 bytes as hex (256 bits). Kept here, beside the other
/// helpers every use case shares, so `auth` (which re-exports it) and this module do
/// not import each other.
pub fn new_secret() -> String {
    let mut b = [0u8; 32];
    rand::fill(&mut b);
    hex::encode(b)
}

/// A random reference or token: 256 bits, hex.
pub(crate) fn new_ref() -> String {
    new_secret()
}

/// Maps a store error, turning a taken unique value into the given business rule.
pub(crate) fn duplicate_as(e: store::StoreError, field: &str, rule: &'static str) -> AppError {
    match e {
        store::StoreError::Duplicate(_) => refused_rule(field, rule),
        other => AppError::from(other),
    }
}

/// Reads the result of a check whose violations were already collected.
pub(crate) fn required<T>(v: Option<T>) -> AppResult<T> {
    v.ok_or_else(|| AppError::Invalid(Violation::new("body", "required").into()))
}
