//! Stage timing from the event log: elapsed against standard, overruns, the ETA on the
//! station's calendar, late hand-over, the courtesy car and the follow-up due date.

use super::*;
use crate::calendar::{CalendarError, ClockMode, WorkingCalendar};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// When a stage started and, if so, completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageEvent {
    /// Which stage.
    pub stage: Stage,
    /// Start.
    pub started_at: Timestamp,
    /// Completion, if completed.
    pub completed_at: Option<Timestamp>,
}

/// Elapsed against standard for one started stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageTiming {
    /// Which stage.
    pub stage: Stage,
    /// Wall-clock minutes from start to completion (or to now). For follow-up,
    /// from delivery.
    pub elapsed_minutes: i64,
    /// Standard minutes.
    pub standard_minutes: i64,
    /// Elapsed beyond standard.
    pub overrun: bool,
    /// Whether the stage completed.
    pub completed: bool,
}

fn minutes(a: Timestamp, b: Timestamp) -> i64 {
    (b.as_second() - a.as_second()).max(0) / 60
}

/// Timing of each started stage against `standard` (repair's standard is
/// `labour_minutes`), measured up to `now` for stages still running.
pub fn stage_timings(
    standard: &StageStandard,
    labour_minutes: i64,
    events: &[StageEvent],
    now: Timestamp,
) -> Vec<StageTiming> {
    let delivered = events
        .iter()
        .find(|e| e.stage == Stage::Delivery)
        .and_then(|e| e.completed_at);
    events
        .iter()
        .filter_map(|e| {
            let std = standard.standard_minutes(e.stage, labour_minutes)?;
            let from = if e.stage == Stage::FollowUp {
                delivered.unwrap_or(e.started_at)
            } else {
                e.started_at
            };
            let elapsed = minutes(from, e.completed_at.unwrap_or(now));
            Some(StageTiming {
                stage: e.stage,
                elapsed_minutes: elapsed,
                standard_minutes: std,
                overrun: elapsed > std,
                completed: e.completed_at.is_some(),
            })
        })
        .collect()
}

/// Expected hand-over time: `now` plus the remaining standard time of every stage up
/// to delivery. A running stage that already overran contributes nothing more; the
/// later stages keep their full standard. Counted on `calendar` in `mode`.
pub fn eta(
    standard: &StageStandard,
    labour_minutes: i64,
    events: &[StageEvent],
    now: Timestamp,
    calendar: &WorkingCalendar,
    mode: ClockMode,
) -> Result<Timestamp, RepairOrderError> {
    let mut remaining = 0i64;
    for stage in Stage::ALL.into_iter().take_while(|s| *s != Stage::FollowUp) {
        let std = standard
            .standard_minutes(stage, labour_minutes)
            .unwrap_or(0);
        remaining += match events.iter().find(|e| e.stage == stage) {
            None => std,
            Some(StageEvent {
                completed_at: Some(_),
                ..
            }) => 0,
            Some(e) => (std - minutes(e.started_at, now)).max(0),
        };
    }
    Ok(calendar.add_duration(mode, now, remaining)?)
}

/// Minutes late (rounded up) when the car was handed over after the promised time.
pub fn late_handover(promised: Timestamp, delivered: Timestamp) -> Option<i64> {
    let secs = delivered.as_second() - promised.as_second();
    (secs > 0).then(|| (secs + 59) / 60)
}

/// When the follow-up call is due: delivery plus the standard's days (3 by default).
pub fn follow_up_due(
    standard: &StageStandard,
    delivered_at: Timestamp,
) -> Result<Timestamp, RepairOrderError> {
    let minutes = standard
        .standard_minutes(Stage::FollowUp, 0)
        .unwrap_or(3 * 24 * 60);
    delivered_at
        .checked_add(SignedDuration::from_mins(minutes))
        .map_err(|_| RepairOrderError::Calendar(CalendarError::OutOfRange))
}
