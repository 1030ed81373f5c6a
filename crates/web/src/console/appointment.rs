//! Appointment pages: today's appointments of a station, opening a repair order from
//! one, cancel with a reason and no-show.

use super::chrome::show_time;
use super::form::{FormData, error_page, render, t};
use super::session::ConsoleUser;
use crate::AppState;
use crate::console::session::grant;
use crate::console::table::{Button, Filter, TRow, TablePage, station_needed, station_param};
use crate::error::page_error;
use crate::i18n::Lang;
use app::AppError;
use app::repair_order::OpenInput;
use app::repair_order::view::{self};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::permission::Action;
use std::collections::HashMap;

/// Routes of these pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/appointments", get(appointments))
        .route("/console/appointments/{id}/open", post(open_order))
        .route("/console/appointments/{id}/cancel", post(cancel))
        .route("/console/appointments/{id}/no-show", post(no_show))
}

async fn appointments(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let chrome = user.chrome("appointments");
    let g = match grant(&user, Action::AppointmentRead) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let Some(station) = station_param(&user, &q) else {
        return station_needed(chrome, "svc.appointments", "/console/appointments");
    };
    let _ = view::ensure_ready(&s.app, station).await;
    let lang = user.lang;
    let day = q.get("day").map(|d| d.trim()).filter(|d| !d.is_empty());
    let (date, from, to) = match crate::api::capacity::day_range(&s.app, station, day, lang).await {
        Ok(r) => r,
        Err(e) => match e.problem {
            crate::error::Problem::App(e) => return error_page(chrome, &e),
            _ => return error_page(chrome, &AppError::NotFound),
        },
    };
    let list = match app::appointment::list(&s.app, &g, station, from, to).await {
        Ok(l) => l,
        Err(e) => return error_page(chrome, &e),
    };
    let can_book = grant(&user, Action::AppointmentBook).is_ok();
    let can_open = grant(&user, Action::RepairOrderWrite).is_ok();
    let can_pickup = grant(&user, app::pickup::WRITE).is_ok();
    let now = s.app.now_ms();
    let rows = list
        .iter()
        .map(|a| {
            let mut buttons = vec![];
            if a.state == "booked" {
                if can_pickup {
                    buttons.push(Button {
                        action: "/console/pickups/new".into(),
                        label: t(lang, "pk.schedule"),
                        hidden: vec![("appointment_id".into(), a.id.to_string())],
                        reason: false,
                    });
                }
                if can_open {
                    buttons.push(Button {
                        action: format!("/console/appointments/{}/open", a.id),
                        label: t(lang, "svc.receive"),
                        hidden: vec![],
                        reason: false,
                    });
                }
                if can_book {
                    buttons.push(Button {
                        action: format!("/console/appointments/{}/cancel", a.id),
                        label: t(lang, "svc.cancel"),
                        hidden: vec![],
                        reason: true,
                    });
                    if a.start_at <= now {
                        buttons.push(Button {
                            action: format!("/console/appointments/{}/no-show", a.id),
                            label: t(lang, "svc.no_show"),
                            hidden: vec![],
                            reason: false,
                        });
                    }
                }
            }
            TRow {
                id: a.id,
                href: a
                    .repair_order_id
                    .map(|r| format!("/console/orders/{r}"))
                    .unwrap_or_default(),
                cells: vec![
                    show_time(a.start_at),
                    t(lang, &format!("svc.type.{}", a.service_type)),
                    a.vehicle_id.to_string(),
                    a.concern.clone().unwrap_or_default(),
                    t(lang, &format!("svc.appt.{}", a.state)),
                ],
                alert: false,
                buttons,
            }
        })
        .collect();
    let title = format!("{} · {date}", t(lang, "svc.appointments"));
    let page = TablePage {
        chrome: chrome.crumb("/console/appointments", t(lang, "svc.appointments")),
        title,
        notice: q.get("notice").map(|n| t(lang, n)),
        error: q.get("error").cloned(),
        filter: Some(Filter {
            fields: vec![
                ("day".into(), t(lang, "svc.day"), date.to_string()),
                (
                    "station".into(),
                    t(lang, "field.station_id"),
                    station.to_string(),
                ),
            ],
        }),
        new_link: None,
        headers: [
            "svc.start",
            "svc.service_type",
            "svc.vehicle",
            "svc.concern",
            "svc.state",
        ]
        .iter()
        .map(|k| t(lang, k))
        .collect(),
        rows,
        chart: None,
    };
    render(&page, StatusCode::OK)
}

fn back_to_appointments(e: Option<(Lang, AppError)>) -> Response {
    match e {
        None => Redirect::to("/console/appointments").into_response(),
        Some((lang, e)) => Redirect::to(&format!(
            "/console/appointments?error={}",
            super::chrome::urlencode(&page_error(lang, &e).0)
        ))
        .into_response(),
    }
}

async fn open_order(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let r = match grant(&user, Action::RepairOrderWrite) {
        Ok(g) => {
            app::repair_order::open_from_appointment(&s.app, &g, id, &OpenInput::default()).await
        }
        Err(e) => Err(e),
    };
    match r {
        Ok(ro) => Redirect::to(&format!("/console/orders/{ro}")).into_response(),
        Err(e) => back_to_appointments(Some((user.lang, e))),
    }
}

async fn cancel(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let r = match grant(&user, Action::AppointmentBook) {
        Ok(g) => app::appointment::cancel(&s.app, &g, id, form.get("reason")).await,
        Err(e) => Err(e),
    };
    back_to_appointments(r.err().map(|e| (user.lang, e)))
}

async fn no_show(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let r = match grant(&user, Action::AppointmentBook) {
        Ok(g) => app::appointment::no_show(&s.app, &g, id).await,
        Err(e) => Err(e),
    };
    back_to_appointments(r.err().map(|e| (user.lang, e)))
}
