//! Rules of the bill, and a model of it run against any sequence of events.
#![allow(clippy::unwrap_used)]

use super::*;
use proptest::prelude::*;

fn held(gross: i64) -> Held {
    Held {
        gross_fen: gross,
        ..Held::default()
    }
}

#[test]
fn notices_are_decided_by_state_status_and_reference() {
    assert_eq!(decide("pending", "paid", false), Decision::Apply);
    assert_eq!(decide("pending", "failed", false), Decision::Apply);
    assert_eq!(decide("paid", "paid", true), Decision::Duplicate);
    assert_eq!(decide("paid", "paid", false), Decision::PaidTwice);
    assert_eq!(decide("paid_late", "paid", false), Decision::PaidTwice);
    assert_eq!(decide("failed", "paid", false), Decision::Late);
    assert_eq!(decide("cancelled", "paid", false), Decision::Late);
    assert_eq!(decide("closed", "paid", true), Decision::Late);
    assert_eq!(decide("paid", "failed", false), Decision::Refuse);
    assert_eq!(decide("closed", "failed", false), Decision::Refuse);
}

#[test]
fn late_money_never_raises_paid_above_the_total() {
    let h = held(1_000).pay(1_000).unwrap().pay_late(1_000);
    assert_eq!(
        (h.paid_fen, h.refund_fen, h.holding_fen()),
        (1_000, 1_000, 2_000)
    );
    assert_eq!(
        held(1_000).pay(1_000).unwrap().pay(1),
        Err(HeldError::NotPayable)
    );
}

#[test]
fn refunds_are_checked_per_line_against_the_paid_and_the_excess() {
    let lines = [
        BillLine {
            line_no: 1,
            gross_fen: 600,
            credited_fen: 0,
        },
        BillLine {
            line_no: 2,
            gross_fen: 400,
            credited_fen: 100,
        },
    ];
    let paid = held(1_000).pay(1_000).unwrap();
    assert_eq!(plan_refund(&paid, &lines, &[], 0), Err(RefundError::Empty));
    assert_eq!(
        plan_refund(&paid, &lines, &[(3, 1)], 0),
        Err(RefundError::UnknownLine(3))
    );
    assert_eq!(
        plan_refund(&paid, &lines, &[(2, 301)], 0),
        Err(RefundError::AboveLine { no: 2, max: 300 })
    );
    assert_eq!(
        plan_refund(&paid, &lines, &[(1, 0)], 0),
        Err(RefundError::Amount(1))
    );
    assert_eq!(
        plan_refund(&paid, &lines, &[(1, 1), (1, 1)], 0),
        Err(RefundError::LineTwice(1))
    );
    assert_eq!(
        plan_refund(&paid, &lines, &[], 1),
        Err(RefundError::AboveExcess(0))
    );
    let plan = plan_refund(&paid, &lines, &[(1, 600), (2, 300)], 0).unwrap();
    assert_eq!(plan.amount_fen(), 900);
    let after = paid.refund(&plan);
    assert_eq!(after.holding_fen(), 100);
    assert_eq!(after.refund_failed(&plan), paid);
    // An unpaid bill has nothing to credit.
    assert_eq!(
        plan_refund(&held(1_000), &lines, &[(1, 1)], 0),
        Err(RefundError::AbovePaid(0))
    );
    let v: Violation = RefundError::AbovePaid(5).into();
    assert_eq!(
        (v.field.as_str(), v.rule),
        ("amount_fen", "refund.above_paid")
    );
}

#[test]
fn approval_limits_rise_with_the_role() {
    let l = RefundLimits::default();
    assert_eq!(approval_limit(Role::ServiceAdvisor, &l), Some(50_000));
    assert_eq!(approval_limit(Role::StationManager, &l), Some(500_000));
    assert_eq!(approval_limit(Role::Administrator, &l), None);
    assert_eq!(approval_limit(Role::Technician, &l), Some(0));
    assert_eq!(line_gross(10_000, 1_300), 11_300);
    assert_eq!(line_gross(1, 1_300), 1);
}

/// One payment of the model.
#[derive(Debug, Clone)]
struct Pay {
    state: &'static str,
    amount: i64,
    provider_ref: Option<u32>,
    online: bool,
}

/// Something that happens to a bill.
#[derive(Debug, Clone)]
enum Op {
    Start,
    Notice {
        pick: usize,
        paid: bool,
        r: u32,
    },
    Desk,
    Refund {
        line: usize,
        amount: i64,
        excess: i64,
    },
    Close {
        pick: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => Just(Op::Start),
        5 => (any::<usize>(), any::<bool>(), 0u32..6).prop_map(|(pick, paid, r)| Op::Notice { pick, paid, r }),
        1 => Just(Op::Desk),
        2 => (0usize..3, 1i64..800, 0i64..3).prop_map(|(line, amount, e)| Op::Refund { line, amount, excess: e * 500 }),
        1 => any::<usize>().prop_map(|pick| Op::Close { pick }),
    ]
}

/// The bill as the use cases change it, following the domain's rules.
struct Model {
    held: Held,
    pays: Vec<Pay>,
    lines: Vec<BillLine>,
    notices: usize,
    ledger: usize,
    refunded: i64,
}

impl Model {
    fn run(&mut self, op: &Op) {
        match *op {
            Op::Start => {
                if self.held.is_paid() {
                    return;
                }
                let owed = self.held.gross_fen - self.held.paid_fen;
                let mut reuse = false;
                for p in self.pays.iter_mut().filter(|p| p.state == "pending") {
                    if p.amount == owed {
                        reuse = true;
                    } else {
                        p.state = "closed";
                    }
                }
                if !reuse {
                    self.pays.push(Pay {
                        state: "pending",
                        amount: owed,
                        provider_ref: None,
                        online: true,
                    });
                }
            }
            Op::Notice { pick, paid, r } => {
                self.notices += 1;
                // Every notice gets its ledger row, whatever the verdict.
                self.ledger += 1;
                let online: Vec<usize> = (0..self.pays.len())
                    .filter(|&i| self.pays[i].online)
                    .collect();
                if online.is_empty() {
                    return;
                }
                let i = online[pick % online.len()];
                let status = if paid { "paid" } else { "failed" };
                let p = self.pays[i].clone();
                let used_elsewhere = self
                    .pays
                    .iter()
                    .enumerate()
                    .any(|(j, q)| j != i && q.provider_ref == Some(r));
                match decide(p.state, status, p.provider_ref == Some(r)) {
                    Decision::Duplicate | Decision::Refuse => {}
                    Decision::PaidTwice => {
                        if !used_elsewhere {
                            self.held = self.held.pay_late(p.amount);
                            self.pays.push(Pay {
                                state: "paid_late",
                                amount: p.amount,
                                provider_ref: Some(r),
                                online: true,
                            });
                        }
                    }
                    _ if used_elsewhere => {} // the provider reference is another payment's
                    Decision::Apply if paid => match self.held.pay(p.amount) {
                        Ok(h) => {
                            self.held = h;
                            self.pays[i] = Pay {
                                state: "paid",
                                provider_ref: Some(r),
                                ..p
                            };
                        }
                        // Late money paid the bill meanwhile: this one is late too.
                        Err(HeldError::NotPayable) => {
                            self.held = self.held.pay_late(p.amount);
                            self.pays[i] = Pay {
                                state: "paid_late",
                                provider_ref: Some(r),
                                ..p
                            };
                        }
                    },
                    Decision::Apply => {
                        self.pays[i] = Pay {
                            state: "failed",
                            provider_ref: Some(r),
                            ..p
                        }
                    }
                    Decision::Late => {
                        self.held = self.held.pay_late(p.amount);
                        self.pays[i] = Pay {
                            state: "paid_late",
                            provider_ref: Some(r),
                            ..p
                        };
                    }
                }
            }
            Op::Desk => {
                if self.held.is_paid() {
                    return;
                }
                let owed = self.held.gross_fen - self.held.paid_fen;
                for p in self.pays.iter_mut().filter(|p| p.state == "pending") {
                    p.state = "cancelled";
                }
                self.held = self.held.pay(owed).unwrap();
                self.pays.push(Pay {
                    state: "paid",
                    amount: owed,
                    provider_ref: None,
                    online: false,
                });
            }
            Op::Refund {
                line,
                amount,
                excess,
            } => {
                let no = self.lines[line].line_no;
                let wanted = if amount % 3 == 0 {
                    vec![]
                } else {
                    vec![(no, amount)]
                };
                if let Ok(plan) = plan_refund(&self.held, &self.lines, &wanted, excess) {
                    self.held = self.held.refund(&plan);
                    self.lines[line].credited_fen += plan.credit_fen;
                    self.refunded += plan.amount_fen();
                }
            }
            Op::Close { pick } => {
                let pending: Vec<usize> = (0..self.pays.len())
                    .filter(|&i| self.pays[i].state == "pending")
                    .collect();
                if let Some(&i) = pending.get(pick % pending.len().max(1)) {
                    self.pays[i].state = "closed";
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    /// For any sequence of starts, notices (any order, repeated, late), desk
    /// payments, refunds and closes: paid never exceeds the total, every notice is
    /// recorded, the bill's money equals what its payments and refunds add up to,
    /// a provider reference pays once, and at most one provider order is open.
    #[test]
    fn the_bill_always_equals_its_ledger(ops in proptest::collection::vec(op(), 0..60)) {
        let mut m = Model {
            held: held(1_500),
            pays: vec![],
            lines: vec![
                BillLine { line_no: 1, gross_fen: 700, credited_fen: 0 },
                BillLine { line_no: 2, gross_fen: 500, credited_fen: 0 },
                BillLine { line_no: 3, gross_fen: 300, credited_fen: 0 },
            ],
            notices: 0,
            ledger: 0,
            refunded: 0,
        };
        for op in &ops {
            m.run(op);
            let h = m.held;
            prop_assert!(h.paid_fen <= h.gross_fen);
            prop_assert!(h.refund_fen >= 0 && h.refunded_fen >= 0);
            prop_assert!(h.refunded_fen <= h.paid_fen);
            prop_assert_eq!(m.ledger, m.notices);
            let received: i64 = m.pays.iter().filter(|p| p.state == "paid" || p.state == "paid_late").map(|p| p.amount).sum();
            prop_assert_eq!(h.holding_fen(), received - m.refunded);
            let mut refs: Vec<u32> = m.pays.iter().filter_map(|p| p.provider_ref).collect();
            let n = refs.len();
            refs.sort_unstable();
            refs.dedup();
            prop_assert_eq!(refs.len(), n);
            prop_assert!(m.pays.iter().filter(|p| p.state == "pending").count() <= 1);
            for l in &m.lines {
                prop_assert!(l.credited_fen <= l.gross_fen);
            }
        }
    }
}
