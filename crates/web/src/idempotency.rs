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
            body,
        } => replay(status, content_type.as_deref(), body),
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
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        let _ = app::idempotency::forget(&s.app, principal, key).await;
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let stored = if parts.status.is_server_error() {
        app::idempotency::forget(&s.app, principal, key).await
    } else {
        let text = String::from_utf8_lossy(&bytes);
        app::idempotency::finish(
            &s.app,
            principal,
            key,
            parts.status.as_u16(),
            content_type,
            &text,
        )
        .await
    };
    if let Err(e) = stored {
        // The change itself is committed; only the replay copy is missing, so a
        // repeat will find the key in flight until it expires.
        tracing::error!(error = %e, "idempotency answer not stored");
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn replay(status: u16, content_type: Option<&str>, body: String) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    if let Some(ct) = content_type.and_then(|c| HeaderValue::from_str(c).ok()) {
        r.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    r.headers_mut()
        .insert(REPLAYED, HeaderValue::from_static("true"));
    r
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
