//! Repair-order pages: the board of open orders by stage, the walk-in form, the order
//! page ([`page`]) and its actions (checkpoints, stages, concern, assignment, work,
//! owner link), and the technician's jobs.

pub mod board;
pub mod page;
mod walk_in;

use self::page::{order_page, stage_label};
use super::form::{FormData, error_page, render, t};
use super::session::ConsoleUser;
use super::toast;
use crate::AppState;
use crate::api::repair_order::check_assigned;
use crate::console::chrome::ListQuery;
use crate::console::session::grant;
use crate::console::table::{Button, TRow, TablePage, station_needed};
use crate::error::page_error;
use app::AppError;
use app::repair_order::view::{self};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use domain::permission::{Action, Grant};
use domain::repair_order::Stage;
use std::collections::HashMap;

/// Routes of the repair-order pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/board", get(board::board))
        .route("/console/jobs", get(jobs))
        .route(
            "/console/orders/new",
            get(walk_in::walk_in_form).post(walk_in::walk_in),
        )
        .route("/console/orders/{id}", get(order))
        // Every action's address answers a GET (a reload, a bookmark) with the order
        // page instead of 405: post–redirect–get, and nothing is left on a POST URL.
        .route("/console/orders/{id}/check", get(back).post(check))
        .route("/console/orders/{id}/checks", get(back).post(checks))
        .route("/console/orders/{id}/stage", get(back).post(stage))
        .route(
            "/console/orders/{id}/applicable",
            get(back).post(applicable),
        )
        .route("/console/orders/{id}/concern", get(back).post(classify))
        .route("/console/orders/{id}/lines", get(back))
        .route(
            "/console/orders/{id}/lines/{no}/assign",
            get(back_line).post(assign),
        )
        .route(
            "/console/orders/{id}/lines/{no}/work",
            get(back_line).post(work),
        )
        .route("/console/orders/{id}/lines/{no}/decide", get(back_line))
        .route("/console/orders/{id}/link", get(back).post(link))
}

/// A GET of an action's address: to the order page.
async fn back(Path(id): Path<String>) -> Response {
    Redirect::to(&format!("/console/orders/{}", id.trim())).into_response()
}

/// A GET of a line action's address: to the order page's estimate.
async fn back_line(Path((id, _)): Path<(String, String)>) -> Response {
    Redirect::to(&format!("/console/orders/{}#estimate", id.trim())).into_response()
}

/// The grant for work at the bench: the advisor's order rights, else the
/// technician's workshop rights.
pub(crate) fn workshop_grant(user: &ConsoleUser) -> Result<Grant, AppError> {
    grant(user, Action::RepairOrderWrite).or_else(|_| grant(user, Action::WorkshopWork))
}

async fn jobs(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
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
    let lq = ListQuery::read("/console/jobs", &q, view::JOB_ORDERS, &[]);
    let me = user.session.principal.id;
    let found = match view::jobs_page(&s.app, &g, station, me, lq.order, lq.page()).await {
        Ok(l) => l,
        Err(e) => return error_page(chrome, &e),
    };
    let pager = lq.pager(lang, found.total, found.page, found.pages());
    let list = found.items;
    // Operations by name, not by code (a technician reads "1万公里保养", not MAINT-10K).
    let names: HashMap<String, String> = match grant(&user, Action::NetworkRead) {
        Ok(ng) => app::labour::operations(&s.app, &ng)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|o| {
                let name = if lang == crate::i18n::Lang::En {
                    o.name_en
                } else {
                    o.name_zh
                };
                (o.code, name)
            })
            .collect(),
        Err(_) => HashMap::new(),
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
                // To the order's estimate, where the job's line and its buttons are.
                href: format!("/console/orders/{}#estimate", j.order_id),
                cells: vec![
                    format!("#{}", j.order_id),
                    j.plate.clone().unwrap_or_default(),
                    j.current_stage
                        .as_deref()
                        .map(|c| stage_label(lang, c))
                        .unwrap_or_default(),
                    format!("{} · {}", j.line_no, names.get(&j.code).unwrap_or(&j.code)),
                    // `1.5 工时` / `1.5 h`: the unit in the page's language.
                    crate::i18n::tables().fill(
                        lang,
                        "svc.qty_hours",
                        &[("n", &page::trim_number(j.hundredths as f64 / 100.0))],
                    ),
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
        sort: lq.headers(
            [
                ("svc.order", Some("order")),
                ("field.plate", Some("plate")),
                ("svc.stage", Some("stage")),
                ("svc.item", None),
                ("svc.hours_qty", None),
                ("svc.decision", None),
                ("svc.work", Some("work")),
            ]
            .iter()
            .map(|(k, key)| (t(lang, k), *key))
            .collect(),
        ),
        pager: Some(pager),
        rows,
        chart: None,
    };
    render(&page, StatusCode::OK)
}

async fn order(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
    headers: axum::http::HeaderMap,
) -> Response {
    let link = q
        .get("link")
        .map(|token| (token.as_str(), origin(&headers)));
    order_page(&s, &user, id, None, link, StatusCode::OK).await
}

/// `scheme://host` of the request, to make the owner link whole for the QR code and
/// the copy field (the owner opens it on another device).
fn origin(headers: &axum::http::HeaderMap) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let https = headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes() == b"https");
    format!("{}://{host}", if https { "https" } else { "http" })
}

/// Where on the order page a form came from (`#stage-repair`, `#estimate`…), so the
/// redirect after it returns there; only a plain fragment is taken.
fn anchor(form: &FormData) -> String {
    let a = form.get("anchor");
    if !a.is_empty()
        && a.len() <= 40
        && a.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        format!("#{a}")
    } else {
        String::new()
    }
}

/// After a change: back to the order where the form was (303) with a toast, or the
/// order with the error (4xx).
pub(crate) async fn outcome(
    s: &AppState,
    user: &ConsoleUser,
    id: i64,
    r: Result<(), AppError>,
    form: &FormData,
) -> Response {
    match r {
        Ok(()) => toast::redirect(
            &format!("/console/orders/{id}{}", anchor(form)),
            "toast.saved",
        ),
        Err(e) => {
            let (msg, status) = page_error(user.lang, &e);
            order_page(s, user, id, Some(msg), None, status).await
        }
    }
}

/// The no-JavaScript half of the confirm dialog: a page asking `question` with the
/// form's fields to send again, confirmed.
pub(crate) fn confirm_page(user: &ConsoleUser, form: &FormData, question: &str) -> Response {
    let lang = user.lang;
    let action = user.path.clone();
    let page = ConfirmPage {
        chrome: user.chrome("board"),
        title: t(lang, "confirm.title"),
        question: t(lang, question),
        action: action.clone(),
        back: action
            .rsplit_once("/lines/")
            .map(|(o, _)| o.to_string())
            .or_else(|| action.rsplit_once('/').map(|(o, _)| o.to_string()))
            .unwrap_or_else(|| "/console".into()),
        fields: form
            .0
            .iter()
            .filter(|(k, _)| k != "confirmed" && k != crate::idempotency::FORM_FIELD)
            .cloned()
            .collect(),
    };
    render(&page, StatusCode::OK)
}

/// A confirmation page for an irreversible step (no-JS fallback of the dialog).
#[derive(askama::Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    chrome: crate::console::Chrome,
    title: String,
    question: String,
    action: String,
    back: String,
    fields: Vec<(String, String)>,
}

/// Ticks the checkpoints of the current stage sent together (one form): each ticked
/// `code` with its `note.{code}`; stops at the first refusal (those before it stay).
async fn checks(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let codes: Vec<&str> = form
        .0
        .iter()
        .filter(|(k, v)| k == "code" && !v.trim().is_empty())
        .map(|(_, v)| v.trim())
        .collect();
    let r = match workshop_grant(&user) {
        Ok(_) if codes.is_empty() => Err(AppError::Invalid(
            domain::Violation::new("code", "required").into(),
        )),
        Ok(g) => {
            let mut r = Ok(());
            for code in codes {
                let note = form.get(&format!("note.{code}")).trim();
                r = app::repair_order::check(
                    &s.app,
                    &g,
                    id,
                    code,
                    (!note.is_empty()).then_some(note),
                )
                .await;
                if r.is_err() {
                    break;
                }
            }
            r
        }
        Err(e) => Err(e),
    };
    outcome(&s, &user, id, r, &form).await
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
    outcome(&s, &user, id, r, &form).await
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
    // Handing the car back is irreversible: ask first (the dialog, else this page).
    if form.get("stage") == "delivery"
        && form.get("op") == "complete"
        && form.get("confirmed") != "1"
    {
        return confirm_page(&user, &form, "svc.confirm_deliver");
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
    outcome(&s, &user, id, r, &form).await
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
    // Ticked boxes (one `codes` each) or one comma-separated `codes` (older forms).
    let codes: Vec<&str> = form
        .0
        .iter()
        .filter(|(k, _)| k == "codes")
        .flat_map(|(_, v)| v.split([',', ' ', '，']))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    let r = match grant(&user, Action::RepairOrderWrite) {
        Ok(g) => app::repair_order::set_applicable(&s.app, &g, id, &codes).await,
        Err(e) => Err(e),
    };
    outcome(&s, &user, id, r, &form).await
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
    outcome(&s, &user, id, r, &form).await
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
    outcome(&s, &user, id, r, &form).await
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
        return toast::redirect("/console/jobs", "toast.saved");
    }
    outcome(&s, &user, id, r, &form).await
}

/// Issues the owner link (sent to the owner through the outbox) and shows it on the
/// order page (post–redirect–get; the page checks the token is the live one). A live
/// link is replaced only when confirmed.
async fn link(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    if form.get("live") == "1" && form.get("confirmed") != "1" {
        return confirm_page(&user, &form, "svc.confirm_replace_link");
    }
    match grant(&user, Action::RepairOrderWrite) {
        Ok(g) => match app::repair_order::issue_owner_link(&s.app, &g, id).await {
            Ok(token) => toast::redirect(
                &format!("/console/orders/{id}?link={token}#owner-link-card"),
                "toast.link_sent",
            ),
            Err(e) => outcome(&s, &user, id, Err(e), &form).await,
        },
        Err(e) => outcome(&s, &user, id, Err(e), &form).await,
    }
}
