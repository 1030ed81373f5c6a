//! KPIs per station and month with a server-rendered SVG chart.

use super::form::{error_page, render, t};
use super::session::ConsoleUser;
use crate::AppState;
use crate::api::kpi::{parse_month, this_month};
use crate::console::session::grant;
use crate::console::table::{Filter, TRow, TablePage, station_needed, station_param};
use app::AppError;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
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
    let k = match app::kpi::station_kpis(&s.app, &g, station, month).await {
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
