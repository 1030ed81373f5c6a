//! The owner's complaint page (`/owner/complaints`): file a complaint about one of
//! their vehicles (category and description; the vehicle's station answers it),
//! follow the state of each, and answer the follow-up call's questions on the phone
//! (satisfaction 1–5, whether they accept the closure) when it waits for them; send
//! photos and recordings as evidence of an open complaint and open those sent (the
//! console's rows, reader and response, [`crate::console::complaint::attachment`]).
//! Another owner's complaint answers exactly like a missing one.

use crate::AppState;
use crate::console::chrome::show_time;
use crate::console::complaint::attachment::{self as files, FileRow};
use crate::console::complaint::cats::Cats;
use crate::console::form::{FormData, render, t};
use crate::error::page_error;
use crate::extract::{SESSION_COOKIE, constant_time_eq, cookie};
use crate::i18n::{I18n, Lang, tables};
use app::AppError;
use app::auth::Session;
use askama::Template;
use axum::Router;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{DefaultBodyLimit, Path, State};
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
        .route(
            "/owner/complaints/{id}/attachments",
            post(attach).layer(DefaultBodyLimit::max(files::UPLOAD_READ_LIMIT)),
        )
        .route(
            "/owner/complaints/{id}/attachments/{attachment_id}",
            get(attachment),
        )
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
    /// Evidence sent so far.
    files: Vec<FileRow>,
    /// Still open: the owner may send more.
    open: bool,
    /// The refusal of the last file sent here, beside the field.
    file_error: Option<String>,
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
    /// The `accept` list and the limits stated beside the file field.
    accept: String,
    limits: String,
}

/// A refused file: which complaint and the sentence to show beside its field.
type FileError = Option<(i64, String)>;

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
    show_with(s, session, notice, error, status, typed, None).await
}

async fn show_with(
    s: &AppState,
    session: &Session,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
    typed: Option<&FormData>,
    file_error: FileError,
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
    let read = p.grant(Action::ComplaintRead).ok();
    let cats = Cats::load(&s.app, p, lang).await;
    let mut cards = Vec::with_capacity(mine.len());
    for c in &mine {
        let sent = match &read {
            Some(g) => app::complaint::attachment::list(&s.app, g, c.id)
                .await
                .unwrap_or_default(),
            None => vec![],
        };
        cards.push(Card {
            id: c.id,
            received: show_time(c.received_at),
            category: cats.name(&c.category),
            state: t(lang, &format!("complaint.own.state.{}", c.state)),
            state_code: c.state.clone(),
            description: c.description.clone(),
            asks: c.state == "follow_up",
            files: files::rows(lang, &format!("/owner/complaints/{}", c.id), &sent),
            open: c.state != "closed",
            file_error: file_error
                .as_ref()
                .filter(|(id, _)| *id == c.id)
                .map(|(_, m)| m.clone()),
        });
    }
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
        categories: cats.active(),
        scores: (1..=5u8)
            .rev()
            .map(|n| (n, t(lang, &format!("complaint.satisfaction.{n}"))))
            .collect(),
        typed: (get("vehicle_id"), get("category"), get("description")),
        accept: files::accept(),
        limits: files::limits_text(lang),
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
    } else if q.split('&').any(|p| p == "attached=1") {
        Some(t(lang, "complaint.own.attached"))
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

/// `POST /owner/complaints/{id}/attachments`: one photo or recording for the owner's
/// own open complaint; a refusal shows the page again with the rule beside that
/// complaint's field (413, 415, 422, 409), another's complaint answers as missing.
async fn attach(
    State(s): State<AppState>,
    parts: Parts,
    Path(id): Path<String>,
    mp: Result<Multipart, MultipartRejection>,
) -> Response {
    let Some(session) = owner(&s, &parts).await else {
        return Redirect::to("/owner/login").into_response();
    };
    let lang = Lang::from_tag(&session.lang);
    let Ok(id) = id.trim().parse::<i64>() else {
        let (msg, status) = page_error(lang, &AppError::NotFound);
        return show(&s, &session, None, Some(msg), status, None).await;
    };
    let csrf = |token: &str| csrf_ok(&session, &FormData(vec![("csrf".into(), token.into())]));
    let sent = match files::read(mp).await {
        Ok((token, name, ct, bytes)) => {
            if !csrf(&token) {
                let msg = t(lang, "error.csrf");
                return show(&s, &session, None, Some(msg), StatusCode::FORBIDDEN, None).await;
            }
            match session.principal.grant(Action::ComplaintOwnerFile) {
                Ok(g) => app::complaint::attachment::add(&s.app, &g, id, &name, &ct, &bytes)
                    .await
                    .map(|_| ()),
                Err(_) => Err(AppError::Forbidden),
            }
        }
        Err((token, e)) => {
            if token.as_deref().is_some_and(|tk| !csrf(tk)) {
                let msg = t(lang, "error.csrf");
                return show(&s, &session, None, Some(msg), StatusCode::FORBIDDEN, None).await;
            }
            Err(e)
        }
    };
    match sent {
        Ok(()) => {
            Redirect::to(&format!("/owner/complaints?attached=1#complaint-{id}")).into_response()
        }
        Err(e @ (AppError::Invalid(_) | AppError::Refused(_))) => {
            let status = files::refusal_status(&e);
            let (msg, _) = page_error(lang, &e);
            show_with(&s, &session, None, None, status, None, Some((id, msg))).await
        }
        Err(e) => {
            let (msg, status) = page_error(lang, &e);
            show(&s, &session, None, Some(msg), status, None).await
        }
    }
}

/// `GET /owner/complaints/{id}/attachments/{attachment_id}`: a file of the owner's own
/// complaint; anything else is "not found".
async fn attachment(
    State(s): State<AppState>,
    parts: Parts,
    Path((id, attachment_id)): Path<(String, String)>,
) -> Response {
    let Some(session) = owner(&s, &parts).await else {
        return Redirect::to("/owner/login").into_response();
    };
    let lang = Lang::from_tag(&session.lang);
    let r = match (
        session.principal.grant(Action::ComplaintRead),
        id.trim().parse::<i64>(),
        attachment_id.trim().parse::<i64>(),
    ) {
        (Ok(g), Ok(id), Ok(aid)) => app::complaint::attachment::file(&s.app, &g, id, aid).await,
        (Err(_), _, _) => Err(AppError::Forbidden),
        _ => Err(AppError::NotFound),
    };
    match r {
        Ok(f) => files::file_response(f),
        Err(e) => {
            let (msg, status) = page_error(lang, &e);
            show(&s, &session, None, Some(msg), status, None).await
        }
    }
}
