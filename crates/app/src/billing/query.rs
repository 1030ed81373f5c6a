//! Query on silence: a provider order that no notice has settled is asked about.
//!
//! Opening a provider order arms two timers on the job machinery: a query
//! `payment_query_minutes` after the start, and the expiry at the order's
//! `time_expire` (`payment_expire_minutes`). Either one asks the provider for the
//! order: money it took is applied exactly as its notice would have been (same
//! judging, same ledger row, marked as a query answer); at expiry an order the
//! provider has no money for is closed (`payment_closed`, reason `expired`), so no
//! pay button stays live. A notice that settles the order disarms both timers.
//!
//! WeChat Pay and Alipay are asked over their APIs ([`super::wechat_api`],
//! [`super::alipay_api`]; their sandboxes answer at our own server's sandbox
//! routes, over the same HTTP path) in the timer's outside part, so no database
//! transaction waits on a provider; what they answer is applied in a transaction of
//! its own, and an unpaid order past its expiry is closed at the provider first and
//! then here. The generic sandbox, which has no API of its own, is answered from
//! its record inside the timer's transaction.

use super::alipay::ALIPAY;
use super::notice::{CallbackOutcome, judge_in};
use super::provider::{ApiError, Callback, OrderAnswer, SANDBOX};
use super::record;
use super::watch::{Payload, expires_at};
use super::wechat::WECHAT;
use crate::job::handler::{BoxFuture, Ctx, Handler, Outcome};
use crate::{App, AppResult};
use sqlx::AnyConnection;
use store::billing::PaymentRow;
use store::event::Actor;
use store::job::Claimed;

/// What the generic sandbox says about an order: its latest transaction, if any.
/// WeChat Pay and Alipay are asked over their APIs instead ([`ask_api`]).
async fn ask(
    app: &App,
    conn: &mut AnyConnection,
    p: &PaymentRow,
) -> AppResult<Option<(&'static str, Callback)>> {
    let code = match p.provider.as_deref() {
        Some(SANDBOX) => SANDBOX,
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

/// Asks WeChat Pay or Alipay about a pending order over its API, applies money it
/// took (in a transaction of its own, as its notice would be), and at the expiry
/// closes an unpaid order at the provider. The local close follows in the timer's
/// own transaction ([`run`]). With `close`, the order is one a new start replaced
/// (closed here already): it is asked about all the same (money the payer gave
/// meanwhile is kept, `paid_late`, as its notice would be) and, unpaid, closed at
/// the provider at once. Errors leave the timer to be tried again.
pub async fn ask_api(
    app: &App,
    http: &reqwest::Client,
    payment_ref: &str,
    expire: bool,
    close: bool,
) -> AppResult<Option<CallbackOutcome>> {
    let p = {
        let mut c = crate::conn(app).await?;
        match store::billing::payment_by_ref(&mut c, payment_ref).await {
            Ok(p) => p,
            Err(store::StoreError::NotFound) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
    };
    if p.state != "pending" && !close {
        return Ok(None);
    }
    let now = app.now_ms();
    let (code, answer): (&'static str, Result<OrderAnswer, ApiError>) = match p.provider.as_deref()
    {
        Some(WECHAT) => match &app.settings.wechat {
            Some(w) => (WECHAT, w.query(http, payment_ref, now).await),
            None => return Ok(None),
        },
        Some(ALIPAY) => match &app.settings.alipay {
            Some(a) => (ALIPAY, a.query(http, payment_ref, now).await),
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    match answer? {
        OrderAnswer::Settled(cb) => {
            let cb = &cb;
            let out =
                crate::transaction::run(app, "billing.query_answer", move |mut tx| async move {
                    let out = judge_in(&mut tx, code, cb, "query", now).await?;
                    if out.changed {
                        super::watch::disarm(&mut tx, &cb.payment_ref, now).await?;
                    }
                    Ok((tx, out))
                })
                .await?;
            Ok(Some(out))
        }
        OrderAnswer::Unpaid if close || (expire && now >= expires_at(app, &p)) => {
            match code {
                WECHAT => {
                    if let Some(w) = &app.settings.wechat {
                        w.close(http, payment_ref, now).await?;
                    }
                }
                _ => {
                    if let Some(a) = &app.settings.alipay {
                        a.close(http, payment_ref, now).await?;
                    }
                }
            }
            Ok(None)
        }
        OrderAnswer::Unpaid => Ok(None),
    }
}

/// The handler of [`super::watch::KIND`], registered in `Registry::standard()`.
#[derive(Debug, Clone, Copy)]
pub struct Query;

impl Handler for Query {
    fn outside<'a>(&'a self, ctx: &'a Ctx, job: &'a Claimed) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let p: Payload = serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
            ask_api(&ctx.app, &ctx.http, &p.payment_ref, p.expire, p.close)
                .await
                .map(|_| ())
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
            run(&ctx.app, conn, &p.payment_ref, p.expire)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}
