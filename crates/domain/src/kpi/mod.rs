//! The KPI engine's rules (SPEC §12): every KPI defined once in [`catalogue`] with its
//! formula, direction and unit; the counters a month of a station keeps
//! ([`Counter`]: numerator, denominator and a sum, so a region or the network is the
//! sum of its stations, never a mean of means); the periods asked for
//! ([`period::Period`]: a month `2026-11` or a quarter `2026Q4`); what one repair order
//! or complaint adds to its month ([`order`], [`complaint`]), what a survey or an
//! audit visit adds ([`quality`]); and the station stars of
//! a quarter ([`stars`]).

pub mod catalogue;
pub mod complaint;
pub mod counter;
pub mod order;
pub mod period;
pub mod quality;
pub mod stars;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use catalogue::{Definition, Direction, KpiKey, Source, Unit, catalogue};
pub use counter::Counter;
pub use order::{
    OrderRecord, by_station_and_month, first_time_fix, mean_repair_minutes, on_time_delivery,
};
pub use period::Period;

/// Why KPI input is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KpiError {
    /// A record delivered before it was received.
    #[error("order {0} delivered before it was received")]
    DeliveredBeforeReceived(String),
    /// A period that is neither `YYYY-MM` nor `YYYYQn` (years 2000–2100).
    #[error("period {0} is not a month YYYY-MM or a quarter YYYYQn")]
    PeriodMalformed(String),
    /// A period that has not begun yet.
    #[error("period {0} is in the future")]
    PeriodInFuture(String),
    /// Star weights that do not add up to 1 (1000 ‰).
    #[error("star weights add up to {0}‰, not 1000‰")]
    WeightsSum(u32),
    /// Star thresholds that are not rising scores within 0–100.
    #[error("star thresholds must rise within 0–100")]
    Thresholds,
    /// A KPI weighted twice in a star policy.
    #[error("KPI {0} is weighted twice")]
    WeightTwice(String),
    /// A review threshold outside 1–5 stars.
    #[error("the review threshold must be 1–5 stars")]
    ReviewBelow,
    /// A repair-time target outside 1–10,080 minutes.
    #[error("the repair-time target must be 1–10080 minutes")]
    MdtTarget,
}

impl From<KpiError> for crate::Violation {
    fn from(e: KpiError) -> Self {
        match e {
            KpiError::DeliveredBeforeReceived(id) => {
                crate::Violation::new("delivered_at", "kpi.delivered_before_received")
                    .with_detail(id)
            }
            KpiError::PeriodMalformed(p) => {
                crate::Violation::new("period", "kpi.period_malformed").with_detail(p)
            }
            KpiError::PeriodInFuture(p) => {
                crate::Violation::new("period", "kpi.period_future").with_detail(p)
            }
            KpiError::WeightsSum(sum) => {
                crate::Violation::new("weights", "kpi.weights_sum").with_detail(sum.to_string())
            }
            KpiError::Thresholds => crate::Violation::new("thresholds", "kpi.thresholds"),
            KpiError::WeightTwice(k) => {
                crate::Violation::new("weights", "kpi.weight_twice").with_detail(k)
            }
            KpiError::ReviewBelow => crate::Violation::new("review_below", "kpi.review_below"),
            KpiError::MdtTarget => crate::Violation::new("mdt_target_minutes", "kpi.mdt_target"),
        }
    }
}

/// A ratio of counts; never a float until shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Rate {
    /// Counted in favour.
    pub numerator: u64,
    /// Counted in all.
    pub denominator: u64,
}

impl Rate {
    /// The rate in percent; `None` when nothing was counted.
    pub fn percent(&self) -> Option<f64> {
        (self.denominator > 0).then(|| self.numerator as f64 * 100.0 / self.denominator as f64)
    }

    /// Adds one case, in favour or not.
    pub fn count(&mut self, in_favour: bool) {
        self.denominator += 1;
        if in_favour {
            self.numerator += 1;
        }
    }
}

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct YearMonth {
    /// Year.
    pub year: i16,
    /// Month 1–12.
    pub month: i8,
}

impl YearMonth {
    /// The month before.
    pub fn previous(self) -> YearMonth {
        if self.month == 1 {
            YearMonth {
                year: self.year - 1,
                month: 12,
            }
        } else {
            YearMonth {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// The month after.
    pub fn next(self) -> YearMonth {
        if self.month == 12 {
            YearMonth {
                year: self.year + 1,
                month: 1,
            }
        } else {
            YearMonth {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// The `n` months ending with this one, oldest first.
    pub fn trailing(self, n: usize) -> Vec<YearMonth> {
        let mut out = Vec::with_capacity(n);
        let mut m = self;
        for _ in 0..n {
            out.push(m);
            m = m.previous();
        }
        out.reverse();
        out
    }

    /// The quarter (1–4) this month belongs to.
    pub fn quarter(self) -> u8 {
        u8::try_from((self.month - 1) / 3 + 1).unwrap_or(1)
    }

    /// The first instant of the month in `tz`, and of the next month.
    pub fn bounds(self, tz: &jiff::tz::TimeZone) -> Option<(jiff::Timestamp, jiff::Timestamp)> {
        let start = jiff::civil::Date::new(self.year, self.month, 1).ok()?;
        let n = self.next();
        let end = jiff::civil::Date::new(n.year, n.month, 1).ok()?;
        Some((
            tz.to_timestamp(start.at(0, 0, 0, 0)).ok()?,
            tz.to_timestamp(end.at(0, 0, 0, 0)).ok()?,
        ))
    }
}

impl std::fmt::Display for YearMonth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The KPIs of one station in one month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StationMonth {
    /// Station id.
    pub station: String,
    /// Month of delivery.
    pub month: YearMonth,
    /// Orders delivered.
    pub delivered: u64,
    /// Delivered without a comeback within the guarantee window ÷ delivered.
    pub first_time_fix: Rate,
    /// Mean of delivery − reception in minutes (rounded), if any delivered.
    pub mean_repair_minutes: Option<i64>,
    /// Delivered by the promised time ÷ delivered (no promise counts as not on time).
    pub on_time_delivery: Rate,
}
