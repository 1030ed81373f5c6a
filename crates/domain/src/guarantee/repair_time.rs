//! A single repair's time (Art 40): from the instant owner and repairer agree the repair
//! to the instant the repair is complete (the owner told to collect), in days of 24
//! hours with a started day counting as one. Owner-caused waits are not repair time at
//! all; transport of the traction battery or of special parts built for the VIN and
//! rescue travel still count for the courtesy car (Art 21 includes waiting for parts)
//! but not toward the 30 days (Art 24 para 3).

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

const DAY_SECS: i64 = 24 * 60 * 60;

/// What an excluded interval is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExcludedKind {
    /// Transport of the traction battery (Art 24 para 3).
    BatteryTransport,
    /// Transport of a special part built for this VIN (Art 24 para 3).
    SpecialPartTransport,
    /// Rescue travel to or from the car (Art 24 para 3).
    RescueTravel,
    /// The car waits for its owner (approval, collection of a part the owner supplies…):
    /// not repair time under Art 40 at all.
    OwnerWait,
}

impl ExcludedKind {
    /// Whether the interval still counts toward Art 21's single-repair days: transport
    /// is part of waiting for parts, which Art 21 includes.
    pub fn counts_for_courtesy_car(self) -> bool {
        !matches!(self, ExcludedKind::OwnerWait)
    }
}

/// An interval of a repair that is not counted (fully or for the 30 days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Excluded {
    /// What it is.
    pub kind: ExcludedKind,
    /// Start instant.
    pub from: Timestamp,
    /// End instant (after `from`).
    pub to: Timestamp,
}

/// Why a repair's time is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RepairTimeError {
    /// Completion before the agreement.
    #[error("repair completes before it was agreed")]
    CompleteBeforeAgreed,
    /// An interval that ends before it starts, or is empty.
    #[error("excluded interval {0} is empty or reversed")]
    IntervalReversed(usize),
    /// An interval outside agreed..complete.
    #[error("excluded interval {0} lies outside the repair")]
    IntervalOutside(usize),
    /// Two intervals overlapping.
    #[error("excluded intervals {0} and {1} overlap")]
    IntervalsOverlap(usize, usize),
}

impl From<RepairTimeError> for crate::Violation {
    fn from(e: RepairTimeError) -> Self {
        use crate::Violation as V;
        let art = super::period::Article::Art40.cite();
        match e {
            RepairTimeError::CompleteBeforeAgreed => {
                V::new("completed_at", "guarantee.complete_before_agreed").with_detail(art)
            }
            RepairTimeError::IntervalReversed(i) => {
                V::new(format!("excluded[{i}]"), "guarantee.interval_reversed").with_detail(art)
            }
            RepairTimeError::IntervalOutside(i) => {
                V::new(format!("excluded[{i}]"), "guarantee.interval_outside").with_detail(art)
            }
            RepairTimeError::IntervalsOverlap(_, j) => {
                V::new(format!("excluded[{j}]"), "guarantee.interval_overlap").with_detail(art)
            }
        }
    }
}

/// One repair's clock. Build with [`RepairSpan::new`], which checks the intervals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepairSpan {
    agreed_at: Timestamp,
    completed_at: Option<Timestamp>,
    excluded: Vec<Excluded>,
}

impl RepairSpan {
    /// A repair agreed at `agreed_at`, complete at `completed_at` (None while running),
    /// with `excluded` intervals, which must lie inside the repair and not overlap. For a
    /// running repair they must start after the agreement and be closed.
    pub fn new(
        agreed_at: Timestamp,
        completed_at: Option<Timestamp>,
        mut excluded: Vec<Excluded>,
    ) -> Result<RepairSpan, RepairTimeError> {
        if completed_at.is_some_and(|c| c < agreed_at) {
            return Err(RepairTimeError::CompleteBeforeAgreed);
        }
        for (i, e) in excluded.iter().enumerate() {
            if e.to <= e.from {
                return Err(RepairTimeError::IntervalReversed(i));
            }
            if e.from < agreed_at || completed_at.is_some_and(|c| e.to > c) {
                return Err(RepairTimeError::IntervalOutside(i));
            }
        }
        for i in 0..excluded.len() {
            for j in i + 1..excluded.len() {
                let (a, b) = (&excluded[i], &excluded[j]);
                if a.from < b.to && b.from < a.to {
                    return Err(RepairTimeError::IntervalsOverlap(i, j));
                }
            }
        }
        excluded.sort_by_key(|e| e.from);
        Ok(RepairSpan {
            agreed_at,
            completed_at,
            excluded,
        })
    }

    /// When owner and repairer agreed the repair.
    pub fn agreed_at(&self) -> Timestamp {
        self.agreed_at
    }

    /// When the repair was complete, if it is.
    pub fn completed_at(&self) -> Option<Timestamp> {
        self.completed_at
    }

    /// The excluded intervals, by start.
    pub fn excluded(&self) -> &[Excluded] {
        &self.excluded
    }

    /// Counted time until `now` (or completion), less the intervals `skip` selects;
    /// parts of an interval after `now` are not subtracted.
    fn counted(&self, now: Timestamp, skip: impl Fn(ExcludedKind) -> bool) -> SignedDuration {
        let end = self
            .completed_at
            .map_or(now, |c| c.min(now))
            .max(self.agreed_at);
        let mut d = end.duration_since(self.agreed_at);
        for e in self.excluded.iter().filter(|e| skip(e.kind)) {
            let to = e.to.min(end);
            if to > e.from {
                d -= to.duration_since(e.from);
            }
        }
        d.max(SignedDuration::ZERO)
    }

    /// Days of this repair for Art 21 (owner waits left out), started days counting.
    pub fn repair_days(&self, now: Timestamp) -> u32 {
        days_begun(self.counted(now, |k| !k.counts_for_courtesy_car()))
    }

    /// Days of this repair toward Art 24(1)(4) (every excluded interval left out).
    pub fn counted_days(&self, now: Timestamp) -> u32 {
        days_begun(self.counted(now, |_| true))
    }

    /// Whether a courtesy car (or transport) is due at `now`: the repair has entered
    /// day `courtesy_car_days + 1` (from the start of day 6 by law). Whether the repair
    /// is a quality repair inside the 包修期 is for the caller ([`super::right`]).
    pub fn courtesy_car_due(&self, now: Timestamp, courtesy_car_days: u32) -> bool {
        let limit = SignedDuration::from_secs(i64::from(courtesy_car_days) * DAY_SECS);
        self.counted(now, |k| !k.counts_for_courtesy_car()) > limit
    }

    /// The instant the courtesy-car duty starts (start of day `courtesy_car_days + 1`,
    /// pushed back by owner waits before it), or None if it has not by `now`.
    pub fn courtesy_car_due_since(
        &self,
        now: Timestamp,
        courtesy_car_days: u32,
    ) -> Option<Timestamp> {
        self.exceeds_since(now, i64::from(courtesy_car_days) * DAY_SECS, |k| {
            !k.counts_for_courtesy_car()
        })
    }

    /// The instant this repair's Art 24 count went beyond `secs` seconds (every excluded
    /// interval left out), or None if it has not by `now`.
    pub fn counted_exceeds_since(&self, now: Timestamp, secs: i64) -> Option<Timestamp> {
        self.exceeds_since(now, secs, |_| true)
    }

    fn exceeds_since(
        &self,
        now: Timestamp,
        secs: i64,
        skip: impl Fn(ExcludedKind) -> bool + Copy,
    ) -> Option<Timestamp> {
        if self.counted(now, skip) <= SignedDuration::from_secs(secs) {
            return None;
        }
        // Walk the clock: the instant `secs` counted seconds have passed.
        let mut at = self.agreed_at;
        let mut left = SignedDuration::from_secs(secs);
        for e in self.excluded.iter().filter(|e| skip(e.kind)) {
            let gap = e.from.duration_since(at);
            if gap > left {
                break;
            }
            left -= gap;
            at = e.to;
        }
        at.checked_add(left).ok()
    }
}

/// Days of 24 hours begun in `d` (0 for none): 2 days 6 hours is 3 days.
pub fn days_begun(d: SignedDuration) -> u32 {
    let secs = d.as_secs().max(0);
    let nanos_extra = d.subsec_nanos() > 0;
    let days = secs / DAY_SECS + i64::from(secs % DAY_SECS != 0 || nanos_extra);
    u32::try_from(days).unwrap_or(u32::MAX)
}
