//! The owner's pick-up and delivery page (上门取送车): the signed-in owner sees the
//! pick-ups and deliveries of their own appointments and orders (window, driver,
//! state, the checklist as recorded, the photos) and confirms the hand-over on their
//! phone once the checklist and photos are done; before a booked appointment they may
//! ask for a pick-up themselves (address and window; the station assigns the driver).
//! Another owner's pick-up or appointment answers exactly like a missing one.

use crate::AppState;
use crate::console::chrome::show_time;
use crate::console::form::{FormData, render, t};
use crate::console::pickup::photo_response;
use crate::error::page_error;
use crate::extract::{SESSION_COOKIE, constant_time_eq, cookie};
use crate::i18n::{I18n, Lang, tables};
use app::AppError;
use app::auth::Session;
use app::pickup::{CHECKLIST, OWNER, OwnerPickup, OwnerRequest};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::permission::Grant;

/// Routes of the owner's pick-up page.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/owner/pickups", get(page))
        .route("/owner/pickups/request", post(request))
        .route("/owner/pickups/{id}/confirm", post(confirm))
        .route("/owner/pickups/{id}/photos/{photo_id}", get(photo))
}

/// One hand-over as the owner's page shows it.
struct Card {
    id: i64,
    kind: String,
    state: String,
    state_code: String,
    window: String,
    address: String,
    driver: String,
    /// (item, result, note) for every recorded item.
    checklist: Vec<(String, String, String)>,
    photos: Vec<i64>,
    /// Checklist complete and at least one photo: the owner may confirm.
    ready: bool,
    confirmed: String,
}

/// A booked appointment the owner may still ask a pick-up for, with the form's values.
struct Offer {
    appointment_id: i64,
    text: String,
    address: String,
    window_start: String,
    window_end: String,
}

/// The owner's pick-up page.
#[derive(Template)]
#[template(path = "owner_pickup.html")]
struct OwnerPage {
    lang: Lang,
    t: &'static I18n,
    title: String,
    csrf: String,
    notice: Option<String>,
    error: Option<String>,
    cards: Vec<Card>,
    offers: Vec<Offer>,
}

/// The signed-in owner's session and grant, or `None` (then: sign in).
async fn owner(s: &AppState, parts: &Parts) -> Option<(Session, Grant)> {
    let token = cookie(parts, SESSION_COOKIE)?;
    let session = app::auth::session(&s.app, token).await.ok()??;
    if session.principal.role != domain::role::Role::Owner {
        return None;
    }
    let grant = session.principal.grant(OWNER).ok()?;
    Some((session, grant))
}

fn card(lang: Lang, v: &OwnerPickup) -> Card {
    let p = &v.pickup;
    let recorded = app::pickup::checklist_of(p);
    let checklist = CHECKLIST
        .iter()
        .filter_map(|code| {
            recorded.iter().find(|i| i.code == *code).map(|i| {
                (
                    t(lang, &format!("field.item_{code}")),
                    t(
                        lang,
                        if i.ok {
                            "pk.item_state.ok"
                        } else {
                            "pk.item_state.issue"
                        },
                    ),
                    i.note.clone().unwrap_or_default(),
                )
            })
        })
        .collect();
    let end = show_time(p.window_end);
    Card {
        id: p.id,
        kind: t(lang, &format!("pk.kind.{}", p.kind)),
        state: t(lang, &format!("pk.state.{}", p.state)),
        state_code: p.state.clone(),
        window: format!(
            "{} – {}",
            show_time(p.window_start),
            end.split_once(' ').map(|(_, hm)| hm).unwrap_or(&end)
        ),
        address: p.address.clone(),
        driver: v
            .driver_name
            .clone()
            .unwrap_or_else(|| t(lang, "pk.no_driver")),
        checklist,
        photos: v.photos.iter().map(|ph| ph.id).collect(),
        ready: p.state == "scheduled"
            && !v.photos.is_empty()
            && app::pickup::missing_items(p).is_empty(),
        confirmed: match (&p.confirmed_by, p.confirmed_at) {
            (Some(by), Some(at)) => format!("{by} · {}", show_time(at)),
            _ => String::new(),
        },
    }
}

/// Appointments open for a pick-up request; the one just posted keeps its values.
async fn offers(s: &AppState, grant: &Grant, posted: Option<&FormData>) -> Vec<Offer> {
    let list = app::pickup::owner_open_appointments(&s.app, grant)
        .await
        .unwrap_or_default();
    list.iter()
        .map(|a| {
            let mut o = Offer {
                appointment_id: a.id,
                text: format!(
                    "{} · {}",
                    show_time(a.start_at),
                    a.plate.clone().unwrap_or_default()
                ),
                address: String::new(),
                window_start: show_time(a.start_at - 2 * 3_600_000),
                window_end: show_time(a.start_at),
            };
            if let Some(f) = posted.filter(|f| f.get("appointment_id") == a.id.to_string()) {
                o.address = f.get("address").to_string();
                o.window_start = f.get("window_start").to_string();
                o.window_end = f.get("window_end").to_string();
            }
            o
        })
        .collect()
}

async fn show(
    s: &AppState,
    session: &Session,
    grant: &Grant,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    show_with(s, session, grant, notice, error, status, None).await
}

async fn show_with(
    s: &AppState,
    session: &Session,
    grant: &Grant,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
    posted: Option<&FormData>,
) -> Response {
    let lang = Lang::from_tag(&session.lang);
    let (cards, error, status) = match app::pickup::owner_list(&s.app, grant).await {
        Ok(list) => (list.iter().map(|v| card(lang, v)).collect(), error, status),
        Err(e) => {
            let (msg, st) = page_error(lang, &e);
            (vec![], Some(msg), st)
        }
    };
    let page = OwnerPage {
        lang,
        t: tables(),
        title: t(lang, "pk.own.title"),
        csrf: session.csrf.clone(),
        notice,
        error,
        cards,
        offers: offers(s, grant, posted).await,
    };
    render(&page, status)
}

async fn page(State(s): State<AppState>, parts: Parts) -> Response {
    let Some((session, grant)) = owner(&s, &parts).await else {
        return Redirect::to("/owner/login").into_response();
    };
    let lang = Lang::from_tag(&session.lang);
    let confirmed = parts
        .uri
        .query()
        .unwrap_or("")
        .split('&')
        .any(|p| p == "confirmed=1");
    let requested = parts
        .uri
        .query()
        .unwrap_or("")
        .split('&')
        .any(|p| p == "requested=1");
    let notice = if confirmed {
        Some(t(lang, "pk.own.confirmed"))
    } else {
        requested.then(|| t(lang, "pk.own.requested"))
    };
    show(&s, &session, &grant, notice, None, StatusCode::OK).await
}

async fn confirm(
    State(s): State<AppState>,
    parts: Parts,
    Path(id): Path<String>,
    form: FormData,
) -> Response {
    let Some((session, grant)) = owner(&s, &parts).await else {
        return Redirect::to("/owner/login").into_response();
    };
    let lang = Lang::from_tag(&session.lang);
    if !constant_time_eq(form.get("csrf").as_bytes(), session.csrf.as_bytes()) {
        let msg = t(lang, "error.csrf");
        return show(&s, &session, &grant, None, Some(msg), StatusCode::FORBIDDEN).await;
    }
    let r = match id.trim().parse::<i64>() {
        Ok(id) => app::pickup::confirm_by_owner(&s.app, &grant, id).await,
        Err(_) => Err(AppError::NotFound),
    };
    match r {
        Ok(()) => Redirect::to("/owner/pickups?confirmed=1").into_response(),
        Err(e) => {
            let (msg, status) = page_error(lang, &e);
            show(&s, &session, &grant, None, Some(msg), status).await
        }
    }
}

/// The owner asks for a pick-up before one of their booked appointments.
async fn request(State(s): State<AppState>, parts: Parts, form: FormData) -> Response {
    let Some((session, grant)) = owner(&s, &parts).await else {
        return Redirect::to("/owner/login").into_response();
    };
    let lang = Lang::from_tag(&session.lang);
    if !constant_time_eq(form.get("csrf").as_bytes(), session.csrf.as_bytes()) {
        let msg = t(lang, "error.csrf");
        return show(&s, &session, &grant, None, Some(msg), StatusCode::FORBIDDEN).await;
    }
    let input = OwnerRequest {
        appointment_id: crate::console::form::form_int(form.get("appointment_id")),
        address: form.get("address").into(),
        window_start: form.get("window_start").into(),
        window_end: form.get("window_end").into(),
    };
    match app::pickup::request_by_owner(&s.app, &grant, &input).await {
        Ok(_) => Redirect::to("/owner/pickups?requested=1").into_response(),
        Err(e) => {
            let (msg, status) = page_error(lang, &e);
            show_with(&s, &session, &grant, None, Some(msg), status, Some(&form)).await
        }
    }
}

async fn photo(
    State(s): State<AppState>,
    parts: Parts,
    Path((id, photo_id)): Path<(String, String)>,
) -> Response {
    let Some((session, grant)) = owner(&s, &parts).await else {
        return Redirect::to("/owner/login").into_response();
    };
    let lang = Lang::from_tag(&session.lang);
    let r = match (id.trim().parse::<i64>(), photo_id.trim().parse::<i64>()) {
        (Ok(id), Ok(photo_id)) => app::pickup::owner_photo(&s.app, &grant, id, photo_id).await,
        _ => Err(AppError::NotFound),
    };
    match r {
        Ok((ct, bytes)) => photo_response(&ct, bytes),
        Err(e) => {
            let (msg, status) = page_error(lang, &e);
            (status, msg).into_response()
        }
    }
}
