//! The owner files a correction or deletion request from `/owner/data` (a plain form;
//! a refused one shows the page again with the rule and what was ticked).

use crate::AppState;
use crate::console::form::{FormData, render};
use crate::error::page_error;
use crate::extract::constant_time_eq;
use crate::i18n::{Lang, tables};
use crate::owner::page::owner;
use app::privacy::request::FileInput;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use domain::permission::Action;

/// Routes of the form.
pub fn router() -> Router<AppState> {
    Router::new().route("/owner/privacy-requests", post(file))
}

async fn file(State(s): State<AppState>, parts: Parts, form: FormData) -> Response {
    let Some(session) = owner(&s, &parts).await else {
        return Redirect::to("/owner/login").into_response();
    };
    let lang = Lang::from_tag(&session.lang);
    let scopes: Vec<String> = form
        .0
        .iter()
        .filter(|(k, _)| k == "scopes")
        .map(|(_, v)| v.clone())
        .collect();
    let again = |error: String, status: StatusCode, scopes: Vec<String>| {
        let s = s.clone();
        let session = session.clone();
        async move {
            match super::export::data_page(&s, &session, None, Some(error), &scopes).await {
                Ok(p) => render(&p, status),
                Err(e) => {
                    let (text, status) = page_error(lang, &e);
                    (status, text).into_response()
                }
            }
        }
    };
    if !constant_time_eq(form.get("csrf").as_bytes(), session.csrf.as_bytes()) {
        return again(
            tables().t(lang, "error.csrf").into(),
            StatusCode::FORBIDDEN,
            scopes,
        )
        .await;
    }
    let Ok(g) = session.principal.grant(Action::OwnDataExport) else {
        return Redirect::to("/owner/login").into_response();
    };
    let input = FileInput {
        kind: form.get("kind").to_string(),
        scopes: scopes.clone(),
        ground: form.get("ground").to_string(),
        detail: form.get("detail").to_string(),
    };
    match app::privacy::request::file(&s.app, &g, &input).await {
        Ok(_) => Redirect::to("/owner/data?filed=1").into_response(),
        Err(e) => {
            let (text, status) = page_error(lang, &e);
            again(text, status, scopes).await
        }
    }
}
