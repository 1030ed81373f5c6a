//! Service-loop pages: today's appointments, the board of open orders by stage, order
//! detail (checkpoints, estimate with approvals at the desk, assignment, stages,
//! timeline), my jobs, and KPIs per station and month with a server-rendered chart.

use super::chrome::{Chrome, show_time};
use super::form::{FormData, FormPage, answer, error_page, grant, render, t};
use super::session::ConsoleUser;
use super::timeline::{self, EventView};
use crate::AppState;
use crate::api::service::view::{self, OrderDetail};
use crate::api::service::{check_assigned, parse_month, this_month};
use crate::error::page_error;
use crate::i18n::{Lang, tables, yuan};
use app::AppError;
use app::service::estimate::{DecisionInput, LineInput};
use app::service::repair_order::OpenInput;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::appointment::ServiceType;
use domain::permission::{Action, Grant};
use domain::repair_order::Stage;
use std::collections::HashMap;

/// Routes of the service-loop pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/appointments", get(appointments))
        .route("/console/appointments/{id}/open", post(open_order))
        .route("/console/appointments/{id}/cancel", post(cancel))
        .route("/console/appointments/{id}/no-show", post(no_show))
        .route("/console/board", get(board))
        .route("/console/jobs", get(jobs))
        .route("/console/kpis", get(kpis))
        .route("/console/orders/new", get(walk_in_form).post(walk_in))
        .route("/console/orders/{id}", get(order))
        .route("/console/orders/{id}/check", post(check))
        .route("/console/orders/{id}/stage", post(stage))
        .route("/console/orders/{id}/applicable", post(applicable))
        .route("/console/orders/{id}/concern", post(classify))
        .route("/console/orders/{id}/lines", post(add_line))
        .route("/console/orders/{id}/lines/{no}/decide", post(decide))
        .route("/console/orders/{id}/lines/{no}/assign", post(assign))
        .route("/console/orders/{id}/lines/{no}/work", post(work))
        .route("/console/orders/{id}/link", post(link))
}

/// A button posting a small form.
#[derive(Debug, Clone)]
pub struct Button {
    /// Target.
    pub action: String,
    /// Text.
    pub label: String,
    /// Hidden fields.
    pub hidden: Vec<(String, String)>,
    /// Whether it asks for a reason.
    pub reason: bool,
}

/// A row of a service table.
#[derive(Debug, Clone)]
pub struct TRow {
    /// Record id.
    pub id: i64,
    /// Link of the first cell ("" for none).
    pub href: String,
    /// Cells.
    pub cells: Vec<String>,
    /// Highlighted (an overrun).
    pub alert: bool,
    /// Buttons.
    pub buttons: Vec<Button>,
}

/// A filter form: (name, label, value).
#[derive(Debug, Clone)]
pub struct Filter {
    /// Inputs.
    pub fields: Vec<(String, String, String)>,
}

/// A table page of the service loop.
#[derive(Template)]
#[template(path = "service_table.html")]
pub struct TablePage {
    /// Frame.
    pub chrome: Chrome,
    /// Heading.
    pub title: String,
    /// Success message.
    pub notice: Option<String>,
    /// Error message.
    pub error: Option<String>,
    /// Filter form.
    pub filter: Option<Filter>,
    /// A link to create something here: (href, label).
    pub new_link: Option<(String, String)>,
    /// Column headings.
    pub headers: Vec<String>,
    /// Rows.
    pub rows: Vec<TRow>,
    /// An SVG chart.
    pub chart: Option<String>,
}

/// The grant for work at the bench: the advisor's order rights, else the
/// technician's workshop rights.
fn workshop_grant(user: &ConsoleUser) -> Result<Grant, AppError> {
    grant(user, Action::RepairOrderWrite).or_else(|_| grant(user, Action::WorkshopWork))
}

fn station_param(user: &ConsoleUser, q: &HashMap<String, String>) -> Option<i64> {
    q.get("station")
        .and_then(|s| s.trim().parse().ok())
        .or_else(|| view::station_of(&user.session.principal))
}

fn stage_label(lang: Lang, code: &str) -> String {
    t(lang, &format!("svc.stage.{code}"))
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
    let (date, from, to) = match crate::api::service::day_range(&s.app, station, day, lang).await {
        Ok(r) => r,
        Err(e) => match e.problem {
            crate::error::Problem::App(e) => return error_page(chrome, &e),
            _ => return error_page(chrome, &AppError::NotFound),
        },
    };
    let list = match app::service::appointment::list(&s.app, &g, station, from, to).await {
        Ok(l) => l,
        Err(e) => return error_page(chrome, &e),
    };
    let can_book = grant(&user, Action::AppointmentBook).is_ok();
    let can_open = grant(&user, Action::RepairOrderWrite).is_ok();
    let can_pickup = grant(&user, app::payment::WRITE).is_ok();
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

fn station_needed(chrome: Chrome, title_key: &str, _href: &str) -> Response {
    let lang = chrome.lang;
    let page = TablePage {
        title: t(lang, title_key),
        notice: None,
        error: None,
        filter: Some(Filter {
            fields: vec![("station".into(), t(lang, "field.station_id"), String::new())],
        }),
        new_link: None,
        headers: vec![],
        rows: vec![],
        chart: None,
        chrome,
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
            app::service::repair_order::open_from_appointment(&s.app, &g, id, &OpenInput::default())
                .await
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
        Ok(g) => app::service::appointment::cancel(&s.app, &g, id, form.get("reason")).await,
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
        Ok(g) => app::service::appointment::no_show(&s.app, &g, id).await,
        Err(e) => Err(e),
    };
    back_to_appointments(r.err().map(|e| (user.lang, e)))
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

/// A bar chart of the three rates (0–100 %), server-rendered SVG.
pub fn kpi_chart(bars: &[(String, Option<f64>)]) -> String {
    let w = 120 * bars.len() as i64 + 40;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="240" viewBox="0 0 {w} 240" role="img" id="kpi-chart">"#
    );
    svg.push_str(r##"<line x1="30" y1="200" x2="100%" y2="200" stroke="#999"/>"##);
    for (i, (label, pct)) in bars.iter().enumerate() {
        let x = 40 + 120 * i as i64;
        let v = pct.unwrap_or(0.0).clamp(0.0, 100.0);
        let h = (v * 1.6).round() as i64;
        let text = pct
            .map(|p| format!("{p:.1}%"))
            .unwrap_or_else(|| "–".into());
        svg.push_str(&format!(
            r##"<rect x="{x}" y="{}" width="60" height="{h}" fill="#1677ff"/><text x="{}" y="{}" font-size="13" text-anchor="middle">{}</text><text x="{}" y="220" font-size="12" text-anchor="middle">{}</text>"##,
            200 - h,
            x + 30,
            195 - h,
            text,
            x + 30,
            askama_escape(label),
        ));
    }
    svg.push_str("</svg>");
    svg
}

fn askama_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn kpis(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let chrome = user.chrome("kpis");
    let lang = user.lang;
    let g = match grant(&user, Action::KpiRead) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let Some(station) = station_param(&user, &q) else {
        return station_needed(chrome, "svc.kpis", "/console/kpis");
    };
    let month = match q.get("month").map(|m| m.trim()).filter(|m| !m.is_empty()) {
        Some(m) => match parse_month(m, lang) {
            Ok(m) => m,
            Err(_) => {
                return error_page(
                    chrome,
                    &AppError::Invalid(domain::Violation::new("month", "date.format").into()),
                );
            }
        },
        None => match this_month(&s.app, station).await {
            Ok(m) => m,
            Err(e) => return error_page(chrome, &e),
        },
    };
    let k = match app::service::repair_order::station_kpis(&s.app, &g, station, month).await {
        Ok(k) => k,
        Err(e) => return error_page(chrome, &e),
    };
    let rate = |r: &domain::kpi::Rate| {
        r.percent()
            .map(|p| format!("{p:.1}% ({}/{})", r.numerator, r.denominator))
            .unwrap_or_else(|| "–".into())
    };
    let rows = vec![TRow {
        id: station,
        href: String::new(),
        cells: vec![
            station.to_string(),
            month.to_string(),
            k.delivered.to_string(),
            rate(&k.first_time_fix),
            k.mean_repair_minutes
                .map(|m| format!("{m} min"))
                .unwrap_or_else(|| "–".into()),
            rate(&k.on_time_delivery),
        ],
        alert: false,
        buttons: vec![],
    }];
    let chart = kpi_chart(&[
        (t(lang, "svc.kpi.ffv"), k.first_time_fix.percent()),
        (t(lang, "svc.kpi.on_time"), k.on_time_delivery.percent()),
    ]);
    let page = TablePage {
        chrome: chrome.crumb("/console/kpis", t(lang, "svc.kpis")),
        title: t(lang, "svc.kpis"),
        notice: None,
        error: None,
        filter: Some(Filter {
            fields: vec![
                (
                    "station".into(),
                    t(lang, "field.station_id"),
                    station.to_string(),
                ),
                ("month".into(), t(lang, "svc.month"), month.to_string()),
            ],
        }),
        new_link: None,
        headers: [
            "field.station_id",
            "svc.month",
            "svc.kpi.delivered",
            "svc.kpi.ffv",
            "svc.kpi.mdt",
            "svc.kpi.on_time",
        ]
        .iter()
        .map(|k| t(lang, k))
        .collect(),
        rows,
        chart: Some(chart),
    };
    render(&page, StatusCode::OK)
}

// ----- order detail -----

struct StageRow {
    code: String,
    label: String,
    status: String,
    status_label: String,
    timing: Option<String>,
    overrun: bool,
    can_start: bool,
    checkpoints: Vec<CpRow>,
}

struct CpRow {
    code: String,
    label: String,
    required: bool,
    checked: bool,
    note: String,
}

struct LineRow {
    no: i64,
    item: String,
    qty: String,
    amount: String,
    decision: String,
    work: String,
    technician: String,
    extra: bool,
    proposed: bool,
    approved: bool,
    labour: bool,
    ops: Vec<(String, String)>,
}

/// The order page.
#[derive(Template)]
#[template(path = "service_order.html")]
struct OrderPage {
    chrome: Chrome,
    title: String,
    notice: Option<String>,
    error: Option<String>,
    base: String,
    facts: Vec<(String, String)>,
    link: Option<String>,
    can_write: bool,
    can_check: bool,
    can_work: bool,
    /// Whether the concern may be classified (code, serious safety fault) here.
    can_classify: bool,
    /// The vehicle's three-guarantees warnings and entitlements.
    guarantee_alerts: Vec<String>,
    /// Pick-ups of the car and its return: (link, kind, window, state).
    pickups: Vec<(String, String, String, String)>,
    vehicle_href: String,
    concern_code: String,
    safety_fault: bool,
    stages: Vec<StageRow>,
    lines: Vec<LineRow>,
    totals: String,
    technicians: Vec<(i64, String)>,
    operations: Vec<(String, String)>,
    timeline: Vec<(String, String, String, String)>,
}

async fn order_page(
    s: &AppState,
    user: &ConsoleUser,
    id: i64,
    notice: Option<String>,
    error: Option<String>,
    link: Option<String>,
    status: StatusCode,
) -> Response {
    let chrome = user.chrome("board");
    let lang = user.lang;
    let g = match grant(user, Action::RepairOrderRead) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let d: OrderDetail = match view::order_detail(&s.app, &g, id).await {
        Ok(d) => d,
        Err(e) => return error_page(chrome, &e),
    };
    // The advisor is told at the order what the owner may be entitled to under the
    // three-guarantees rules, before the car is handed back again.
    let guarantee_alerts = match app::service::guarantee::for_order(&s.app, &g, id).await {
        Ok(tg) => super::vehicles::three_guarantees_alerts(lang, &tg),
        Err(e) => {
            tracing::warn!(error = %e, "order page: no three-guarantees counters");
            vec![]
        }
    };
    let pickups = match grant(user, app::payment::READ) {
        Ok(pg) => super::pickups::of_order_rows(s, &pg, lang, id).await,
        Err(_) => vec![],
    };
    let p = &user.session.principal;
    let can_write = p.grant(Action::RepairOrderWrite).is_ok();
    let can_work = can_write || p.grant(Action::WorkshopWork).is_ok();
    let ops = match s.app.db.pool.acquire().await {
        Ok(mut c) => store::service::labour::list(&mut c)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|o| {
                let name = if lang == Lang::En {
                    o.name_en
                } else {
                    o.name_zh
                };
                (o.code, name)
            })
            .collect::<Vec<_>>(),
        Err(_) => vec![],
    };
    let techs = super::staff::choices(s, d.order.station_id, Some("technician")).await;
    let next = {
        let started: Vec<&str> = d
            .stages
            .iter()
            .filter(|s| s.status != "pending")
            .map(|s| s.stage.as_str())
            .collect();
        let running = d.stages.iter().any(|s| s.status == "in_progress");
        (!running)
            .then(|| {
                d.stages
                    .iter()
                    .find(|s| !started.contains(&s.stage.as_str()))
                    .map(|s| s.stage.clone())
            })
            .flatten()
    };
    let stages = d
        .stages
        .iter()
        .map(|st| StageRow {
            code: st.stage.clone(),
            label: stage_label(lang, &st.stage),
            status: st.status.clone(),
            status_label: t(lang, &format!("svc.status.{}", st.status)),
            timing: match (st.elapsed_minutes, st.standard_minutes) {
                (Some(e), Some(s)) => Some(format!(
                    "{e} / {s} min{}",
                    if st.overrun {
                        format!(" · {}", t(lang, "svc.overrun"))
                    } else {
                        String::new()
                    }
                )),
                _ => None,
            },
            overrun: st.overrun,
            can_start: next.as_deref() == Some(st.stage.as_str()) && st.stage != "follow_up",
            checkpoints: st
                .checkpoints
                .iter()
                .map(|c| CpRow {
                    code: c.code.clone(),
                    label: if lang == Lang::En {
                        c.label_en.clone()
                    } else {
                        c.label_zh.clone()
                    },
                    required: c.required,
                    checked: c.checked,
                    note: c.note.clone().unwrap_or_default(),
                })
                .collect(),
        })
        .collect();
    let lines = d
        .lines
        .iter()
        .map(|l| {
            let labour = l.kind == "labour";
            let mut line_ops = vec![];
            if l.decision == "approved" && !l.done {
                if labour {
                    match l.work.as_str() {
                        "not_started" => line_ops.push(("start".into(), t(lang, "svc.start_work"))),
                        "in_progress" => {
                            line_ops.push(("finish".into(), t(lang, "svc.finish_work")))
                        }
                        _ => {}
                    }
                } else {
                    line_ops.push(("fit".into(), t(lang, "svc.fit_part")));
                }
            }
            LineRow {
                no: l.line_no,
                item: if labour {
                    let name = ops
                        .iter()
                        .find(|o| o.0 == l.code)
                        .map(|o| o.1.clone())
                        .unwrap_or_default();
                    format!("{} {}", l.code, name)
                } else {
                    format!("{} · {}", t(lang, "svc.part"), l.code)
                },
                qty: format!("{:.2}", l.hundredths as f64 / 100.0),
                amount: yuan(l.amount_fen),
                decision: {
                    let mut s = t(lang, &format!("svc.decision.{}", l.decision));
                    if let (Some(ch), Some(by)) = (&l.decision_channel, &l.decided_by) {
                        s = format!("{s} · {by} · {}", t(lang, &format!("svc.channel.{ch}")));
                    }
                    s
                },
                work: if labour {
                    t(lang, &format!("svc.work.{}", l.work))
                } else if l.done {
                    t(lang, "svc.fitted")
                } else {
                    String::new()
                },
                technician: l
                    .technician_id
                    .and_then(|id| techs.iter().find(|x| x.0 == id).map(|x| x.1.clone()))
                    .unwrap_or_default(),
                extra: l.extra,
                proposed: l.decision == "proposed",
                approved: l.decision == "approved",
                labour,
                ops: line_ops,
            }
        })
        .collect();
    let o = &d.order;
    let mut facts = vec![
        (t(lang, "svc.vehicle"), o.vehicle_id.to_string()),
        (t(lang, "field.station_id"), o.station_id.to_string()),
        (t(lang, "svc.concern"), o.concern.clone()),
        (
            t(lang, "svc.service_type"),
            t(lang, &format!("svc.type.{}", o.service_type)),
        ),
        (
            t(lang, "svc.concern_code"),
            o.concern_code.clone().unwrap_or_default(),
        ),
        (
            t(lang, "svc.safety_fault"),
            t(lang, if o.safety_fault { "yes" } else { "no" }),
        ),
        (
            t(lang, "svc.stage"),
            o.current_stage
                .as_deref()
                .map(|c| stage_label(lang, c))
                .unwrap_or_default(),
        ),
        (t(lang, "svc.received"), show_time(o.received_at)),
        (
            t(lang, "svc.promised"),
            o.promised_at.map(show_time).unwrap_or_default(),
        ),
        (t(lang, "svc.eta"), d.eta.map(show_time).unwrap_or_default()),
    ];
    if let Some(m) = o.late_minutes {
        facts.push((t(lang, "svc.late"), format!("{m} min")));
    }
    if o.courtesy_car {
        facts.push((t(lang, "svc.courtesy_car"), t(lang, "yes")));
    }
    if let Some(c) = o.comeback_of {
        facts.push((t(lang, "svc.comeback_of"), format!("#{c}")));
    }
    let totals = tables().fill(
        lang,
        "svc.totals",
        &[
            ("quoted", &yuan(d.quoted.gross.fen())),
            ("approved", &yuan(d.approved.gross.fen())),
        ],
    );
    let timeline = d
        .timeline
        .iter()
        .rev()
        .map(|e| timeline::row(lang, "svc.event", &EventView::from(e)))
        .collect();
    let board = t(lang, "svc.board");
    let page = OrderPage {
        chrome: chrome
            .crumb("/console/board", board)
            .crumb(format!("/console/orders/{id}"), format!("#{id}")),
        title: format!("{} #{id}", t(lang, "svc.order")),
        notice,
        error,
        base: format!("/console/orders/{id}"),
        facts,
        link,
        can_write,
        can_check: can_work,
        can_work,
        can_classify: can_work && o.delivered_at.is_none(),
        guarantee_alerts,
        pickups,
        vehicle_href: format!("/console/vehicles/{}", o.vehicle_id),
        concern_code: o.concern_code.clone().unwrap_or_default(),
        safety_fault: o.safety_fault,
        stages,
        lines,
        totals,
        technicians: techs,
        operations: ops,
        timeline,
    };
    render(&page, status)
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
                let input = app::service::repair_order::WalkInInput {
                    station_id,
                    vehicle_id: 0,
                    vin: Some(form.get("vin").to_string()),
                    concern: form.get("concern").to_string(),
                    concern_code: Some(form.get("concern_code").to_string()),
                    service_type: Some(form.get("service_type").to_string()),
                };
                app::service::repair_order::open_walk_in(&s.app, &g, &input).await
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
async fn outcome(s: &AppState, user: &ConsoleUser, id: i64, r: Result<(), AppError>) -> Response {
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
            app::service::repair_order::check(
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
                app::service::repair_order::complete_stage(&s.app, &g, id, st)
                    .await
                    .map(|_| ())
            } else {
                app::service::repair_order::start_stage(&s.app, &g, id, st).await
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
        Ok(g) => app::service::repair_order::set_applicable(&s.app, &g, id, &codes).await,
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
            let input = app::service::repair_order::ClassifyInput {
                concern_code: Some(form.get("concern_code").to_string()),
                safety_fault: form.get("safety_fault") == "1",
                reason: Some(form.get("reason").to_string()),
            };
            app::service::repair_order::classify_concern(&s.app, &g, id, &input).await
        }
        Err(e) => Err(e),
    };
    outcome(&s, &user, id, r).await
}

async fn add_line(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let price = form.get("unit_price_fen").trim();
    let r = match grant(&user, Action::RepairOrderWrite) {
        Ok(g) => {
            let input = LineInput {
                kind: form.get("kind").trim().to_string(),
                code: form.get("code").trim().to_string(),
                hundredths: None,
                unit_price_fen: price.parse().ok(),
            };
            if !price.is_empty() && input.unit_price_fen.is_none() {
                Err(AppError::Invalid(
                    domain::Violation::new("unit_price_fen", "type.integer").into(),
                ))
            } else {
                app::service::estimate::add_line(&s.app, &g, id, &input)
                    .await
                    .map(|_| ())
            }
        }
        Err(e) => Err(e),
    };
    outcome(&s, &user, id, r).await
}

async fn decide(
    State(s): State<AppState>,
    user: ConsoleUser,
    parts: Parts,
    Path((id, no)): Path<(i64, u32)>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let input = DecisionInput {
        by: form.get("by").trim().to_string(),
        channel: "desk_signature".into(),
        ip: crate::api::service::client_ip(&parts),
        signature_ref: Some(form.get("signature").trim().to_string()).filter(|s| !s.is_empty()),
        promised_at: None,
    };
    let r = match grant(&user, Action::RepairOrderWrite) {
        Ok(g) if form.get("decision") == "decline" => {
            app::service::estimate::decline(&s.app, &g, id, no, &input).await
        }
        Ok(g) => app::service::estimate::approve(&s.app, &g, id, no, &input).await,
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
        (Ok(g), Ok(tech)) => {
            app::service::repair_order::assign_technician(&s.app, &g, id, no, tech).await
        }
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
                    "start" => app::service::repair_order::start_work(&s.app, &g, id, no).await,
                    "finish" => app::service::repair_order::finish_work(&s.app, &g, id, no).await,
                    _ => app::service::repair_order::fit_part(&s.app, &g, id, no).await,
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
        Ok(g) => match app::service::repair_order::issue_owner_link(&s.app, &g, id).await {
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
