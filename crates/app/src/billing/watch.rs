//! The two timers that watch an open provider order: the query on silence and the
//! expiry. Opening the order arms them ([`arm`]); a notice that settles it disarms
//! them ([`disarm`]); the handler that runs them lives in `query`. Kept apart from
//! the handler so that notices (which disarm) and the handler (which judges what the
//! provider answers as a notice) do not import each other.

use crate::{App, AppResult};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use store::billing::PaymentRow;

/// The job kind of both timers.
pub const KIND: &str = "billing.query";

/// What a timer carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Payload {
    /// The provider order.
    pub payment_ref: String,
    /// Whether this is the expiry (close when nothing was paid).
    pub expire: bool,
    /// Whether the order was replaced by a new start: closed here already, it is
    /// closed at the provider now (after asking whether it took money meanwhile).
    #[serde(default)]
    pub close: bool,
}

fn query_key(payment_ref: &str) -> String {
    format!("billing.query:{payment_ref}")
}

fn expire_key(payment_ref: &str) -> String {
    format!("billing.expire:{payment_ref}")
}

fn close_key(payment_ref: &str) -> String {
    format!("billing.close:{payment_ref}")
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
            close: false,
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

/// Arms the close at the provider of an order a new start replaced (closed here
/// in the start's transaction), due at once, and disarms its query and expiry.
/// The start closes it over HTTP right after committing and then disarms this
/// timer ([`disarm_close`]); the timer is what closes it when that call failed or
/// the process stopped in between, so the provider never keeps a second open
/// order for the bill.
pub(crate) async fn arm_close(tx: &mut AnyConnection, p: &PaymentRow, now: i64) -> AppResult<()> {
    disarm(tx, &p.payment_ref, now).await?;
    let payload = serde_json::to_value(Payload {
        payment_ref: p.payment_ref.clone(),
        expire: true,
        close: true,
    })
    .map_err(|e| crate::AppError::Internal(e.to_string()))?;
    crate::job::arm(tx, &close_key(&p.payment_ref), KIND, now, &payload, now).await?;
    Ok(())
}

/// Disarms the close timer of a replaced order once the provider closed it.
pub(crate) async fn disarm_close(
    tx: &mut AnyConnection,
    payment_ref: &str,
    now: i64,
) -> AppResult<()> {
    crate::job::disarm(tx, &close_key(payment_ref), now).await?;
    Ok(())
}
