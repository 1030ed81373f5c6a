//! What closing a complaint needs: the three zeros (三归零) — the customer's problem
//! solved (投诉归零), the management cause fixed (管理归零), the technical cause fixed
//! (技术归零) — each done with evidence or not applicable with a reason, and a
//! follow-up call in which the customer gives a satisfaction score (1–5) and accepts
//! the closure.

use serde::{Deserialize, Serialize};

use super::code_enum;
use crate::{Violation, Violations};

code_enum!(
    /// One of the three zeros.
    Zero, "complaint.zero_unknown", "zero" {
        /// 投诉归零: the customer's problem is solved.
        Complaint => "complaint",
        /// 管理归零: the management cause is fixed.
        Management => "management",
        /// 技术归零: the technical cause is fixed.
        Technical => "technical",
    }
);

/// How one zero was met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "text")]
pub enum ZeroStatus {
    /// Done, with the evidence written down.
    Done(String),
    /// Not applicable, with the reason.
    NotApplicable(String),
}

impl ZeroStatus {
    /// From the status code (`done`, `not_applicable`) and its text.
    pub fn parse(zero: Zero, status: &str, text: &str) -> Result<ZeroStatus, Violation> {
        let field = format!("zeros.{}", zero.code());
        let t = text.trim();
        let need = |rule| Violation::new(format!("{field}.text"), rule);
        if t.chars().count() > super::MAX_TEXT_CHARS {
            return Err(need("text.length").with_detail(super::MAX_TEXT_CHARS.to_string()));
        }
        match status.trim() {
            "done" if t.is_empty() => Err(need("complaint.zero_evidence_required")),
            "done" => Ok(ZeroStatus::Done(t.to_string())),
            "not_applicable" if t.is_empty() => Err(need("complaint.zero_reason_required")),
            "not_applicable" => Ok(ZeroStatus::NotApplicable(t.to_string())),
            other => Err(Violation::new(
                format!("{field}.status"),
                "complaint.zero_status_unknown",
            )
            .with_detail(other.to_string())),
        }
    }

    /// The status code.
    pub fn code(&self) -> &'static str {
        match self {
            ZeroStatus::Done(_) => "done",
            ZeroStatus::NotApplicable(_) => "not_applicable",
        }
    }

    /// The evidence or reason.
    pub fn text(&self) -> &str {
        match self {
            ZeroStatus::Done(t) | ZeroStatus::NotApplicable(t) => t,
        }
    }
}

/// The follow-up call's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    /// Satisfaction 1 (very unhappy) to 5 (very happy).
    pub satisfaction: u8,
    /// Whether the customer accepts the closure.
    pub accepts_closure: bool,
}

impl FollowUp {
    /// A follow-up with a score in 1..=5.
    pub fn new(satisfaction: i64, accepts_closure: bool) -> Result<FollowUp, Violation> {
        if !(1..=5).contains(&satisfaction) {
            return Err(
                Violation::new("satisfaction", "complaint.satisfaction_range").with_detail("1-5"),
            );
        }
        Ok(FollowUp {
            satisfaction: satisfaction as u8,
            accepts_closure,
        })
    }
}

/// Whether a complaint with these zeros and this follow-up may be closed; every
/// missing piece is named.
pub fn may_close(
    zeros: &[(Zero, ZeroStatus)],
    follow_up: Option<FollowUp>,
) -> Result<(), Violations> {
    let mut v = Violations::new();
    for z in Zero::ALL {
        if !zeros.iter().any(|(k, _)| k == z) {
            v.push(Violation::new(
                format!("zeros.{}", z.code()),
                "complaint.zero_missing",
            ));
        }
    }
    match follow_up {
        None => v.push(Violation::new("follow_up", "complaint.follow_up_missing")),
        Some(f) if !f.accepts_closure => v.push(Violation::new(
            "follow_up.accepts_closure",
            "complaint.closure_not_accepted",
        )),
        Some(_) => {}
    }
    v.into_result()
}
