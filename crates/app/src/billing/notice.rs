//! The provider's payment notices (callbacks) and the ledger that keeps every one of
//! them: applied, repeated, forged, stale, for an unknown payment, or paid late.
//!
//! A notice is judged first ([`judge`], which changes payments and bills in its own
//! transaction when it applies), then kept in the ledger in a transaction of its
//! own, so a refused notice leaves its row although nothing else changed. Money that
//! arrives for a payment that is no longer pending (failed, replaced by a newer start,
//! or cancelled by a desk payment) is never refused: the payment becomes `paid_late`
//! and the bill is flagged for the cashier to reconcile
//! (`needs_reconciliation`, with any overpayment as `refund_fen`).

use super::configured::provider;
use super::provider::{Callback, SignatureError};
use super::{READ, record};
use crate::network::expect;
use crate::shared::{duplicate_as, new_ref, refused_rule as refused};
use crate::{App, AppError, AppResult, conn};
use domain::billing::{Decision, decide};
use domain::permission::Grant;
use domain::{Violation, Violations};
use serde::Serialize;
use store::billing::ledger::{NewNotice, NoticeFilter, NoticeRow};
use store::billing::{NewPayment, PaymentRow};
use store::event::Actor;

/// The verdicts a notice can get, as kept in the ledger.
pub const VERDICTS: [&str; 17] = [
    "applied",
    "duplicate",
    "paid_late",
    "signature_invalid",
    "signature_stale",
    "amount_mismatch",
    "unknown_payment",
    "provider_mismatch",
    "not_pending",
    "provider_ref_used",
    "malformed",
    "replayed",
    "refund_settled",
    "merchant_mismatch",
    "app_mismatch",
    "currency_mismatch",
    "error",
];

/// Notices per page of the ledger.
pub const PAGE_SIZE: i64 = 50;

/// What a callback did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CallbackOutcome {
    /// Our payment reference.
    pub payment_ref: String,
    /// The payment's state after the callback (`paid_late` when the money came
    /// after the payment was closed: the bill then needs reconciliation).
    pub state: String,
    /// Whether this callback changed anything (false for a repeated callback).
    pub changed: bool,
}

/// Handles a provider's callback and keeps it in the ledger with its verdict,
/// whatever the verdict. `client_addr` is the caller's address as resolved through
/// the trusted proxies.
///
/// The signature (over the raw body) must verify with the named provider's secret
/// and be fresh (a forged signature is refused as `payment.signature_invalid`, an
/// old one as `payment.signature_stale`); the payment must be this provider's and
/// the amount exactly the payment's (`payment.amount_mismatch`). Marks the payment
/// paid (or failed) exactly once: a repeated callback with the same provider
/// reference changes nothing. A paid notice for a payment that failed, was closed
/// or was cancelled is recorded as `paid_late` and flags the bill; so is a second
/// paid notice with another provider reference for a payment already paid (the
/// payer paid twice: a new `paid_late` payment, the excess a refund to make).
///
/// The ledger row of a notice that changes anything is inserted in the same
/// transaction that applies it, so the ledger and the bills never disagree; a
/// refused notice's row is inserted in a transaction of its own after the judging
/// one was rolled back.
pub async fn callback(
    app: &App,
    signature: &str,
    body: &str,
    client_addr: Option<&str>,
) -> AppResult<CallbackOutcome> {
    let now = app.now_ms();
    let named = serde_json::from_str::<serde_json::Value>(body).ok();
    let field = |k: &str| {
        named
            .as_ref()
            .and_then(|v| v.get(k))
            .and_then(|p| p.as_str())
            .map(|s| s.chars().take(200).collect::<String>())
    };
    let payment_ref = field("payment_ref");
    let notice = NewNotice {
        provider: field("provider"),
        payment_ref: payment_ref.clone(),
        bill_id: None,
        raw_body: body.to_string(),
        signature: (!signature.is_empty()).then(|| signature.chars().take(500).collect()),
        client_addr: client_addr.map(str::to_string),
        verdict: String::new(),
    };
    let verified = verify(app, signature, body, now);
    receive(app, notice, verified, now).await
}

/// Judges a notice whose signature was checked (`verified`: the provider's code and
/// the notice in our terms, or why it was refused) and keeps `notice` in the
/// ledger with its verdict, whatever the verdict; see [`callback`]. Every
/// provider's route ends here.
pub(crate) async fn receive(
    app: &App,
    mut notice: NewNotice,
    verified: AppResult<(&'static str, Callback)>,
    now: i64,
) -> AppResult<CallbackOutcome> {
    let payment_ref = notice.payment_ref.clone();
    let result = match verified {
        Ok((code, cb)) => {
            let (notice, payment_ref, cb) = (&notice, &payment_ref, &cb);
            // A refusal of the judging rolls it back (nothing of it is kept); the
            // row alone is recorded, below.
            let judged =
                crate::transaction::run(app, "billing.callback", move |mut tx| async move {
                    let out = judge(&mut tx, code, cb, now).await?;
                    if out.changed {
                        // Settled: no query or expiry of this order is needed.
                        super::watch::disarm(&mut tx, &cb.payment_ref, now).await?;
                    }
                    // Applied (or a harmless repeat): the row joins the change.
                    let mut notice = notice.clone();
                    notice.verdict = verdict_of(&Ok(out.clone())).into();
                    notice.bill_id = bill_of(&mut tx, payment_ref.as_deref()).await;
                    store::billing::ledger::insert(&mut tx, &notice, now).await?;
                    Ok((tx, out))
                })
                .await;
            match judged {
                Ok(out) => return Ok(out),
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    };
    notice.verdict = verdict_of(&result).into();
    let (notice, payment_ref) = (&notice, &payment_ref);
    crate::transaction::run(app, "billing.callback_row", move |mut tx| async move {
        let mut notice = notice.clone();
        notice.bill_id = bill_of(&mut tx, payment_ref.as_deref()).await;
        store::billing::ledger::insert(&mut tx, &notice, now).await?;
        Ok((tx, ()))
    })
    .await?;
    result
}

/// The bill of the payment a notice names, when the payment is known.
async fn bill_of(tx: &mut sqlx::AnyConnection, payment_ref: Option<&str>) -> Option<i64> {
    match payment_ref {
        Some(r) => store::billing::payment_by_ref(tx, r)
            .await
            .ok()
            .map(|p| p.bill_id),
        None => None,
    }
}

/// The ledger's verdict for what [`judge`] answered.
fn verdict_of(result: &AppResult<CallbackOutcome>) -> &'static str {
    match result {
        Ok(o) if o.state == "paid_late" && o.changed => "paid_late",
        Ok(o) if o.changed => "applied",
        Ok(_) => "duplicate",
        Err(AppError::NotFound) => "unknown_payment",
        Err(AppError::Invalid(_)) => "malformed",
        Err(AppError::Refused(v)) => match v.0.first().map(|x| x.rule) {
            Some("payment.signature_invalid") => "signature_invalid",
            Some("payment.signature_stale") => "signature_stale",
            Some("payment.amount_mismatch") => "amount_mismatch",
            Some("payment.provider_mismatch") => "provider_mismatch",
            Some("payment.not_pending") => "not_pending",
            Some("payment.provider_ref_used") => "provider_ref_used",
            Some("payment.replayed") => "replayed",
            Some("payment.merchant_mismatch") => "merchant_mismatch",
            Some("payment.app_mismatch") => "app_mismatch",
            Some("payment.currency") => "currency_mismatch",
            _ => "error",
        },
        Err(_) => "error",
    }
}

/// Checks a notice's signature with the secret of the provider its body names
/// (nothing else in the body is trusted before that) and parses it. Runs before
/// any transaction opens, so a forged flood holds no lock.
fn verify(app: &App, signature: &str, body: &str, now: i64) -> AppResult<(&'static str, Callback)> {
    let named = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("provider")
                .and_then(|p| p.as_str())
                .map(str::to_string)
        })
        .unwrap_or_default();
    let p = provider(app, &named)
        .ok_or_else(|| refused("signature", SignatureError::Invalid.rule()))?;
    p.verify(signature, body, now)
        .map_err(|e| refused("signature", e.rule()))?;
    let cb: Callback = serde_json::from_str(body).map_err(|e| {
        AppError::Invalid(
            Violation::new("body", "body.type")
                .with_detail(e.to_string())
                .into(),
        )
    })?;
    let mut v = Violations::new();
    if cb.provider_ref.trim().is_empty() || cb.provider_ref.len() > 64 {
        v.push(Violation::new("provider_ref", "required"));
    }
    if !["paid", "failed"].contains(&cb.status.as_str()) {
        v.push(Violation::new("status", "payment.status"));
    }
    v.into_result()?;
    Ok((p.code(), cb))
}

/// Judges a verified notice against its own order and applies it on `tx` when it
/// should be; see [`callback`]. On an error the transaction must be dropped.
async fn judge(
    tx: &mut sqlx::AnyConnection,
    code: &'static str,
    cb: &Callback,
    now: i64,
) -> AppResult<CallbackOutcome> {
    let pay = store::billing::payment_by_ref(tx, &cb.payment_ref).await?;
    if pay.provider.as_deref() != Some(code) {
        return Err(refused("provider", "payment.provider_mismatch"));
    }
    if cb.amount_fen != pay.amount_fen {
        return Err(AppError::Refused(
            Violation::new("amount_fen", "payment.amount_mismatch")
                .with_detail(pay.amount_fen.to_string())
                .into(),
        ));
    }
    let same_ref = pay.provider_ref.as_deref() == Some(cb.provider_ref.as_str());
    let unchanged = |state: &str| CallbackOutcome {
        payment_ref: pay.payment_ref.clone(),
        state: state.into(),
        changed: false,
    };
    let late = match decide(&pay.state, &cb.status, same_ref) {
        Decision::Duplicate => return Ok(unchanged(&pay.state)),
        // The payer paid twice (another provider transaction for the same order):
        // keep the second one as money to give back.
        Decision::PaidTwice => return paid_twice(tx, code, cb, &pay, now).await,
        Decision::Apply => false,
        // Real money for a payment we had given up on: keep it, never refuse it.
        Decision::Late => true,
        Decision::Refuse => return Err(refused("payment_ref", "payment.not_pending")),
    };
    let bill = store::billing::get(tx, pay.bill_id).await?;
    let done = if late {
        store::billing::settle_late(tx, pay.id, &cb.provider_ref, now).await
    } else if cb.status == "paid" {
        store::billing::settle(tx, pay.id, &cb.provider_ref, now).await
    } else {
        let r = Some(cb.provider_ref.as_str());
        store::billing::close(tx, pay.id, "failed", r, "provider", now).await
    }
    .map_err(|e| duplicate_as(e, "provider_ref", "payment.provider_ref_used"))?;
    if !done {
        // A concurrent notice changed the payment first (this statement waited for
        // it and sees its commit): report what it did.
        let now_pay = store::billing::payment_by_ref(tx, &cb.payment_ref).await?;
        return if now_pay.provider_ref.as_deref() == Some(cb.provider_ref.as_str()) {
            Ok(unchanged(&now_pay.state))
        } else if now_pay.state == "paid" && cb.status == "paid" {
            paid_twice(tx, code, cb, &now_pay, now).await
        } else {
            Err(refused("payment_ref", "payment.not_pending"))
        };
    }
    let kind = if late {
        store::billing::add_paid_late(tx, bill.id, pay.amount_fen, now).await?;
        "payment_paid_late"
    } else if cb.status == "paid" {
        match store::billing::add_paid(tx, bill.id, pay.amount_fen, now).await {
            Ok(()) => "payment_recorded",
            // Late money paid the bill while this order was open: this money is
            // late too, kept and flagged, never refused.
            Err(store::StoreError::Conflict(_)) => {
                store::billing::paid_to_late(tx, pay.id).await?;
                store::billing::add_paid_late(tx, bill.id, pay.amount_fen, now).await?;
                "payment_paid_late"
            }
            Err(e) => return Err(e.into()),
        }
    } else {
        "payment_failed"
    };
    let row = store::billing::payment_by_ref(tx, &cb.payment_ref).await?;
    record(tx, now, PROVIDER, &bill, kind, &row).await?;
    Ok(CallbackOutcome {
        payment_ref: row.payment_ref,
        state: row.state,
        changed: true,
    })
}

/// Applies what a provider answered to an order query (`via` names the source, kept
/// as the ledger row's client address) exactly as its notice would have been, with
/// the ledger row in the same transaction. On an error the transaction must be
/// dropped.
pub(crate) async fn judge_in(
    tx: &mut sqlx::AnyConnection,
    code: &'static str,
    cb: &Callback,
    via: &str,
    now: i64,
) -> AppResult<CallbackOutcome> {
    let out = judge(tx, code, cb, now).await?;
    let notice = NewNotice {
        provider: Some(code.into()),
        payment_ref: Some(cb.payment_ref.clone()),
        bill_id: bill_of(tx, Some(&cb.payment_ref)).await,
        raw_body: serde_json::to_string(cb).map_err(|e| AppError::Internal(e.to_string()))?,
        signature: None,
        client_addr: Some(via.into()),
        verdict: verdict_of(&Ok(out.clone())).into(),
    };
    store::billing::ledger::insert(tx, &notice, now).await?;
    Ok(out)
}

/// Who the provider's notices act as on the timeline.
const PROVIDER: Actor<'static> = Actor {
    role: "provider",
    id: 0,
    kind: "system",
};

/// A second paid notice, with another provider reference, for a payment already
/// paid: the payer was charged twice. It becomes a payment of its own in state
/// `paid_late` (named by the provider's reference, so its repeats are duplicates),
/// its amount a refund to make on the bill, which is flagged for reconciliation.
async fn paid_twice(
    tx: &mut sqlx::AnyConnection,
    code: &'static str,
    cb: &Callback,
    pay: &PaymentRow,
    now: i64,
) -> AppResult<CallbackOutcome> {
    if let Some(seen) = store::billing::payment_by_provider_ref(tx, code, &cb.provider_ref).await? {
        return if seen.bill_id == pay.bill_id {
            Ok(CallbackOutcome {
                payment_ref: pay.payment_ref.clone(),
                state: seen.state,
                changed: false,
            })
        } else {
            Err(refused("provider_ref", "payment.provider_ref_used"))
        };
    }
    let extra = NewPayment {
        bill_id: pay.bill_id,
        payment_ref: new_ref(),
        method: pay.method.clone(),
        provider: Some(code.into()),
        reference: Some(format!("paid twice: {}", pay.payment_ref)),
        amount_fen: cb.amount_fen,
        state: "paid_late".into(),
        created_by_role: PROVIDER.role.into(),
        created_by_id: PROVIDER.id,
    };
    let id = store::billing::insert_paid_late(tx, &extra, &cb.provider_ref, now)
        .await
        .map_err(|e| duplicate_as(e, "provider_ref", "payment.provider_ref_used"))?;
    store::billing::add_paid_late(tx, pay.bill_id, cb.amount_fen, now).await?;
    let bill = store::billing::get(tx, pay.bill_id).await?;
    let row = store::billing::payment_by_id(tx, id).await?;
    record(tx, now, PROVIDER, &bill, "payment_paid_late", &row).await?;
    Ok(CallbackOutcome {
        payment_ref: pay.payment_ref.clone(),
        state: "paid_late".into(),
        changed: true,
    })
}

/// Which notices to list (every field optional).
#[derive(Debug, Clone, Default)]
pub struct NoticeFilterInput {
    /// Only the notices of this bill.
    pub bill_id: Option<i64>,
    /// Only the notices of the bill with this number (as printed on it).
    pub bill_number: Option<String>,
    /// Only this verdict (one of [`VERDICTS`]).
    pub verdict: Option<String>,
    /// Page, from 1 ([`PAGE_SIZE`] notices each).
    pub page: Option<i64>,
}

/// A page of the ledger, newest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoticePage {
    /// The notices.
    #[schema(value_type = Vec<Object>)]
    pub notices: Vec<NoticeRow>,
    /// This page, from 1.
    pub page: i64,
    /// Whether a next page exists.
    pub more: bool,
}

/// The payment notices within reach, newest first: head office sees every notice,
/// a station the notices of its own bills (a notice naming no known payment is
/// head office's alone). Needs [`READ`].
pub async fn notices(app: &App, grant: &Grant, f: &NoticeFilterInput) -> AppResult<NoticePage> {
    expect(grant, READ)?;
    let mut v = Violations::new();
    let verdict = f
        .verdict
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(x) = verdict
        && !VERDICTS.contains(&x)
    {
        v.push(Violation::new("verdict", "payment.verdict").with_detail(VERDICTS.join(", ")));
    }
    let page = f.page.unwrap_or(1);
    if !(1..=crate::Page::MAX_PAGE).contains(&page) {
        v.push(
            Violation::new("page", "number.range")
                .with_detail(format!("1..{}", crate::Page::MAX_PAGE)),
        );
    }
    if f.bill_id.is_some_and(|b| b < 1) {
        v.push(Violation::new("bill_id", "number.range").with_detail("1.."));
    }
    let bill_number = f
        .bill_number
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if bill_number.is_some_and(|n| n.chars().count() > 40) {
        v.push(Violation::new("bill_number", "text.length").with_detail("1..40"));
    }
    v.into_result()?;
    let filter = NoticeFilter {
        bill_id: f.bill_id,
        bill_number: bill_number.map(str::to_string),
        verdict: verdict.map(str::to_string),
        offset: (page - 1) * PAGE_SIZE,
        limit: PAGE_SIZE + 1,
    };
    let mut c = conn(app).await?;
    let mut rows = store::billing::ledger::list(&mut c, grant.reach(), &filter).await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    Ok(NoticePage {
        notices: rows,
        page,
        more,
    })
}
