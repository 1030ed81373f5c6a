//! One simulated order walked through the real rules: `domain::repair_order` times
//! every stage and checks every checkpoint the published standard requires, and
//! `domain::estimate` holds the lines (labour at the station's rate, the parts
//! fitted) with the owner's approval, the work done and the invoice's totals — what
//! the advisor's and technician's use cases would record, step by step.

use super::model::{MIN_MS, OPERATION, PART, Station};
use crate::shared::{refused, ts};
use crate::{AppError, AppResult};
use domain::certification::{Requirement, clear};
use domain::estimate::{ApprovalRecord, Estimate, LineItem};
use domain::money::Money;
use domain::repair_order::{CheckRule, RepairOrder, Stage, StageStandard};
use domain::simulation::follow_up::approval_channel;
use domain::simulation::order::OrderPlan;

/// A checked checkpoint: code, stage code, when (UTC ms).
pub(super) type Check = (String, &'static str, i64);

/// An order walked through the state machine and its estimate.
pub(super) struct Walked {
    /// Each stage's start and completion (UTC ms).
    pub(super) stages: Vec<(Stage, i64, i64)>,
    /// Promised completion.
    pub(super) promised: i64,
    /// Hand-over.
    pub(super) delivered: i64,
    /// The checkpoints checked, in order.
    pub(super) checks: Vec<Check>,
    /// The estimate as approved and worked (its invoice is the bill).
    pub(super) estimate: Estimate,
    /// When the lines were proposed and approved (end of diagnosis).
    pub(super) approved_at: i64,
    /// When repair work started and finished on the lines.
    pub(super) worked: (i64, i64),
}

/// Walks `plan` received at `received` for customer `customer` through the rules:
/// every stage started and completed in order with its required checkpoints checked
/// (spread over the stage), the labour line — and a parts line when parts are
/// fitted — proposed and approved by the owner at diagnosis with the promise, the
/// labour worked by a cleared technician and the parts fitted during repair. A
/// comeback's lines are free. A plan the rules refuse is an error, not a row.
pub(super) fn walk(
    standard: &StageStandard,
    plan: &OrderPlan,
    received: i64,
    s: &Station,
    customer: i64,
    comeback: bool,
) -> AppResult<Walked> {
    let mut o = RepairOrder::new(standard.clone()).map_err(refused)?;
    let mut est = Estimate::new();
    let promised = received + plan.promise_minutes * MIN_MS;
    let mut t = received;
    let mut stages = Vec::with_capacity(plan.stages.len());
    let mut checks = Vec::with_capacity(16);
    let (mut approved_at, mut worked) = (received, (received, received));
    for sp in &plan.stages {
        let start = t + sp.wait * MIN_MS;
        let end = start + sp.minutes * MIN_MS;
        o.start_stage(sp.stage, ts(start)?).map_err(refused)?;
        if let Some(spec) = standard.spec(sp.stage) {
            let required: Vec<&str> = spec
                .checkpoints
                .iter()
                .filter(|c| c.rule == CheckRule::Required)
                .map(|c| c.code.as_str())
                .collect();
            let n = required.len() as i64 + 1;
            for (i, code) in required.into_iter().enumerate() {
                o.check(code).map_err(refused)?;
                let at = start + (end - start) * (i as i64 + 1) / n;
                checks.push((code.to_string(), sp.stage.code(), at));
            }
        }
        match sp.stage {
            Stage::Diagnosis => {
                approved_at = end;
                let record = ApprovalRecord {
                    by: format!("customer:{customer}"),
                    at: ts(end)?,
                    channel: approval_channel(plan.draw),
                    ip: None,
                    signature_ref: None,
                };
                let mut items = vec![LineItem::Labour {
                    operation_code: OPERATION.into(),
                    hundredths: plan.labour_hundredths,
                    hourly_rate: Money::from_fen(s.rate_fen),
                }];
                if plan.parts_fen > 0 && !comeback {
                    items.push(LineItem::Part {
                        part_number: PART.into(),
                        quantity_hundredths: 100,
                        unit_price: Money::from_fen(plan.parts_fen),
                    });
                }
                for item in items {
                    let labour = matches!(item, LineItem::Labour { .. });
                    let no = if comeback {
                        est.add_comeback(item)
                    } else {
                        est.add(item)
                    }
                    .map_err(refused)?;
                    if labour {
                        o.propose_line(OPERATION, plan.labour_hundredths)
                            .map_err(refused)?;
                    }
                    est.approve(no, record.clone()).map_err(refused)?;
                    if labour {
                        o.approve_line(no).map_err(refused)?;
                    }
                }
                o.promise(ts(promised)?).map_err(refused)?;
            }
            Stage::Repair => {
                worked = (start, end);
                let day = ts(start)?.to_zoned(s.zone.clone()).date();
                for no in est.lines().iter().map(|l| l.no).collect::<Vec<_>>() {
                    // Labour is worked by a technician; a part is fitted.
                    if o.lines().iter().any(|l| l.no == no) {
                        let by = clear(no, Some(0), &[], Requirement::default(), day);
                        o.start_work(no, by).map_err(refused)?;
                        o.finish_work(no).map_err(refused)?;
                    }
                    est.mark_done(no).map_err(refused)?;
                }
            }
            _ => {}
        }
        o.complete_stage(sp.stage, ts(end)?).map_err(refused)?;
        stages.push((sp.stage, start, end));
        t = end;
    }
    let delivered = o
        .delivered_at()
        .ok_or_else(|| AppError::Internal("simulated order not delivered".into()))?
        .as_millisecond();
    Ok(Walked {
        stages,
        promised,
        delivered,
        checks,
        estimate: est,
        approved_at,
        worked,
    })
}
