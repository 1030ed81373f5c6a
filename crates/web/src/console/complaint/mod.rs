//! Complaint pages (SPEC §6): the queue, nearest deadline first, with the time left
//! or overdue in warning colours and filters by state, severity, category and
//! breach; the detail page with its workflow buttons lives in [`detail`].

pub mod analysis;
pub mod attachment;
pub mod categories;
pub mod cats;
pub mod chart;
pub mod detail;
pub mod forms;
pub mod goodwill;
pub mod inbox;
pub mod intake;
pub mod policies;
pub mod submit;

use super::chrome::{Pager, show_time, urlencode};
use super::form::{error_page, render};
use super::session::ConsoleUser;
use crate::AppState;
use crate::i18n::Lang;
use app::complaint::QueueFilter;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use domain::permission::Action;
use std::collections::HashMap;

/// Rows per queue page.
const PER_PAGE: i64 = 20;

/// The filterable states, in workflow order.
pub(crate) const STATES: &[&str] = &[
    "received",
    "acknowledged",
    "analysing",
    "solution_proposed",
    "accepted",
    "in_progress",
    "follow_up",
    "closed",
];

/// Routes of the complaint pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/complaints", get(queue))
        .route("/console/complaints/analysis", get(analysis::page))
        .route("/console/complaints/inbox", get(inbox::page))
        .route(
            "/console/complaints/categories",
            get(categories::page).post(categories::add),
        )
        .route(
            "/console/complaints/categories/{code}",
            get(categories::page).post(categories::change),
        )
        .route("/console/complaints/policies", get(policies::list))
        .route(
            "/console/complaints/policies/{category}/{severity}",
            get(policies::page).post(policies::save),
        )
        .route(
            "/console/complaints/goodwill-limits",
            get(goodwill::page).post(goodwill::save),
        )
        .route(
            "/console/complaints/new",
            get(intake::page).post(intake::file),
        )
        .route("/console/complaints/analysis.csv", get(analysis::csv))
        .route("/console/complaints/analysis.xlsx", get(analysis::xlsx))
        .route("/console/complaints/{id}", get(detail::detail))
        .route("/console/complaints/{id}/act", post(detail::act))
        .route(
            "/console/complaints/{id}/attachments",
            post(submit::upload)
                .get(detail::detail)
                .layer(DefaultBodyLimit::max(attachment::UPLOAD_READ_LIMIT)),
        )
        .route(
            "/console/complaints/{id}/attachments/{attachment_id}",
            get(attachment::file),
        )
        .merge(submit::router())
}

/// One filter: its name, label, the options (code, label) and the chosen code.
pub struct FilterBox {
    /// Query parameter.
    pub name: String,
    /// Label.
    pub label: String,
    /// Options: (code, label).
    pub options: Vec<(String, String)>,
    /// The chosen code ("" for all).
    pub value: String,
}

/// One queue row, every cell already in the page's language.
pub struct QueueRow {
    /// Link to the detail page.
    pub href: String,
    /// Received.
    pub received: String,
    /// Station name.
    pub station: String,
    /// Category.
    pub category: String,
    /// Severity.
    pub severity: String,
    /// Whether urgent (highlighted).
    pub urgent: bool,
    /// State.
    pub state: String,
    /// Next deadline and its stage.
    pub deadline: String,
    /// Time left or overdue.
    pub left: String,
    /// The running deadline (UTC ms) the page's script counts down to.
    pub deadline_ms: Option<i64>,
    /// Colour class of the time left: "", `warn` or `late`.
    pub tone: &'static str,
    /// Breached flag text.
    pub breached: String,
    /// "Provisional" when the deadline reaches past the loaded holiday plan (SPEC §6),
    /// else empty.
    pub provisional: String,
}

/// The queue page.
#[derive(askama::Template)]
#[template(path = "complaint_queue.html")]
pub struct QueuePage {
    /// Frame.
    pub chrome: super::Chrome,
    /// Heading.
    pub title: String,
    /// Filters.
    pub filters: Vec<FilterBox>,
    /// Column headings.
    pub headers: Vec<String>,
    /// Rows.
    pub rows: Vec<QueueRow>,
    /// Paging.
    pub pager: Pager,
    /// The searchable station filter.
    pub station: super::select::SearchSelect,
    /// The server's clock when the page was made (the countdown's origin).
    pub now_ms: i64,
    /// The countdown's phrases: left, overdue, d, h, m, joiner.
    pub words: Vec<(&'static str, String)>,
}

/// "1 h 20 min left" / "overdue by 1 h 20 min" for a deadline, and its colour:
/// `late` once passed, `warn` within the last hour.
pub fn time_left(lang: Lang, deadline: i64, now: i64) -> (String, &'static str) {
    let diff = deadline - now;
    let span = span_text(lang, diff.abs());
    let t = crate::i18n::tables();
    if diff < 0 {
        (
            t.fill(lang, "complaint.overdue", &[("span", &span)]),
            "late",
        )
    } else {
        let tone = if diff <= 3_600_000 { "warn" } else { "" };
        (t.fill(lang, "complaint.left", &[("span", &span)]), tone)
    }
}

/// A duration in days, hours and minutes in the page's language.
pub(crate) fn span_text(lang: Lang, ms: i64) -> String {
    let mins = ms / 60_000;
    let (d, h, m) = (mins / 1440, (mins % 1440) / 60, mins % 60);
    let t = crate::i18n::tables();
    let mut out = Vec::new();
    if d > 0 {
        out.push(t.fill(lang, "complaint.span_d", &[("n", &d.to_string())]));
    }
    if h > 0 {
        out.push(t.fill(lang, "complaint.span_h", &[("n", &h.to_string())]));
    }
    if m > 0 || out.is_empty() {
        out.push(t.fill(lang, "complaint.span_m", &[("n", &m.to_string())]));
    }
    out.join(if lang == Lang::En { " " } else { "" })
}

fn pick(q: &HashMap<String, String>, name: &str, allowed: &[&str]) -> Option<String> {
    q.get(name)
        .map(|v| v.trim())
        .filter(|v| allowed.contains(v))
        .map(str::to_string)
}

async fn queue(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let chrome = user.chrome("complaints");
    let Ok(grant) = user.session.principal.grant(Action::ComplaintRead) else {
        return error_page(chrome, &app::AppError::Forbidden);
    };
    let state = pick(&q, "state", STATES);
    let en = user.lang == Lang::En;
    let cats = cats::Cats::load(&s.app, &user.session.principal, user.lang).await;
    let stations = app::complaint::reach::stations_in_regions(&s.app, &grant, en)
        .await
        .unwrap_or_default();
    let regions = app::complaint::reach::regions(&s.app, &grant, en)
        .await
        .unwrap_or_default();
    let id_in = |name: &str, known: &[i64]| {
        q.get(name)
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|id| known.contains(id))
    };
    let station_ids: Vec<i64> = stations.iter().map(|s| s.0).collect();
    let region_ids: Vec<i64> = regions.iter().map(|r| r.0).collect();
    let station_id = id_in("station", &station_ids);
    let region_id = id_in("region", &region_ids);
    let filter = QueueFilter {
        station_id,
        region_id,
        include_closed: state.as_deref() == Some("closed"),
        state,
        severity: pick(&q, "severity", &["normal", "urgent"]),
        category: pick(&q, "category", &cats.codes()),
        breached: pick(&q, "breached", &["yes", "no"]).map(|b| b == "yes"),
    };
    let page: i64 = q
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let (items, total) = match app::complaint::queue(
        &s.app,
        &grant,
        &filter,
        PER_PAGE,
        (page - 1).saturating_mul(PER_PAGE),
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return error_page(chrome, &e),
    };
    let lang = user.lang;
    let ids: Vec<i64> = items.iter().map(|c| c.station_id).collect();
    let names = app::network::unit_names(&s.app, &ids)
        .await
        .unwrap_or_default();
    let now = s.app.now_ms();
    let rows = items
        .iter()
        .map(|c| {
            let (left, tone) = match (c.next_deadline_at, c.paused_since) {
                (_, Some(_)) => (chrome.t("complaint.paused"), ""),
                (Some(d), None) => time_left(lang, d, now),
                (None, None) => (String::new(), ""),
            };
            QueueRow {
                href: format!("/console/complaints/{}", c.id),
                received: show_time(c.received_at),
                station: names.station(c.station_id, en),
                category: cats.name(&c.category),
                severity: chrome.t(&format!("complaint.severity.{}", c.severity)),
                urgent: c.severity == "urgent",
                state: chrome.t(&format!("complaint.state.{}", c.state)),
                deadline: match (c.next_deadline_at, &c.next_stage) {
                    (Some(d), Some(st)) => format!(
                        "{} · {}",
                        show_time(d),
                        chrome.t(&format!("complaint.stage.{st}"))
                    ),
                    (Some(d), None) => show_time(d),
                    _ => String::new(),
                },
                left,
                deadline_ms: c.next_deadline_at.filter(|_| c.paused_since.is_none()),
                tone,
                breached: if c.breached {
                    chrome.t("complaint.breached")
                } else {
                    String::new()
                },
                provisional: if c.deadline_provisional && c.next_deadline_at.is_some() {
                    chrome.t("complaint.provisional")
                } else {
                    String::new()
                },
            }
        })
        .collect();
    let opts = |prefix: &str, codes: &[&str]| -> Vec<(String, String)> {
        codes
            .iter()
            .map(|c| (c.to_string(), chrome.t(&format!("{prefix}.{c}"))))
            .collect()
    };
    let value = |n: &str| q.get(n).cloned().unwrap_or_default();
    let filters = vec![
        FilterBox {
            name: "region".into(),
            label: chrome.t("complaint.f.region"),
            options: regions
                .iter()
                .map(|(id, n)| (id.to_string(), n.clone()))
                .collect(),
            value: value("region"),
        },
        FilterBox {
            name: "state".into(),
            label: chrome.t("complaint.f.state"),
            options: opts("complaint.state", STATES),
            value: value("state"),
        },
        FilterBox {
            name: "severity".into(),
            label: chrome.t("complaint.f.severity"),
            options: opts("complaint.severity", &["normal", "urgent"]),
            value: value("severity"),
        },
        FilterBox {
            name: "category".into(),
            label: chrome.t("complaint.f.category"),
            options: cats.all(),
            value: value("category"),
        },
        FilterBox {
            name: "breached".into(),
            label: chrome.t("complaint.f.breached"),
            options: vec![
                ("yes".into(), chrome.t("yes")),
                ("no".into(), chrome.t("no")),
            ],
            value: value("breached"),
        },
    ];
    // The pager keeps the filters: they ride in its search-text slot.
    let kept: String = [
        "station", "region", "state", "severity", "category", "breached",
    ]
    .iter()
    .filter_map(|k| q.get(*k).map(|v| format!("&{k}={}", urlencode(v))))
    .collect();
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let mut pager = Pager::new(lang, "/console/complaints", "", total, page, pages);
    pager.prev = pager.prev.map(|p| format!("{p}{kept}"));
    pager.next = pager.next.map(|p| format!("{p}{kept}"));
    let headers = [
        "received", "station", "category", "severity", "state", "deadline", "left", "breached",
    ]
    .iter()
    .map(|h| chrome.t(&format!("complaint.col.{h}")))
    .collect();
    let title = chrome.t("complaint.nav");
    let station = super::select::SearchSelect {
        name: "station".into(),
        label: chrome.t("complaint.f.station"),
        hint: chrome.t("select.filter"),
        options: stations
            .iter()
            .map(|(id, n, _)| (id.to_string(), n.clone()))
            .collect(),
        selected: station_id.map(|i| i.to_string()).unwrap_or_default(),
        empty: Some(chrome.t("complaint.f.all")),
        submit_on_change: false,
    };
    let words = vec![
        ("left", chrome.t("complaint.left")),
        ("overdue", chrome.t("complaint.overdue")),
        ("d", chrome.t("complaint.span_d")),
        ("h", chrome.t("complaint.span_h")),
        ("m", chrome.t("complaint.span_m")),
        ("join", if en { " ".into() } else { String::new() }),
    ];
    let page = QueuePage {
        station,
        now_ms: now,
        words,
        chrome: chrome.crumb("/console/complaints", title.clone()),
        title,
        filters,
        headers,
        rows,
        pager,
    };
    render(&page, StatusCode::OK)
}
