//! The replacement or refund request (Arts 25–29): filed citing a right that arose,
//! answered within 10 working days, performed within 20 working days, with the Art 27
//! usage charge, and new periods for a replacement car (Arts 25–29).
//!
//! Working days are the station's calendar (`domain::calendar`, China's holiday plan
//! with 调休). The day of filing is not counted (Civil Code Art 201): the first working
//! day after it is day 1. Assumption to check against the published text: the 20-day
//! performance deadline runs from the acceptance, not from the filing.

use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::period::{Article, Coverage, PeriodError, Policy};
use super::right::{Right, RightKind};
use crate::calendar::WorkingCalendar;
use crate::money::Money;

/// Working days to answer a request.
pub const ANSWER_WORKING_DAYS: u32 = 10;
/// Working days to replace or refund once accepted.
pub const PERFORM_WORKING_DAYS: u32 = 20;
/// Art 27 coefficient range, in basis points of the price per 1,000 km (0.5%–0.8%).
pub const USAGE_COEFFICIENT_BP: std::ops::RangeInclusive<u32> = 50..=80;

/// Why a request step is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The cited right never arose for this vehicle.
    #[error("the cited right never arose")]
    RightNotArisen,
    /// The cited right is not a replacement or refund right.
    #[error("the cited right does not give replacement or refund")]
    NotReplacementRight,
    /// Filed before the right arose.
    #[error("filed before the right arose")]
    FiledBeforeRight,
    /// A step not allowed in the current state.
    #[error("not allowed in state {0}")]
    State(&'static str),
    /// A step dated before the previous one.
    #[error("date before the previous step")]
    DateOrder,
    /// Refusal without a reason.
    #[error("a refusal needs a reason")]
    ReasonMissing,
    /// Coefficient outside Art 27's range.
    #[error("coefficient outside 0.5%..0.8%")]
    Coefficient,
    /// No working day found within ten years.
    #[error("no working day in the calendar")]
    NoWorkingDay,
}

impl From<RequestError> for crate::Violation {
    fn from(e: RequestError) -> Self {
        use crate::Violation as V;
        match e {
            RequestError::RightNotArisen => V::new("right", "guarantee.right_not_arisen"),
            RequestError::NotReplacementRight => V::new("right", "guarantee.right_kind"),
            RequestError::FiledBeforeRight => V::new("filed_on", "guarantee.filed_before_right"),
            RequestError::State(s) => V::new("state", "guarantee.request_state").with_detail(s),
            RequestError::DateOrder => V::new("on", "guarantee.request_date_order"),
            RequestError::ReasonMissing => V::new("reason", "guarantee.request_reason"),
            RequestError::Coefficient => V::new("coefficient", "guarantee.usage_coefficient")
                .with_detail(Article::Art27.cite()),
            RequestError::NoWorkingDay => V::new("calendar", "guarantee.no_working_day"),
        }
        .with_detail_if_none(Article::Art25.cite())
    }
}

trait DetailIfNone {
    fn with_detail_if_none(self, d: &str) -> Self;
}

impl DetailIfNone for crate::Violation {
    fn with_detail_if_none(self, d: &str) -> Self {
        if self.detail.is_some() {
            self
        } else {
            self.with_detail(d)
        }
    }
}

/// The `n`-th working day after `from` (the day itself not counted).
pub fn add_working_days(cal: &WorkingCalendar, from: Date, n: u32) -> Result<Date, RequestError> {
    let mut day = from;
    let mut left = n;
    let mut steps = 0u32;
    while left > 0 {
        day = day
            .checked_add(1.day())
            .map_err(|_| RequestError::NoWorkingDay)?;
        steps += 1;
        if steps > 3660 {
            return Err(RequestError::NoWorkingDay);
        }
        if cal.is_working_day(day) {
            left -= 1;
        }
    }
    Ok(day)
}

/// What the owner asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// A replacement car.
    Replacement,
    /// A refund.
    Refund,
}

/// Where a request stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum RequestState {
    /// Filed, awaiting the answer.
    Filed,
    /// Accepted on a day; to perform by `perform_by`.
    Accepted {
        /// Day of the answer.
        on: Date,
        /// Last day to replace or refund.
        perform_by: Date,
    },
    /// Refused, with the reason.
    Refused {
        /// Day of the answer.
        on: Date,
        /// Why.
        reason: String,
    },
    /// Replaced or refunded.
    Performed {
        /// Day done.
        on: Date,
    },
}

impl RequestState {
    fn name(&self) -> &'static str {
        match self {
            RequestState::Filed => "filed",
            RequestState::Accepted { .. } => "accepted",
            RequestState::Refused { .. } => "refused",
            RequestState::Performed { .. } => "performed",
        }
    }
}

/// How a deadline stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineStatus {
    /// Nothing is due.
    None,
    /// Due later.
    Running,
    /// Due today (warn).
    DueToday,
    /// Past (escalate).
    Overdue,
}

/// A replacement or refund request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// Replacement or refund.
    pub kind: RequestKind,
    /// The cited right (article and subject).
    pub article: Article,
    /// Subject of the cited right.
    pub subject: String,
    /// Day filed.
    pub filed_on: Date,
    /// Last day to answer.
    pub answer_by: Date,
    /// Current state.
    pub state: RequestState,
}

impl Request {
    /// Files a request citing `cited`, which must be among `rights` (the vehicle's
    /// assessment) and give replacement or refund; it cannot precede the local day
    /// (in `cal`'s zone) the right arose.
    pub fn file(
        kind: RequestKind,
        cited: &Right,
        rights: &[Right],
        filed_on: Date,
        cal: &WorkingCalendar,
    ) -> Result<Request, RequestError> {
        if !rights.iter().any(|r| r.key() == cited.key()) {
            return Err(RequestError::RightNotArisen);
        }
        if cited.kind != RightKind::ReplacementOrRefund {
            return Err(RequestError::NotReplacementRight);
        }
        if filed_on < cal.local(cited.arose_at).date() {
            return Err(RequestError::FiledBeforeRight);
        }
        Ok(Request {
            kind,
            article: cited.article,
            subject: cited.subject.clone(),
            filed_on,
            answer_by: add_working_days(cal, filed_on, ANSWER_WORKING_DAYS)?,
            state: RequestState::Filed,
        })
    }

    /// Accepts on `on`; the performance deadline is 20 working days later.
    pub fn accept(&mut self, on: Date, cal: &WorkingCalendar) -> Result<(), RequestError> {
        self.must_be_filed(on)?;
        let perform_by = add_working_days(cal, on, PERFORM_WORKING_DAYS)?;
        self.state = RequestState::Accepted { on, perform_by };
        Ok(())
    }

    /// Refuses on `on` with a reason.
    pub fn refuse(&mut self, on: Date, reason: &str) -> Result<(), RequestError> {
        self.must_be_filed(on)?;
        if reason.trim().is_empty() {
            return Err(RequestError::ReasonMissing);
        }
        self.state = RequestState::Refused {
            on,
            reason: reason.trim().to_string(),
        };
        Ok(())
    }

    /// Records the replacement or refund on `on`.
    pub fn perform(&mut self, on: Date) -> Result<(), RequestError> {
        match &self.state {
            RequestState::Accepted { on: accepted, .. } if on >= *accepted => {
                self.state = RequestState::Performed { on };
                Ok(())
            }
            RequestState::Accepted { .. } => Err(RequestError::DateOrder),
            s => Err(RequestError::State(s.name())),
        }
    }

    fn must_be_filed(&self, on: Date) -> Result<(), RequestError> {
        if self.state != RequestState::Filed {
            return Err(RequestError::State(self.state.name()));
        }
        if on < self.filed_on {
            return Err(RequestError::DateOrder);
        }
        Ok(())
    }

    /// The deadline running on `today` and how it stands: for the job machinery to warn
    /// on the day and escalate after it.
    pub fn deadline(&self, today: Date) -> (Option<Date>, DeadlineStatus) {
        let due = match &self.state {
            RequestState::Filed => Some(self.answer_by),
            RequestState::Accepted { perform_by, .. } => Some(*perform_by),
            _ => None,
        };
        let status = match due {
            None => DeadlineStatus::None,
            Some(d) if today < d => DeadlineStatus::Running,
            Some(d) if today == d => DeadlineStatus::DueToday,
            Some(_) => DeadlineStatus::Overdue,
        };
        (due, status)
    }
}

/// Art 27 usage charge: price × km driven ÷ 1,000 × n, n between 0.5% and 0.8% (given
/// in basis points, 50..=80), rounded to the fen.
pub fn usage_charge(
    price: Money,
    km_driven: u32,
    coefficient_bp: u32,
) -> Result<Money, RequestError> {
    if !USAGE_COEFFICIENT_BP.contains(&coefficient_bp) {
        return Err(RequestError::Coefficient);
    }
    let p = i128::from(price.fen()) * i128::from(km_driven) * i128::from(coefficient_bp);
    let div: i128 = 1_000 * 10_000;
    let q = (p + div / 2) / div;
    Ok(Money::from_fen(i64::try_from(q).unwrap_or(i64::MAX)))
}

/// The periods of a replacement car (Arts 25–29): they start anew from its delivery.
pub fn replacement_coverage(delivered_on: Date, policy: &Policy) -> Result<Coverage, PeriodError> {
    Coverage::new(delivered_on, None, policy)
}
