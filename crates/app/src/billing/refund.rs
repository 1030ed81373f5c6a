//! Refunds: money given back on a bill, per line (credited on the bill) or of an
//! overpayment (the bill's `refund_fen`), with a reason, up to the approver's limit
//! ([`domain::billing::approval_limit`]), through the provider for a bill paid
//! online or in cash or by transfer at the desk. Every refund is a row of its own,
//! an event on the order's timeline and an audit entry.

use super::configured::provider;
use crate::input::{Loose, int, text};
use crate::network::expect;
use crate::shared::{ORDER_ENTITY, new_ref, refused_rule as refused, required};
use crate::{App, AppError, AppResult, actor};
use domain::billing::{BillLine, Held, approval_limit, line_gross, plan_refund};
use domain::permission::{Action, Grant};
use domain::{Violation, Violations};
use serde::{Deserialize, Serialize};
use store::billing::refund::{NewRefund, RefundRow};
use store::billing::{BillRow, PaymentRow};

/// The action that gives money back.
pub const REFUND: Action = Action::BillingRefund;

/// How money goes back.
pub const REFUND_METHODS: [&str; 3] = ["provider", "cash", "transfer"];

fn refund_method_schema() -> utoipa::openapi::Object {
    crate::schema::code_list(&REFUND_METHODS)
}

/// One line to credit.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RefundLineInput {
    /// The bill's line number.
    #[schema(value_type = i64, required = true, minimum = 1)]
    pub line_no: Loose,
    /// Amount credited on the line, fen (at most what is left of its charge with VAT).
    #[schema(value_type = i64, required = true, minimum = 1)]
    pub amount_fen: Loose,
}

/// A refund asked for.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RefundInput {
    /// Lines to credit; empty with `full` to credit every line in full.
    pub lines: Vec<RefundLineInput>,
    /// Credit every line for what is left of it (a full refund).
    #[schema(value_type = Option<bool>)]
    pub full: Loose,
    /// Overpayment to give back (at most the bill's `refund_fen`), fen.
    #[schema(value_type = Option<i64>, minimum = 0)]
    pub excess_fen: Loose,
    /// `provider` (back through the online payment's provider), `cash` or `transfer`.
    #[schema(schema_with = refund_method_schema, required = true)]
    pub method: Loose,
    /// Why the money goes back.
    #[schema(schema_with = crate::schema::line::<500>, required = true)]
    pub reason: Loose,
}

/// The bill's lines with what earlier refunds (not failed) credited on each.
fn bill_lines(bill: &BillRow, refunds: &[RefundRow]) -> Vec<BillLine> {
    let credited = |no: i64| -> i64 {
        refunds
            .iter()
            .filter(|r| r.state != "failed")
            .flat_map(|r| r.lines.as_array().cloned().unwrap_or_default())
            .filter(|l| l["line_no"].as_i64() == Some(no))
            .map(|l| l["amount_fen"].as_i64().unwrap_or_default())
            .sum()
    };
    bill.lines
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|l| {
            let no = l["line_no"].as_i64()?;
            let net = l["amount_fen"].as_i64().unwrap_or_default();
            Some(BillLine {
                line_no: no,
                gross_fen: line_gross(net, bill.vat_bp),
                credited_fen: credited(no),
            })
        })
        .collect()
}

fn held_of(bill: &BillRow) -> Held {
    Held {
        gross_fen: bill.gross_fen,
        paid_fen: bill.paid_fen,
        refund_fen: bill.refund_fen,
        refunded_fen: bill.refunded_fen,
    }
}

/// The online payment a provider refund goes back through: the bill's largest
/// payment taken by a provider, with what earlier provider refunds left of it.
fn online_payment(pays: &[PaymentRow], refunds: &[RefundRow]) -> Option<(PaymentRow, i64)> {
    let p = pays
        .iter()
        .filter(|p| p.method == "online" && (p.state == "paid" || p.state == "paid_late"))
        .max_by_key(|p| p.amount_fen)?;
    let used: i64 = refunds
        .iter()
        .filter(|r| r.payment_id == Some(p.id) && r.state != "failed")
        .map(|r| r.amount_fen)
        .sum();
    Some((p.clone(), p.amount_fen - used))
}

/// Gives money back on the bill of an order within reach. Refused, naming the field
/// and the rule, with nothing changed: a line not on the bill or above what is left
/// of it (`refund.above_line`), more than was paid (`refund.above_paid`) or
/// overpaid (`refund.above_excess`), above the approver's limit
/// (`refund.above_limit`, the limit as detail), a provider refund of a bill paid
/// at the desk (`refund.no_online_payment`). A desk refund succeeds at once; a
/// provider refund is asked of the provider (the sandbox answers at once).
/// Needs [`REFUND`].
pub async fn refund(
    app: &App,
    grant: &Grant,
    order_id: i64,
    input: &RefundInput,
) -> AppResult<RefundRow> {
    expect(grant, REFUND)?;
    let mut v = Violations::new();
    let method = text(&mut v, "method", &input.method, 20);
    if let Some(m) = &method
        && !REFUND_METHODS.contains(&m.as_str())
    {
        v.push(Violation::new("method", "refund.method").with_detail(REFUND_METHODS.join(", ")));
    }
    let reason = text(&mut v, "reason", &input.reason, 500);
    let full = crate::input::boolean(&mut v, "full", &input.full);
    let excess = crate::input::opt_int(&mut v, "excess_fen", &input.excess_fen, 0, i64::MAX);
    let mut wanted = Vec::new();
    for (i, l) in input.lines.iter().enumerate() {
        let no = int(
            &mut v,
            &format!("lines[{i}].line_no"),
            &l.line_no,
            1,
            10_000,
        );
        let amount = int(
            &mut v,
            &format!("lines[{i}].amount_fen"),
            &l.amount_fen,
            1,
            i64::MAX,
        );
        if let (Some(no), Some(a)) = (no, amount) {
            wanted.push((no, a));
        }
    }
    v.into_result()?;
    let (method, reason, full) = (required(method)?, required(reason)?, required(full)?);
    let excess = required(excess)?.unwrap_or(0);
    let now = app.now_ms();
    let (method, reason, wanted) = (&method, &reason, &wanted);
    crate::transaction::run(app, "billing.refund", move |mut tx| async move {
    let bill = store::billing::by_order(&mut tx, grant.reach(), order_id).await?;
    let refunds = store::billing::refund::of_bill(&mut tx, bill.id).await?;
    let lines = bill_lines(&bill, &refunds);
    let mut wanted = wanted.clone();
    if full && wanted.is_empty() {
        wanted = lines
            .iter()
            .filter(|l| l.gross_fen > l.credited_fen)
            .map(|l| (l.line_no, l.gross_fen - l.credited_fen))
            .collect();
    }
    let held = held_of(&bill);
    let plan = plan_refund(&held, &lines, &wanted, excess)
        .map_err(|e| AppError::Refused(Violation::from(e).into()))?;
    let amount = plan.amount_fen();
    let role = grant.principal().role;
    if let Some(limit) = approval_limit(role, &app.settings.refund_limits)
        && amount > limit
    {
        return Err(AppError::Refused(
            Violation::new("amount_fen", "refund.above_limit")
                .with_detail(limit.to_string())
                .into(),
        ));
    }
    let (payment, provider_code) = if method == "provider" {
        let pays = store::billing::payments(&mut tx, bill.id).await?;
        let (p, left) = online_payment(&pays, &refunds)
            .ok_or_else(|| refused("method", "refund.no_online_payment"))?;
        if amount > left {
            return Err(AppError::Refused(
                Violation::new("amount_fen", "refund.above_payment")
                    .with_detail(left.to_string())
                    .into(),
            ));
        }
        let code = p.provider.clone().unwrap_or_default();
        if provider(app, &code).is_none() {
            return Err(refused("method", "payment.provider_unknown"));
        }
        (Some(p.id), Some(code))
    } else {
        (None, None)
    };
    store::billing::refund::reserve(
        &mut tx,
        bill.id,
        plan.credit_fen,
        plan.excess_fen,
        (bill.paid_fen, bill.refund_fen, bill.refunded_fen),
    )
    .await?;
    let new = NewRefund {
        bill_id: bill.id,
        refund_ref: new_ref(),
        payment_id: payment,
        method: method.clone(),
        provider: provider_code.clone(),
        amount_fen: amount,
        excess_fen: plan.excess_fen,
        lines: serde_json::Value::Array(
            plan.lines
                .iter()
                .map(|(no, a)| serde_json::json!({"line_no": no, "amount_fen": a}))
                .collect(),
        ),
        reason: reason.clone(),
        state: if provider_code.is_some() {
            "pending"
        } else {
            "succeeded"
        }
        .into(),
        requested_by_role: role.code().into(),
        requested_by_id: grant.principal().id,
    };
    store::billing::refund::insert(&mut tx, &new, now).await?;
    if provider_code.is_some() {
        // Asked of the provider by a job, outside this request's transaction; its
        // answer or refund notice settles the refund.
        super::provider_refund::enqueue(&mut tx, &new.refund_ref, now).await?;
    }
    let row = store::billing::refund::by_ref(&mut tx, &new.refund_ref).await?;
    store::event::record(
        &mut tx,
        now,
        actor(grant),
        ORDER_ENTITY,
        bill.repair_order_id,
        "refund_recorded",
        &serde_json::json!({
            "bill_id": bill.id, "refund_id": row.id, "refund_ref": row.refund_ref, "method": row.method,
            "amount_fen": row.amount_fen, "excess_fen": row.excess_fen, "lines": row.lines,
            "reason": row.reason, "state": row.state,
        }),
        None,
    )
    .await?;
    store::audit::write(
        &mut tx,
        now,
        actor(grant),
        "refund",
        "bill",
        bill.id,
        "refunded_fen",
        reason,
    )
    .await?;
        Ok((tx, row))
    })
    .await
}

/// The refunds of a bill within reach, oldest first. Needs [`super::READ`].
pub async fn refunds(app: &App, grant: &Grant, order_id: i64) -> AppResult<Vec<RefundRow>> {
    expect(grant, super::READ)?;
    let mut c = crate::conn(app).await?;
    let bill = store::billing::by_order(&mut c, grant.reach(), order_id).await?;
    Ok(store::billing::refund::of_bill(&mut c, bill.id).await?)
}
