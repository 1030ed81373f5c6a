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
use crate::job::handler::{BoxFuture, Ctx, Handler, Outcome};
use crate::{App, AppResult};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use store::billing::PaymentRow;
use store::event::Actor;
use store::job::Claimed;

/// The job kind of both timers.
pub const KIND: &str = "billing.query";

/// What a timer carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Payload {
    payment_ref: String,
    /// Whether this is the expiry (close when nothing was paid).
    expire: bool,
}

fn query_key(payment_ref: &str) -> String {
    format!("billing.query:{payment_ref}")
}

fn expire_key(payment_ref: &str) -> String {
    format!("billing.expire:{payment_ref}")
}

/// When a provider order expires (its `time_expire`), UTC ms.
pub fn expires_at(app: &App, p: &PaymentRow) -> i64 {
    p.created_at + app.settings.payment_expire_minutes.max(1) * 60_000
}

/// Arms the query and the expiry of a provider order just opened, on its
/// transaction.
pub(crate) async fn arm(
    app: &App,
    tx: &mut AnyConnection,
    p: &PaymentRow,
    now: i64,
) -> AppResult<()> {
    let query_at = now + app.settings.payment_query_minutes.max(1) * 60_000;
    let expire_at = expires_at(app, p);
    for (key, due, expire) in [
        (query_key(&p.payment_ref), query_at.min(expire_at), false),
        (expire_key(&p.payment_ref), expire_at, true),
    ] {
        let payload = serde_json::to_value(Payload {
            payment_ref: p.payment_ref.clone(),
            expire,
        })
        .map_err(|e| crate::AppError::Internal(e.to_string()))?;
        crate::job::arm(tx, &key, KIND, due, &payload, now).await?;
    }
    Ok(())
}

/// Disarms both timers of an order a notice settled, on the notice's transaction.
pub(crate) async fn disarm(tx: &mut AnyConnection, payment_ref: &str, now: i64) -> AppResult<()> {
    crate::job::disarm(tx, &query_key(payment_ref), now).await?;
    crate::job::disarm(tx, &expire_key(payment_ref), now).await?;
    Ok(())
}

/// What the provider says about an order: its latest transaction, if any. Only the
/// sandbox ships; it answers from its own side (`sandbox_transactions`).
async fn ask(conn: &mut AnyConnection, p: &PaymentRow) -> AppResult<Option<Callback>> {
    if p.provider.as_deref() != Some(SANDBOX) {
        return Ok(None);
    }
    Ok(store::billing::sandbox::latest(conn, &p.payment_ref)
        .await?
        .map(|t| Callback {
            provider: SANDBOX.into(),
            payment_ref: t.payment_ref,
            provider_ref: t.provider_ref,
            amount_fen: t.amount_fen,
            status: t.status,
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
    if let Some(answer) = ask(conn, &p).await? {
        let code = SANDBOX;
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

/// The handler of [`KIND`], registered in `Registry::standard()`.
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
