//! Friendly error pages, in the user's language, for what the router refuses before
//! any page handler runs: an unknown address, an id that is not a number
//! (`/console/orders/abc`, which axum answers "Invalid URL: Cannot parse …"), a form's
//! address opened by a reload (405). The API keeps its problem documents, and pages
//! that answer their own errors (HTML) are left alone.

use crate::AppState;
use crate::extract::{SESSION_COOKIE, cookie, header_lang};
use crate::i18n::{I18n, Lang, tables};
use askama::Template;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

#[derive(Template)]
#[template(path = "error_page.html")]
struct ErrorPage {
    lang: Lang,
    t: &'static I18n,
    status: u16,
    title: String,
    message: String,
    home: &'static str,
    path: String,
}

/// The page for `status` at `path` in `lang`: what happened and what to do next.
pub fn page(lang: Lang, status: StatusCode, path: &str) -> Response {
    let kind = match status {
        StatusCode::METHOD_NOT_ALLOWED => "method",
        StatusCode::FORBIDDEN => "forbidden",
        _ => "not_found",
    };
    let t = tables();
    let page = ErrorPage {
        lang,
        t,
        status: status.as_u16(),
        title: t.t(lang, &format!("errpage.{kind}.title")).to_string(),
        message: t.t(lang, &format!("errpage.{kind}.text")).to_string(),
        home: if path.starts_with("/owner") {
            "/owner"
        } else {
            "/console"
        },
        // Only the path goes back into the page (the language switch returns to it).
        path: crate::console::chrome::urlencode(path),
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => status.into_response(),
    }
}

/// The page's language: the signed-in session's, else the language cookie, else
/// Accept-Language.
async fn lang_of(s: &AppState, parts: &Parts) -> Lang {
    if let Some(token) = cookie(parts, SESSION_COOKIE)
        && let Ok(Some(session)) = app::auth::session(&s.app, token).await
    {
        return Lang::from_tag(&session.lang);
    }
    match cookie(parts, crate::extract::LANG_COOKIE) {
        Some(tag) => Lang::from_tag(tag),
        None => header_lang(parts),
    }
}

/// Replaces the router's plain-text refusals of page addresses with [`page`]: a path
/// that does not parse (400 to a GET) is a page that does not exist (404).
pub async fn friendly(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let get = req.method() == axum::http::Method::GET;
    let is_page = path.starts_with("/console") || path.starts_with("/owner") || path == "/";
    if !is_page {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let head = {
        let mut b = Request::builder().uri(parts.uri.clone());
        for (k, v) in &parts.headers {
            if k == header::COOKIE || k == header::ACCEPT_LANGUAGE {
                b = b.header(k, v);
            }
        }
        b.body(()).map(|r| r.into_parts().0)
    };
    let res = next.run(Request::from_parts(parts, body)).await;
    let status = res.status();
    let plain = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"));
    // A 400 of a GET is an address that does not parse; a form's 400 stays as it is.
    let refused = matches!(
        status,
        StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
    ) || (get && status == StatusCode::BAD_REQUEST);
    match head {
        Ok(head) if plain && refused => {
            let lang = lang_of(&s, &head).await;
            let status = if status == StatusCode::BAD_REQUEST {
                StatusCode::NOT_FOUND
            } else {
                status
            };
            page(lang, status, &path)
        }
        _ => res,
    }
}
