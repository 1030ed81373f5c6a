//! The complaint analysis page (`/console/complaints/analysis`): the complaints
//! received in a period within reach, grouped by category, station, region, model or
//! month, with the 1-hour and 2-hour response rates, the 3-day closure rate, the
//! reopen rate, breaches and mean time per stage (formulas in
//! `domain::complaint::analysis`); a ranking and a monthly trend as server-rendered
//! SVG with text alternatives; a group's name drills down to its complaints, each
//! linking to its page; the group table exports as CSV or XLSX.

use super::chart::{self, Bar, Line};
use crate::AppState;
use crate::console::chrome::{show_time, urlencode};
use crate::console::form::{error_page, render};
use crate::console::session::ConsoleUser;
use crate::i18n::Lang;
use app::complaint::analysis::{self as an, Dimension, FactRow, Report};
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::complaint::analysis::{Rate, Summary};
use domain::complaint::sla::Stage;
use domain::permission::Action;
use jiff::civil::Date;
use std::collections::HashMap;

/// Most complaints a drill-down lists.
const DRILL_MAX: usize = 200;

/// The analysis page.
#[derive(askama::Template)]
#[template(path = "complaint_analysis.html")]
pub struct AnalysisPage {
    /// Frame.
    pub chrome: crate::console::Chrome,
    /// Heading.
    pub title: String,
    /// Dimension options: (code, label).
    pub dims: Vec<(String, String)>,
    /// Chosen dimension.
    pub by: String,
    /// Period start (`YYYY-MM-DD`).
    pub from: String,
    /// Period end, inclusive (`YYYY-MM-DD`).
    pub to: String,
    /// The totals as label/value pairs.
    pub totals: Vec<(String, String)>,
    /// Column headings of the group table.
    pub heads: Vec<String>,
    /// Group rows: (drill-down link, cells).
    pub rows: Vec<(String, Vec<String>)>,
    /// Stage table: stage, breaches, mean time.
    pub stages: Vec<Vec<String>>,
    /// The ranking SVG.
    pub ranking: String,
    /// The trend SVG.
    pub trend: String,
    /// Export links (CSV, XLSX).
    pub csv: String,
    /// XLSX link.
    pub xlsx: String,
    /// Drill-down heading, when a group is open.
    pub drill_title: Option<String>,
    /// Drill-down column headings.
    pub drill_heads: Vec<String>,
    /// Drill-down rows: (link, cells).
    pub drill: Vec<(String, Vec<String>)>,
}

fn pct(r: &Rate) -> String {
    r.percent()
        .map(|p| format!("{p:.1}% ({}/{})", r.numerator, r.denominator))
        .unwrap_or_else(|| "–".into())
}

fn minutes(lang: Lang, m: Option<i64>) -> String {
    m.map(|m| super::span_text(lang, m * 60_000))
        .unwrap_or_else(|| "–".into())
}

/// The period asked, as Shanghai dates: default the last six months to today.
fn period(s: &AppState, q: &HashMap<String, String>) -> (Date, Date) {
    let today = jiff::Timestamp::from_millisecond(s.app.now_ms())
        .map(|t| t.to_zoned(domain::calendar::shanghai()).date())
        .unwrap_or_default();
    let parse = |k: &str| q.get(k).and_then(|v| v.trim().parse::<Date>().ok());
    let to = parse("to").unwrap_or(today);
    let from = parse("from").unwrap_or_else(|| {
        to.first_of_month()
            .checked_sub(jiff::Span::new().months(5))
            .unwrap_or(to)
    });
    (from, to)
}

fn start_ms(d: Date) -> i64 {
    d.to_zoned(domain::calendar::shanghai())
        .map(|z| z.timestamp().as_millisecond())
        .unwrap_or(0)
}

/// The report for the query, with the names to show.
async fn load(
    s: &AppState,
    user: &ConsoleUser,
    q: &HashMap<String, String>,
) -> Result<(Dimension, Date, Date, Report, Names), app::AppError> {
    let grant = user
        .session
        .principal
        .grant(Action::ComplaintRead)
        .map_err(|_| app::AppError::Forbidden)?;
    let dim = Dimension::of(q.get("by").map(String::as_str).unwrap_or("category"));
    let (from, to) = period(s, q);
    let end = to.tomorrow().unwrap_or(to);
    let report = an::analyse(&s.app, &grant, dim, start_ms(from), start_ms(end)).await?;
    let mut ids: Vec<i64> = report.rows.iter().map(|r| r.station_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let units = app::network::unit_names(&s.app, &ids).await?;
    let cats = super::cats::Cats::load(&s.app, &user.session.principal, user.lang).await;
    Ok((dim, from, to, report, Names { units, cats }))
}

/// The names a report shows: stations and regions, and the categories.
struct Names {
    units: app::network::UnitNames,
    cats: super::cats::Cats,
}

impl Names {
    fn station(&self, id: i64, en: bool) -> String {
        self.units.station(id, en)
    }

    fn region(&self, id: i64, en: bool) -> String {
        self.units.region(id, en)
    }
}

fn en_name(chrome: &crate::console::Chrome) -> bool {
    chrome.lang == Lang::En
}

/// The name a group key shows (a part: its number and catalogue name, found on the
/// report's rows).
fn group_label(
    chrome: &crate::console::Chrome,
    dim: Dimension,
    key: &str,
    names: &Names,
    rows: &[FactRow],
) -> String {
    let en = chrome.lang == Lang::En;
    let id = || key.parse::<i64>().unwrap_or(0);
    match dim {
        Dimension::Category => names.cats.name(key),
        Dimension::Station => names.station(id(), en),
        Dimension::Region => names.region(id(), en),
        Dimension::Model if key.is_empty() => chrome.t("complaint.an.no_vehicle"),
        Dimension::Part if key.is_empty() => chrome.t("complaint.an.no_part"),
        Dimension::Part => rows
            .iter()
            .filter_map(|r| r.part.as_ref())
            .find(|p| p.0 == key)
            .map(|(n, zh, en)| format!("{n} {}", if en_name(chrome) { en } else { zh }))
            .unwrap_or_else(|| key.to_string()),
        Dimension::Model | Dimension::Month => key.to_string(),
    }
}

fn group_cells(lang: Lang, label: String, s: &Summary) -> Vec<String> {
    let breaches: u64 = s.breaches.iter().map(|b| b.1).sum();
    vec![
        label,
        s.count.to_string(),
        pct(&s.response_1h),
        pct(&s.response_2h),
        pct(&s.closure_3d),
        pct(&s.reopened),
        breaches.to_string(),
        minutes(
            lang,
            s.mean_minutes
                .iter()
                .find(|m| m.0 == Stage::Closure)
                .and_then(|m| m.1),
        ),
    ]
}

fn heads(chrome: &crate::console::Chrome, dim: Dimension) -> Vec<String> {
    std::iter::once(chrome.t(&format!("complaint.an.by.{}", dim.code())))
        .chain(
            [
                "count",
                "r1h",
                "r2h",
                "c3d",
                "reopen",
                "breaches",
                "mean_closure",
            ]
            .iter()
            .map(|h| chrome.t(&format!("complaint.an.{h}"))),
        )
        .collect()
}

/// `GET /console/complaints/analysis?by=&from=&to=&key=`.
pub(super) async fn page(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let chrome = user.chrome("complaints");
    let (dim, from, to, report, names) = match load(&s, &user, &q).await {
        Ok(r) => r,
        Err(e) => return error_page(chrome, &e),
    };
    let lang = user.lang;
    let query = format!("by={}&from={from}&to={to}", dim.code());
    let rows: Vec<(String, Vec<String>)> = report
        .groups
        .iter()
        .map(|(k, sm)| {
            (
                format!(
                    "/console/complaints/analysis?{query}&key={}#drill",
                    urlencode(k)
                ),
                group_cells(lang, group_label(&chrome, dim, k, &names, &report.rows), sm),
            )
        })
        .collect();
    let t = &report.total;
    let totals = vec![
        (chrome.t("complaint.an.count"), t.count.to_string()),
        (chrome.t("complaint.an.r1h"), pct(&t.response_1h)),
        (chrome.t("complaint.an.r2h"), pct(&t.response_2h)),
        (chrome.t("complaint.an.c3d"), pct(&t.closure_3d)),
        (chrome.t("complaint.an.reopen"), pct(&t.reopened)),
    ];
    let stages = Stage::ALL
        .iter()
        .map(|st| {
            vec![
                chrome.t(&format!("complaint.stage.{}", st.code())),
                t.breaches
                    .iter()
                    .find(|b| b.0 == *st)
                    .map(|b| b.1)
                    .unwrap_or(0)
                    .to_string(),
                minutes(
                    lang,
                    t.mean_minutes.iter().find(|m| m.0 == *st).and_then(|m| m.1),
                ),
            ]
        })
        .collect();
    let bars: Vec<Bar> = report
        .groups
        .iter()
        .take(12)
        .map(|(k, sm)| Bar {
            label: group_label(&chrome, dim, k, &names, &report.rows),
            value: sm.count as f64,
            text: format!(
                "{} · {}",
                sm.count,
                sm.closure_3d
                    .percent()
                    .map(|p| format!("{} {p:.0}%", chrome.t("complaint.an.c3d_short")))
                    .unwrap_or_default()
            ),
        })
        .collect();
    let ranking = chart::ranking(
        "complaint-ranking",
        &chrome.t("complaint.an.ranking"),
        &bars,
    );
    let months: Vec<String> = report.trend.iter().map(|m| m.0.clone()).collect();
    let line = |key: &str, colour, f: fn(&Summary) -> Rate| Line {
        name: chrome.t(key),
        colour,
        points: report.trend.iter().map(|m| f(&m.1).percent()).collect(),
    };
    let trend = chart::trend(
        "complaint-trend",
        &chrome.t("complaint.an.trend"),
        &months,
        &[
            line("complaint.an.r1h", "#1677ff", |s| s.response_1h),
            line("complaint.an.c3d", "#00a870", |s| s.closure_3d),
            line("complaint.an.reopen", "#d93026", |s| s.reopened),
        ],
    );
    let (drill_title, drill) = match q.get("key") {
        Some(key) => {
            let en = lang == Lang::En;
            let list: Vec<&FactRow> = report
                .rows
                .iter()
                .filter(|r| dim.key(r) == *key)
                .take(DRILL_MAX)
                .collect();
            (
                Some(group_label(&chrome, dim, key, &names, &report.rows)),
                list.iter()
                    .map(|r| {
                        (
                            format!("/console/complaints/{}", r.id),
                            vec![
                                show_time(r.received_at),
                                names.station(r.station_id, en),
                                names.cats.name(&r.category),
                                chrome.t(&format!("complaint.state.{}", r.state)),
                            ],
                        )
                    })
                    .collect(),
            )
        }
        None => (None, vec![]),
    };
    let title = chrome.t("complaint.an.title");
    let page = AnalysisPage {
        dims: Dimension::ALL
            .iter()
            .map(|d| {
                (
                    d.code().to_string(),
                    chrome.t(&format!("complaint.an.by.{}", d.code())),
                )
            })
            .collect(),
        by: dim.code().to_string(),
        from: from.to_string(),
        to: to.to_string(),
        totals,
        heads: heads(&chrome, dim),
        rows,
        stages,
        ranking,
        trend,
        csv: format!("/console/complaints/analysis.csv?{query}"),
        xlsx: format!("/console/complaints/analysis.xlsx?{query}"),
        drill_title,
        drill,
        drill_heads: ["received", "station", "category", "state"]
            .iter()
            .map(|h| chrome.t(&format!("complaint.col.{h}")))
            .collect(),
        chrome: {
            let list = chrome.t("complaint.nav");
            chrome.crumb("/console/complaints", list)
        },
        title,
    };
    render(&page, StatusCode::OK)
}

async fn export(
    s: AppState,
    user: ConsoleUser,
    q: HashMap<String, String>,
    xlsx: bool,
) -> Response {
    let chrome = user.chrome("complaints");
    let (dim, from, to, report, names) = match load(&s, &user, &q).await {
        Ok(r) => r,
        Err(e) => return error_page(chrome, &e),
    };
    let heads = heads(&chrome, dim);
    let rows: Vec<Vec<String>> = report
        .groups
        .iter()
        .map(|(k, sm)| {
            group_cells(
                user.lang,
                group_label(&chrome, dim, k, &names, &report.rows),
                sm,
            )
        })
        .collect();
    let name = format!("complaints-{}-{from}-{to}", dim.code());
    let (body, mime, ext) = if xlsx {
        match an::xlsx(dim.code(), &heads, &rows) {
            Ok(b) => (
                b,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            ),
            Err(e) => return error_page(chrome, &e),
        }
    } else {
        (
            an::csv(&heads, &rows).into_bytes(),
            "text/csv; charset=utf-8",
            "csv",
        )
    };
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.{ext}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// `GET /console/complaints/analysis.csv`.
pub(super) async fn csv(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    export(s, user, q, false).await
}

/// `GET /console/complaints/analysis.xlsx`.
pub(super) async fn xlsx(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    export(s, user, q, true).await
}
