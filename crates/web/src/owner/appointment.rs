//! The owner's appointment pages: book (a station from a list sorted by distance, then
//! a free time from the real capacity, then confirm; no typed station number or
//! time), my appointments with reschedule (the same slot picker) and cancel with a
//! reason.

use super::page::*;
use crate::AppState;
use crate::console::chrome::{show_time, urlencode};
use crate::console::form::{FormData, render};
use crate::error::page_error;
use crate::extract::constant_time_eq;
use crate::i18n::{Lang, tables};
use app::appointment::BookInput;
use app::auth::Session;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::appointment::ServiceType;
use domain::permission::Action;
use std::collections::HashMap;

/// Routes of these pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/owner/book", get(book_page).post(book))
        .route("/owner/appointments", get(my_appointments))
        .route(
            "/owner/appointments/{id}/reschedule",
            get(reschedule_page).post(reschedule),
        )
        .route("/owner/appointments/{id}/cancel", post(cancel))
}

async fn vehicles(s: &AppState, session: &Session) -> Vec<app::vehicle::Vehicle> {
    let Ok(g) = session.principal.grant(Action::OwnDataExport) else {
        return vec![];
    };
    app::vehicle::owned(&s.app, &g).await.unwrap_or_default()
}

/// A station in the owner's list.
struct StationLink {
    href: String,
    name: String,
    place: String,
    distance: String,
}

/// A free start as a link.
struct SlotLink {
    href: String,
    text: String,
    value: String,
}

/// A day tab.
struct DayTab {
    href: String,
    label: String,
    on: bool,
    date: String,
}

/// The owner's booking page: vehicle and service, then a station from a list sorted by
/// distance (with a name search), then a free time (days as tabs), then confirm.
#[derive(Template)]
#[template(path = "owner_book.html")]
struct BookPage {
    lang: Lang,
    title: String,
    error: Option<String>,
    csrf: String,
    form_token: String,
    vehicles: Vec<(i64, String)>,
    vehicle_id: i64,
    service_types: Vec<(String, String)>,
    service_type: String,
    q: String,
    lat: String,
    lon: String,
    stations: Vec<StationLink>,
    /// The chosen station: (id, name).
    station: Option<(i64, String)>,
    change_station: String,
    best: Vec<SlotLink>,
    tabs: Vec<DayTab>,
    times: Vec<SlotLink>,
    no_slots: bool,
    /// The chosen start: (form value, text).
    start: Option<(String, String)>,
    /// Rescheduling this appointment (its station and service fixed) instead of booking.
    reschedule: Option<i64>,
}

impl BookPage {
    fn t(&self, key: &str) -> String {
        tables().t(self.lang, key).to_string()
    }
}

fn weekday(lang: Lang, d: jiff::civil::Date) -> String {
    let wd = tables()
        .t(
            lang,
            &format!("book.weekday.{}", d.weekday().to_monday_one_offset()),
        )
        .to_string();
    match lang {
        Lang::ZhCn => format!("{} {wd}", d.strftime("%m-%d")),
        Lang::En => format!("{wd} {}", d.strftime("%m-%d")),
    }
}

fn coordinate(text: Option<&String>, max: f64) -> Option<f64> {
    text.and_then(|t| t.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && v.abs() <= max)
}

async fn book_page(
    State(s): State<AppState>,
    parts: Parts,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(session) = owner(&s, &parts).await else {
        return Redirect::to("/owner/login").into_response();
    };
    let lang = Lang::from_tag(&session.lang);
    let Ok(g) = session.principal.grant(Action::AppointmentBook) else {
        return Redirect::to("/owner/login").into_response();
    };
    let text = |k: &str| q.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let vs = vehicles(&s, &session).await;
    let vehicle = text("vehicle_id")
        .parse::<i64>()
        .ok()
        .and_then(|id| vs.iter().find(|v| v.id == id))
        .or(vs.first());
    let service_type =
        ServiceType::from_code(&text("service_type")).unwrap_or(ServiceType::Maintenance);
    let (lat, lon) = (
        coordinate(q.get("lat"), 90.0),
        coordinate(q.get("lon"), 180.0),
    );
    let near = lat.zip(lon);
    let search = text("q");
    let vehicle_id = vehicle.map(|v| v.id).unwrap_or_default();
    let base = format!(
        "/owner/book?vehicle_id={vehicle_id}&service_type={}",
        service_type.code()
    );
    let mut page = BookPage {
        lang,
        title: tables().t(lang, "own.book").to_string(),
        error: q.get("error").cloned(),
        csrf: session.csrf.clone(),
        form_token: app::idempotency::form_token(),
        vehicles: vs
            .iter()
            .map(|v| {
                (
                    v.id,
                    format!(
                        "{} {} {}",
                        v.plate.clone().unwrap_or_default(),
                        v.brand,
                        v.model
                    ),
                )
            })
            .collect(),
        vehicle_id,
        service_types: ServiceType::ALL
            .iter()
            .map(|st| {
                (
                    st.code().to_string(),
                    tables()
                        .t(lang, &format!("svc.type.{}", st.code()))
                        .to_string(),
                )
            })
            .collect(),
        service_type: service_type.code().to_string(),
        q: search.clone(),
        lat: lat.map(|v| v.to_string()).unwrap_or_default(),
        lon: lon.map(|v| v.to_string()).unwrap_or_default(),
        stations: vec![],
        station: None,
        change_station: base.clone(),
        best: vec![],
        tabs: vec![],
        times: vec![],
        no_slots: false,
        start: None,
        reschedule: None,
    };
    let station = text("station").parse::<i64>().ok();
    let Some(station) = station else {
        let home = vehicle.map(|v| v.station_id);
        let list = app::appointment::view::stations(
            &s.app,
            &g,
            Some(&search).filter(|q| !q.is_empty()).map(String::as_str),
            near,
            home,
            30,
        )
        .await;
        match list {
            Ok(list) => {
                page.stations = list
                    .iter()
                    .map(|st| StationLink {
                        href: format!("{base}&station={}", st.id),
                        name: match lang {
                            Lang::ZhCn => st.name_zh.clone(),
                            Lang::En => st.name_en.clone(),
                        },
                        place: format!("{} {}", st.city, st.address),
                        distance: st
                            .distance_km
                            .map(|km| {
                                tables().fill(lang, "book.km", &[("km", &format!("{km:.1}"))])
                            })
                            .unwrap_or_default(),
                    })
                    .collect()
            }
            Err(e) => page.error = Some(page_error(lang, &e).0),
        }
        return render(&page, StatusCode::OK);
    };
    let picker = match app::appointment::view::slot_picker(&s.app, &g, station, service_type).await
    {
        Ok(p) => p,
        Err(e) => {
            page.error = Some(page_error(lang, &e).0);
            return render(&page, StatusCode::NOT_FOUND);
        }
    };
    page.station = Some((
        station,
        match lang {
            Lang::ZhCn => picker.station.name_zh.clone(),
            Lang::En => picker.station.name_en.clone(),
        },
    ));
    let here = format!("{base}&station={station}");
    fill_picker(&mut page, &picker, &here, &text("day"), &text("start"));
    render(&page, StatusCode::OK)
}

/// Shows `picker` on `page`: the best starts, the day tabs (the asked `day` open) and
/// that day's starts as links back to `here` with the day and start, and the chosen
/// `start` when it is still free (else the page says it was taken).
fn fill_picker(
    page: &mut BookPage,
    picker: &app::appointment::view::SlotPicker,
    here: &str,
    day: &str,
    start: &str,
) {
    let lang = page.lang;
    let sep = if here.contains('?') { '&' } else { '?' };
    let link = |f: &app::appointment::view::FreeSlot, with_day: bool| SlotLink {
        href: format!("{here}{sep}day={}&start={}", f.date, urlencode(&f.value)),
        text: if with_day {
            format!("{} {}", weekday(lang, f.date), f.time)
        } else {
            f.time.clone()
        },
        value: f.value.clone(),
    };
    let choice = picker.choose(day, start);
    page.best = choice.best.iter().map(|f| link(f, true)).collect();
    page.tabs = choice
        .tabs
        .iter()
        .map(|d| DayTab {
            href: format!("{here}{sep}day={}", d.date),
            label: weekday(lang, d.date),
            on: d.on,
            date: d.date.to_string(),
        })
        .collect();
    page.times = choice.times.iter().map(|f| link(f, false)).collect();
    page.no_slots = choice.no_slots;
    page.start = choice.start.as_ref().map(|f| {
        (
            f.value.clone(),
            format!("{} {}", weekday(lang, f.date), f.time),
        )
    });
    if choice.gone && page.error.is_none() {
        page.error = Some(tables().t(lang, "book.slot_gone").to_string());
    }
}

/// `GET /owner/appointments/{id}/reschedule`: the same slot picker as booking, at the
/// appointment's station for its service; the chosen start posts to the same address.
async fn reschedule_page(
    State(s): State<AppState>,
    parts: Parts,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(session) = owner(&s, &parts).await else {
        return Redirect::to("/owner/login").into_response();
    };
    let lang = Lang::from_tag(&session.lang);
    let Ok(g) = session.principal.grant(Action::AppointmentBook) else {
        return Redirect::to("/owner/login").into_response();
    };
    let text = |k: &str| q.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let vs = vehicles(&s, &session).await;
    let stations: Vec<i64> = vs.iter().map(|v| v.station_id).collect();
    let now = s.app.now_ms();
    // Only the owner's own appointment, still booked and to come, can be moved.
    let found = match id.parse::<i64>() {
        Ok(id) => app::appointment::owner::owned(&s.app, &g, &stations)
            .await
            .unwrap_or_default()
            .into_iter()
            .find(|a| a.id == id && a.state == "booked" && a.start_at > now),
        Err(_) => None,
    };
    let Some(a) = found else {
        let msg = tables().t(lang, "error.not_found").to_string();
        return list_page(&s, &session, None, Some(msg), StatusCode::NOT_FOUND).await;
    };
    let service_type = ServiceType::from_code(&a.service_type).unwrap_or(ServiceType::Maintenance);
    let picker =
        match app::appointment::view::slot_picker(&s.app, &g, a.station_id, service_type).await {
            Ok(p) => p,
            Err(e) => {
                let (msg, status) = page_error(lang, &e);
                return list_page(&s, &session, None, Some(msg), status).await;
            }
        };
    let here = format!("/owner/appointments/{}/reschedule", a.id);
    let mut page = BookPage {
        lang,
        title: format!(
            "{} · {}",
            tables().t(lang, "own.reschedule"),
            show_time(a.start_at)
        ),
        error: q.get("error").cloned(),
        csrf: session.csrf.clone(),
        form_token: app::idempotency::form_token(),
        vehicles: vec![],
        vehicle_id: a.vehicle_id,
        service_types: vec![],
        service_type: service_type.code().to_string(),
        q: String::new(),
        lat: String::new(),
        lon: String::new(),
        stations: vec![],
        station: Some((
            a.station_id,
            match lang {
                Lang::ZhCn => picker.station.name_zh.clone(),
                Lang::En => picker.station.name_en.clone(),
            },
        )),
        change_station: here.clone(),
        best: vec![],
        tabs: vec![],
        times: vec![],
        no_slots: false,
        start: None,
        reschedule: Some(a.id),
    };
    fill_picker(&mut page, &picker, &here, &text("day"), &text("start"));
    render(&page, StatusCode::OK)
}

async fn book(State(s): State<AppState>, parts: Parts, form: FormData) -> Response {
    let Some(session) = owner(&s, &parts).await else {
        return Redirect::to("/owner/login").into_response();
    };
    let lang = Lang::from_tag(&session.lang);
    let station_id: i64 = form.get("station_id").trim().parse().unwrap_or_default();
    let vehicle_id: i64 = form.get("vehicle_id").trim().parse().unwrap_or_default();
    let back = |msg: &str| {
        Redirect::to(&format!(
            "/owner/book?vehicle_id={vehicle_id}&service_type={}&station={station_id}&error={}",
            urlencode(form.get("service_type")),
            urlencode(msg)
        ))
        .into_response()
    };
    if !constant_time_eq(form.get("csrf").as_bytes(), session.csrf.as_bytes()) {
        return back(tables().t(lang, "error.csrf"));
    }
    let Ok(g) = session.principal.grant(Action::AppointmentBook) else {
        return Redirect::to("/owner/login").into_response();
    };
    let input = BookInput {
        station_id,
        vehicle_id,
        service_type: form.get("service_type").to_string(),
        channel: "owner_app".into(),
        start: serde_json::Value::String(form.get("start").to_string()),
        operation_codes: vec![],
        duration_minutes: None,
        concern: Some(form.get("concern").trim().to_string()).filter(|c| !c.is_empty()),
    };
    match app::appointment::book(&s.app, &g, &input).await {
        Ok(_) => Redirect::to("/owner/appointments?booked=1").into_response(),
        Err(e) => back(&page_error(lang, &e).0),
    }
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
        // Stations by name, never by number.
        let names: HashMap<i64, String> =
            app::appointment::view::stations(&s.app, &g, None, None, None, 5_000)
                .await
                .unwrap_or_default()
                .into_iter()
                .map(|st| {
                    let name = match lang {
                        Lang::ZhCn => st.name_zh,
                        Lang::En => st.name_en,
                    };
                    (st.id, name)
                })
                .collect();
        page.items = rows
            .iter()
            .map(|a| Item {
                id: a.id,
                text: format!(
                    "{} · {} · {} · {}",
                    show_time(a.start_at),
                    names.get(&a.station_id).cloned().unwrap_or_default(),
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
