//! WeChat Pay APIv3, as its notices arrive at `POST /api/v1/payments/notify/wechat`.
//!
//! A notice is a JSON envelope (`id`, `event_type` — `TRANSACTION.SUCCESS`,
//! `REFUND.SUCCESS`, … — and a `resource` encrypted with AES-256-GCM under our APIv3
//! key, with its `associated_data` and 12-byte `nonce`), signed by the WeChat Pay
//! platform: the `Wechatpay-Signature` header is SHA256withRSA over
//! `timestamp\nnonce\nbody\n` with the platform key named by `Wechatpay-Serial`
//! (during a certificate rotation two serials are known). A notice older than
//! [`MAX_AGE_S`] either way is refused as stale, and a nonce seen before as a
//! replay. Amounts are fen; the decrypted transaction names our merchant
//! (`mchid`), app (`appid`) and order (`out_trade_no`), all checked by
//! [`domain::billing::notice`].
//!
//! The provider wants `200 {"code":"SUCCESS"}` within five seconds; anything else
//! makes it retry for about a day.
//!
//! In sandbox mode the platform key pair and the APIv3 key are made by this
//! process, and [`WechatPay::sandbox_notice`] plays the platform: it encrypts and
//! signs a notice exactly as WeChat Pay does, so the same reading code runs.
//!
//! One concept: verifying and decrypting one provider's notices; the HTTP calls live
//! in `wechat_api`, the unit tests in `wechat_tests.rs`. The refund-notice half is the
//! next split if it grows.

use super::provider::{PaymentProvider, ProviderNotice, SignatureError};
use crate::signing::{KeyError, key32, rsa_keys};
use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use domain::Violation;
use domain::billing::notice::NoticeFacts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::Deserialize;
use serde_json::json;
use std::sync::{Arc, OnceLock};

/// Code of the WeChat Pay provider, stored with its payments.
pub const WECHAT: &str = "wechat";

/// How far a notice's `Wechatpay-Timestamp` may be from our clock, seconds.
pub const MAX_AGE_S: i64 = 5 * 60;

/// The four signature headers of a notice.
pub const HEADERS: [&str; 4] = [
    "wechatpay-serial",
    "wechatpay-signature",
    "wechatpay-timestamp",
    "wechatpay-nonce",
];

/// Our account at WeChat Pay and the keys of both directions.
#[derive(Clone)]
pub struct WechatPay {
    /// Our merchant id (`mchid`).
    pub mch_id: String,
    /// Our app id (`appid`).
    pub app_id: String,
    /// The APIv3 key: decrypts notice resources.
    api_v3_key: [u8; 32],
    /// Incoming: the platform certificates' public keys by serial (the current one
    /// first; a second one during a rotation).
    platform: Vec<(String, RsaPublicKey)>,
    /// Sandbox only: the platform's private key and serial, to sign notices as the
    /// platform does.
    sandbox: Option<(String, RsaPrivateKey)>,
    /// Outgoing: our merchant API certificate's serial and private key, which sign
    /// our requests to WeChat Pay (`Authorization: WECHATPAY2-SHA256-RSA2048`).
    pub(super) merchant: (String, RsaPrivateKey),
    /// Where WeChat Pay's API answers (`wechat_api_base`); the sandbox's is our own
    /// server's sandbox routes, known once it listens ([`WechatPay::serve_sandbox_at`]).
    pub(super) api_base: Arc<OnceLock<String>>,
    /// Where WeChat Pay posts this account's notices (`wechat_notify_url`, an
    /// HTTPS address of ours); the sandbox's is our own server's notice route,
    /// known once it listens.
    pub(super) notify_url: Arc<OnceLock<String>>,
    /// The HTTP client our requests to WeChat Pay go through.
    pub(super) http: reqwest::Client,
}

/// WeChat Pay's API, where a real account's requests go unless `wechat_api_base`
/// says otherwise.
pub const API_BASE: &str = "https://api.mch.weixin.qq.com";

impl std::fmt::Debug for WechatPay {
    // Keys never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatPay")
            .field("mch_id", &self.mch_id)
            .field("app_id", &self.app_id)
            .field("platform_serials", &self.platform.len())
            .field("sandbox", &self.sandbox.is_some())
            .field("merchant_serial", &self.merchant.0)
            .field("api_base", &self.api_base.get())
            .finish()
    }
}

/// A provider's notice address from `setting`: required, and HTTPS (the
/// providers post only there).
pub(super) fn https_url(setting: &'static str, v: &str) -> Result<String, KeyError> {
    let v = v.trim();
    if v.is_empty() {
        return Err(KeyError::Missing(setting));
    }
    if !v.starts_with("https://") || v.bytes().any(|b| b.is_ascii_whitespace()) {
        return Err(KeyError::Malformed(setting, "an https:// address"));
    }
    Ok(v.to_string())
}

/// The settings WeChat Pay is configured from (each named in errors).
#[derive(Debug, Clone, Default)]
pub struct WechatSettings {
    /// `wechat_mch_id`.
    pub mch_id: String,
    /// `wechat_app_id`.
    pub app_id: String,
    /// `wechat_api_v3_key`: 32 characters.
    pub api_v3_key: String,
    /// `wechat_platform_serial`.
    pub platform_serial: String,
    /// `wechat_platform_public_key`: PEM.
    pub platform_public_key: String,
    /// `wechat_platform_previous_serial` and `wechat_platform_previous_public_key`:
    /// the certificate being rotated out, accepted meanwhile.
    pub previous: Option<(String, String)>,
    /// `wechat_merchant_serial`: our merchant API certificate's serial.
    pub merchant_serial: String,
    /// `wechat_merchant_private_key`: its private key (PKCS#8 PEM), which signs
    /// our requests.
    pub merchant_private_key: String,
    /// `wechat_api_base`: where the API is ([`API_BASE`] when empty).
    pub api_base: String,
    /// `wechat_notify_url`: where WeChat Pay posts notices (our
    /// `/api/v1/payments/notify/wechat`, HTTPS).
    pub notify_url: String,
}

/// What a verified, decrypted notice says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WechatEvent {
    /// A payment: `paid` true for `SUCCESS`, false for `PAYERROR`.
    Transaction {
        /// Order, amount, currency, merchant and app, to check against the order.
        facts: NoticeFacts,
        /// WeChat Pay's `transaction_id`.
        transaction_id: String,
        /// Whether the money was taken.
        paid: bool,
    },
    /// A refund's outcome.
    Refund {
        /// Our refund reference (`out_refund_no`).
        out_refund_no: String,
        /// WeChat Pay's `refund_id`.
        refund_id: String,
        /// The merchant the refund is for.
        mch_id: String,
        /// Refunded, fen.
        amount_fen: i64,
        /// `SUCCESS` (true) or `ABNORMAL` / `CLOSED` (false).
        succeeded: bool,
    },
}

/// Why a notice is refused before it reaches any order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeError {
    /// Signature missing, forged, stale, or an unknown serial.
    Signature(SignatureError),
    /// Signed, but not a notice we can read (the field and the rule).
    Malformed(Violation),
}

impl From<SignatureError> for NoticeError {
    fn from(e: SignatureError) -> Self {
        NoticeError::Signature(e)
    }
}

/// The value of the header `name` (lower case) among `headers`.
pub fn header<'h>(headers: &[(&'h str, &'h str)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
}

fn bad(field: &'static str, rule: &'static str) -> NoticeError {
    NoticeError::Malformed(Violation::new(field, rule))
}

#[derive(Deserialize)]
struct Envelope {
    event_type: String,
    resource: Resource,
}

#[derive(Deserialize)]
struct Resource {
    algorithm: String,
    ciphertext: String,
    #[serde(default)]
    associated_data: String,
    nonce: String,
}

#[derive(Deserialize)]
struct Transaction {
    appid: String,
    mchid: String,
    out_trade_no: String,
    transaction_id: String,
    trade_state: String,
    amount: TxAmount,
}

#[derive(Deserialize)]
struct TxAmount {
    total: i64,
    #[serde(default)]
    currency: String,
}

#[derive(Deserialize)]
struct RefundResource {
    mchid: String,
    out_refund_no: String,
    refund_id: String,
    refund_status: String,
    amount: RefundAmount,
}

#[derive(Deserialize)]
struct RefundAmount {
    refund: i64,
}

impl WechatPay {
    /// WeChat Pay from the settings; every key must be there and well formed.
    pub fn from_settings(s: &WechatSettings) -> Result<WechatPay, KeyError> {
        let id = |setting: &'static str, v: &str| {
            let v = v.trim();
            if v.is_empty() {
                Err(KeyError::Missing(setting))
            } else {
                Ok(v.to_string())
            }
        };
        let mut platform = vec![(
            id("wechat_platform_serial", &s.platform_serial)?,
            rsa_keys::public("wechat_platform_public_key", &s.platform_public_key)?,
        )];
        if let Some((serial, pem)) = &s.previous {
            platform.push((
                id("wechat_platform_previous_serial", serial)?,
                rsa_keys::public("wechat_platform_previous_public_key", pem)?,
            ));
        }
        let base = match s.api_base.trim() {
            "" => API_BASE.to_string(),
            b => b.trim_end_matches('/').to_string(),
        };
        Ok(WechatPay {
            mch_id: id("wechat_mch_id", &s.mch_id)?,
            app_id: id("wechat_app_id", &s.app_id)?,
            api_v3_key: key32("wechat_api_v3_key", &s.api_v3_key)?,
            platform,
            sandbox: None,
            merchant: (
                id("wechat_merchant_serial", &s.merchant_serial)?,
                rsa_keys::private("wechat_merchant_private_key", &s.merchant_private_key)?,
            ),
            api_base: Arc::new(OnceLock::from(base)),
            notify_url: Arc::new(OnceLock::from(https_url(
                "wechat_notify_url",
                &s.notify_url,
            )?)),
            http: reqwest::Client::new(),
        })
    }

    /// The sandbox: a platform key pair and an APIv3 key made by this process, for
    /// the demo and tests.
    pub fn sandbox() -> WechatPay {
        let key = rsa_keys::sandbox(0);
        let serial = hex::encode_upper(&crate::auth::new_secret().as_bytes()[..20]);
        let mut api_v3_key = [0u8; 32];
        rand::fill(&mut api_v3_key);
        WechatPay {
            mch_id: "1900000109".into(),
            app_id: "wxd678efh567hg6787".into(),
            api_v3_key,
            platform: vec![(serial.clone(), key.to_public_key())],
            sandbox: Some((serial, key)),
            merchant: (
                hex::encode_upper(&crate::auth::new_secret().as_bytes()[..20]),
                rsa_keys::sandbox(2),
            ),
            api_base: Arc::new(OnceLock::new()),
            notify_url: Arc::new(OnceLock::new()),
            http: reqwest::Client::new(),
        }
    }

    /// Whether this is the sandbox (its checkout page is on our server).
    pub fn is_sandbox(&self) -> bool {
        self.sandbox.is_some()
    }

    /// The sandbox platform's serial and private key (it signs notices and API
    /// answers as WeChat Pay does); `None` outside the sandbox.
    pub(super) fn sandbox_platform(&self) -> Option<&(String, RsaPrivateKey)> {
        self.sandbox.as_ref()
    }

    /// Verifies a notice's signature headers (`headers`: the request's headers,
    /// names in lower case) over the raw body at `now_ms`, and returns its nonce.
    pub fn verify<'h>(
        &self,
        headers: &[(&'h str, &'h str)],
        body: &str,
        now_ms: i64,
    ) -> Result<&'h str, SignatureError> {
        let [serial, signature, timestamp, nonce] =
            HEADERS.map(|h| header(headers, h).map(str::trim).filter(|v| !v.is_empty()));
        let (Some(serial), Some(signature), Some(timestamp), Some(nonce)) =
            (serial, signature, timestamp, nonce)
        else {
            return Err(SignatureError::Invalid);
        };
        let Some((_, key)) = self.platform.iter().find(|(s, _)| s == serial) else {
            return Err(SignatureError::Invalid);
        };
        let ts: i64 = timestamp.parse().map_err(|_| SignatureError::Invalid)?;
        let message = format!("{timestamp}\n{nonce}\n{body}\n");
        if !rsa_keys::verify(key, message.as_bytes(), signature) {
            return Err(SignatureError::Invalid);
        }
        if (now_ms / 1000 - ts).abs() > MAX_AGE_S {
            return Err(SignatureError::Stale);
        }
        Ok(nonce)
    }

    /// Decrypts and reads a notice whose signature [`WechatPay::verify`] accepted.
    pub fn read(&self, body: &str) -> Result<WechatEvent, NoticeError> {
        let env: Envelope =
            serde_json::from_str(body).map_err(|_| bad("body", "payment.notice_shape"))?;
        if env.resource.algorithm != "AEAD_AES_256_GCM" {
            return Err(bad("resource.algorithm", "payment.notice_shape"));
        }
        let plain = self.decrypt(&env.resource)?;
        match env.event_type.split('.').next() {
            Some("TRANSACTION") => {
                let t: Transaction = serde_json::from_slice(&plain)
                    .map_err(|_| bad("resource", "payment.notice_shape"))?;
                let paid = match t.trade_state.as_str() {
                    "SUCCESS" => true,
                    "PAYERROR" => false,
                    _ => return Err(bad("trade_state", "payment.status")),
                };
                Ok(WechatEvent::Transaction {
                    facts: NoticeFacts {
                        order_no: t.out_trade_no,
                        amount_fen: t.amount.total,
                        currency: t.amount.currency,
                        merchant_id: t.mchid,
                        app_id: t.appid,
                    },
                    transaction_id: t.transaction_id,
                    paid,
                })
            }
            Some("REFUND") => {
                let r: RefundResource = serde_json::from_slice(&plain)
                    .map_err(|_| bad("resource", "payment.notice_shape"))?;
                Ok(WechatEvent::Refund {
                    out_refund_no: r.out_refund_no,
                    refund_id: r.refund_id,
                    mch_id: r.mchid,
                    amount_fen: r.amount.refund,
                    succeeded: r.refund_status == "SUCCESS",
                })
            }
            _ => Err(bad("event_type", "payment.notice_shape")),
        }
    }

    fn decrypt(&self, r: &Resource) -> Result<Vec<u8>, NoticeError> {
        let cipher = Aes256Gcm::new_from_slice(&self.api_v3_key)
            .map_err(|_| bad("resource", "payment.decrypt"))?;
        if r.nonce.len() != 12 {
            return Err(bad("resource.nonce", "payment.decrypt"));
        }
        let data = STANDARD
            .decode(&r.ciphertext)
            .map_err(|_| bad("resource.ciphertext", "payment.decrypt"))?;
        cipher
            .decrypt(
                Nonce::from_slice(r.nonce.as_bytes()),
                Payload {
                    msg: &data,
                    aad: r.associated_data.as_bytes(),
                },
            )
            .map_err(|_| bad("resource", "payment.decrypt"))
    }

    /// Sandbox only: the notice WeChat Pay would post for `resource` (a transaction
    /// or refund object, as the platform writes it) of `event_type`, encrypted with
    /// our APIv3 key and signed with the platform key at `now_ms`. `None` outside
    /// the sandbox.
    pub fn sandbox_notice(
        &self,
        event_type: &str,
        resource: &serde_json::Value,
        now_ms: i64,
    ) -> Option<ProviderNotice> {
        let (serial, key) = self.sandbox.as_ref()?;
        let nonce = &crate::auth::new_secret()[..12];
        let original = if event_type.starts_with("REFUND") {
            "refund"
        } else {
            "transaction"
        };
        let cipher = Aes256Gcm::new_from_slice(&self.api_v3_key).ok()?;
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(nonce.as_bytes()),
                Payload {
                    msg: resource.to_string().as_bytes(),
                    aad: original.as_bytes(),
                },
            )
            .ok()?;
        let body = json!({
            "id": format!("EV-{}", &crate::auth::new_secret()[..20]),
            "create_time": jiff::Timestamp::from_millisecond(now_ms).ok()?.to_string(),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": if original == "refund" { "退款成功" } else { "支付成功" },
            "resource": {
                "original_type": original,
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": STANDARD.encode(sealed),
                "associated_data": original,
                "nonce": nonce,
            }
        })
        .to_string();
        let ts = (now_ms / 1000).to_string();
        let nonce_h = crate::auth::new_secret()[..32].to_string();
        let signature = rsa_keys::sign(key, format!("{ts}\n{nonce_h}\n{body}\n").as_bytes());
        Some(ProviderNotice {
            path: "/api/v1/payments/notify/wechat",
            content_type: "application/json",
            headers: vec![
                ("wechatpay-serial", serial.clone()),
                ("wechatpay-signature", signature),
                ("wechatpay-timestamp", ts),
                ("wechatpay-nonce", nonce_h),
                (
                    "wechatpay-signature-type",
                    "WECHATPAY2-SHA256-RSA2048".into(),
                ),
            ],
            body,
        })
    }

    /// Sandbox only: the transaction object the platform would encrypt for a
    /// payment of `amount_fen` on order `out_trade_no`.
    pub fn sandbox_transaction(
        &self,
        out_trade_no: &str,
        transaction_id: &str,
        amount_fen: i64,
        paid: bool,
    ) -> serde_json::Value {
        json!({
            "appid": self.app_id, "mchid": self.mch_id,
            "out_trade_no": out_trade_no, "transaction_id": transaction_id,
            "trade_type": "NATIVE",
            "trade_state": if paid { "SUCCESS" } else { "PAYERROR" },
            "trade_state_desc": if paid { "支付成功" } else { "支付失败" },
            "bank_type": "OTHERS",
            "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
            "amount": {"total": amount_fen, "payer_total": amount_fen, "currency": "CNY", "payer_currency": "CNY"},
        })
    }
}

impl PaymentProvider for WechatPay {
    fn code(&self) -> &'static str {
        WECHAT
    }

    fn checkout_url(&self, payment_ref: &str) -> String {
        // Only a fallback: once the order is committed WeChat Pay is asked for the
        // Native order's `code_url` over its API (`billing::open`), which replaces it.
        format!("/sandbox-pay/{payment_ref}")
    }

    fn verify(&self, _signature: &str, _body: &str, _now_ms: i64) -> Result<(), SignatureError> {
        // WeChat Pay's notices come to their own route and are verified there
        // ([`WechatPay::verify`]); a generic callback naming WeChat is a forgery.
        Err(SignatureError::Invalid)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "wechat_tests.rs"]
mod tests;
