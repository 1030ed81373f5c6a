//! The three guarantees (三包) on staff pages: the vehicle page's section (windows,
//! counters, every right with its article, the date it arose and the orders that prove
//! it), the alerts on the order page (the courtesy-car duty, live from day 6), and the
//! printable dossier per vehicle (三包档案). The order page's forms are in [`order`], the
//! replacement and refund requests in [`request`], head office's policy page in
//! [`policy`], its main-part list in [`main_parts`] and the EV battery pages in
//! [`battery`].

pub mod battery;
pub mod main_parts;
pub mod order;
pub mod order_submit;
pub mod policy;
pub mod request;
mod request_timeline;

use super::chrome::{Chrome, show_time};
use super::form::{DetailPage, Section, error_page, render};
use super::session::ConsoleUser;
use crate::AppState;
use crate::i18n::Lang;
use app::guarantee::ThreeGuarantees;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use domain::guarantee::main_part::MainPartList;
use domain::permission::Action;

/// Routes of the guarantee pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/vehicles/{id}/dossier", get(dossier))
        .merge(order_submit::router())
        .merge(request::router())
        .merge(battery::router())
        .merge(policy::router())
        .merge(main_parts::router())
}

fn t(lang: Lang, key: &str) -> String {
    super::form::t(lang, key)
}

/// A main part's name in the page's language (the code when not listed).
pub(crate) fn main_part_name(lang: Lang, parts: &MainPartList, key: &str) -> String {
    let Some((system, code)) = key.split_once('/') else {
        return key.to_string();
    };
    let names = domain::guarantee::main_part::System::from_code(system).and_then(|s| {
        let part = parts.part(s, code).ok()?;
        parts.names(&part).cloned()
    });
    let part = match names {
        Some(n) if lang == Lang::En => n.en,
        Some(n) => n.zh,
        None => code.to_string(),
    };
    format!("{} · {part}", t(lang, &format!("gt2.system.{system}")))
}

/// What a right or warning is about, in words.
pub(crate) fn subject_label(lang: Lang, parts: &MainPartList, subject: &str) -> String {
    if let Some(p) = subject.strip_prefix("part:") {
        // An order not classified yet counts as a problem of its own (`order:<id>`):
        // named by its order, never by the key.
        if let Some(o) = p.strip_prefix("order:") {
            return format!("{} #{o}", t(lang, "gt2.subject.unclassified"));
        }
        return format!("{} {p}", t(lang, "gt2.subject.part"));
    }
    if let Some(s) = subject.strip_prefix("assembly:") {
        return format!(
            "{} {}",
            t(lang, "gt2.subject.assembly"),
            t(lang, &format!("gt2.system.{s}"))
        );
    }
    if let Some(p) = subject.strip_prefix("main_part:") {
        return format!(
            "{} {}",
            t(lang, "gt2.subject.main_part"),
            main_part_name(lang, parts, p)
        );
    }
    if let Some(o) = subject.strip_prefix("visit:") {
        return format!("{} #{o}", t(lang, "gt2.subject.visit"));
    }
    t(lang, &format!("gt2.subject.{subject}"))
}

/// An article cited, in words.
pub(crate) fn article(lang: Lang, cite: &str) -> String {
    t(lang, &format!("gt2.art.{cite}"))
}

fn evidence(ids: &[i64]) -> String {
    ids.iter()
        .map(|i| format!("#{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The vehicle page's links of this area: the dossier, the requests, the form filing a
/// request when a right to replacement or refund arose and the user may file, and for
/// an EV the battery-check form (`RepairOrderWrite`) and head office's fade promises.
pub(crate) fn vehicle_links(
    user: &ConsoleUser,
    id: i64,
    tg: &ThreeGuarantees,
) -> Vec<(String, String)> {
    let lang = user.lang;
    let may = |a: Action| user.session.principal.grant(a).is_ok();
    let can_file = may(Action::VehicleWrite);
    let mut links = vec![
        (
            format!("/console/vehicles/{id}/dossier"),
            t(lang, "gt2.dossier"),
        ),
        (
            "/console/three-guarantees/requests".to_string(),
            t(lang, "gt2.requests"),
        ),
    ];
    if can_file && tg.rights.iter().any(|r| r.kind == "replacement_or_refund") {
        links.push((
            format!("/console/vehicles/{id}/three-guarantees/requests/new"),
            t(lang, "gt3.file_request"),
        ));
    }
    if tg.battery.is_some() {
        if may(Action::RepairOrderWrite) {
            links.push((
                format!("/console/vehicles/{id}/three-guarantees/battery-checks/new"),
                t(lang, "gt4.record_check"),
            ));
        }
        if battery::may_set(user) {
            links.push((
                "/console/three-guarantees/fade-promises".to_string(),
                t(lang, "gt4.promises"),
            ));
        }
    }
    links
}

/// The vehicle page's sections: windows and counters, then every right.
pub(crate) fn vehicle_sections(
    lang: Lang,
    parts: &MainPartList,
    tg: &ThreeGuarantees,
) -> Vec<Section> {
    let c = &tg.counters;
    let p = &tg.policy;
    let cov = &tg.coverage;
    let mut rows = vec![
        vec![
            t(lang, "gt2.sanbao"),
            format!(
                "{} – {} / {} km",
                cov.start, cov.sanbao_until, cov.sanbao_km
            ),
            t(
                lang,
                if tg.within_sanbao {
                    "gt2.within"
                } else {
                    "gt2.ended"
                },
            ),
        ],
        vec![
            t(lang, "gt2.warranty"),
            format!(
                "{} – {} / {} km",
                cov.start, cov.warranty_until, cov.warranty_km
            ),
            t(
                lang,
                if tg.within_warranty {
                    "gt2.within"
                } else {
                    "gt2.ended"
                },
            ),
        ],
        vec![
            t(lang, "gt2.repair_days"),
            c.repair_days.to_string(),
            format!("> {}", p.cumulative_repair_days),
        ],
        vec![
            t(lang, "gt2.serious_safety"),
            c.serious_safety_repairs.to_string(),
            p.serious_safety_repairs.to_string(),
        ],
    ];
    if let Some(d) = c.current_repair_days {
        rows.push(vec![
            t(lang, "gt2.current_repair_days"),
            d.to_string(),
            format!("> {}", p.courtesy_car_days),
        ]);
    }
    rows.extend(c.same_problem.iter().map(|k| {
        vec![
            subject_label(lang, parts, &format!("part:{}", k.key)),
            k.count.to_string(),
            format!("> {}", p.same_problem_repairs),
        ]
    }));
    rows.extend(c.assemblies.iter().map(|k| {
        vec![
            subject_label(lang, parts, &format!("assembly:{}", k.key)),
            k.count.to_string(),
            p.replacements.to_string(),
        ]
    }));
    rows.extend(c.main_parts.iter().map(|k| {
        vec![
            subject_label(lang, parts, &format!("main_part:{}", k.key)),
            k.count.to_string(),
            p.replacements.to_string(),
        ]
    }));
    for w in &tg.warnings {
        rows.push(vec![
            format!(
                "{}: {}",
                t(lang, "gt2.warning"),
                subject_label(lang, parts, &w.subject)
            ),
            w.value.to_string(),
            format!("{} ({})", w.threshold, article(lang, &w.article)),
        ]);
    }
    let counters = Section {
        title: t(lang, "section.three_guarantees"),
        headers: vec![
            t(lang, "gt3.counter"),
            t(lang, "gt3.value"),
            t(lang, "gt3.threshold"),
        ],
        rows,
    };
    let mut out = vec![counters, rights_section(lang, parts, tg)];
    if let Some(b) = &tg.battery {
        out.push(battery_section(lang, b));
    }
    out
}

/// Tenths of a per cent as a per cent with one decimal (`705` → `70.5 %`).
pub(crate) fn permille(v: u16) -> String {
    format!("{}.{} %", v / 10, v % 10)
}

/// An EV's capacity-fade promise and its battery checks, each with its verdict.
fn battery_section(lang: Lang, b: &app::guarantee::battery::BatteryView) -> Section {
    let mut rows = vec![match (&b.promise, &b.promise_until) {
        (Some(p), until) => vec![
            t(lang, "gt4.promise_short"),
            format!(
                "≥ {} · {} {} / {} km{}",
                permille(p.min_share_permille),
                p.years,
                t(lang, "gt4.years"),
                p.km,
                until
                    .as_ref()
                    .map(|u| format!(" ({} {u})", t(lang, "gt4.until")))
                    .unwrap_or_default()
            ),
            String::new(),
        ],
        (None, _) => vec![
            t(lang, "gt4.promise_short"),
            t(lang, "gt4.no_promise"),
            String::new(),
        ],
    }];
    rows.extend(b.checks.iter().map(|c| {
        let mut verdict = t(lang, &format!("gt4.verdict.{}", c.verdict));
        if let Some(short) = c.short_by_permille {
            verdict = format!("{verdict} (−{})", permille(short));
        }
        // The promise the check is held to, when it is not the model's current one.
        if let Some(held) = c.promise_permille
            && b.promise
                .as_ref()
                .is_none_or(|p| p.min_share_permille != held)
        {
            verdict = format!(
                "{verdict} · {} ≥ {}",
                t(lang, "gt4.held_to"),
                permille(held)
            );
        }
        if b.first_broken == Some(c.id) {
            verdict = format!("{verdict} · {}", t(lang, "gt4.right_raised"));
        }
        vec![
            format!("{} · {} km", c.checked_on, c.odometer_km),
            permille(c.share_permille),
            verdict,
        ]
    }));
    Section {
        title: t(lang, "gt4.battery"),
        headers: vec![
            t(lang, "gt4.check"),
            t(lang, "gt4.soh"),
            t(lang, "gt4.verdict"),
        ],
        rows,
    }
}

/// A right's kind in words, with its assembly for a free assembly.
pub(crate) fn right_kind(lang: Lang, kind: &str, system: Option<&str>) -> String {
    let k = t(lang, &format!("gt2.kind.{kind}"));
    match system {
        Some(s) => format!("{k} ({})", t(lang, &format!("gt2.system.{s}"))),
        None => k,
    }
}

fn rights_section(lang: Lang, parts: &MainPartList, tg: &ThreeGuarantees) -> Section {
    Section {
        title: t(lang, "gt2.rights"),
        headers: vec![
            t(lang, "gt2.right"),
            t(lang, "gt2.article"),
            t(lang, "gt2.about"),
            t(lang, "gt2.arose_on"),
            t(lang, "gt2.evidence"),
        ],
        rows: tg
            .rights
            .iter()
            .map(|r| {
                vec![
                    right_kind(lang, &r.kind, r.system.as_deref()),
                    article(lang, &r.article),
                    subject_label(lang, parts, &r.subject),
                    r.arose_on.clone(),
                    match &r.fade {
                        Some(f) => fade_evidence(lang, f),
                        None => evidence(&r.evidence),
                    },
                ]
            })
            .collect(),
    }
}

/// The evidence of a broken fade promise in words: the check's day, measured against
/// promised (the promise's window is in the battery section).
pub(crate) fn fade_evidence(lang: Lang, f: &app::guarantee::view::FadeEvidence) -> String {
    format!(
        "{} {}: {} < {}",
        t(lang, "gt4.check"),
        f.checked_on,
        permille(f.measured_permille),
        permille(f.promised_permille),
    )
}

/// The order page's alerts: the courtesy-car duty of this order (live), the vehicle's
/// rights that give replacement or refund, and the warnings near a line.
pub(crate) fn order_alerts(
    lang: Lang,
    parts: &MainPartList,
    og: &app::guarantee::OrderGuarantee,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(since) = og.courtesy_car_since {
        out.push(format!(
            "{} ({} {})",
            t(lang, "gt3.courtesy_car_due"),
            t(lang, "gt2.since"),
            show_time(since)
        ));
    }
    for r in og
        .vehicle
        .rights
        .iter()
        .filter(|r| r.kind != "courtesy_car")
    {
        out.push(format!(
            "{}: {} · {} · {}",
            right_kind(lang, &r.kind, r.system.as_deref()),
            subject_label(lang, parts, &r.subject),
            article(lang, &r.article),
            r.arose_on
        ));
    }
    for w in &og.vehicle.warnings {
        out.push(format!(
            "{}: {} {} / {}",
            t(lang, "gt2.warning"),
            subject_label(lang, parts, &w.subject),
            w.value,
            w.threshold
        ));
    }
    out
}

async fn dossier(State(s): State<AppState>, user: ConsoleUser, Path(id): Path<String>) -> Response {
    let chrome: Chrome = user.chrome("vehicles");
    let lang = user.lang;
    let Ok(g) = user.session.principal.grant(Action::RepairOrderRead) else {
        return error_page(chrome, &app::AppError::Forbidden);
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(chrome, &app::AppError::NotFound);
    };
    let d = match app::guarantee::dossier::dossier(&s.app, &g, id).await {
        Ok(d) => d,
        Err(e) => return error_page(chrome, &e),
    };
    let parts = &app::guarantee::main_part::names(&s.app)
        .await
        .unwrap_or_default();
    let tg = &d.position;
    let mut facts = vec![
        (t(lang, "gt2.vin"), tg.vin.clone()),
        (t(lang, "gt2.model"), d.model.clone()),
        (t(lang, "gt2.plate"), d.plate.clone().unwrap_or_default()),
        (t(lang, "gt2.start"), tg.coverage.start.clone()),
        (t(lang, "gt2.odometer"), format!("{} km", tg.odometer_km)),
    ];
    // Art 29: each car's dossier names the other; the replacement's periods are its own.
    let mut links = vec![];
    for (key, other) in [
        ("gt2.replaced_by", &d.replaced_by),
        ("gt2.replacement_for", &d.replacement_for),
    ] {
        if let Some((other_id, vin)) = other {
            facts.push((t(lang, key), vin.clone()));
            links.push((
                format!("/console/vehicles/{other_id}/dossier"),
                format!("{} {vin}", t(lang, key)),
            ));
        }
    }
    let orders = Section {
        title: t(lang, "gt2.orders"),
        headers: vec![
            t(lang, "gt2.order"),
            t(lang, "gt2.concern"),
            t(lang, "gt2.agreed_at"),
            t(lang, "gt2.completed_at"),
            t(lang, "gt2.repair_days_col"),
            t(lang, "gt2.counted_days"),
            t(lang, "gt2.excluded"),
        ],
        rows: d
            .orders
            .iter()
            .map(|o| {
                let ex = o
                    .excluded
                    .iter()
                    .map(|e| {
                        format!(
                            "{} {} – {} ({})",
                            t(lang, &format!("gt2.excluded.{}", e.kind)),
                            show_time(e.from_at),
                            show_time(e.to_at),
                            e.evidence
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                vec![
                    format!("#{}", o.order_id),
                    o.concern.clone(),
                    show_time(o.agreed_at),
                    o.completed_at.map(show_time).unwrap_or_default(),
                    o.repair_days.to_string(),
                    o.counted_days.to_string(),
                    ex,
                ]
            })
            .collect(),
    };
    let faults = Section {
        title: t(lang, "gt2.faults"),
        headers: vec![
            t(lang, "gt2.order"),
            t(lang, "gt2.quality"),
            t(lang, "gt2.part"),
            t(lang, "gt2.main_part"),
            t(lang, "gt2.action"),
            t(lang, "gt2.exclusion"),
        ],
        rows: d
            .orders
            .iter()
            .flat_map(|o| o.lines.iter().map(move |l| (o.order_id, l)))
            .map(|(oid, l)| {
                let mp = match (&l.system, &l.main_part) {
                    (Some(s), Some(m)) => main_part_name(lang, parts, &format!("{s}/{m}")),
                    (Some(s), None) => t(lang, &format!("gt2.system.{s}")),
                    _ => String::new(),
                };
                let ex = match (
                    &l.exclusion_reason,
                    &l.exclusion_explanation,
                    &l.exclusion_evidence,
                ) {
                    (Some(r), Some(x), Some(e)) => {
                        format!("{} · {x} ({e})", t(lang, &format!("gt2.reason.{r}")))
                    }
                    _ => String::new(),
                };
                vec![
                    format!("#{oid}"),
                    t(lang, if l.quality { "yes" } else { "no" }),
                    l.part
                        .clone()
                        .unwrap_or_else(|| t(lang, "gt2.no_fault_found")),
                    mp,
                    t(lang, &format!("gt2.action.{}", l.action)),
                    ex,
                ]
            })
            .collect(),
    };
    let requests = Section {
        title: t(lang, "gt2.requests"),
        headers: vec![
            t(lang, "gt2.request_kind"),
            t(lang, "gt2.article"),
            t(lang, "gt2.about"),
            t(lang, "gt2.filed_on"),
            t(lang, "gt2.answer_by"),
            t(lang, "gt2.state"),
        ],
        rows: d
            .requests
            .iter()
            .map(|r| {
                vec![
                    t(lang, &format!("gt2.request.{}", r.kind)),
                    article(lang, &r.article),
                    subject_label(lang, parts, &r.subject),
                    r.filed_on.clone(),
                    r.perform_by.clone().unwrap_or_else(|| r.answer_by.clone()),
                    t(lang, &format!("gt2.request_state.{}", r.state)),
                ]
            })
            .collect(),
    };
    let mut sections = vehicle_sections(lang, parts, tg);
    sections.insert(0, orders);
    sections.insert(1, faults);
    sections.push(requests);
    let page = DetailPage {
        title: format!("{} · {}", t(lang, "gt2.dossier"), tg.vin),
        facts,
        edit_href: None,
        links,
        reveal: None,
        consent: None,
        sections,
        notice: None,
        error: None,
        chrome: chrome.crumb(format!("/console/vehicles/{id}"), tg.vin.clone()),
    };
    render(&page, StatusCode::OK)
}
