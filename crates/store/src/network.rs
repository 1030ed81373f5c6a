//! Regions, stations, depots and mobile units.

use crate::error::{StoreError, StoreResult};
use crate::query::{Bind, contains, like, page_of};
use crate::scope::station_filter;
use crate::{Page, Paged};
use domain::permission::Reach;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

/// A region (大区).
#[derive(Debug, Clone, Serialize)]
pub struct Region {
    /// Id.
    pub id: i64,
    /// Short code, e.g. `EAST`.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
}

/// A service station as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Station {
    /// Id.
    pub id: i64,
    /// Unique code, e.g. `BJ-0001`.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Region id.
    pub region_id: i64,
    /// Street address.
    pub address: String,
    /// Administrative division code (6 digits).
    pub adcode: String,
    /// City name.
    pub city: String,
    /// Longitude in degrees.
    pub lon: f64,
    /// Latitude in degrees.
    pub lat: f64,
    /// Opening hours, e.g. `08:30-18:00`.
    pub opening_hours: String,
    /// Service bays.
    pub bays: i64,
    /// Capability codes.
    pub capabilities: Vec<String>,
    /// `active`, `suspended` or `closed`.
    pub status: String,
    /// Star rating 1–5.
    pub star_rating: i64,
    /// Labour rate per hour in fen.
    pub labour_rate_fen: i64,
    /// When closed, UTC ms.
    pub closed_at: Option<i64>,
}

/// The fields of a new or changed station, already checked by the domain.
#[derive(Debug, Clone)]
pub struct StationFields {
    /// Unique code.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Region id.
    pub region_id: i64,
    /// Address.
    pub address: String,
    /// Adcode.
    pub adcode: String,
    /// City.
    pub city: String,
    /// Longitude in micro-degrees.
    pub lon_e6: i64,
    /// Latitude in micro-degrees.
    pub lat_e6: i64,
    /// Opening hours text.
    pub opening_hours: String,
    /// Bays.
    pub bays: i64,
    /// Capabilities.
    pub capabilities: Vec<String>,
    /// Labour rate in fen per hour.
    pub labour_rate_fen: i64,
}

const STATION_COLS: &str = "s.id, s.code, s.name_zh, s.name_en, s.region_id, s.address, s.adcode, s.city, s.lon_e6, s.lat_e6, \
     s.opening_hours, s.bays, s.capabilities, s.status, s.star_rating, s.labour_rate_fen, s.closed_at";

fn station_from(r: &AnyRow) -> Result<Station, sqlx::Error> {
    let caps: String = r.try_get("capabilities")?;
    Ok(Station {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name_zh: r.try_get("name_zh")?,
        name_en: r.try_get("name_en")?,
        region_id: r.try_get("region_id")?,
        address: r.try_get("address")?,
        adcode: r.try_get("adcode")?,
        city: r.try_get("city")?,
        lon: r.try_get::<i64, _>("lon_e6")? as f64 / 1e6,
        lat: r.try_get::<i64, _>("lat_e6")? as f64 / 1e6,
        opening_hours: r.try_get("opening_hours")?,
        bays: r.try_get("bays")?,
        capabilities: caps
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        status: r.try_get("status")?,
        star_rating: r.try_get("star_rating")?,
        labour_rate_fen: r.try_get("labour_rate_fen")?,
        closed_at: r.try_get("closed_at")?,
    })
}

/// Creates a region and returns its id.
pub async fn insert_region(
    conn: &mut AnyConnection,
    code: &str,
    name_zh: &str,
    name_en: &str,
) -> StoreResult<i64> {
    let r =
        sqlx::query("INSERT INTO regions (code, name_zh, name_en) VALUES ($1,$2,$3) RETURNING id")
            .bind(code)
            .bind(name_zh)
            .bind(name_en)
            .fetch_one(conn)
            .await
            .map_err(StoreError::unique_as("code"))?;
    Ok(r.try_get(0)?)
}

/// Every region.
pub async fn regions(conn: &mut AnyConnection) -> StoreResult<Vec<Region>> {
    let rows = sqlx::query("SELECT id, code, name_zh, name_en FROM regions ORDER BY code")
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Region {
                id: r.try_get("id")?,
                code: r.try_get("code")?,
                name_zh: r.try_get("name_zh")?,
                name_en: r.try_get("name_en")?,
            })
        })
        .collect()
}

/// Creates a station (status active) and returns its id.
pub async fn insert_station(
    conn: &mut AnyConnection,
    f: &StationFields,
    now: i64,
) -> StoreResult<i64> {
    let r = sqlx::query(
        "INSERT INTO stations (code, name_zh, name_en, region_id, address, adcode, city, lon_e6, lat_e6, opening_hours, bays, \
         capabilities, status, labour_rate_fen, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,'active',$13,$14,$14) RETURNING id",
    )
    .bind(&f.code)
    .bind(&f.name_zh)
    .bind(&f.name_en)
    .bind(f.region_id)
    .bind(&f.address)
    .bind(&f.adcode)
    .bind(&f.city)
    .bind(f.lon_e6)
    .bind(f.lat_e6)
    .bind(&f.opening_hours)
    .bind(f.bays)
    .bind(f.capabilities.join(","))
    .bind(f.labour_rate_fen)
    .bind(now)
    .fetch_one(conn)
    .await
    .map_err(StoreError::unique_as("code"))?;
    Ok(r.try_get(0)?)
}

/// Changes a station's fields.
pub async fn update_station(
    conn: &mut AnyConnection,
    id: i64,
    f: &StationFields,
    now: i64,
) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE stations SET code=$1, name_zh=$2, name_en=$3, region_id=$4, address=$5, adcode=$6, city=$7, lon_e6=$8, \
         lat_e6=$9, opening_hours=$10, bays=$11, capabilities=$12, labour_rate_fen=$13, updated_at=$14 WHERE id=$15",
    )
    .bind(&f.code)
    .bind(&f.name_zh)
    .bind(&f.name_en)
    .bind(f.region_id)
    .bind(&f.address)
    .bind(&f.adcode)
    .bind(&f.city)
    .bind(f.lon_e6)
    .bind(f.lat_e6)
    .bind(&f.opening_hours)
    .bind(f.bays)
    .bind(f.capabilities.join(","))
    .bind(f.labour_rate_fen)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await
    .map_err(StoreError::unique_as("code"))?;
    if done.rows_affected() == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// Sets a station's status; `closed_at` is set once when it closes.
pub async fn set_station_status(
    conn: &mut AnyConnection,
    id: i64,
    status: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE stations SET status=$1, updated_at=$2, closed_at = CASE WHEN $1 = 'closed' THEN COALESCE(closed_at, $2) ELSE closed_at END WHERE id=$3",
    )
    .bind(status)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// One station within reach.
pub async fn station(conn: &mut AnyConnection, reach: &Reach, id: i64) -> StoreResult<Station> {
    let (cond, val) = station_filter(reach, "s.id", "s.region_id", 2);
    let sql = format!("SELECT {STATION_COLS} FROM stations s WHERE s.id = $1 AND {cond}");
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(id);
    if let Some(v) = val {
        q = q.bind(v);
    }
    let row = q.fetch_optional(conn).await?.ok_or(StoreError::NotFound)?;
    Ok(station_from(&row)?)
}

/// Filter for the station list.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct StationFilter {
    /// Words in code, name or city.
    pub q: Option<String>,
    /// Status code.
    pub status: Option<String>,
    /// Region id.
    pub region_id: Option<i64>,
}

/// The columns a station list may be sorted by: (key, SQL column).
pub const STATION_ORDERS: &[(&str, &str)] = &[
    ("code", "s.code"),
    ("name", "s.name_zh"),
    ("city", "s.city"),
    ("region", "s.region_id"),
    ("bays", "s.bays"),
    ("status", "s.status"),
];

/// Stations within reach, filtered and paged, ordered by code.
pub async fn stations(
    conn: &mut AnyConnection,
    reach: &Reach,
    filter: &StationFilter,
    page: Page,
) -> StoreResult<Paged<Station>> {
    stations_ordered(conn, reach, filter, page, None).await
}

/// [`stations`] in the order a person chose (one of [`STATION_ORDERS`]; by code when
/// none), ties by id.
pub async fn stations_ordered(
    conn: &mut AnyConnection,
    reach: &Reach,
    filter: &StationFilter,
    page: Page,
    order: Option<crate::query::Order>,
) -> StoreResult<Paged<Station>> {
    let mut conds = Vec::new();
    let mut binds: Vec<Bind> = Vec::new();
    let (cond, val) = station_filter(reach, "s.id", "s.region_id", 1);
    conds.push(cond);
    if let Some(v) = val {
        binds.push(Bind::I(v));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let n = binds.len() + 1;
        let any: Vec<String> = ["s.code", "s.name_zh", "s.name_en", "s.city"]
            .iter()
            .map(|c| like(c, n))
            .collect();
        conds.push(format!("({})", any.join(" OR ")));
        binds.push(contains(q));
    }
    if let Some(st) = filter.status.as_deref().filter(|s| !s.is_empty()) {
        conds.push(format!("s.status = ${}", binds.len() + 1));
        binds.push(Bind::S(st.to_string()));
    }
    if let Some(r) = filter.region_id {
        conds.push(format!("s.region_id = ${}", binds.len() + 1));
        binds.push(Bind::I(r));
    }
    let where_ = conds.join(" AND ");
    page_of(
        conn,
        STATION_COLS,
        "FROM stations s",
        &where_,
        &order.map_or_else(|| "s.code".to_string(), |o| o.sql("s.id")),
        &binds,
        page,
        station_from,
    )
    .await
}

/// Every station's id and coordinates (for nearest-station searches and demo data).
pub async fn station_points(conn: &mut AnyConnection) -> StoreResult<Vec<(i64, i64, f64, f64)>> {
    let rows = sqlx::query(
        "SELECT id, region_id, lon_e6, lat_e6 FROM stations WHERE status = 'active' ORDER BY id",
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                r.try_get("region_id")?,
                r.try_get::<i64, _>("lon_e6")? as f64 / 1e6,
                r.try_get::<i64, _>("lat_e6")? as f64 / 1e6,
            ))
        })
        .collect()
}

/// The region of a station, if it exists.
pub async fn station_region(conn: &mut AnyConnection, station_id: i64) -> StoreResult<Option<i64>> {
    let r = sqlx::query("SELECT region_id FROM stations WHERE id = $1")
        .bind(station_id)
        .fetch_optional(conn)
        .await?;
    Ok(match r {
        Some(r) => Some(r.try_get(0)?),
        None => None,
    })
}

/// A regional parts depot.
#[derive(Debug, Clone, Serialize)]
pub struct Depot {
    /// Id.
    pub id: i64,
    /// Code.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// The region it serves.
    pub region_id: i64,
    /// Address.
    pub address: String,
}

/// Creates a depot (one per region).
pub async fn insert_depot(conn: &mut AnyConnection, d: &Depot) -> StoreResult<i64> {
    let r = sqlx::query("INSERT INTO depots (code, name_zh, name_en, region_id, address) VALUES ($1,$2,$3,$4,$5) RETURNING id")
        .bind(&d.code)
        .bind(&d.name_zh)
        .bind(&d.name_en)
        .bind(d.region_id)
        .bind(&d.address)
        .fetch_one(conn)
        .await
        .map_err(StoreError::unique_as("region_id"))?;
    Ok(r.try_get(0)?)
}

/// Every depot.
pub async fn depots(conn: &mut AnyConnection) -> StoreResult<Vec<Depot>> {
    let rows = sqlx::query(
        "SELECT id, code, name_zh, name_en, region_id, address FROM depots ORDER BY code",
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Depot {
                id: r.try_get("id")?,
                code: r.try_get("code")?,
                name_zh: r.try_get("name_zh")?,
                name_en: r.try_get("name_en")?,
                region_id: r.try_get("region_id")?,
                address: r.try_get("address")?,
            })
        })
        .collect()
}

/// A rescue truck or service van.
#[derive(Debug, Clone, Serialize)]
pub struct MobileUnit {
    /// Id.
    pub id: i64,
    /// Code.
    pub code: String,
    /// `rescue_truck` or `service_van`.
    pub kind: String,
    /// Owning station.
    pub station_id: i64,
    /// Plate.
    pub plate: String,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// `available`, `dispatched`, `busy`, `off_duty`.
    pub state: String,
}

/// Creates a mobile unit.
pub async fn insert_mobile_unit(
    conn: &mut AnyConnection,
    u: &MobileUnit,
    now: i64,
) -> StoreResult<i64> {
    let r = sqlx::query(
        "INSERT INTO mobile_units (code, kind, station_id, plate, lon_e6, lat_e6, state, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
    )
    .bind(&u.code)
    .bind(&u.kind)
    .bind(u.station_id)
    .bind(&u.plate)
    .bind((u.lon * 1e6).round() as i64)
    .bind((u.lat * 1e6).round() as i64)
    .bind(&u.state)
    .bind(now)
    .fetch_one(conn)
    .await
    .map_err(StoreError::unique_as("code"))?;
    Ok(r.try_get(0)?)
}

/// Mobile units within reach.
pub async fn mobile_units(
    conn: &mut AnyConnection,
    reach: &Reach,
    station_id: Option<i64>,
) -> StoreResult<Vec<MobileUnit>> {
    let (cond, val) = station_filter(reach, "m.station_id", "s.region_id", 1);
    let mut binds: Vec<Bind> = val.into_iter().map(Bind::I).collect();
    let mut conds = vec![cond];
    if let Some(sid) = station_id {
        conds.push(format!("m.station_id = ${}", binds.len() + 1));
        binds.push(Bind::I(sid));
    }
    let sql = format!(
        "SELECT m.id, m.code, m.kind, m.station_id, m.plate, m.lon_e6, m.lat_e6, m.state FROM mobile_units m \
         JOIN stations s ON s.id = m.station_id WHERE {} ORDER BY m.code LIMIT 1000",
        conds.join(" AND ")
    );
    let q = crate::query::bind_all(sqlx::query(AssertSqlSafe(sql)), &binds);
    let rows = q.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(MobileUnit {
                id: r.try_get("id")?,
                code: r.try_get("code")?,
                kind: r.try_get("kind")?,
                station_id: r.try_get("station_id")?,
                plate: r.try_get("plate")?,
                lon: r.try_get::<i64, _>("lon_e6")? as f64 / 1e6,
                lat: r.try_get::<i64, _>("lat_e6")? as f64 / 1e6,
                state: r.try_get("state")?,
            })
        })
        .collect()
}
