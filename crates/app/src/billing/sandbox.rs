//! The sandbox provider's side of the flow: its checkout page, and what pressing
//! "pay" or "fail" there does — record the transaction on the provider's side
//! (`sandbox_transactions`, which its order query and statement file read), then
//! sign the notice the server posts to its own callback.

use super::alipay::ALIPAY;
use super::provider::{
    Callback, ProviderNotice, SANDBOX, SIGNATURE_HEADER, Sandbox, SignedCallback,
};
use super::wechat::WECHAT;
use crate::shared::{new_ref, refused_rule as refused};
use crate::{App, AppError, AppResult, conn};
use serde::Serialize;
use store::billing::PaymentRow;
use store::billing::sandbox::SandboxTransaction;

/// What the sandbox checkout page shows.
#[derive(Debug, Clone, Serialize)]
pub struct SandboxCheckout {
    /// The provider the sandbox plays (`sandbox`, `wechat`, `alipay`).
    pub provider: String,
    /// Our payment reference.
    pub payment_ref: String,
    /// The bill's number.
    pub bill_number: String,
    /// Amount, fen.
    pub amount_fen: i64,
    /// The payment's state.
    pub state: String,
}

/// Whether the provider `code` is played by a sandbox on this server.
pub fn sandboxed(app: &App, code: Option<&str>) -> bool {
    match code {
        Some(SANDBOX) => app.settings.payment_sandbox.is_some(),
        Some(WECHAT) => app.settings.wechat.as_ref().is_some_and(|w| w.is_sandbox()),
        Some(ALIPAY) => app.settings.alipay.as_ref().is_some_and(|a| a.is_sandbox()),
        _ => false,
    }
}

async fn any_sandbox_payment(
    app: &App,
    c: &mut sqlx::AnyConnection,
    payment_ref: &str,
) -> AppResult<PaymentRow> {
    if payment_ref.len() < 32 {
        return Err(AppError::NotFound);
    }
    let p = store::billing::payment_by_ref(c, payment_ref).await?;
    if !sandboxed(app, p.provider.as_deref()) {
        return Err(AppError::NotFound);
    }
    Ok(p)
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
    let p = any_sandbox_payment(app, &mut c, payment_ref).await?;
    let bill = store::billing::get(&mut c, p.bill_id).await?;
    Ok(SandboxCheckout {
        provider: p.provider.clone().unwrap_or_default(),
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

/// The notice the sandbox playing the payment's provider posts when the payer
/// presses "pay" (`pay = true`) or "fail", in that provider's own shape: the
/// generic sandbox's signed JSON callback, WeChat Pay's signed and encrypted
/// APIv3 notice, or Alipay's RSA2-signed form. The provider's own record
/// (`sandbox_transactions`) is written first, so a lost notice is still found by
/// the order query and in the statement file. Refused when the payment is no
/// longer pending or past its `time_expire`.
pub async fn sandbox_notice(app: &App, payment_ref: &str, pay: bool) -> AppResult<ProviderNotice> {
    let mut c = conn(app).await?;
    let p = any_sandbox_payment(app, &mut c, payment_ref).await?;
    let code = p.provider.clone().unwrap_or_default();
    if code == SANDBOX {
        drop(c);
        let s = sandbox_submit(app, payment_ref, pay).await?;
        return Ok(ProviderNotice {
            path: "/api/v1/payments/callback",
            content_type: "application/json",
            headers: vec![(SIGNATURE_HEADER, s.signature)],
            body: s.body,
        });
    }
    // A closed order takes no money at the provider, whatever we know of it.
    if p.state != "pending" || store::billing::sandbox::closed(&mut c, &code, payment_ref).await? {
        return Err(refused("payment_ref", "payment.not_pending"));
    }
    let now = app.now_ms();
    if now >= super::watch::expires_at(app, &p) {
        return Err(refused("payment_ref", "payment.expired"));
    }
    // The providers' own transaction numbers: 28 digits.
    let digits: String = new_ref()
        .bytes()
        .map(|b| char::from(b'0' + b % 10))
        .take(20)
        .collect();
    let day = jiff::Timestamp::from_millisecond(now)
        .map_err(|e| AppError::Internal(e.to_string()))?
        .strftime("%Y%m%d")
        .to_string();
    let (provider_ref, notice) = if code == WECHAT {
        let w = app.settings.wechat.as_ref().ok_or(AppError::NotFound)?;
        let id = format!("42{}", &format!("{day}{digits}")[..26]);
        let tx = w.sandbox_transaction(&p.payment_ref, &id, p.amount_fen, pay);
        let event = if pay {
            "TRANSACTION.SUCCESS"
        } else {
            "TRANSACTION.PAYERROR"
        };
        (id, w.sandbox_notice(event, &tx, now))
    } else {
        let a = app.settings.alipay.as_ref().ok_or(AppError::NotFound)?;
        let id = format!("{day}{digits}");
        let n = a.sandbox_notice(&p.payment_ref, &id, p.amount_fen, pay, now);
        (id, n)
    };
    let notice = notice.ok_or(AppError::NotFound)?;
    store::billing::sandbox::insert_for(
        &mut c,
        &code,
        "payment",
        &SandboxTransaction {
            payment_ref: p.payment_ref.clone(),
            provider_ref,
            amount_fen: p.amount_fen,
            status: if pay { "paid" } else { "failed" }.into(),
            at: now,
        },
    )
    .await?;
    Ok(notice)
}

/// The notice the sandbox playing the payment's provider sends again for the
/// payer's latest transaction on the order, as the providers do until they get
/// an answer (WeChat Pay for about 24 h, Alipay up to 8 times in 25 h): the same
/// transaction, signed anew (a new timestamp and nonce). It records nothing on
/// the provider's side; our notice route must find it a duplicate. Not found
/// when the payer never reached the cashier or no sandbox plays the provider.
pub async fn sandbox_notice_again(app: &App, payment_ref: &str) -> AppResult<ProviderNotice> {
    let mut c = conn(app).await?;
    let p = any_sandbox_payment(app, &mut c, payment_ref).await?;
    let code = p.provider.clone().unwrap_or_default();
    let t = store::billing::sandbox::latest(&mut c, payment_ref)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(c);
    let now = app.now_ms();
    let paid = t.status == "paid";
    match code.as_str() {
        WECHAT => {
            let w = app.settings.wechat.as_ref().ok_or(AppError::NotFound)?;
            let tx = w.sandbox_transaction(&t.payment_ref, &t.provider_ref, t.amount_fen, paid);
            let event = if paid {
                "TRANSACTION.SUCCESS"
            } else {
                "TRANSACTION.PAYERROR"
            };
            w.sandbox_notice(event, &tx, now).ok_or(AppError::NotFound)
        }
        ALIPAY => {
            let a = app.settings.alipay.as_ref().ok_or(AppError::NotFound)?;
            a.sandbox_notice(&t.payment_ref, &t.provider_ref, t.amount_fen, paid, now)
                .ok_or(AppError::NotFound)
        }
        _ => {
            let cb = Callback {
                provider: SANDBOX.into(),
                payment_ref: t.payment_ref,
                provider_ref: t.provider_ref,
                amount_fen: t.amount_fen,
                status: t.status,
            };
            let s = Sandbox::for_app(app)
                .ok_or(AppError::NotFound)?
                .sign(&cb, now)?;
            Ok(ProviderNotice {
                path: "/api/v1/payments/callback",
                content_type: "application/json",
                headers: vec![(SIGNATURE_HEADER, s.signature)],
                body: s.body,
            })
        }
    }
}
