//! A refund back through the provider, asked outside the request's transaction.
//!
//! The refund request ([`super::refund`]) reserves the money on the bill, inserts
//! the refund `pending` and queues a `billing.refund` job in its own transaction;
//! the HTTP request never waits on the provider. The job asks the provider over
//! its API, in the job's outside part (no transaction waits on a provider):
//!
//! - Alipay (`alipay.trade.refund`, [`super::alipay_api`]) answers at once: the
//!   refund is settled in a transaction of its own, with a ledger row;
//! - WeChat Pay (`POST /v3/refund/domestic/refunds`, [`super::wechat_api`])
//!   answers `PROCESSING` and later posts a `REFUND.SUCCESS` notice, which settles
//!   the refund ([`super::notify`]). Until then the job fails with "processing" and
//!   is tried again later by the job machinery; asking again with the same
//!   `out_refund_no` is answered with the same refund (then `SUCCESS`, settled
//!   here), so a lost notice does not leave the refund pending;
//! - the generic sandbox provider, which has no API, answers from its own record in
//!   the job's transaction.
//!
//! Every answer is checked against the refund asked for (order, refund number,
//! amounts: [`domain::billing::answer::check_refund`]) before it is believed. A
//! refund the provider refuses for good becomes `failed` and its reservation is
//! given back.

use super::alipay::ALIPAY;
use super::provider::{RefundAnswer, SANDBOX};
use super::provider_sandbox::sandbox_refund_id;
use super::wechat::WECHAT;
use crate::job::handler::{BoxFuture, Ctx, Handler, Outcome};
use crate::{App, AppError, AppResult};
use domain::billing::answer::RefundAsked;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use store::billing::ledger::NewNotice;
use store::billing::refund::RefundRow;
use store::billing::sandbox::SandboxTransaction;
use store::job::Claimed;

/// The job kind.
pub const KIND: &str = "billing.refund";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Payload {
    refund_ref: String,
}

/// Queues the provider refund `refund_ref` on the refund's own transaction.
pub(crate) async fn enqueue(tx: &mut AnyConnection, refund_ref: &str, now: i64) -> AppResult<()> {
    let payload = serde_json::to_value(Payload {
        refund_ref: refund_ref.into(),
    })
    .map_err(|e| crate::AppError::Internal(e.to_string()))?;
    let key = format!("{KIND}:{refund_ref}");
    crate::job::enqueue(tx, KIND, Some(&key), &payload, now, now).await?;
    Ok(())
}

/// The handler of [`KIND`], registered in `Registry::standard()`.
#[derive(Debug, Clone, Copy)]
pub struct ProviderRefund;

/// Settles a pending refund with the provider's answer and keeps the answer in
/// the ledger, in one transaction. Whether this call settled it.
async fn settle_answer(
    tx: &mut AnyConnection,
    r: &RefundRow,
    succeeded: bool,
    provider_refund_ref: &str,
    answer: serde_json::Value,
    now: i64,
) -> AppResult<bool> {
    let state = if succeeded { "succeeded" } else { "failed" };
    if !super::settlement::settle(tx, r, state, provider_refund_ref, now).await? {
        return Ok(false);
    }
    let notice = NewNotice {
        provider: r.provider.clone(),
        payment_ref: Some(r.refund_ref.clone()),
        bill_id: Some(r.bill_id),
        raw_body: answer.to_string(),
        signature: None,
        client_addr: Some("refund".into()),
        verdict: if succeeded {
            "refund_settled"
        } else {
            "refund_failed"
        }
        .into(),
    };
    store::billing::ledger::insert(tx, &notice, now).await?;
    Ok(true)
}

/// Asks WeChat Pay or Alipay for the pending refund `refund_ref` over its API and
/// settles what it answered. `Err` while WeChat Pay is still processing it, so the
/// job is tried again.
pub async fn ask_api(app: &App, http: &reqwest::Client, refund_ref: &str) -> AppResult<()> {
    let (r, payment) = {
        let mut c = crate::conn(app).await?;
        let r = store::billing::refund::by_ref(&mut c, refund_ref).await?;
        let Some(payment_id) = r.payment_id.filter(|_| r.state == "pending") else {
            return Ok(());
        };
        let p = store::billing::payment_by_id(&mut c, payment_id).await?;
        (r, p)
    };
    let now = app.now_ms();
    let asked = RefundAsked {
        order_no: &payment.payment_ref,
        refund_no: &r.refund_ref,
        refund_fen: r.amount_fen,
        total_fen: payment.amount_fen,
    };
    let answer = match r.provider.as_deref() {
        Some(WECHAT) => match &app.settings.wechat {
            Some(w) => w.refund(http, &asked, &r.reason, now).await?,
            None => return Ok(()),
        },
        Some(ALIPAY) => match &app.settings.alipay {
            Some(a) => a.refund(http, &asked, &r.reason, now).await?,
            None => return Ok(()),
        },
        _ => return Ok(()),
    };
    let (succeeded, id) = match &answer {
        RefundAnswer::Succeeded(id) => (true, id.clone()),
        RefundAnswer::Failed(code) => (false, code.clone()),
        RefundAnswer::Processing(id) => {
            return Err(AppError::Internal(format!(
                "refund {id} processing: waiting for the provider's refund notice"
            )));
        }
    };
    let body = serde_json::json!({
        "out_trade_no": payment.payment_ref, "out_refund_no": r.refund_ref,
        "refund_fen": r.amount_fen, "answer": format!("{answer:?}"),
    });
    let r = &r;
    let (id, body) = (&id, &body);
    crate::transaction::run(app, "billing.refund_answer", move |mut tx| async move {
        // Read again: a notice may have settled it meanwhile.
        let r = store::billing::refund::by_ref(&mut tx, &r.refund_ref).await?;
        if r.state == "pending" {
            settle_answer(&mut tx, &r, succeeded, id, body.clone(), now).await?;
        }
        Ok((tx, ()))
    })
    .await
}

impl Handler for ProviderRefund {
    fn outside<'a>(&'a self, ctx: &'a Ctx, job: &'a Claimed) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let p: Payload = serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
            ask_api(&ctx.app, &ctx.http, &p.refund_ref)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn inside<'a>(
        &'a self,
        ctx: &'a Ctx,
        conn: &'a mut AnyConnection,
        job: &'a Claimed,
    ) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let p: Payload = serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
            answer_at_once(&ctx.app, conn, &p.refund_ref)
                .await
                .map_err(|e| e.to_string())
        })
    }
}

/// The generic sandbox (no API of its own) answers a refund request at once, from
/// its own record, in the job's own transaction, with a ledger row.
async fn answer_at_once(app: &App, conn: &mut AnyConnection, refund_ref: &str) -> AppResult<()> {
    let r = store::billing::refund::by_ref(conn, refund_ref).await?;
    if r.state != "pending"
        || r.provider.as_deref() != Some(SANDBOX)
        || app.settings.payment_sandbox.is_none()
    {
        return Ok(());
    }
    let now = app.now_ms();
    let refund_id = sandbox_refund_id(SANDBOX, &r.refund_ref);
    let t = SandboxTransaction {
        payment_ref: r.refund_ref.clone(),
        provider_ref: refund_id.clone(),
        amount_fen: r.amount_fen,
        status: "refunded".into(),
        at: now,
    };
    match store::billing::sandbox::insert_for(conn, SANDBOX, "refund", &t).await {
        // Asked again (the job ran twice): the provider already has it.
        Ok(()) | Err(store::StoreError::Duplicate(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let answer = serde_json::json!({
        "out_request_no": r.refund_ref, "refund_fee": r.amount_fen, "fund_change": "Y",
        "trade_refund_no": refund_id,
    });
    settle_answer(conn, &r, true, &refund_id, answer, now).await?;
    Ok(())
}
