//! Estimates (估价单) and what may be invoiced (SPEC §5, price transparency): labour
//! and parts lines, each approved or declined by the owner with a record of how;
//! approved lines are frozen, declined ones can be offered again later, and only
//! approved work that was done reaches the invoice. Comeback lines are free.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::money::Money;

/// Default VAT rate in basis points (13%).
pub const DEFAULT_VAT_BP: i64 = 1300;

/// Largest quantity of one part line: 10,000 units, in hundredths.
const MAX_QUANTITY_HUNDREDTHS: i64 = 1_000_000;

/// Why an estimate operation is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EstimateError {
    /// No line with this number.
    #[error("line {0} not found")]
    LineUnknown(u32),
    /// The line is already approved or declined.
    #[error("line {0} is already decided")]
    AlreadyDecided(u32),
    /// An approved line cannot change.
    #[error("line {0} is approved and frozen")]
    Frozen(u32),
    /// Only a declined line can be offered again.
    #[error("line {0} is not declined")]
    NotDeclined(u32),
    /// The line has not been approved.
    #[error("line {0} is not approved")]
    NotApproved(u32),
    /// The line's work has not been done.
    #[error("line {0} is not done")]
    NotDone(u32),
    /// Operation code or part number missing.
    #[error("operation code or part number missing")]
    CodeMissing,
    /// Hours not in 0.01..=100.00.
    #[error("hours out of range")]
    HoursRange,
    /// Quantity not in 0.01..=10,000.
    #[error("quantity out of range")]
    QuantityRange,
    /// A negative rate or price.
    #[error("price must not be negative")]
    PriceNegative,
    /// VAT rate not in 0..=10000 basis points.
    #[error("VAT rate out of range")]
    VatRange,
    /// An approval without who approved it.
    #[error("approver missing")]
    ApproverMissing,
}

impl From<EstimateError> for crate::Violation {
    fn from(e: EstimateError) -> Self {
        use crate::Violation as V;
        let line = |no: u32| format!("lines[{no}]");
        match e {
            EstimateError::LineUnknown(n) => V::new(line(n), "estimate.line_unknown"),
            EstimateError::AlreadyDecided(n) => V::new(line(n), "estimate.line_decided"),
            EstimateError::Frozen(n) => V::new(line(n), "estimate.line_frozen"),
            EstimateError::NotDeclined(n) => V::new(line(n), "estimate.line_not_declined"),
            EstimateError::NotApproved(n) => V::new(line(n), "estimate.line_not_approved"),
            EstimateError::NotDone(n) => V::new(line(n), "estimate.line_not_done"),
            EstimateError::CodeMissing => V::new("code", "estimate.code_missing"),
            EstimateError::HoursRange => V::new("hours", "estimate.hours_range"),
            EstimateError::QuantityRange => V::new("quantity", "estimate.quantity_range"),
            EstimateError::PriceNegative => V::new("price", "estimate.price_negative"),
            EstimateError::VatRange => V::new("vat", "estimate.vat_range"),
            EstimateError::ApproverMissing => V::new("approved_by", "estimate.approver_missing"),
        }
    }
}

/// The owner's decision on a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Offered, not yet decided.
    Proposed,
    /// Approved: may be done and charged.
    Approved,
    /// Declined: kept for a later offer.
    Declined,
}

impl Decision {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Decision::Proposed => "proposed",
            Decision::Approved => "approved",
            Decision::Declined => "declined",
        }
    }
}

/// How an approval or decline was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalChannel {
    /// Signed at the service desk (pad or paper).
    DeskSignature,
    /// From the owner's page.
    OwnerPage,
    /// In person, confirmed by the advisor.
    InPerson,
}

impl ApprovalChannel {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            ApprovalChannel::DeskSignature => "desk_signature",
            ApprovalChannel::OwnerPage => "owner_page",
            ApprovalChannel::InPerson => "in_person",
        }
    }

    /// The channel named by `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        [Self::DeskSignature, Self::OwnerPage, Self::InPerson]
            .into_iter()
            .find(|c| c.code() == code)
    }
}

/// Who decided a line, when and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRecord {
    /// Who decided (owner name or user id).
    pub by: String,
    /// When.
    pub at: Timestamp,
    /// How.
    pub channel: ApprovalChannel,
    /// Client IP for owner-page decisions.
    pub ip: Option<String>,
    /// Reference to the stored signature image, if signed.
    pub signature_ref: Option<String>,
}

/// What a line charges for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum LineItem {
    /// A labour operation: hours × the station's hourly rate.
    Labour {
        /// Labour operation code.
        operation_code: String,
        /// Hours in hundredths.
        hundredths: i64,
        /// Station hourly rate.
        hourly_rate: Money,
    },
    /// A part: quantity × unit price.
    Part {
        /// Part number.
        part_number: String,
        /// Quantity in hundredths (1 piece = 100, 4.5 L = 450).
        quantity_hundredths: i64,
        /// Catalogue price per unit.
        unit_price: Money,
    },
}

impl LineItem {
    /// The line amount before VAT, rounded half up to the fen.
    pub fn amount(&self) -> Money {
        match self {
            LineItem::Labour {
                hundredths,
                hourly_rate,
                ..
            } => hourly_rate.times_hundredths(*hundredths),
            LineItem::Part {
                quantity_hundredths,
                unit_price,
                ..
            } => unit_price.times_hundredths(*quantity_hundredths),
        }
    }

    fn check(&self) -> Result<(), EstimateError> {
        match self {
            LineItem::Labour {
                operation_code,
                hundredths,
                hourly_rate,
            } => {
                if operation_code.trim().is_empty() {
                    return Err(EstimateError::CodeMissing);
                }
                if !(1..=crate::labour::MAX_HUNDREDTHS).contains(hundredths) {
                    return Err(EstimateError::HoursRange);
                }
                if hourly_rate.fen() < 0 {
                    return Err(EstimateError::PriceNegative);
                }
            }
            LineItem::Part {
                part_number,
                quantity_hundredths,
                unit_price,
            } => {
                if part_number.trim().is_empty() {
                    return Err(EstimateError::CodeMissing);
                }
                if !(1..=MAX_QUANTITY_HUNDREDTHS).contains(quantity_hundredths) {
                    return Err(EstimateError::QuantityRange);
                }
                if unit_price.fen() < 0 {
                    return Err(EstimateError::PriceNegative);
                }
            }
        }
        Ok(())
    }
}

/// One line of an estimate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EstimateLine {
    /// Line number, unique within the estimate, starting at 1.
    pub no: u32,
    /// What it charges for.
    pub item: LineItem,
    /// The owner's decision.
    pub decision: Decision,
    /// Who decided, when and how (once decided).
    pub record: Option<ApprovalRecord>,
    /// The declined line this one offers again.
    pub reoffer_of: Option<u32>,
    /// A comeback (返修) line: free of charge.
    pub comeback: bool,
    /// Whether the work or fitting was done.
    pub done: bool,
}

impl EstimateLine {
    /// What the owner pays for this line before VAT: zero for comebacks.
    pub fn charge(&self) -> Money {
        if self.comeback {
            Money::ZERO
        } else {
            self.item.amount()
        }
    }
}

/// Net, VAT and gross in fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Totals {
    /// Before VAT.
    pub net: Money,
    /// VAT on the net total.
    pub vat: Money,
    /// Net plus VAT.
    pub gross: Money,
}

/// An invoice drawn from an estimate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    /// The invoiced lines (approved and done).
    pub lines: Vec<EstimateLine>,
    /// Totals of the charged amounts.
    pub totals: Totals,
}

/// An estimate: numbered lines and the VAT rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Estimate {
    lines: Vec<EstimateLine>,
    vat_bp: i64,
}

impl Default for Estimate {
    fn default() -> Self {
        Self {
            lines: Vec::new(),
            vat_bp: DEFAULT_VAT_BP,
        }
    }
}

impl Estimate {
    /// An empty estimate at 13% VAT.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty estimate at `vat_bp` basis points.
    pub fn with_vat(vat_bp: i64) -> Result<Self, EstimateError> {
        if !(0..=10_000).contains(&vat_bp) {
            return Err(EstimateError::VatRange);
        }
        Ok(Self {
            lines: Vec::new(),
            vat_bp,
        })
    }

    /// An estimate as it was stored: its lines and VAT rate (checked as in
    /// [`Estimate::with_vat`]).
    pub fn restore(lines: Vec<EstimateLine>, vat_bp: i64) -> Result<Self, EstimateError> {
        let mut estimate = Self::with_vat(vat_bp)?;
        estimate.lines = lines;
        Ok(estimate)
    }

    /// VAT rate in basis points.
    pub fn vat_bp(&self) -> i64 {
        self.vat_bp
    }

    /// Every line in number order.
    pub fn lines(&self) -> &[EstimateLine] {
        &self.lines
    }

    /// Line `no`, if any.
    pub fn line(&self, no: u32) -> Option<&EstimateLine> {
        self.lines.iter().find(|l| l.no == no)
    }

    fn line_mut(&mut self, no: u32) -> Result<&mut EstimateLine, EstimateError> {
        self.lines
            .iter_mut()
            .find(|l| l.no == no)
            .ok_or(EstimateError::LineUnknown(no))
    }

    fn push(
        &mut self,
        item: LineItem,
        comeback: bool,
        reoffer_of: Option<u32>,
    ) -> Result<u32, EstimateError> {
        item.check()?;
        let no = self.lines.last().map_or(1, |l| l.no + 1);
        self.lines.push(EstimateLine {
            no,
            item,
            decision: Decision::Proposed,
            record: None,
            reoffer_of,
            comeback,
            done: false,
        });
        Ok(no)
    }

    /// Adds a proposed line; returns its number.
    pub fn add(&mut self, item: LineItem) -> Result<u32, EstimateError> {
        self.push(item, false, None)
    }

    /// Adds a proposed comeback line (free of charge); returns its number.
    pub fn add_comeback(&mut self, item: LineItem) -> Result<u32, EstimateError> {
        self.push(item, true, None)
    }

    /// Changes a proposed line's item (price, hours, quantity). Approved lines are frozen.
    pub fn change(&mut self, no: u32, item: LineItem) -> Result<(), EstimateError> {
        item.check()?;
        let line = self.line_mut(no)?;
        match line.decision {
            Decision::Proposed => {
                line.item = item;
                Ok(())
            }
            Decision::Approved => Err(EstimateError::Frozen(no)),
            Decision::Declined => Err(EstimateError::AlreadyDecided(no)),
        }
    }

    fn decide(
        &mut self,
        no: u32,
        decision: Decision,
        record: ApprovalRecord,
    ) -> Result<(), EstimateError> {
        if record.by.trim().is_empty() {
            return Err(EstimateError::ApproverMissing);
        }
        let line = self.line_mut(no)?;
        if line.decision != Decision::Proposed {
            return Err(EstimateError::AlreadyDecided(no));
        }
        line.decision = decision;
        line.record = Some(record);
        Ok(())
    }

    /// Approves proposed line `no`.
    pub fn approve(&mut self, no: u32, record: ApprovalRecord) -> Result<(), EstimateError> {
        self.decide(no, Decision::Approved, record)
    }

    /// Declines proposed line `no`.
    pub fn decline(&mut self, no: u32, record: ApprovalRecord) -> Result<(), EstimateError> {
        self.decide(no, Decision::Declined, record)
    }

    /// Offers declined line `no` again as a new proposed line referencing it.
    pub fn repropose(&mut self, no: u32) -> Result<u32, EstimateError> {
        let line = self.line(no).ok_or(EstimateError::LineUnknown(no))?;
        if line.decision != Decision::Declined {
            return Err(EstimateError::NotDeclined(no));
        }
        let (item, comeback) = (line.item.clone(), line.comeback);
        self.push(item, comeback, Some(no))
    }

    /// Marks approved line `no` as done (work finished or part fitted).
    pub fn mark_done(&mut self, no: u32) -> Result<(), EstimateError> {
        let line = self.line_mut(no)?;
        if line.decision != Decision::Approved {
            return Err(EstimateError::NotApproved(no));
        }
        line.done = true;
        Ok(())
    }

    fn totals_of<'a>(&self, lines: impl Iterator<Item = &'a EstimateLine>) -> Totals {
        let net = lines.fold(Money::ZERO, |acc, l| acc.plus(l.charge()));
        let vat = net.times_basis_points(self.vat_bp);
        Totals {
            net,
            vat,
            gross: net.plus(vat),
        }
    }

    /// Totals of what is still on offer or approved (declined lines excluded).
    pub fn quoted_totals(&self) -> Totals {
        self.totals_of(
            self.lines
                .iter()
                .filter(|l| l.decision != Decision::Declined),
        )
    }

    /// Totals of the approved lines.
    pub fn approved_totals(&self) -> Totals {
        self.totals_of(
            self.lines
                .iter()
                .filter(|l| l.decision == Decision::Approved),
        )
    }

    /// Checks that every line in `nos` may be invoiced (approved and done).
    pub fn check_invoice(&self, nos: &[u32]) -> Result<(), EstimateError> {
        for no in nos {
            let l = self.line(*no).ok_or(EstimateError::LineUnknown(*no))?;
            if l.decision != Decision::Approved {
                return Err(EstimateError::NotApproved(*no));
            }
            if !l.done {
                return Err(EstimateError::NotDone(*no));
            }
        }
        Ok(())
    }

    /// The invoice: every approved line that was done, comebacks at zero.
    pub fn invoice(&self) -> Invoice {
        let lines: Vec<EstimateLine> = self
            .lines
            .iter()
            .filter(|l| l.decision == Decision::Approved && l.done)
            .cloned()
            .collect();
        let totals = self.totals_of(lines.iter());
        Invoice { lines, totals }
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    fn rec() -> ApprovalRecord {
        ApprovalRecord {
            by: "张三".into(),
            at: Timestamp::UNIX_EPOCH,
            channel: ApprovalChannel::OwnerPage,
            ip: Some("10.0.0.1".into()),
            signature_ref: None,
        }
    }

    fn labour(h: i64) -> LineItem {
        LineItem::Labour {
            operation_code: "MAINT-10K".into(),
            hundredths: h,
            hourly_rate: Money::from_fen(18_000),
        }
    }

    fn part(q: i64, price: i64) -> LineItem {
        LineItem::Part {
            part_number: "15400-RTA-003".into(),
            quantity_hundredths: q,
            unit_price: Money::from_fen(price),
        }
    }

    #[test]
    fn totals_by_hand() {
        let mut e = Estimate::new();
        let a = e.add(labour(150)).expect("a"); // 270.00
        let b = e.add(part(450, 6_850)).expect("b"); // 4.5 L × 68.50 = 308.25
        let c = e.add(part(100, 9_999)).expect("c"); // 99.99
        assert_eq!(
            e.quoted_totals().net,
            Money::from_fen(27_000 + 30_825 + 9_999)
        );
        e.approve(a, rec()).expect("approve a");
        e.approve(b, rec()).expect("approve b");
        e.decline(c, rec()).expect("decline c");
        let t = e.approved_totals();
        assert_eq!(t.net, Money::from_fen(57_825));
        // 13% of 578.25 = 75.1725 -> 75.17
        assert_eq!(t.vat, Money::from_fen(7_517));
        assert_eq!(t.gross, Money::from_fen(65_342));
        assert_eq!(e.quoted_totals(), t);
    }

    #[test]
    fn approved_lines_are_frozen_and_declined_can_be_offered_again() {
        let mut e = Estimate::with_vat(600).expect("vat");
        let a = e.add(labour(100)).expect("a");
        e.change(a, labour(120)).expect("change while proposed");
        e.approve(a, rec()).expect("approve");
        assert_eq!(e.change(a, labour(200)), Err(EstimateError::Frozen(a)));
        assert_eq!(e.approve(a, rec()), Err(EstimateError::AlreadyDecided(a)));
        let b = e.add(part(100, 500)).expect("b");
        e.decline(b, rec()).expect("decline");
        let b2 = e.repropose(b).expect("repropose");
        assert_eq!(
            e.line(b2).map(|l| (l.reoffer_of, l.decision)),
            Some((Some(b), Decision::Proposed))
        );
        assert_eq!(e.repropose(a), Err(EstimateError::NotDeclined(a)));
        let mut anon = rec();
        anon.by = " ".into();
        assert_eq!(e.approve(b2, anon), Err(EstimateError::ApproverMissing));
        assert_eq!(Estimate::with_vat(-1), Err(EstimateError::VatRange));
    }

    #[test]
    fn invoice_has_only_approved_done_lines_and_comebacks_are_free() {
        let mut e = Estimate::new();
        let a = e.add(labour(100)).expect("a");
        let b = e.add_comeback(part(100, 20_000)).expect("b");
        let c = e.add(part(100, 1_000)).expect("c");
        for n in [a, b, c] {
            e.approve(n, rec()).expect("approve");
        }
        e.mark_done(a).expect("done a");
        e.mark_done(b).expect("done b");
        assert_eq!(e.check_invoice(&[a, b]), Ok(()));
        assert_eq!(e.check_invoice(&[c]), Err(EstimateError::NotDone(c)));
        let inv = e.invoice();
        assert_eq!(
            inv.lines.iter().map(|l| l.no).collect::<Vec<_>>(),
            vec![a, b]
        );
        assert_eq!(inv.totals.net, Money::from_fen(18_000));
        assert_eq!(inv.totals.gross, Money::from_fen(20_340));
        let d = e.add(part(100, 1)).expect("d");
        assert_eq!(e.mark_done(d), Err(EstimateError::NotApproved(d)));
        assert_eq!(e.add(part(0, 1)), Err(EstimateError::QuantityRange));
        let v: crate::Violation = EstimateError::Frozen(3).into();
        assert_eq!(
            (v.field.as_str(), v.rule),
            ("lines[3]", "estimate.line_frozen")
        );
    }
}
