//! Signing keys with rotation: one [`KeyRing`] per provider and per direction
//! (our messages to the SMS/WeChat gateway; a payment provider's notices to us), so a
//! key leaked or guessed for one job opens nothing else.
//!
//! A ring holds the current key and, during a rotation's overlap window, the previous
//! one. We sign with every key in the ring (`t=…,v1=<current>,v1=<previous>`, as
//! Stripe does) so a receiver that still holds the old key keeps verifying, and we
//! accept a signature made with either key. Removing the previous key from the
//! settings ends the overlap.
//!
//! No key has a default: [`KeyRing::new`] refuses an empty, short or well-known
//! placeholder secret, naming the setting it came from.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Shortest secret accepted: 128 bits of hex, or a 16-character passphrase.
pub const MIN_SECRET_LEN: usize = 16;

/// Placeholders that must never sign anything real.
const PLACEHOLDERS: [&str; 4] = ["change-me", "changeme", "secret", "password"];

/// Why a secret from the settings cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The setting is empty or missing.
    #[error("the setting `{0}` must be set")]
    Missing(&'static str),
    /// The setting holds fewer than [`MIN_SECRET_LEN`] characters.
    #[error("the setting `{0}` must be at least 16 characters long")]
    TooShort(&'static str),
    /// The setting holds a well-known placeholder.
    #[error("the setting `{0}` holds a placeholder; set a secret of your own")]
    Placeholder(&'static str),
    /// The setting does not hold what it must (a PEM key, a 32-byte key, an id).
    #[error("the setting `{0}` is malformed: {1}")]
    Malformed(&'static str, &'static str),
}

/// The current key and, during a rotation, the previous one.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyRing {
    current: String,
    previous: Option<String>,
}

impl std::fmt::Debug for KeyRing {
    // Secrets never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("keys", &(1 + usize::from(self.previous.is_some())))
            .finish()
    }
}

fn checked(setting: &'static str, secret: &str) -> Result<String, KeyError> {
    let s = secret.trim();
    if s.is_empty() {
        return Err(KeyError::Missing(setting));
    }
    if PLACEHOLDERS.contains(&s.to_ascii_lowercase().as_str()) {
        return Err(KeyError::Placeholder(setting));
    }
    if s.chars().count() < MIN_SECRET_LEN {
        return Err(KeyError::TooShort(setting));
    }
    Ok(s.to_string())
}

impl KeyRing {
    /// A ring from the settings: `current` from the setting named `setting`,
    /// `previous` (optional) from `previous_setting`.
    pub fn new(
        setting: &'static str,
        current: &str,
        previous_setting: &'static str,
        previous: Option<&str>,
    ) -> Result<KeyRing, KeyError> {
        let current = checked(setting, current)?;
        let previous = previous
            .filter(|p| !p.trim().is_empty())
            .map(|p| checked(previous_setting, p))
            .transpose()?;
        Ok(KeyRing { current, previous })
    }

    /// A ring of one fresh random key (256 bits), for the demo and tests, where no
    /// outside party needs to know it.
    pub fn random() -> KeyRing {
        KeyRing {
            current: crate::auth::new_secret(),
            previous: None,
        }
    }

    /// The signature header value for `body` at `t_ms`: one `v1` per key.
    pub fn sign(&self, t_ms: i64, body: &str) -> String {
        let mut out = format!("t={t_ms}");
        for key in self.keys() {
            out.push_str(",v1=");
            out.push_str(&mac_hex(key, t_ms, body));
        }
        out
    }

    /// Whether `header` signs `body` with a key of this ring, at most `max_age_ms`
    /// from `now_ms` either way. Compared in constant time.
    pub fn verify(&self, header: &str, body: &str, now_ms: i64, max_age_ms: i64) -> bool {
        match parse(header) {
            Some((t, _)) if (now_ms - t).abs() > max_age_ms => false,
            Some((t, sigs)) => self.matches(t, &sigs, body),
            None => false,
        }
    }

    /// Whether `header` signs `body` with a key of this ring, whatever its age: tells a
    /// replayed genuine notice from a forged one.
    pub fn verify_any_age(&self, header: &str, body: &str) -> bool {
        parse(header).is_some_and(|(t, sigs)| self.matches(t, &sigs, body))
    }

    fn matches(&self, t: i64, sigs: &[Vec<u8>], body: &str) -> bool {
        self.keys().any(|key| {
            sigs.iter().any(|sig| {
                Hmac::<Sha256>::new_from_slice(key.as_bytes()).is_ok_and(|mut mac| {
                    mac.update(format!("{t}.{body}").as_bytes());
                    mac.verify_slice(sig).is_ok()
                })
            })
        })
    }

    fn keys(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.current.as_str()).chain(self.previous.as_deref())
    }
}

fn mac_hex(key: &str, t_ms: i64, body: &str) -> String {
    match Hmac::<Sha256>::new_from_slice(key.as_bytes()) {
        Ok(mut mac) => {
            mac.update(format!("{t_ms}.{body}").as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        // HMAC takes keys of any length; this arm is never reached.
        Err(_) => String::new(),
    }
}

/// `t=<ms>,v1=<hex>[,v1=<hex>…]` → (t, signatures).
fn parse(header: &str) -> Option<(i64, Vec<Vec<u8>>)> {
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", x)) => t = x.parse::<i64>().ok(),
            Some(("v1", x)) => sigs.extend(hex::decode(x).ok()),
            _ => {}
        }
    }
    let t = t?;
    (!sigs.is_empty()).then_some((t, sigs))
}

/// RSA keys of the payment providers (WeChat Pay APIv3 and Alipay both sign with
/// SHA256withRSA, PKCS#1 v1.5, signatures in base64): read from the settings,
/// signing (our requests; the sandbox's notices) and verifying (their notices).
pub mod rsa_keys {
    use super::KeyError;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
    use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
    use rsa::signature::{RandomizedSigner, SignatureEncoding, Verifier};
    use rsa::{RsaPrivateKey, RsaPublicKey};
    use sha2::Sha256;
    use std::sync::OnceLock;

    /// A public key from a setting: a PEM `PUBLIC KEY` block, or its bare base64
    /// DER (as Alipay's console hands it out).
    pub fn public(setting: &'static str, text: &str) -> Result<RsaPublicKey, KeyError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(KeyError::Missing(setting));
        }
        let key = if t.starts_with("-----BEGIN") {
            RsaPublicKey::from_public_key_pem(t).ok()
        } else {
            STANDARD
                .decode(t.split_whitespace().collect::<String>())
                .ok()
                .and_then(|der| RsaPublicKey::from_public_key_der(&der).ok())
        };
        let key = key.ok_or(KeyError::Malformed(setting, "not an RSA public key"))?;
        if rsa::traits::PublicKeyParts::size(&key) < 256 {
            return Err(KeyError::Malformed(
                setting,
                "RSA keys must be 2048 bits or more",
            ));
        }
        Ok(key)
    }

    /// A private key from a setting: a PEM `PRIVATE KEY` block (PKCS#8).
    pub fn private(setting: &'static str, text: &str) -> Result<RsaPrivateKey, KeyError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(KeyError::Missing(setting));
        }
        RsaPrivateKey::from_pkcs8_pem(t)
            .map_err(|_| KeyError::Malformed(setting, "not a PKCS#8 RSA private key"))
    }

    /// The SHA256withRSA signature of `message`, base64.
    ///
    /// Signed with blinding (a fresh random factor per signature): `rsa` 0.9's
    /// modular exponentiation is not constant-time (RUSTSEC-2023-0071, the Marvin
    /// attack), and blinding keeps the time a signature takes from tracking the
    /// key. Our private keys sign only messages we compose ourselves (our requests
    /// to the providers; the sandboxes' notices and answers), never text an outsider
    /// chooses, and no outsider sees when a signature is made to the microsecond.
    pub fn sign(key: &RsaPrivateKey, message: &[u8]) -> String {
        let sig = SigningKey::<Sha256>::new(key.clone())
            .sign_with_rng(&mut rsa::rand_core::OsRng, message);
        STANDARD.encode(sig.to_bytes())
    }

    /// Whether `signature_b64` is a SHA256withRSA signature of `message` by `key`.
    pub fn verify(key: &RsaPublicKey, message: &[u8], signature_b64: &str) -> bool {
        let Ok(bytes) = STANDARD.decode(signature_b64.trim()) else {
            return false;
        };
        let Ok(sig) = Signature::try_from(bytes.as_slice()) else {
            return false;
        };
        VerifyingKey::<Sha256>::new(key.clone())
            .verify(message, &sig)
            .is_ok()
    }

    /// A fresh 2048-bit key pair for a sandbox provider (`slot` tells the providers'
    /// keys apart), made once per process: generating one takes a while, and no
    /// outside party ever needs to know a sandbox key.
    pub fn sandbox(slot: usize) -> RsaPrivateKey {
        // Slots: 0 WeChat Pay's platform, 1 Alipay's platform, 2 our WeChat Pay
        // merchant key, 3 our Alipay app key.
        static KEYS: [OnceLock<RsaPrivateKey>; 4] = [const { OnceLock::new() }; 4];
        KEYS[slot.min(3)]
            .get_or_init(|| {
                let mut rng = rsa::rand_core::OsRng;
                match RsaPrivateKey::new(&mut rng, 2048) {
                    Ok(k) => k,
                    // Only fails for sizes the crate refuses; 2048 is not one.
                    Err(e) => unreachable!("RSA key generation failed: {e}"),
                }
            })
            .clone()
    }
}

/// A 32-byte symmetric key from a setting (WeChat Pay's APIv3 key: 32 ASCII
/// characters, used as the AES-256-GCM key of its notices).
pub fn key32(setting: &'static str, text: &str) -> Result<[u8; 32], KeyError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(KeyError::Missing(setting));
    }
    if PLACEHOLDERS.contains(&t.to_ascii_lowercase().as_str()) {
        return Err(KeyError::Placeholder(setting));
    }
    t.as_bytes()
        .try_into()
        .map_err(|_| KeyError::Malformed(setting, "must be exactly 32 characters"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rsa_signatures_verify_only_with_the_signers_key() {
        let a = rsa_keys::sandbox(0);
        let b = rsa_keys::sandbox(1);
        let sig = rsa_keys::sign(&a, b"ts\nnonce\nbody\n");
        assert!(rsa_keys::verify(
            &a.to_public_key(),
            b"ts\nnonce\nbody\n",
            &sig
        ));
        assert!(!rsa_keys::verify(
            &a.to_public_key(),
            b"ts\nnonce\nbodY\n",
            &sig
        ));
        assert!(!rsa_keys::verify(
            &b.to_public_key(),
            b"ts\nnonce\nbody\n",
            &sig
        ));
        assert!(!rsa_keys::verify(&a.to_public_key(), b"x", "not base64!"));
        use rsa::pkcs8::EncodePublicKey;
        let pem = a
            .to_public_key()
            .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
            .unwrap();
        assert_eq!(rsa_keys::public("k", &pem).unwrap(), a.to_public_key());
        assert_eq!(
            rsa_keys::public("alipay_public_key", "garbage"),
            Err(KeyError::Malformed(
                "alipay_public_key",
                "not an RSA public key"
            ))
        );
        assert_eq!(rsa_keys::public("k", " "), Err(KeyError::Missing("k")));
        assert!(
            rsa_keys::private(
                "k",
                "-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----"
            )
            .is_err()
        );
        assert_eq!(
            key32("wechat_api_v3_key", "short"),
            Err(KeyError::Malformed(
                "wechat_api_v3_key",
                "must be exactly 32 characters"
            ))
        );
        assert!(key32("k", "0123456789abcdef0123456789abcdef").is_ok());
    }

    const A: &str = "0123456789abcdef-current";
    const B: &str = "fedcba9876543210-previous";

    #[test]
    fn placeholders_short_and_empty_secrets_are_refused_naming_the_setting() {
        assert_eq!(
            KeyRing::new("webhook_secret", "change-me", "x", None),
            Err(KeyError::Placeholder("webhook_secret"))
        );
        assert_eq!(
            KeyRing::new("webhook_secret", "  ", "x", None),
            Err(KeyError::Missing("webhook_secret"))
        );
        assert_eq!(
            KeyRing::new("payment_sandbox_secret", "short", "x", None),
            Err(KeyError::TooShort("payment_sandbox_secret"))
        );
        assert_eq!(
            KeyRing::new("a", A, "a_previous", Some("short")),
            Err(KeyError::TooShort("a_previous"))
        );
        let msg = KeyError::Missing("webhook_secret").to_string();
        assert!(msg.contains("webhook_secret"), "{msg}");
    }

    #[test]
    fn signatures_verify_with_either_key_during_the_overlap_only() {
        let old = KeyRing::new("k", B, "p", None).unwrap();
        let rotating = KeyRing::new("k", A, "p", Some(B)).unwrap();
        let new = KeyRing::new("k", A, "p", None).unwrap();
        // Signed by a sender still on the old key: accepted during the overlap.
        let h = old.sign(1_000, "{}");
        assert!(rotating.verify(&h, "{}", 1_500, 60_000));
        assert!(!new.verify(&h, "{}", 1_500, 60_000));
        // Signed during the overlap: both the old and the new receiver accept it.
        let h = rotating.sign(1_000, "{}");
        assert_eq!(h.matches("v1=").count(), 2);
        assert!(old.verify(&h, "{}", 1_500, 60_000));
        assert!(new.verify(&h, "{}", 1_500, 60_000));
    }

    #[test]
    fn tampering_age_and_garbage_are_refused() {
        let k = KeyRing::new("k", A, "p", None).unwrap();
        let h = k.sign(1_000, "{\"a\":1}");
        assert!(k.verify(&h, "{\"a\":1}", 1_500, 60_000));
        assert!(!k.verify(&h, "{\"a\":2}", 1_500, 60_000));
        assert!(!k.verify(&h, "{\"a\":1}", 1_000_000, 60_000));
        assert!(k.verify_any_age(&h, "{\"a\":1}"));
        assert!(!k.verify("garbage", "{}", 0, 60_000));
        assert!(!k.verify("t=1", "{}", 1, 60_000));
        assert!(!format!("{k:?}").contains(A));
    }
}
