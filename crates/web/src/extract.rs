//! Request extractors: who is calling, in which language, and JSON bodies that fail
//! with a problem document naming the field.

use crate::AppState;
use crate::error::{ApiError, Problem, json_violation};
use crate::i18n::Lang;
use app::AppError;
use app::auth::Session;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, header};
use domain::permission::{Action, Grant, Principal};
use serde::de::DeserializeOwned;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "as_session";
/// Name of the language cookie (for visitors not signed in).
pub const LANG_COOKIE: &str = "as_lang";
/// Header carrying the CSRF token for cookie-authenticated API writes.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The value of one cookie.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

/// The language from Accept-Language (API callers).
pub fn header_lang(parts: &Parts) -> Lang {
    parts
        .headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Lang::from_accept_language)
        .unwrap_or_default()
}

/// The caller's language, for the API: Accept-Language.
#[derive(Debug, Clone, Copy)]
pub struct ApiLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for ApiLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ApiLang(header_lang(parts)))
    }
}

/// A signed-in caller of the API: an integration token (`Authorization: Bearer …`) or
/// a browser session (then writes need the CSRF header).
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who.
    pub principal: Principal,
    /// In which language errors are explained.
    pub lang: Lang,
    /// The browser session, when signed in by cookie.
    pub session: Option<Session>,
}

impl Caller {
    /// A grant for `action`, or 403.
    pub fn grant(&self, action: Action) -> Result<Grant, ApiError> {
        self.principal
            .grant(action)
            .map_err(|_| ApiError::app(AppError::Forbidden, self.lang))
    }

    /// Wraps a use-case error in the caller's language.
    pub fn err(&self, e: AppError) -> ApiError {
        ApiError::app(e, self.lang)
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = header_lang(parts);
        let unauth = || ApiError::app(AppError::Unauthenticated, lang);
        if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
            let token = auth
                .to_str()
                .ok()
                .and_then(|s| s.strip_prefix("Bearer "))
                .ok_or_else(unauth)?;
            let principal = state
                .token_principal(token.trim())
                .await
                .map_err(|e| ApiError::app(e, lang))?
                .ok_or_else(unauth)?;
            return Ok(Caller {
                principal,
                lang,
                session: None,
            });
        }
        let token = cookie(parts, SESSION_COOKIE).ok_or_else(unauth)?;
        let session = app::auth::session(&state.app, token)
            .await
            .map_err(|e| ApiError::app(e, lang))?
            .ok_or_else(unauth)?;
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !constant_time_eq(sent.as_bytes(), session.csrf.as_bytes()) {
                return Err(ApiError::new(Problem::Csrf, lang));
            }
        }
        Ok(Caller {
            principal: session.principal.clone(),
            lang,
            session: Some(session),
        })
    }
}

/// Compares secrets without leaking where they differ through timing.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A JSON body: refuses other content types (415), oversized bodies (413), malformed
/// JSON (400) and unknown fields (400), each as a problem document naming the field.
/// The outcome is held until the handler has checked the caller's grant, so a caller
/// without permission learns nothing about what a valid body looks like.
#[derive(Debug)]
pub struct JsonBody<T>(pub Result<T, ApiError>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let lang = req
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(Lang::from_accept_language)
            .unwrap_or_default();
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                ct.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
        if !is_json {
            return Ok(JsonBody(Err(ApiError::new(
                Problem::UnsupportedMediaType,
                lang,
            ))));
        }
        let bytes = match Bytes::from_request(req, state).await {
            Ok(b) => b,
            Err(_) => return Ok(JsonBody(Err(ApiError::new(Problem::TooLarge, lang)))),
        };
        let bad_body =
            |e: serde_json::Error| ApiError::new(Problem::BadBody(json_violation(&e)), lang);
        let body = serde_json::from_slice::<serde_json::Value>(&bytes)
            .map_err(bad_body)
            .and_then(|mut value| {
                // Every body of this API is an object: serde would also read a struct
                // from an array of its fields in order (`[null, null]`), which no
                // document describes, so anything but an object is refused here.
                if !value.is_object() {
                    let v = domain::Violation::new("body", "type.object");
                    return Err(ApiError::new(Problem::BadBody(v), lang));
                }
                whole_numbers(&mut value);
                let body = <T as serde::Deserialize>::deserialize(&value).map_err(bad_body)?;
                match bad_text(&value, "") {
                    Some(v) => Err(ApiError::app(AppError::Invalid(v.into()), lang)),
                    None => Ok(body),
                }
            });
        Ok(JsonBody(body))
    }
}

/// Writes every number with no fractional part (`12.0`, `1e3`) as the integer it is.
/// JSON has one number type and JSON Schema counts `12.0` as an integer, so a body
/// the API document allows must not fail on how the client printed the number.
/// Text stays text (`"12"` is still refused where a number is due).
pub fn whole_numbers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f >= i64::MIN as f64
                && f < i64::MAX as f64
            {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers),
        _ => {}
    }
}

/// The first string anywhere in a JSON body holding a character no stored text may
/// hold (control, bidi control, private use, noncharacters; see
/// [`domain::text::check_chars`]), as a violation naming its path (`lines[2].note`).
/// The field readers apply the full text rules; this guard also covers fields that
/// use cases read as plain strings.
pub fn bad_text(value: &serde_json::Value, path: &str) -> Option<domain::Violation> {
    use serde_json::Value;
    match value {
        Value::String(s) => domain::text::check_chars(s).err().map(|e| {
            let field = if path.is_empty() { "body" } else { path };
            domain::Violation {
                field: field.to_string(),
                ..e.into()
            }
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| bad_text(item, &format!("{path}[{i}]"))),
        Value::Object(fields) => fields.iter().find_map(|(k, item)| {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            bad_text(item, &p)
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bad_text_names_the_path() {
        let body = json!({"lines": [{"note": "ok"}, {"note": "x\u{202E}"}], "n": 1});
        let v = bad_text(&body, "").map(|v| (v.field, v.rule));
        assert_eq!(v, Some(("lines[1].note".into(), "text.bidi_control")));
        assert!(bad_text(&json!({"comment": "a\r\nb\tc"}), "").is_none());
        let v = bad_text(&json!("\u{7}"), "").map(|v| (v.field, v.rule));
        assert_eq!(v, Some(("body".into(), "text.control_chars")));
    }

    #[test]
    fn whole_numbers_become_integers_and_text_stays_text() {
        let mut v = json!({"driver_id": 12386.0, "big": 1e3, "half": 2.5, "text": "1",
            "lines": [{"qty": 4.0}], "huge": 1e300});
        whole_numbers(&mut v);
        assert_eq!(v["driver_id"], json!(12386));
        assert!(v["driver_id"].is_i64());
        assert_eq!(v["big"], json!(1000));
        assert_eq!(v["half"], json!(2.5));
        assert_eq!(v["text"], json!("1"));
        assert!(v["lines"][0]["qty"].is_i64());
        assert!(v["huge"].is_f64(), "beyond i64 it stays what it was");
    }
}
