//! A refund back through the provider, asked outside the request's transaction.
//!
//! The refund request ([`super::refund`]) reserves the money on the bill, inserts
//! the refund `pending` and queues a `billing.refund` job in its own transaction;
//! the HTTP request never waits on the provider. The job asks the provider:
//!
//! - the generic sandbox and Alipay answer the refund request at once (Alipay's
//!   `alipay.trade.refund` is synchronous): the job settles the refund in its own
//!   transaction, with a ledger row;
//! - WeChat Pay answers `PROCESSING` and later posts a `REFUND.SUCCESS` notice: the
//!   job's outside part asks (the sandbox records the refund on its side and posts
//!   the signed, encrypted notice to our notice route's reader), and the notice
//!   settles the refund ([`super::notify`]).
//!
//! A refund the provider refuses becomes `failed` and its reservation is given back.

use super::alipay::ALIPAY;
use super::provider::SANDBOX;
use super::wechat::WECHAT;
use crate::job::handler::{BoxFuture, Ctx, Handler, Outcome};
use crate::{App, AppResult};
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

/// The provider's refund reference the sandbox gives `refund_ref`: the same every
/// time it is asked, as a provider answers a repeated request with the same refund.
fn sandbox_refund_id(provider: &str, refund_ref: &str) -> String {
    let tail: String = refund_ref
        .bytes()
        .map(|b| char::from(b'0' + b % 10))
        .take(24)
        .collect();
    match provider {
        WECHAT => format!("50{tail}"),
        ALIPAY => format!("2088{tail}"),
        _ => format!("SBXR-{}", &refund_ref[..refund_ref.len().min(24)]),
    }
}

async fn sandbox_records(
    conn: &mut AnyConnection,
    provider: &str,
    r: &RefundRow,
    provider_ref: &str,
    now: i64,
) -> AppResult<()> {
    let t = SandboxTransaction {
        payment_ref: r.refund_ref.clone(),
        provider_ref: provider_ref.into(),
        amount_fen: r.amount_fen,
        status: "refunded".into(),
        at: now,
    };
    match store::billing::sandbox::insert_for(conn, provider, "refund", &t).await {
        // Asked again (the job ran twice): the provider already has it.
        Ok(()) | Err(store::StoreError::Duplicate(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The handler of [`KIND`], registered in `Registry::standard()`.
#[derive(Debug, Clone, Copy)]
pub struct ProviderRefund;

async fn pending(app: &App, refund_ref: &str) -> AppResult<Option<RefundRow>> {
    let mut c = crate::conn(app).await?;
    let r = store::billing::refund::by_ref(&mut c, refund_ref).await?;
    Ok((r.state == "pending").then_some(r))
}

async fn ask_wechat(app: &App, refund_ref: &str) -> AppResult<()> {
    let Some(r) = pending(app, refund_ref).await? else {
        return Ok(());
    };
    let Some(w) = app.settings.wechat.as_ref().filter(|w| w.is_sandbox()) else {
        // A real WeChat Pay refund request needs its HTTPS client (not built):
        // the refund stays pending for the cashier.
        return Ok(());
    };
    let now = app.now_ms();
    let refund_id = sandbox_refund_id(WECHAT, &r.refund_ref);
    {
        let mut c = crate::conn(app).await?;
        sandbox_records(&mut c, WECHAT, &r, &refund_id, now).await?;
    }
    // The platform's refund notice, read by the same code as one posted to
    // `/api/v1/payments/notify/wechat`.
    let resource = serde_json::json!({
        "mchid": w.mch_id, "out_trade_no": "", "transaction_id": "",
        "out_refund_no": r.refund_ref, "refund_id": refund_id, "refund_status": "SUCCESS",
        "amount": {"total": r.amount_fen, "refund": r.amount_fen, "payer_total": r.amount_fen, "payer_refund": r.amount_fen},
    });
    let Some(n) = w.sandbox_notice("REFUND.SUCCESS", &resource, now) else {
        return Ok(());
    };
    let headers: Vec<(&str, &str)> = n.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    super::notify::wechat(app, &headers, &n.body, Some("sandbox")).await?;
    Ok(())
}

impl Handler for ProviderRefund {
    fn outside<'a>(&'a self, ctx: &'a Ctx, job: &'a Claimed) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let p: Payload = serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
            let provider = {
                let mut c = crate::conn(&ctx.app).await.map_err(|e| e.to_string())?;
                store::billing::refund::by_ref(&mut c, &p.refund_ref)
                    .await
                    .map_err(|e| e.to_string())?
                    .provider
            };
            if provider.as_deref() == Some(WECHAT) {
                ask_wechat(&ctx.app, &p.refund_ref)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Ok(())
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

/// The providers that answer a refund request at once (the sandbox, Alipay's
/// sandbox) settle it in the job's own transaction, with a ledger row.
async fn answer_at_once(app: &App, conn: &mut AnyConnection, refund_ref: &str) -> AppResult<()> {
    let r = store::billing::refund::by_ref(conn, refund_ref).await?;
    let code = r.provider.clone().unwrap_or_default();
    let sandboxed = match code.as_str() {
        SANDBOX => app.settings.payment_sandbox.is_some(),
        ALIPAY => app.settings.alipay.as_ref().is_some_and(|a| a.is_sandbox()),
        _ => false,
    };
    if r.state != "pending" || !sandboxed {
        return Ok(());
    }
    let now = app.now_ms();
    let refund_id = sandbox_refund_id(&code, &r.refund_ref);
    sandbox_records(conn, &code, &r, &refund_id, now).await?;
    if super::settlement::settle(conn, &r, "succeeded", &refund_id, now).await? {
        let answer = serde_json::json!({
            "out_request_no": r.refund_ref, "refund_fee": r.amount_fen, "fund_change": "Y",
            "trade_refund_no": refund_id,
        });
        let notice = NewNotice {
            provider: Some(code),
            payment_ref: Some(r.refund_ref.clone()),
            bill_id: Some(r.bill_id),
            raw_body: answer.to_string(),
            signature: None,
            client_addr: Some("refund".into()),
            verdict: "refund_settled".into(),
        };
        store::billing::ledger::insert(conn, &notice, now).await?;
    }
    Ok(())
}
