//! The money rules of a bill, without I/O: what a provider's notice does to a
//! payment ([`decide`]), how money moves on the bill ([`Held`]), what a refund may
//! give back ([`plan_refund`]) and who may approve it ([`approval_limit`]).
//!
//! The store keeps the same arithmetic in guarded SQL updates (so simultaneous
//! notices cannot both win); these functions are the rules those updates follow and
//! the model the property tests below run any sequence of events against.

pub mod answer;
pub mod channel;
pub mod notice;
pub mod reconciliation;
pub mod statement;

use crate::role::Role;
use crate::violation::Violation;

/// What a verified provider notice does to the payment it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The same notice again: nothing changes.
    Duplicate,
    /// A pending payment is paid (or failed): apply it.
    Apply,
    /// Money for a payment we had given up on (failed, closed, cancelled): keep it
    /// as `paid_late` and flag the bill.
    Late,
    /// Another provider transaction for a payment already paid: the payer paid
    /// twice; keep it as a payment of its own, a refund to make.
    PaidTwice,
    /// Nothing to do with money that moved (a failure after a payment): refused.
    Refuse,
}

/// What a notice with `status` (`paid` or `failed`) and a provider reference equal
/// (`same_ref`) or not to the payment's does to a payment in `state`.
pub fn decide(state: &str, status: &str, same_ref: bool) -> Decision {
    match (state, status) {
        ("paid", "paid") | ("failed", "failed") | ("paid_late", "paid") if same_ref => {
            Decision::Duplicate
        }
        ("paid" | "paid_late", "paid") => Decision::PaidTwice,
        ("pending", _) => Decision::Apply,
        ("failed" | "cancelled" | "closed", "paid") => Decision::Late,
        _ => Decision::Refuse,
    }
}

/// The money of a bill, fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Held {
    /// The bill's gross total.
    pub gross_fen: i64,
    /// Received towards the bill, never above the gross.
    pub paid_fen: i64,
    /// Received beyond the gross and not yet given back: a refund to make.
    pub refund_fen: i64,
    /// Credited on the bill by line refunds.
    pub refunded_fen: i64,
}

/// Why money cannot move on a bill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HeldError {
    /// The payment would take the bill above its total, or the bill is paid.
    #[error("the bill does not owe that amount")]
    NotPayable,
}

impl Held {
    /// Whether the bill is paid.
    pub fn is_paid(&self) -> bool {
        self.paid_fen >= self.gross_fen
    }

    /// What the payer has given us and we still hold: payments less refunds.
    pub fn holding_fen(&self) -> i64 {
        self.paid_fen + self.refund_fen - self.refunded_fen
    }

    /// A payment that was expected (desk, or an open provider order): refused when
    /// it would take the bill above its total.
    pub fn pay(self, amount: i64) -> Result<Held, HeldError> {
        if self.is_paid() || self.paid_fen + amount > self.gross_fen {
            return Err(HeldError::NotPayable);
        }
        Ok(Held {
            paid_fen: self.paid_fen + amount,
            ..self
        })
    }

    /// Money that was not expected: never refused; what goes beyond the total is a
    /// refund to make.
    pub fn pay_late(self, amount: i64) -> Held {
        let total = self.paid_fen + amount;
        Held {
            paid_fen: total.min(self.gross_fen),
            refund_fen: self.refund_fen + (total - self.gross_fen).max(0),
            ..self
        }
    }

    /// A refund asked for (reserved at once, so two refunds cannot both give back
    /// the same money).
    pub fn refund(self, plan: &RefundPlan) -> Held {
        Held {
            refund_fen: self.refund_fen - plan.excess_fen,
            refunded_fen: self.refunded_fen + plan.credit_fen,
            ..self
        }
    }

    /// A refund the provider refused: the reservation is given back.
    pub fn refund_failed(self, plan: &RefundPlan) -> Held {
        Held {
            refund_fen: self.refund_fen + plan.excess_fen,
            refunded_fen: self.refunded_fen - plan.credit_fen,
            ..self
        }
    }
}

/// A line of the bill as a refund sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BillLine {
    /// Line number.
    pub line_no: i64,
    /// What the line charged with its VAT, fen.
    pub gross_fen: i64,
    /// Already credited by earlier refunds (not failed), fen.
    pub credited_fen: i64,
}

/// A line's charge with its VAT, rounded half up to the fen.
pub fn line_gross(net_fen: i64, vat_bp: i64) -> i64 {
    net_fen + (net_fen * vat_bp + 5_000) / 10_000
}

/// What a refund gives back, checked against the bill.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RefundPlan {
    /// Per line: line number and amount credited, fen.
    pub lines: Vec<(i64, i64)>,
    /// Credited on the bill (the lines' sum), fen.
    pub credit_fen: i64,
    /// Overpayment given back, fen.
    pub excess_fen: i64,
}

impl RefundPlan {
    /// The whole amount given back, fen.
    pub fn amount_fen(&self) -> i64 {
        self.credit_fen + self.excess_fen
    }
}

/// Why a refund is refused; each names the field and a stable rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundError {
    /// Nothing to give back.
    #[error("a refund gives back something")]
    Empty,
    /// The line is not on the bill.
    #[error("line {0} is not on the bill")]
    UnknownLine(i64),
    /// A line named twice.
    #[error("line {0} is named twice")]
    LineTwice(i64),
    /// A line amount that is not positive.
    #[error("line {0}: amount must be positive")]
    Amount(i64),
    /// More than what is left of the line.
    #[error("line {no}: at most {max} fen")]
    AboveLine {
        /// The line.
        no: i64,
        /// What is left of it.
        max: i64,
    },
    /// More overpayment than was received.
    #[error("at most {0} fen of overpayment")]
    AboveExcess(i64),
    /// More than was paid and is still held.
    #[error("at most {0} fen was paid")]
    AbovePaid(i64),
}

impl From<RefundError> for Violation {
    fn from(e: RefundError) -> Violation {
        match e {
            RefundError::Empty => Violation::new("lines", "refund.empty"),
            RefundError::UnknownLine(n) => {
                Violation::new(format!("lines[{n}]"), "refund.line_unknown")
            }
            RefundError::LineTwice(n) => Violation::new(format!("lines[{n}]"), "refund.line_twice"),
            RefundError::Amount(n) => {
                Violation::new(format!("lines[{n}].amount_fen"), "number.range").with_detail("1..")
            }
            RefundError::AboveLine { no, max } => {
                Violation::new(format!("lines[{no}].amount_fen"), "refund.above_line")
                    .with_detail(max.to_string())
            }
            RefundError::AboveExcess(max) => {
                Violation::new("excess_fen", "refund.above_excess").with_detail(max.to_string())
            }
            RefundError::AbovePaid(max) => {
                Violation::new("amount_fen", "refund.above_paid").with_detail(max.to_string())
            }
        }
    }
}

/// Checks a refund of `wanted` line amounts (line number, fen) and `excess` fen of
/// overpayment against the bill: each line at most what is left of it, the whole
/// credit at most what was paid and not yet credited, the excess at most the
/// refund to make.
pub fn plan_refund(
    held: &Held,
    lines: &[BillLine],
    wanted: &[(i64, i64)],
    excess: i64,
) -> Result<RefundPlan, RefundError> {
    if wanted.is_empty() && excess <= 0 {
        return Err(RefundError::Empty);
    }
    let mut seen = Vec::new();
    for &(no, amount) in wanted {
        if seen.contains(&no) {
            return Err(RefundError::LineTwice(no));
        }
        seen.push(no);
        let line = lines
            .iter()
            .find(|l| l.line_no == no)
            .ok_or(RefundError::UnknownLine(no))?;
        if amount <= 0 {
            return Err(RefundError::Amount(no));
        }
        let left = (line.gross_fen - line.credited_fen).max(0);
        if amount > left {
            return Err(RefundError::AboveLine { no, max: left });
        }
    }
    if excess < 0 || excess > held.refund_fen {
        return Err(RefundError::AboveExcess(held.refund_fen));
    }
    let credit: i64 = wanted.iter().map(|(_, a)| a).sum();
    let creditable = (held.paid_fen - held.refunded_fen).max(0);
    if credit > creditable {
        return Err(RefundError::AbovePaid(creditable));
    }
    Ok(RefundPlan {
        lines: wanted.to_vec(),
        credit_fen: credit,
        excess_fen: excess,
    })
}

/// How much each role may refund on its own approval, fen (settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundLimits {
    /// A service advisor (the desk).
    pub advisor_fen: i64,
    /// A station manager.
    pub station_manager_fen: i64,
}

impl Default for RefundLimits {
    fn default() -> Self {
        RefundLimits {
            advisor_fen: 50_000,
            station_manager_fen: 500_000,
        }
    }
}

/// The most `role` may refund at once; `None` when unlimited (head office).
pub fn approval_limit(role: Role, limits: &RefundLimits) -> Option<i64> {
    match role {
        Role::Administrator => None,
        Role::StationManager => Some(limits.station_manager_fen),
        Role::ServiceAdvisor => Some(limits.advisor_fen),
        _ => Some(0),
    }
}

#[cfg(test)]
mod tests;
