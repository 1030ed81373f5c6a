//! An audit visit's verdicts: each checkpoint passes with a probability that rises
//! with the station's quality; a few do not apply; a failed one carries a finding
//! (the checklist requires it) and so becomes a corrective action.

use super::rng::Rng;
use crate::quality_audit::Verdict;

/// The finding written for a failed checkpoint.
pub const FINDING: &str = "检查时未按标准执行";

/// Verdicts for `checkpoints` checkpoints of station `station`'s audit number
/// `visit` in the run seeded `seed`, for a station of `quality` (0.5–1).
pub fn verdicts(
    seed: u64,
    station: i64,
    visit: u64,
    quality: f64,
    checkpoints: usize,
) -> Vec<Verdict> {
    let mut r = Rng::derive(seed, &[0x4155_4449, station as u64, visit]);
    let pass = (0.55 + 0.43 * quality).clamp(0.0, 0.995);
    (0..checkpoints)
        .map(|_| {
            if r.chance(0.04) {
                Verdict::NotApplicable
            } else if r.chance(pass) {
                Verdict::Pass
            } else {
                Verdict::Fail
            }
        })
        .collect()
}
