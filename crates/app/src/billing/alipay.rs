//! Alipay, as its asynchronous notices arrive at `POST /api/v1/payments/notify/alipay`.
//!
//! A notice is a form (`application/x-www-form-urlencoded`) of parameters:
//! `notify_id`, `app_id`, `seller_id`, `out_trade_no` (ours), `trade_no` (Alipay's),
//! `trade_status` (`TRADE_SUCCESS`, `TRADE_FINISHED`, `TRADE_CLOSED`, …),
//! `total_amount` in yuan with two decimals, `sign_type` = `RSA2` and `sign`: the
//! SHA256withRSA signature, by Alipay's platform key, of every other non-empty
//! parameter (`sign` and `sign_type` left out) sorted by name and joined as
//! `k=v&k=v` with the values decoded. Amounts are parsed to fen exactly
//! ([`domain::billing::notice::alipay_amount`]: `"10"` or `"10.001"` is refused).
//! The provider wants the plain body `success`; anything else makes it send the
//! notice again (up to 8 times in 25 hours).
//!
//! In sandbox mode the platform key pair is made by this process and
//! [`Alipay::sandbox_notice`] signs a notice as Alipay does.

use super::provider::{PaymentProvider, ProviderNotice, SignatureError};
use super::wechat::NoticeError;
use crate::signing::{KeyError, rsa_keys};
use domain::Violation;
use domain::billing::notice::{CURRENCY, NoticeFacts, alipay_amount, alipay_yuan};
use rsa::{RsaPrivateKey, RsaPublicKey};
use std::sync::{Arc, OnceLock};

/// Code of the Alipay provider, stored with its payments.
pub const ALIPAY: &str = "alipay";

/// Our account at Alipay and the keys of both directions.
#[derive(Clone)]
pub struct Alipay {
    /// Our app id (`app_id`).
    pub app_id: String,
    /// Our seller (partner) id (`seller_id`).
    pub seller_id: String,
    /// Incoming: Alipay's platform public keys (the current one first; the
    /// previous one during a rotation).
    platform: Vec<RsaPublicKey>,
    /// Sandbox only: the platform's private key, to sign notices as Alipay does.
    sandbox: Option<RsaPrivateKey>,
    /// Outgoing: our app's private key, which signs our gateway requests (RSA2).
    pub(super) app_key: RsaPrivateKey,
    /// The gateway our requests go to (`alipay_gateway`); the sandbox's is our own
    /// server's sandbox route, known once it listens ([`Alipay::serve_sandbox_at`]).
    pub(super) gateway: Arc<OnceLock<String>>,
    /// Where Alipay posts this app's notices (`alipay_notify_url`, HTTPS); the
    /// sandbox's is our own server's notice route, known once it listens.
    pub(super) notify_url: Arc<OnceLock<String>>,
    /// The HTTP client our gateway requests go through.
    pub(super) http: reqwest::Client,
}

/// Alipay's gateway, where a real account's requests go unless `alipay_gateway`
/// says otherwise.
pub const GATEWAY: &str = "https://openapi.alipay.com/gateway.do";

impl std::fmt::Debug for Alipay {
    // Keys never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alipay")
            .field("app_id", &self.app_id)
            .field("seller_id", &self.seller_id)
            .field("platform_keys", &self.platform.len())
            .field("sandbox", &self.sandbox.is_some())
            .field("gateway", &self.gateway.get())
            .finish()
    }
}

/// The settings Alipay is configured from (each named in errors).
#[derive(Debug, Clone, Default)]
pub struct AlipaySettings {
    /// `alipay_app_id`.
    pub app_id: String,
    /// `alipay_seller_id`.
    pub seller_id: String,
    /// `alipay_public_key`: Alipay's platform public key (PEM or bare base64).
    pub public_key: String,
    /// `alipay_previous_public_key`: the key being rotated out, accepted meanwhile.
    pub previous_public_key: Option<String>,
    /// `alipay_app_private_key`: our app's private key (PKCS#8 PEM), which signs
    /// our gateway requests.
    pub app_private_key: String,
    /// `alipay_gateway`: where requests go ([`GATEWAY`] when empty).
    pub gateway: String,
    /// `alipay_notify_url`: where Alipay posts notices (our
    /// `/api/v1/payments/notify/alipay`, HTTPS).
    pub notify_url: String,
}

/// What a verified notice says about a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlipayEvent {
    /// Order, amount (fen), merchant and app, to check against the order.
    pub facts: NoticeFacts,
    /// Alipay's `trade_no`.
    pub trade_no: String,
    /// Whether the money was taken (`TRADE_SUCCESS` / `TRADE_FINISHED`) or the
    /// trade closed unpaid (`TRADE_CLOSED`).
    pub paid: bool,
}

fn bad(field: &'static str, rule: &'static str) -> NoticeError {
    NoticeError::Malformed(Violation::new(field, rule))
}

/// The text Alipay signs: every non-empty parameter but `sign` and `sign_type`,
/// sorted by name, as `k=v` joined by `&`.
pub fn signing_content(params: &[(String, String)]) -> String {
    let mut kept: Vec<&(String, String)> = params
        .iter()
        .filter(|(k, v)| k != "sign" && k != "sign_type" && !v.is_empty())
        .collect();
    kept.sort_by(|a, b| a.0.cmp(&b.0));
    kept.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

impl Alipay {
    /// Alipay from the settings; every key must be there and well formed.
    pub fn from_settings(s: &AlipaySettings) -> Result<Alipay, KeyError> {
        let id = |setting: &'static str, v: &str| {
            let v = v.trim();
            if v.is_empty() {
                Err(KeyError::Missing(setting))
            } else {
                Ok(v.to_string())
            }
        };
        let mut platform = vec![rsa_keys::public("alipay_public_key", &s.public_key)?];
        if let Some(p) = s
            .previous_public_key
            .as_deref()
            .filter(|p| !p.trim().is_empty())
        {
            platform.push(rsa_keys::public("alipay_previous_public_key", p)?);
        }
        let gateway = match s.gateway.trim() {
            "" => GATEWAY.to_string(),
            g => g.to_string(),
        };
        Ok(Alipay {
            app_id: id("alipay_app_id", &s.app_id)?,
            seller_id: id("alipay_seller_id", &s.seller_id)?,
            platform,
            sandbox: None,
            app_key: rsa_keys::private("alipay_app_private_key", &s.app_private_key)?,
            gateway: Arc::new(OnceLock::from(gateway)),
            notify_url: Arc::new(OnceLock::from(super::wechat::https_url(
                "alipay_notify_url",
                &s.notify_url,
            )?)),
            http: reqwest::Client::new(),
        })
    }

    /// The sandbox: a platform key pair made by this process.
    pub fn sandbox() -> Alipay {
        let key = rsa_keys::sandbox(1);
        Alipay {
            app_id: "2021000117600000".into(),
            seller_id: "2088102177000000".into(),
            platform: vec![key.to_public_key()],
            sandbox: Some(key),
            app_key: rsa_keys::sandbox(3),
            gateway: Arc::new(OnceLock::new()),
            notify_url: Arc::new(OnceLock::new()),
            http: reqwest::Client::new(),
        }
    }

    /// Whether this is the sandbox (its checkout page is on our server).
    pub fn is_sandbox(&self) -> bool {
        self.sandbox.is_some()
    }

    /// Whether `sign` is a platform key's RSA2 signature of `content`.
    pub(super) fn platform_signed(&self, content: &str, sign: &str) -> bool {
        self.platform
            .iter()
            .any(|k| rsa_keys::verify(k, content.as_bytes(), sign))
    }

    /// The sandbox platform's private key; `None` outside the sandbox.
    pub(super) fn sandbox_platform(&self) -> Option<&RsaPrivateKey> {
        self.sandbox.as_ref()
    }

    /// Verifies a notice's `sign` (RSA2 with a platform key) over its other
    /// parameters and returns its `notify_id`.
    pub fn verify<'p>(&self, params: &'p [(String, String)]) -> Result<&'p str, SignatureError> {
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        if get("sign_type") != Some("RSA2") {
            return Err(SignatureError::Invalid);
        }
        let sign = get("sign").ok_or(SignatureError::Invalid)?;
        let content = signing_content(params);
        if !self
            .platform
            .iter()
            .any(|k| rsa_keys::verify(k, content.as_bytes(), sign))
        {
            return Err(SignatureError::Invalid);
        }
        get("notify_id")
            .filter(|n| !n.is_empty())
            .ok_or(SignatureError::Invalid)
    }

    /// Reads a notice whose signature [`Alipay::verify`] accepted.
    pub fn read(&self, params: &[(String, String)]) -> Result<AlipayEvent, NoticeError> {
        let get = |k: &'static str| {
            params
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| bad(k, "required"))
        };
        let paid = match get("trade_status")?.as_str() {
            "TRADE_SUCCESS" | "TRADE_FINISHED" => true,
            "TRADE_CLOSED" => false,
            _ => return Err(bad("trade_status", "payment.status")),
        };
        let amount = alipay_amount(&get("total_amount")?).map_err(|e| {
            NoticeError::Malformed(
                Violation::new("total_amount", "payment.amount_format").with_detail(e.to_string()),
            )
        })?;
        Ok(AlipayEvent {
            facts: NoticeFacts {
                order_no: get("out_trade_no")?,
                amount_fen: amount,
                currency: CURRENCY.into(),
                merchant_id: get("seller_id")?,
                app_id: get("app_id")?,
            },
            trade_no: get("trade_no")?,
            paid,
        })
    }

    /// Sandbox only: the notice Alipay would post for a trade of `amount_fen` on
    /// order `out_trade_no`, signed with the platform key. `None` outside the
    /// sandbox.
    pub fn sandbox_notice(
        &self,
        out_trade_no: &str,
        trade_no: &str,
        amount_fen: i64,
        paid: bool,
        now_ms: i64,
    ) -> Option<ProviderNotice> {
        self.sandbox.as_ref()?;
        let at = jiff::Timestamp::from_millisecond(now_ms)
            .ok()?
            .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").ok()?)
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string();
        let mut params: Vec<(String, String)> = [
            ("notify_time", at.clone()),
            ("notify_type", "trade_status_sync".into()),
            ("notify_id", crate::auth::new_secret()[..32].to_string()),
            ("charset", "utf-8".into()),
            ("version", "1.0".into()),
            ("app_id", self.app_id.clone()),
            ("seller_id", self.seller_id.clone()),
            ("out_trade_no", out_trade_no.into()),
            ("trade_no", trade_no.into()),
            (
                "trade_status",
                if paid {
                    "TRADE_SUCCESS"
                } else {
                    "TRADE_CLOSED"
                }
                .into(),
            ),
            ("total_amount", alipay_yuan(amount_fen)),
            ("receipt_amount", alipay_yuan(amount_fen)),
            ("subject", "维修结算单".into()),
            ("gmt_payment", at),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let body = self.sandbox_sign(&mut params)?;
        Some(ProviderNotice {
            path: "/api/v1/payments/notify/alipay",
            content_type: "application/x-www-form-urlencoded; charset=utf-8",
            headers: vec![],
            body,
        })
    }
}

impl Alipay {
    /// Sandbox only: signs `params` as Alipay does (adding `sign_type` and `sign`)
    /// and writes them as a form body. Tests use it to send what a misbehaving
    /// Alipay could: an amount in the wrong unit, another seller.
    pub fn sandbox_sign(&self, params: &mut Vec<(String, String)>) -> Option<String> {
        let key = self.sandbox.as_ref()?;
        params.retain(|(k, _)| k != "sign" && k != "sign_type");
        let sign = rsa_keys::sign(key, signing_content(params).as_bytes());
        params.push(("sign_type".into(), "RSA2".into()));
        params.push(("sign".into(), sign));
        serde_urlencoded::to_string(&*params).ok()
    }
}

impl PaymentProvider for Alipay {
    fn code(&self) -> &'static str {
        ALIPAY
    }

    fn checkout_url(&self, payment_ref: &str) -> String {
        // Only a fallback: once the order is committed Alipay is asked for the
        // precreated order's `qr_code` over its gateway (`billing::open`), which
        // replaces it.
        format!("/sandbox-pay/{payment_ref}")
    }

    fn verify(&self, _signature: &str, _body: &str, _now_ms: i64) -> Result<(), SignatureError> {
        // Alipay's notices come to their own route and are verified there
        // ([`Alipay::verify`]); a generic callback naming Alipay is a forgery.
        Err(SignatureError::Invalid)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Vec<(String, String)> {
        serde_urlencoded::from_str(body).unwrap()
    }

    #[test]
    fn the_signed_text_is_sorted_without_sign_and_empty_values() {
        let p = |k: &str, v: &str| (k.to_string(), v.to_string());
        assert_eq!(
            signing_content(&[
                p("b", "2"),
                p("sign", "x"),
                p("a", "1"),
                p("sign_type", "RSA2"),
                p("c", ""),
                p("A", "0"),
            ]),
            "A=0&a=1&b=2"
        );
    }

    #[test]
    fn a_sandbox_notice_verifies_and_reads_in_fen() {
        let a = Alipay::sandbox();
        let n = a
            .sandbox_notice("ref1", "2026112422001", 123_456, true, 1_764_000_000_000)
            .unwrap();
        let params = parse(&n.body);
        assert!(a.verify(&params).is_ok());
        let e = a.read(&params).unwrap();
        assert_eq!(e.facts.amount_fen, 123_456);
        assert_eq!(e.facts.order_no, "ref1");
        assert_eq!(e.facts.merchant_id, a.seller_id);
        assert!(e.paid);
        assert!(n.body.contains("total_amount=1234.56"));
    }

    #[test]
    fn tampering_and_wrong_units_are_refused() {
        let a = Alipay::sandbox();
        let n = a
            .sandbox_notice("ref1", "2026112422001", 1000, true, 1_764_000_000_000)
            .unwrap();
        // Any changed parameter breaks the signature.
        let tampered = parse(&n.body.replace("total_amount=10.00", "total_amount=1.00"));
        assert_eq!(a.verify(&tampered), Err(SignatureError::Invalid));
        let unsigned: Vec<_> = parse(&n.body)
            .into_iter()
            .filter(|(k, _)| k != "sign")
            .collect();
        assert_eq!(a.verify(&unsigned), Err(SignatureError::Invalid));
        // Signed by someone else's key.
        let other = Alipay {
            platform: vec![rsa_keys::sandbox(0).to_public_key()],
            ..a.clone()
        };
        assert_eq!(other.verify(&parse(&n.body)), Err(SignatureError::Invalid));
        // Amounts not in yuan with two decimals (as a signed notice could carry).
        for amount in ["10", "10.001", "1000"] {
            let mut p = parse(&n.body);
            for (k, v) in p.iter_mut() {
                if k == "total_amount" {
                    *v = amount.into();
                }
            }
            match a.read(&p) {
                Err(NoticeError::Malformed(v)) => {
                    assert_eq!(
                        (v.field.as_str(), v.rule),
                        ("total_amount", "payment.amount_format")
                    )
                }
                other => panic!("{amount}: {other:?}"),
            }
        }
    }
}
