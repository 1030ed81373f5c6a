//! Repair orders (工单, SPEC §5): stages in strict order, each with a standard time and
//! checkpoints from a versioned standard; work lines that must be approved before work
//! starts (extra work found during repair needs its own approval); stage timing,
//! overrun flags and an ETA; promised completion, late hand-over and courtesy car.

use std::collections::BTreeSet;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::calendar::{CalendarError, ClockMode, WorkingCalendar};
use crate::estimate::Decision;
use crate::labour::{MAX_HUNDREDTHS, hundredths_to_minutes};

/// A repair taking longer than this many days entitles the owner to a courtesy car
/// (三包: 修理时间超过5日).
pub const COURTESY_CAR_AFTER_DAYS: i64 = 5;

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

/// Why a repair-order command is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepairOrderError {
    /// The stage standard is malformed.
    #[error("stage standard invalid: {0}")]
    StandardInvalid(String),
    /// Stages must run in order.
    #[error("stage {got:?} cannot start now; next is {expected:?}")]
    OutOfOrder {
        /// The stage that may start next, if any.
        expected: Option<Stage>,
        /// The stage asked for.
        got: Stage,
    },
    /// The stage is not in progress.
    #[error("stage {0:?} is not in progress")]
    StageNotInProgress(Stage),
    /// A time earlier than the start of the stage.
    #[error("time is before the stage started")]
    TimeBeforeStart,
    /// No checkpoint with this code in the standard.
    #[error("unknown checkpoint {0}")]
    CheckpointUnknown(String),
    /// The checkpoint belongs to a stage that is not in progress.
    #[error("checkpoint {0} is not in the current stage")]
    CheckpointWrongStage(String),
    /// A required checkpoint is unchecked.
    #[error("required checkpoint {0} is not checked")]
    CheckpointMissing(String),
    /// No work line with this number.
    #[error("line {0} not found")]
    LineUnknown(u32),
    /// Work on a line that is not approved.
    #[error("line {0} is not approved")]
    LineNotApproved(u32),
    /// Approving or declining a line already decided.
    #[error("line {0} is already decided")]
    LineDecided(u32),
    /// Repair cannot complete while extra work awaits the owner's decision.
    #[error("line {0} awaits approval")]
    ProposedWorkPending(u32),
    /// Repair cannot complete while approved work is unfinished.
    #[error("line {0} is not finished")]
    WorkUnfinished(u32),
    /// Starting work already started, or finishing work not in progress.
    #[error("line {0} is not in the right work state")]
    WorkState(u32),
    /// Work can only start while the repair stage is in progress.
    #[error("repair stage is not in progress")]
    RepairNotInProgress,
    /// Lines cannot be added after the repair stage is complete.
    #[error("repair is already complete")]
    RepairComplete,
    /// Hours not in 0.01..=100.00.
    #[error("hours out of range")]
    HoursRange,
    /// Applicability cannot change once quality inspection is complete.
    #[error("quality inspection is already complete")]
    InspectionComplete,
    /// A promised time needs approved work.
    #[error("no approved work yet")]
    NothingApproved,
    /// The concern can no longer be classified: the car has been handed back.
    #[error("the order is delivered")]
    Delivered,
    /// Changing an earlier classification of the concern needs a reason.
    #[error("a reason is required")]
    ReasonRequired,
    /// The calendar could not compute a time.
    #[error("calendar: {0}")]
    Calendar(#[from] CalendarError),
}

impl From<RepairOrderError> for crate::Violation {
    fn from(e: RepairOrderError) -> Self {
        use crate::Violation as V;
        type E = RepairOrderError;
        let line = |n: u32| format!("lines[{n}]");
        match e {
            E::StandardInvalid(d) => {
                V::new("standard", "repair_order.standard_invalid").with_detail(d)
            }
            E::OutOfOrder { got, .. } => {
                V::new("stage", "repair_order.stage_out_of_order").with_detail(got.code())
            }
            E::StageNotInProgress(s) => {
                V::new("stage", "repair_order.stage_not_in_progress").with_detail(s.code())
            }
            E::TimeBeforeStart => V::new("at", "repair_order.time_before_start"),
            E::CheckpointUnknown(c) => {
                V::new("checkpoint", "repair_order.checkpoint_unknown").with_detail(c)
            }
            E::CheckpointWrongStage(c) => {
                V::new("checkpoint", "repair_order.checkpoint_wrong_stage").with_detail(c)
            }
            E::CheckpointMissing(c) => {
                V::new("checkpoint", "repair_order.checkpoint_missing").with_detail(c)
            }
            E::LineUnknown(n) => V::new(line(n), "repair_order.line_unknown"),
            E::LineNotApproved(n) => V::new(line(n), "repair_order.line_not_approved"),
            E::LineDecided(n) => V::new(line(n), "repair_order.line_decided"),
            E::ProposedWorkPending(n) => V::new(line(n), "repair_order.proposed_work_pending"),
            E::WorkUnfinished(n) => V::new(line(n), "repair_order.work_unfinished"),
            E::WorkState(n) => V::new(line(n), "repair_order.work_state"),
            E::RepairNotInProgress => V::new("stage", "repair_order.repair_not_in_progress"),
            E::RepairComplete => V::new("stage", "repair_order.repair_complete"),
            E::HoursRange => V::new("hours", "repair_order.hours_range"),
            E::InspectionComplete => V::new("applicable", "repair_order.inspection_complete"),
            E::NothingApproved => V::new("lines", "repair_order.nothing_approved"),
            E::Delivered => V::new("state", "repair_order.delivered"),
            E::ReasonRequired => V::new("reason", "repair_order.reason_required"),
            E::Calendar(c) => c.into(),
        }
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

/// Whether a checkpoint must be checked before its stage completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckRule {
    /// Always required.
    Required,
    /// Never required.
    Optional,
    /// Required when marked applicable to the job.
    WhenApplicable,
}

/// One checkpoint of a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Stable code, unique in the standard, e.g. `reception.walk_around`.
    pub code: String,
    /// Chinese label.
    pub label_zh: String,
    /// English label.
    pub label_en: String,
    /// Whether it is required.
    pub rule: CheckRule,
}

/// The standard time of a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum StandardTime {
    /// A fixed number of minutes.
    Minutes(i64),
    /// The sum of the approved labour lines' standard hours.
    LabourHours,
    /// Within this many days after delivery (follow-up).
    DaysAfterDelivery(i64),
}

/// The standard of one stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageSpec {
    /// Which stage.
    pub stage: Stage,
    /// Its standard time.
    pub time: StandardTime,
    /// Its checkpoints.
    pub checkpoints: Vec<Checkpoint>,
}

/// A versioned set of stage standards (head office edits it; each order keeps the
/// version it was opened with).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageStandard {
    /// Version number, from 1.
    pub version: u32,
    /// One spec per stage, in stage order.
    pub stages: Vec<StageSpec>,
}

impl StageStandard {
    /// Checks: version ≥ 1, all six stages in order, checkpoint codes unique and
    /// non-empty, minutes positive.
    pub fn validate(&self) -> Result<(), RepairOrderError> {
        let bad = |s: &str| Err(RepairOrderError::StandardInvalid(s.to_string()));
        if self.version == 0 {
            return bad("version must be at least 1");
        }
        if self.stages.iter().map(|s| s.stage).ne(Stage::ALL) {
            return bad("stages must be the six stages in order");
        }
        let mut seen = BTreeSet::new();
        for spec in &self.stages {
            match spec.time {
                StandardTime::Minutes(m) | StandardTime::DaysAfterDelivery(m) if m <= 0 => {
                    return bad("standard times must be positive");
                }
                _ => {}
            }
            for c in &spec.checkpoints {
                if c.code.trim().is_empty()
                    || c.label_zh.trim().is_empty()
                    || c.label_en.trim().is_empty()
                {
                    return bad("checkpoint code and labels must not be empty");
                }
                if !seen.insert(c.code.as_str()) {
                    return Err(RepairOrderError::StandardInvalid(format!(
                        "checkpoint {} listed twice",
                        c.code
                    )));
                }
            }
        }
        Ok(())
    }

    /// The spec of `stage`.
    pub fn spec(&self, stage: Stage) -> Option<&StageSpec> {
        self.stages.iter().find(|s| s.stage == stage)
    }

    /// The stage a checkpoint belongs to.
    pub fn stage_of(&self, code: &str) -> Option<Stage> {
        self.stages
            .iter()
            .find(|s| s.checkpoints.iter().any(|c| c.code == code))
            .map(|s| s.stage)
    }

    /// Standard minutes of `stage`, given the approved labour minutes.
    pub fn standard_minutes(&self, stage: Stage, labour_minutes: i64) -> Option<i64> {
        self.spec(stage).map(|s| match s.time {
            StandardTime::Minutes(m) => m,
            StandardTime::LabourHours => labour_minutes,
            StandardTime::DaysAfterDelivery(d) => d * 24 * 60,
        })
    }
}

fn cp(code: &str, zh: &str, en: &str, rule: CheckRule) -> Checkpoint {
    Checkpoint {
        code: code.to_string(),
        label_zh: zh.to_string(),
        label_en: en.to_string(),
        rule,
    }
}

/// The network's standard, version 1 (SPEC §5 table).
pub fn default_standard() -> StageStandard {
    use CheckRule::{Optional as O, Required as R, WhenApplicable as A};
    let spec = |stage, time, checkpoints| StageSpec {
        stage,
        time,
        checkpoints,
    };
    StageStandard {
        version: 1,
        stages: vec![
            spec(
                Stage::Reception,
                StandardTime::Minutes(15),
                vec![
                    cp(
                        "reception.walk_around",
                        "环车检查",
                        "Walk-around with the owner",
                        R,
                    ),
                    cp(
                        "reception.odometer_fuel",
                        "里程与油量（电量）记录",
                        "Odometer and fuel/charge recorded",
                        R,
                    ),
                    cp(
                        "reception.belongings",
                        "贵重物品登记",
                        "Belongings noted",
                        R,
                    ),
                    cp(
                        "reception.covers",
                        "铺设三件套",
                        "Seat, floor and steering covers fitted",
                        R,
                    ),
                    cp(
                        "reception.concern",
                        "客户原话记录",
                        "Owner's concern in their words",
                        R,
                    ),
                ],
            ),
            spec(
                Stage::Diagnosis,
                StandardTime::Minutes(30),
                vec![
                    cp(
                        "diagnosis.concern_verified",
                        "故障现象确认",
                        "Concern verified",
                        R,
                    ),
                    cp(
                        "diagnosis.dtc_read",
                        "读取故障码",
                        "Fault codes (DTCs) read",
                        R,
                    ),
                    cp("diagnosis.cause_found", "故障原因确定", "Cause found", R),
                ],
            ),
            spec(
                Stage::Repair,
                StandardTime::LabourHours,
                vec![
                    cp(
                        "repair.tools_ready",
                        "工具设备准备",
                        "Tools and equipment ready",
                        O,
                    ),
                    cp(
                        "repair.parts_checked",
                        "备件核对",
                        "Parts checked against the order",
                        O,
                    ),
                    cp(
                        "repair.old_parts_kept",
                        "旧件保留",
                        "Old parts kept for the owner",
                        O,
                    ),
                    cp(
                        "repair.torque",
                        "按规定力矩紧固",
                        "Fasteners torqued to specification",
                        O,
                    ),
                    cp(
                        "repair.fluids",
                        "油液加注检查",
                        "Fluids topped up and checked",
                        O,
                    ),
                    cp("repair.dtc_cleared", "清除故障码", "Fault codes cleared", O),
                    cp("repair.test_drive", "路试", "Test drive", O),
                    cp("repair.bay_clean", "工位清洁", "Work bay cleaned", O),
                ],
            ),
            spec(
                Stage::QualityInspection,
                StandardTime::Minutes(20),
                vec![
                    cp(
                        "qi.work_complete",
                        "维修项目完成确认",
                        "All approved work done",
                        A,
                    ),
                    cp("qi.concern_fixed", "故障排除确认", "Concern fixed", A),
                    cp("qi.no_dtc", "无故障码", "No fault codes stored", A),
                    cp("qi.fluid_levels", "油液液位", "Fluid levels correct", A),
                    cp("qi.tyre_pressure", "轮胎气压", "Tyre pressures correct", A),
                    cp("qi.wheel_torque", "车轮螺栓力矩", "Wheel nuts torqued", A),
                    cp("qi.brakes", "制动性能", "Brakes checked", A),
                    cp("qi.lights", "灯光检查", "Lights working", A),
                    cp("qi.no_leaks", "无渗漏", "No leaks", A),
                    cp(
                        "qi.hv_insulation",
                        "高压绝缘检测",
                        "High-voltage insulation tested",
                        A,
                    ),
                    cp("qi.paint_finish", "漆面质量", "Paint finish inspected", A),
                    cp(
                        "qi.service_reset",
                        "保养提示复位",
                        "Service reminder reset",
                        A,
                    ),
                ],
            ),
            spec(
                Stage::Delivery,
                StandardTime::Minutes(15),
                vec![
                    cp(
                        "delivery.work_explained",
                        "讲解维修项目",
                        "Work explained",
                        R,
                    ),
                    cp(
                        "delivery.invoice_explained",
                        "讲解结算单",
                        "Invoice explained",
                        R,
                    ),
                    cp("delivery.old_parts", "旧件展示", "Old parts offered", R),
                    cp("delivery.car_clean", "车辆清洁", "Car clean", R),
                    cp("delivery.covers_removed", "取下三件套", "Covers removed", R),
                    cp(
                        "delivery.next_service",
                        "提醒下次保养",
                        "Next service explained",
                        R,
                    ),
                ],
            ),
            spec(
                Stage::FollowUp,
                StandardTime::DaysAfterDelivery(3),
                vec![cp("follow_up.call", "回访电话", "Follow-up call made", R)],
            ),
        ],
    }
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

    /// Starts work on approved line `no` while the repair stage is in progress.
    pub fn start_work(&mut self, no: u32) -> Result<(), RepairOrderError> {
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

/// Whether a repair received at `received_at` and still running (or delivered) at
/// `until` has taken more than five days, entitling the owner to a courtesy car.
pub fn courtesy_car_entitled(received_at: Timestamp, until: Timestamp) -> bool {
    until.duration_since(received_at) > SignedDuration::from_hours(COURTESY_CAR_AFTER_DAYS * 24)
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

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;
    use crate::calendar::{HolidayPlan, OpeningHours, shanghai};
    use jiff::civil::{date, time};
    use proptest::prelude::*;

    fn t(min: i64) -> Timestamp {
        Timestamp::from_second(1_772_000_000 + min * 60).expect("ts")
    }

    fn codes(o: &RepairOrder, stage: Stage) -> Vec<String> {
        o.standard()
            .spec(stage)
            .map(|s| s.checkpoints.iter().map(|c| c.code.clone()).collect())
            .unwrap_or_default()
    }

    fn run_stage(o: &mut RepairOrder, stage: Stage, start: i64, end: i64) {
        o.start_stage(stage, t(start)).expect("start");
        for c in codes(o, stage) {
            o.check(&c).expect("check");
        }
        o.complete_stage(stage, t(end)).expect("complete");
    }

    #[test]
    fn default_standard_matches_the_spec_table() {
        let s = default_standard();
        assert_eq!(s.validate(), Ok(()));
        let count = |st| s.spec(st).map(|x| x.checkpoints.len());
        let required = |st| {
            s.spec(st).map(|x| {
                x.checkpoints
                    .iter()
                    .filter(|c| c.rule == CheckRule::Required)
                    .count()
            })
        };
        assert_eq!(
            (count(Stage::Reception), required(Stage::Reception)),
            (Some(5), Some(5))
        );
        assert_eq!(
            (count(Stage::Diagnosis), required(Stage::Diagnosis)),
            (Some(3), Some(3))
        );
        assert_eq!(
            (count(Stage::Repair), required(Stage::Repair)),
            (Some(8), Some(0))
        );
        assert_eq!(count(Stage::QualityInspection), Some(12));
        assert_eq!(
            (count(Stage::Delivery), required(Stage::Delivery)),
            (Some(6), Some(6))
        );
        assert_eq!(s.standard_minutes(Stage::Repair, 95), Some(95));
        assert_eq!(s.standard_minutes(Stage::FollowUp, 0), Some(3 * 1440));
        let mut bad = s.clone();
        bad.stages.swap(0, 1);
        assert!(matches!(
            bad.validate(),
            Err(RepairOrderError::StandardInvalid(_))
        ));
        assert!(RepairOrder::new(bad).is_err());
    }

    #[test]
    fn stages_run_in_order_and_need_their_checkpoints() {
        let mut o = RepairOrder::new(default_standard()).expect("order");
        assert_eq!(
            o.start_stage(Stage::Diagnosis, t(0)),
            Err(RepairOrderError::OutOfOrder {
                expected: Some(Stage::Reception),
                got: Stage::Diagnosis
            })
        );
        o.start_stage(Stage::Reception, t(0)).expect("start");
        o.check("reception.walk_around").expect("check");
        assert_eq!(
            o.check("diagnosis.dtc_read"),
            Err(RepairOrderError::CheckpointWrongStage(
                "diagnosis.dtc_read".into()
            ))
        );
        assert_eq!(
            o.check("nope"),
            Err(RepairOrderError::CheckpointUnknown("nope".into()))
        );
        assert_eq!(
            o.complete_stage(Stage::Reception, t(10)),
            Err(RepairOrderError::CheckpointMissing(
                "reception.odometer_fuel".into()
            ))
        );
        for c in codes(&o, Stage::Reception) {
            o.check(&c).expect("check");
        }
        o.complete_stage(Stage::Reception, t(14)).expect("complete");
        assert_eq!(o.received_at(), Some(t(0)));
        assert_eq!(o.next_stage(), Some(Stage::Diagnosis));
        let v: crate::Violation =
            RepairOrderError::CheckpointMissing("reception.covers".into()).into();
        assert_eq!(
            (v.rule, v.detail.as_deref()),
            ("repair_order.checkpoint_missing", Some("reception.covers"))
        );
    }

    #[test]
    fn work_needs_approval_and_extra_work_blocks_repair() {
        let mut o = RepairOrder::new(default_standard()).expect("order");
        let a = o.propose_line("MAINT-10K", 100).expect("a");
        let b = o.propose_line("BRAKE-PAD-F", 80).expect("b");
        assert_eq!(o.promise(t(300)), Err(RepairOrderError::NothingApproved));
        o.approve_line(a).expect("approve");
        o.decline_line(b).expect("decline");
        o.promise(t(300)).expect("promise");
        run_stage(&mut o, Stage::Reception, 0, 15);
        run_stage(&mut o, Stage::Diagnosis, 15, 45);
        assert_eq!(o.start_work(a), Err(RepairOrderError::RepairNotInProgress));
        o.start_stage(Stage::Repair, t(45)).expect("repair");
        assert_eq!(o.start_work(b), Err(RepairOrderError::LineNotApproved(b)));
        o.start_work(a).expect("start a");
        let c = o.propose_line("CV-BOOT", 120).expect("extra");
        assert!(o.lines()[2].extra);
        assert_eq!(o.start_work(c), Err(RepairOrderError::LineNotApproved(c)));
        o.finish_work(a).expect("finish a");
        assert_eq!(
            o.complete_stage(Stage::Repair, t(100)),
            Err(RepairOrderError::ProposedWorkPending(c))
        );
        o.approve_line(c).expect("approve extra");
        assert_eq!(
            o.complete_stage(Stage::Repair, t(100)),
            Err(RepairOrderError::WorkUnfinished(c))
        );
        o.start_work(c).expect("start c");
        o.finish_work(c).expect("finish c");
        assert_eq!(o.labour_minutes(), 132);
        o.complete_stage(Stage::Repair, t(180))
            .expect("repair done");
        assert_eq!(
            o.propose_line("X", 10),
            Err(RepairOrderError::RepairComplete)
        );
        // QI: only the applicable checkpoints are required.
        o.set_applicable(&["qi.work_complete", "qi.brakes"])
            .expect("applicable");
        o.start_stage(Stage::QualityInspection, t(180)).expect("qi");
        o.check("qi.work_complete").expect("check");
        assert_eq!(
            o.complete_stage(Stage::QualityInspection, t(190)),
            Err(RepairOrderError::CheckpointMissing("qi.brakes".into()))
        );
        o.check("qi.brakes").expect("check");
        o.complete_stage(Stage::QualityInspection, t(200))
            .expect("qi done");
        assert_eq!(o.can_classify_concern(), Ok(()));
        let class = |code: Option<&str>, safety_fault| ConcernClass {
            code: code.map(Into::into),
            safety_fault,
        };
        let (none, coded) = (class(None, false), class(Some("C0051"), true));
        assert_eq!(o.reclassify_concern(&none, &coded, None), Ok(()));
        assert_eq!(
            o.reclassify_concern(&coded, &class(Some("C0052"), true), Some(" ")),
            Err(RepairOrderError::ReasonRequired)
        );
        assert_eq!(
            o.reclassify_concern(&coded, &class(Some("C0051"), false), Some("误判")),
            Ok(())
        );
        run_stage(&mut o, Stage::Delivery, 200, 215);
        assert_eq!(o.delivered_at(), Some(t(215)));
        assert_eq!(o.can_classify_concern(), Err(RepairOrderError::Delivered));
        assert_eq!(
            o.reclassify_concern(&none, &coded, Some("late")),
            Err(RepairOrderError::Delivered)
        );
        assert_eq!(
            late_handover(o.promised_at().expect("promised"), t(215)),
            None
        );
        assert_eq!(late_handover(t(300), t(361)), Some(61));
    }

    #[test]
    fn timings_overrun_and_eta() {
        let std = default_standard();
        // Reception took 20 of 15 min; diagnosis running for 40 of 30 min at now=60.
        let events = [
            StageEvent {
                stage: Stage::Reception,
                started_at: t(0),
                completed_at: Some(t(20)),
            },
            StageEvent {
                stage: Stage::Diagnosis,
                started_at: t(20),
                completed_at: None,
            },
        ];
        let timings = stage_timings(&std, 90, &events, t(60));
        assert_eq!(
            timings[0],
            StageTiming {
                stage: Stage::Reception,
                elapsed_minutes: 20,
                standard_minutes: 15,
                overrun: true,
                completed: true
            }
        );
        assert_eq!(
            timings[1],
            StageTiming {
                stage: Stage::Diagnosis,
                elapsed_minutes: 40,
                standard_minutes: 30,
                overrun: true,
                completed: false
            }
        );
        let cal = WorkingCalendar::new(
            HolidayPlan::new(),
            OpeningHours::every_day(time(0, 0, 0, 0), time(23, 59, 0, 0)).expect("hours"),
            shanghai(),
        );
        // Remaining: diagnosis 0 (overran) + repair 90 + QI 20 + delivery 15 = 125.
        assert_eq!(
            eta(&std, 90, &events, t(60), &cal, ClockMode::Calendar),
            Ok(t(185))
        );
        // Diagnosis only 10 minutes in: 20 more.
        assert_eq!(
            eta(&std, 90, &events, t(30), &cal, ClockMode::Calendar),
            Ok(t(30 + 20 + 125))
        );
        // Business mode crosses the night: 17:00 + 125 min at a station closing 17:30.
        let station = WorkingCalendar::new(
            HolidayPlan::china(),
            OpeningHours::every_day(time(8, 30, 0, 0), time(17, 30, 0, 0)).expect("hours"),
            shanghai(),
        );
        let now = station
            .instant(date(2026, 3, 3).at(17, 0, 0, 0))
            .expect("now");
        let ev = [
            StageEvent {
                stage: Stage::Reception,
                started_at: now,
                completed_at: Some(now),
            },
            StageEvent {
                stage: Stage::Diagnosis,
                started_at: now,
                completed_at: None,
            },
        ];
        let got = eta(&std, 90, &ev, now, &station, ClockMode::Business).expect("eta");
        assert_eq!(
            got,
            station
                .instant(date(2026, 3, 4).at(10, 35, 0, 0))
                .expect("next day")
        );
    }

    #[test]
    fn courtesy_car_and_follow_up() {
        assert!(!courtesy_car_entitled(t(0), t(5 * 1440)));
        assert!(courtesy_car_entitled(t(0), t(5 * 1440 + 1)));
        assert_eq!(follow_up_due(&default_standard(), t(0)), Ok(t(3 * 1440)));
        let events = [
            StageEvent {
                stage: Stage::Delivery,
                started_at: t(0),
                completed_at: Some(t(15)),
            },
            StageEvent {
                stage: Stage::FollowUp,
                started_at: t(4000),
                completed_at: Some(t(4400)),
            },
        ];
        let timings = stage_timings(&default_standard(), 0, &events, t(5000));
        assert_eq!(timings[1].elapsed_minutes, 4385);
        assert!(timings[1].overrun);
    }

    #[derive(Debug, Clone)]
    enum Cmd {
        Start(usize),
        Check(usize, usize),
        CheckAll(usize),
        Complete(usize),
        Propose,
        Approve(u32),
        Decline(u32),
        StartWork(u32),
        FinishWork(u32),
        Applicable(usize),
        Advance,
    }

    fn cmd() -> impl Strategy<Value = Cmd> {
        prop_oneof![
            4 => Just(Cmd::Advance),
            1 => (0usize..6).prop_map(Cmd::Start),
            1 => (0usize..6, 0usize..12).prop_map(|(s, c)| Cmd::Check(s, c)),
            1 => (0usize..6).prop_map(Cmd::Complete),
            1 => (0usize..6).prop_map(Cmd::CheckAll),
            1 => Just(Cmd::Propose),
            1 => (1u32..6).prop_map(Cmd::Approve),
            1 => (1u32..6).prop_map(Cmd::Decline),
            1 => (1u32..6).prop_map(Cmd::StartWork),
            1 => (1u32..6).prop_map(Cmd::FinishWork),
            1 => (0usize..12).prop_map(Cmd::Applicable),
        ]
    }

    proptest! {
        #[test]
        fn random_commands_keep_the_rules(cmds in proptest::collection::vec(cmd(), 0..300)) {
            let mut o = RepairOrder::new(default_standard()).expect("order");
            for (i, c) in cmds.into_iter().enumerate() {
                let at = t(i as i64);
                let _ = match c {
                    Cmd::Start(s) => o.start_stage(Stage::ALL[s], at),
                    Cmd::Check(s, k) => {
                        let list = codes(&o, Stage::ALL[s]);
                        if list.is_empty() { Ok(()) } else { o.check(&list[k % list.len()]) }
                    }
                    Cmd::CheckAll(s) => codes(&o, Stage::ALL[s]).iter().try_for_each(|c| o.check(c)),
                    Cmd::Complete(s) => o.complete_stage(Stage::ALL[s], at),
                    Cmd::Propose => o.propose_line("OP", 50).map(|_| ()),
                    Cmd::Approve(n) => o.approve_line(n),
                    Cmd::Decline(n) => o.decline_line(n),
                    Cmd::StartWork(n) => o.start_work(n),
                    Cmd::FinishWork(n) => o.finish_work(n),
                    Cmd::Advance => match o.current_stage() {
                        Some(s) => codes(&o, s).iter().try_for_each(|c| o.check(c)).and_then(|()| o.complete_stage(s, at)),
                        None => match o.next_stage() {
                            Some(s) => o.start_stage(s, at),
                            None => Ok(()),
                        },
                    },
                    Cmd::Applicable(k) => {
                        let list = codes(&o, Stage::QualityInspection);
                        let pick: Vec<&str> = list.iter().take(k).map(String::as_str).collect();
                        o.set_applicable(&pick)
                    }
                };
                // No unapproved work ever started.
                for l in o.lines() {
                    prop_assert!(l.work == WorkStatus::NotStarted || l.decision == Decision::Approved);
                }
                // Stages strictly in order.
                for w in o.stages().windows(2) {
                    if w[1].started_at.is_some() {
                        prop_assert!(w[0].completed_at.is_some());
                        prop_assert!(w[0].completed_at <= w[1].started_at);
                    }
                }
                // Every completed stage had its required checkpoints.
                for p in o.stages() {
                    if p.completed_at.is_some() {
                        prop_assert_eq!(o.missing_checkpoint(p.stage), None);
                    }
                }
                if o.delivered_at().is_some() {
                    prop_assert_eq!(o.missing_checkpoint(Stage::Delivery), None);
                    prop_assert!(o.lines().iter().all(|l| l.decision != Decision::Proposed));
                    prop_assert!(o.lines().iter().all(|l| l.decision != Decision::Approved || l.work == WorkStatus::Done));
                }
            }
        }
    }
}
