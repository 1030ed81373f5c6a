//! Repair-order pages: the board of open orders by stage, the walk-in form, the order
//! page ([`page`]) and its actions (checkpoints, stages, concern, assignment, work,
//! owner link), and the technician's jobs.

pub mod page;

use self::page::{order_page, stage_label};
use super::chrome::show_time;
use super::form::{FormData, FormPage, answer, error_page, render, t};
use super::session::ConsoleUser;
use crate::AppState;
use crate::api::repair_order::check_assigned;
use crate::console::session::grant;
use crate::console::table::{Button, TRow, TablePage, station_needed, station_param};
use crate::error::page_error;
use app::AppError;
use app::repair_order::view::{self};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::appointment::ServiceType;
use domain::permission::{Action, Grant};
use domain::repair_order::Stage;
use std::collections::HashMap;

/// Routes of the repair-order pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/board", get(board))
        .route("/console/jobs", get(jobs))
        .route("/console/orders/new", get(walk_in_form).post(walk_in))
        .route("/console/orders/{id}", get(order))
        .route("/console/orders/{id}/check", post(check))
        .route("/console/orders/{id}/stage", post(stage))
        .route("/console/orders/{id}/applicable", post(applicable))
        .route("/console/orders/{id}/concern", post(classify))
        .route("/console/orders/{id}/lines/{no}/assign", post(assign))
        .route("/console/orders/{id}/lines/{no}/work", post(work))
        .route("/console/orders/{id}/link", post(link))
}

/// The grant for work at the bench: the advisor's order rights, else the
/// technician's workshop rights.
pub(crate) fn workshop_grant(user: &ConsoleUser) -> Result<Grant, AppError> {
    grant(user, Action::RepairOrderWrite).or_else(|_| grant(user, Action::WorkshopWork))
}

async fn board(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let chrome = user.chrome("board");
    let g = match grant(&user, Action::RepairOrderRead) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let Some(station) = station_param(&user, &q) else {
        return station_needed(chrome, "svc.board", "/console/board");
    };
    let items = match view::board(&s.app, &g, station).await {
        Ok(i) => i,
        Err(e) => return error_page(chrome, &e),
    };
    let lang = user.lang;
    let mut items = items;
    items.sort_by_key(|b| {
        (
            b.current_stage
                .as_deref()
                .and_then(Stage::from_code)
                .map(|s| s.index())
                .unwrap_or(0),
            b.id,
        )
    });
    let rows = items
        .iter()
        .map(|b| TRow {
            id: b.id,
            href: format!("/console/orders/{}", b.id),
            cells: vec![
                format!("#{}", b.id),
                b.plate.clone().unwrap_or_default(),
                match &b.current_stage {
                    Some(c) => stage_label(lang, c),
                    None => format!(
                        "{} ✔",
                        b.last_done
                            .as_deref()
                            .map(|c| stage_label(lang, c))
                            .unwrap_or_default()
                    ),
                },
                match (b.elapsed_minutes, b.standard_minutes) {
                    (Some(e), Some(s)) => format!("{e} / {s} min"),
                    _ => String::new(),
                },
                if b.overrun {
                    t(lang, "svc.overrun")
                } else {
                    String::new()
                },
                b.awaiting_approval.to_string(),
                b.promised_at.map(show_time).unwrap_or_default(),
                b.concern.clone(),
            ],
            alert: b.overrun,
            buttons: vec![],
        })
        .collect();
    let page = TablePage {
        chrome: chrome.crumb("/console/board", t(lang, "svc.board")),
        title: t(lang, "svc.board"),
        notice: None,
        error: None,
        filter: None,
        new_link: user
            .session
            .principal
            .grant(Action::RepairOrderWrite)
            .is_ok()
            .then(|| {
                (
                    format!("/console/orders/new?station={station}"),
                    t(lang, "svc.walk_in"),
                )
            }),
        headers: [
            "svc.order",
            "field.plate",
            "svc.stage",
            "svc.elapsed",
            "svc.overrun",
            "svc.awaiting",
            "svc.promised",
            "svc.concern",
        ]
        .iter()
        .map(|k| t(lang, k))
        .collect(),
        rows,
        chart: None,
    };
    render(&page, StatusCode::OK)
}

async fn jobs(State(s): State<AppState>, user: ConsoleUser) -> Response {
    let chrome = user.chrome("jobs");
    let lang = user.lang;
    let (Ok(_), Ok(g)) = (
        grant(&user, Action::WorkshopWork),
        grant(&user, Action::RepairOrderRead),
    ) else {
        return error_page(chrome, &AppError::Forbidden);
    };
    let Some(station) = view::station_of(&user.session.principal) else {
        return station_needed(chrome, "svc.jobs", "/console/jobs");
    };
    let list = match view::jobs(&s.app, &g, station, user.session.principal.id).await {
        Ok(l) => l,
        Err(e) => return error_page(chrome, &e),
    };
    let rows = list
        .iter()
        .map(|j| {
            let ops: &[(&str, &str)] = match (j.decision.as_str(), j.work.as_str()) {
                ("approved", "not_started") => &[("start", "svc.start_work")],
                ("approved", "in_progress") => &[("finish", "svc.finish_work")],
                _ => &[],
            };
            TRow {
                id: j.order_id,
                href: format!("/console/orders/{}", j.order_id),
                cells: vec![
                    format!("#{}", j.order_id),
                    j.plate.clone().unwrap_or_default(),
                    j.current_stage
                        .as_deref()
                        .map(|c| stage_label(lang, c))
                        .unwrap_or_default(),
                    format!("{} · {}", j.line_no, j.code),
                    format!("{:.2} h", j.hundredths as f64 / 100.0),
                    t(lang, &format!("svc.decision.{}", j.decision)),
                    t(lang, &format!("svc.work.{}", j.work)),
                ],
                alert: false,
                buttons: ops
                    .iter()
                    .map(|(op, label)| Button {
                        action: format!("/console/orders/{}/lines/{}/work", j.order_id, j.line_no),
                        label: t(lang, label),
                        hidden: vec![("op".into(), (*op).into()), ("back".into(), "jobs".into())],
                        reason: false,
                    })
                    .collect(),
            }
        })
        .collect();
    let page = TablePage {
        chrome: chrome.crumb("/console/jobs", t(lang, "svc.jobs")),
        title: t(lang, "svc.jobs"),
        notice: None,
        error: None,
        filter: None,
        new_link: None,
        headers: [
            "svc.order",
            "field.plate",
            "svc.stage",
            "svc.item",
            "svc.hours_qty",
            "svc.decision",
            "svc.work",
        ]
        .iter()
        .map(|k| t(lang, k))
        .collect(),
        rows,
        chart: None,
    };
    render(&page, StatusCode::OK)
}

/// Inputs of the walk-in form: the same names as the API's walk-in body.
const WALK_IN_FIELDS: &[(&str, &str)] = &[
    ("station_id", "number"),
    ("vin", "text"),
    ("service_type", "select"),
    ("concern", "text"),
    ("concern_code", "text"),
];

fn walk_in_page(user: &ConsoleUser, values: &serde_json::Value) -> FormPage {
    let chrome = user.chrome("board");
    let lang = user.lang;
    let title = t(lang, "svc.walk_in");
    let chrome = chrome.crumb("/console/board", t(lang, "svc.board"));
    let types = ServiceType::ALL
        .iter()
        .map(|st| {
            (
                st.code().to_string(),
                t(lang, &format!("svc.type.{}", st.code())),
            )
        })
        .collect();
    FormPage::new(
        chrome,
        title,
        "/console/orders/new".into(),
        WALK_IN_FIELDS,
        values,
    )
    .options("service_type", types)
}

/// The desk opens an order for a car that came without an appointment.
async fn walk_in_form(user: ConsoleUser, Query(q): Query<HashMap<String, String>>) -> Response {
    let station = station_param(&user, &q)
        .map(|s| s.to_string())
        .unwrap_or_default();
    let values = serde_json::json!({
        "station_id": station,
        "vin": q.get("vin").cloned().unwrap_or_default(),
        "service_type": "repair",
    });
    render(&walk_in_page(&user, &values), StatusCode::OK)
}

async fn walk_in(State(s): State<AppState>, user: ConsoleUser, form: FormData) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let page = walk_in_page(&user, &form.to_json());
    let result = match grant(&user, Action::RepairOrderWrite) {
        Ok(g) => match form.get("station_id").trim().parse::<i64>() {
            Ok(station_id) => {
                let input = app::repair_order::WalkInInput {
                    second_order_reason: None,
                    station_id,
                    vehicle_id: 0,
                    vin: Some(form.get("vin").to_string()),
                    concern: form.get("concern").to_string(),
                    concern_code: Some(form.get("concern_code").to_string()),
                    service_type: Some(form.get("service_type").to_string()),
                };
                app::repair_order::open_walk_in(&s.app, &g, &input).await
            }
            Err(_) => Err(AppError::Invalid(
                domain::Violation::new("station_id", "type.integer").into(),
            )),
        },
        Err(e) => Err(e),
    };
    answer(page, result, |id| format!("/console/orders/{id}"))
}

async fn order(State(s): State<AppState>, user: ConsoleUser, Path(id): Path<i64>) -> Response {
    order_page(&s, &user, id, None, None, None, StatusCode::OK).await
}

/// After a change: back to the order (303), or the order with the error (4xx).
pub(crate) async fn outcome(
    s: &AppState,
    user: &ConsoleUser,
    id: i64,
    r: Result<(), AppError>,
) -> Response {
    match r {
        Ok(()) => Redirect::to(&format!("/console/orders/{id}")).into_response(),
        Err(e) => {
            let (msg, status) = page_error(user.lang, &e);
            order_page(s, user, id, None, Some(msg), None, status).await
        }
    }
}

async fn check(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let r = match workshop_grant(&user) {
        Ok(g) => {
            let note = form.get("note");
            app::repair_order::check(
                &s.app,
                &g,
                id,
                form.get("code").trim(),
                (!note.trim().is_empty()).then_some(note),
            )
            .await
        }
        Err(e) => Err(e),
    };
    outcome(&s, &user, id, r).await
}

async fn stage(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let r = match (
        grant(&user, Action::RepairOrderWrite),
        Stage::from_code(form.get("stage")),
    ) {
        (Err(e), _) => Err(e),
        (_, None) => Err(AppError::Invalid(
            domain::Violation::new("stage", "repair_order.stage_unknown").into(),
        )),
        (Ok(g), Some(st)) => {
            if form.get("op") == "complete" {
                app::repair_order::complete_stage(&s.app, &g, id, st)
                    .await
                    .map(|_| ())
            } else {
                app::repair_order::start_stage(&s.app, &g, id, st).await
            }
        }
    };
    outcome(&s, &user, id, r).await
}

async fn applicable(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let codes: Vec<&str> = form
        .get("codes")
        .split([',', ' ', '，'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    let r = match grant(&user, Action::RepairOrderWrite) {
        Ok(g) => app::repair_order::set_applicable(&s.app, &g, id, &codes).await,
        Err(e) => Err(e),
    };
    outcome(&s, &user, id, r).await
}

/// Diagnosis classifies the concern: its code and whether it is a serious safety fault.
async fn classify(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let r = match workshop_grant(&user) {
        Ok(g) => {
            let input = app::repair_order::ClassifyInput {
                concern_code: Some(form.get("concern_code").to_string()),
                safety_fault: form.get("safety_fault") == "1",
                reason: Some(form.get("reason").to_string()),
            };
            app::repair_order::classify_concern(&s.app, &g, id, &input).await
        }
        Err(e) => Err(e),
    };
    outcome(&s, &user, id, r).await
}

async fn assign(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path((id, no)): Path<(i64, u32)>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let r = match (
        grant(&user, Action::RepairOrderWrite),
        form.get("technician_id").parse::<i64>(),
    ) {
        (Ok(g), Ok(tech)) => app::repair_order::assign_technician(&s.app, &g, id, no, tech).await,
        (Err(e), _) => Err(e),
        (_, Err(_)) => Err(AppError::Invalid(
            domain::Violation::new("technician_id", "required").into(),
        )),
    };
    outcome(&s, &user, id, r).await
}

async fn work(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path((id, no)): Path<(i64, u32)>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let g = grant(&user, Action::WorkshopWork).or_else(|_| grant(&user, Action::RepairOrderWrite));
    let op = form.get("op");
    let r = match g {
        Ok(g) => {
            let assigned = if op == "fit" {
                Ok(())
            } else {
                check_assigned(&s.app, &g, id, no).await
            };
            match assigned {
                Err(e) => Err(e),
                Ok(()) => match op {
                    "start" => app::repair_order::start_work(&s.app, &g, id, no).await,
                    "finish" => app::repair_order::finish_work(&s.app, &g, id, no).await,
                    _ => app::repair_order::fit_part(&s.app, &g, id, no).await,
                },
            }
        }
        Err(e) => Err(e),
    };
    if r.is_ok() && form.get("back") == "jobs" {
        return Redirect::to("/console/jobs").into_response();
    }
    outcome(&s, &user, id, r).await
}

async fn link(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    match grant(&user, Action::RepairOrderWrite) {
        Ok(g) => match app::repair_order::issue_owner_link(&s.app, &g, id).await {
            Ok(token) => {
                let notice = t(user.lang, "svc.link_issued");
                order_page(
                    &s,
                    &user,
                    id,
                    Some(notice),
                    None,
                    Some(format!("/owner/track/{token}")),
                    StatusCode::OK,
                )
                .await
            }
            Err(e) => outcome(&s, &user, id, Err(e)).await,
        },
        Err(e) => outcome(&s, &user, id, Err(e)).await,
    }
}
