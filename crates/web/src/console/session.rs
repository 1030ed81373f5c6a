//! Console sign-in, sign-out, language switch, and the signed-in user extractor.

use super::chrome::Chrome;
use super::form::{FormData, render};
use crate::AppState;
use crate::api::auth::session_cookie;
use crate::extract::{LANG_COOKIE, SESSION_COOKIE, constant_time_eq, cookie};
use crate::i18n::{I18n, Lang, tables};
use app::AppError;
use app::auth::Session;
use askama::Template;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use domain::permission::{Action, Grant};
use std::collections::HashMap;

/// Cookie holding the pre-session CSRF token of sign-in forms (double submit).
const LOGIN_CSRF_COOKIE: &str = "as_login_csrf";

/// A signed-in staff member on a console page; anyone else is sent to sign in.
#[derive(Debug, Clone)]
pub struct ConsoleUser {
    /// The session.
    pub session: Session,
    /// Page language.
    pub lang: Lang,
    /// The requested path.
    pub path: String,
    /// The text key of a toast to show (set by the redirect of a form just sent).
    pub toast: Option<String>,
    /// The name of the user's station or region (Chinese, English), for the top bar.
    pub unit_name: Option<(String, String)>,
}

impl ConsoleUser {
    /// The page frame for a section.
    pub fn chrome(&self, section: &str) -> Chrome {
        let mut c = Chrome::new(
            &self.session.principal,
            self.lang,
            &self.session.csrf,
            section,
            &self.path,
        );
        c.toast = self.toast.as_deref().map(|k| c.t(k));
        if let Some((zh, en)) = &self.unit_name {
            c.unit_label = match self.lang {
                Lang::ZhCn => zh.clone(),
                Lang::En => en.clone(),
            };
        }
        c
    }

    /// Checks a form's CSRF token against the session's.
    // The error is the whole answer to send (a 403 page), returned at most once per
    // request, so its size does not matter.
    #[allow(clippy::result_large_err)]
    pub fn check_csrf(&self, form: &FormData) -> Result<(), Response> {
        if constant_time_eq(form.get("csrf").as_bytes(), self.session.csrf.as_bytes()) {
            Ok(())
        } else {
            Err((
                StatusCode::FORBIDDEN,
                tables().t(self.lang, "error.csrf").to_string(),
            )
                .into_response())
        }
    }
}

/// The language of a visitor who is not signed in.
pub fn visitor_lang(parts: &Parts) -> Lang {
    cookie(parts, LANG_COOKIE)
        .map(Lang::from_tag)
        .unwrap_or_default()
}

impl FromRequestParts<AppState> for ConsoleUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let to_login = || Redirect::to("/console/login").into_response();
        let token = cookie(parts, SESSION_COOKIE).ok_or_else(to_login)?;
        let session = app::auth::session(&state.app, token)
            .await
            .map_err(|_| to_login())?
            .ok_or_else(to_login)?;
        if session.principal.role == domain::role::Role::Owner {
            return Err(Redirect::to("/owner").into_response());
        }
        let lang = Lang::from_tag(&session.lang);
        // A name that cannot be read leaves the translated "station #n" label.
        let unit_name = app::network::unit_name(&state.app, &session.principal.unit)
            .await
            .ok()
            .flatten();
        Ok(ConsoleUser {
            session,
            lang,
            path: parts.uri.path().to_string(),
            toast: super::toast::key_of(parts),
            unit_name,
        })
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    lang: Lang,
    t: &'static I18n,
    csrf: String,
    username: String,
    error: Option<String>,
}

fn login_form(lang: Lang, username: &str, error: Option<String>, status: StatusCode) -> Response {
    let csrf = app::auth::new_secret();
    let page = LoginPage {
        lang,
        t: tables(),
        csrf: csrf.clone(),
        username: username.to_string(),
        error,
    };
    let mut r = render(&page, status);
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LOGIN_CSRF_COOKIE}={csrf}; Path=/; HttpOnly; SameSite=Strict"
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// The sign-in page.
pub async fn login_page(parts: Parts) -> Response {
    login_form(visitor_lang(&parts), "", None, StatusCode::OK)
}

/// Signs in and opens a fresh session.
pub async fn login(State(s): State<AppState>, parts: Parts, form: FormData) -> Response {
    let lang = visitor_lang(&parts);
    let expected = cookie(&parts, LOGIN_CSRF_COOKIE).unwrap_or("");
    if expected.is_empty() || !constant_time_eq(form.get("csrf").as_bytes(), expected.as_bytes()) {
        return login_form(
            lang,
            form.get("username"),
            Some(tables().t(lang, "error.csrf").into()),
            StatusCode::FORBIDDEN,
        );
    }
    let origin = crate::client::SignInOrigin::of(&parts);
    match app::auth::login_staff(
        &s.app,
        form.get("username"),
        form.get("password"),
        lang.tag(),
        origin.as_app(),
    )
    .await
    {
        Ok(session) => {
            let mut r = Redirect::to("/console").into_response();
            r.headers_mut().insert(
                header::SET_COOKIE,
                session_cookie(&session.token, s.app.settings.session_minutes * 60),
            );
            r
        }
        Err(AppError::TooManyAttempts { .. }) => login_form(
            lang,
            form.get("username"),
            Some(tables().t(lang, "login.locked").into()),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(AppError::Unauthenticated) => login_form(
            lang,
            form.get("username"),
            Some(tables().t(lang, "login.failed").into()),
            StatusCode::UNAUTHORIZED,
        ),
        Err(e) => {
            tracing::error!(error = %e, "sign-in failed");
            login_form(
                lang,
                form.get("username"),
                Some(tables().t(lang, "error.internal").into()),
                StatusCode::INTERNAL_SERVER_ERROR,
            )
        }
    }
}

/// Signs out.
pub async fn logout(State(s): State<AppState>, user: ConsoleUser, form: FormData) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let _ = app::auth::logout(&s.app, &user.session.token).await;
    let mut r = Redirect::to("/console/login").into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, session_cookie("", 0));
    r
}

/// Switches the language (session and cookie) and goes back where the user was.
pub async fn switch_lang(
    State(s): State<AppState>,
    Path(tag): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    parts: Parts,
) -> Response {
    let lang = Lang::from_tag(&tag);
    if let Some(token) = cookie(&parts, SESSION_COOKIE) {
        let _ = app::auth::set_session_lang(&s.app, token, lang.tag()).await;
    }
    // Only same-site paths, so the switch cannot be used as an open redirect.
    let back = q
        .get("back")
        .filter(|b| b.starts_with('/') && !b.starts_with("//"))
        .cloned()
        .unwrap_or_else(|| "/console".into());
    let mut r = Redirect::to(&back).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
        lang.tag()
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// The grant of the signed-in user for `action`, or [`AppError::Forbidden`].
pub fn grant(user: &ConsoleUser, action: Action) -> Result<Grant, AppError> {
    user.session
        .principal
        .grant(action)
        .map_err(|_| AppError::Forbidden)
}
