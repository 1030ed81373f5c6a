//! The service loop's tables (SPEC §4–§5): the labour catalogue, the holiday plan,
//! slot capacity, appointments, repair orders with their checkpoints, and estimate
//! lines. One file per area; every function takes a connection so the use case can
//! run it inside its own transaction.
//!
//! Capacity is enforced here with guarded conditional updates
//! (`… SET used = used + 1 WHERE … AND used < capacity`) whose affected-row count
//! tells whether the place was still free; that is race-free on both backends.

pub mod appointment;
pub mod calendar;
pub mod capacity;
pub mod estimate;
pub mod labour;
pub mod parts;
pub mod repair_order;
pub mod stage_standard;
pub mod vehicle_history;
