//! Pure business rules of Aftersales.
//!
//! No I/O and no async live here: value types that are valid once they exist
//! (VIN, plate, phone, money), the state machines of each business area, deadline
//! arithmetic on working calendars, KPI arithmetic and the permission model.
//! One module per business area, each with its own error enum.

pub mod violation;

pub mod code;

pub mod ids;
pub mod job;
pub mod mask;
pub mod money;
pub mod phone;
pub mod plate;
pub mod signature;
pub mod text;
pub mod vin;
pub mod wechat_id;

pub mod auth;
pub mod certification;
pub mod customer;
pub mod network;
pub mod odometer;
pub mod permission;
pub mod privacy;
pub mod role;
pub mod vehicle;

// The service loop (appointments, repair orders); see each module.
pub mod appointment;
pub mod billing;
pub mod calendar;
pub mod capacity;
pub mod complaint;
pub mod estimate;
pub mod guarantee;
pub mod kpi;
pub mod labour;
pub mod quality_audit;
pub mod repair_order;
pub mod simulation;
pub mod survey;

pub use violation::{Violation, Violations};
