//! Callback surveys (回访, SPEC §10): versioned questionnaires whose questions map to
//! the six CSI factors with importance weights, answer checking, the scores (CSI on a
//! 100-point scale, NPS) with their sample sizes and confidence intervals, the
//! importance–performance analysis, the monthly stratified sample and the hot-alert
//! rule.
//!
//! Everything here is pure: the app layer loads the answers and candidates, asks these
//! functions, and saves what they say.

pub mod alert;
pub mod default;
pub mod importance;
pub mod questionnaire;
pub mod sampling;
pub mod score;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::Violation;
use crate::complaint::code_enum;

pub use questionnaire::{Answer, Question, Questionnaire, Scale};

code_enum!(
    /// The six CSI factors (SPEC §10) a scored question belongs to.
    Factor, "survey.factor_unknown", "factor" {
        /// 预约: booking and being received on time.
        Appointment => "appointment",
        /// 接待与诊断: reception and diagnosis.
        Reception => "reception",
        /// 设施: the lounge, access, parking.
        Facility => "facility",
        /// 服务价值: price and value for money.
        Value => "value",
        /// 服务团队: the people.
        Team => "team",
        /// 服务质量: fixed right, on time.
        Quality => "quality",
    }
);

code_enum!(
    /// Why a customer is asked.
    Reason, "survey.reason_unknown", "reason" {
        /// The follow-up after a delivery (due within 3 days).
        Delivery => "delivery",
        /// The monthly network sample of last month's customers.
        Monthly => "monthly",
    }
);

code_enum!(
    /// Where an invitation stands.
    State, "survey.state_unknown", "state" {
        /// Sent or queued, not answered yet.
        Pending => "pending",
        /// Some answers saved, not finished.
        Partial => "partial",
        /// Every required question answered.
        Answered => "answered",
        /// The customer declined to answer.
        Refused => "refused",
        /// The customer could not be reached.
        Unreachable => "unreachable",
        /// The link ran out before an answer.
        Expired => "expired",
    }
);

impl State {
    /// Whether answers may still be given.
    pub fn is_open(self) -> bool {
        matches!(self, State::Pending | State::Partial)
    }
}

code_enum!(
    /// Why a call reached no answer (recorded by the agent).
    UnreachableReason, "survey.unreachable_reason_unknown", "unreachable_reason" {
        /// Rang out, nobody answered.
        NoAnswer => "no_answer",
        /// The number is wrong or out of service.
        WrongNumber => "wrong_number",
        /// Switched off or out of coverage.
        SwitchedOff => "switched_off",
        /// Busy on every try.
        Busy => "busy",
        /// Asked to be called later and not reached again.
        CallBack => "call_back",
    }
);

/// How many days a delivery survey may wait before it is due (SPEC §10).
pub const DELIVERY_DUE_DAYS: i64 = 3;

/// How many days a one-time survey link stays valid.
pub const LINK_VALID_DAYS: i64 = 14;

/// Checks the call-centre agent's reason for an unreachable customer.
pub fn unreachable_reason(code: &str) -> Result<UnreachableReason, Violation> {
    UnreachableReason::parse(code)
}

/// A month as stored and asked (`2026-11`), for the monthly sample and the reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Month {
    /// Calendar year.
    pub year: i16,
    /// 1–12.
    pub month: i8,
}

impl Month {
    /// Parses `YYYY-MM`; anything else is `survey.month_malformed` on `field`.
    pub fn parse(field: &str, s: &str) -> Result<Month, Violation> {
        let bad = || Violation::new(field, "survey.month_malformed").with_detail(s.to_string());
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i16 = y.parse().map_err(|_| bad())?;
        let month: i8 = m.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) || year < 2000 {
            return Err(bad());
        }
        Ok(Month { year, month })
    }

    /// The month a date falls in.
    pub fn of(date: jiff::civil::Date) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    /// The first day.
    pub fn first_day(self) -> jiff::civil::Date {
        jiff::civil::date(self.year, self.month, 1)
    }

    /// The month before.
    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// The month after.
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}
