//! The network simulator's rules (issue 11 item 10, SPEC §10/§12): pure, seeded
//! generators of what a service network does in a month — each station's profile
//! (size, quality level), arrivals with their service mix, stage durations around the
//! stage standard, comebacks, survey responses and scores, complaints and audit
//! results. The app layer (`app::simulation`) turns these plans into rows through the
//! real state machines of `repair_order`, `survey` and `complaint`.
//!
//! Reproducible: every draw comes from [`rng::Rng`] (SplitMix64), seeded from the
//! run's seed and the station and month it is for, so the same seed gives the same
//! rows whatever order stations are simulated in. Our own generator rather than the
//! `rand` crate keeps the stream fixed across dependency upgrades.
//!
//! One concept per file: the parameters and their limits here, the generator in
//! [`rng`], a station's profile in [`profile`], a month's orders in [`order`], a
//! respondent's answers in [`answers`], an audit's verdicts in [`audit`], the
//! estimate's consent, the call-back on a hot alert and the monthly sample's
//! responses in [`follow_up`].

pub mod answers;
pub mod audit;
pub mod follow_up;
pub mod order;
pub mod profile;
pub mod rng;

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests;

use crate::Violation;

/// Most stations one run may simulate.
pub const MAX_STATIONS: i64 = 10_000;
/// Most months one run may simulate (ten years).
pub const MAX_MONTHS: i64 = 120;
/// Lowest and highest volume, in percent of a station's normal monthly arrivals.
pub const VOLUME_PERCENT: (i64, i64) = (1, 1_000);

/// Why simulation parameters are refused; each names the command-line flag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimulationError {
    /// Station count outside 1–[`MAX_STATIONS`].
    #[error("--stations must be between 1 and {MAX_STATIONS}, got {0}")]
    Stations(i64),
    /// Month count outside 1–[`MAX_MONTHS`].
    #[error("--months must be between 1 and {MAX_MONTHS}, got {0}")]
    Months(i64),
    /// Volume outside [`VOLUME_PERCENT`].
    #[error("--volume must be between 1 and 1000 percent, got {0}")]
    Volume(i64),
}

impl From<SimulationError> for Violation {
    fn from(e: SimulationError) -> Self {
        let (field, rule) = match e {
            SimulationError::Stations(_) => ("stations", "simulation.stations_range"),
            SimulationError::Months(_) => ("months", "simulation.months_range"),
            SimulationError::Volume(_) => ("volume", "simulation.volume_range"),
        };
        Violation::new(field, rule).with_detail(e.to_string())
    }
}

/// Checked parameters of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    stations: u32,
    months: u32,
    volume_percent: u32,
    seed: u64,
}

impl Params {
    /// Checks the flags as given: stations 1–[`MAX_STATIONS`], months
    /// 1–[`MAX_MONTHS`], volume 1–1000 % of normal arrivals.
    pub fn new(
        stations: i64,
        months: i64,
        volume_percent: i64,
        seed: u64,
    ) -> Result<Params, SimulationError> {
        let stations = u32::try_from(stations)
            .ok()
            .filter(|s| (1..=MAX_STATIONS).contains(&i64::from(*s)))
            .ok_or(SimulationError::Stations(stations))?;
        let months = u32::try_from(months)
            .ok()
            .filter(|m| (1..=MAX_MONTHS).contains(&i64::from(*m)))
            .ok_or(SimulationError::Months(months))?;
        let volume_percent = u32::try_from(volume_percent)
            .ok()
            .filter(|v| (VOLUME_PERCENT.0..=VOLUME_PERCENT.1).contains(&i64::from(*v)))
            .ok_or(SimulationError::Volume(volume_percent))?;
        Ok(Params {
            stations,
            months,
            volume_percent,
            seed,
        })
    }

    /// How many stations.
    pub fn stations(&self) -> u32 {
        self.stations
    }

    /// How many months (the ones before the current month, oldest first).
    pub fn months(&self) -> u32 {
        self.months
    }

    /// Arrivals in percent of a station's normal volume.
    pub fn volume_percent(&self) -> u32 {
        self.volume_percent
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }
}
