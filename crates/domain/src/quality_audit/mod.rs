//! Quality audits (SPEC §10): head-office, third-party and mystery-shopper visits
//! scored on a versioned checklist ([`checklist`]), the compliance rate (落实率 =
//! checkpoints passed ÷ checkpoints applicable) and the corrective action every
//! failed checkpoint becomes ([`action`]: problem → cause → measure with evidence →
//! verified by the auditor → standardised).
//!
//! Named `quality_audit`, not `audit`, because `audit` in this code base is the audit
//! log of who read or changed what.

pub mod action;
pub mod checklist;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::Violation;
use crate::complaint::code_enum;
use crate::text::Lines;

code_enum!(
    /// Who audits.
    AuditKind, "quality_audit.kind_unknown", "kind" {
        /// Head office's own quality staff.
        HeadOffice => "head_office",
        /// An outside audit company.
        ThirdParty => "third_party",
        /// A mystery shopper (神秘客户), visiting as a customer.
        MysteryShopper => "mystery_shopper",
    }
);

code_enum!(
    /// The result of one checkpoint.
    Verdict, "quality_audit.verdict_unknown", "verdict" {
        /// Done as the checkpoint says.
        Pass => "pass",
        /// Not done: becomes a corrective action.
        Fail => "fail",
        /// Does not apply at this visit (left out of the rate).
        NotApplicable => "not_applicable",
    }
);

/// The longest note, finding or evidence text, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;

/// Days a station has to close a corrective action unless the auditor says otherwise.
pub const DEFAULT_ACTION_DAYS: i64 = 14;

/// A required free text (a finding, a cause, a measure, evidence), cleaned of
/// invisible and control characters; the violation names `field`.
pub fn required_text(field: &str, value: &str) -> Result<String, Violation> {
    match crate::text::clean(value, MAX_TEXT_CHARS, Lines::Many) {
        Ok(Some(t)) => Ok(t),
        Ok(None) => Err(Violation::new(field, "quality_audit.text_required")),
        Err(e) => {
            let mut v = Violation::from(e);
            v.field = field.to_string();
            Err(v)
        }
    }
}

/// An optional free text: `None` when empty.
pub fn optional_text(field: &str, value: Option<&str>) -> Result<Option<String>, Violation> {
    match value {
        None => Ok(None),
        Some(v) => match crate::text::clean(v, MAX_TEXT_CHARS, Lines::Many) {
            Ok(t) => Ok(t),
            Err(e) => {
                let mut v = Violation::from(e);
                v.field = field.to_string();
                Err(v)
            }
        },
    }
}

/// Counts of one visit or one step: how many checkpoints passed, failed and were
/// applicable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Checkpoints passed.
    pub passed: u32,
    /// Checkpoints failed.
    pub failed: u32,
    /// Checkpoints not applicable.
    pub not_applicable: u32,
}

impl Tally {
    /// Adds one verdict.
    pub fn add(&mut self, v: Verdict) {
        match v {
            Verdict::Pass => self.passed += 1,
            Verdict::Fail => self.failed += 1,
            Verdict::NotApplicable => self.not_applicable += 1,
        }
    }

    /// The tally of some verdicts.
    pub fn of(verdicts: impl IntoIterator<Item = Verdict>) -> Tally {
        let mut t = Tally::default();
        for v in verdicts {
            t.add(v);
        }
        t
    }

    /// Checkpoints that count: passed + failed.
    pub fn applicable(&self) -> u32 {
        self.passed + self.failed
    }

    /// The compliance rate (落实率) in basis points (0–10,000): passed ÷ applicable,
    /// rounded half up; `None` when nothing was applicable (no rate, not 0 %).
    pub fn compliance_bp(&self) -> Option<u32> {
        let a = u64::from(self.applicable());
        if a == 0 {
            return None;
        }
        let p = u64::from(self.passed);
        // (p × 10,000 + a/2) ÷ a ≤ 10,000 since p ≤ a.
        u32::try_from((p * 10_000 + a / 2) / a).ok()
    }
}
