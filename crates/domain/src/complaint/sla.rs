//! Service-level clocks (SPEC §6 "clock rules") on the one working calendar.
//!
//! A clock starts when a complaint is received (or reopened). Its time counts in
//! pieces: a [`Segment`] says from when which calendar and mode count (a move to
//! another station or a policy change starts a new segment, so the time already
//! counted is kept), and a [`Pause`] removes time while waiting for the customer — only
//! the minutes that would have counted, because a pause is measured on the same
//! calendar as the rest. A target is always measured from the clock's start (the
//! solution target from the end of the analysis): its deadline is the earliest
//! instant at which the counted time reaches it, rounded up to the whole minute, so
//! in business mode no warning or deadline falls in closed time.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::code_enum;
use crate::calendar::{CalendarError, ClockMode, WorkingCalendar};
use crate::{Violation, Violations};

code_enum!(
    /// A target of the service level.
    Stage, "complaint.stage_unknown", "stage" {
        /// First response to the customer (1 h by default).
        FirstResponse => "first_response",
        /// Acknowledged and recorded in full (24 h).
        FullRecord => "full_record",
        /// Cause analysed, responsibility decided (48 h).
        Analysis => "analysis",
        /// Solution proposed, counted from the end of the analysis (24 h).
        Solution => "solution",
        /// Closed (3 days).
        Closure => "closure",
    }
);

impl Stage {
    /// Position along the work (first response first, closure last): the order in
    /// which a complaint meets its targets, which pages list them in.
    pub fn position(self) -> usize {
        Stage::ALL
            .iter()
            .position(|s| *s == self)
            .unwrap_or(Stage::ALL.len())
    }

    /// The sort key of a stored stage code: its [`Stage::position`], unknown codes last.
    pub fn order_of(code: &str) -> usize {
        Stage::from_code(code).map_or(Stage::ALL.len(), Stage::position)
    }
}

code_enum!(
    /// Who a breach escalates to.
    Level, "complaint.level_unknown", "level" {
        /// The station's manager (服务站长).
        StationManager => "station_manager",
        /// The station's regional manager (区域经理).
        RegionalManager => "regional_manager",
        /// Head office.
        HeadOffice => "head_office",
    }
);

/// One checkpoint on a target's clock: a warning or an escalation, at a percentage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Step {
    /// Percent of the target (50, 75, 100, 150, 200).
    pub percent: u32,
    /// `None` for a warning, the level told for a breach step.
    pub escalate_to: Option<Level>,
}

impl Step {
    /// Stable code, e.g. `warn50`, `breach100`.
    pub fn code(&self) -> String {
        match self.escalate_to {
            None => format!("warn{}", self.percent),
            Some(_) => format!("breach{}", self.percent),
        }
    }
}

/// Targets in minutes, one per stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Targets {
    /// First response.
    pub first_response: i64,
    /// Full record.
    pub full_record: i64,
    /// Analysis and responsibility.
    pub analysis: i64,
    /// Solution, after the analysis.
    pub solution: i64,
    /// Closure.
    pub closure: i64,
}

impl Targets {
    /// The target of `stage` in minutes.
    pub fn of(&self, stage: Stage) -> i64 {
        match stage {
            Stage::FirstResponse => self.first_response,
            Stage::FullRecord => self.full_record,
            Stage::Analysis => self.analysis,
            Stage::Solution => self.solution,
            Stage::Closure => self.closure,
        }
    }
}

/// Most steps an escalation ladder may have.
pub const MAX_LADDER_STEPS: usize = 5;
/// Highest percentage of a ladder step: ten times the target (a later step tells
/// nobody anything useful any more).
pub const MAX_LADDER_PERCENT: u32 = 1_000;

/// The rules of an escalation ladder (SPEC §6 "the policy may change the steps"):
/// one to [`MAX_LADDER_STEPS`] steps, the first at 100 % or later (a breach is never
/// escalated before the target is missed), each strictly above the one before and
/// at most [`MAX_LADDER_PERCENT`]. Each violation names its step
/// (`ladder[i].percent`), or `ladder` for the count.
pub fn ladder_violations(ladder: &[(u32, Level)]) -> Vec<Violation> {
    let mut v = Vec::new();
    if ladder.is_empty() {
        v.push(Violation::new("ladder", "complaint.ladder_empty"));
    } else if ladder.len() > MAX_LADDER_STEPS {
        v.push(
            Violation::new("ladder", "complaint.ladder_too_long")
                .with_detail(MAX_LADDER_STEPS.to_string()),
        );
    }
    for (i, (p, _)) in ladder.iter().enumerate() {
        let field = format!("ladder[{i}].percent");
        if i == 0 && *p < 100 {
            v.push(Violation::new(field, "complaint.ladder_first_below_100"));
        } else if i > 0 && *p <= ladder[i - 1].0 {
            v.push(Violation::new(field, "complaint.ladder_not_rising"));
        } else if *p > MAX_LADDER_PERCENT {
            v.push(
                Violation::new(field, "complaint.ladder_percent_too_high")
                    .with_detail(MAX_LADDER_PERCENT.to_string()),
            );
        }
    }
    v
}

/// Longest target a policy may set: one year of minutes.
pub const MAX_TARGET_MINUTES: i64 = 366 * 24 * 60;

/// A service-level policy for one category × severity (one version of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Business or calendar hours.
    pub mode: ClockMode,
    /// Minutes per stage.
    pub targets: Targets,
    /// Warning percentages (default 50, 75).
    pub warnings: Vec<u32>,
    /// Escalation ladder (default 100 % station manager, 150 % regional manager, 200 %
    /// head office).
    pub ladder: Vec<(u32, Level)>,
}

impl Policy {
    /// SPEC §6 defaults: 1 h, 24 h, 48 h, 24 h after the analysis, 3 days; warnings at
    /// 50 % and 75 %; the default ladder.
    pub fn spec_default(mode: ClockMode) -> Policy {
        Policy {
            mode,
            targets: Targets {
                first_response: 60,
                full_record: 24 * 60,
                analysis: 48 * 60,
                solution: 24 * 60,
                closure: 72 * 60,
            },
            warnings: vec![50, 75],
            ladder: vec![
                (100, Level::StationManager),
                (150, Level::RegionalManager),
                (200, Level::HeadOffice),
            ],
        }
    }

    /// Checks every rule of a policy: targets positive and at most a year, warnings
    /// in 1..100, the ladder by [`ladder_violations`].
    pub fn validate(&self) -> Result<(), Violations> {
        let mut v = Violations::new();
        for s in Stage::ALL {
            let t = self.targets.of(*s);
            if t <= 0 {
                v.push(Violation::new(
                    format!("targets.{}", s.code()),
                    "complaint.target_positive",
                ));
            } else if t > MAX_TARGET_MINUTES {
                v.push(
                    Violation::new(format!("targets.{}", s.code()), "complaint.target_too_long")
                        .with_detail(MAX_TARGET_MINUTES.to_string()),
                );
            }
        }
        if self.warnings.iter().any(|w| *w == 0 || *w >= 100) {
            v.push(Violation::new("warnings", "complaint.warning_range"));
        }
        for e in ladder_violations(&self.ladder) {
            v.push(e);
        }
        v.into_result()
    }

    /// Every checkpoint of a target, in rising percentage.
    pub fn steps(&self) -> Vec<Step> {
        let mut s: Vec<Step> = self
            .warnings
            .iter()
            .map(|p| Step {
                percent: *p,
                escalate_to: None,
            })
            .chain(self.ladder.iter().map(|(p, l)| Step {
                percent: *p,
                escalate_to: Some(*l),
            }))
            .collect();
        s.sort_by_key(|x| x.percent);
        s.dedup_by_key(|x| x.percent);
        s
    }
}

/// From `from` on, time counts on `calendar` in `mode` (until the next segment).
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    /// Start of the segment.
    pub from: Timestamp,
    /// The station's working calendar.
    pub calendar: &'a WorkingCalendar,
    /// Business or calendar hours.
    pub mode: ClockMode,
}

/// Waiting for the customer: from `from` until `to` (open when `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    /// Start of the pause.
    pub from: Timestamp,
    /// End of the pause; `None` while it lasts.
    pub to: Option<Timestamp>,
}

/// A clock: its segments (the first starts the clock) and pauses, in time order.
#[derive(Debug, Clone)]
pub struct Clock<'a> {
    /// Calendar/mode segments, the first one's `from` is the clock's start.
    pub segments: Vec<Segment<'a>>,
    /// Pauses, in time order, not overlapping.
    pub pauses: Vec<Pause>,
}

fn ceil_minute(t: Timestamp) -> Result<Timestamp, CalendarError> {
    let s = t.as_second();
    let ns = t.subsec_nanosecond();
    let rem = s.rem_euclid(60);
    if rem == 0 && ns == 0 {
        return Ok(t);
    }
    Timestamp::from_second(s - rem + 60).map_err(|_| CalendarError::OutOfRange)
}

impl<'a> Clock<'a> {
    /// A clock started at `start` on one calendar, without pauses.
    pub fn new(start: Timestamp, calendar: &'a WorkingCalendar, mode: ClockMode) -> Clock<'a> {
        Clock {
            segments: vec![Segment {
                from: start,
                calendar,
                mode,
            }],
            pauses: Vec::new(),
        }
    }

    /// Whether an instant computed on this clock is provisional (SPEC §6): it counts
    /// business hours on a calendar whose holiday plan does not reach its date, so it
    /// was computed on the regular week and moves when the next plan is loaded.
    /// Calendar hours never depend on the plan.
    pub fn is_provisional(&self, at: Timestamp) -> bool {
        let Some(seg) = self
            .segments
            .iter()
            .rev()
            .find(|s| s.from <= at)
            .or(self.segments.first())
        else {
            return false;
        };
        seg.mode == ClockMode::Business && !seg.calendar.plan.covers(seg.calendar.local(at).date())
    }

    /// When the clock started.
    pub fn start(&self) -> Option<Timestamp> {
        self.segments.first().map(|s| s.from)
    }

    /// The pieces of counting time from `from` on: `(start, end, segment)`, `end`
    /// `None` for the open last piece. A piece stops at a pause or the next segment.
    fn pieces(&self, from: Timestamp) -> Vec<(Timestamp, Option<Timestamp>, Segment<'a>)> {
        let mut out = Vec::new();
        for (i, seg) in self.segments.iter().enumerate() {
            let seg_end = self.segments.get(i + 1).map(|s| s.from);
            let mut cur = seg.from.max(from);
            if seg_end.is_some_and(|e| e <= cur) {
                continue;
            }
            for p in &self.pauses {
                if seg_end.is_some_and(|e| p.from >= e) {
                    break;
                }
                let p_end = p.to;
                if p_end.is_some_and(|e| e <= cur) {
                    continue;
                }
                if p.from > cur {
                    out.push((cur, Some(p.from), *seg));
                }
                match p_end {
                    None => return out,
                    Some(e) => cur = cur.max(e),
                }
            }
            match seg_end {
                Some(e) if e > cur => out.push((cur, Some(e), *seg)),
                Some(_) => {}
                None => out.push((cur, None, *seg)),
            }
        }
        out
    }

    /// Counted minutes between `from` and `at`.
    pub fn counted(&self, from: Timestamp, at: Timestamp) -> Result<i64, CalendarError> {
        let mut total = 0;
        for (a, b, seg) in self.pieces(from) {
            if a >= at {
                break;
            }
            let end = b.map_or(at, |b| b.min(at));
            total += seg.calendar.minutes_between(seg.mode, a, end)?;
        }
        Ok(total)
    }

    /// The earliest instant at which `minutes` have counted since `from`, rounded up
    /// to the whole minute; `None` while an open pause stops the clock first.
    pub fn reach(&self, from: Timestamp, minutes: i64) -> Result<Option<Timestamp>, CalendarError> {
        if minutes < 0 {
            return Err(CalendarError::DurationRange);
        }
        let mut need = minutes;
        for (a, b, seg) in self.pieces(from) {
            match b {
                None => {
                    return ceil_minute(seg.calendar.add_duration(seg.mode, a, need)?).map(Some);
                }
                Some(b) => {
                    let here = seg.calendar.minutes_between(seg.mode, a, b)?;
                    if here >= need {
                        let t = seg.calendar.add_duration(seg.mode, a, need)?;
                        // Nothing left to count and no open time before the piece ends
                        // (a clock at closing time, a pause starting before the next
                        // opening): the target is reached where counting resumes, not
                        // at the piece's end, which lies in closed time.
                        if need == 0 && t > b {
                            continue;
                        }
                        return ceil_minute(t.min(b)).map(Some);
                    }
                    need -= here;
                }
            }
        }
        Ok(None)
    }

    /// The instant of `step` on the target `target_minutes` counted from `from`.
    pub fn step_at(
        &self,
        from: Timestamp,
        target_minutes: i64,
        step: Step,
    ) -> Result<Option<Timestamp>, CalendarError> {
        let need = (target_minutes * i64::from(step.percent) + 99) / 100;
        self.reach(from, need)
    }
}

/// Where a stage's measurement starts: the clock's start, except the solution target
/// which counts from the end of the analysis (and has no start before it).
pub fn stage_origin(
    stage: Stage,
    start: Timestamp,
    analysed_at: Option<Timestamp>,
) -> Option<Timestamp> {
    match stage {
        Stage::Solution => analysed_at,
        _ => Some(start),
    }
}

/// One planned checkpoint of an open complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Checkpoint {
    /// The stage.
    pub stage: Stage,
    /// The step.
    pub step: Step,
    /// When it falls due.
    pub due: Timestamp,
}

/// Every checkpoint of the stages not yet met, on `clock` under `policy`.
pub fn checkpoints(
    clock: &Clock<'_>,
    policy: &Policy,
    met: &[Stage],
    analysed_at: Option<Timestamp>,
) -> Result<Vec<Checkpoint>, CalendarError> {
    let Some(start) = clock.start() else {
        return Ok(Vec::new());
    };
    let steps = policy.steps();
    let mut out = Vec::new();
    for stage in Stage::ALL {
        if met.contains(stage) {
            continue;
        }
        let Some(origin) = stage_origin(*stage, start, analysed_at) else {
            continue;
        };
        for step in &steps {
            if let Some(due) = clock.step_at(origin, policy.targets.of(*stage), *step)? {
                out.push(Checkpoint {
                    stage: *stage,
                    step: *step,
                    due,
                });
            }
        }
    }
    out.sort_by_key(|c| c.due);
    Ok(out)
}

/// The next deadline (100 % of a target) of the stages not yet met.
pub fn next_deadline(checkpoints: &[Checkpoint]) -> Option<(Stage, Timestamp)> {
    checkpoints
        .iter()
        .filter(|c| c.step.percent == 100)
        .min_by_key(|c| c.due)
        .map(|c| (c.stage, c.due))
}

/// Whether a stage met at `met_at` (or still open at `now`) was within its target.
pub fn within(deadline: Option<Timestamp>, met_at: Option<Timestamp>, now: Timestamp) -> bool {
    match deadline {
        None => true,
        Some(d) => met_at.unwrap_or(now) <= d,
    }
}

/// The "3-day closure": 72 calendar hours from receipt, whatever the mode.
pub fn three_day_limit(received: Timestamp) -> Timestamp {
    received
        .checked_add(SignedDuration::from_hours(72))
        .unwrap_or(Timestamp::MAX)
}
