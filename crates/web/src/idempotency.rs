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
//! resubmitted form runs once; a repeat arriving at the process that runs the first
//! waits for it — woken by [`FormWaits`] when the answer is stored, no polling (a
//! double click abandons the first page load, so the browser shows the second
//! answer) — and is given the same answer, usually the redirect to the record made.
//! A repeat whose first submission another process is still saving is answered at
//! once with a "still being saved" page whose link shows the result.

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
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

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

/// The first submissions of forms running in this process, by (session principal,
/// key): a repeat that arrives here while its first submission runs waits on the
/// entry's watch channel — woken once the answer is stored — instead of polling the
/// database. A first submission held by another process is not here; its repeat is
/// answered at once with a page that links to the result.
#[derive(Clone, Default)]
pub struct FormWaits(Arc<Mutex<HashMap<Slot, watch::Sender<bool>>>>);

/// A form key within its browser session: (session principal, key).
type Slot = (String, String);

/// Either the first submission of a key in this process (holding its entry until
/// dropped, which wakes the waiters) or a repeat waiting for that one.
enum Turn {
    First {
        /// Kept only to be dropped when the answer is stored.
        _held: Holder,
    },
    Repeat(watch::Receiver<bool>),
}

/// Holds a key's entry in [`FormWaits`]; dropping it (the answer stored, or the
/// request abandoned) removes the entry and wakes every waiter.
struct Holder {
    waits: FormWaits,
    slot: Slot,
}

impl Drop for Holder {
    fn drop(&mut self) {
        let sender = self
            .waits
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&self.slot);
        if let Some(tx) = sender {
            tx.send_replace(true);
        }
    }
}

impl FormWaits {
    /// Takes the key's entry if nobody in this process holds it, else joins its waiters.
    fn enter(&self, principal: &str, key: &str) -> Turn {
        let slot = (principal.to_string(), key.to_string());
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(tx) = map.get(&slot) {
            return Turn::Repeat(tx.subscribe());
        }
        map.insert(slot.clone(), watch::channel(false).0);
        Turn::First {
            _held: Holder {
                waits: self.clone(),
                slot,
            },
        }
    }

    /// How many first submissions are running (for tests).
    pub fn running(&self) -> usize {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }
}

/// The middleware of the console's and the owner's forms (see the module doc): a POST
/// under `/console/` or `/owner/` whose form carries a one-time token runs once per
/// token and browser session; a form answered with an error page (4xx) is not
/// remembered, so the corrected form runs. A GET of such a page with
/// `?form_token=…` shows the stored answer of that submission (the link of the
/// "still being saved" page).
pub async fn form_guard(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let scoped = path.starts_with("/console/") || path.starts_with("/owner/");
    if scoped && req.method() == Method::GET {
        return form_result(&s, req, next).await;
    }
    let is_form = req.method() == Method::POST
        && scoped
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
    // A repeat of a submission running in this process waits for its answer (bounded).
    let turn = s.forms.enter(&principal, &key);
    let waited = match &turn {
        Turn::Repeat(rx) => {
            let mut rx = rx.clone();
            let done = tokio::time::timeout(FORM_WAIT, rx.wait_for(|done| *done)).await;
            Some(done.is_ok())
        }
        Turn::First { .. } => None,
    };
    let claim = match app::idempotency::claim(&s.app, &principal, &key, &print).await {
        Ok(c) => c,
        Err(e) => return ApiError::app(e, header_lang(&parts)).into_response(),
    };
    match claim {
        Claim::New => {
            let response = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            let answer = remember_if(&s, &principal, &key, response, |st| {
                st.is_success() || st.is_redirection()
            })
            .await;
            // The answer is stored: wake the repeats waiting here.
            drop(turn);
            answer
        }
        Claim::Done {
            status,
            content_type,
            location,
            body,
        } => replay(status, content_type.as_deref(), location.as_deref(), body),
        // The same token with other fields: not a repeat, so it runs as sent.
        Claim::Mismatch => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        // Waited here and the first is still not done: the API's refusal.
        Claim::InFlight if waited.is_some() => problem(
            Violation::new(FORM_FIELD, "idempotency.in_flight"),
            true,
            header_lang(&parts),
        ),
        // Held by another process: say so at once, with a link to the result.
        Claim::InFlight => still_saving(&parts, &path, &token),
    }
}

/// The page of a repeat whose first submission another process is still saving: no
/// waiting here, a link that shows the result once it is there.
fn still_saving(parts: &axum::http::request::Parts, path: &str, token: &str) -> Response {
    let lang = crate::extract::cookie(parts, crate::extract::LANG_COOKIE)
        .map_or_else(|| header_lang(parts), crate::i18n::Lang::from_tag);
    let i18n = crate::i18n::tables();
    let link: String = form_urlencoded::Serializer::new(String::new())
        .append_pair(FORM_FIELD, token)
        .finish();
    let html = format!(
        "<!doctype html><html lang=\"{tag}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/assets/console.css\"></head>\
         <body><main class=\"still-saving\"><h1>{title}</h1><p>{text}</p>\
         <p><a class=\"button\" href=\"{href}?{link}\">{show}</a></p></main></body></html>",
        tag = lang.tag(),
        title = escape(i18n.t(lang, "form.still_saving")),
        text = escape(i18n.t(lang, "form.still_saving_text")),
        show = escape(i18n.t(lang, "form.show_result")),
        href = escape(path),
    );
    let mut r = axum::response::Html(html).into_response();
    *r.status_mut() = StatusCode::CONFLICT;
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}

/// Escapes text for HTML.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A GET under `/console/` or `/owner/` with `?form_token=…`: the stored answer of
/// that submission when there is one (usually the redirect to the record made), the
/// "still being saved" page while it runs, else the page itself.
async fn form_result(s: &AppState, req: Request, next: Next) -> Response {
    let token = req.uri().query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == FORM_FIELD)
            .map(|(_, v)| v.into_owned())
            .filter(|v| app::idempotency::key_ok(v))
    });
    let Some(token) = token else {
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    let Some(session) = crate::extract::cookie(&parts, crate::extract::SESSION_COOKIE) else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    let principal = app::idempotency::session_principal(session);
    let key = format!("form:{token}");
    match app::idempotency::answer(&s.app, &principal, &key).await {
        Ok(Some(Claim::Done {
            status,
            content_type,
            location,
            body,
        })) => replay(status, content_type.as_deref(), location.as_deref(), body),
        Ok(Some(Claim::InFlight)) => {
            let path = parts.uri.path().to_string();
            still_saving(&parts, &path, &token)
        }
        _ => next.run(Request::from_parts(parts, body)).await,
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
