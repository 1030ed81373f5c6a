//! Online payment providers: a provider gives the payer a checkout URL and later
//! calls back, signing its callback with HMAC-SHA256 (the `X-Aftersales-Signature`
//! header of [`crate::signing::KeyRing::sign`]: `t=<unix ms>,v1=<hex>` over `t.body`).
//!
//! A provider exists only when its own keys are configured: with no settings a
//! server has no provider at all, so no online payment can be started and every
//! callback is refused (there is no default secret to guess).
//!
//! The [`Sandbox`] provider runs the whole signed flow locally: its checkout URL is a
//! page on our own server (`/sandbox-pay/{payment_ref}`) with "pay" and "fail"
//! buttons; submitting it makes the server post a signed callback to
//! `/api/v1/payments/callback`, exactly as a real provider would.

use crate::signing::KeyRing;
use crate::{App, AppError, AppResult};
use serde::{Deserialize, Serialize};

/// The header carrying a callback's signature.
pub const SIGNATURE_HEADER: &str = "x-aftersales-signature";

/// How old a callback's signature may be: older ones are refused as replays.
pub const MAX_CALLBACK_AGE_MS: i64 = 5 * 60 * 1000;

/// Why a callback's signature is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// Missing, malformed, or not made with the provider's secret.
    Invalid,
    /// Made with the secret but too old (or from the future): a replay.
    Stale,
}

impl SignatureError {
    /// The stable rule code.
    pub fn rule(self) -> &'static str {
        match self {
            SignatureError::Invalid => "payment.signature_invalid",
            SignatureError::Stale => "payment.signature_stale",
        }
    }
}

/// An online payment provider.
pub trait PaymentProvider: Send + Sync {
    /// Stable code, stored with the payment (`sandbox`).
    fn code(&self) -> &'static str;
    /// Where the payer goes to pay the payment named `payment_ref`.
    fn checkout_url(&self, payment_ref: &str) -> String;
    /// Checks a callback's signature header against its raw body at `now_ms`.
    fn verify(&self, signature: &str, body: &str, now_ms: i64) -> Result<(), SignatureError>;
}

/// The local sandbox provider: signs and verifies with its own keys
/// (`payment_sandbox_secret`), never the gateway's.
#[derive(Debug, Clone)]
pub struct Sandbox {
    keys: KeyRing,
}

/// Code of the sandbox provider.
pub const SANDBOX: &str = "sandbox";

/// A callback as a provider sends it (the JSON body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Callback {
    /// Provider code.
    pub provider: String,
    /// Our payment reference.
    pub payment_ref: String,
    /// The provider's transaction reference (the idempotency key).
    pub provider_ref: String,
    /// Amount the provider took, fen.
    pub amount_fen: i64,
    /// `paid` or `failed`.
    pub status: String,
}

/// A notice as a provider would post it (the sandboxes of WeChat Pay and Alipay
/// make these): where, with which headers, and the raw body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderNotice {
    /// The route it is posted to.
    pub path: &'static str,
    /// Its media type.
    pub content_type: &'static str,
    /// Its headers besides the content type (lower-case names).
    pub headers: Vec<(&'static str, String)>,
    /// The raw body.
    pub body: String,
}

/// What a provider's order query answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderAnswer {
    /// The provider took the money, or the payment failed: judged exactly as the
    /// notice saying so would be.
    Settled(Callback),
    /// Nothing paid (open, closed unpaid, or unknown to the provider).
    Unpaid,
}

/// What a provider answers to a refund request, after the answer was checked
/// against the refund asked for ([`domain::billing::answer::check_refund`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundAnswer {
    /// The money went back (Alipay answers so at once): the provider's refund id.
    Succeeded(String),
    /// Accepted; the outcome comes later in a refund notice (WeChat Pay).
    Processing(String),
    /// Refused for good (the provider's code): the reservation is given back.
    Failed(String),
}

/// What a provider answers to opening an order: where the payer pays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// The provider's pay link: WeChat Pay's Native `code_url`
    /// (`weixin://wxpay/bizpayurl?pr=…`), Alipay's precreate `qr_code`.
    pub code_url: String,
}

/// An answer of a provider's API as our sandbox routes give it: status, media
/// type, headers (lower-case names) and the raw body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiAnswer {
    /// HTTP status.
    pub status: u16,
    /// Its media type.
    pub content_type: &'static str,
    /// Headers besides the content type.
    pub headers: Vec<(&'static str, String)>,
    /// The raw body.
    pub body: String,
}

/// Why a call to a provider's API did not give an answer to act on. The job that
/// made the call records it and tries again later.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// Not reachable, timed out, or the base URL is not known yet.
    #[error("provider unreachable: {0}")]
    Unreachable(String),
    /// The answer's signature is missing or not the platform's.
    #[error("provider answer not signed by the platform: {0}")]
    Unsigned(&'static str),
    /// Signed, but not an answer we can act on (a refusal, another order).
    #[error("provider answered {0}")]
    Refused(String),
}

impl From<ApiError> for AppError {
    fn from(e: ApiError) -> Self {
        AppError::Internal(e.to_string())
    }
}

/// A signed callback ready to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCallback {
    /// The JSON body.
    pub body: String,
    /// The signature header value.
    pub signature: String,
}

impl Sandbox {
    /// The sandbox of an application, if the application has one.
    pub fn for_app(app: &App) -> Option<Sandbox> {
        app.settings
            .payment_sandbox
            .clone()
            .map(|keys| Sandbox { keys })
    }

    /// A sandbox signing with `keys`.
    pub fn new(keys: KeyRing) -> Sandbox {
        Sandbox { keys }
    }

    /// Signs a callback at `t_ms`.
    pub fn sign(&self, callback: &Callback, t_ms: i64) -> AppResult<SignedCallback> {
        let body =
            serde_json::to_string(callback).map_err(|e| AppError::Internal(e.to_string()))?;
        let signature = self.keys.sign(t_ms, &body);
        Ok(SignedCallback { body, signature })
    }
}

impl PaymentProvider for Sandbox {
    fn code(&self) -> &'static str {
        SANDBOX
    }

    fn checkout_url(&self, payment_ref: &str) -> String {
        format!("/sandbox-pay/{payment_ref}")
    }

    fn verify(&self, signature: &str, body: &str, now_ms: i64) -> Result<(), SignatureError> {
        if self
            .keys
            .verify(signature, body, now_ms, MAX_CALLBACK_AGE_MS)
        {
            Ok(())
        } else if self.keys.verify_any_age(signature, body) {
            // Correctly signed but old: a replay, told apart from a forgery.
            Err(SignatureError::Stale)
        } else {
            Err(SignatureError::Invalid)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn cb() -> Callback {
        Callback {
            provider: SANDBOX.into(),
            payment_ref: "abc".into(),
            provider_ref: "SBX-1".into(),
            amount_fen: 100,
            status: "paid".into(),
        }
    }

    #[test]
    fn sandbox_signatures_verify_and_tell_stale_from_forged() {
        let key = |k: &str| KeyRing::new("k", k, "p", None).unwrap();
        let s = Sandbox::new(key("s3cret-s3cret-s3cret"));
        let signed = s.sign(&cb(), 1_000_000).unwrap();
        assert_eq!(s.verify(&signed.signature, &signed.body, 1_000_500), Ok(()));
        assert_eq!(
            s.verify(
                &signed.signature,
                &signed.body,
                1_000_000 + MAX_CALLBACK_AGE_MS + 1
            ),
            Err(SignatureError::Stale)
        );
        let forged = Sandbox::new(key("guessed-guessed-guessed"))
            .sign(&cb(), 1_000_000)
            .unwrap();
        assert_eq!(
            s.verify(&forged.signature, &forged.body, 1_000_500),
            Err(SignatureError::Invalid)
        );
        let tampered = signed.body.replace("100", "1");
        assert_eq!(
            s.verify(&signed.signature, &tampered, 1_000_500),
            Err(SignatureError::Invalid)
        );
        assert_eq!(s.checkout_url("r1"), "/sandbox-pay/r1");
    }
}
