//! The KPI engine's use cases (SPEC §12): figures of a station, a region or the
//! network for a month or a quarter, read from the monthly counters
//! (`store::kpi`), which [`record`] keeps in step with deliveries, comebacks and
//! complaints in their own transactions; the dashboards' tiles, trends and rankings
//! ([`dashboard`]); a month's rebuild from the raw rows; and the station stars
//! ([`stars`]).

pub mod drill;
pub mod export;
pub mod record;
pub mod stars;

use std::collections::BTreeMap;

use crate::network::expect;
use crate::{App, AppError, AppResult, conn};
use domain::ids::{RegionId, StationId};
use domain::kpi::{Counter, Definition, KpiKey, Period, Rate, StationMonth, YearMonth, catalogue};
use domain::permission::{Action, Grant, Reach};
use serde::Serialize;
pub use store::kpi::StationPoint;

/// Whose figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Scope {
    /// Every station within the caller's reach (the network for head office).
    Network,
    /// One region.
    Region(i64),
    /// One station.
    Station(i64),
}

/// The stores' reach for `scope`, refused when it is outside the grant's: a station
/// user sees its station, a regional manager its region and its stations.
async fn reach_of(app: &App, grant: &Grant, scope: Scope) -> AppResult<Reach> {
    let own = *grant.reach();
    Ok(match (scope, &own) {
        (Scope::Network, _) => own,
        (Scope::Region(r), Reach::All) => Reach::Region(RegionId(r)),
        (Scope::Region(r), Reach::Region(o)) if o.get() == r => own,
        (Scope::Region(_), _) => return Err(AppError::NotFound),
        (Scope::Station(s), _) => {
            let mut c = conn(app).await?;
            store::network::station(&mut c, &own, s).await?;
            Reach::Station(StationId(s))
        }
    })
}

/// Today's month in Shanghai (head office's zone), the newest month a figure can
/// be asked for.
pub fn current_month(app: &App) -> YearMonth {
    domain::kpi::order::month_of(app.clock.now(), &domain::calendar::shanghai())
}

/// Parses a period (`YYYY-MM` or `YYYYQn`) asked for, refusing a malformed one or one
/// in the future with 422 naming `period`.
pub fn parse_period(app: &App, text: &str) -> AppResult<Period> {
    let today = domain::calendar::shanghai()
        .to_datetime(app.clock.now())
        .date();
    Period::parse(text, today).map_err(|e| {
        // A period still to come depends on the clock, not on the text: 409.
        let future = matches!(e, domain::kpi::KpiError::PeriodInFuture(_));
        let v = domain::Violation::from(e).into();
        if future {
            AppError::Refused(v)
        } else {
            AppError::Invalid(v)
        }
    })
}

fn span(months: &[YearMonth]) -> (String, String) {
    let first = months.first().map(|m| m.to_string()).unwrap_or_default();
    let last = months.last().map(|m| m.to_string()).unwrap_or_default();
    (first, last)
}

/// One KPI's counter and figure.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Figure {
    /// KPI code.
    pub kpi: String,
    /// Summed counts.
    #[schema(value_type = Object)]
    pub counter: Counter,
    /// The figure in the KPI's unit; absent when nothing was counted or the KPI has
    /// no data source yet.
    pub value: Option<f64>,
}

impl Figure {
    fn of(key: KpiKey, counter: Counter) -> Figure {
        Figure {
            kpi: key.code().to_string(),
            counter,
            value: key.value(&counter),
        }
    }
}

/// How a figure moved against the period before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    /// Higher than before.
    Up,
    /// Lower than before.
    Down,
    /// The same.
    Flat,
    /// No figure now or before.
    Unknown,
}

/// A dashboard tile: a KPI's figure with the previous period's and the direction.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Tile {
    /// The KPI's definition.
    #[schema(value_type = Object)]
    pub definition: Definition,
    /// This period.
    pub now: Figure,
    /// The period before.
    pub before: Figure,
    /// Up, down, flat.
    pub trend: Trend,
    /// Whether the move is for the better (by the KPI's direction); absent when flat
    /// or unknown.
    pub better: Option<bool>,
}

/// One month of the trend: every KPI's figure.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrendMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// One figure per KPI of the catalogue.
    pub figures: Vec<Figure>,
}

/// One station's figures over the period (rankings, map).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StationFigures {
    /// The station.
    #[schema(value_type = Object)]
    pub station: StationPoint,
    /// One figure per KPI of the catalogue.
    pub figures: Vec<Figure>,
}

/// Everything a dashboard shows, the same numbers as the exports and the report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    /// Whose figures.
    #[schema(value_type = Object)]
    pub scope: Scope,
    /// The period, `YYYY-MM` or `YYYYQn`.
    pub period: String,
    /// One tile per KPI of the catalogue.
    pub tiles: Vec<Tile>,
    /// The 12 months ending with the period's last, oldest first.
    pub trend: Vec<TrendMonth>,
    /// Every station in scope with its figures over the period, by id.
    pub stations: Vec<StationFigures>,
}

fn by_key(rows: &[store::kpi::CounterRow]) -> BTreeMap<(String, KpiKey), Counter> {
    let mut out = BTreeMap::new();
    for r in rows {
        if let Some(k) = KpiKey::from_code(&r.kpi) {
            let e: &mut Counter = out.entry((r.month.clone(), k)).or_default();
            *e = *e
                + Counter {
                    numerator: r.numerator,
                    denominator: r.denominator,
                    total: r.total,
                };
        }
    }
    out
}

fn figures_of(counters: &BTreeMap<KpiKey, Counter>) -> Vec<Figure> {
    catalogue()
        .iter()
        .map(|d| Figure::of(d.key, counters.get(&d.key).copied().unwrap_or_default()))
        .collect()
}

fn sum_period(
    all: &BTreeMap<(String, KpiKey), Counter>,
    months: &[YearMonth],
) -> BTreeMap<KpiKey, Counter> {
    let mut out: BTreeMap<KpiKey, Counter> = BTreeMap::new();
    for m in months {
        let m = m.to_string();
        for ((month, k), c) in all {
            if *month == m {
                let e = out.entry(*k).or_default();
                *e = *e + *c;
            }
        }
    }
    out
}

/// The summed counters of `scope` per KPI for `period` (no authorisation: for the
/// use cases here and the stars batch).
pub(crate) async fn counters(
    c: &mut sqlx::AnyConnection,
    reach: &Reach,
    period: Period,
) -> AppResult<BTreeMap<KpiKey, Counter>> {
    let months = period.months();
    let (from, to) = span(&months);
    let rows = store::kpi::totals(c, reach, &from, &to).await?;
    Ok(sum_period(&by_key(&rows), &months))
}

/// Every KPI's figure for `scope` and `period` (the API's and the exports' numbers).
/// Needs `KpiRead` within reach.
pub async fn figures(
    app: &App,
    grant: &Grant,
    scope: Scope,
    period: Period,
) -> AppResult<Vec<Figure>> {
    expect(grant, Action::KpiRead)?;
    let reach = reach_of(app, grant, scope).await?;
    let mut c = conn(app).await?;
    Ok(figures_of(&counters(&mut c, &reach, period).await?))
}

/// The dashboard of `scope` for `period`: tiles against the period before, the
/// 12-month trend and every station's figures. Reads only the monthly counters: four
/// queries whatever the number of orders. Needs `KpiRead` within reach.
pub async fn dashboard(
    app: &App,
    grant: &Grant,
    scope: Scope,
    period: Period,
) -> AppResult<Dashboard> {
    expect(grant, Action::KpiRead)?;
    let reach = reach_of(app, grant, scope).await?;
    let mut c = conn(app).await?;
    let months = period.months();
    let last = *months.last().ok_or(AppError::NotFound)?;
    let trend_months = last.trailing(12);
    let before_months = period.previous().months();
    let first = before_months[0].min(trend_months[0]);
    let rows = store::kpi::totals(&mut c, &reach, &first.to_string(), &last.to_string()).await?;
    let all = by_key(&rows);
    let now = sum_period(&all, &months);
    let before = sum_period(&all, &before_months);
    let tiles = catalogue()
        .iter()
        .map(|d| {
            let n = Figure::of(d.key, now.get(&d.key).copied().unwrap_or_default());
            let b = Figure::of(d.key, before.get(&d.key).copied().unwrap_or_default());
            let trend = match (n.value, b.value) {
                (Some(x), Some(y)) if (x - y).abs() < 1e-9 => Trend::Flat,
                (Some(x), Some(y)) if x > y => Trend::Up,
                (Some(_), Some(_)) => Trend::Down,
                _ => Trend::Unknown,
            };
            let better = match trend {
                Trend::Up => Some(d.direction == domain::kpi::Direction::HigherIsBetter),
                Trend::Down => Some(d.direction == domain::kpi::Direction::LowerIsBetter),
                _ => None,
            };
            Tile {
                definition: *d,
                now: n,
                before: b,
                trend,
                better,
            }
        })
        .collect();
    let trend = trend_months
        .iter()
        .map(|m| TrendMonth {
            month: m.to_string(),
            figures: figures_of(&sum_period(&all, &[*m])),
        })
        .collect();
    let (from, to) = span(&months);
    let per = store::kpi::per_station(&mut c, &reach, &from, &to).await?;
    let mut by_station: BTreeMap<i64, BTreeMap<KpiKey, Counter>> = BTreeMap::new();
    for r in &per {
        if let Some(k) = KpiKey::from_code(&r.kpi) {
            by_station.entry(r.station_id).or_default().insert(
                k,
                Counter {
                    numerator: r.numerator,
                    denominator: r.denominator,
                    total: r.total,
                },
            );
        }
    }
    let empty = BTreeMap::new();
    let stations = store::kpi::stations(&mut c, &reach)
        .await?
        .into_iter()
        .map(|st| StationFigures {
            figures: figures_of(by_station.get(&st.id).unwrap_or(&empty)),
            station: st,
        })
        .collect();
    Ok(Dashboard {
        scope,
        period: period.to_string(),
        tiles,
        trend,
        stations,
    })
}

fn rate(c: Option<&Counter>) -> Rate {
    c.map(|c| Rate {
        numerator: u64::try_from(c.numerator).unwrap_or(0),
        denominator: u64::try_from(c.denominator).unwrap_or(0),
    })
    .unwrap_or_default()
}

/// The repair-order KPIs of a station for one month of delivery, from the monthly
/// counters (no order is read). Needs `KpiRead` within reach.
pub async fn station_kpis(
    app: &App,
    grant: &Grant,
    station_id: i64,
    month: YearMonth,
) -> AppResult<StationMonth> {
    expect(grant, Action::KpiRead)?;
    let reach = reach_of(app, grant, Scope::Station(station_id)).await?;
    let mut c = conn(app).await?;
    let k = counters(&mut c, &reach, Period::Month(month)).await?;
    let mdt = k
        .get(&KpiKey::MeanRepairDuration)
        .copied()
        .unwrap_or_default();
    let n = mdt.denominator;
    Ok(StationMonth {
        station: station_id.to_string(),
        month,
        delivered: u64::try_from(n).unwrap_or(0),
        first_time_fix: rate(k.get(&KpiKey::FirstTimeFix)),
        mean_repair_minutes: (n > 0).then(|| (mdt.total + n / 2) / n),
        on_time_delivery: rate(k.get(&KpiKey::OnTimeDelivery)),
    })
}

/// Recomputes a month's repair-order and complaint counters from the raw rows, in
/// one transaction (repair after a bulk import or a fix). Needs `JobAdmin`.
pub async fn rebuild(app: &App, grant: &Grant, month: YearMonth) -> AppResult<usize> {
    expect(grant, Action::JobAdmin)?;
    crate::transaction::run(app, "kpi.rebuild", move |mut tx| async move {
        let n = record::rebuild_month(&mut tx, month).await?;
        Ok((tx, n))
    })
    .await
}
