//! What one finished callback survey and one submitted quality-audit visit add to
//! their month's counters. Kept beside [`super::order`] and [`super::complaint`] so
//! the workflow hook and the rebuild from raw rows share one rule.
//!
//! A survey's CSI is kept in hundredths of a point (`total`), so a respondent's
//! weighted score keeps two decimals and the unit's mean is the plain mean of the
//! respondents (the survey report's figure), not a mean of rounded whole points. The
//! recommend answer counts one case of NPS: promoter in `numerator`, detractor in
//! `total`. An audit visit counts its checkpoints: passed in `numerator`, applicable
//! (passed + failed) in `denominator`, so a region's rate is passed ÷ applicable
//! summed, never a mean of the visits' rates.

use super::{Counter, KpiKey};
use crate::survey::score::{DETRACTOR_TO, PROMOTER_FROM};

/// Hundredths of a point a CSI of `points` (0–100) is kept as, rounded half away
/// from zero; values outside 0–100 are clamped, a non-number counts as 0.
pub fn csi_hundredths(points: f64) -> i64 {
    if points.is_nan() {
        return 0;
    }
    (points.clamp(0.0, 100.0) * 100.0).round() as i64
}

/// The cases one finished survey adds: its respondent CSI (0–100 points), if a
/// scored question was answered, and its recommend answer (0–10), if given.
pub fn survey_contribution(
    csi_points: Option<f64>,
    recommend: Option<u8>,
) -> Vec<(KpiKey, Counter)> {
    let mut out = Vec::with_capacity(2);
    if let Some(p) = csi_points {
        out.push((KpiKey::Csi, Counter::mean(csi_hundredths(p))));
    }
    if let Some(r) = recommend {
        out.push((
            KpiKey::Nps,
            Counter {
                numerator: i64::from(r >= PROMOTER_FROM),
                denominator: 1,
                total: i64::from(r <= DETRACTOR_TO),
            },
        ));
    }
    out
}

/// The case one submitted audit visit adds to audit compliance: `passed` of
/// `passed + failed` applicable checkpoints (not-applicable ones do not count).
/// Nothing when no checkpoint applied (no rate, never a 0).
pub fn audit_contribution(passed: i64, failed: i64) -> Option<(KpiKey, Counter)> {
    let (passed, failed) = (passed.max(0), failed.max(0));
    (passed + failed > 0).then_some((
        KpiKey::AuditCompliance,
        Counter {
            numerator: passed,
            denominator: passed + failed,
            total: 0,
        },
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_survey_counts_csi_in_hundredths_and_one_nps_case() {
        let parts = survey_contribution(Some(83.333_333), Some(10));
        assert_eq!(parts[0], (KpiKey::Csi, Counter::mean(8333)));
        assert_eq!(
            parts[1].1,
            Counter {
                numerator: 1,
                denominator: 1,
                total: 0
            }
        );
        let passive = survey_contribution(None, Some(7));
        assert_eq!(
            passive,
            vec![(
                KpiKey::Nps,
                Counter {
                    numerator: 0,
                    denominator: 1,
                    total: 0
                }
            )]
        );
        let detractor = survey_contribution(None, Some(6));
        assert_eq!(detractor[0].1.total, 1);
        assert!(survey_contribution(None, None).is_empty());
    }

    #[test]
    fn an_audit_counts_passed_over_applicable_and_nothing_without_one() {
        let (k, c) = audit_contribution(50, 6).unwrap();
        assert_eq!(k, KpiKey::AuditCompliance);
        assert_eq!((c.numerator, c.denominator), (50, 56));
        assert_eq!(audit_contribution(0, 0), None);
        // Two visits summed are passed ÷ applicable over both, not a mean of rates.
        let (_, b) = audit_contribution(1, 1).unwrap();
        let v = KpiKey::AuditCompliance.value(&(c + b)).unwrap();
        assert!((v - 51.0 * 100.0 / 58.0).abs() < 1e-9);
    }

    proptest! {
        /// Whatever the answers, the CSI figure stays within 0–100 and NPS within
        /// −100…100, and the sum of counters is the mean of the respondents.
        #[test]
        fn figures_stay_in_bounds(
            answers in proptest::collection::vec((0.0f64..=100.0, 0u8..=10), 1..60),
        ) {
            let mut sum = Counter::default();
            let mut nps = Counter::default();
            for (p, r) in &answers {
                for (k, c) in survey_contribution(Some(*p), Some(*r)) {
                    match k {
                        KpiKey::Csi => sum = sum + c,
                        _ => nps = nps + c,
                    }
                }
            }
            let csi = KpiKey::Csi.value(&sum).unwrap();
            prop_assert!((0.0..=100.0).contains(&csi));
            let mean = answers.iter().map(|(p, _)| *p).sum::<f64>() / answers.len() as f64;
            prop_assert!((csi - mean).abs() <= 0.005 + 1e-9);
            let n = KpiKey::Nps.value(&nps).unwrap();
            prop_assert!((-100.0..=100.0).contains(&n));
        }

        /// Compliance stays within 0–100 % for any visits.
        #[test]
        fn compliance_stays_in_bounds(visits in proptest::collection::vec((0i64..80, 0i64..80), 1..20)) {
            let sum = Counter::sum(
                visits.iter().filter_map(|(p, f)| audit_contribution(*p, *f)).map(|(_, c)| c).collect::<Vec<_>>().iter(),
            );
            if let Some(v) = KpiKey::AuditCompliance.value(&sum) {
                prop_assert!((0.0..=100.0).contains(&v));
            }
        }
    }
}
