//! Idempotency keys: per caller and key, the fingerprint of the first request and the
//! response it got, kept until `expires_at` so a repeat is answered from here.

use crate::error::StoreResult;
use sqlx::{AnyConnection, Row};

/// What a key says about a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First use (or the old row had expired): the request runs and must be finished.
    New,
    /// The first request with this key is still running.
    InFlight,
    /// The key was used with another request (method, path or body).
    Mismatch,
    /// Answered before: replay this.
    Done {
        /// HTTP status.
        status: u16,
        /// Content type of the body.
        content_type: Option<String>,
        /// Where a redirect pointed.
        location: Option<String>,
        /// The body.
        body: String,
    },
}

/// Claims `key` for `principal` and a request `fingerprint`, or says how it was used.
/// A row still in flight since before `abandoned_before` is taken as abandoned (the
/// server stopped, or the client went away mid-request) and claimed afresh.
pub async fn claim(
    conn: &mut AnyConnection,
    principal: &str,
    key: &str,
    fingerprint: &str,
    now: i64,
    expires_at: i64,
    abandoned_before: i64,
) -> StoreResult<Claim> {
    // An expired row is someone's old key: it no longer binds.
    sqlx::query(
        "DELETE FROM idempotency_keys WHERE principal = $1 AND idem_key = $2 \
         AND (expires_at <= $3 OR (status IS NULL AND created_at <= $4))",
    )
    .bind(principal)
    .bind(key)
    .bind(now)
    .bind(abandoned_before)
    .execute(&mut *conn)
    .await?;
    let fresh = sqlx::query(
        "INSERT INTO idempotency_keys (principal, idem_key, fingerprint, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (principal, idem_key) DO NOTHING",
    )
    .bind(principal)
    .bind(key)
    .bind(fingerprint)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    if fresh.rows_affected() == 1 {
        return Ok(Claim::New);
    }
    let row = sqlx::query(
        "SELECT fingerprint, status, content_type, location, body FROM idempotency_keys \
         WHERE principal = $1 AND idem_key = $2",
    )
    .bind(principal)
    .bind(key)
    .fetch_one(conn)
    .await?;
    let stored: String = row.try_get("fingerprint")?;
    if stored != fingerprint {
        return Ok(Claim::Mismatch);
    }
    let status: Option<i64> = row.try_get("status")?;
    Ok(match status {
        None => Claim::InFlight,
        Some(s) => Claim::Done {
            status: u16::try_from(s).unwrap_or(500),
            content_type: row.try_get("content_type")?,
            location: row.try_get("location")?,
            body: row
                .try_get::<Option<String>, _>("body")?
                .unwrap_or_default(),
        },
    })
}

/// What a key holds now, without claiming it: `None` when unknown (or expired),
/// [`Claim::InFlight`] while its first request runs, [`Claim::Done`] once answered.
pub async fn answer(
    conn: &mut AnyConnection,
    principal: &str,
    key: &str,
    now: i64,
) -> StoreResult<Option<Claim>> {
    let row = sqlx::query(
        "SELECT status, content_type, location, body FROM idempotency_keys \
         WHERE principal = $1 AND idem_key = $2 AND expires_at > $3",
    )
    .bind(principal)
    .bind(key)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let status: Option<i64> = row.try_get("status")?;
    Ok(Some(match status {
        None => Claim::InFlight,
        Some(s) => Claim::Done {
            status: u16::try_from(s).unwrap_or(500),
            content_type: row.try_get("content_type")?,
            location: row.try_get("location")?,
            body: row
                .try_get::<Option<String>, _>("body")?
                .unwrap_or_default(),
        },
    }))
}

/// Stores the response of the request that claimed `key`.
pub async fn finish(
    conn: &mut AnyConnection,
    principal: &str,
    key: &str,
    status: u16,
    content_type: Option<&str>,
    location: Option<&str>,
    body: &str,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE idempotency_keys SET status = $3, content_type = $4, location = $5, body = $6 \
         WHERE principal = $1 AND idem_key = $2 AND status IS NULL",
    )
    .bind(principal)
    .bind(key)
    .bind(i64::from(status))
    .bind(content_type)
    .bind(location)
    .bind(body)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets a claim whose request failed on our side, so the client may try again.
pub async fn forget(conn: &mut AnyConnection, principal: &str, key: &str) -> StoreResult<()> {
    sqlx::query(
        "DELETE FROM idempotency_keys WHERE principal = $1 AND idem_key = $2 AND status IS NULL",
    )
    .bind(principal)
    .bind(key)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes every key that expired by `now`; returns how many.
pub async fn purge(conn: &mut AnyConnection, now: i64) -> StoreResult<u64> {
    let r = sqlx::query("DELETE FROM idempotency_keys WHERE expires_at <= $1")
        .bind(now)
        .execute(conn)
        .await?;
    Ok(r.rows_affected())
}

/// How many keys are stored (for tests and operators).
pub async fn count(conn: &mut AnyConnection) -> StoreResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM idempotency_keys")
        .fetch_one(conn)
        .await?)
}
