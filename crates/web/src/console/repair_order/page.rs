//! The order page: stages with checkpoints and timings, concern, the estimate with the
//! owner's decisions, assignment, pick-ups, three-guarantees warnings and the timeline.

use crate::AppState;
use crate::console::chrome::{Chrome, show_time};
use crate::console::form::{error_page, render, t};
use crate::console::session::ConsoleUser;
use crate::console::session::grant;
use crate::console::timeline::{self, EventView};
use crate::i18n::{Lang, tables, yuan};
use app::repair_order::view::{self, OrderDetail};
use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use domain::permission::Action;

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
#[template(path = "repair_order.html")]
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

pub(crate) async fn order_page(
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
    let guarantee_alerts = match app::guarantee::for_order(&s.app, &g, id).await {
        Ok(tg) => crate::console::vehicle::three_guarantees_alerts(lang, &tg),
        Err(e) => {
            tracing::warn!(error = %e, "order page: no three-guarantees counters");
            vec![]
        }
    };
    let pickups = match grant(user, app::pickup::READ) {
        Ok(pg) => crate::console::pickup::of_order_rows(s, &pg, lang, id).await,
        Err(_) => vec![],
    };
    let p = &user.session.principal;
    let can_write = p.grant(Action::RepairOrderWrite).is_ok();
    let can_work = can_write || p.grant(Action::WorkshopWork).is_ok();
    let ops = match grant(user, Action::NetworkRead) {
        Ok(g) => app::labour::operations(&s.app, &g)
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
    let techs = crate::console::people::choices(s, d.order.station_id, Some("technician")).await;
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

/// The label of a stage code in `lang`.
pub(crate) fn stage_label(lang: Lang, code: &str) -> String {
    t(lang, &format!("svc.stage.{code}"))
}
