//! The KPI dashboards (`/console/kpis`, the entry; SPEC §12): the network, a region
//! or a station for a month or a quarter — one tile per KPI of the catalogue with
//! its trend against the period before, the 12-month trend line and the map of
//! stations coloured by a chosen KPI, the best and worst stations, links down to the
//! orders and complaints behind a station's month ([`drill`]), the printable monthly
//! report and the CSV/XLSX exports ([`report`]). Every number comes from
//! `app::kpi::dashboard`, the same as the API's.

pub mod chart;
pub mod drill;
pub mod report;
pub mod stars;

use super::form::{error_page, render, t};
use super::session::{ConsoleUser, grant};
use crate::AppState;
use crate::console::appointment::pick_station;
use crate::console::chrome::Chrome;
use crate::console::select::SearchSelect;
use crate::i18n::Lang;
use app::AppError;
use app::kpi::{Dashboard, Figure, Scope, StationFigures, Trend};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use chart::{CLASS_COLOURS, MapPoint, NO_DATA};
use domain::kpi::{Direction, KpiKey, Period, Source, Unit, catalogue};
use domain::permission::{Action, Unit as OrgUnit};
use std::collections::HashMap;

/// Routes of these pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/kpis", get(dashboard_page))
        .route("/console/kpis/report", get(report::report))
        .route("/console/kpis/export.csv", get(report::export_csv))
        .route("/console/kpis/export.xlsx", get(report::export_xlsx))
        .route("/console/kpis/orders", get(drill::orders))
        .route("/console/kpis/complaints", get(drill::complaints))
        .route("/console/kpis/surveys", get(drill::surveys))
        .route("/console/kpis/stars", get(stars::page).post(stars::publish))
        .route("/console/kpis/audits", get(drill::audits))
}

/// A KPI's translated name.
pub fn kpi_name(lang: Lang, k: KpiKey) -> String {
    t(lang, &k.name_key())
}

/// A figure in its KPI's unit, "—" when there is none.
pub fn show(lang: Lang, k: KpiKey, v: Option<f64>) -> String {
    match (v, k.definition().unit) {
        (None, _) => "—".into(),
        (Some(v), Unit::Percent) => format!("{v:.1}%"),
        (Some(v), Unit::Minutes) => format!("{v:.0} {}", t(lang, "kpi.unit.minutes")),
        (Some(v), Unit::Points) => format!("{v:.1}"),
        (Some(v), Unit::NetScore) => format!("{v:+.1}"),
    }
}

/// What the dashboard was asked for.
pub struct Asked {
    /// Whose figures.
    pub scope: Scope,
    /// Which period.
    pub period: Period,
    /// The KPI of the trend, the map and the ranking.
    pub kpi: KpiKey,
}

impl Asked {
    /// The query string that asks for the same again (links, exports, report).
    pub fn query(&self) -> String {
        let (scope, id) = match self.scope {
            Scope::Network => ("network", String::new()),
            Scope::Region(r) => ("region", r.to_string()),
            Scope::Station(s) => ("station", s.to_string()),
        };
        format!(
            "scope={scope}&id={id}&period={}&kpi={}",
            self.period,
            self.kpi.code()
        )
    }
}

/// Reads the query: `scope` + `id` (or the older `station`), `period` (or the older
/// `month`; default this month) and `kpi` (default first-time fix). A station user
/// always sees the own station.
pub async fn asked(
    s: &AppState,
    user: &ConsoleUser,
    q: &HashMap<String, String>,
) -> Result<Asked, AppError> {
    let id = |k: &str| q.get(k).and_then(|v| v.trim().parse::<i64>().ok());
    let own = app::repair_order::view::station_of(&user.session.principal);
    // Links send `scope` + `id`; the filter form sends `station` and `region` (empty
    // for all): a station chosen wins over a region, a region over the network.
    let scope = match (own, q.get("scope").map(String::as_str)) {
        (Some(st), _) => Scope::Station(st),
        (None, Some("station")) => Scope::Station(id("id").ok_or(AppError::NotFound)?),
        (None, Some("region")) => Scope::Region(id("id").ok_or(AppError::NotFound)?),
        (None, Some("network")) => Scope::Network,
        (None, Some(_)) => {
            return Err(AppError::Invalid(
                domain::Violation::new("scope", "kpi.scope_unknown").into(),
            ));
        }
        (None, None) => match (id("station"), id("region")) {
            (Some(st), _) => Scope::Station(st),
            (None, Some(r)) => Scope::Region(r),
            (None, None) => Scope::Network,
        },
    };
    let text = q
        .get("period")
        .or_else(|| q.get("month"))
        .map(|p| p.trim())
        .filter(|p| !p.is_empty());
    let period = match text {
        Some(p) => app::kpi::parse_period(&s.app, p)?,
        None => Period::Month(app::kpi::current_month(&s.app)),
    };
    let kpi = q
        .get("kpi")
        .and_then(|k| KpiKey::from_code(k))
        .unwrap_or(KpiKey::FirstTimeFix);
    Ok(Asked { scope, period, kpi })
}

/// A tile as the page shows it.
struct TileView {
    code: &'static str,
    name: String,
    value: String,
    before: String,
    arrow: &'static str,
    class: &'static str,
    note: Option<String>,
    count: String,
    href: Option<String>,
}

/// A line of the ranking.
struct RankRow {
    rank: usize,
    name: String,
    href: String,
    value: String,
    count: String,
}

#[derive(Template)]
#[template(path = "kpi.html")]
struct KpiPage {
    chrome: Chrome,
    title: String,
    heading: String,
    period: String,
    query: String,
    head_office: bool,
    station_select: Option<SearchSelect>,
    regions: Vec<(i64, String, bool)>,
    kpis: Vec<(&'static str, String, bool)>,
    tiles: Vec<TileView>,
    kpi_name: String,
    trend_svg: String,
    trend_rows: Vec<(String, String)>,
    map_svg: String,
    show_ranking: bool,
    /// (title, id, rows): the best and the worst stations.
    rankings: Vec<(String, &'static str, Vec<RankRow>)>,
    unranked: usize,
    /// A station's stars quarter by quarter (its dashboard only), newest first.
    stars: Option<Vec<stars::StarLine>>,
}

fn figure_of(f: &[Figure], k: KpiKey) -> Option<&Figure> {
    f.iter().find(|x| x.kpi == k.code())
}

/// The drill-down behind a station's month for a KPI, if it has one.
pub fn drill_href(k: KpiKey, station: i64, period: Period) -> Option<String> {
    let Period::Month(m) = period else {
        return None;
    };
    match k.definition().source {
        Source::RepairOrders => Some(format!("/console/kpis/orders?station={station}&month={m}")),
        Source::Complaints => Some(format!(
            "/console/kpis/complaints?station={station}&month={m}"
        )),
        Source::Survey => Some(format!("/console/kpis/surveys?station={station}&month={m}")),
        Source::QualityAudits => Some(format!("/console/kpis/audits?station={station}&month={m}")),
        Source::NotYet => None,
    }
}

fn tiles(lang: Lang, d: &Dashboard, a: &Asked) -> Vec<TileView> {
    d.tiles
        .iter()
        .map(|tile| {
            let k = tile.definition.key;
            let (arrow, class) = match (tile.trend, tile.better) {
                (Trend::Up, Some(true)) => ("▲", "better"),
                (Trend::Up, _) => ("▲", "worse"),
                (Trend::Down, Some(true)) => ("▼", "better"),
                (Trend::Down, _) => ("▼", "worse"),
                (Trend::Flat, _) => ("→", ""),
                (Trend::Unknown, _) => ("", ""),
            };
            let note = match tile.definition.source {
                Source::NotYet => Some(t(lang, "kpi.no_source")),
                Source::Survey if tile.now.value.is_none() => Some(t(lang, "kpi.survey_pending")),
                _ if tile.now.value.is_none() => Some(t(lang, "kpi.no_cases")),
                _ => None,
            };
            let href = match a.scope {
                Scope::Station(st) if tile.now.counter.denominator > 0 => {
                    drill_href(k, st, a.period)
                }
                _ => None,
            };
            TileView {
                code: k.code(),
                name: kpi_name(lang, k),
                value: show(lang, k, tile.now.value),
                before: show(lang, k, tile.before.value),
                arrow,
                class,
                note,
                count: tile.now.counter.denominator.to_string(),
                href,
            }
        })
        .collect()
}

/// The colour class (0 worst … 4 best) of each value by the quintiles of all values.
fn classes(values: &[Option<f64>], dir: Direction) -> Vec<Option<usize>> {
    let mut sorted: Vec<f64> = values.iter().flatten().copied().collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    values
        .iter()
        .map(|v| {
            let v = (*v)?;
            let below = sorted.partition_point(|x| *x < v);
            let c = (below * 5 / n.max(1)).min(4);
            Some(match dir {
                Direction::HigherIsBetter => c,
                Direction::LowerIsBetter => 4 - c,
            })
        })
        .collect()
}

fn station_label(lang: Lang, st: &StationFigures) -> String {
    match lang {
        Lang::ZhCn => st.station.name_zh.clone(),
        Lang::En => st.station.name_en.clone(),
    }
}

fn ranking(lang: Lang, d: &Dashboard, a: &Asked) -> (Vec<RankRow>, Vec<RankRow>, usize) {
    let k = a.kpi;
    let mut ranked: Vec<(&StationFigures, f64, i64)> = d
        .stations
        .iter()
        .filter_map(|st| {
            let f = figure_of(&st.figures, k)?;
            Some((st, f.value?, f.counter.denominator))
        })
        .collect();
    let unranked = d.stations.len() - ranked.len();
    let better_first = k.definition().direction == Direction::HigherIsBetter;
    ranked.sort_by(|x, y| {
        let o = x.1.total_cmp(&y.1);
        (if better_first { o.reverse() } else { o }).then(y.2.cmp(&x.2))
    });
    let row = |i: usize, (st, v, n): &(&StationFigures, f64, i64)| RankRow {
        rank: i + 1,
        name: station_label(lang, st),
        href: format!(
            "/console/kpis?scope=station&id={}&period={}&kpi={}",
            st.station.id,
            a.period,
            k.code()
        ),
        value: show(lang, k, Some(*v)),
        count: n.to_string(),
    };
    let n = ranked.len();
    let best = ranked
        .iter()
        .take(5)
        .enumerate()
        .map(|(i, x)| row(i, x))
        .collect();
    let worst = ranked
        .iter()
        .enumerate()
        .skip(n.saturating_sub(5).max(5.min(n)))
        .rev()
        .map(|(i, x)| row(i, x))
        .collect();
    (best, worst, unranked)
}

fn map(lang: Lang, d: &Dashboard, a: &Asked) -> String {
    let k = a.kpi;
    let values: Vec<Option<f64>> = d
        .stations
        .iter()
        .map(|st| figure_of(&st.figures, k).and_then(|f| f.value))
        .collect();
    let cls = classes(&values, k.definition().direction);
    let points: Vec<MapPoint> = d
        .stations
        .iter()
        .zip(values.iter().zip(&cls))
        .map(|(st, (v, c))| MapPoint {
            lon: st.station.lon,
            lat: st.station.lat,
            class: *c,
            label: format!("{}: {}", station_label(lang, st), show(lang, k, *v)),
            href: format!(
                "/console/kpis?scope=station&id={}&period={}&kpi={}",
                st.station.id,
                a.period,
                k.code()
            ),
        })
        .collect();
    let with = values.iter().flatten().count();
    let alt = t(lang, "kpi.map_alt")
        .replace("{kpi}", &kpi_name(lang, k))
        .replace("{n}", &points.len().to_string())
        .replace("{with}", &with.to_string());
    let legend = vec![
        (t(lang, "kpi.legend.worst"), CLASS_COLOURS[0]),
        (t(lang, "kpi.legend.middle"), CLASS_COLOURS[2]),
        (t(lang, "kpi.legend.best"), CLASS_COLOURS[4]),
        (t(lang, "kpi.legend.none"), NO_DATA),
    ];
    chart::station_map(&points, &alt, &legend)
}

/// The heading of a scope: the network, the region's or the station's name.
pub async fn heading(s: &AppState, lang: Lang, user: &ConsoleUser, scope: Scope) -> String {
    let en = lang == Lang::En;
    let ids: Vec<i64> = match scope {
        Scope::Station(st) => vec![st],
        _ => Vec::new(),
    };
    let names = app::network::unit_names(&s.app, &ids).await.ok();
    match scope {
        Scope::Network => match user.session.principal.unit {
            OrgUnit::Region(r) => names.map(|n| n.region(r.0, en)).unwrap_or_default(),
            _ => t(lang, "kpi.rollup_network"),
        },
        Scope::Region(r) => names.map(|n| n.region(r, en)).unwrap_or_default(),
        Scope::Station(st) => names.map(|n| n.station(st, en)).unwrap_or_default(),
    }
}

async fn dashboard_page(
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
    let asked_station = match a.scope {
        Scope::Station(st) => Some(st),
        _ => None,
    };
    let (mut station_select, _) = pick_station(&s, &user, &g, asked_station).await;
    if let Some(sel) = station_select.as_mut() {
        // Every station (the region's or the network's figures) is the first choice.
        sel.empty = Some(t(lang, "kpi.all_stations"));
        sel.selected = asked_station.map(|x| x.to_string()).unwrap_or_default();
    }
    let head_office = matches!(user.session.principal.unit, OrgUnit::HeadOffice);
    let en = lang == Lang::En;
    let mut regions: Vec<(i64, String, bool)> = Vec::new();
    if head_office && let Ok(names) = app::network::unit_names(&s.app, &[]).await {
        let all = app::kpi::dashboard(&s.app, &g, Scope::Network, a.period).await;
        let mut ids: Vec<i64> = all
            .map(|x| x.stations.iter().map(|st| st.station.region_id).collect())
            .unwrap_or_default();
        ids.sort_unstable();
        ids.dedup();
        regions = ids
            .into_iter()
            .map(|r| (r, names.region(r, en), a.scope == Scope::Region(r)))
            .collect();
    }
    let k = a.kpi;
    let trend_points: Vec<(String, Option<f64>, String)> = d
        .trend
        .iter()
        .map(|m| {
            let v = figure_of(&m.figures, k).and_then(|f| f.value);
            (m.month.clone(), v, show(lang, k, v))
        })
        .collect();
    let alt = format!(
        "{}: {}",
        kpi_name(lang, k),
        trend_points
            .iter()
            .map(|p| format!("{} {}", p.0, p.2))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let trend_svg = chart::trend_line("kpi-trend", &trend_points, &alt);
    let (best, worst, unranked) = ranking(lang, &d, &a);
    let show_ranking = !matches!(a.scope, Scope::Station(_));
    let stars = match a.scope {
        Scope::Station(st) => app::kpi::stars::history(&s.app, &g, st)
            .await
            .ok()
            .map(|rows| stars::history_rows(lang, &rows)),
        _ => None,
    };
    let page = KpiPage {
        stars,
        title: t(lang, "svc.kpis"),
        heading: heading(&s, lang, &user, a.scope).await,
        period: a.period.to_string(),
        query: a.query(),
        head_office,
        station_select,
        regions,
        kpis: catalogue()
            .iter()
            .filter(|d| d.source != Source::NotYet)
            .map(|d| (d.key.code(), kpi_name(lang, d.key), d.key == k))
            .collect(),
        tiles: tiles(lang, &d, &a),
        kpi_name: kpi_name(lang, k),
        trend_svg,
        trend_rows: trend_points.into_iter().map(|p| (p.0, p.2)).collect(),
        map_svg: if show_ranking {
            map(lang, &d, &a)
        } else {
            String::new()
        },
        show_ranking,
        rankings: vec![
            (t(lang, "kpi.best"), "best", best),
            (t(lang, "kpi.worst"), "worst", worst),
        ],
        unranked,
        chrome: chrome.crumb("/console/kpis", t(lang, "svc.kpis")),
    };
    render(&page, StatusCode::OK)
}
