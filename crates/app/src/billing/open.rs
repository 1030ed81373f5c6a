//! Opening a provider order over its API: once a start has committed the bill's
//! one open order (a pending online payment), WeChat Pay (Native order) or Alipay
//! (`alipay.trade.precreate`) is asked for the pay link, outside any transaction
//! so no database lock waits on a provider. A start that reuses the open order
//! asks again with the same terms and gets the same link back. The sandboxes
//! answer with their checkout page on our own server, given as a path so the
//! payer's browser stays on the address it came by.

use super::alipay::ALIPAY;
use super::watch::{disarm_close, expires_at};
use super::wechat::WECHAT;
use crate::{App, AppError, AppResult, conn};
use domain::Violation;
use domain::billing::channel::{Device, OrderShape, shape};

/// The provider's pay link for the pending order `payment_ref` of `provider`;
/// `None` for a provider without an order API (the generic sandbox), whose
/// checkout URL stands. A provider that cannot be reached or refuses is a 409
/// naming `provider`: the order stays open, and a new start asks again.
pub(super) async fn pay_url(
    app: &App,
    provider: &str,
    payment_ref: &str,
    payer: &Payer<'_>,
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
            let o = match shape(ALIPAY, payer.device, false) {
                Some(s @ (OrderShape::WapPay | OrderShape::PagePay)) => {
                    let back = payer
                        .back
                        .zip(a.notify_url.get())
                        .map(|(path, notify)| format!("{}{path}", origin(notify)));
                    a.page_pay(
                        s,
                        payment_ref,
                        &subject,
                        p.amount_fen,
                        expire,
                        back.as_deref(),
                        now,
                    )
                }
                _ => {
                    a.precreate(payment_ref, &subject, p.amount_fen, expire, now)
                        .await
                }
            };
            (o, a.sandbox_server())
        }
    };
    // A start that replaced this order may have committed while we asked: its
    // close at the provider may have come before our open, so close it again and
    // let the payer start afresh (that start finds the bill's one open order).
    let still_open = {
        let mut c = conn(app).await?;
        store::billing::payment_by_ref(&mut c, payment_ref)
            .await?
            .state
            == "pending"
    };
    if !still_open {
        close_replaced(app, &[payment_ref.to_string()]).await;
        return Err(store::StoreError::Conflict("bill.changed_meanwhile").into());
    }
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

/// Where the payer starts from: their device (which decides the order's shape,
/// [`shape`]) and the page on our server to come back to after the provider's
/// cashier (a path, `/owner/track/{token}`).
#[derive(Debug, Clone, Copy)]
pub struct Payer<'a> {
    /// The payer's device; [`Device::Desk`] for a start from the desk or the API.
    pub device: Device,
    /// The page to come back to, a path on our server.
    pub back: Option<&'a str>,
}

impl Payer<'_> {
    /// A start from the desk or the API: a QR code for the payer to scan.
    pub const DESK: Payer<'static> = Payer {
        device: Device::Desk,
        back: None,
    };
}

/// `https://host:port` of an absolute URL (our notify URL's, where the payer's
/// page is too).
fn origin(url: &str) -> &str {
    let after = url.find("://").map_or(0, |i| i + 3);
    match url[after..].find('/') {
        Some(i) => &url[..after + i],
        None => url,
    }
}

/// Closes at their provider the orders a start replaced (closed here in the
/// start's transaction), right after the start committed, so the payer never
/// holds two live pay links; each one's close timer is disarmed once the
/// provider closed it. A provider that cannot be reached, or that took money on
/// the order meanwhile (WeChat Pay `ORDERPAID`, Alipay `ACQ.TRADE_STATUS_ERROR`),
/// leaves the timer to it: the timer asks about the order first and keeps money
/// found as late money (`paid_late`), then closes it. The start is not refused.
pub(super) async fn close_replaced(app: &App, replaced: &[String]) {
    for payment_ref in replaced {
        if let Err(e) = close_now(app, payment_ref).await {
            tracing::warn!(error = %e, payment_ref, "replaced order not closed at the provider yet; its timer will");
        }
    }
}

async fn close_now(app: &App, payment_ref: &str) -> AppResult<()> {
    let provider = {
        let mut c = conn(app).await?;
        store::billing::payment_by_ref(&mut c, payment_ref)
            .await?
            .provider
    };
    let now = app.now_ms();
    let closed = match (
        provider.as_deref(),
        &app.settings.wechat,
        &app.settings.alipay,
    ) {
        (Some(WECHAT), Some(w), _) => w.close(&w.http, payment_ref, now).await,
        (Some(ALIPAY), _, Some(a)) => a.close(&a.http, payment_ref, now).await,
        _ => return Ok(()),
    };
    closed.map_err(|e| AppError::Internal(e.to_string()))?;
    crate::transaction::run(app, "billing.replaced_closed", move |mut tx| async move {
        disarm_close(&mut tx, payment_ref, now).await?;
        Ok((tx, ()))
    })
    .await
}
