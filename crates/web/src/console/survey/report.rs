//! The month's CSI and NPS per network, region and station, each with its sample
//! size and 95 % interval; stations with too few answers are tagged and not ranked;
//! the importance–performance quadrant is drawn as server-side SVG (no script).

use super::super::form::{error_page, render};
use super::super::session::ConsoleUser;
use crate::AppState;
use crate::i18n::Lang;
use app::survey::report::UnitFigures;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::survey::Factor;
use domain::survey::importance::Point;
use std::collections::HashMap;

/// A row of figures in the page's language.
pub struct FigRow {
    /// Name.
    pub name: String,
    /// Rank or "".
    pub rank: String,
    /// CSI value.
    pub csi: String,
    /// CSI interval.
    pub csi_ci: String,
    /// NPS value.
    pub nps: String,
    /// NPS interval.
    pub nps_ci: String,
    /// Sample size.
    pub n: String,
    /// Factor scores in `Factor::ALL` order.
    pub factors: Vec<String>,
    /// Too few answers.
    pub not_ranked: bool,
}

/// The report page.
#[derive(askama::Template)]
#[template(path = "survey_report.html")]
pub struct ReportPage {
    /// Frame.
    pub chrome: super::super::Chrome,
    /// Heading (also the window title).
    pub title: String,
    /// `YYYY-MM`.
    pub month: String,
    /// Factor headings.
    pub factor_heads: Vec<String>,
    /// Network row.
    pub network: FigRow,
    /// Region rows.
    pub regions: Vec<FigRow>,
    /// Station rows.
    pub stations: Vec<FigRow>,
    /// The quadrant chart, SVG built here with every text escaped.
    pub ipa_svg: String,
    /// The minimum sample sentence.
    pub min_sample: String,
}

fn one(v: f64) -> String {
    format!("{v:.1}")
}

fn row(u: &UnitFigures, lang: Lang) -> FigRow {
    FigRow {
        name: if lang == Lang::En && !u.name_en.is_empty() {
            u.name_en.clone()
        } else {
            u.name_zh.clone()
        },
        rank: u.rank.map(|r| r.to_string()).unwrap_or_default(),
        csi: u.csi.map(|c| one(c.value)).unwrap_or_else(|| "—".into()),
        csi_ci: u
            .csi
            .map(|c| format!("{}–{}", one(c.low), one(c.high)))
            .unwrap_or_default(),
        nps: u
            .nps
            .map(|c| format!("{:+.0}", c.value))
            .unwrap_or_else(|| "—".into()),
        nps_ci: u
            .nps
            .map(|c| format!("{:+.0}…{:+.0}", c.low, c.high))
            .unwrap_or_default(),
        n: u.csi.map(|c| c.n).unwrap_or(0).to_string(),
        factors: Factor::ALL
            .iter()
            .map(|f| {
                u.factors
                    .get(f)
                    .map(|v| one(*v))
                    .unwrap_or_else(|| "—".into())
            })
            .collect(),
        not_ranked: !u.ranked,
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The quadrant chart: x importance (−1…1 scaled to the points), y performance
/// (0–100), dashed lines at the means, one labelled dot per question.
pub fn ipa_svg(
    points: &[Point],
    label: &dyn Fn(&str) -> String,
    axis_x: &str,
    axis_y: &str,
) -> String {
    let (w, h, pad) = (600.0_f64, 360.0_f64, 48.0_f64);
    if points.is_empty() {
        return String::new();
    }
    let imin = points
        .iter()
        .map(|p| p.importance)
        .fold(f64::INFINITY, f64::min)
        .min(0.0);
    let imax = points
        .iter()
        .map(|p| p.importance)
        .fold(f64::NEG_INFINITY, f64::max)
        .max(imin + 0.1);
    let x = |i: f64| pad + (i - imin) / (imax - imin) * (w - 2.0 * pad);
    let y = |p: f64| h - pad - p / 100.0 * (h - 2.0 * pad);
    let k = points.len() as f64;
    let mi = points.iter().map(|p| p.importance).sum::<f64>() / k;
    let mp = points.iter().map(|p| p.performance).sum::<f64>() / k;
    let mut s = format!(
        "<svg class=\"ipa\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">",
        esc(axis_x)
    );
    s.push_str(&format!(
        "<rect x=\"{pad}\" y=\"{pad}\" width=\"{}\" height=\"{}\" fill=\"#fafbfc\" stroke=\"#c5ccd6\"/>",
        w - 2.0 * pad,
        h - 2.0 * pad
    ));
    s.push_str(&format!(
        "<line x1=\"{0:.1}\" y1=\"{pad}\" x2=\"{0:.1}\" y2=\"{1:.1}\" stroke=\"#8a94a3\" stroke-dasharray=\"4 3\"/>",
        x(mi),
        h - pad
    ));
    s.push_str(&format!(
        "<line x1=\"{pad}\" y1=\"{0:.1}\" x2=\"{1:.1}\" y2=\"{0:.1}\" stroke=\"#8a94a3\" stroke-dasharray=\"4 3\"/>",
        y(mp),
        w - pad
    ));
    for p in points {
        let color = match p.quadrant {
            domain::survey::importance::Quadrant::Concentrate => "#c62828",
            domain::survey::importance::Quadrant::KeepUp => "#2e7d32",
            domain::survey::importance::Quadrant::Overkill => "#1d5fbf",
            domain::survey::importance::Quadrant::LowPriority => "#8a94a3",
        };
        s.push_str(&format!(
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"{color}\"><title>{}</title></circle><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            x(p.importance),
            y(p.performance),
            esc(&format!("{} · {:.2} · {:.1}", label(&p.key), p.importance, p.performance)),
            x(p.importance) + 7.0,
            y(p.performance) + 4.0,
            esc(&label(&p.key).chars().take(10).collect::<String>()),
        ));
    }
    s.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text><text x=\"12\" y=\"{:.1}\" transform=\"rotate(-90 12 {:.1})\" text-anchor=\"middle\">{}</text></svg>",
        w / 2.0,
        h - 12.0,
        esc(axis_x),
        h / 2.0,
        h / 2.0,
        esc(axis_y)
    ));
    s
}

/// `GET /console/survey-report?month=YYYY-MM` (default: the current month).
pub async fn page(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let chrome = user.chrome("surveys");
    let Ok(grant) = user.session.principal.grant(app::survey::READ) else {
        return error_page(chrome, &app::AppError::Forbidden);
    };
    let month = q
        .get("month")
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| {
            jiff::Timestamp::from_millisecond(s.app.now_ms())
                .map(|t| {
                    domain::survey::Month::of(t.to_zoned(domain::calendar::shanghai()).date())
                        .to_string()
                })
                .unwrap_or_default()
        });
    let r = match app::survey::report::month(&s.app, &grant, &month).await {
        Ok(r) => r,
        Err(e) => return error_page(chrome, &e),
    };
    let lang = chrome.lang;
    let q = app::survey::current(&s.app, &grant).await.ok();
    let label = |key: &str| -> String {
        q.as_ref()
            .and_then(|q| q.question(key))
            .map(|x| {
                if lang == Lang::En {
                    x.text_en.clone()
                } else {
                    x.text_zh.clone()
                }
            })
            .unwrap_or_else(|| key.to_string())
    };
    let ipa_svg = ipa_svg(
        &r.importance,
        &label,
        &chrome.t("survey.importance"),
        &chrome.t("survey.performance"),
    );
    let page = ReportPage {
        title: chrome.t("survey.report.title"),
        month: r.month.clone(),
        factor_heads: Factor::ALL
            .iter()
            .map(|f| chrome.t(&format!("survey.factor.{}", f.code())))
            .collect(),
        network: row(&r.network, lang),
        regions: r.regions.iter().map(|u| row(u, lang)).collect(),
        stations: r.stations.iter().map(|u| row(u, lang)).collect(),
        ipa_svg,
        min_sample: chrome
            .t("survey.min_sample")
            .replace("{n}", &r.min_sample.to_string()),
        chrome,
    };
    render(&page, StatusCode::OK)
}
