//! The owner's complaint page (`/owner/complaints`): file a complaint about one of
//! their vehicles (category and description; the vehicle's station answers it),
//! follow the state of each, and answer the follow-up call's questions on the phone
//! (satisfaction 1–5, whether they accept the closure) when it waits for them.
//! Another owner's complaint answers exactly like a missing one.

use crate::AppState;
use crate::console::chrome::show_time;
use crate::console::complaint::CATEGORIES;
use crate::console::form::{FormData, render, t};
use crate::error::page_error;
use crate::extract::{SESSION_COOKIE, constant_time_eq, cookie};
use crate::i18n::{I18n, Lang, tables};
use app::AppError;
use app::auth::Session;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::permission::Action;

/// Routes of the owner's complaint page.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/owner/complaints", get(page).post(file))
        .route("/owner/complaints/{id}/follow-up", post(answer))
}

/// One of the owner's complaints as listed.
struct Card {
    id: i64,
    received: String,
    category: String,
    state: String,
    state_code: String,
    description: String,
    /// The follow-up waits for the owner's answer.
    asks: bool,
}

#[derive(Template)]
#[template(path = "owner_complaint.html")]
struct OwnerPage {
    lang: Lang,
    t: &'static I18n,
    title: String,
    csrf: String,
    notice: Option<String>,
    error: Option<String>,
    cards: Vec<Card>,
    vehicles: Vec<(String, String)>,
    scores: Vec<(u8, String)>,
    categories: Vec<(String, String)>,
    typed: (String, String, String),
}

async fn owner(s: &AppState, parts: &Parts) -> Option<Session> {
    let token = cookie(parts, SESSION_COOKIE)?;
    let session = app::auth::session(&s.app, token).await.ok()??;
    (session.principal.role == domain::role::Role::Owner).then_some(session)
}

async fn show(
    s: &AppState,
    session: &Session,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
    typed: Option<&FormData>,
) -> Response {
    let lang = Lang::from_tag(&session.lang);
    let p = &session.principal;
    let mine = match p.grant(Action::ComplaintRead) {
        Ok(g) => app::complaint::mine(&s.app, &g).await.unwrap_or_default(),
        Err(_) => vec![],
    };
    let vehicles = match p.grant(Action::OwnDataExport) {
        Ok(g) => app::vehicle::owned(&s.app, &g).await.unwrap_or_default(),
        Err(_) => vec![],
    };
    let cards = mine
        .iter()
        .map(|c| Card {
            id: c.id,
            received: show_time(c.received_at),
            category: t(lang, &format!("complaint.category.{}", c.category)),
            state: t(lang, &format!("complaint.own.state.{}", c.state)),
            state_code: c.state.clone(),
            description: c.description.clone(),
            asks: c.state == "follow_up",
        })
        .collect();
    let get = |k: &str| typed.map(|f| f.get(k).to_string()).unwrap_or_default();
    let page = OwnerPage {
        lang,
        t: tables(),
        title: t(lang, "complaint.own.title"),
        csrf: session.csrf.clone(),
        notice,
        error,
        cards,
        vehicles: vehicles
            .iter()
            .map(|v| {
                (
                    v.id.to_string(),
                    format!(
                        "{} {} {}",
                        v.brand,
                        v.model,
                        v.plate.clone().unwrap_or_default()
                    ),
                )
            })
            .collect(),
        categories: CATEGORIES
            .iter()
            .map(|c| (c.to_string(), t(lang, &format!("complaint.category.{c}"))))
            .collect(),
        scores: (1..=5u8)
            .rev()
            .map(|n| (n, t(lang, &format!("complaint.satisfaction.{n}"))))
            .collect(),
        typed: (get("vehicle_id"), get("category"), get("description")),
    };
    render(&page, status)
}

async fn page(State(s): State<AppState>, parts: Parts) -> Response {
    let Some(session) = owner(&s, &parts).await else {
        return Redirect::to("/owner/login").into_response();
    };
    let lang = Lang::from_tag(&session.lang);
    let q = parts.uri.query().unwrap_or("");
    let notice = if q.split('&').any(|p| p == "filed=1") {
        Some(t(lang, "complaint.own.filed"))
    } else if q.split('&').any(|p| p == "answered=1") {
        Some(t(lang, "complaint.own.answered"))
    } else {
        None
    };
    show(&s, &session, notice, None, StatusCode::OK, None).await
}

fn csrf_ok(session: &Session, form: &FormData) -> bool {
    constant_time_eq(form.get("csrf").as_bytes(), session.csrf.as_bytes())
}

async fn file(State(s): State<AppState>, parts: Parts, form: FormData) -> Response {
    let Some(session) = owner(&s, &parts).await else {
        return Redirect::to("/owner/login").into_response();
    };
    let lang = Lang::from_tag(&session.lang);
    if !csrf_ok(&session, &form) {
        let msg = t(lang, "error.csrf");
        return show(
            &s,
            &session,
            None,
            Some(msg),
            StatusCode::FORBIDDEN,
            Some(&form),
        )
        .await;
    }
    let r = match session.principal.grant(Action::ComplaintOwnerFile) {
        Ok(g) => {
            let input = app::complaint::FileInput {
                vehicle_id: form.get("vehicle_id").trim().parse().ok(),
                category: form.get("category").to_string(),
                description: form.get("description").to_string(),
                ..Default::default()
            };
            app::complaint::file_own(&s.app, &g, &input).await
        }
        Err(_) => Err(AppError::Forbidden),
    };
    match r {
        Ok(_) => Redirect::to("/owner/complaints?filed=1").into_response(),
        Err(e) => {
            let (msg, status) = page_error(lang, &e);
            show(&s, &session, None, Some(msg), status, Some(&form)).await
        }
    }
}

async fn answer(
    State(s): State<AppState>,
    parts: Parts,
    Path(id): Path<String>,
    form: FormData,
) -> Response {
    let Some(session) = owner(&s, &parts).await else {
        return Redirect::to("/owner/login").into_response();
    };
    let lang = Lang::from_tag(&session.lang);
    if !csrf_ok(&session, &form) {
        let msg = t(lang, "error.csrf");
        return show(&s, &session, None, Some(msg), StatusCode::FORBIDDEN, None).await;
    }
    let r = match (
        session.principal.grant(Action::ComplaintOwnerFile),
        id.trim().parse::<i64>(),
    ) {
        (Ok(g), Ok(id)) => {
            let input = app::complaint::action::FollowUpInput {
                satisfaction: form.get("satisfaction").trim().parse().unwrap_or(0),
                accepts_closure: form.get("accepts_closure") == "yes",
                note: form.get("note").to_string(),
            };
            app::complaint::closure::answer_follow_up(&s.app, &g, id, &input).await
        }
        (Err(_), _) => Err(AppError::Forbidden),
        (_, Err(_)) => Err(AppError::NotFound),
    };
    match r {
        Ok(_) => Redirect::to("/owner/complaints?answered=1").into_response(),
        Err(e) => {
            let (msg, status) = page_error(lang, &e);
            show(&s, &session, None, Some(msg), status, None).await
        }
    }
}
