//! The KPI engine's tables: the monthly counters per station × KPI × month
//! (`kpi_monthly`, added to in the transaction of the event that changes them, read
//! summed over a station, region or the network), the raw rows the counters are
//! computed from ([`source`]) and the station stars per quarter ([`stars`]).

pub mod source;
pub mod stars;

use crate::error::StoreResult;
use crate::scope::station_filter;
use domain::permission::Reach;
use sqlx::{AnyConnection, Row};

/// One counter as stored or summed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterRow {
    /// Month `YYYY-MM`.
    pub month: String,
    /// KPI code.
    pub kpi: String,
    /// Station, when the row is one station's (0 in sums over stations).
    pub station_id: i64,
    /// Cases in favour (or promoters).
    pub numerator: i64,
    /// Cases counted.
    pub denominator: i64,
    /// Sum for means (or detractors).
    pub total: i64,
}

/// Adds `(numerator, denominator, total)` to a station's counter of a KPI and month,
/// creating it at zero first. A negative delta takes a case back (a comeback, a
/// complaint moved to another station).
pub async fn add(
    conn: &mut AnyConnection,
    month: &str,
    kpi: &str,
    station_id: i64,
    delta: (i64, i64, i64),
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO kpi_monthly (month, kpi, station_id, numerator, denominator, total) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (month, kpi, station_id) DO UPDATE SET \
         numerator = kpi_monthly.numerator + excluded.numerator, \
         denominator = kpi_monthly.denominator + excluded.denominator, \
         total = kpi_monthly.total + excluded.total",
    )
    .bind(month)
    .bind(kpi)
    .bind(station_id)
    .bind(delta.0)
    .bind(delta.1)
    .bind(delta.2)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes every counter of the KPIs `kpis` for `month` (before a rebuild).
pub async fn clear(conn: &mut AnyConnection, month: &str, kpis: &[&str]) -> StoreResult<u64> {
    let mut n = 0;
    for k in kpis {
        n += sqlx::query("DELETE FROM kpi_monthly WHERE month = $1 AND kpi = $2")
            .bind(month)
            .bind(*k)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    Ok(n)
}

fn counter(r: &sqlx::any::AnyRow, station: bool) -> StoreResult<CounterRow> {
    Ok(CounterRow {
        month: r.try_get("month")?,
        kpi: r.try_get("kpi")?,
        station_id: if station { r.try_get("station_id")? } else { 0 },
        numerator: r.try_get("numerator")?,
        denominator: r.try_get("denominator")?,
        total: r.try_get("total")?,
    })
}

/// The counters within `reach` for the months `from..=to` (`YYYY-MM`), summed over
/// stations per month and KPI: a station's, a region's or the network's figures.
pub async fn totals(
    conn: &mut AnyConnection,
    reach: &Reach,
    from: &str,
    to: &str,
) -> StoreResult<Vec<CounterRow>> {
    let (cond, val) = station_filter(reach, "k.station_id", "s.region_id", 3);
    let join = if matches!(reach, Reach::Region(_)) {
        " JOIN stations s ON s.id = k.station_id"
    } else {
        ""
    };
    let sql = format!(
        "SELECT k.month AS month, k.kpi AS kpi, CAST(SUM(k.numerator) AS BIGINT) AS numerator, \
         CAST(SUM(k.denominator) AS BIGINT) AS denominator, CAST(SUM(k.total) AS BIGINT) AS total \
         FROM kpi_monthly k{join} WHERE k.month >= $1 AND k.month <= $2 AND {cond} \
         GROUP BY k.month, k.kpi ORDER BY k.month, k.kpi"
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(from).bind(to);
    if let Some(v) = val {
        q = q.bind(v);
    }
    let rows = q.fetch_all(conn).await?;
    rows.iter().map(|r| counter(r, false)).collect()
}

/// The counters within `reach` for the months `from..=to`, summed per station and
/// KPI over those months (rankings, the map, the stars of a quarter).
pub async fn per_station(
    conn: &mut AnyConnection,
    reach: &Reach,
    from: &str,
    to: &str,
) -> StoreResult<Vec<CounterRow>> {
    let (cond, val) = station_filter(reach, "k.station_id", "s.region_id", 3);
    let join = if matches!(reach, Reach::Region(_)) {
        " JOIN stations s ON s.id = k.station_id"
    } else {
        ""
    };
    let sql = format!(
        "SELECT $2 AS month, k.kpi AS kpi, k.station_id AS station_id, \
         CAST(SUM(k.numerator) AS BIGINT) AS numerator, \
         CAST(SUM(k.denominator) AS BIGINT) AS denominator, CAST(SUM(k.total) AS BIGINT) AS total \
         FROM kpi_monthly k{join} WHERE k.month >= $1 AND k.month <= $2 AND {cond} \
         GROUP BY k.station_id, k.kpi ORDER BY k.station_id, k.kpi"
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(from).bind(to);
    if let Some(v) = val {
        q = q.bind(v);
    }
    let rows = q.fetch_all(conn).await?;
    rows.iter().map(|r| counter(r, true)).collect()
}

/// A station as the dashboards place it: names, region and coordinates.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StationPoint {
    /// Station id.
    pub id: i64,
    /// Code.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Region.
    pub region_id: i64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
}

/// Every active station within `reach`, by id, in one query.
pub async fn stations(conn: &mut AnyConnection, reach: &Reach) -> StoreResult<Vec<StationPoint>> {
    let (cond, val) = station_filter(reach, "id", "region_id", 1);
    let sql = format!(
        "SELECT id, code, name_zh, name_en, region_id, lon_e6, lat_e6 FROM stations \
         WHERE status = 'active' AND {cond} ORDER BY id"
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    if let Some(v) = val {
        q = q.bind(v);
    }
    let rows = q.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(StationPoint {
                id: r.try_get("id")?,
                code: r.try_get("code")?,
                name_zh: r.try_get("name_zh")?,
                name_en: r.try_get("name_en")?,
                region_id: r.try_get("region_id")?,
                lon: r.try_get::<i64, _>("lon_e6")? as f64 / 1e6,
                lat: r.try_get::<i64, _>("lat_e6")? as f64 / 1e6,
            })
        })
        .collect()
}
