//! Query on silence: a provider order that no notice has settled is asked about.
//!
//! Opening a provider order arms two timers on the job machinery: a query
//! `payment_query_minutes` after the start, and the expiry at the order's
//! `time_expire` (`payment_expire_minutes`). Either one asks the provider for the
//! order: money it took is applied exactly as its notice would have been (same
//! judging, same ledger row, marked as a query answer); at expiry an order the
//! provider has no money for is closed (`payment_closed`, reason `expired`), so no
//! pay button stays live. A notice that settles the order disarms both timers.

use super::notice::{CallbackOutcome, judge_in};
use super::provider::{Callback, SANDBOX};
use super::record;
use super::watch::{Payload, expires_at};
use crate::job::handler::{BoxFuture, Ctx, Handler, Outcome};
use crate::{App, AppResult};
use sqlx::AnyConnection;
use store::billing::PaymentRow;
use store::event::Actor;
use store::job::Claimed;

/// What the provider says about an order: its latest transaction, if any, and the
/// provider's code. The sandboxes (of the generic provider, WeChat Pay and Alipay)
/// answer from their own side (`sandbox_transactions`); a real provider's query
/// API is not called by this build.
async fn ask(
    app: &App,
    conn: &mut AnyConnection,
    p: &PaymentRow,
) -> AppResult<Option<(&'static str, Callback)>> {
    let code = match p.provider.as_deref() {
        Some(SANDBOX) => SANDBOX,
        Some(super::wechat::WECHAT) => super::wechat::WECHAT,
        Some(super::alipay::ALIPAY) => super::alipay::ALIPAY,
        _ => return Ok(None),
    };
    if !super::sandbox::sandboxed(app, Some(code)) {
        return Ok(None);
    }
    Ok(store::billing::sandbox::latest(conn, &p.payment_ref)
        .await?
        .map(|t| {
            (
                code,
                Callback {
                    provider: code.into(),
                    payment_ref: t.payment_ref,
                    provider_ref: t.provider_ref,
                    amount_fen: t.amount_fen,
                    status: t.status,
                },
            )
        }))
}

/// Queries one order (and closes it at expiry when nothing was paid); what the
/// query applied, if anything.
pub async fn run(
    app: &App,
    conn: &mut AnyConnection,
    payment_ref: &str,
    expire: bool,
) -> AppResult<Option<CallbackOutcome>> {
    let now = app.now_ms();
    let p = match store::billing::payment_by_ref(conn, payment_ref).await {
        Ok(p) => p,
        Err(store::StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if p.state != "pending" {
        return Ok(None);
    }
    if let Some((code, answer)) = ask(app, conn, &p).await? {
        return judge_in(conn, code, &answer, "query", now).await.map(Some);
    }
    if expire
        && now >= expires_at(app, &p)
        && store::billing::close(conn, p.id, "closed", None, "expired", now).await?
    {
        let bill = store::billing::get(conn, p.bill_id).await?;
        record(conn, now, Actor::SYSTEM, &bill, "payment_closed", &p).await?;
    }
    Ok(None)
}

/// The handler of [`super::watch::KIND`], registered in `Registry::standard()`.
#[derive(Debug, Clone, Copy)]
pub struct Query;

impl Handler for Query {
    fn inside<'a>(
        &'a self,
        ctx: &'a Ctx,
        conn: &'a mut AnyConnection,
        job: &'a Claimed,
    ) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let p: Payload = serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
            run(&ctx.app, conn, &p.payment_ref, p.expire)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}
