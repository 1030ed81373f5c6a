//! Sign-in state: browser sessions, owners' one-time codes, integration tokens.
//! Secrets are stored only as hashes; the caller hashes.

use crate::error::StoreResult;
use sqlx::{AnyConnection, Row};

/// A stored session.
#[derive(Debug, Clone)]
pub struct SessionRow {
    /// Role code of the principal.
    pub principal_role: String,
    /// Staff or customer id.
    pub principal_id: i64,
    /// The CSRF token bound to the session.
    pub csrf: String,
    /// Chosen language.
    pub lang: String,
    /// Expiry, UTC ms.
    pub expires_at: i64,
}

/// Stores a new session.
pub async fn insert(
    conn: &mut AnyConnection,
    id_hash: &str,
    s: &SessionRow,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, principal_role, principal_id, csrf, lang, created_at, expires_at) VALUES ($1,$2,$3,$4,$5,$6,$7)",
    )
    .bind(id_hash)
    .bind(&s.principal_role)
    .bind(s.principal_id)
    .bind(&s.csrf)
    .bind(&s.lang)
    .bind(now)
    .bind(s.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A live session by id hash.
pub async fn get(
    conn: &mut AnyConnection,
    id_hash: &str,
    now: i64,
) -> StoreResult<Option<SessionRow>> {
    let r = sqlx::query("SELECT principal_role, principal_id, csrf, lang, expires_at FROM sessions WHERE id_hash = $1 AND expires_at > $2")
        .bind(id_hash)
        .bind(now)
        .fetch_optional(conn)
        .await?;
    match r {
        None => Ok(None),
        Some(r) => Ok(Some(SessionRow {
            principal_role: r.try_get("principal_role")?,
            principal_id: r.try_get("principal_id")?,
            csrf: r.try_get("csrf")?,
            lang: r.try_get("lang")?,
            expires_at: r.try_get("expires_at")?,
        })),
    }
}

/// Changes a session's language.
pub async fn set_lang(conn: &mut AnyConnection, id_hash: &str, lang: &str) -> StoreResult<()> {
    sqlx::query("UPDATE sessions SET lang = $1 WHERE id_hash = $2")
        .bind(lang)
        .bind(id_hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends a session.
pub async fn delete(conn: &mut AnyConnection, id_hash: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores a one-time code for a phone.
pub async fn insert_otp(
    conn: &mut AnyConnection,
    phone: &str,
    code_hash: &str,
    expires_at: i64,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO otp_codes (phone, code_hash, expires_at, created_at) VALUES ($1,$2,$3,$4)",
    )
    .bind(phone)
    .bind(code_hash)
    .bind(expires_at)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Codes sent to a phone since `since`, to limit how often codes are sent.
pub async fn otp_count_since(
    conn: &mut AnyConnection,
    phone: &str,
    since: i64,
) -> StoreResult<i64> {
    let r = sqlx::query("SELECT COUNT(*) FROM otp_codes WHERE phone = $1 AND created_at >= $2")
        .bind(phone)
        .bind(since)
        .fetch_one(conn)
        .await?;
    Ok(r.try_get(0)?)
}

/// The newest unused, unexpired code of a phone: (id, hash, attempts).
pub async fn latest_otp(
    conn: &mut AnyConnection,
    phone: &str,
    now: i64,
) -> StoreResult<Option<(i64, String, i64)>> {
    let r = sqlx::query(
        "SELECT id, code_hash, attempts FROM otp_codes WHERE phone = $1 AND used = 0 AND expires_at > $2 ORDER BY id DESC LIMIT 1",
    )
    .bind(phone)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    match r {
        None => Ok(None),
        Some(r) => Ok(Some((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))),
    }
}

/// Counts a wrong attempt, or marks the code used.
pub async fn otp_attempt(conn: &mut AnyConnection, id: i64, success: bool) -> StoreResult<()> {
    let sql = if success {
        "UPDATE otp_codes SET used = 1 WHERE id = $1"
    } else {
        "UPDATE otp_codes SET attempts = attempts + 1 WHERE id = $1"
    };
    sqlx::query(sql).bind(id).execute(conn).await?;
    Ok(())
}

/// A stored API token (without its secret).
#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenRow {
    /// Id.
    pub id: i64,
    /// Label.
    pub name: String,
    /// Role code the token acts as.
    pub role: String,
    /// Station, for station roles.
    pub station_id: Option<i64>,
    /// Region, for regional roles.
    pub region_id: Option<i64>,
}

/// Stores a token.
pub async fn insert_token(
    conn: &mut AnyConnection,
    t: &TokenRow,
    token_hash: &str,
    now: i64,
) -> StoreResult<i64> {
    let r = sqlx::query(
        "INSERT INTO api_tokens (name, token_hash, role, station_id, region_id, created_at) VALUES ($1,$2,$3,$4,$5,$6) RETURNING id",
    )
    .bind(&t.name)
    .bind(token_hash)
    .bind(&t.role)
    .bind(t.station_id)
    .bind(t.region_id)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(r.try_get(0)?)
}

/// A live token by hash, with the region of its station.
pub async fn token(conn: &mut AnyConnection, token_hash: &str) -> StoreResult<Option<TokenRow>> {
    let r = sqlx::query(
        "SELECT t.id, t.name, t.role, t.station_id, COALESCE(t.region_id, s.region_id) AS region_id FROM api_tokens t \
         LEFT JOIN stations s ON s.id = t.station_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await?;
    match r {
        None => Ok(None),
        Some(r) => Ok(Some(TokenRow {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            role: r.try_get("role")?,
            station_id: r.try_get("station_id")?,
            region_id: r.try_get("region_id")?,
        })),
    }
}
