//! The one `Idempotency-Key` machinery of the API (IETF httpapi draft semantics): a
//! middleware in front of every POST under `/api/v1/` (sign-in excepted), backed by
//! `app::idempotency`. Without the header a request runs as before. With it:
//!
//! - an empty key, or one over 255 characters, is a 422 naming the header;
//! - the first request with a key runs and its answer (status, content type, body)
//!   is stored for the caller — the session's or token's principal, or the owner
//!   link — for 24 hours; a server error is not stored, so a retry runs again;
//! - the same key with the same method, path and body replays the stored answer,
//!   marked `Idempotent-Replayed: true`;
//! - the same key with another request is a 422 naming the header;
//! - a repeat while the first is still running is a 409 naming the header.
//!
//! The console's and the owner's forms get the same protection without a header:
//! each form page carries a one-time token (hidden field `form_token`), and
//! [`form_guard`] treats it as the key of the browser session. A double click or a
//! resubmitted form runs once; the repeat waits for the first (a double click
//! abandons the first page load, so the browser shows the second answer) and is given
//! the same answer — usually the redirect to the record made.

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{Caller, header_lang};
use app::AppError;
use app::idempotency::Claim;
use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::Violation;

/// The request header.
pub const HEADER: &str = "idempotency-key";

/// The header's name as callers see it in problems and the OpenAPI document.
pub const HEADER_NAME: &str = "Idempotency-Key";

/// The response header marking a replayed answer.
pub const REPLAYED: &str = "idempotent-replayed";

/// Whether a request is one the machinery looks at: a POST of the API, not sign-in.
pub fn applies(method: &Method, path: &str) -> bool {
    method == Method::POST && path.starts_with("/api/v1/") && !path.starts_with("/api/v1/auth/")
}

fn problem(v: Violation, refused: bool, lang: crate::i18n::Lang) -> Response {
    let e = if refused {
        AppError::Refused(v.into())
    } else {
        AppError::Invalid(v.into())
    };
    ApiError::app(e, lang).into_response()
}

/// The middleware (see the module doc).
pub async fn guard(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if !applies(req.method(), &path) || !req.headers().contains_key(HEADER) {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let lang = header_lang(&parts);
    let key = match parts.headers.get(HEADER).map(|v| v.to_str()) {
        Some(Ok(k)) if app::idempotency::key_ok(k) => k.trim().to_string(),
        _ => {
            return problem(
                Violation::new(HEADER_NAME, "idempotency.key_length")
                    .with_detail(format!("1..{}", app::idempotency::MAX_KEY_CHARS)),
                false,
                lang,
            );
        }
    };
    let principal = match Caller::from_request_parts(&mut parts, &s).await {
        Ok(c) => format!("{}:{}", c.principal.role.code(), c.principal.id),
        Err(e) => match path.strip_prefix("/api/v1/track/") {
            Some(rest) => app::idempotency::link_principal(rest.split('/').next().unwrap_or("")),
            // Not signed in: the handler answers that, nothing to remember.
            None => return e.into_response(),
        },
    };
    let Ok(bytes) = to_bytes(body, crate::BODY_LIMIT).await else {
        return ApiError::new(Problem::TooLarge, lang).into_response();
    };
    let print = app::idempotency::fingerprint(parts.method.as_str(), &path, &bytes);
    let claim = match app::idempotency::claim(&s.app, &principal, &key, &print).await {
        Ok(c) => c,
        Err(e) => return ApiError::app(e, lang).into_response(),
    };
    match claim {
        Claim::Mismatch => problem(
            Violation::new(HEADER_NAME, "idempotency.reused"),
            false,
            lang,
        ),
        Claim::InFlight => problem(
            Violation::new(HEADER_NAME, "idempotency.in_flight"),
            true,
            lang,
        ),
        Claim::Done {
            status,
            content_type,
            location,
            body,
        } => replay(status, content_type.as_deref(), location.as_deref(), body),
        Claim::New => {
            let response = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            remember(&s, &principal, &key, response).await
        }
    }
}

/// Stores the answer (or forgets the key on a server error) and passes it on.
async fn remember(s: &AppState, principal: &str, key: &str, response: Response) -> Response {
    remember_if(s, principal, key, response, |st| !st.is_server_error()).await
}

/// Stores the answer when `keep` says so (otherwise forgets the key, so a repeat runs
/// again) and passes it on.
async fn remember_if(
    s: &AppState,
    principal: &str,
    key: &str,
    response: Response,
    keep: impl FnOnce(StatusCode) -> bool,
) -> Response {
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        let _ = app::idempotency::forget(&s.app, principal, key).await;
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let location = parts
        .headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok());
    let stored = if keep(parts.status) {
        let text = String::from_utf8_lossy(&bytes);
        let answer = app::idempotency::Answer {
            status: parts.status.as_u16(),
            content_type,
            location,
            body: &text,
        };
        app::idempotency::finish(&s.app, principal, key, answer).await
    } else {
        app::idempotency::forget(&s.app, principal, key).await
    };
    if let Err(e) = stored {
        // The change itself is committed; only the replay copy is missing, so a
        // repeat finds the key in flight until it is taken as abandoned.
        tracing::error!(error = %e, "idempotency answer not stored");
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn replay(
    status: u16,
    content_type: Option<&str>,
    location: Option<&str>,
    body: String,
) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    if let Some(ct) = content_type.and_then(|c| HeaderValue::from_str(c).ok()) {
        r.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    if let Some(to) = location.and_then(|c| HeaderValue::from_str(c).ok()) {
        r.headers_mut().insert(header::LOCATION, to);
    }
    r.headers_mut()
        .insert(REPLAYED, HeaderValue::from_static("true"));
    r
}

/// The hidden field of a form's one-time token.
pub const FORM_FIELD: &str = "form_token";

/// How long a repeated form waits for the first submission's answer.
const FORM_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The one-time token of an urlencoded form body, if it carries one.
fn form_token_of(body: &[u8]) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == FORM_FIELD)
        .map(|(_, v)| v.into_owned())
        .filter(|v| app::idempotency::key_ok(v))
}

/// The middleware of the console's and the owner's forms (see the module doc): a POST
/// under `/console/` or `/owner/` whose form carries a one-time token runs once per
/// token and browser session; a form answered with an error page (4xx) is not
/// remembered, so the corrected form runs.
pub async fn form_guard(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let is_form = req.method() == Method::POST
        && (path.starts_with("/console/") || path.starts_with("/owner/"))
        && req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Some(session) = crate::extract::cookie(&parts, crate::extract::SESSION_COOKIE) else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    let principal = app::idempotency::session_principal(session);
    let Ok(bytes) = to_bytes(body, crate::BODY_LIMIT).await else {
        return ApiError::new(Problem::TooLarge, header_lang(&parts)).into_response();
    };
    let Some(token) = form_token_of(&bytes) else {
        return next
            .run(Request::from_parts(parts, Body::from(bytes)))
            .await;
    };
    let key = format!("form:{token}");
    let print = app::idempotency::fingerprint(parts.method.as_str(), &path, &bytes);
    let started = std::time::Instant::now();
    loop {
        let claim = match app::idempotency::claim(&s.app, &principal, &key, &print).await {
            Ok(c) => c,
            Err(e) => return ApiError::app(e, header_lang(&parts)).into_response(),
        };
        match claim {
            Claim::New => {
                let response = next
                    .run(Request::from_parts(parts, Body::from(bytes)))
                    .await;
                return remember_if(&s, &principal, &key, response, |st| {
                    st.is_success() || st.is_redirection()
                })
                .await;
            }
            Claim::Done {
                status,
                content_type,
                location,
                body,
            } => return replay(status, content_type.as_deref(), location.as_deref(), body),
            // The same token with other fields: not a repeat, so it runs as sent.
            Claim::Mismatch => {
                return next
                    .run(Request::from_parts(parts, Body::from(bytes)))
                    .await;
            }
            // The first submission is still running: wait for its answer (bounded).
            Claim::InFlight if started.elapsed() < FORM_WAIT => {
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
            }
            Claim::InFlight => {
                return problem(
                    Violation::new(FORM_FIELD, "idempotency.in_flight"),
                    true,
                    header_lang(&parts),
                );
            }
        }
    }
}

/// The reusable header parameter of the OpenAPI document (`components.parameters`).
pub fn openapi_parameter() -> serde_json::Value {
    serde_json::json!({
        "name": HEADER_NAME,
        "in": "header",
        "required": false,
        "description": "Makes the request safe to repeat (IETF httpapi Idempotency-Key draft). \
            The same key with the same request within 24 hours replays the first answer \
            (marked `Idempotent-Replayed: true`); with another request it is a 422 naming \
            this header; while the first is still running, a 409. Keys are kept per caller.",
        "schema": {"type": "string", "minLength": 1, "maxLength": app::idempotency::MAX_KEY_CHARS}
    })
}
