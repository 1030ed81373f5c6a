//! The order page: a header naming the car, owner, advisor and promised time; the
//! current stage open with its checkpoints ticked in one form and the other stages
//! folded to a one-line summary; the estimate beside (wide screens) or below, with
//! only qualified technicians to assign; the owner link with its QR code; the
//! timeline with people by name.
//!
//! One concept at about 610 lines: the view model of one page and the function that fills it;
//! its parts (stages, estimate, owner link) are already rendered by their own modules.

use crate::AppState;
use crate::console::chrome::{Chrome, show_time};
use crate::console::form::{error_page, render, t};
use crate::console::session::ConsoleUser;
use crate::console::session::grant;
use crate::console::timeline::{self, EventView};
use crate::i18n::{Lang, tables, yuan};
use app::repair_order::header::{OrderHeader, is_system};
use app::repair_order::view::{self, OrderDetail};
use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use domain::certification::CertificationError;
use domain::permission::Action;

struct StageRow {
    code: String,
    label: String,
    status: String,
    status_label: String,
    /// One line for the folded stage: timing, checkpoints ticked, overrun.
    summary: String,
    overrun: bool,
    /// Open unfolded: the stage in progress (or the next one to start).
    open: bool,
    can_start: bool,
    checkpoints: Vec<CpRow>,
    /// Checkpoints that apply only when chosen (quality inspection).
    optional: Vec<(String, String)>,
    /// Whether any checkpoint is still to tick (the form's button shows only then).
    unticked: bool,
}

struct CpRow {
    code: String,
    label: String,
    required: bool,
    checked: bool,
    note: String,
}

/// One technician in a line's assignment list.
struct TechOpt {
    id: i64,
    label: String,
    /// Greyed: why they may not do this work.
    off: bool,
    selected: bool,
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
    techs: Vec<TechOpt>,
}

/// The order page.
#[derive(Template)]
#[template(path = "repair_order.html")]
struct OrderPage {
    chrome: Chrome,
    title: String,
    error: Option<String>,
    base: String,
    id: i64,
    /// Header: plate, model, owner, advisor, promised time, state.
    plate: String,
    model: String,
    owner: String,
    advisor: String,
    state_label: String,
    state_class: String,
    facts: Vec<(String, String)>,
    /// The live owner link just issued, its QR code (SVG) and how it was sent.
    link: Option<String>,
    link_qr: String,
    link_sent_by: String,
    link_active: bool,
    can_write: bool,
    can_check: bool,
    can_work: bool,
    can_classify: bool,
    guarantee_alerts: Vec<String>,
    /// The courtesy-car duty (三包 Art 21) for the header, "since …", when it runs.
    courtesy_car_due: Option<String>,
    /// The three-guarantees section with its forms (HTML from `console::guarantee`).
    guarantee_section: String,
    pickups: Vec<(String, String, String, String)>,
    vehicle_href: String,
    concern_code: String,
    safety_fault: bool,
    stages: Vec<StageRow>,
    lines: Vec<LineRow>,
    totals: String,
    operations: Vec<(String, String)>,
    timeline: Vec<(String, String, String, String)>,
}

pub(crate) async fn order_page(
    s: &AppState,
    user: &ConsoleUser,
    id: i64,
    error: Option<String>,
    link: Option<(&str, String)>,
    status: StatusCode,
) -> Response {
    order_page_full(s, user, id, error, link, status, None).await
}

/// The order page after a refused three-guarantees form: its errors beside its fields.
pub(crate) async fn order_page_with(
    s: &AppState,
    user: &ConsoleUser,
    id: i64,
    error: Option<String>,
    status: StatusCode,
    failed: Option<crate::console::guarantee::order::Failed>,
) -> Response {
    order_page_full(s, user, id, error, None, status, failed).await
}

async fn order_page_full(
    s: &AppState,
    user: &ConsoleUser,
    id: i64,
    error: Option<String>,
    link: Option<(&str, String)>,
    status: StatusCode,
    failed: Option<crate::console::guarantee::order::Failed>,
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
    let h = app::repair_order::header::header(&s.app, &g, &d.order, &d.timeline)
        .await
        .unwrap_or_default();
    // The advisor is told at the order what the owner may be entitled to under the
    // three-guarantees rules, before the car is handed back again.
    let gt = crate::console::guarantee::order::order_gt(s, user, &chrome, &g, id, failed).await;
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
    let assignable = if can_write {
        app::repair_order::assignable(&s.app, &g, id)
            .await
            .unwrap_or_default()
    } else {
        vec![]
    };
    let link = match link {
        Some((token, origin)) if can_write => {
            match app::repair_order::owner_link_is_live(&s.app, &g, id, token).await {
                Ok(true) => Some(format!("{origin}/owner/track/{token}")),
                _ => None,
            }
        }
        _ => None,
    };
    let stages = stage_rows(lang, &d);
    let lines = d
        .lines
        .iter()
        .map(|l| line_row(lang, l, &ops, &h, &assignable))
        .collect();
    let o = &d.order;
    let (state_label, state_class) = if o.delivered_at.is_some() {
        (t(lang, "svc.state.delivered"), "done")
    } else if o.late_minutes.is_some() || d.stages.iter().any(|s| s.overrun) {
        (
            format!(
                "{} · {}",
                o.current_stage
                    .as_deref()
                    .map(|c| stage_label(lang, c))
                    .unwrap_or_default(),
                t(lang, "svc.overrun")
            ),
            "overrun",
        )
    } else {
        (
            o.current_stage
                .as_deref()
                .map(|c| stage_label(lang, c))
                .unwrap_or_else(|| t(lang, "svc.state.open")),
            "",
        )
    };
    let station = if lang == Lang::En {
        h.station_en.clone()
    } else {
        h.station_zh.clone()
    };
    let mut facts = vec![
        (
            t(lang, "svc.promised"),
            o.promised_at
                .map(show_time)
                .unwrap_or_else(|| t(lang, "svc.not_yet")),
        ),
        (t(lang, "svc.eta"), d.eta.map(show_time).unwrap_or_default()),
        (t(lang, "svc.received"), show_time(o.received_at)),
        (t(lang, "field.station_id"), station),
        (
            t(lang, "svc.service_type"),
            t(lang, &format!("svc.type.{}", o.service_type)),
        ),
        (t(lang, "svc.concern"), o.concern.clone()),
    ];
    if let Some(code) = &o.concern_code {
        facts.push((t(lang, "svc.concern_code"), code.clone()));
    }
    if o.safety_fault {
        facts.push((t(lang, "svc.safety_fault"), t(lang, "yes")));
    }
    if let Some(m) = o.late_minutes {
        facts.push((t(lang, "svc.late"), minutes(lang, m)));
    }
    if o.courtesy_car {
        facts.push((t(lang, "svc.courtesy_car"), t(lang, "yes")));
    }
    if let Some(c) = o.comeback_of {
        facts.push((
            t(lang, "svc.comeback_of"),
            format!("{} #{c}", t(lang, "svc.order")),
        ));
    }
    let totals = tables().fill(
        lang,
        "svc.totals",
        &[
            ("quoted", &yuan(d.quoted.gross.fen())),
            ("approved", &yuan(d.approved.gross.fen())),
        ],
    );
    // Checkpoint codes and operation codes in events are shown by their labels.
    let mut labels: std::collections::HashMap<String, String> = ops.iter().cloned().collect();
    for st in &d.stages {
        for c in &st.checkpoints {
            let label = if lang == Lang::En {
                c.label_en.clone()
            } else {
                c.label_zh.clone()
            };
            labels.insert(c.code.clone(), label);
        }
    }
    let timeline = d
        .timeline
        .iter()
        .rev()
        .map(|e| {
            let data = named_data(lang, &e.data, &h, &labels);
            let ev = EventView {
                data: &data,
                ..EventView::from(e)
            };
            let mut row = timeline::row(lang, "svc.event", &ev);
            row.1 = who(lang, &e.actor_role, e.actor_id, &h);
            row
        })
        .collect();
    let plate = h.plate.clone().unwrap_or_else(|| h.vin.clone());
    let link_qr = link.as_deref().map(qr_svg).unwrap_or_default();
    let page = OrderPage {
        chrome: chrome
            .crumb("/console/board", t(lang, "svc.board"))
            .crumb(format!("/console/orders/{id}"), plate.clone()),
        title: format!("{plate} · {} #{id}", t(lang, "svc.order")),
        error,
        base: format!("/console/orders/{id}"),
        id,
        plate,
        model: h.model.clone(),
        owner: [h.customer_name.as_str(), h.customer_phone.as_str()]
            .iter()
            .filter(|x| !x.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" · "),
        advisor: h.advisor.clone().unwrap_or_default(),
        state_label,
        state_class: state_class.into(),
        facts,
        link_sent_by: t(
            lang,
            &format!(
                "svc.channel.{}",
                app::repair_order::owner_link_channel(&h.customer_channel)
            ),
        ),
        link,
        link_qr,
        link_active: o.owner_link_active,
        can_write,
        can_check: can_work,
        can_work,
        can_classify: can_work && o.delivered_at.is_none(),
        guarantee_alerts: gt.alerts,
        courtesy_car_due: gt.courtesy_car,
        guarantee_section: gt.html,
        pickups,
        vehicle_href: format!("/console/vehicles/{}", o.vehicle_id),
        concern_code: o.concern_code.clone().unwrap_or_default(),
        safety_fault: o.safety_fault,
        stages,
        lines,
        totals,
        operations: ops,
        timeline,
    };
    render(&page, status)
}

fn stage_rows(lang: Lang, d: &OrderDetail) -> Vec<StageRow> {
    let running = d.stages.iter().any(|s| s.status == "in_progress");
    let next = (!running)
        .then(|| d.stages.iter().find(|s| s.status == "pending"))
        .flatten()
        .map(|s| s.stage.clone());
    d.stages
        .iter()
        .map(|st| {
            let ticked = st.checkpoints.iter().filter(|c| c.checked).count();
            let mut summary = vec![];
            if let (Some(e), Some(s)) = (st.elapsed_minutes, st.standard_minutes) {
                summary.push(format!("{} / {}", minutes(lang, e), minutes(lang, s)));
            }
            if !st.checkpoints.is_empty() {
                summary.push(tables().fill(
                    lang,
                    "svc.ticked_of",
                    &[
                        ("done", &ticked.to_string()),
                        ("all", &st.checkpoints.len().to_string()),
                    ],
                ));
            }
            if st.overrun {
                summary.push(t(lang, "svc.overrun"));
            }
            let label_of = |c: &app::repair_order::view::CheckpointView| {
                if lang == Lang::En {
                    c.label_en.clone()
                } else {
                    c.label_zh.clone()
                }
            };
            StageRow {
                code: st.stage.clone(),
                label: stage_label(lang, &st.stage),
                status: st.status.clone(),
                status_label: t(lang, &format!("svc.status.{}", st.status)),
                summary: summary.join(" · "),
                overrun: st.overrun,
                open: st.status == "in_progress" || next.as_deref() == Some(st.stage.as_str()),
                can_start: next.as_deref() == Some(st.stage.as_str()) && st.stage != "follow_up",
                unticked: ticked < st.checkpoints.len(),
                optional: st
                    .checkpoints
                    .iter()
                    .filter(|c| !c.required && !c.checked)
                    .map(|c| (c.code.clone(), label_of(c)))
                    .collect(),
                checkpoints: st
                    .checkpoints
                    .iter()
                    .map(|c| CpRow {
                        code: c.code.clone(),
                        label: label_of(c),
                        required: c.required,
                        checked: c.checked,
                        note: c.note.clone().unwrap_or_default(),
                    })
                    .collect(),
            }
        })
        .collect()
}

fn line_row(
    lang: Lang,
    l: &app::estimate::EstimateLineRow,
    ops: &[(String, String)],
    h: &OrderHeader,
    assignable: &[(u32, Vec<app::repair_order::TechnicianChoice>)],
) -> LineRow {
    let labour = l.kind == "labour";
    let mut line_ops = vec![];
    if l.decision == "approved" && !l.done {
        if labour {
            match l.work.as_str() {
                "not_started" => line_ops.push(("start".into(), t(lang, "svc.start_work"))),
                "in_progress" => line_ops.push(("finish".into(), t(lang, "svc.finish_work"))),
                _ => {}
            }
        } else {
            line_ops.push(("fit".into(), t(lang, "svc.fit_part")));
        }
    }
    let qty = l.hundredths as f64 / 100.0;
    let techs = assignable
        .iter()
        .find(|(no, _)| i64::from(*no) == l.line_no)
        .map(|(_, list)| {
            list.iter()
                .map(|c| TechOpt {
                    id: c.id,
                    label: match &c.missing {
                        None => format!("{} ({})", c.name, c.username),
                        Some(m) => format!("{} ({}) — {}", c.name, c.username, missing(lang, m)),
                    },
                    off: c.missing.is_some(),
                    selected: l.technician_id == Some(c.id),
                })
                .collect()
        })
        .unwrap_or_default();
    LineRow {
        no: l.line_no,
        item: if labour {
            let name = ops
                .iter()
                .find(|o| o.0 == l.code)
                .map(|o| o.1.clone())
                .unwrap_or_default();
            if name.is_empty() {
                l.code.clone()
            } else {
                format!("{name} · {}", l.code)
            }
        } else {
            format!("{} · {}", t(lang, "svc.part"), l.code)
        },
        qty: if labour {
            tables().fill(lang, "svc.qty_hours", &[("n", &format!("{qty:.2}"))])
        } else {
            tables().fill(lang, "svc.qty_pieces", &[("n", &trim_number(qty))])
        },
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
            .and_then(|id| h.staff(id).map(str::to_string))
            .unwrap_or_default(),
        extra: l.extra,
        proposed: l.decision == "proposed",
        approved: l.decision == "approved",
        labour,
        ops: line_ops,
        techs,
    }
}

/// What a technician lacks for a line, in words.
fn missing(lang: Lang, m: &CertificationError) -> String {
    let v = domain::Violation::from(m.clone());
    tables().violation(lang, &v)
}

/// Who did it: the person's name with their role, or the role alone for the system
/// and outside providers (never "#0").
fn who(lang: Lang, role: &str, id: i64, h: &OrderHeader) -> String {
    let role_label = t(lang, &format!("role.{role}"));
    match h.person(role, id) {
        Some(name) if !is_system(role) => format!("{name} · {role_label}"),
        _ => role_label,
    }
}

/// An event's data with ids replaced by names (staff, vehicle, station, orders).
fn named_data(
    lang: Lang,
    data: &serde_json::Value,
    h: &OrderHeader,
    labels: &std::collections::HashMap<String, String>,
) -> serde_json::Value {
    use serde_json::Value;
    let Value::Object(map) = data else {
        return data.clone();
    };
    let mut out = serde_json::Map::new();
    for (k, v) in map {
        // Flags that are off say nothing worth a reader's time.
        if v == &Value::Bool(false) {
            continue;
        }
        if k == "hundredths"
            && let Some(n) = v.as_i64()
        {
            out.insert(
                "quantity".into(),
                Value::String(trim_number(n as f64 / 100.0)),
            );
            continue;
        }
        if let Some(label) = v.as_str().and_then(|c| labels.get(c)) {
            out.insert(k.clone(), Value::String(label.clone()));
            continue;
        }
        let named = match (k.as_str(), v.as_i64()) {
            ("staff_id" | "technician_id", Some(id)) => h.staff(id).map(str::to_string),
            ("vehicle_id", Some(_)) => h.plate.clone().or_else(|| Some(h.vin.clone())),
            ("station_id", Some(_)) => Some(if lang == Lang::En {
                h.station_en.clone()
            } else {
                h.station_zh.clone()
            }),
            ("appointment_id" | "open_order" | "original" | "comeback_of", Some(id)) => {
                Some(format!("#{id}"))
            }
            ("line", Some(no)) => Some(format!("{} {no}", t(lang, "svc.line"))),
            _ => None,
        };
        out.insert(
            k.clone(),
            named.map(Value::String).unwrap_or_else(|| v.clone()),
        );
    }
    Value::Object(out)
}

/// `90 min` as `1 h 30 min` in the page's language.
fn minutes(lang: Lang, m: i64) -> String {
    super::super::chrome::duration_text(lang, m)
}

/// A quantity without trailing zeros: 2, 1.5, 0.25.
pub(super) fn trim_number(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The QR code of an owner link, as inline SVG (no script, no image request).
fn qr_svg(url: &str) -> String {
    match qrcode::QrCode::new(url.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(140, 140)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}

/// The label of a stage code in `lang`.
pub(crate) fn stage_label(lang: Lang, code: &str) -> String {
    t(lang, &format!("svc.stage.{code}"))
}
