//! Quality-audit pages (SPEC §10): the visits list with the form that starts one
//! (auditors), the checklist filled on a phone and the score ([`visit`]), the
//! corrective actions and their steps ([`action`]), photos of failed checkpoints
//! ([`photo`]), and the depots' quarterly ratings.

pub mod action;
pub mod photo;
pub mod visit;

use super::chrome::{Chrome, Pager, show_time};
use super::form::{FormData, error_page, read_input, render, t, violations_text};
use super::select::SearchSelect;
use super::session::{ConsoleUser, grant};
use crate::AppState;
use crate::i18n::Lang;
use app::AppError;
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use domain::permission::Action;
use std::collections::HashMap;

/// Routes of the quality-audit pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/quality-audits", get(visits).post(start))
        .route("/console/quality-audits/{id}", get(visit::page))
        .route(
            "/console/quality-audits/{id}/answers",
            post(visit::answer).get(visit::page),
        )
        .route(
            "/console/quality-audits/{id}/submit",
            post(visit::submit).get(visit::page),
        )
        .route(
            "/console/quality-audits/{id}/photos",
            post(photo::upload).layer(DefaultBodyLimit::max(
                crate::console::pickup::UPLOAD_READ_LIMIT,
            )),
        )
        .route(
            "/console/quality-audits/{id}/photos/{photo_id}",
            get(photo::photo),
        )
        .route("/console/corrective-actions", get(action::list))
        .route("/console/corrective-actions/{id}", get(action::page))
        .route(
            "/console/corrective-actions/{id}/steps",
            post(action::step).get(action::page),
        )
        .route("/console/depot-ratings", get(depots).post(rate_depot))
}

/// One row of a list: its link and its cells in the page's language.
pub struct Row {
    /// Detail link.
    pub href: String,
    /// Cells.
    pub cells: Vec<String>,
    /// Tone class of the row ("" or `late`).
    pub tone: &'static str,
}

/// A list page of this area (visits, actions, depots), with the area's tabs, an
/// optional filter and an optional form above the table.
#[derive(Template)]
#[template(path = "quality_audit_list.html")]
pub struct ListPage {
    /// Frame.
    pub chrome: Chrome,
    /// Heading.
    pub title: String,
    /// The area's tabs: (href, label, current).
    pub tabs: Vec<(String, String, bool)>,
    /// A filter select, if any.
    pub filter: Option<SearchSelect>,
    /// The form's HTML parts (title, fields as HTML, submit label), if the user may act.
    pub form: Option<FormBox>,
    /// An error to show.
    pub error: Option<String>,
    /// Headings.
    pub headers: Vec<String>,
    /// Rows.
    pub rows: Vec<Row>,
    /// Text when there are no rows.
    pub empty: String,
    /// Paging.
    pub pager: Option<Pager>,
}

/// A small form above a list.
pub struct FormBox {
    /// Its heading.
    pub title: String,
    /// Where it posts.
    pub action: String,
    /// Selects.
    pub selects: Vec<SearchSelect>,
    /// Text inputs: (name, label, type, value, required).
    pub inputs: Vec<(String, String, String, String, bool)>,
    /// The button.
    pub submit: String,
}

pub(crate) fn tabs(lang: Lang, current: &str) -> Vec<(String, String, bool)> {
    [
        ("/console/quality-audits", "qa.tab.visits"),
        ("/console/corrective-actions", "qa.tab.actions"),
        ("/console/depot-ratings", "qa.tab.depots"),
    ]
    .into_iter()
    .map(|(h, k)| (h.to_string(), t(lang, k), h == current))
    .collect()
}

/// A rate in basis points as "97.0%", or "—" when there is none.
pub(crate) fn percent(bp: Option<u32>) -> String {
    bp.map_or_else(
        || "—".to_string(),
        |b| format!("{}.{}%", b / 100, (b % 100) / 10),
    )
}

fn kinds(lang: Lang) -> Vec<(String, String)> {
    domain::quality_audit::AuditKind::ALL
        .iter()
        .map(|k| {
            (
                k.code().to_string(),
                t(lang, &format!("qa.kind.{}", k.code())),
            )
        })
        .collect()
}

/// Every active station the auditor may visit, "name code", for the searchable
/// select of the start form (all of them: a network has about 1,000).
async fn station_options(s: &AppState, user: &ConsoleUser) -> Vec<(String, String)> {
    let Ok(g) = grant(user, Action::QualityAuditWrite) else {
        return Vec::new();
    };
    app::quality_audit::auditable_stations(&s.app, &g)
        .await
        .map(|list| {
            list.into_iter()
                .map(|st| {
                    let name = if user.lang == Lang::En {
                        st.name_en
                    } else {
                        st.name_zh
                    };
                    (st.id.to_string(), format!("{name} {}", st.code))
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn visits_page(
    s: &AppState,
    user: &ConsoleUser,
    q: &HashMap<String, String>,
    error: Option<String>,
) -> Response {
    let lang = user.lang;
    let chrome = user.chrome("quality_audits");
    let g = match grant(user, Action::QualityAuditRead) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let chrome = chrome.crumb("/console/quality-audits", t(lang, "qa.title"));
    let page_no = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let page = app::Page::new(page_no, 20);
    let list = match app::quality_audit::list(&s.app, &g, None, page).await {
        Ok(l) => l,
        Err(e) => return error_page(chrome, &e),
    };
    let ids: Vec<i64> = list.items.iter().map(|v| v.station_id).collect();
    let names = app::network::unit_names(&s.app, &ids)
        .await
        .unwrap_or_default();
    let en = lang == Lang::En;
    let rows = list
        .items
        .iter()
        .map(|v| {
            let tally = domain::quality_audit::Tally {
                passed: u32::try_from(v.passed).unwrap_or(0),
                failed: u32::try_from(v.failed).unwrap_or(0),
                not_applicable: u32::try_from(v.not_applicable).unwrap_or(0),
            };
            let submitted = v.state == "submitted";
            Row {
                href: format!("/console/quality-audits/{}", v.id),
                cells: vec![
                    v.visited_on.clone(),
                    names.station(v.station_id, en),
                    t(lang, &format!("qa.kind.{}", v.kind)),
                    t(lang, &format!("qa.state.{}", v.state)),
                    if submitted {
                        percent(tally.compliance_bp())
                    } else {
                        "—".into()
                    },
                    if submitted {
                        v.failed.to_string()
                    } else {
                        "—".into()
                    },
                ],
                tone: "",
            }
        })
        .collect();
    let form = if grant(user, Action::QualityAuditWrite).is_ok() {
        Some(FormBox {
            title: t(lang, "qa.new"),
            action: "/console/quality-audits".into(),
            selects: vec![
                SearchSelect {
                    name: "station_id".into(),
                    label: t(lang, "qa.station"),
                    hint: t(lang, "select.filter"),
                    options: station_options(s, user).await,
                    selected: q.get("station_id").cloned().unwrap_or_default(),
                    empty: Some(t(lang, "qa.choose_station")),
                    submit_on_change: false,
                },
                SearchSelect {
                    name: "kind".into(),
                    label: t(lang, "qa.kind"),
                    hint: t(lang, "select.filter"),
                    options: kinds(lang),
                    selected: "head_office".into(),
                    empty: None,
                    submit_on_change: false,
                },
            ],
            inputs: vec![(
                "visited_on".into(),
                t(lang, "qa.visited_on"),
                "date".into(),
                app::quality_audit::today_text(&s.app),
                true,
            )],
            submit: t(lang, "qa.start"),
        })
    } else {
        None
    };
    let pager = Pager::new(
        lang,
        "/console/quality-audits",
        "",
        list.total,
        list.page,
        list.pages(),
    );
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(
        &ListPage {
            title: t(lang, "qa.title"),
            tabs: tabs(lang, "/console/quality-audits"),
            filter: None,
            form,
            error,
            headers: [
                "qa.col.day",
                "qa.station",
                "qa.kind",
                "qa.col.state",
                "qa.col.rate",
                "qa.col.failed",
            ]
            .iter()
            .map(|k| t(lang, k))
            .collect(),
            rows,
            empty: t(lang, "qa.no_visits"),
            pager: Some(pager),
            chrome,
        },
        status,
    )
}

async fn visits(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    visits_page(&s, &user, &q, None).await
}

async fn start(State(s): State<AppState>, user: ConsoleUser, form: FormData) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let chrome = user.chrome("quality_audits");
    let g = match grant(&user, Action::QualityAuditWrite) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let result = match read_input::<app::quality_audit::VisitInput>(&form) {
        Ok(input) => app::quality_audit::start(&s.app, &g, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(v) => super::toast::redirect(
            &format!("/console/quality-audits/{}", v.id),
            "toast.qa_started",
        ),
        Err(e @ (AppError::Invalid(_) | AppError::Refused(_))) => {
            let q: HashMap<String, String> = form.0.into_iter().collect();
            visits_page(&s, &user, &q, violations_text(&chrome, &e)).await
        }
        Err(e) => error_page(chrome, &e),
    }
}

async fn depots_page(
    s: &AppState,
    user: &ConsoleUser,
    q: &HashMap<String, String>,
    error: Option<String>,
) -> Response {
    let lang = user.lang;
    let chrome = user.chrome("quality_audits");
    let g = match grant(user, Action::QualityAuditRead).or_else(|_| grant(user, Action::DepotRate))
    {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let chrome = chrome.crumb("/console/depot-ratings", t(lang, "qa.tab.depots"));
    let this = app::quality_audit::depot::Quarter::of(app::quality_audit::today_date(&s.app));
    let quarter = q
        .get("quarter")
        .cloned()
        .filter(|x| !x.is_empty())
        .unwrap_or_else(|| this.to_string());
    let rows = if g.action() == Action::QualityAuditRead {
        match app::quality_audit::depot::quarter(&s.app, &g, &quarter).await {
            Ok(list) => list
                .into_iter()
                .map(|d| Row {
                    href: String::new(),
                    cells: vec![
                        if lang == Lang::En {
                            d.name_en
                        } else {
                            d.name_zh
                        },
                        d.ratings.to_string(),
                        if d.ratings > 0 {
                            format!("{:.1}", d.score_sum as f64 / d.ratings as f64)
                        } else {
                            "—".into()
                        },
                    ],
                    tone: "",
                })
                .collect(),
            Err(e) => return error_page(chrome, &e),
        }
    } else {
        Vec::new()
    };
    let quarters = [this.previous(), this]
        .map(|q| (q.to_string(), q.to_string()))
        .to_vec();
    let form = grant(user, Action::DepotRate).ok().map(|_| FormBox {
        title: t(lang, "qa.rate_depot"),
        action: "/console/depot-ratings".into(),
        selects: vec![
            SearchSelect {
                name: "quarter".into(),
                label: t(lang, "qa.quarter"),
                hint: t(lang, "select.filter"),
                options: quarters.clone(),
                selected: this.to_string(),
                empty: None,
                submit_on_change: false,
            },
            SearchSelect {
                name: "score".into(),
                label: t(lang, "qa.score"),
                hint: t(lang, "select.filter"),
                options: (1..=5)
                    .rev()
                    .map(|n| (n.to_string(), t(lang, &format!("qa.score.{n}"))))
                    .collect(),
                selected: "5".into(),
                empty: None,
                submit_on_change: false,
            },
        ],
        inputs: vec![(
            "comment".into(),
            t(lang, "qa.comment"),
            "text".into(),
            String::new(),
            false,
        )],
        submit: t(lang, "qa.rate"),
    });
    let filter = (g.action() == Action::QualityAuditRead).then(|| SearchSelect {
        name: "quarter".into(),
        label: t(lang, "qa.quarter"),
        hint: t(lang, "select.filter"),
        options: quarters,
        selected: quarter.clone(),
        empty: None,
        submit_on_change: true,
    });
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(
        &ListPage {
            title: t(lang, "qa.tab.depots"),
            tabs: tabs(lang, "/console/depot-ratings"),
            filter,
            form,
            error,
            headers: ["qa.col.depot", "qa.col.ratings", "qa.col.mean"]
                .iter()
                .map(|k| t(lang, k))
                .collect(),
            rows,
            empty: t(lang, "qa.no_depots"),
            pager: None,
            chrome,
        },
        status,
    )
}

async fn depots(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    depots_page(&s, &user, &q, None).await
}

async fn rate_depot(State(s): State<AppState>, user: ConsoleUser, form: FormData) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let chrome = user.chrome("quality_audits");
    let g = match grant(&user, Action::DepotRate) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let result = match read_input::<app::quality_audit::depot::RateInput>(&form) {
        Ok(input) => app::quality_audit::depot::rate(&s.app, &g, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => super::toast::redirect("/console/depot-ratings", "toast.qa_rated"),
        Err(e @ (AppError::Invalid(_) | AppError::Refused(_))) => {
            depots_page(&s, &user, &HashMap::new(), violations_text(&chrome, &e)).await
        }
        Err(e) => error_page(chrome, &e),
    }
}

/// A timestamp as the console shows it.
pub(crate) fn when(ms: i64) -> String {
    show_time(ms)
}
