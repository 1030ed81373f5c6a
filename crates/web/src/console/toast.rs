//! The toast: a short message shown once on the page a form redirects to
//! (post–redirect–get). The redirect sets a one-minute cookie naming the message's
//! text key; the next console page shows it and [`clear`] removes the cookie, so a
//! reload shows the page without it.

use crate::extract::cookie;
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

/// The cookie naming the toast's text key.
pub const TOAST_COOKIE: &str = "as_toast";

/// Text keys a toast may carry all start with this (nothing else can be injected).
const PREFIX: &str = "toast.";

/// A 303 to `to` that shows the text of `key` (a `toast.` key) there.
pub fn redirect(to: &str, key: &str) -> Response {
    let mut r = Redirect::to(to).into_response();
    if key.starts_with(PREFIX)
        && let Ok(v) = HeaderValue::from_str(&format!(
            "{TOAST_COOKIE}={key}; Path=/; Max-Age=60; SameSite=Lax; HttpOnly"
        ))
    {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// The toast's text key sent with a request, if a known one.
pub fn key_of(parts: &Parts) -> Option<String> {
    cookie(parts, TOAST_COOKIE)
        .filter(|k| k.starts_with(PREFIX) && k.len() < 64)
        .map(str::to_string)
}

/// Removes the toast cookie once a page (200) has been answered to a request that
/// carried it, so the message shows once.
pub async fn clear(req: Request, next: Next) -> Response {
    let had = req
        .headers()
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.contains(TOAST_COOKIE));
    let mut res = next.run(req).await;
    if had && res.status().is_success() {
        res.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_static("as_toast=; Path=/; Max-Age=0; SameSite=Lax; HttpOnly"),
        );
    }
    res
}
