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
) -> StoreResult<i64> {
    let r = sqlx::query(
        "INSERT INTO otp_codes (phone, code_hash, expires_at, created_at) VALUES ($1,$2,$3,$4) RETURNING id",
    )
    .bind(phone)
    .bind(code_hash)
    .bind(expires_at)
    .bind(now)
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

/// Kind of a sign-in attempt: a wrong staff password.
pub const ATTEMPT_PASSWORD: &str = "password";
/// Kind of a sign-in attempt: a wrong one-time code.
pub const ATTEMPT_CODE: &str = "code";
/// Kind of a sign-in attempt: a request for a one-time code.
pub const ATTEMPT_CODE_REQUEST: &str = "code_request";

/// Records one attempt of `kind` for `account` from `address`.
pub async fn record_attempt(
    conn: &mut AnyConnection,
    kind: &str,
    account: &str,
    address: &str,
    at: i64,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO sign_in_attempts (kind, account, address, at) VALUES ($1,$2,$3,$4)")
        .bind(kind)
        .bind(account)
        .bind(address)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

async fn count_since(
    conn: &mut AnyConnection,
    sql: &'static str,
    kind: &str,
    key: &[&str],
    since: i64,
) -> StoreResult<(i64, Option<i64>)> {
    let mut q = sqlx::query(sql).bind(kind.to_string());
    for k in key {
        q = q.bind(k.to_string());
    }
    let r = q.bind(since).fetch_one(conn).await?;
    Ok((r.try_get(0)?, r.try_get(1)?))
}

/// Attempts of `kind` within the window from `since`: for the account from the
/// address, from the address, for the account; and whether the account signed in
/// from this address before.
pub async fn attempts_since(
    conn: &mut AnyConnection,
    kind: &str,
    account: &str,
    address: &str,
    since: i64,
) -> StoreResult<domain::auth::Failures> {
    let (pair, pair_last_at) = count_since(
        conn,
        "SELECT COUNT(*), MAX(at) FROM sign_in_attempts WHERE kind = $1 AND account = $2 AND address = $3 AND at > $4",
        kind,
        &[account, address],
        since,
    )
    .await?;
    let (address_n, address_last_at) = count_since(
        conn,
        "SELECT COUNT(*), MAX(at) FROM sign_in_attempts WHERE kind = $1 AND address = $2 AND at > $3",
        kind,
        &[address],
        since,
    )
    .await?;
    let (account_n, account_last_at) = count_since(
        conn,
        "SELECT COUNT(*), MAX(at) FROM sign_in_attempts WHERE kind = $1 AND account = $2 AND at > $3",
        kind,
        &[account],
        since,
    )
    .await?;
    let known_address =
        sqlx::query("SELECT 1 FROM sign_in_known_addresses WHERE account = $1 AND address = $2")
            .bind(account)
            .bind(address)
            .fetch_optional(conn)
            .await?
            .is_some();
    Ok(domain::auth::Failures {
        pair,
        pair_last_at,
        address: address_n,
        address_last_at,
        account: account_n,
        account_last_at,
        known_address,
    })
}

/// After a successful sign-in: forgets the pair's failures and remembers the address.
pub async fn signed_in_from(
    conn: &mut AnyConnection,
    account: &str,
    address: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("DELETE FROM sign_in_attempts WHERE account = $1 AND address = $2 AND kind <> $3")
        .bind(account)
        .bind(address)
        .bind(ATTEMPT_CODE_REQUEST)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO sign_in_known_addresses (account, address, last_ok_at) VALUES ($1,$2,$3) \
         ON CONFLICT (account, address) DO UPDATE SET last_ok_at = excluded.last_ok_at",
    )
    .bind(account)
    .bind(address)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Counts a wrong guess against a code, atomically and only while it has guesses
/// left: false when the code is used up, so simultaneous guesses cannot exceed the
/// limit.
pub async fn otp_take_guess(conn: &mut AnyConnection, id: i64, limit: i64) -> StoreResult<bool> {
    let r = sqlx::query(
        "UPDATE otp_codes SET attempts = attempts + 1 WHERE id = $1 AND used = 0 AND attempts < $2",
    )
    .bind(id)
    .bind(limit)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Marks a code used, atomically: true for exactly one of simultaneous right guesses.
pub async fn otp_use(conn: &mut AnyConnection, id: i64) -> StoreResult<bool> {
    let r = sqlx::query("UPDATE otp_codes SET used = 1 WHERE id = $1 AND used = 0")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}
