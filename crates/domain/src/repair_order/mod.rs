//! Repair orders (工单, SPEC §5): stages in strict order, each with a standard time and
//! checkpoints from a versioned standard; work lines that must be approved before work
//! starts (extra work found during repair needs its own approval); stage timing,
//! overrun flags and an ETA; promised completion, late hand-over and courtesy car.
//!
//! One concept per file: the order's state machine here, why a command is refused in
//! `error`, the versioned stage standard in `standard`, timing and deadlines in `timing`.

mod error;
mod standard;
mod timing;

use crate::certification::{CertificationError, Cleared};
use crate::estimate::Decision;
use crate::labour::{MAX_HUNDREDTHS, hundredths_to_minutes};
pub use error::RepairOrderError;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
pub use standard::*;
use std::collections::BTreeSet;
pub use timing::*;

/// The stages of a repair order, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 接车.
    Reception,
    /// 诊断.
    Diagnosis,
    /// 维修作业.
    Repair,
    /// 质检.
    QualityInspection,
    /// 交车.
    Delivery,
    /// 回访.
    FollowUp,
}

impl Stage {
    /// Every stage in order.
    pub const ALL: [Stage; 6] = [
        Stage::Reception,
        Stage::Diagnosis,
        Stage::Repair,
        Stage::QualityInspection,
        Stage::Delivery,
        Stage::FollowUp,
    ];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Stage::Reception => "reception",
            Stage::Diagnosis => "diagnosis",
            Stage::Repair => "repair",
            Stage::QualityInspection => "quality_inspection",
            Stage::Delivery => "delivery",
            Stage::FollowUp => "follow_up",
        }
    }

    /// The stage named by `code`.
    pub fn from_code(code: &str) -> Option<Stage> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Position 0..6.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// How diagnosis classified the owner's concern: its code, and whether it is a serious
/// safety fault (三包).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ConcernClass {
    /// Coded concern (symptom or fault code), if coded.
    pub code: Option<String>,
    /// Whether it is a serious safety fault.
    pub safety_fault: bool,
}

/// Where a line's work stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkStatus {
    /// Not started.
    NotStarted,
    /// A technician is on it.
    InProgress,
    /// Finished.
    Done,
}

/// A labour line on the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkLine {
    /// Line number, from 1.
    pub no: u32,
    /// Labour operation code.
    pub operation_code: String,
    /// Standard hours in hundredths.
    pub hundredths: i64,
    /// The owner's decision.
    pub decision: Decision,
    /// Found during repair (extra work).
    pub extra: bool,
    /// Work progress.
    pub work: WorkStatus,
}

/// Start and completion of one stage, plus its checked checkpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageProgress {
    /// Which stage.
    pub stage: Stage,
    /// When it started.
    pub started_at: Option<Timestamp>,
    /// When it completed.
    pub completed_at: Option<Timestamp>,
    /// Checkpoint codes checked.
    pub checked: BTreeSet<String>,
}

/// A repair order's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepairOrder {
    standard: StageStandard,
    stages: Vec<StageProgress>,
    lines: Vec<WorkLine>,
    applicable: BTreeSet<String>,
    promised_at: Option<Timestamp>,
}

impl RepairOrder {
    /// A new order under `standard`; nothing started.
    pub fn new(standard: StageStandard) -> Result<Self, RepairOrderError> {
        standard.validate()?;
        let stages = Stage::ALL
            .into_iter()
            .map(|stage| StageProgress {
                stage,
                started_at: None,
                completed_at: None,
                checked: BTreeSet::new(),
            })
            .collect();
        Ok(Self {
            standard,
            stages,
            lines: Vec::new(),
            applicable: BTreeSet::new(),
            promised_at: None,
        })
    }

    /// An order as stored: `progress` is asked for every stage in order (so the stages
    /// are complete and ordered); loading rebuilds orders this way on every change.
    pub fn restore(
        standard: StageStandard,
        mut progress: impl FnMut(Stage) -> StageProgress,
        lines: Vec<WorkLine>,
        applicable: BTreeSet<String>,
        promised_at: Option<Timestamp>,
    ) -> Self {
        let stages = Stage::ALL
            .into_iter()
            .map(|stage| StageProgress {
                stage,
                ..progress(stage)
            })
            .collect();
        Self {
            standard,
            stages,
            lines,
            applicable,
            promised_at,
        }
    }

    /// The standard the order runs under.
    pub fn standard(&self) -> &StageStandard {
        &self.standard
    }

    /// Progress of every stage, in order.
    pub fn stages(&self) -> &[StageProgress] {
        &self.stages
    }

    /// Progress of `stage`.
    pub fn progress(&self, stage: Stage) -> &StageProgress {
        &self.stages[stage.index()]
    }

    /// The work lines.
    pub fn lines(&self) -> &[WorkLine] {
        &self.lines
    }

    /// Checkpoints marked applicable to this job (quality inspection).
    pub fn applicable(&self) -> &BTreeSet<String> {
        &self.applicable
    }

    /// The promised completion time, once set.
    pub fn promised_at(&self) -> Option<Timestamp> {
        self.promised_at
    }

    /// When reception started (the car was received).
    pub fn received_at(&self) -> Option<Timestamp> {
        self.progress(Stage::Reception).started_at
    }

    /// When delivery completed (the car was handed back).
    pub fn delivered_at(&self) -> Option<Timestamp> {
        self.progress(Stage::Delivery).completed_at
    }

    /// The stage in progress, if any.
    pub fn current_stage(&self) -> Option<Stage> {
        self.stages
            .iter()
            .find(|p| p.started_at.is_some() && p.completed_at.is_none())
            .map(|p| p.stage)
    }

    /// The next stage to start, if none is in progress and some remain.
    pub fn next_stage(&self) -> Option<Stage> {
        if self.current_stage().is_some() {
            return None;
        }
        self.stages
            .iter()
            .find(|p| p.started_at.is_none())
            .map(|p| p.stage)
    }

    /// Whether the concern may still be classified (its code, and whether it is a
    /// serious safety fault): until the car is handed back, since the delivered
    /// record is what the three-guarantees counters rely on.
    pub fn can_classify_concern(&self) -> Result<(), RepairOrderError> {
        if self.delivered_at().is_some() {
            Err(RepairOrderError::Delivered)
        } else {
            Ok(())
        }
    }

    /// Whether the concern may change from `before` to `after` with `reason`: only
    /// until delivery ([`Self::can_classify_concern`]), and taking back a serious
    /// safety fault or replacing an earlier code needs a reason, since both change
    /// what the three-guarantees counters count.
    pub fn reclassify_concern(
        &self,
        before: &ConcernClass,
        after: &ConcernClass,
        reason: Option<&str>,
    ) -> Result<(), RepairOrderError> {
        self.can_classify_concern()?;
        let replaces_code = before.code.is_some() && before.code != after.code;
        let changes = before.safety_fault != after.safety_fault || before.code != after.code;
        let needs_reason = changes && (before.safety_fault || replaces_code);
        if needs_reason && reason.is_none_or(|r| r.trim().is_empty()) {
            return Err(RepairOrderError::ReasonRequired);
        }
        Ok(())
    }

    /// Standard minutes of the repair stage: the approved lines' hours.
    pub fn labour_minutes(&self) -> i64 {
        hundredths_to_minutes(
            self.lines
                .iter()
                .filter(|l| l.decision == Decision::Approved)
                .map(|l| l.hundredths)
                .sum(),
        )
    }

    /// Starts `stage`, which must be the next one; `at` not before the previous completion.
    pub fn start_stage(&mut self, stage: Stage, at: Timestamp) -> Result<(), RepairOrderError> {
        let expected = self.next_stage();
        if expected != Some(stage) {
            return Err(RepairOrderError::OutOfOrder {
                expected,
                got: stage,
            });
        }
        if let Some(prev) = stage
            .index()
            .checked_sub(1)
            .and_then(|i| self.stages[i].completed_at)
            && at < prev
        {
            return Err(RepairOrderError::TimeBeforeStart);
        }
        self.stages[stage.index()].started_at = Some(at);
        Ok(())
    }

    /// Marks which applicable-when-relevant checkpoints apply to this job (e.g. the
    /// high-voltage test for EV work); replaces the earlier set.
    pub fn set_applicable(&mut self, codes: &[&str]) -> Result<(), RepairOrderError> {
        if self
            .progress(Stage::QualityInspection)
            .completed_at
            .is_some()
        {
            return Err(RepairOrderError::InspectionComplete);
        }
        for c in codes {
            if self.standard.stage_of(c).is_none() {
                return Err(RepairOrderError::CheckpointUnknown((*c).to_string()));
            }
        }
        self.applicable = codes.iter().map(|c| (*c).to_string()).collect();
        Ok(())
    }

    /// Checks checkpoint `code` of the stage in progress.
    pub fn check(&mut self, code: &str) -> Result<(), RepairOrderError> {
        let stage = self
            .standard
            .stage_of(code)
            .ok_or_else(|| RepairOrderError::CheckpointUnknown(code.to_string()))?;
        if self.current_stage() != Some(stage) {
            return Err(RepairOrderError::CheckpointWrongStage(code.to_string()));
        }
        self.stages[stage.index()].checked.insert(code.to_string());
        Ok(())
    }

    /// The first required checkpoint of `stage` not yet checked.
    pub fn missing_checkpoint(&self, stage: Stage) -> Option<&str> {
        let checked = &self.progress(stage).checked;
        self.standard.spec(stage)?.checkpoints.iter().find_map(|c| {
            let required = match c.rule {
                CheckRule::Required => true,
                CheckRule::Optional => false,
                CheckRule::WhenApplicable => self.applicable.contains(&c.code),
            };
            (required && !checked.contains(&c.code)).then_some(c.code.as_str())
        })
    }

    /// Completes the stage in progress. Refused while a required checkpoint is
    /// unchecked; repair also needs every line decided and all approved work done.
    pub fn complete_stage(&mut self, stage: Stage, at: Timestamp) -> Result<(), RepairOrderError> {
        if self.current_stage() != Some(stage) {
            return Err(RepairOrderError::StageNotInProgress(stage));
        }
        if self.progress(stage).started_at.is_some_and(|s| at < s) {
            return Err(RepairOrderError::TimeBeforeStart);
        }
        if let Some(code) = self.missing_checkpoint(stage) {
            return Err(RepairOrderError::CheckpointMissing(code.to_string()));
        }
        if stage == Stage::Repair {
            if let Some(l) = self.lines.iter().find(|l| l.decision == Decision::Proposed) {
                return Err(RepairOrderError::ProposedWorkPending(l.no));
            }
            if let Some(l) = self
                .lines
                .iter()
                .find(|l| l.decision == Decision::Approved && l.work != WorkStatus::Done)
            {
                return Err(RepairOrderError::WorkUnfinished(l.no));
            }
        }
        self.stages[stage.index()].completed_at = Some(at);
        Ok(())
    }

    /// Adds a proposed labour line; during repair it is extra work. Returns its number.
    pub fn propose_line(
        &mut self,
        operation_code: &str,
        hundredths: i64,
    ) -> Result<u32, RepairOrderError> {
        if self.progress(Stage::Repair).completed_at.is_some() {
            return Err(RepairOrderError::RepairComplete);
        }
        if !(1..=MAX_HUNDREDTHS).contains(&hundredths) {
            return Err(RepairOrderError::HoursRange);
        }
        let no = self.lines.last().map_or(1, |l| l.no + 1);
        let extra = self.progress(Stage::Repair).started_at.is_some();
        self.lines.push(WorkLine {
            no,
            operation_code: operation_code.to_string(),
            hundredths,
            decision: Decision::Proposed,
            extra,
            work: WorkStatus::NotStarted,
        });
        Ok(no)
    }

    fn line_mut(&mut self, no: u32) -> Result<&mut WorkLine, RepairOrderError> {
        self.lines
            .iter_mut()
            .find(|l| l.no == no)
            .ok_or(RepairOrderError::LineUnknown(no))
    }

    fn decide(&mut self, no: u32, d: Decision) -> Result<(), RepairOrderError> {
        let line = self.line_mut(no)?;
        if line.decision != Decision::Proposed {
            return Err(RepairOrderError::LineDecided(no));
        }
        line.decision = d;
        Ok(())
    }

    /// Records the owner's approval of line `no` (see [`crate::estimate`]).
    pub fn approve_line(&mut self, no: u32) -> Result<(), RepairOrderError> {
        self.decide(no, Decision::Approved)
    }

    /// Records the owner's decline of line `no`.
    pub fn decline_line(&mut self, no: u32) -> Result<(), RepairOrderError> {
        self.decide(no, Decision::Declined)
    }

    /// Sets the promised completion time at estimate approval.
    pub fn promise(&mut self, at: Timestamp) -> Result<(), RepairOrderError> {
        if !self.lines.iter().any(|l| l.decision == Decision::Approved) {
            return Err(RepairOrderError::NothingApproved);
        }
        self.promised_at = Some(at);
        Ok(())
    }

    /// Starts work on approved line `no` while repair is in progress, by a technician
    /// cleared for it (先认证后上岗): a refused clearance, or one for another line,
    /// refuses the start once the line itself could start.
    pub fn start_work(
        &mut self,
        no: u32,
        by: Result<Cleared, CertificationError>,
    ) -> Result<(), RepairOrderError> {
        if self.current_stage() != Some(Stage::Repair) {
            return Err(RepairOrderError::RepairNotInProgress);
        }
        let line = self.line_mut(no)?;
        if line.decision != Decision::Approved {
            return Err(RepairOrderError::LineNotApproved(no));
        }
        if line.work != WorkStatus::NotStarted {
            return Err(RepairOrderError::WorkState(no));
        }
        match by {
            Ok(c) if c.line() == no => {}
            Ok(_) => return Err(CertificationError::Unassigned.into()),
            Err(e) => return Err(e.into()),
        }
        line.work = WorkStatus::InProgress;
        Ok(())
    }

    /// Finishes work on line `no`.
    pub fn finish_work(&mut self, no: u32) -> Result<(), RepairOrderError> {
        let line = self.line_mut(no)?;
        if line.work != WorkStatus::InProgress {
            return Err(RepairOrderError::WorkState(no));
        }
        line.work = WorkStatus::Done;
        Ok(())
    }

    /// The order's stage events, for [`stage_timings`] and [`eta`].
    pub fn events(&self) -> Vec<StageEvent> {
        self.stages
            .iter()
            .filter_map(|p| {
                p.started_at.map(|s| StageEvent {
                    stage: p.stage,
                    started_at: s,
                    completed_at: p.completed_at,
                })
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests;
