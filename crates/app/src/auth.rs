//! Sign-in: staff passwords and owners' one-time codes, throttled per account and
//! address (never a lockout a stranger can cause); integration tokens; and turning a
//! session or token back into a [`Principal`].

use crate::{App, AppError, AppResult};
use domain::ids::{CustomerId, RegionId, StationId};
use domain::permission::{Action, Grant, Principal, Unit};
use domain::phone::Phone;
use domain::role::{Role, UnitKind};
use domain::{Violation, Violations};
use sha2::{Digest, Sha256};
use store::session::{SessionRow, TokenRow};

/// Guesses allowed per one-time code; after them the code is spent and the owner
/// asks for a new one (the account is not locked).
pub const CODE_ATTEMPTS: i64 = 5;

/// Where a sign-in comes from and what it replaces.
#[derive(Debug, Clone, Copy, Default)]
pub struct SignInFrom<'a> {
    /// The client's address as the web layer resolved it (trusted proxies only).
    pub address: Option<&'a str>,
    /// The session the client already holds: ended when the sign-in succeeds, so a
    /// sign-in always rotates the session.
    pub previous_session: Option<&'a str>,
}

impl SignInFrom<'_> {
    fn address(&self) -> &str {
        self.address.unwrap_or("")
    }
}

/// Refuses an attempt the throttle holds back (see [`domain::auth`]).
async fn throttled(
    app: &App,
    conn: &mut sqlx::AnyConnection,
    kind: &str,
    account: &str,
    from: &SignInFrom<'_>,
) -> AppResult<()> {
    let now = app.now_ms();
    let failures = store::session::attempts_since(
        conn,
        kind,
        account,
        from.address(),
        now - domain::auth::WINDOW_MS,
    )
    .await?;
    match domain::auth::throttle(&failures, now) {
        domain::auth::Throttle::Allow => Ok(()),
        domain::auth::Throttle::WaitUntil(retry_at) => {
            metrics::counter!("sign_in_throttled_total", "kind" => kind.to_string()).increment(1);
            Err(AppError::TooManyAttempts { retry_at })
        }
    }
}

/// Records a failed attempt and answers `err`.
async fn failed(
    app: &App,
    conn: &mut sqlx::AnyConnection,
    kind: &str,
    account: &str,
    from: &SignInFrom<'_>,
    err: AppError,
) -> AppResult<Session> {
    store::session::record_attempt(conn, kind, account, from.address(), app.now_ms()).await?;
    metrics::counter!("sign_in_failures_total", "kind" => kind.to_string()).increment(1);
    Err(err)
}

/// After the credentials proved right: remembers the address, ends the session the
/// client held and opens a new one.
async fn signed_in(
    app: &App,
    conn: &mut sqlx::AnyConnection,
    account: &str,
    from: &SignInFrom<'_>,
    principal: Principal,
    lang: &str,
) -> AppResult<Session> {
    store::session::signed_in_from(conn, account, from.address(), app.now_ms()).await?;
    if let Some(previous) = from.previous_session {
        store::session::delete(conn, &hash_secret(previous)).await?;
    }
    open_session(app, conn, principal, lang).await
}

pub use crate::shared::new_secret;

/// The stored form of a secret.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A signed-in browser session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The secret for the cookie (only its hash is stored).
    pub token: String,
    /// The CSRF token forms must carry.
    pub csrf: String,
    /// Who.
    pub principal: Principal,
    /// Language.
    pub lang: String,
}

/// The principal of a staff account.
pub fn staff_principal(s: &store::people::Staff) -> Option<Principal> {
    let role = Role::from_code(&s.role)?;
    let unit = match role.unit_kind() {
        UnitKind::HeadOffice => Unit::HeadOffice,
        UnitKind::Region => Unit::Region(RegionId(s.region_id?)),
        UnitKind::Station => Unit::Station(StationId(s.station_id?), RegionId(s.region_id?)),
        UnitKind::Owner => return None,
    };
    Some(Principal {
        kind: domain::permission::ActorKind::Person,
        id: s.id,
        name: s.name.clone(),
        role,
        unit,
    })
}

/// Signs a staff member in and opens a session. Wrong passwords are throttled per
/// account and address (see [`domain::auth`]), so nobody can lock a colleague out;
/// a session the client already held is ended.
pub async fn login_staff(
    app: &App,
    username: &str,
    password: &str,
    lang: &str,
    from: SignInFrom<'_>,
) -> AppResult<Session> {
    let kind = store::session::ATTEMPT_PASSWORD;
    let account = format!("staff:{}", username.trim().to_lowercase());
    let mut conn = app
        .db
        .pool
        .acquire()
        .await
        .map_err(store::StoreError::from)?;
    throttled(app, &mut conn, kind, &account, &from).await?;
    let creds = store::people::credentials(&mut conn, username.trim()).await?;
    let Some(c) = creds else {
        // Same work as a real check, so timing does not tell which usernames exist.
        crate::password::verify(
            password,
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmE",
        );
        return failed(
            app,
            &mut conn,
            kind,
            &account,
            &from,
            AppError::Unauthenticated,
        )
        .await;
    };
    let principal = staff_principal(&c.staff);
    if !c.staff.active
        || principal.is_none()
        || !crate::password::verify(password, &c.password_hash)
    {
        return failed(
            app,
            &mut conn,
            kind,
            &account,
            &from,
            AppError::Unauthenticated,
        )
        .await;
    }
    store::people::record_login(&mut conn, c.staff.id).await?;
    let principal = principal.ok_or(AppError::Unauthenticated)?;
    signed_in(app, &mut conn, &account, &from, principal, lang).await
}

async fn open_session(
    app: &App,
    conn: &mut sqlx::AnyConnection,
    principal: Principal,
    lang: &str,
) -> AppResult<Session> {
    let now = app.now_ms();
    let token = new_secret();
    let csrf = new_secret();
    let row = SessionRow {
        principal_role: principal.role.code().to_string(),
        principal_id: principal.id,
        csrf: csrf.clone(),
        lang: lang.to_string(),
        expires_at: now + app.settings.session_minutes * 60_000,
    };
    store::session::insert(conn, &hash_secret(&token), &row, now).await?;
    Ok(Session {
        token,
        csrf,
        principal,
        lang: lang.to_string(),
    })
}

/// The session behind a cookie secret, if live.
pub async fn session(app: &App, token: &str) -> AppResult<Option<Session>> {
    let mut conn = app
        .db
        .pool
        .acquire()
        .await
        .map_err(store::StoreError::from)?;
    let Some(row) = store::session::get(&mut conn, &hash_secret(token), app.now_ms()).await? else {
        return Ok(None);
    };
    let principal = if row.principal_role == Role::Owner.code() {
        owner_principal(&mut conn, row.principal_id).await?
    } else {
        store::people::staff_for_session(&mut conn, row.principal_id)
            .await?
            .filter(|s| s.active)
            .as_ref()
            .and_then(staff_principal)
    };
    Ok(principal.map(|principal| Session {
        token: token.to_string(),
        csrf: row.csrf,
        principal,
        lang: row.lang,
    }))
}

async fn owner_principal(
    conn: &mut sqlx::AnyConnection,
    customer_id: i64,
) -> AppResult<Option<Principal>> {
    let c = store::customer::get(
        conn,
        &domain::permission::Reach::Customer(CustomerId(customer_id)),
        customer_id,
    )
    .await;
    match c {
        Ok(c) => Ok(Some(Principal {
            kind: domain::permission::ActorKind::Person,
            id: c.id,
            name: c.name,
            role: Role::Owner,
            unit: Unit::Owner(CustomerId(c.id)),
        })),
        Err(store::StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Changes the language of a session.
pub async fn set_session_lang(app: &App, token: &str, lang: &str) -> AppResult<()> {
    let mut conn = app
        .db
        .pool
        .acquire()
        .await
        .map_err(store::StoreError::from)?;
    store::session::set_lang(&mut conn, &hash_secret(token), lang).await?;
    Ok(())
}

/// Ends a session.
pub async fn logout(app: &App, token: &str) -> AppResult<()> {
    let mut conn = app
        .db
        .pool
        .acquire()
        .await
        .map_err(store::StoreError::from)?;
    store::session::delete(&mut conn, &hash_secret(token)).await?;
    Ok(())
}

/// Sends a 6-digit sign-in code to an owner's phone through the outbox. Unknown
/// numbers get the same answer, the same limits and the same database work (a code
/// and a withdrawn message with its job are stored, nothing is sent), so neither the
/// answer nor its timing tells who is a customer. Requests are throttled per number and address like passwords: a
/// stranger asking for an owner's codes uses up only their own allowance.
pub async fn request_owner_code(app: &App, phone: &str, from: SignInFrom<'_>) -> AppResult<()> {
    let phone = Phone::parse(phone).map_err(|e| AppError::Invalid(Violation::from(e).into()))?;
    let kind = store::session::ATTEMPT_CODE_REQUEST;
    let account = format!("owner:{}", phone.e164());
    let now = app.now_ms();
    let (phone, account, from) = (&phone, &account, &from);
    let (customer_id, code) =
        crate::transaction::run(app, "auth.request_owner_code", move |mut tx| async move {
            throttled(app, &mut tx, kind, account, from).await?;
            store::session::record_attempt(&mut tx, kind, account, from.address(), now).await?;
            let customer_id = store::customer::id_by_phone(&mut tx, phone.e164()).await?;
            let code = format!("{:06}", rand::random_range(0..1_000_000u32));
            let code_id = store::session::insert_otp(
                &mut tx,
                phone.e164(),
                &hash_secret(&code),
                now + 5 * 60_000,
                now,
            )
            .await?;
            // Both branches run the same two INSERTs (the message and its delivery job):
            // only the values differ, so the database work does not tell a customer's
            // number from a stranger's (`crates/web/tests/sign_in_work_web.rs` counts
            // the statements of each).
            match customer_id {
                Some(customer_id) => {
                    let payload = serde_json::json!({ "code": code });
                    // The key names the customer, not the number: the outbox keeps no phone in it.
                    store::outbox::enqueue(
                        &mut tx,
                        &format!("otp:{customer_id}:{code_id}"),
                        "sms",
                        phone.e164(),
                        Some(customer_id),
                        "otp",
                        &payload,
                        now,
                    )
                    .await?;
                }
                None => {
                    store::outbox::enqueue_withdrawn(
                        &mut tx,
                        &format!("otp:-:{code_id}"),
                        "sms",
                        &phone.masked(),
                        "otp",
                        now,
                    )
                    .await?;
                }
            }
            Ok((tx, (customer_id, code)))
        })
        .await?;
    app.wake_jobs();
    if app.settings.log_codes && customer_id.is_some() {
        tracing::info!(phone = %phone.masked(), code = %code, "owner sign-in code (log_codes is on)");
    }
    Ok(())
}

/// Checks an owner's code and opens a session. Each code takes at most
/// [`CODE_ATTEMPTS`] guesses, counted atomically, and opens exactly one session even
/// when the right code arrives many times at once; wrong codes are throttled per
/// number and address (see [`domain::auth`]), never locking the owner out of their
/// own device.
pub async fn verify_owner_code(
    app: &App,
    phone: &str,
    code: &str,
    lang: &str,
    from: SignInFrom<'_>,
) -> AppResult<Session> {
    let phone = Phone::parse(phone).map_err(|e| AppError::Invalid(Violation::from(e).into()))?;
    let kind = store::session::ATTEMPT_CODE;
    let account = format!("owner:{}", phone.e164());
    let now = app.now_ms();
    let mut conn = app
        .db
        .pool
        .acquire()
        .await
        .map_err(store::StoreError::from)?;
    throttled(app, &mut conn, kind, &account, &from).await?;
    // A wrong, used-up or expired code is wrong credentials, as a wrong password is
    // (401); the owner's page words it as `rule.otp.invalid`.
    let wrong = || AppError::Unauthenticated;
    let Some((id, hash, _)) = store::session::latest_otp(&mut conn, phone.e164(), now).await?
    else {
        return failed(app, &mut conn, kind, &account, &from, wrong()).await;
    };
    if !store::session::otp_take_guess(&mut conn, id, CODE_ATTEMPTS).await? {
        return failed(app, &mut conn, kind, &account, &from, wrong()).await;
    }
    if hash != hash_secret(code.trim()) {
        return failed(app, &mut conn, kind, &account, &from, wrong()).await;
    }
    if !store::session::otp_use(&mut conn, id).await? {
        // Another request with the same code won the race.
        return Err(wrong());
    }
    let customer_id = store::customer::id_by_phone(&mut conn, phone.e164())
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let principal = owner_principal(&mut conn, customer_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    signed_in(app, &mut conn, &account, &from, principal, lang).await
}

/// Input for a new integration token.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    /// A label, e.g. the integration's name.
    #[schema(schema_with = crate::schema::line::<100>, required = true)]
    pub name: String,
    /// Role code the token acts as.
    #[schema(schema_with = crate::schema::staff_role, required = true)]
    pub role: String,
    /// Station, for station roles (one that does not exist: 409 `station.unknown`).
    #[schema(minimum = 1)]
    pub station_id: Option<i64>,
    /// Region, for regional roles.
    #[schema(minimum = 1)]
    pub region_id: Option<i64>,
}

/// Issues an API token; the secret is returned once and only its hash is kept.
pub async fn create_token(
    app: &App,
    grant: &Grant,
    input: &TokenInput,
) -> AppResult<(i64, String)> {
    debug_assert_eq!(grant.action(), Action::TokenAdmin);
    let mut v = Violations::new();
    let role = Role::from_code(&input.role).filter(|r| *r != Role::Owner);
    if role.is_none() {
        v.push(Violation::new("role", "role.unknown"));
    }
    if input.name.trim().is_empty() || input.name.chars().count() > 100 {
        v.push(Violation::new("name", "text.length"));
    }
    let v = &v;
    crate::transaction::run(app, "auth.create_token", move |mut tx| async move {
        let mut v = v.clone();
        // A well-formed station id this database does not hold is refused (409), as for
        // every other reference; a missing one is a field error.
        let mut unknown_station = false;
        if let Some(r) = role {
            match r.unit_kind() {
                UnitKind::Station => match input.station_id {
                    Some(s) if store::network::station_region(&mut tx, s).await?.is_some() => {}
                    Some(_) => unknown_station = true,
                    None => v.push(Violation::new("station_id", "station.unknown")),
                },
                UnitKind::Region if input.region_id.is_none() => {
                    v.push(Violation::new("region_id", "required"))
                }
                _ => {}
            }
        }
        v.into_result()?;
        if unknown_station {
            return Err(crate::shared::refused_rule("station_id", "station.unknown"));
        }
        let secret = format!("as_{}", new_secret());
        let row = TokenRow {
            id: 0,
            name: input.name.trim().to_string(),
            role: input.role.clone(),
            station_id: input.station_id,
            region_id: input.region_id,
        };
        let now = app.now_ms();
        let id = store::session::insert_token(&mut tx, &row, &hash_secret(&secret), now).await?;
        let actor = store::event::Actor {
            role: grant.principal().role.code(),
            id: grant.principal().id,
            kind: grant.principal().kind.code(),
        };
        store::event::record(
            &mut tx,
            now,
            actor,
            "api_token",
            id,
            "issued",
            &serde_json::json!({"role": input.role}),
            None,
        )
        .await?;
        Ok((tx, (id, secret)))
    })
    .await
}

/// The principal of an API token, if live.
pub async fn token_principal(app: &App, secret: &str) -> AppResult<Option<Principal>> {
    let mut conn = app
        .db
        .pool
        .acquire()
        .await
        .map_err(store::StoreError::from)?;
    let Some(t) = store::session::token(&mut conn, &hash_secret(secret)).await? else {
        return Ok(None);
    };
    let staff = store::people::Staff {
        id: t.id,
        username: String::new(),
        name: t.name,
        role: t.role,
        station_id: t.station_id,
        region_id: t.region_id,
        phone: String::new(),
        active: true,
        wechat_id: None,
    };
    // The token acts in its own name: typed as a token in the audit log.
    Ok(staff_principal(&staff).map(|p| Principal {
        kind: domain::permission::ActorKind::Token,
        ..p
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_and_hashed() {
        let s = new_secret();
        assert_eq!(s.len(), 64);
        assert_ne!(hash_secret(&s), s);
        assert_eq!(hash_secret("a"), hash_secret("a"));
    }
}
