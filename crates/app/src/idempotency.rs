//! Idempotency keys (the IETF httpapi `Idempotency-Key` draft, as payment APIs use
//! them): the web layer's one middleware asks [`claim`] before a creating or paying
//! request runs, and [`finish`] (or [`forget`] on a server error) after. The same key
//! with the same request replays the stored answer; with another request it is
//! refused; while the first is still running the repeat is told so. Keys are kept per
//! caller for [`KEEP_HOURS`] and then purged by a timer on the job machinery.

use crate::job::handler::{BoxFuture, Ctx, Handler, Outcome};
use crate::transaction::run;
use crate::{App, AppResult};
use sqlx::AnyConnection;
pub use store::idempotency::Claim;
use store::job::Claimed;

/// Hours a key binds (the draft asks for at least 24).
pub const KEEP_HOURS: i64 = 24;

/// Longest key accepted, in characters.
pub const MAX_KEY_CHARS: usize = 255;

/// The timer kind that purges expired keys.
pub const PURGE_KIND: &str = "idempotency.purge";

/// How long a first request may stay in flight before its key is taken as abandoned
/// (its server stopped or its client went away) and a repeat runs afresh.
pub const ABANDONED_AFTER_MS: i64 = 5 * 60_000;

const HOUR_MS: i64 = 3_600_000;

/// Whether a key's text is acceptable: not empty (after trimming), at most
/// [`MAX_KEY_CHARS`] characters.
pub fn key_ok(key: &str) -> bool {
    let n = key.trim().chars().count();
    n > 0 && n <= MAX_KEY_CHARS
}

/// Claims `key` for `principal` (`role:id`, or an owner link's hash) and the request's
/// `fingerprint`, through the transaction runner; arms the purge of the hour in which
/// the key expires (one timer per hour, so the queue does not grow per request).
pub async fn claim(app: &App, principal: &str, key: &str, fingerprint: &str) -> AppResult<Claim> {
    let now = app.now_ms();
    let expires_at = now + KEEP_HOURS * HOUR_MS;
    let purge_at = (expires_at / HOUR_MS + 1) * HOUR_MS;
    run(app, "idempotency.claim", move |mut tx| async move {
        let claim = store::idempotency::claim(
            &mut tx,
            principal,
            key,
            fingerprint,
            now,
            expires_at,
            now - ABANDONED_AFTER_MS,
        )
        .await?;
        if claim == Claim::New {
            crate::job::arm(
                &mut tx,
                &format!("{PURGE_KIND}:{purge_at}"),
                PURGE_KIND,
                purge_at,
                &serde_json::json!({}),
                now,
            )
            .await?;
        }
        Ok((tx, claim))
    })
    .await
}

/// The answer stored for a key, to replay to its repeats.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    /// HTTP status.
    pub status: u16,
    /// Content type of the body.
    pub content_type: Option<&'a str>,
    /// Where a redirect points (a form's answer).
    pub location: Option<&'a str>,
    /// The body.
    pub body: &'a str,
}

/// Stores the answer of the request that claimed `key`, to replay to its repeats.
pub async fn finish(app: &App, principal: &str, key: &str, answer: Answer<'_>) -> AppResult<()> {
    run(app, "idempotency.finish", move |mut tx| async move {
        store::idempotency::finish(
            &mut tx,
            principal,
            key,
            answer.status,
            answer.content_type,
            answer.location,
            answer.body,
        )
        .await?;
        Ok((tx, ()))
    })
    .await
}

/// What `key` of `principal` holds now, without claiming it (a read: the page that
/// shows a form's result once its first submission, held by another process, ends).
pub async fn answer(app: &App, principal: &str, key: &str) -> AppResult<Option<Claim>> {
    let mut c = crate::conn(app).await?;
    Ok(store::idempotency::answer(&mut c, principal, key, app.now_ms()).await?)
}

/// Releases a claim whose request failed on the server's side (nothing was written),
/// so that the client's retry with the same key runs again.
pub async fn forget(app: &App, principal: &str, key: &str) -> AppResult<()> {
    run(app, "idempotency.finish", move |mut tx| async move {
        store::idempotency::forget(&mut tx, principal, key).await?;
        Ok((tx, ()))
    })
    .await
}

/// The purge timer: deletes every expired key.
#[derive(Debug, Clone, Copy)]
pub struct Purge;

impl Handler for Purge {
    fn inside<'a>(
        &'a self,
        ctx: &'a Ctx,
        conn: &'a mut AnyConnection,
        _job: &'a Claimed,
    ) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let n = store::idempotency::purge(conn, ctx.app.now_ms())
                .await
                .map_err(|e| e.to_string())?;
            tracing::debug!(purged = n, "expired idempotency keys purged");
            Ok(())
        })
    }
}

/// The fingerprint of a request: SHA-256 over its method, path and body, so a key
/// reused for another request is recognised without keeping the body.
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update(b" ");
    h.update(path.as_bytes());
    h.update(b"\n");
    h.update(body);
    hex::encode(h.finalize())
}

/// A fresh one-time form token (hidden field `form_token`): a form submitted twice
/// with the same token makes one record, and the repeat is shown its result.
pub fn form_token() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// The caller key of a browser session (its cookie is a credential: only a hash).
pub fn session_principal(cookie: &str) -> String {
    format!("session:{}", &fingerprint("", "", cookie.as_bytes())[..32])
}

/// The caller key of an owner link (its token is a credential: only its hash is kept).
pub fn link_principal(token: &str) -> String {
    format!("link:{}", &fingerprint("", "", token.as_bytes())[..32])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_must_be_one_to_255_characters() {
        assert!(!key_ok(""));
        assert!(!key_ok("   "));
        assert!(key_ok("a"));
        assert!(key_ok(&"键".repeat(255)));
        assert!(!key_ok(&"k".repeat(256)));
    }

    #[test]
    fn fingerprints_tell_requests_apart() {
        let a = fingerprint("POST", "/api/v1/appointments", b"{}");
        assert_eq!(a, fingerprint("POST", "/api/v1/appointments", b"{}"));
        assert_ne!(a, fingerprint("POST", "/api/v1/appointments", b"{ }"));
        assert_ne!(a, fingerprint("POST", "/api/v1/vehicles", b"{}"));
    }
}
