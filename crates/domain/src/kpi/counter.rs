//! The counters a station keeps per KPI and month. Every KPI's figure is a function of
//! the sums of these three numbers, so a region's or the network's figure is computed
//! from the sum of its stations' counters ([`Counter::sum`]), never from their figures.

use serde::{Deserialize, Serialize};

/// A KPI's counts for one station and month (or a sum of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Counter {
    /// Cases in favour (rates), or promoters (NPS).
    pub numerator: i64,
    /// Cases counted.
    pub denominator: i64,
    /// Sum for means (minutes, CSI points), or detractors (NPS).
    pub total: i64,
}

impl Counter {
    /// One case of a rate, in favour or not.
    pub fn ratio(in_favour: bool) -> Counter {
        Counter {
            numerator: i64::from(in_favour),
            denominator: 1,
            total: 0,
        }
    }

    /// One case of a mean with its value.
    pub fn mean(value: i64) -> Counter {
        Counter {
            numerator: 0,
            denominator: 1,
            total: value,
        }
    }

    /// The sum of counters: a region is the sum of its stations, the network the sum
    /// of everything, a quarter the sum of its months.
    pub fn sum<'a>(counters: impl IntoIterator<Item = &'a Counter>) -> Counter {
        counters.into_iter().fold(Counter::default(), |a, b| a + *b)
    }

    /// Whether it counts nothing.
    pub fn is_zero(&self) -> bool {
        *self == Counter::default()
    }
}

impl std::ops::Add for Counter {
    type Output = Counter;
    fn add(self, o: Counter) -> Counter {
        Counter {
            numerator: self.numerator.saturating_add(o.numerator),
            denominator: self.denominator.saturating_add(o.denominator),
            total: self.total.saturating_add(o.total),
        }
    }
}

impl std::ops::Sub for Counter {
    type Output = Counter;
    fn sub(self, o: Counter) -> Counter {
        Counter {
            numerator: self.numerator.saturating_sub(o.numerator),
            denominator: self.denominator.saturating_sub(o.denominator),
            total: self.total.saturating_sub(o.total),
        }
    }
}
