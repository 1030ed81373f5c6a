//! The owner's appointment pages: book (offered slots when full), my appointments with
//! reschedule and cancel with a reason.

use super::page::*;
use crate::AppState;
use crate::api::capacity::parse_instant;
use crate::console::chrome::show_time;
use crate::console::form::{FormData, render};
use crate::error::page_error;
use crate::extract::constant_time_eq;
use crate::i18n::{Lang, tables};
use app::AppError;
use app::appointment::BookInput;
use app::auth::Session;
use app::capacity::SlotQuery;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::appointment::ServiceType;
use domain::permission::Action;

/// Routes of these pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/owner/book", get(book_page).post(book))
        .route("/owner/appointments", get(my_appointments))
        .route("/owner/appointments/{id}/reschedule", post(reschedule))
        .route("/owner/appointments/{id}/cancel", post(cancel))
}

async fn vehicles(s: &AppState, session: &Session) -> Vec<app::vehicle::Vehicle> {
    let Ok(g) = session.principal.grant(Action::OwnDataExport) else {
        return vec![];
    };
    app::vehicle::owned(&s.app, &g).await.unwrap_or_default()
}

async fn book_form(s: &AppState, session: &Session, form: Option<&FormData>) -> Page {
    let lang = Lang::from_tag(&session.lang);
    let mut p = Page::new(lang, "own.book", "book");
    p.signed_in = true;
    p.csrf = session.csrf.clone();
    let vs = vehicles(s, session).await;
    p.vehicles = vs
        .iter()
        .map(|v| {
            (
                v.id,
                format!(
                    "{} {} {}",
                    v.brand,
                    v.model,
                    v.plate.clone().unwrap_or_default()
                ),
            )
        })
        .collect();
    p.service_types = ServiceType::ALL
        .iter()
        .map(|st| {
            (
                st.code().to_string(),
                tables()
                    .t(lang, &format!("svc.type.{}", st.code()))
                    .to_string(),
            )
        })
        .collect();
    match form {
        Some(f) => {
            p.vehicle_id = f.get("vehicle_id").parse().unwrap_or_default();
            p.service_type = f.get("service_type").to_string();
            p.station_id = f.get("station_id").to_string();
            p.start = f.get("start").to_string();
            p.concern = f.get("concern").to_string();
        }
        None => {
            if let Some(v) = vs.first() {
                p.vehicle_id = v.id;
                p.station_id = v.station_id.to_string();
            }
            p.service_type = "maintenance".into();
        }
    }
    p
}

async fn book_page(State(s): State<AppState>, parts: Parts) -> Response {
    let Some(session) = owner(&s, &parts).await else {
        return Redirect::to("/owner/login").into_response();
    };
    render(&book_form(&s, &session, None).await, StatusCode::OK)
}

async fn book(State(s): State<AppState>, parts: Parts, form: FormData) -> Response {
    let Some(session) = owner(&s, &parts).await else {
        return Redirect::to("/owner/login").into_response();
    };
    let lang = Lang::from_tag(&session.lang);
    let mut page = book_form(&s, &session, Some(&form)).await;
    if !constant_time_eq(form.get("csrf").as_bytes(), session.csrf.as_bytes()) {
        page.error = Some(tables().t(lang, "error.csrf").into());
        return render(&page, StatusCode::FORBIDDEN);
    }
    let Ok(g) = session.principal.grant(Action::AppointmentBook) else {
        return Redirect::to("/owner/login").into_response();
    };
    let station_id: i64 = form.get("station_id").trim().parse().unwrap_or_default();
    if station_id > 0 {
        let _ = app::repair_order::view::ensure_ready(&s.app, station_id).await;
    }
    let input = BookInput {
        station_id,
        vehicle_id: page.vehicle_id,
        service_type: form.get("service_type").to_string(),
        channel: "owner_app".into(),
        start: serde_json::Value::String(form.get("start").to_string()),
        operation_codes: vec![],
        duration_minutes: None,
        concern: Some(form.get("concern").trim().to_string()).filter(|c| !c.is_empty()),
    };
    match app::appointment::book(&s.app, &g, &input).await {
        Ok(_) => Redirect::to("/owner/appointments?booked=1").into_response(),
        Err(e) => {
            let (msg, status) = page_error(lang, &e);
            page.error = Some(msg);
            let full = matches!(&e, AppError::Refused(v) if v.0.iter().any(|x| x.rule.starts_with("capacity.no_")));
            if full {
                page.offers = offers(&s, &g, station_id, &input, lang).await;
            }
            render(&page, status)
        }
    }
}

async fn offers(
    s: &AppState,
    g: &domain::permission::Grant,
    station_id: i64,
    input: &BookInput,
    _lang: Lang,
) -> Vec<(i64, String, String)> {
    let Some(service_type) = ServiceType::from_code(&input.service_type) else {
        return vec![];
    };
    let Ok(tz) = app::appointment::zone_of(&s.app, station_id).await else {
        return vec![];
    };
    let Some(preferred) = input.start.as_str().and_then(|t| parse_instant(t, &tz)) else {
        return vec![];
    };
    let q = SlotQuery {
        station_id,
        service_type,
        operation_codes: vec![],
        preferred,
        limit: 4,
        nearby_stations: 2,
    };
    let Ok(offer) = app::capacity::find_slots(&s.app, g, &q).await else {
        return vec![];
    };
    let local = |t: jiff::Timestamp| {
        t.to_zoned(tz.clone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string()
    };
    std::iter::once(&offer.here)
        .chain(offer.nearby.iter())
        .flat_map(|st| {
            st.slots.iter().map(move |t| {
                (
                    st.station_id,
                    local(*t),
                    format!(
                        "#{} · {:.1} km · {}",
                        st.station_id,
                        st.distance_km,
                        local(*t)
                    ),
                )
            })
        })
        .collect()
}

async fn my_appointments(State(s): State<AppState>, parts: Parts) -> Response {
    let Some(session) = owner(&s, &parts).await else {
        return Redirect::to("/owner/login").into_response();
    };
    let lang = Lang::from_tag(&session.lang);
    let q = parts.uri.query().unwrap_or("");
    let notice = ["booked", "rescheduled", "cancelled"]
        .into_iter()
        .find(|k| q.split('&').any(|p| p == format!("{k}=1")))
        .map(|k| tables().t(lang, &format!("own.{k}")).to_string());
    list_page(&s, &session, notice, None, StatusCode::OK).await
}

async fn list_page(
    s: &AppState,
    session: &Session,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let lang = Lang::from_tag(&session.lang);
    let mut page = Page::new(lang, "own.my_appointments", "list");
    page.signed_in = true;
    page.csrf = session.csrf.clone();
    page.notice = notice;
    page.error = error;
    let Ok(g) = session.principal.grant(Action::AppointmentBook) else {
        return Redirect::to("/owner/login").into_response();
    };
    let vs = vehicles(s, session).await;
    let stations: Vec<i64> = vs.iter().map(|v| v.station_id).collect();
    {
        let now = s.app.now_ms();
        let rows = app::appointment::owner::owned(&s.app, &g, &stations)
            .await
            .unwrap_or_default();
        page.items = rows
            .iter()
            .map(|a| Item {
                id: a.id,
                text: format!(
                    "{} · #{} · {} · {}",
                    show_time(a.start_at),
                    a.station_id,
                    tables().t(lang, &format!("svc.type.{}", a.service_type)),
                    tables().t(lang, &format!("svc.appt.{}", a.state)),
                ),
                open: a.state == "booked" && a.start_at > now,
            })
            .collect();
    }
    render(&page, status)
}

async fn change_appointment(
    s: &AppState,
    parts: &Parts,
    id: &str,
    form: &FormData,
    cancel: bool,
) -> Response {
    let Some(session) = owner(s, parts).await else {
        return Redirect::to("/owner/login").into_response();
    };
    let lang = Lang::from_tag(&session.lang);
    if !constant_time_eq(form.get("csrf").as_bytes(), session.csrf.as_bytes()) {
        let msg = tables().t(lang, "error.csrf").to_string();
        return list_page(s, &session, None, Some(msg), StatusCode::FORBIDDEN).await;
    }
    let Ok(g) = session.principal.grant(Action::AppointmentBook) else {
        return Redirect::to("/owner/login").into_response();
    };
    let Ok(id) = id.parse::<i64>() else {
        let msg = tables().t(lang, "error.not_found").to_string();
        return list_page(s, &session, None, Some(msg), StatusCode::NOT_FOUND).await;
    };
    let done = if cancel {
        app::appointment::cancel(&s.app, &g, id, form.get("reason")).await
    } else {
        let start = serde_json::Value::String(form.get("start").trim().to_string());
        app::appointment::reschedule(&s.app, &g, id, &start).await
    };
    match done {
        Ok(()) => {
            let to = if cancel { "cancelled" } else { "rescheduled" };
            Redirect::to(&format!("/owner/appointments?{to}=1")).into_response()
        }
        Err(e) => {
            let (msg, status) = page_error(lang, &e);
            list_page(s, &session, None, Some(msg), status).await
        }
    }
}

async fn reschedule(
    State(s): State<AppState>,
    parts: Parts,
    Path(id): Path<String>,
    form: FormData,
) -> Response {
    change_appointment(&s, &parts, &id, &form, false).await
}

async fn cancel(
    State(s): State<AppState>,
    parts: Parts,
    Path(id): Path<String>,
    form: FormData,
) -> Response {
    change_appointment(&s, &parts, &id, &form, true).await
}
