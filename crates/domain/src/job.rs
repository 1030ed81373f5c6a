//! Jobs and timers: the rules of the durable queue, without the queue.
//!
//! A job is work that may fail and is retried with a growing, jittered delay until it
//! succeeds or has used its attempts (then it is a dead letter, its last error kept).
//! A timer is a job with a key that fires once at its due time; arming it again before
//! it fired moves the due time. Both share one state machine:
//!
//! ```text
//! queued ──claim──▶ running ──ok──▶ done
//!   ▲                 │ fail, attempts left: queued again (later)
//!   │                 │ fail, no attempts left: dead
//!   └──── retry ──── dead / cancelled        queued|running ──cancel──▶ cancelled
//! ```
//!
//! Timers show `queued` as "armed" and `done` as "fired"; the states are the same.

use serde::Serialize;

/// Where a job or timer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for its due time (a timer: armed).
    Queued,
    /// Claimed by a worker whose lease has not run out.
    Running,
    /// Finished (a timer: fired). Final.
    Done,
    /// Gave up after its last attempt; the error is kept. A dead letter.
    Dead,
    /// Cancelled by a person or a use case before it finished.
    Cancelled,
}

impl JobState {
    /// Every state, in display order.
    pub const ALL: [JobState; 5] = [
        JobState::Queued,
        JobState::Running,
        JobState::Done,
        JobState::Dead,
        JobState::Cancelled,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Dead => "dead",
            JobState::Cancelled => "cancelled",
        }
    }

    /// The state for a stored code.
    pub fn from_code(code: &str) -> Option<JobState> {
        JobState::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether the job is finished and nothing more happens to it by itself.
    pub fn is_final(self) -> bool {
        matches!(self, JobState::Done | JobState::Dead | JobState::Cancelled)
    }
}

/// A change asked of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobEvent {
    /// A worker takes it (due and queued, or running with an expired lease).
    Claim,
    /// The handler succeeded.
    Succeed,
    /// The handler failed; `attempts_left` tells whether it may run again.
    Fail {
        /// Whether attempts remain after this one.
        attempts_left: bool,
    },
    /// A person or use case stops it.
    Cancel,
    /// A person sends a dead or cancelled job round again.
    Retry,
}

/// Why a change of state is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// The event does not apply in the job's state.
    #[error("a {} job cannot take {event:?}", from.code())]
    NotAllowed {
        /// The state it was in.
        from: JobState,
        /// What was asked.
        event: JobEvent,
    },
}

/// The state after `event`, or why not.
pub fn transition(from: JobState, event: JobEvent) -> Result<JobState, JobError> {
    use JobEvent as E;
    use JobState as S;
    let to = match (from, event) {
        // Running is claimable too: its lease ran out, so its worker is presumed gone.
        (S::Queued | S::Running, E::Claim) => S::Running,
        (S::Running, E::Succeed) => S::Done,
        (
            S::Running,
            E::Fail {
                attempts_left: true,
            },
        ) => S::Queued,
        (
            S::Running,
            E::Fail {
                attempts_left: false,
            },
        ) => S::Dead,
        (S::Queued | S::Running, E::Cancel) => S::Cancelled,
        (S::Dead | S::Cancelled, E::Retry) => S::Queued,
        _ => return Err(JobError::NotAllowed { from, event }),
    };
    Ok(to)
}

/// The retry schedule: the first retry after `base_ms`, doubling up to `cap_ms`, each
/// delay spread by ±`jitter_percent` so that a burst of failures does not retry in one
/// burst again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay before the first retry, in ms.
    pub base_ms: i64,
    /// Longest nominal delay, in ms.
    pub cap_ms: i64,
    /// Spread of each delay, in percent of the nominal delay (0 to 100).
    pub jitter_percent: i64,
}

impl Default for Backoff {
    /// 30 s, 1 min, 2 min, … up to 1 h, ±20 %: nine attempts span about four hours,
    /// long enough to ride out a gateway's outage without hammering it.
    fn default() -> Self {
        Backoff {
            base_ms: 30_000,
            cap_ms: 3_600_000,
            jitter_percent: 20,
        }
    }
}

impl Backoff {
    /// The delay before the next try after `attempts` failed tries (1 = the first
    /// failure), without jitter. Never overflows: doubling stops at the cap.
    pub fn nominal_ms(&self, attempts: i64) -> i64 {
        let base = self.base_ms.max(1);
        let cap = self.cap_ms.max(base);
        let shifts = (attempts - 1).clamp(0, 62) as u32;
        base.checked_mul(1_i64 << shifts)
            .map_or(cap, |d| d.min(cap))
    }

    /// The bounds `(low, high)` the jittered delay falls in after `attempts` failures.
    pub fn bounds_ms(&self, attempts: i64) -> (i64, i64) {
        let d = self.nominal_ms(attempts);
        let spread = d / 100 * self.jitter_percent.clamp(0, 100)
            + d % 100 * self.jitter_percent.clamp(0, 100) / 100;
        ((d - spread).max(1), d + spread)
    }

    /// The delay after `attempts` failures, with `unit` in `[0, 1)` (a random draw)
    /// placing it between the bounds.
    pub fn delay_ms(&self, attempts: i64, unit: f64) -> i64 {
        let (low, high) = self.bounds_ms(attempts);
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let span = (high - low) as f64;
        (low + (span * unit) as i64).clamp(low, high)
    }
}

/// Whether a failed try was the last one allowed.
pub fn attempts_left(attempts: i64, max_attempts: i64) -> bool {
    attempts < max_attempts
}

/// When a claim made at `now` for `lease_ms` runs out; another worker may take the row
/// after that, as its worker is presumed gone.
pub fn lease_until(now: i64, lease_ms: i64) -> i64 {
    now.saturating_add(lease_ms.max(0))
}

/// How long the oldest due job has waited at `now`, in seconds (0 when none waits).
pub fn oldest_due_age_seconds(oldest_due_at: Option<i64>, now: i64) -> f64 {
    oldest_due_at.map_or(0.0, |d| (now.saturating_sub(d)).max(0) as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_default_schedule_doubles_from_thirty_seconds_to_an_hour() {
        let b = Backoff::default();
        assert_eq!(b.nominal_ms(1), 30_000);
        assert_eq!(b.nominal_ms(2), 60_000);
        assert_eq!(b.nominal_ms(3), 120_000);
        assert_eq!(b.nominal_ms(8), 3_600_000);
        assert_eq!(b.nominal_ms(1_000), 3_600_000);
        assert_eq!(b.bounds_ms(1), (24_000, 36_000));
    }

    #[test]
    fn jobs_move_only_along_the_machine() {
        use JobEvent as E;
        use JobState as S;
        assert_eq!(transition(S::Queued, E::Claim), Ok(S::Running));
        assert_eq!(transition(S::Running, E::Succeed), Ok(S::Done));
        assert_eq!(
            transition(
                S::Running,
                E::Fail {
                    attempts_left: true
                }
            ),
            Ok(S::Queued)
        );
        assert_eq!(
            transition(
                S::Running,
                E::Fail {
                    attempts_left: false
                }
            ),
            Ok(S::Dead)
        );
        assert_eq!(transition(S::Dead, E::Retry), Ok(S::Queued));
        assert_eq!(transition(S::Queued, E::Cancel), Ok(S::Cancelled));
        assert!(transition(S::Done, E::Retry).is_err(), "done is final");
        assert!(transition(S::Done, E::Cancel).is_err());
        assert!(transition(S::Queued, E::Retry).is_err());
        assert!(transition(S::Dead, E::Claim).is_err());
        assert!(transition(S::Queued, E::Succeed).is_err());
    }

    #[test]
    fn codes_round_trip() {
        for s in JobState::ALL {
            assert_eq!(JobState::from_code(s.code()), Some(s));
        }
        assert_eq!(JobState::from_code("armed"), None);
    }

    #[test]
    fn attempts_run_out_at_the_maximum() {
        assert!(attempts_left(8, 9));
        assert!(!attempts_left(9, 9));
        assert_eq!(oldest_due_age_seconds(Some(1_000), 3_500), 2.5);
        assert_eq!(oldest_due_age_seconds(Some(5_000), 3_500), 0.0);
        assert_eq!(oldest_due_age_seconds(None, 3_500), 0.0);
    }

    fn any_state() -> impl Strategy<Value = JobState> {
        proptest::sample::select(JobState::ALL.to_vec())
    }

    fn any_event() -> impl Strategy<Value = JobEvent> {
        prop_oneof![
            Just(JobEvent::Claim),
            Just(JobEvent::Succeed),
            any::<bool>().prop_map(|attempts_left| JobEvent::Fail { attempts_left }),
            Just(JobEvent::Cancel),
            Just(JobEvent::Retry),
        ]
    }

    proptest! {
        #[test]
        fn delays_stay_within_their_bounds_and_never_overflow(
            base in 1i64..10_000_000, cap in 1i64..1_000_000_000_000, jitter in 0i64..=100,
            attempts in -5i64..100_000, unit in -1.0f64..2.0,
        ) {
            let b = Backoff { base_ms: base, cap_ms: cap, jitter_percent: jitter };
            let (low, high) = b.bounds_ms(attempts);
            let d = b.delay_ms(attempts, unit);
            prop_assert!(low >= 1 && low <= high);
            prop_assert!(d >= low && d <= high);
            prop_assert!(b.nominal_ms(attempts) <= cap.max(base));
            prop_assert!(high <= 2 * cap.max(base));
        }

        #[test]
        fn the_nominal_delay_never_shrinks(attempts in 1i64..200, base in 1i64..100_000, cap in 1i64..10_000_000) {
            let b = Backoff { base_ms: base, cap_ms: cap, jitter_percent: 20 };
            prop_assert!(b.nominal_ms(attempts + 1) >= b.nominal_ms(attempts));
        }

        #[test]
        fn final_states_stay_final_except_by_retry(s in any_state(), e in any_event()) {
            if let Ok(to) = transition(s, e) {
                if s == JobState::Done {
                    prop_assert!(false, "done moved to {:?}", to);
                }
                if s.is_final() {
                    prop_assert_eq!(e, JobEvent::Retry);
                    prop_assert_eq!(to, JobState::Queued);
                }
            }
        }

        #[test]
        fn a_lease_ends_after_it_starts(now in any::<i64>(), lease in any::<i64>()) {
            prop_assert!(lease_until(now, lease) >= now);
        }
    }
}
