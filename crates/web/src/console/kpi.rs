//! KPIs per station and month with a server-rendered SVG chart; the station is picked
//! by name or code (searchable select), with the region's or network's roll-up.

use super::form::{error_page, render, t};
use super::session::ConsoleUser;
use crate::AppState;
use crate::api::kpi::{parse_month, this_month};
use crate::console::appointment::{pick_station, station_name};
use crate::console::chrome::Chrome;
use crate::console::select::SearchSelect;
use crate::console::session::grant;
use app::AppError;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use domain::kpi::{Rate, StationMonth, YearMonth};
use domain::permission::Action;
use std::collections::HashMap;

/// Routes of these pages.
pub fn router() -> Router<AppState> {
    Router::new().route("/console/kpis", get(kpis))
}

/// A bar chart of the three rates (0–100 %), server-rendered SVG. Its text
/// alternative (`aria-label` and `<title>`) lists every bar with its value, so a
/// screen reader reads the figures the picture shows.
pub fn kpi_chart(bars: &[(String, Option<f64>)]) -> String {
    let w = 120 * bars.len() as i64 + 40;
    let alt = bars
        .iter()
        .map(|(label, pct)| {
            let v = pct
                .map(|p| format!("{p:.1}%"))
                .unwrap_or_else(|| "–".into());
            format!("{label}: {v}")
        })
        .collect::<Vec<_>>()
        .join("; ");
    let alt = askama_escape(&alt);
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="240" viewBox="0 0 {w} 240" role="img" id="kpi-chart" aria-label="{alt}"><title>{alt}</title>"#
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

/// The KPI page: a station picked by name or code (searchable), its month, and the
/// roll-up of every station within reach (the region for a regional manager, the
/// network for head office).
#[derive(Template)]
#[template(path = "kpi.html")]
struct KpiPage {
    chrome: Chrome,
    title: String,
    station_select: Option<SearchSelect>,
    station_id: i64,
    month: String,
    headers: Vec<String>,
    rows: Vec<(String, Vec<String>)>,
    chart: String,
}

fn rate(r: &Rate) -> String {
    r.percent()
        .map(|p| format!("{p:.1}% ({}/{})", r.numerator, r.denominator))
        .unwrap_or_else(|| "–".into())
}

fn cells(month: YearMonth, k: &StationMonth) -> Vec<String> {
    vec![
        month.to_string(),
        k.delivered.to_string(),
        rate(&k.first_time_fix),
        k.mean_repair_minutes
            .map(|m| format!("{m} min"))
            .unwrap_or_else(|| "–".into()),
        rate(&k.on_time_delivery),
    ]
}

/// Most stations the roll-up reads.
const MAX_ROLLUP: usize = 200;

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
    let asked = q.get("station").and_then(|v| v.trim().parse::<i64>().ok());
    let (station_select, station) = pick_station(&s, &user, &g, asked).await;
    let Some(station) = station else {
        return error_page(chrome, &AppError::NotFound);
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
    let k = match app::kpi::station_kpis(&s.app, &g, station, month).await {
        Ok(k) => k,
        Err(e) => return error_page(chrome, &e),
    };
    let name = app::appointment::view::stations(&s.app, &g, None, None, None, MAX_ROLLUP)
        .await
        .unwrap_or_default();
    let label = |id: i64| {
        name.iter()
            .find(|st| st.id == id)
            .map(|st| station_name(lang, st))
            .unwrap_or_default()
    };
    let mut rows = vec![(label(station), cells(month, &k))];
    // The roll-up: every station within reach, rates summed over their counts.
    if station_select.is_some() && name.len() > 1 {
        let mut sum = StationMonth {
            station: String::new(),
            month,
            delivered: 0,
            first_time_fix: Rate::default(),
            mean_repair_minutes: None,
            on_time_delivery: Rate::default(),
        };
        let mut minutes = 0i64;
        let mut timed = 0i64;
        for st in &name {
            if let Ok(x) = app::kpi::station_kpis(&s.app, &g, st.id, month).await {
                sum.delivered += x.delivered;
                sum.first_time_fix.numerator += x.first_time_fix.numerator;
                sum.first_time_fix.denominator += x.first_time_fix.denominator;
                sum.on_time_delivery.numerator += x.on_time_delivery.numerator;
                sum.on_time_delivery.denominator += x.on_time_delivery.denominator;
                if let Some(m) = x.mean_repair_minutes {
                    let n = i64::try_from(x.delivered).unwrap_or(0).max(1);
                    minutes += m * n;
                    timed += n;
                }
            }
        }
        sum.mean_repair_minutes = (timed > 0).then(|| minutes / timed);
        let scope = match user.session.principal.unit {
            domain::permission::Unit::Region(_) => "kpi.rollup_region",
            _ => "kpi.rollup_network",
        };
        rows.push((
            format!("{} ({})", t(lang, scope), name.len()),
            cells(month, &sum),
        ));
    }
    let chart = kpi_chart(&[
        (t(lang, "svc.kpi.ffv"), k.first_time_fix.percent()),
        (t(lang, "svc.kpi.on_time"), k.on_time_delivery.percent()),
    ]);
    let page = KpiPage {
        chrome: chrome.crumb("/console/kpis", t(lang, "svc.kpis")),
        title: t(lang, "svc.kpis"),
        station_select,
        station_id: station,
        month: month.to_string(),
        headers: [
            "book.station",
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
        chart,
    };
    render(&page, StatusCode::OK)
}
