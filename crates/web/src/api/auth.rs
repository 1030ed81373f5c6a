//! Sign-in for staff, owners and integrations.

use crate::AppState;
use crate::client::SignInOrigin;
use crate::error::ApiError;
use crate::extract::{ApiLang, Caller, JsonBody, SESSION_COOKIE};
use app::auth::TokenInput;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::permission::Action;

/// Routes of this area.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/auth/owner/code", post(owner_code))
        .route("/auth/owner/verify", post(owner_verify))
        .route("/me", get(me))
        .route("/tokens", post(create_token))
}

/// Staff credentials.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    /// Username.
    pub username: String,
    /// Password.
    pub password: String,
}

/// A signed-in session: the cookie is set; writes must send `X-CSRF-Token`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SessionInfo {
    /// Token for the `X-CSRF-Token` header.
    pub csrf: String,
    /// Display name.
    pub name: String,
    /// Role code.
    pub role: String,
}

/// The Set-Cookie value for a session.
/// (`Secure` is added by [`crate::headers`] behind TLS.)
pub fn session_cookie(token: &str, max_age_s: i64) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_s}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn session_response(state: &AppState, s: &app::auth::Session) -> Response {
    let info = SessionInfo {
        csrf: s.csrf.clone(),
        name: s.principal.name.clone(),
        role: s.principal.role.code().into(),
    };
    let mut r = Json(info).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(&s.token, state.app.settings.session_minutes * 60),
    );
    r
}

/// Signs a staff member in (a new session id every time); repeated failures lock the account for a while.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginInput, responses((status = 200, body = SessionInfo), (status = 401, body = crate::error::ProblemDoc), (status = 429, body = crate::error::ProblemDoc)))]
pub async fn login(
    State(s): State<AppState>,
    ApiLang(lang): ApiLang,
    origin: SignInOrigin,
    JsonBody(input): JsonBody<LoginInput>,
) -> Result<Response, ApiError> {
    let input = input?;
    let session = app::auth::login_staff(
        &s.app,
        &input.username,
        &input.password,
        lang.tag(),
        origin.as_app(),
    )
    .await
    .map_err(|e| ApiError::app(e, lang))?;
    Ok(session_response(&s, &session))
}

/// Ends the session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout(State(s): State<AppState>, c: Caller) -> Result<Response, ApiError> {
    if let Some(sess) = &c.session {
        app::auth::logout(&s.app, &sess.token)
            .await
            .map_err(|e| c.err(e))?;
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, session_cookie("", 0));
    Ok(r)
}

/// An owner's phone.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneInput {
    /// Mobile number.
    #[schema(schema_with = app::schema::phone)]
    pub phone: String,
}

/// Sends a one-time code to an owner's phone (same answer for unknown numbers).
#[utoipa::path(post, path = "/api/v1/auth/owner/code", tag = "auth", request_body = PhoneInput, responses((status = 202), (status = 422, body = crate::error::ProblemDoc), (status = 429, body = crate::error::ProblemDoc)))]
pub async fn owner_code(
    State(s): State<AppState>,
    ApiLang(lang): ApiLang,
    origin: SignInOrigin,
    JsonBody(input): JsonBody<PhoneInput>,
) -> Result<StatusCode, ApiError> {
    let input = input?;
    app::auth::request_owner_code(&s.app, &input.phone, origin.as_app())
        .await
        .map_err(|e| ApiError::app(e, lang))?;
    Ok(StatusCode::ACCEPTED)
}

/// An owner's phone and code.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeInput {
    /// Mobile number.
    #[schema(schema_with = app::schema::phone)]
    pub phone: String,
    /// The 6-digit code.
    #[schema(pattern = "^[0-9]{6}$", example = "123456")]
    pub code: String,
}

/// Signs an owner in with the code.
#[utoipa::path(post, path = "/api/v1/auth/owner/verify", tag = "auth", request_body = CodeInput, responses((status = 200, body = SessionInfo), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn owner_verify(
    State(s): State<AppState>,
    ApiLang(lang): ApiLang,
    origin: SignInOrigin,
    JsonBody(input): JsonBody<CodeInput>,
) -> Result<Response, ApiError> {
    let input = input?;
    let session = app::auth::verify_owner_code(
        &s.app,
        &input.phone,
        &input.code,
        lang.tag(),
        origin.as_app(),
    )
    .await
    .map_err(|e| ApiError::app(e, lang))?;
    Ok(session_response(&s, &session))
}

/// Who is signed in.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, description = "The principal"), (status = 401, body = crate::error::ProblemDoc)))]
pub async fn me(c: Caller) -> Json<domain::permission::Principal> {
    Json(c.principal)
}

/// A new API token with its secret, shown once.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TokenIssued {
    /// Token id.
    pub id: i64,
    /// The secret for `Authorization: Bearer …`.
    pub token: String,
}

/// Issues an API token for an integration (administrators).
#[utoipa::path(post, path = "/api/v1/tokens", tag = "auth", request_body = TokenInput, responses((status = 201, body = TokenIssued), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn create_token(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<TokenInput>,
) -> Result<(StatusCode, Json<TokenIssued>), ApiError> {
    let g = c.grant(Action::TokenAdmin)?;
    let input = input?;
    let (id, token) = app::auth::create_token(&s.app, &g, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(TokenIssued { id, token })))
}
