//! Odometer history (SPEC §3): a reading lower than an earlier one is refused unless it
//! is flagged as an instrument-cluster replacement.

/// Why an odometer reading is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OdometerError {
    /// Lower than the latest reading without a cluster-replacement flag.
    #[error("reading {new} km is lower than the last reading {last} km")]
    Lower {
        /// The new reading.
        new: i64,
        /// The latest known reading.
        last: i64,
    },
    /// Negative or implausibly large.
    #[error("a reading is 0 to 2,000,000 km")]
    Range,
}

impl From<OdometerError> for crate::Violation {
    fn from(e: OdometerError) -> Self {
        match e {
            OdometerError::Lower { last, .. } => {
                crate::Violation::new("km", "odometer.lower").with_detail(last.to_string())
            }
            OdometerError::Range => crate::Violation::new("km", "odometer.range"),
        }
    }
}

/// Checks a new reading against the latest one (if any). A cluster replacement starts
/// a new baseline, so lower readings are accepted with that flag.
pub fn check_reading(
    last: Option<i64>,
    new: i64,
    cluster_replaced: bool,
) -> Result<(), OdometerError> {
    if !(0..=2_000_000).contains(&new) {
        return Err(OdometerError::Range);
    }
    match last {
        Some(last) if new < last && !cluster_replaced => Err(OdometerError::Lower { new, last }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lower_needs_the_flag() {
        assert_eq!(
            check_reading(Some(10_000), 9_000, false),
            Err(OdometerError::Lower {
                new: 9_000,
                last: 10_000
            })
        );
        assert_eq!(check_reading(Some(10_000), 9_000, true), Ok(()));
        assert_eq!(check_reading(None, 5, false), Ok(()));
        assert_eq!(check_reading(None, -1, true), Err(OdometerError::Range));
    }

    proptest! {
        #[test]
        fn accepted_unflagged_sequences_never_decrease(readings in proptest::collection::vec(0i64..300_000, 1..40)) {
            let mut last = None;
            let mut kept = Vec::new();
            for r in readings {
                if check_reading(last, r, false).is_ok() {
                    kept.push(r);
                    last = Some(r);
                }
            }
            prop_assert!(kept.windows(2).all(|w| w[0] <= w[1]));
        }
    }
}
