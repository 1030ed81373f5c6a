//! Why a repair-order command is refused, and the field and rule each reason names.

use super::Stage;
use crate::calendar::CalendarError;
use crate::certification::CertificationError;

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
    /// Work cannot start without a certified technician on the line.
    #[error("certification: {0}")]
    Uncertified(#[from] CertificationError),
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
            E::Uncertified(c) => c.into(),
        }
    }
}
