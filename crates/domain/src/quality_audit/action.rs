//! Corrective actions (整改): a failed checkpoint becomes one, owned by the station with
//! a due date, and goes problem → cause → measure (with evidence: this is "closed") →
//! verified by the auditor → standardised. An auditor who does not accept the measure
//! sends it back to the cause, with the reason. Never backwards otherwise, and never
//! closed without evidence.

use serde::{Deserialize, Serialize};

use crate::Violation;
use crate::complaint::code_enum;

code_enum!(
    /// Where a corrective action is.
    ActionState, "quality_audit.action_state_unknown", "state" {
        /// The problem is stated; the station looks for the cause.
        Open => "open",
        /// The cause is found; the station takes a measure.
        CauseFound => "cause_found",
        /// The measure is taken and evidenced: closed by the station, awaiting the auditor.
        Closed => "closed",
        /// The auditor checked the measure works.
        Verified => "verified",
        /// The measure became the station's standard practice: done.
        Standardised => "standardised",
    }
);

impl ActionState {
    /// Whether the station still owes work (its due date counts).
    pub fn is_due(self) -> bool {
        matches!(self, ActionState::Open | ActionState::CauseFound)
    }
}

/// What moves a corrective action, with the words each step needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum ActionStep {
    /// The station states the cause.
    RecordCause {
        /// Why the checkpoint failed.
        cause: String,
    },
    /// The station records the measure with its evidence (closes it).
    CloseWithEvidence {
        /// What was changed.
        measure: String,
        /// What shows it (a photo's description, a record number, a training list).
        evidence: String,
    },
    /// The auditor accepts the measure.
    Verify {
        /// What the auditor checked.
        note: String,
    },
    /// The auditor does not accept it: back to the cause.
    Reject {
        /// Why not.
        reason: String,
    },
    /// The measure is made the station's standard.
    Standardise {
        /// Where it is written down (procedure, checklist, training).
        note: String,
    },
}

impl ActionStep {
    /// The stable code of the step (events, translations).
    pub fn code(&self) -> &'static str {
        match self {
            ActionStep::RecordCause { .. } => "record_cause",
            ActionStep::CloseWithEvidence { .. } => "close_with_evidence",
            ActionStep::Verify { .. } => "verify",
            ActionStep::Reject { .. } => "reject",
            ActionStep::Standardise { .. } => "standardise",
        }
    }

    /// Whether the step is the auditor's (verify, reject, standardise) rather than
    /// the station's.
    pub fn is_auditors(&self) -> bool {
        matches!(
            self,
            ActionStep::Verify { .. } | ActionStep::Reject { .. } | ActionStep::Standardise { .. }
        )
    }

    /// The step with its texts cleaned, or the violation naming the empty or bad field.
    pub fn checked(self) -> Result<ActionStep, Violation> {
        use super::required_text as t;
        Ok(match self {
            ActionStep::RecordCause { cause } => ActionStep::RecordCause {
                cause: t("cause", &cause)?,
            },
            ActionStep::CloseWithEvidence { measure, evidence } => {
                let measure = t("measure", &measure)?;
                let evidence = t("evidence", &evidence).map_err(|v| {
                    if v.rule == "quality_audit.text_required" {
                        Violation::new("evidence", "quality_audit.evidence_required")
                    } else {
                        v
                    }
                })?;
                ActionStep::CloseWithEvidence { measure, evidence }
            }
            ActionStep::Verify { note } => ActionStep::Verify {
                note: t("note", &note)?,
            },
            ActionStep::Reject { reason } => ActionStep::Reject {
                reason: t("reason", &reason)?,
            },
            ActionStep::Standardise { note } => ActionStep::Standardise {
                note: t("note", &note)?,
            },
        })
    }
}

/// The state after `step` from `state`, or the violation `quality_audit.action_step`
/// naming the state it was refused in.
pub fn next(state: ActionState, step: &ActionStep) -> Result<ActionState, Violation> {
    use ActionState as S;
    let to =
        match (state, step) {
            (S::Open, ActionStep::RecordCause { .. }) => S::CauseFound,
            // A cause may be restated before the measure.
            (S::CauseFound, ActionStep::RecordCause { .. }) => S::CauseFound,
            (S::CauseFound, ActionStep::CloseWithEvidence { .. }) => S::Closed,
            (S::Closed, ActionStep::Verify { .. }) => S::Verified,
            (S::Closed, ActionStep::Reject { .. }) => S::CauseFound,
            (S::Verified, ActionStep::Standardise { .. }) => S::Standardised,
            _ => {
                return Err(Violation::new("step", "quality_audit.action_step")
                    .with_detail(format!("{}:{}", state.code(), step.code())));
            }
        };
    Ok(to)
}

/// The steps allowed from `state` (codes), for the page's buttons.
pub fn allowed(state: ActionState) -> &'static [&'static str] {
    match state {
        ActionState::Open => &["record_cause"],
        ActionState::CauseFound => &["record_cause", "close_with_evidence"],
        ActionState::Closed => &["verify", "reject"],
        ActionState::Verified => &["standardise"],
        ActionState::Standardised => &[],
    }
}
