//! The console's first page: each role's own work instead of a welcome. The desk
//! (advisors, station managers) sees today's appointments, orders waiting for the
//! owner's consent and stage overruns; a technician his jobs; whoever reads KPIs the
//! month's figures of their station, or, above a station (head office, regional
//! manager), the best and the worst stations of the month by on-time delivery.
//! Administrators of the job queue see its open dead-letter alerts first.

use super::chrome::{Chrome, duration_text};
use super::form::{render, t};
use super::select::StatusTag;
use super::session::{ConsoleUser, grant};
use crate::AppState;
use app::repair_order::view;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use domain::permission::Action;
use domain::role::Role;

/// Most stations whose figures the home of a head-office or regional user reads.
const MAX_STATIONS: usize = 60;

/// One line of a panel.
struct Line {
    href: String,
    text: String,
    sub: String,
    tag: Option<StatusTag>,
    alert: bool,
}

/// A panel of the home page.
struct Panel {
    id: &'static str,
    title: String,
    more: Option<(String, String)>,
    lines: Vec<Line>,
    /// Figures: (label, value).
    figures: Vec<(String, String)>,
    /// A search box finding a customer or a car (the caller's phone tail, plate, VIN
    /// or name): the customer list and the vehicle list answer it.
    search: bool,
    /// Buttons starting the role's usual work: (href, label).
    starts: Vec<(String, String)>,
    empty: String,
}

impl Panel {
    /// A panel of lines and figures (no search box, no buttons).
    fn new(
        id: &'static str,
        title: String,
        more: Option<(String, String)>,
        empty: String,
    ) -> Panel {
        Panel {
            id,
            title,
            more,
            lines: vec![],
            figures: vec![],
            search: false,
            starts: vec![],
            empty,
        }
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    title: String,
    facts: Vec<(String, String)>,
    panels: Vec<Panel>,
}

fn rate(r: &domain::kpi::Rate) -> String {
    r.percent()
        .map(|p| format!("{p:.1}%"))
        .unwrap_or_else(|| "–".into())
}

/// `GET /console`.
pub async fn home(State(s): State<AppState>, user: ConsoleUser) -> Response {
    let chrome = user.chrome("home");
    let lang = user.lang;
    let p = &user.session.principal;
    let station = view::station_of(p);
    let mut panels = Vec::new();
    let empty = t(lang, "home.nothing");

    // Dead-letter alerts, first, for whoever runs the job queue (only when there are).
    if let Ok(g) = grant(&user, Action::JobAdmin)
        && let Ok(alerts) = app::job::alert::open(&s.app, &g).await
        && !alerts.is_empty()
    {
        panels.push(Panel {
            id: "job-alerts",
            title: t(lang, "job.alert.home"),
            more: Some((
                "/console/queue#alerts".into(),
                t(lang, "job.alert.home_more"),
            )),
            lines: super::job::alert_lines(&chrome, &alerts)
                .into_iter()
                .map(|a| Line {
                    href: "/console/queue#alerts".into(),
                    text: a.text,
                    sub: a.error,
                    tag: None,
                    alert: true,
                })
                .collect(),
            figures: vec![],
            search: false,
            starts: vec![],
            empty: empty.clone(),
        });
    }

    // Today's appointments of the station.
    if let (Some(st), Ok(g)) = (station, grant(&user, Action::AppointmentRead))
        && p.role != Role::Technician
        && let Ok(v) = app::appointment::view::day_view(&s.app, &g, st, None, 1).await
    {
        let lines = v
            .days
            .iter()
            .flat_map(|d| {
                d.slots
                    .iter()
                    .flat_map(|s| s.appointments.iter())
                    .chain(d.unslotted.iter())
            })
            .map(|a| Line {
                href: format!("/console/appointments?station={st}&view=day"),
                text: format!("{} {} · {}", a.time, a.plate, a.customer),
                sub: t(lang, &format!("svc.type.{}", a.service_type)),
                tag: Some(StatusTag {
                    state: a.state.clone(),
                    label: t(lang, &format!("svc.appt.{}", a.state)),
                }),
                alert: false,
            })
            .collect();
        panels.push(Panel {
            id: "today",
            title: t(lang, "home.today"),
            more: Some(("/console/appointments".into(), t(lang, "home.all"))),
            lines,
            figures: vec![],
            search: false,
            starts: vec![],
            empty: empty.clone(),
        });
    }

    // Orders waiting for the owner's consent, and overruns.
    if let (Some(st), Ok(g)) = (station, grant(&user, Action::RepairOrderRead))
        && p.role != Role::Technician
        && let Ok(items) = view::board(&s.app, &g, st).await
    {
        let line = |b: &view::BoardItem, sub: String| Line {
            href: format!("/console/orders/{}", b.id),
            text: format!("{} · {}", b.plate.clone().unwrap_or_default(), b.concern),
            sub,
            tag: None,
            alert: b.overrun,
        };
        panels.push(Panel {
            id: "consent",
            title: t(lang, "home.consent"),
            more: Some(("/console/board".into(), t(lang, "svc.board"))),
            lines: items
                .iter()
                .filter(|b| b.awaiting_approval > 0)
                .map(|b| {
                    line(
                        b,
                        format!("{} {}", t(lang, "svc.awaiting"), b.awaiting_approval),
                    )
                })
                .collect(),
            figures: vec![],
            search: false,
            starts: vec![],
            empty: empty.clone(),
        });
        panels.push(Panel {
            id: "overruns",
            title: t(lang, "home.overruns"),
            more: None,
            lines: items
                .iter()
                .filter(|b| b.overrun)
                .map(|b| {
                    let sub = match (b.elapsed_minutes, b.standard_minutes) {
                        (Some(e), Some(s)) => {
                            format!("{} / {}", duration_text(lang, e), duration_text(lang, s))
                        }
                        _ => String::new(),
                    };
                    line(b, sub)
                })
                .collect(),
            figures: vec![],
            search: false,
            starts: vec![],
            empty: empty.clone(),
        });
    }

    // A technician's own jobs.
    if let (Some(st), Ok(_), Ok(g)) = (
        station,
        grant(&user, Action::WorkshopWork),
        grant(&user, Action::RepairOrderRead),
    ) && p.role == Role::Technician
        && let Ok(jobs) = view::jobs(&s.app, &g, st, p.id).await
    {
        panels.push(Panel {
            id: "jobs",
            title: t(lang, "home.jobs"),
            more: Some(("/console/jobs".into(), t(lang, "home.all"))),
            lines: jobs
                .iter()
                .map(|j| Line {
                    href: format!("/console/orders/{}", j.order_id),
                    text: format!("{} · {}", j.plate.clone().unwrap_or_default(), j.code),
                    sub: j
                        .current_stage
                        .as_deref()
                        .map(|c| t(lang, &format!("svc.stage.{c}")))
                        .unwrap_or_default(),
                    tag: None,
                    alert: false,
                })
                .collect(),
            figures: vec![],
            search: false,
            starts: vec![],
            empty: empty.clone(),
        });
    }

    // The month's figures: the station's own, or the best and worst stations in reach.
    if let Ok(g) = grant(&user, Action::KpiRead) {
        if let Some(st) = station
            && let Ok(month) = crate::api::kpi::this_month(&s.app, st).await
        {
            if let Ok(k) = app::kpi::station_kpis(&s.app, &g, st, month).await {
                let overruns = panels
                    .iter()
                    .find(|p| p.id == "overruns")
                    .map(|p| p.lines.len())
                    .unwrap_or(0);
                panels.push(Panel {
                    id: "month",
                    title: format!("{} · {month}", t(lang, "home.month")),
                    more: Some(("/console/kpis".into(), t(lang, "svc.kpis"))),
                    lines: vec![],
                    figures: vec![
                        (t(lang, "svc.kpi.delivered"), k.delivered.to_string()),
                        (t(lang, "svc.kpi.ffv"), rate(&k.first_time_fix)),
                        (
                            t(lang, "svc.kpi.mdt"),
                            k.mean_repair_minutes
                                .map(|m| duration_text(lang, m))
                                .unwrap_or_else(|| "–".into()),
                        ),
                        (t(lang, "svc.kpi.on_time"), rate(&k.on_time_delivery)),
                        (t(lang, "home.overruns"), overruns.to_string()),
                    ],
                    search: false,
                    starts: vec![],
                    empty: empty.clone(),
                });
            }
        } else if station.is_none()
            && let Ok(stations) =
                app::appointment::view::stations(&s.app, &g, None, None, None, MAX_STATIONS).await
            && let Some(first) = stations.first()
            && let Ok(month) = crate::api::kpi::this_month(&s.app, first.id).await
        {
            let mut figures = Vec::new();
            for st in &stations {
                if let Ok(k) = app::kpi::station_kpis(&s.app, &g, st.id, month).await {
                    let name = match lang {
                        crate::i18n::Lang::ZhCn => st.name_zh.clone(),
                        crate::i18n::Lang::En => st.name_en.clone(),
                    };
                    figures.push((st.id, name, k));
                }
            }
            figures.sort_by(|a, b| {
                b.2.on_time_delivery
                    .percent()
                    .unwrap_or(-1.0)
                    .total_cmp(&a.2.on_time_delivery.percent().unwrap_or(-1.0))
                    .then(b.2.delivered.cmp(&a.2.delivered))
            });
            let line = |(id, name, k): &(i64, String, domain::kpi::StationMonth)| Line {
                href: format!("/console/kpis?station={id}"),
                text: name.clone(),
                sub: format!(
                    "{} {} · {} {} · {} {}",
                    t(lang, "svc.kpi.delivered"),
                    k.delivered,
                    t(lang, "svc.kpi.on_time"),
                    rate(&k.on_time_delivery),
                    t(lang, "svc.kpi.ffv"),
                    rate(&k.first_time_fix)
                ),
                tag: None,
                alert: false,
            };
            let n = figures.len();
            panels.push(Panel {
                id: "top",
                title: format!("{} · {month}", t(lang, "home.top")),
                more: Some(("/console/kpis".into(), t(lang, "svc.kpis"))),
                lines: figures.iter().take(3).map(line).collect(),
                figures: vec![(t(lang, "home.stations"), n.to_string())],
                search: false,
                starts: vec![],
                empty: empty.clone(),
            });
            panels.push(Panel {
                id: "bottom",
                title: format!("{} · {month}", t(lang, "home.bottom")),
                more: None,
                lines: figures.iter().skip(3).rev().take(3).map(line).collect(),
                figures: vec![],
                search: false,
                starts: vec![],
                empty: empty.clone(),
            });
        }
    }
    if let Some(start) = start_panel(&user, lang) {
        // The people who answer callers (the hotline, head office) look someone up
        // first; at a station the day's work comes first and the search after it.
        if station.is_none() {
            panels.insert(0, start);
        } else {
            panels.push(start);
        }
    }
    let page = HomePage {
        title: tables_fill(lang, &p.name),
        facts: vec![
            (chrome.t("home.role"), chrome.role_label.clone()),
            (chrome.t("home.unit"), chrome.unit_label.clone()),
        ],
        panels,
        chrome,
    };
    render(&page, StatusCode::OK)
}

/// The panel that starts a role's usual work: find a customer or a car, book an
/// appointment, file a complaint, read the audit log, answer privacy requests (each
/// only for those allowed to). `None` for a role that can do none of them.
fn start_panel(user: &ConsoleUser, lang: crate::i18n::Lang) -> Option<Panel> {
    let may = |a: Action| grant(user, a).is_ok();
    let mut panel = Panel::new("start", t(lang, "home.start"), None, String::new());
    panel.search = may(Action::CustomerRead) && may(Action::VehicleRead);
    let starts: [(Action, &str, &str); 5] = [
        (
            Action::AppointmentBook,
            "/console/appointments/new",
            "book.new",
        ),
        (
            Action::ComplaintWrite,
            "/console/complaints/new",
            "home.start.complaint",
        ),
        (
            Action::CustomerWrite,
            "/console/customers/new",
            "home.start.customer",
        ),
        (Action::AuditRead, "/console/audit", "audit.nav"),
        (
            Action::PrivacyRequestHandle,
            "/console/privacy-requests",
            "home.start.privacy",
        ),
    ];
    panel.starts = starts
        .into_iter()
        .filter(|(a, ..)| may(*a))
        .map(|(_, href, key)| (href.to_string(), t(lang, key)))
        .collect();
    (panel.search || !panel.starts.is_empty()).then_some(panel)
}

fn tables_fill(lang: crate::i18n::Lang, name: &str) -> String {
    crate::i18n::tables().fill(lang, "home.welcome", &[("name", name)])
}
