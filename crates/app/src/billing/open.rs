//! Opening a provider order over its API: once a start has committed the bill's
//! one open order (a pending online payment), WeChat Pay (Native order) or Alipay
//! (`alipay.trade.precreate`) is asked for the pay link, outside any transaction
//! so no database lock waits on a provider. A start that reuses the open order
//! asks again with the same terms and gets the same link back. The sandboxes
//! answer with their checkout page on our own server, given as a path so the
//! payer's browser stays on the address it came by.

use super::alipay::ALIPAY;
use super::watch::expires_at;
use super::wechat::WECHAT;
use crate::{App, AppError, AppResult, conn};
use domain::Violation;

/// The provider's pay link for the pending order `payment_ref` of `provider`;
/// `None` for a provider without an order API (the generic sandbox), whose
/// checkout URL stands. A provider that cannot be reached or refuses is a 409
/// naming `provider`: the order stays open, and a new start asks again.
pub(super) async fn pay_url(
    app: &App,
    provider: &str,
    payment_ref: &str,
) -> AppResult<Option<String>> {
    if provider != WECHAT && provider != ALIPAY {
        return Ok(None);
    }
    let (p, bill) = {
        let mut c = conn(app).await?;
        let p = store::billing::payment_by_ref(&mut c, payment_ref).await?;
        let bill = store::billing::get(&mut c, p.bill_id).await?;
        (p, bill)
    };
    let expire = expires_at(app, &p);
    let now = app.now_ms();
    // The payer sees this on the provider's cashier: the bill's number.
    let subject = format!("Service bill {}", bill.number);
    let (opened, server) = match provider {
        WECHAT => {
            let Some(w) = &app.settings.wechat else {
                return Ok(None);
            };
            let o = w
                .open_native(payment_ref, &subject, p.amount_fen, expire, now)
                .await;
            (o, w.sandbox_server())
        }
        _ => {
            let Some(a) = &app.settings.alipay else {
                return Ok(None);
            };
            let o = a
                .precreate(payment_ref, &subject, p.amount_fen, expire, now)
                .await;
            (o, a.sandbox_server())
        }
    };
    let opened = opened.map_err(|e| {
        tracing::warn!(error = %e, provider, "the provider did not open the order");
        AppError::Refused(
            Violation::new("provider", "payment.provider_unavailable")
                .with_detail(provider)
                .into(),
        )
    })?;
    let url = match server {
        Some(s) => match opened.code_url.strip_prefix(&s) {
            Some(path) if path.starts_with('/') => path.to_string(),
            _ => opened.code_url,
        },
        None => opened.code_url,
    };
    Ok(Some(url))
}
