//! Exclusions (Art 32): the repairer is not bound by the three guarantees for the fault
//! concerned when one of the listed grounds applies. An exclusion is recorded on the
//! line of that fault, with its ground and evidence; it never removes other faults.

use serde::{Deserialize, Serialize};

/// The grounds of Art 32.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExclusionReason {
    /// A defect disclosed to the buyer in writing at sale.
    DisclosedDefect,
    /// Use, care or servicing against the manual or the 三包凭证.
    UseAgainstManual,
    /// Modification, adjustment or dismantling the manual forbids.
    ForbiddenModification,
    /// The owner's improper handling after the fault appeared.
    ImproperHandling,
    /// Force majeure.
    ForceMajeure,
}

impl ExclusionReason {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            ExclusionReason::DisclosedDefect => "disclosed_defect",
            ExclusionReason::UseAgainstManual => "use_against_manual",
            ExclusionReason::ForbiddenModification => "forbidden_modification",
            ExclusionReason::ImproperHandling => "improper_handling",
            ExclusionReason::ForceMajeure => "force_majeure",
        }
    }
}

/// Why an exclusion is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ExclusionError {
    /// No evidence (a document, photo or report reference).
    #[error("an exclusion needs evidence (art32)")]
    EvidenceMissing,
    /// No explanation in words.
    #[error("an exclusion needs an explanation (art32)")]
    ExplanationMissing,
}

impl From<ExclusionError> for crate::Violation {
    fn from(e: ExclusionError) -> Self {
        let art = super::period::Article::Art32.cite();
        match e {
            ExclusionError::EvidenceMissing => {
                crate::Violation::new("evidence", "guarantee.exclusion_evidence").with_detail(art)
            }
            ExclusionError::ExplanationMissing => {
                crate::Violation::new("explanation", "guarantee.exclusion_explanation")
                    .with_detail(art)
            }
        }
    }
}

/// An exclusion of one fault, with its ground, explanation and evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exclusion {
    reason: ExclusionReason,
    explanation: String,
    evidence: String,
}

impl Exclusion {
    /// An exclusion; explanation and evidence must both be given.
    pub fn new(
        reason: ExclusionReason,
        explanation: &str,
        evidence: &str,
    ) -> Result<Exclusion, ExclusionError> {
        let (explanation, evidence) = (explanation.trim(), evidence.trim());
        if explanation.is_empty() {
            return Err(ExclusionError::ExplanationMissing);
        }
        if evidence.is_empty() {
            return Err(ExclusionError::EvidenceMissing);
        }
        Ok(Exclusion {
            reason,
            explanation: explanation.to_string(),
            evidence: evidence.to_string(),
        })
    }

    /// The ground.
    pub fn reason(&self) -> ExclusionReason {
        self.reason
    }

    /// The explanation.
    pub fn explanation(&self) -> &str {
        &self.explanation
    }

    /// The evidence reference.
    pub fn evidence(&self) -> &str {
        &self.evidence
    }
}
