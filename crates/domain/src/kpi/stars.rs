//! Station stars (星级): 1–5 stars per station and quarter from its KPIs, with
//! published weights and thresholds ([`StarPolicy`], versioned; [`StarPolicy::default`]
//! is the published default). A station below [`StarPolicy::review_below`] stars two
//! quarters running is flagged for review.

use serde::{Deserialize, Serialize};

use super::{Counter, KpiError, KpiKey, Unit};

/// The published star rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StarPolicy {
    /// Version, raised at every publication; each star row keeps the version used.
    pub version: u32,
    /// Weight of each KPI in per mille; they add up to 1000.
    pub weights: Vec<(KpiKey, u32)>,
    /// The score (0–100) needed for 2, 3, 4 and 5 stars; rising.
    pub thresholds: [u32; 4],
    /// A station with fewer stars than this is below the threshold.
    pub review_below: u8,
    /// Repair time scoring 100: a mean of `target` minutes or less scores 100,
    /// twice the target 50, and so on.
    pub mdt_target_minutes: i64,
}

impl Default for StarPolicy {
    fn default() -> Self {
        StarPolicy {
            version: 1,
            weights: vec![
                (KpiKey::Csi, 200),
                (KpiKey::Nps, 100),
                (KpiKey::FirstTimeFix, 250),
                (KpiKey::OnTimeDelivery, 150),
                (KpiKey::MeanRepairDuration, 100),
                (KpiKey::ComplaintResponse1h, 100),
                (KpiKey::ComplaintClosure3d, 100),
            ],
            thresholds: [60, 70, 80, 90],
            review_below: 3,
            mdt_target_minutes: 240,
        }
    }
}

impl StarPolicy {
    /// Checks the weights add up to 1000 ‰ with each KPI once, the thresholds rise
    /// within 0–100, the review threshold is 1–5 stars and the repair-time target
    /// 1–10,080 minutes (a week).
    pub fn check(&self) -> Result<(), KpiError> {
        let sum: u32 = self.weights.iter().map(|(_, w)| *w).sum();
        if sum != 1000 {
            return Err(KpiError::WeightsSum(sum));
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some((k, _)) = self.weights.iter().find(|(k, _)| !seen.insert(*k)) {
            return Err(KpiError::WeightTwice(k.code().to_string()));
        }
        let t = self.thresholds;
        if t.windows(2).any(|w| w[0] >= w[1]) || t[3] > 100 {
            return Err(KpiError::Thresholds);
        }
        if !(1..=5).contains(&self.review_below) {
            return Err(KpiError::ReviewBelow);
        }
        if !(1..=10_080).contains(&self.mdt_target_minutes) {
            return Err(KpiError::MdtTarget);
        }
        Ok(())
    }

    /// A KPI's score on 0–100 from its counter, if it has a figure.
    pub fn kpi_score(&self, key: KpiKey, c: &Counter) -> Option<f64> {
        let v = key.value(c)?;
        let s = match key.definition().unit {
            Unit::Percent | Unit::Points => v,
            Unit::NetScore => (v + 100.0) / 2.0,
            Unit::Minutes if v <= 0.0 => 100.0,
            Unit::Minutes => self.mdt_target_minutes as f64 * 100.0 / v,
        };
        Some(s.clamp(0.0, 100.0))
    }

    /// The weighted score (0–100) of a station's quarter: the weights of the KPIs with
    /// a figure, renormalised over them; `None` when none has a figure.
    pub fn score(&self, counters: &[(KpiKey, Counter)]) -> Option<f64> {
        let mut weighted = 0.0;
        let mut weights = 0u32;
        for (key, w) in &self.weights {
            let c = Counter::sum(counters.iter().filter(|(k, _)| k == key).map(|(_, c)| c));
            if let Some(s) = self.kpi_score(*key, &c) {
                weighted += s * f64::from(*w);
                weights += w;
            }
        }
        (weights > 0).then(|| weighted / f64::from(weights))
    }

    /// Stars for a score: one, plus one per threshold reached.
    pub fn stars(&self, score: f64) -> u8 {
        1 + u8::try_from(
            self.thresholds
                .iter()
                .filter(|t| score >= f64::from(**t))
                .count(),
        )
        .unwrap_or(0)
    }

    /// Whether a station is flagged for review: below the threshold this quarter and
    /// the one before (a quarter without stars does not count as below).
    pub fn flagged(&self, this: Option<u8>, previous: Option<u8>) -> bool {
        let below = |s: Option<u8>| s.is_some_and(|s| s < self.review_below);
        below(this) && below(previous)
    }
}
