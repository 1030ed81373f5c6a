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

use super::provider::{Callback, SignatureError, provider};
use super::{READ, record};
use crate::network::expect;
use crate::shared::{duplicate_as, refused_rule as refused};
use crate::{App, AppError, AppResult, begin, commit, conn};
use domain::permission::Grant;
use domain::{Violation, Violations};
use serde::Serialize;
use store::billing::ledger::{NewNotice, NoticeFilter, NoticeRow};
use store::event::Actor;

/// The verdicts a notice can get, as kept in the ledger.
pub const VERDICTS: [&str; 12] = [
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
/// or was cancelled is recorded as `paid_late` and flags the bill.
pub async fn callback(
    app: &App,
    signature: &str,
    body: &str,
    client_addr: Option<&str>,
) -> AppResult<CallbackOutcome> {
    let now = app.now_ms();
    let result = judge(app, signature, body, now).await;
    let verdict = verdict_of(&result);
    let named = serde_json::from_str::<serde_json::Value>(body).ok();
    let field = |k: &str| {
        named
            .as_ref()
            .and_then(|v| v.get(k))
            .and_then(|p| p.as_str())
            .map(|s| s.chars().take(200).collect::<String>())
    };
    let payment_ref = field("payment_ref");
    // Its own transaction: kept even when the notice was refused.
    let mut tx = begin(app).await?;
    let bill_id = match &payment_ref {
        Some(r) => store::billing::payment_by_ref(&mut tx, r)
            .await
            .ok()
            .map(|p| p.bill_id),
        None => None,
    };
    let notice = NewNotice {
        provider: field("provider"),
        payment_ref,
        bill_id,
        raw_body: body.to_string(),
        signature: (!signature.is_empty()).then(|| signature.chars().take(500).collect()),
        client_addr: client_addr.map(str::to_string),
        verdict: verdict.into(),
    };
    store::billing::ledger::insert(&mut tx, &notice, now).await?;
    commit(tx).await?;
    result
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
            _ => "error",
        },
        Err(_) => "error",
    }
}

/// Judges a notice and applies it when it should be; see [`callback`].
async fn judge(app: &App, signature: &str, body: &str, now: i64) -> AppResult<CallbackOutcome> {
    // The provider named in the body picks the secret; nothing else is trusted
    // before the signature is verified.
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
    let mut tx = begin(app).await?;
    let pay = store::billing::payment_by_ref(&mut tx, &cb.payment_ref).await?;
    if pay.provider.as_deref() != Some(p.code()) {
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
    let late = match (pay.state.as_str(), cb.status.as_str()) {
        ("paid", "paid") | ("failed", "failed") | ("paid_late", "paid") if same_ref => {
            return Ok(unchanged(&pay.state));
        }
        ("pending", _) => false,
        // Real money for a payment we had given up on: keep it, never refuse it.
        ("failed" | "cancelled" | "closed", "paid") => true,
        _ => return Err(refused("payment_ref", "payment.not_pending")),
    };
    let who = Actor {
        role: "provider",
        id: 0,
        kind: "system",
    };
    let bill = store::billing::get(&mut tx, pay.bill_id).await?;
    let done = if late {
        store::billing::settle_late(&mut tx, pay.id, &cb.provider_ref, now).await
    } else if cb.status == "paid" {
        store::billing::settle(&mut tx, pay.id, &cb.provider_ref, now).await
    } else {
        let r = Some(cb.provider_ref.as_str());
        store::billing::close(&mut tx, pay.id, "failed", r, "provider", now).await
    }
    .map_err(|e| duplicate_as(e, "provider_ref", "payment.provider_ref_used"))?;
    if !done {
        // A concurrent callback got there first: report what it did.
        drop(tx);
        let mut c = conn(app).await?;
        let now_pay = store::billing::payment_by_ref(&mut c, &cb.payment_ref).await?;
        return if now_pay.provider_ref.as_deref() == Some(cb.provider_ref.as_str()) {
            Ok(unchanged(&now_pay.state))
        } else {
            Err(refused("payment_ref", "payment.not_pending"))
        };
    }
    let kind = if late {
        store::billing::add_paid_late(&mut tx, bill.id, pay.amount_fen, now).await?;
        "payment_paid_late"
    } else if cb.status == "paid" {
        store::billing::add_paid(&mut tx, bill.id, pay.amount_fen, now)
            .await
            .map_err(|e| duplicate_as(e, "bill", "bill.paid"))?;
        "payment_recorded"
    } else {
        "payment_failed"
    };
    let row = store::billing::payment_by_ref(&mut tx, &cb.payment_ref).await?;
    record(&mut tx, now, who, &bill, kind, &row).await?;
    commit(tx).await?;
    Ok(CallbackOutcome {
        payment_ref: row.payment_ref,
        state: row.state,
        changed: true,
    })
}

/// Which notices to list (every field optional).
#[derive(Debug, Clone, Default)]
pub struct NoticeFilterInput {
    /// Only the notices of this bill.
    pub bill_id: Option<i64>,
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
    if !(1..=100_000).contains(&page) {
        v.push(Violation::new("page", "number.range").with_detail("1..100000"));
    }
    if f.bill_id.is_some_and(|b| b < 1) {
        v.push(Violation::new("bill_id", "number.range").with_detail("1.."));
    }
    v.into_result()?;
    let filter = NoticeFilter {
        bill_id: f.bill_id,
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
