//! Notices in the providers' own shapes: WeChat Pay APIv3 (signed headers, an
//! encrypted resource) and Alipay (a signed form). Each is verified and read by its
//! adapter ([`super::wechat`], [`super::alipay`]), checked against our account
//! ([`domain::billing::notice::check_account`]), turned into our terms and judged
//! exactly as every notice is ([`super::notice`]): against its own order, once,
//! kept in the ledger whatever the verdict. A WeChat Pay refund notice settles the
//! refund it names.

use super::alipay::ALIPAY;
use super::notice::{CallbackOutcome, receive};
use super::provider::{Callback, SignatureError};
use super::wechat::{NoticeError, WECHAT, WechatEvent, header};
use crate::shared::refused_rule as refused;
use crate::{App, AppError, AppResult};
use domain::Violation;
use domain::billing::notice::{NoticeFacts, check_account};
use store::billing::ledger::NewNotice;

fn from_notice_error(e: NoticeError) -> AppError {
    match e {
        NoticeError::Signature(s) => refused("signature", s.rule()),
        NoticeError::Malformed(v) => AppError::Invalid(v.into()),
    }
}

/// A verified payment's facts as a notice in our terms, after our account checks.
fn callback_of(
    code: &'static str,
    facts: &NoticeFacts,
    provider_ref: String,
    paid: bool,
    merchant_id: &str,
    app_id: &str,
) -> AppResult<(&'static str, Callback)> {
    check_account(facts, merchant_id, app_id).map_err(|v| AppError::Refused(v.into()))?;
    if provider_ref.trim().is_empty() || provider_ref.len() > 64 {
        return Err(AppError::Invalid(
            Violation::new("provider_ref", "required").into(),
        ));
    }
    Ok((
        code,
        Callback {
            provider: code.into(),
            payment_ref: facts.order_no.clone(),
            provider_ref,
            amount_fen: facts.amount_fen,
            status: if paid { "paid" } else { "failed" }.into(),
        },
    ))
}

/// Handles a WeChat Pay notice: `headers` are the request's headers (names in
/// lower case). The signature (platform key by serial, timestamp window) is
/// checked before anything else, then the nonce must be new, then the resource is
/// decrypted; a payment is judged against its order, a refund settles the refund.
/// Every notice is kept in the ledger with its verdict.
pub async fn wechat(
    app: &App,
    headers: &[(&str, &str)],
    body: &str,
    client_addr: Option<&str>,
) -> AppResult<CallbackOutcome> {
    let now = app.now_ms();
    let signature = ["wechatpay-serial", "wechatpay-timestamp", "wechatpay-nonce"]
        .iter()
        .map(|h| format!("{h}={}", header(headers, h).unwrap_or("")))
        .chain(std::iter::once(format!(
            "wechatpay-signature={}",
            header(headers, "wechatpay-signature").unwrap_or("")
        )))
        .collect::<Vec<_>>()
        .join(",");
    let mut notice = NewNotice {
        provider: Some(WECHAT.into()),
        payment_ref: None,
        bill_id: None,
        raw_body: body.to_string(),
        signature: Some(signature.chars().take(1000).collect()),
        client_addr: client_addr.map(str::to_string),
        verdict: String::new(),
    };
    let verified: AppResult<WechatEvent> = async {
        let w = app
            .settings
            .wechat
            .as_ref()
            .ok_or_else(|| refused("signature", SignatureError::Invalid.rule()))?;
        let nonce = w
            .verify(headers, body, now)
            .map_err(|e| refused("signature", e.rule()))?;
        let mut c = crate::conn(app).await?;
        if !store::billing::ledger::first_use_of_nonce(&mut c, WECHAT, nonce, now).await? {
            return Err(refused("wechatpay-nonce", "payment.replayed"));
        }
        w.read(body).map_err(from_notice_error)
    }
    .await;
    let (w_mch, w_app) = app
        .settings
        .wechat
        .as_ref()
        .map(|w| (w.mch_id.clone(), w.app_id.clone()))
        .unwrap_or_default();
    match verified {
        Ok(WechatEvent::Transaction {
            facts,
            transaction_id,
            paid,
        }) => {
            notice.payment_ref = Some(facts.order_no.chars().take(200).collect());
            let cb = callback_of(WECHAT, &facts, transaction_id, paid, &w_mch, &w_app);
            receive(app, notice, cb, now).await
        }
        Ok(WechatEvent::Refund {
            out_refund_no,
            refund_id,
            mch_id,
            amount_fen,
            succeeded,
        }) => {
            if mch_id != w_mch {
                let e = refused("mchid", "payment.merchant_mismatch");
                return receive(app, notice, Err(e), now).await;
            }
            refund_notice(
                app,
                notice,
                &out_refund_no,
                &refund_id,
                amount_fen,
                succeeded,
                now,
            )
            .await
        }
        Err(e) => receive(app, notice, Err(e), now).await,
    }
}

/// A refund notice: settles the pending refund it names (`succeeded` or
/// `failed`), once; a repeat changes nothing. Kept in the ledger in the same
/// transaction (verdict `refund_settled`, or `duplicate`).
async fn refund_notice(
    app: &App,
    notice: NewNotice,
    out_refund_no: &str,
    refund_id: &str,
    amount_fen: i64,
    succeeded: bool,
    now: i64,
) -> AppResult<CallbackOutcome> {
    /// What the transaction decided: settled (or a repeat), or refused with the
    /// notice as far as it was matched, to be kept by `receive`.
    enum Step {
        Done(bool),
        Refuse(Box<NewNotice>, AppError),
    }
    let step = crate::transaction::run(app, "billing.refund_notice", |mut tx| {
        let mut notice = notice.clone();
        async move {
            let r = match store::billing::refund::by_ref(&mut tx, out_refund_no).await {
                Ok(r) if r.provider.as_deref() == Some(WECHAT) => r,
                Ok(_) | Err(store::StoreError::NotFound) => {
                    let e = refused("out_refund_no", "payment.refund_unknown");
                    return Ok((tx, Step::Refuse(Box::new(notice), e)));
                }
                Err(e) => return Err(e.into()),
            };
            notice.bill_id = Some(r.bill_id);
            notice.payment_ref = Some(r.refund_ref.clone());
            if r.amount_fen != amount_fen {
                let e = AppError::Refused(
                    Violation::new("amount.refund", "payment.amount_mismatch")
                        .with_detail(r.amount_fen.to_string())
                        .into(),
                );
                return Ok((tx, Step::Refuse(Box::new(notice), e)));
            }
            let state = if succeeded { "succeeded" } else { "failed" };
            let changed = r.state == "pending"
                && super::settlement::settle(&mut tx, &r, state, refund_id, now).await?;
            notice.verdict = if changed {
                "refund_settled"
            } else {
                "duplicate"
            }
            .into();
            store::billing::ledger::insert(&mut tx, &notice, now).await?;
            Ok((tx, Step::Done(changed)))
        }
    })
    .await?;
    let changed = match step {
        Step::Done(changed) => changed,
        Step::Refuse(notice, e) => return receive(app, *notice, Err(e), now).await,
    };
    let now_row = {
        let mut c = crate::conn(app).await?;
        store::billing::refund::by_ref(&mut c, out_refund_no).await?
    };
    Ok(CallbackOutcome {
        payment_ref: now_row.refund_ref,
        state: now_row.state,
        changed,
    })
}

/// Handles an Alipay notice (the raw form body): the RSA2 signature over the
/// sorted parameters is checked first, then the amount (yuan with two decimals)
/// is read to fen and the notice judged against its order. Alipay sends a notice
/// again until it reads `success`, with the same `notify_id`: a repeat is judged
/// again and found a duplicate. Every notice is kept in the ledger.
pub async fn alipay(
    app: &App,
    body: &str,
    client_addr: Option<&str>,
) -> AppResult<CallbackOutcome> {
    let now = app.now_ms();
    let params: Vec<(String, String)> = serde_urlencoded::from_str(body).unwrap_or_default();
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.chars().take(500).collect::<String>())
    };
    let notice = NewNotice {
        provider: Some(ALIPAY.into()),
        payment_ref: get("out_trade_no").map(|s| s.chars().take(200).collect()),
        bill_id: None,
        raw_body: body.to_string(),
        signature: get("sign"),
        client_addr: client_addr.map(str::to_string),
        verdict: String::new(),
    };
    let verified = match app.settings.alipay.as_ref() {
        None => Err(refused("signature", SignatureError::Invalid.rule())),
        Some(a) => match a.verify(&params) {
            Err(e) => Err(refused("signature", e.rule())),
            Ok(_) => a.read(&params).map_err(from_notice_error).and_then(|e| {
                callback_of(
                    ALIPAY,
                    &e.facts,
                    e.trade_no,
                    e.paid,
                    &a.seller_id,
                    &a.app_id,
                )
            }),
        },
    };
    receive(app, notice, verified, now).await
}
