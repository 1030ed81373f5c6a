//! The KPI engine's API (SPEC §12): a station's month (`/stations/{id}/kpis`), the
//! dashboard of the network, a region or a station for a month or a quarter
//! (`/kpis`: tiles, 12-month trend, every station's figures), the KPI catalogue and
//! the station stars of a quarter, a station's history of stars and the published
//! star policy (read by everyone with KPI read, replaced by head office).

use super::{ListQuery, path_id};
use crate::AppState;
use crate::api::invalid;
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody};
use crate::i18n::Lang;
use app::AppError;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use domain::kpi::{StationMonth, YearMonth};
use domain::permission::Action;
use std::collections::HashMap;

/// The OpenAPI description of this area, merged into the whole API's.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    station_kpis,
    dashboard,
    stars,
    star_policy,
    put_star_policy,
    station_stars
))]
pub struct KpiApi;

/// Routes of this area.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/stations/{id}/kpis", get(station_kpis))
        .route("/kpis", get(dashboard))
        .route("/kpis/stars", get(stars))
        .route("/kpis/star-policy", get(star_policy).put(put_star_policy))
        .route("/stations/{id}/stars", get(station_stars))
}

/// The months [`parse_month`] accepts, as the API document states them: `YYYY-MM`,
/// years 2000 to 2100.
pub const MONTH_PATTERN: &str = "^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$";

/// The periods the dashboards accept: a month `YYYY-MM` or a quarter `YYYYQn`.
pub const PERIOD_PATTERN: &str = "^(20[0-9]{2}|2100)(-(0[1-9]|1[0-2])|Q[1-4])$";

/// The scopes a dashboard is asked for.
pub const SCOPES: [&str; 3] = ["network", "region", "station"];

/// The scope asked for: `scope` (`network` by default, `region` or `station`) with
/// its `id`.
pub fn parse_scope(q: &ListQuery, lang: Lang) -> Result<app::kpi::Scope, ApiError> {
    // Absent means the network; given, it is one of the stated codes (empty is not).
    let scope = q.given("scope").unwrap_or_else(|| "network".into());
    // An id that is given must be a positive integer whatever the scope; a region or
    // station scope without one names no unit, which is not found (404).
    let given = match q.given("id") {
        None => None,
        Some(v) => Some(
            v.trim()
                .parse::<i64>()
                .ok()
                .filter(|v| *v > 0)
                .ok_or_else(|| invalid("id", "number.range", lang))?,
        ),
    };
    let id = || given.ok_or_else(|| ApiError::app(AppError::NotFound, lang));
    match scope.as_str() {
        "network" => Ok(app::kpi::Scope::Network),
        "region" => Ok(app::kpi::Scope::Region(id()?)),
        "station" => Ok(app::kpi::Scope::Station(id()?)),
        _ => Err(invalid("scope", "kpi.scope_unknown", lang)),
    }
}

/// A month `YYYY-MM` (see [`MONTH_PATTERN`]).
pub fn parse_month(text: &str, lang: Lang) -> Result<YearMonth, ApiError> {
    let bad = || invalid("month", "date.format", lang);
    let (y, m) = text.trim().split_once('-').ok_or_else(bad)?;
    let year: i16 = y.parse().map_err(|_| bad())?;
    let month: i8 = m.parse().map_err(|_| bad())?;
    if !(1..=12).contains(&month) || !(2000..=2100).contains(&year) {
        return Err(bad());
    }
    Ok(YearMonth { year, month })
}

/// The current month in a station's zone.
pub async fn this_month(app: &app::App, station_id: i64) -> Result<YearMonth, AppError> {
    let tz = app::appointment::zone_of(app, station_id).await?;
    let d = tz.to_datetime(app.clock.now()).date();
    Ok(YearMonth {
        year: d.year(),
        month: d.month(),
    })
}

/// A station's KPIs for a month of delivery (`month`, default this month): first-time
/// fix, mean repair duration, on-time delivery (SPEC §12).
#[utoipa::path(get, path = "/api/v1/stations/{id}/kpis", tag = "service", params(("id" = i64, Path), ("month" = Option<String>, Query)), responses((status = 200, description = "The station's month"), (status = 404, body = crate::error::ProblemDoc)))]
pub async fn station_kpis(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<StationMonth>, ApiError> {
    let g = c.grant(Action::KpiRead)?;
    let id = path_id(&id, c.lang)?;
    let q = ListQuery(q);
    let month = match q.given("month") {
        Some(m) => parse_month(&m, c.lang)?,
        None => this_month(&s.app, id).await.map_err(|e| c.err(e))?,
    };
    Ok(Json(
        app::kpi::station_kpis(&s.app, &g, id, month)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// The dashboard of the network, a region or a station for a month `YYYY-MM` or a
/// quarter `YYYYQn` (`period`, default this month): one tile per KPI of the catalogue
/// against the period before, the 12-month trend and every station's figures, each
/// with its counts. A period malformed or in the future is 422 naming `period`.
#[utoipa::path(get, path = "/api/v1/kpis", tag = "service", params(("scope" = Option<String>, Query), ("id" = Option<i64>, Query, minimum = 1), ("period" = Option<String>, Query, pattern = "^((20[0-9]{2}|2100)-(0[1-9]|1[0-2])|(20[0-9]{2}|2100)Q[1-4])$")), responses((status = 200, body = app::kpi::Dashboard), (status = 404, body = crate::error::ProblemDoc), (status = 409, body = crate::error::ProblemDoc), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn dashboard(
    State(s): State<AppState>,
    c: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<app::kpi::Dashboard>, ApiError> {
    let g = c.grant(Action::KpiRead)?;
    let q = ListQuery(q);
    let scope = parse_scope(&q, c.lang)?;
    let period = match q.given("period") {
        Some(p) => app::kpi::parse_period(&s.app, &p).map_err(|e| c.err(e))?,
        None => domain::kpi::Period::Month(app::kpi::current_month(&s.app)),
    };
    Ok(Json(
        app::kpi::dashboard(&s.app, &g, scope, period)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// Every station's stars within reach for a quarter `YYYYQn` (`period`), with the
/// score, the policy version and the review flag.
#[utoipa::path(get, path = "/api/v1/kpis/stars", tag = "service", params(("period" = String, Query, pattern = "^((20[0-9]{2}|2100)-(0[1-9]|1[0-2])|(20[0-9]{2}|2100)Q[1-4])$")), responses((status = 200, description = "The quarter's stars"), (status = 409, body = crate::error::ProblemDoc), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn stars(
    State(s): State<AppState>,
    c: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Vec<app::kpi::stars::StarRow>>, ApiError> {
    let g = c.grant(Action::KpiRead)?;
    let q = ListQuery(q);
    let text = q.given("period").unwrap_or_default();
    let period = app::kpi::parse_period(&s.app, &text).map_err(|e| c.err(e))?;
    Ok(Json(
        app::kpi::stars::for_quarter(&s.app, &g, period)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// The published star policy: each KPI's weight (‰, adding up to 1000), the scores
/// needed for 2–5 stars, the review threshold (a station below it two quarters
/// running is flagged) and the repair-time target.
#[utoipa::path(get, path = "/api/v1/kpis/star-policy", tag = "service", responses((status = 200, body = app::kpi::stars::PolicyDoc)))]
pub async fn star_policy(
    State(s): State<AppState>,
    c: Caller,
) -> Result<Json<app::kpi::stars::PolicyDoc>, ApiError> {
    let g = c.grant(Action::KpiRead)?;
    let p = app::kpi::stars::policy(&s.app, &g)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(app::kpi::stars::PolicyDoc::of(&p)))
}

/// Publishes a new star policy as the next version (head office). Weights not adding
/// up to 1000 ‰ are 422 `kpi.weights_sum` naming `weights`; a KPI weighted twice
/// `kpi.weight_twice`; thresholds not rising within 0–100 `kpi.thresholds`; an unknown
/// KPI `kpi.unknown` naming `weights[i].kpi`. Nothing is published then.
#[utoipa::path(put, path = "/api/v1/kpis/star-policy", tag = "service", request_body = app::kpi::stars::PolicyDoc, responses((status = 200, body = app::kpi::stars::PolicyDoc), (status = 409, description = "Weights not adding up to 1000 ‰ or naming a KPI twice, thresholds not rising", body = crate::error::ProblemDoc), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn put_star_policy(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<app::kpi::stars::PolicyDoc>,
) -> Result<Json<app::kpi::stars::PolicyDoc>, ApiError> {
    let g = c.grant(Action::NetworkWrite)?;
    let input = input?;
    let p = input.policy().map_err(|e| c.err(e))?;
    let p = app::kpi::stars::publish(&s.app, &g, p)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(app::kpi::stars::PolicyDoc::of(&p)))
}

/// A station's stars quarter by quarter, newest first, with the score, the policy
/// version used and the review flag.
#[utoipa::path(get, path = "/api/v1/stations/{id}/stars", tag = "service", params(("id" = i64, Path, minimum = 1)), responses((status = 200, description = "The station's stars, newest quarter first"), (status = 404, body = crate::error::ProblemDoc)))]
pub async fn station_stars(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<app::kpi::stars::StarRow>>, ApiError> {
    let g = c.grant(Action::KpiRead)?;
    let id = path_id(&id, c.lang)?;
    Ok(Json(
        app::kpi::stars::history(&s.app, &g, id)
            .await
            .map_err(|e| c.err(e))?,
    ))
}
