//! Station KPIs per month of delivery (SPEC §5).

use super::{ListQuery, path_id};
use crate::AppState;
use crate::api::invalid;
use crate::error::ApiError;
use crate::extract::Caller;
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
#[openapi(paths(station_kpis))]
pub struct KpiApi;

/// Routes of this area.
pub fn router() -> Router<AppState> {
    Router::new().route("/stations/{id}/kpis", get(station_kpis))
}

/// The months [`parse_month`] accepts, as the API document states them: `YYYY-MM`,
/// years 2000 to 2100.
pub const MONTH_PATTERN: &str = "^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$";

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
