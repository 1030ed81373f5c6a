//! The owner's privacy page: each consent purpose with its state and when and how it
//! was given, and a confirmed toggle that records the change with source
//! `owner_phone` (the ledger keeps every earlier answer).

use crate::AppState;
use crate::console::chrome::show_time;
use crate::console::form::{FormData, render};
use crate::extract::constant_time_eq;
use crate::i18n::{Lang, tables};
use crate::owner::page::owner;
use app::auth::Session;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

/// Routes of the owner's privacy page.
pub fn router() -> Router<AppState> {
    Router::new().route("/owner/privacy", get(page).post(change))
}

struct PurposeLine {
    code: String,
    label: String,
    granted: bool,
    state: String,
    since: String,
    toggle: String,
    confirm: String,
}

#[derive(Template)]
#[template(path = "owner_consent.html")]
struct ConsentPage {
    lang: Lang,
    title: String,
    back: String,
    intro: String,
    csrf: String,
    notice: Option<String>,
    error: Option<String>,
    purposes: Vec<PurposeLine>,
}

async fn build(
    s: &AppState,
    session: &Session,
    notice: Option<String>,
    error: Option<String>,
) -> Result<ConsentPage, app::AppError> {
    let lang = Lang::from_tag(&session.lang);
    let t = tables();
    let g = session
        .principal
        .grant(app::privacy::consent::OWN)
        .map_err(|_| app::AppError::Forbidden)?;
    let v = app::privacy::consent::own(&s.app, &g).await?;
    let purposes = v
        .purposes
        .iter()
        .map(|p| {
            let label = t
                .t(lang, &format!("consent.purpose.{}", p.purpose))
                .to_string();
            let since = p
                .latest
                .as_ref()
                .map(|e| {
                    t.fill(
                        lang,
                        "consent.owner_since",
                        &[
                            ("when", &show_time(e.at)),
                            ("source", t.t(lang, &format!("consent.source.{}", e.source))),
                        ],
                    )
                })
                .unwrap_or_default();
            let state = match &p.latest {
                Some(e) if e.granted => t.t(lang, "consent.given"),
                Some(_) => t.t(lang, "consent.withdrawn"),
                None => t.t(lang, "consent.never"),
            };
            let (toggle, confirm) = if p.granted {
                ("consent.owner_withdraw", "consent.owner_confirm_withdraw")
            } else {
                ("consent.owner_give", "consent.owner_confirm_give")
            };
            PurposeLine {
                code: p.purpose.clone(),
                granted: p.granted,
                state: state.to_string(),
                since,
                toggle: t.t(lang, toggle).to_string(),
                confirm: t.fill(lang, confirm, &[("purpose", &label)]),
                label,
            }
        })
        .collect();
    Ok(ConsentPage {
        lang,
        title: t.t(lang, "consent.owner_title").to_string(),
        back: t.t(lang, "own.back").to_string(),
        intro: t.t(lang, "consent.owner_intro").to_string(),
        csrf: session.csrf.clone(),
        notice,
        error,
        purposes,
    })
}

async fn page(State(s): State<AppState>, parts: Parts) -> Response {
    let Some(session) = owner(&s, &parts).await else {
        return Redirect::to("/owner/login").into_response();
    };
    let notice = parts
        .uri
        .query()
        .is_some_and(|q| q.contains("saved=1"))
        .then(|| {
            tables()
                .t(Lang::from_tag(&session.lang), "consent.owner_saved")
                .to_string()
        });
    match build(&s, &session, notice, None).await {
        Ok(p) => render(&p, StatusCode::OK),
        Err(_) => Redirect::to("/owner/login").into_response(),
    }
}

async fn change(State(s): State<AppState>, parts: Parts, form: FormData) -> Response {
    let Some(session) = owner(&s, &parts).await else {
        return Redirect::to("/owner/login").into_response();
    };
    let lang = Lang::from_tag(&session.lang);
    let show_error = |msg: String, status: StatusCode| {
        let s = s.clone();
        let session = session.clone();
        async move {
            match build(&s, &session, None, Some(msg)).await {
                Ok(p) => render(&p, status),
                Err(_) => Redirect::to("/owner/login").into_response(),
            }
        }
    };
    if !constant_time_eq(form.get("csrf").as_bytes(), session.csrf.as_bytes()) {
        return show_error(tables().t(lang, "error.csrf").into(), StatusCode::FORBIDDEN).await;
    }
    let Ok(g) = session.principal.grant(app::privacy::consent::OWN) else {
        return Redirect::to("/owner/login").into_response();
    };
    let granted = match form.get("granted") {
        "yes" => true,
        "no" => false,
        _ => {
            let v = domain::Violation::new("granted", "consent.granted");
            return show_error(
                tables().violation(lang, &v),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    match app::privacy::consent::record_own(&s.app, &g, form.get("purpose"), granted).await {
        Ok(()) => Redirect::to("/owner/privacy?saved=1").into_response(),
        Err(e) => {
            let (msg, _) = crate::error::page_error(lang, &e);
            show_error(msg, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}
