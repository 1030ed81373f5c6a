//! The sandbox provider's side of the flow: its checkout page, and what pressing
//! "pay" or "fail" there does — record the transaction on the provider's side
//! (`sandbox_transactions`, which its order query and statement file read), then
//! sign the notice the server posts to its own callback.

use super::provider::{Callback, SANDBOX, Sandbox, SignedCallback};
use crate::shared::{new_ref, refused_rule as refused};
use crate::{App, AppError, AppResult, conn};
use serde::Serialize;
use store::billing::PaymentRow;
use store::billing::sandbox::SandboxTransaction;

/// What the sandbox checkout page shows.
#[derive(Debug, Clone, Serialize)]
pub struct SandboxCheckout {
    /// Our payment reference.
    pub payment_ref: String,
    /// The bill's number.
    pub bill_number: String,
    /// Amount, fen.
    pub amount_fen: i64,
    /// The payment's state.
    pub state: String,
}

async fn sandbox_payment(c: &mut sqlx::AnyConnection, payment_ref: &str) -> AppResult<PaymentRow> {
    if payment_ref.len() < 32 {
        return Err(AppError::NotFound);
    }
    let p = store::billing::payment_by_ref(c, payment_ref).await?;
    if p.provider.as_deref() != Some(SANDBOX) {
        return Err(AppError::NotFound);
    }
    Ok(p)
}

/// The sandbox provider's checkout page data for a payment (the reference is the
/// capability, as with a real provider's checkout URL).
pub async fn sandbox_checkout(app: &App, payment_ref: &str) -> AppResult<SandboxCheckout> {
    if !app.settings.online_payment() {
        return Err(AppError::NotFound);
    }
    let mut c = conn(app).await?;
    let p = sandbox_payment(&mut c, payment_ref).await?;
    let bill = store::billing::get(&mut c, p.bill_id).await?;
    Ok(SandboxCheckout {
        payment_ref: p.payment_ref,
        bill_number: bill.number,
        amount_fen: p.amount_fen,
        state: p.state,
    })
}

/// The callback the sandbox provider sends when the payer presses "pay"
/// (`pay = true`) or "fail": a new provider reference, the payment's amount, signed
/// now with the sandbox secret. Refused when the payment is no longer pending.
pub async fn sandbox_submit(app: &App, payment_ref: &str, pay: bool) -> AppResult<SignedCallback> {
    let mut c = conn(app).await?;
    let p = sandbox_payment(&mut c, payment_ref).await?;
    if p.state != "pending" {
        return Err(refused("payment_ref", "payment.not_pending"));
    }
    let now = app.now_ms();
    // time_expire: the provider takes no money for an order past its expiry.
    if now >= super::watch::expires_at(app, &p) {
        return Err(refused("payment_ref", "payment.expired"));
    }
    let cb = Callback {
        provider: SANDBOX.into(),
        payment_ref: p.payment_ref,
        provider_ref: format!("SBX-{}", &new_ref()[..24]),
        amount_fen: p.amount_fen,
        status: if pay { "paid" } else { "failed" }.into(),
    };
    let signed = Sandbox::for_app(app)
        .ok_or(AppError::NotFound)?
        .sign(&cb, now)?;
    // The provider's own record comes first: a notice lost on the way is still
    // found by the order query and in the statement file.
    store::billing::sandbox::insert(
        &mut c,
        &SandboxTransaction {
            payment_ref: cb.payment_ref.clone(),
            provider_ref: cb.provider_ref.clone(),
            amount_fen: cb.amount_fen,
            status: cb.status.clone(),
            at: now,
        },
    )
    .await?;
    Ok(signed)
}
