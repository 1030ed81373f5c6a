//! The printable monthly report (`/console/kpis/report`: HTML with print CSS; PDF
//! through the browser's print) and the CSV/XLSX exports of the same dashboard.

use super::super::form::{error_page, render, t};
use super::super::session::{ConsoleUser, grant};
use super::{asked, heading, kpi_name, show};
use crate::AppState;
use crate::console::chrome::Chrome;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::kpi::{Source, catalogue};
use domain::permission::Action;
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "kpi_report.html")]
struct ReportPage {
    chrome: Chrome,
    title: String,
    back: String,
    /// KPI, figure, previous, numerator, denominator, note.
    rows: Vec<[String; 6]>,
    /// Station, then one figure per KPI with a source.
    station_heads: Vec<String>,
    stations: Vec<Vec<String>>,
}

/// `GET /console/kpis/report`: the period's figures, the previous period's and
/// every station's, on one printable page.
pub async fn report(
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
    let a = match asked(&s, &user, &q).await {
        Ok(a) => a,
        Err(e) => return error_page(chrome, &e),
    };
    let d = match app::kpi::dashboard(&s.app, &g, a.scope, a.period).await {
        Ok(d) => d,
        Err(e) => return error_page(chrome, &e),
    };
    let rows = d
        .tiles
        .iter()
        .map(|tile| {
            let k = tile.definition.key;
            let note = match tile.definition.source {
                Source::NotYet => t(lang, "kpi.no_source"),
                _ => String::new(),
            };
            [
                kpi_name(lang, k),
                show(lang, k, tile.now.value),
                show(lang, k, tile.before.value),
                tile.now.counter.numerator.to_string(),
                tile.now.counter.denominator.to_string(),
                note,
            ]
        })
        .collect();
    let shown: Vec<_> = catalogue()
        .iter()
        .enumerate()
        .filter(|(_, d)| d.source.has_data())
        .collect();
    let mut station_heads = vec![t(lang, "book.station")];
    station_heads.extend(shown.iter().map(|(_, d)| kpi_name(lang, d.key)));
    let en = lang == crate::i18n::Lang::En;
    let stations = if matches!(a.scope, app::kpi::Scope::Station(_)) {
        Vec::new()
    } else {
        d.stations
            .iter()
            .map(|st| {
                let mut r = vec![if en {
                    st.station.name_en.clone()
                } else {
                    st.station.name_zh.clone()
                }];
                r.extend(
                    shown
                        .iter()
                        .map(|(i, def)| show(lang, def.key, st.figures[*i].value)),
                );
                r
            })
            .collect()
    };
    let title = format!(
        "{} · {} · {}",
        t(lang, "kpi.report"),
        heading(&s, lang, &user, a.scope).await,
        a.period
    );
    render(
        &ReportPage {
            chrome: chrome.crumb("/console/kpis", t(lang, "svc.kpis")),
            title,
            back: format!("/console/kpis?{}", a.query()),
            rows,
            station_heads,
            stations,
        },
        StatusCode::OK,
    )
}

#[derive(Clone, Copy)]
enum Format {
    Csv,
    Xlsx,
}

/// `GET /console/kpis/export.csv`: the dashboard's numbers as CSV.
pub async fn export_csv(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    export(s, user, q, Format::Csv).await
}

/// `GET /console/kpis/export.xlsx`: the dashboard's numbers as an XLSX workbook.
pub async fn export_xlsx(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    export(s, user, q, Format::Xlsx).await
}

async fn export(s: AppState, user: ConsoleUser, q: HashMap<String, String>, f: Format) -> Response {
    let chrome = user.chrome("kpis");
    let lang = user.lang;
    let g = match grant(&user, Action::KpiRead) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let a = match asked(&s, &user, &q).await {
        Ok(a) => a,
        Err(e) => return error_page(chrome, &e),
    };
    let d = match app::kpi::dashboard(&s.app, &g, a.scope, a.period).await {
        Ok(d) => d,
        Err(e) => return error_page(chrome, &e),
    };
    let name = |k| kpi_name(lang, k);
    let texts = app::kpi::export::Texts {
        heads: [
            "kpi.col.period",
            "kpi.col.code",
            "kpi.col.unit",
            "kpi.col.kpi_code",
            "kpi.col.kpi",
            "kpi.col.numerator",
            "kpi.col.denominator",
            "kpi.col.total",
            "kpi.col.value",
            "kpi.col.note",
        ]
        .map(|h| t(lang, h)),
        total: heading(&s, lang, &user, a.scope).await,
        no_source: t(lang, "kpi.no_source"),
        kpi_name: &name,
        english: lang == crate::i18n::Lang::En,
    };
    let (made, mime, ext) = match f {
        Format::Csv => (
            app::kpi::export::csv(&d, &texts),
            "text/csv; charset=utf-8",
            "csv",
        ),
        Format::Xlsx => (
            app::kpi::export::xlsx(&d, &texts),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    };
    match made {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, mime.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"kpi-{}.{ext}\"", d.period),
                ),
            ],
            body,
        )
            .into_response(),
        Err(e) => error_page(chrome, &e),
    }
}
