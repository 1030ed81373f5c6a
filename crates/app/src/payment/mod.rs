//! Payment and the end of the service loop (SPEC §4–§5, §10): the electronic bill of a
//! delivered repair order and its payment (at the desk, or online through a
//! [`provider::PaymentProvider`] with signed callbacks — a local sandbox provider
//! ships), the owner's rating, pick-up and delivery (上门取送车) with hand-over
//! photos, iCalendar feeds, and the follow-up call (回访) due within 3 days.
//!
//! Permissions: until dedicated actions exist, recording payments, ratings at the
//! desk, pick-ups and follow-up calls needs [`WRITE`] (`VehicleWrite`, the roles that
//! serve a vehicle) and reading them [`READ`] (`VehicleRead`). Changing these two
//! constants moves the whole area to dedicated actions.
//!
//! Changes to a repair order's bill, payments and rating are recorded as events of
//! the order (entity `repair_order`), so they appear on its timeline.

pub mod bill;
pub mod follow_up;
pub mod ical;
pub mod pickup;
pub mod provider;
pub mod rating;

use crate::{AppError, AppResult};
use domain::permission::Action;
use domain::{Violation, Violations};
use store::event::Actor;

/// The action that records payments, desk ratings, pick-ups and follow-up calls.
pub const WRITE: Action = Action::VehicleWrite;
/// The action that reads bills, pick-ups, feeds and follow-ups.
pub const READ: Action = Action::VehicleRead;

/// Entity of the event log the bill, payment and rating events are recorded on.
pub const ORDER_ENTITY: &str = "repair_order";

/// A business rule refused the change: names the field and the rule.
pub(crate) fn refused(field: &str, rule: &'static str) -> AppError {
    AppError::Refused(Violations::from(Violation::new(field, rule)))
}

/// The owner acting through a capability link.
pub(crate) fn owner_actor(customer_id: i64) -> Actor<'static> {
    Actor {
        role: "owner",
        id: customer_id,
    }
}

/// A random reference or token: 256 bits, hex.
pub(crate) fn new_ref() -> String {
    crate::auth::new_secret()
}

/// Maps a store error, turning a taken unique value into the given business rule.
pub(crate) fn duplicate_as(e: store::StoreError, field: &str, rule: &'static str) -> AppError {
    match e {
        store::StoreError::Duplicate(_) => refused(field, rule),
        other => AppError::from(other),
    }
}

/// Reads the result of a check whose violations were already collected.
pub(crate) fn required<T>(v: Option<T>) -> AppResult<T> {
    v.ok_or_else(|| AppError::Invalid(Violation::new("body", "required").into()))
}
