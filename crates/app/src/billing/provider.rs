//! Online payment providers: a provider gives the payer a checkout URL and later
//! calls back, signing its callback with HMAC-SHA256 (the `X-Aftersales-Signature`
//! header of [`crate::notify::sign`]: `t=<unix ms>,v1=<hex>` over `t.body`).
//!
//! The [`Sandbox`] provider runs the whole signed flow locally: its checkout URL is a
//! page on our own server (`/sandbox-pay/{payment_ref}`) with "pay" and "fail"
//! buttons; submitting it makes the server post a signed callback to
//! `/api/v1/payments/callback`, exactly as a real provider would.

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

/// The local sandbox provider: signs with the server's webhook secret.
#[derive(Debug, Clone)]
pub struct Sandbox {
    secret: String,
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

/// A signed callback ready to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCallback {
    /// The JSON body.
    pub body: String,
    /// The signature header value.
    pub signature: String,
}

impl Sandbox {
    /// The sandbox of an application (its webhook secret).
    pub fn for_app(app: &App) -> Sandbox {
        Sandbox {
            secret: app.settings.webhook_secret.clone(),
        }
    }

    /// A sandbox signing with `secret`.
    pub fn new(secret: impl Into<String>) -> Sandbox {
        Sandbox {
            secret: secret.into(),
        }
    }

    /// Signs a callback at `t_ms`.
    pub fn sign(&self, callback: &Callback, t_ms: i64) -> AppResult<SignedCallback> {
        let body =
            serde_json::to_string(callback).map_err(|e| AppError::Internal(e.to_string()))?;
        let signature = crate::notify::sign(&self.secret, t_ms, &body);
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
        if crate::notify::verify(&self.secret, signature, body, now_ms, MAX_CALLBACK_AGE_MS) {
            return Ok(());
        }
        // Tell a correctly signed but old callback (a replay) from a forged one.
        let t = signature
            .split(',')
            .find_map(|p| p.strip_prefix("t="))
            .and_then(|t| t.parse::<i64>().ok());
        match t {
            Some(t) if crate::notify::verify(&self.secret, signature, body, t, 0) => {
                Err(SignatureError::Stale)
            }
            _ => Err(SignatureError::Invalid),
        }
    }
}

/// The provider with `code`, if this server knows it.
pub fn provider(app: &App, code: &str) -> Option<Box<dyn PaymentProvider>> {
    match code {
        SANDBOX => Some(Box::new(Sandbox::for_app(app))),
        _ => None,
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
        let s = Sandbox::new("s3cret");
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
        let forged = Sandbox::new("guess").sign(&cb(), 1_000_000).unwrap();
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
