//! What the simulator's files share: a station as it simulates it, the run's
//! summary, and the internal error of an impossible value. Its own file so that the
//! batch, money and audit files need nothing of `mod.rs`, which drives them.

use crate::AppError;
use domain::repair_order::StageStandard;
use domain::simulation::profile;
use domain::survey::Questionnaire;
use jiff::tz::TimeZone;
use serde::Serialize;
use std::collections::HashMap;

/// What a run wrote.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Stations simulated.
    pub stations: u64,
    /// Months simulated.
    pub months: u64,
    /// Repair orders delivered (comebacks included).
    pub orders: u64,
    /// Of them, comebacks.
    pub comebacks: u64,
    /// Appointments the booked orders came through.
    pub appointments: u64,
    /// Survey invitations.
    pub surveys: u64,
    /// Of them, answered.
    pub answered: u64,
    /// Hot alerts the answers opened (delivery and monthly sample).
    pub alerts: u64,
    /// Of them, still open at the end of the simulated world.
    pub alerts_open: u64,
    /// Monthly-sample invitations drawn by the real monthly batch.
    pub sampled: u64,
    /// Of them, answered.
    pub sample_answered: u64,
    /// Complaints.
    pub complaints: u64,
    /// Audit visits.
    pub audits: u64,
    /// Corrective actions the audits opened.
    pub actions: u64,
    /// KPI counters written by the rebuild.
    pub kpi_counters: u64,
    /// Wall time, seconds.
    pub seconds: f64,
    /// Wall time of the slowest month's monthly-sample batch (candidates read, drawn,
    /// invitations written: `survey::sample::run_month`), seconds: the figure of the
    /// "5,000 out of 1,000,000 customers in under 5 s" target at network scale.
    pub sample_seconds: f64,
    /// Wall time of the audit phase, seconds (every quarter's visits and actions).
    pub audit_seconds: f64,
}

/// A station as the simulator needs it (cloned into each batch written apart).
#[derive(Clone)]
pub struct Station {
    /// Station id.
    pub id: i64,
    /// Its region.
    pub region_id: i64,
    /// Labour rate, fen an hour.
    pub rate_fen: i64,
    /// Its time zone.
    pub zone: TimeZone,
    /// Its simulated character.
    pub profile: profile::StationProfile,
    /// Its cars and their owners, by id.
    pub vehicles: Vec<(i64, i64)>,
}

/// An impossible value as an internal error.
pub(crate) fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

/// What every batch of a run shares: the standard, the questionnaire and the
/// complaint policies.
pub(crate) struct Shared {
    pub standard: StageStandard,
    pub questionnaire: Questionnaire,
    /// Policy id per complaint category code (normal severity).
    pub policies: HashMap<&'static str, i64>,
    /// A station that files no simulated complaints (the demo's first tells its own).
    pub spare_station: Option<i64>,
}

/// A minute in milliseconds.
pub(crate) const MIN_MS: i64 = 60_000;
/// A day in milliseconds.
pub(crate) const DAY_MS: i64 = 86_400_000;
/// The labour operation simulated orders book (one line per order).
pub(crate) const OPERATION: &str = "SIM-SERVICE";
/// The part number of a simulated order's parts line.
pub(crate) const PART: &str = "SIM-PARTS";
/// VAT on service, basis points: the estimate's default, as the desk bill charges.
pub(crate) const VAT_BP: i64 = domain::estimate::DEFAULT_VAT_BP;
