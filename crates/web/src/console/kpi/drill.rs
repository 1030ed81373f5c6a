//! The drill-down from a station's figure to the cases behind it: the orders it
//! delivered in the month (`/console/kpis/orders`), the complaints it received
//! (`/console/kpis/complaints`), the surveys finished (`/console/kpis/surveys`, behind
//! CSI and NPS) and the audit visits (`/console/kpis/audits`), each with what it
//! counted for.

use super::super::form::{error_page, render, t};
use super::super::session::{ConsoleUser, grant};
use crate::AppState;
use crate::api::kpi::parse_month;
use crate::console::chrome::Chrome;
use crate::i18n::Lang;
use app::AppError;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::kpi::YearMonth;
use domain::permission::Action;
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "kpi_drill.html")]
struct DrillPage {
    chrome: Chrome,
    title: String,
    back: String,
    heads: Vec<String>,
    rows: Vec<(String, Vec<String>)>,
    empty: String,
}

fn when(ms: Option<i64>) -> String {
    ms.and_then(|m| jiff::Timestamp::from_millisecond(m).ok())
        .map(|t| {
            domain::calendar::shanghai()
                .to_datetime(t)
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|| "—".into())
}

fn yes(lang: Lang, b: bool) -> String {
    t(lang, if b { "kpi.yes" } else { "kpi.no" })
}

fn station_month(q: &HashMap<String, String>, lang: Lang) -> Result<(i64, YearMonth), AppError> {
    let st = q
        .get("station")
        .and_then(|v| v.trim().parse::<i64>().ok())
        .ok_or(AppError::NotFound)?;
    let m = q
        .get("month")
        .and_then(|m| parse_month(m, lang).ok())
        .ok_or_else(|| AppError::Invalid(domain::Violation::new("month", "date.format").into()))?;
    Ok((st, m))
}

async fn page(
    s: &AppState,
    user: &ConsoleUser,
    st: i64,
    m: YearMonth,
    what: &str,
) -> (String, String) {
    let lang = user.lang;
    let name = super::heading(s, lang, user, app::kpi::Scope::Station(st)).await;
    (
        format!("{} · {name} · {m}", t(lang, what)),
        format!("/console/kpis?scope=station&id={st}&period={m}"),
    )
}

/// `GET /console/kpis/orders?station=&month=`: the orders behind a station's month.
pub async fn orders(
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
    let (st, m) = match station_month(&q, lang) {
        Ok(x) => x,
        Err(e) => return error_page(chrome, &e),
    };
    let cases = match app::kpi::drill::orders(&s.app, &g, st, m).await {
        Ok(c) => c,
        Err(e) => return error_page(chrome, &e),
    };
    let (title, back) = page(&s, &user, st, m, "kpi.orders").await;
    let rows = cases
        .iter()
        .map(|c| {
            (
                format!("/console/orders/{}", c.id),
                vec![
                    when(Some(c.received_at)),
                    when(Some(c.delivered_at)),
                    when(c.promised_at),
                    format!("{} {}", c.minutes, t(lang, "kpi.unit.minutes")),
                    yes(lang, c.fixed_first_time),
                    yes(lang, c.on_time),
                ],
            )
        })
        .collect();
    let heads = [
        "kpi.drill.order",
        "kpi.drill.received",
        "kpi.drill.delivered",
        "kpi.drill.promised",
        "kpi.name.mdt",
        "kpi.name.ffv",
        "kpi.name.on_time",
    ];
    drill_page(chrome, lang, (title, back), &heads, rows)
}

/// `GET /console/kpis/complaints?station=&month=`: the complaints behind a station's
/// month.
pub async fn complaints(
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
    let (st, m) = match station_month(&q, lang) {
        Ok(x) => x,
        Err(e) => return error_page(chrome, &e),
    };
    let cases = match app::kpi::drill::complaints(&s.app, &g, st, m).await {
        Ok(c) => c,
        Err(e) => return error_page(chrome, &e),
    };
    let (title, back) = page(&s, &user, st, m, "kpi.complaints").await;
    let rows = cases
        .iter()
        .map(|c| {
            (
                format!("/console/complaints/{}", c.id),
                vec![
                    when(Some(c.received_at)),
                    when(c.first_response_at),
                    when(c.first_closed_at),
                    yes(lang, c.within_1h),
                    yes(lang, c.within_2h),
                    yes(lang, c.closed_3d),
                ],
            )
        })
        .collect();
    let heads = [
        "kpi.drill.complaint",
        "kpi.drill.received",
        "kpi.drill.first_response",
        "kpi.drill.closed",
        "kpi.name.complaint_response_1h",
        "kpi.name.complaint_response_2h",
        "kpi.name.complaint_closure_3d",
    ];
    drill_page(chrome, lang, (title, back), &heads, rows)
}

fn drill_page(
    chrome: Chrome,
    lang: Lang,
    (title, back): (String, String),
    heads: &[&str],
    rows: Vec<(String, Vec<String>)>,
) -> Response {
    render(
        &DrillPage {
            chrome: chrome.crumb("/console/kpis", t(lang, "svc.kpis")),
            title,
            back,
            heads: heads.iter().map(|h| t(lang, h)).collect(),
            rows,
            empty: t(lang, "kpi.no_cases"),
        },
        StatusCode::OK,
    )
}

/// `GET /console/kpis/surveys?station=&month=`: the surveys behind a station's CSI
/// and NPS of a month, each respondent's CSI and recommend answer.
pub async fn surveys(
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
    let (st, m) = match station_month(&q, lang) {
        Ok(x) => x,
        Err(e) => return error_page(chrome, &e),
    };
    let cases = match app::kpi::drill::surveys(&s.app, &g, st, m).await {
        Ok(c) => c,
        Err(e) => return error_page(chrome, &e),
    };
    let head = page(&s, &user, st, m, "kpi.surveys").await;
    let rows = cases
        .iter()
        .map(|c| {
            let class = match c.recommend {
                Some(r) if r >= domain::survey::score::PROMOTER_FROM => "kpi.promoter",
                Some(r) if r <= domain::survey::score::DETRACTOR_TO => "kpi.detractor",
                Some(_) => "kpi.passive",
                None => "kpi.no_answer",
            };
            (
                format!("/console/surveys/{}/call", c.id),
                vec![
                    when(Some(c.answered_at)),
                    t(
                        lang,
                        &format!("kpi.via.{}", c.answered_via.as_deref().unwrap_or("owner")),
                    ),
                    c.csi
                        .map(|v| format!("{v:.1}"))
                        .unwrap_or_else(|| "—".into()),
                    c.recommend
                        .map(|r| r.to_string())
                        .unwrap_or_else(|| "—".into()),
                    t(lang, class),
                ],
            )
        })
        .collect();
    let heads = [
        "kpi.drill.survey",
        "kpi.drill.answered",
        "kpi.drill.via",
        "kpi.name.csi",
        "kpi.drill.recommend",
        "kpi.name.nps",
    ];
    drill_page(chrome, lang, head, &heads, rows)
}

/// `GET /console/kpis/audits?station=&month=`: the audit visits behind a station's
/// compliance of a month.
pub async fn audits(
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
    let (st, m) = match station_month(&q, lang) {
        Ok(x) => x,
        Err(e) => return error_page(chrome, &e),
    };
    let cases = match app::kpi::drill::audits(&s.app, &g, st, m).await {
        Ok(c) => c,
        Err(e) => return error_page(chrome, &e),
    };
    let head = page(&s, &user, st, m, "kpi.audits").await;
    let rows = cases
        .iter()
        .map(|c| {
            let applicable = c.passed + c.failed;
            let rate = if applicable > 0 {
                format!("{:.1}%", c.passed as f64 * 100.0 / applicable as f64)
            } else {
                "—".into()
            };
            (
                format!("/console/quality-audits/{}", c.id),
                vec![
                    c.visited_on.clone(),
                    c.passed.to_string(),
                    applicable.to_string(),
                    rate,
                ],
            )
        })
        .collect();
    let heads = [
        "kpi.drill.visit",
        "kpi.drill.visited_on",
        "kpi.drill.passed",
        "kpi.drill.applicable",
        "kpi.name.audit_compliance",
    ];
    drill_page(chrome, lang, head, &heads, rows)
}
