//! Vehicles, their owners over time and their odometer history.

use crate::error::{StoreError, StoreResult};
use crate::query::{
    Bind, FRAGMENT_MIN_CHARS, SEARCH_CANDIDATES, bind_all, contains, fts_literal, is_postgres,
    like, page_of, prefix_end, searched_page, starts_with,
};
use crate::scope::owned_filter;
use crate::{Page, Paged};
use domain::permission::Reach;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

/// A vehicle as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Vehicle {
    /// Id.
    pub id: i64,
    /// VIN.
    pub vin: String,
    /// Brand.
    pub brand: String,
    /// Model.
    pub model: String,
    /// Model year.
    pub model_year: i64,
    /// Plate, if registered.
    pub plate: Option<String>,
    /// Purchase date.
    pub purchase_date: String,
    /// Warranty start.
    pub warranty_start: String,
    /// Warranty end.
    pub warranty_end: String,
    /// Warranty mileage limit in km.
    pub warranty_km: i64,
    /// Electric vehicle.
    pub is_ev: bool,
    /// Current owner.
    pub owner_id: i64,
    /// Station of record.
    pub station_id: i64,
}

/// Fields of a new or changed vehicle, already checked.
#[derive(Debug, Clone)]
pub struct VehicleFields {
    /// VIN.
    pub vin: String,
    /// Brand.
    pub brand: String,
    /// Model.
    pub model: String,
    /// Model year.
    pub model_year: i64,
    /// Plate.
    pub plate: Option<String>,
    /// Purchase date.
    pub purchase_date: String,
    /// Warranty start.
    pub warranty_start: String,
    /// Warranty end.
    pub warranty_end: String,
    /// Warranty km.
    pub warranty_km: i64,
    /// EV.
    pub is_ev: bool,
    /// Owner.
    pub owner_id: i64,
    /// Station of record.
    pub station_id: i64,
}

const COLS: &str = "v.id, v.vin, v.brand, v.model, v.model_year, v.plate, v.purchase_date, v.warranty_start, v.warranty_end, \
                    v.warranty_km, v.is_ev, v.owner_id, v.station_id";

fn from_row(r: &AnyRow) -> Result<Vehicle, sqlx::Error> {
    Ok(Vehicle {
        id: r.try_get("id")?,
        vin: r.try_get("vin")?,
        brand: r.try_get("brand")?,
        model: r.try_get("model")?,
        model_year: r.try_get("model_year")?,
        plate: r.try_get("plate")?,
        purchase_date: r.try_get("purchase_date")?,
        warranty_start: r.try_get("warranty_start")?,
        warranty_end: r.try_get("warranty_end")?,
        warranty_km: r.try_get("warranty_km")?,
        is_ev: r.try_get::<i64, _>("is_ev")? != 0,
        owner_id: r.try_get("owner_id")?,
        station_id: r.try_get("station_id")?,
    })
}

fn scope(reach: &Reach, n: usize) -> (String, Option<i64>) {
    owned_filter(reach, "v.station_id", "s.region_id", Some("v.owner_id"), n)
}

/// Creates a vehicle and its first ownership.
pub async fn insert(conn: &mut AnyConnection, f: &VehicleFields, now: i64) -> StoreResult<i64> {
    let r = sqlx::query(
        "INSERT INTO vehicles (vin, brand, model, model_year, plate, purchase_date, warranty_start, warranty_end, warranty_km, is_ev, \
         owner_id, station_id, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) RETURNING id",
    )
    .bind(&f.vin)
    .bind(&f.brand)
    .bind(&f.model)
    .bind(f.model_year)
    .bind(f.plate.as_deref())
    .bind(&f.purchase_date)
    .bind(&f.warranty_start)
    .bind(&f.warranty_end)
    .bind(f.warranty_km)
    .bind(f.is_ev as i64)
    .bind(f.owner_id)
    .bind(f.station_id)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::unique_as("vin"))?;
    let id: i64 = r.try_get(0)?;
    sqlx::query("INSERT INTO ownerships (vehicle_id, customer_id, from_at) VALUES ($1,$2,$3)")
        .bind(id)
        .bind(f.owner_id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(id)
}

/// Changes a vehicle's descriptive fields (not its owner: see [`transfer`]).
pub async fn update(conn: &mut AnyConnection, id: i64, f: &VehicleFields) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE vehicles SET vin=$1, brand=$2, model=$3, model_year=$4, plate=$5, purchase_date=$6, warranty_start=$7, \
         warranty_end=$8, warranty_km=$9, is_ev=$10, station_id=$11 WHERE id=$12",
    )
    .bind(&f.vin)
    .bind(&f.brand)
    .bind(&f.model)
    .bind(f.model_year)
    .bind(f.plate.as_deref())
    .bind(&f.purchase_date)
    .bind(&f.warranty_start)
    .bind(&f.warranty_end)
    .bind(f.warranty_km)
    .bind(f.is_ev as i64)
    .bind(f.station_id)
    .bind(id)
    .execute(conn)
    .await
    .map_err(StoreError::unique_as("vin"))?;
    if done.rows_affected() == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// Moves a vehicle to a new owner, closing the old ownership; history stays.
pub async fn transfer(
    conn: &mut AnyConnection,
    id: i64,
    new_owner: i64,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("UPDATE ownerships SET to_at = $1 WHERE vehicle_id = $2 AND to_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO ownerships (vehicle_id, customer_id, from_at) VALUES ($1,$2,$3)")
        .bind(id)
        .bind(new_owner)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE vehicles SET owner_id = $1 WHERE id = $2")
        .bind(new_owner)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// One vehicle within reach, by id.
pub async fn get(conn: &mut AnyConnection, reach: &Reach, id: i64) -> StoreResult<Vehicle> {
    one(conn, reach, "v.id = $1", Bind::I(id)).await
}

/// One vehicle within reach, by VIN.
pub async fn by_vin(conn: &mut AnyConnection, reach: &Reach, vin: &str) -> StoreResult<Vehicle> {
    one(conn, reach, "v.vin = $1", Bind::S(vin.to_string())).await
}

async fn one(
    conn: &mut AnyConnection,
    reach: &Reach,
    key: &str,
    value: Bind,
) -> StoreResult<Vehicle> {
    let (cond, val) = scope(reach, 2);
    let join = if matches!(reach, Reach::Region(_)) {
        "JOIN stations s ON s.id = v.station_id"
    } else {
        ""
    };
    let sql = format!("SELECT {COLS} FROM vehicles v {join} WHERE {key} AND {cond}");
    let mut binds = vec![value];
    if let Some(v) = val {
        binds.push(Bind::I(v));
    }
    let row = bind_all(sqlx::query(AssertSqlSafe(sql)), &binds)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(from_row(&row)?)
}

/// Filter for the vehicle list.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct VehicleFilter {
    /// A whole plate or VIN, or a fragment of the plate or of the VIN's serial part;
    /// under three characters, a plate's start.
    pub q: Option<String>,
    /// Owner id.
    pub owner_id: Option<i64>,
    /// Station id.
    pub station_id: Option<i64>,
}

/// The orders a person may choose for the vehicle list: (key, column).
pub const VEHICLE_ORDERS: &[(&str, &str)] = &[
    ("vin", "v.vin"),
    ("plate", "v.plate"),
    ("model", "v.model"),
    ("model_year", "v.model_year"),
    ("station", "v.station_id"),
];

/// Vehicles within reach, filtered and paged.
pub async fn list(
    conn: &mut AnyConnection,
    reach: &Reach,
    f: &VehicleFilter,
    page: Page,
) -> StoreResult<Paged<Vehicle>> {
    list_ordered(conn, reach, f, page, None).await
}

/// [`list`] in the order a person chose (one of [`VEHICLE_ORDERS`], then the default order); with
/// none, exact matches of a search first, then newest first.
pub async fn list_ordered(
    conn: &mut AnyConnection,
    reach: &Reach,
    f: &VehicleFilter,
    page: Page,
    chosen: Option<crate::query::Order>,
) -> StoreResult<Paged<Vehicle>> {
    let mut binds = Vec::new();
    let (cond, val) = scope(reach, 1);
    let mut conds = vec![cond];
    if let Some(v) = val {
        binds.push(Bind::I(v));
    }
    if let Some(o) = f.owner_id {
        conds.push(format!("v.owner_id = ${}", binds.len() + 1));
        binds.push(Bind::I(o));
    }
    if let Some(sid) = f.station_id {
        conds.push(format!("v.station_id = ${}", binds.len() + 1));
        binds.push(Bind::I(sid));
    }
    let from = "FROM vehicles v JOIN stations s ON s.id = v.station_id";
    // Control characters are dropped: no stored plate, VIN or model holds one, and a
    // NUL reaches neither an FTS5 query nor a PostgreSQL text parameter intact.
    let q: Option<String> =
        f.q.as_deref()
            .map(|q| q.chars().filter(|c| !c.is_control()).collect());
    let Some(q) = q.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
        let order = chosen.map_or_else(|| "v.id DESC".to_string(), |o| o.sql("v.id DESC"));
        let where_ = conds.join(" AND ");
        return page_of(conn, COLS, from, &where_, &order, &binds, page, from_row).await;
    };
    // The region scope needs the station's region; the others read the vehicle only.
    let join = if matches!(reach, Reach::Region(_)) {
        "JOIN stations s ON s.id = v.station_id"
    } else {
        ""
    };
    let (cand, exact) = search_candidates(conn, q, &conds.join(" AND "), join, &mut binds);
    searched_page(
        conn,
        (COLS, from, "v.id"),
        (&cand, &exact),
        &binds,
        page,
        chosen,
        |x| x.id,
        from_row,
    )
    .await
}

/// The candidates of a vehicle search, `(id, exact)` (for [`searched_page`]), and the
/// condition of an exact match, binding what they need; `within` holds the scope and
/// the list's filters, `join` the stations when `within` needs their region.
/// Plates and VINs are stored in capitals, so the search is too. A search of three
/// characters or more is a whole plate or VIN, or a fragment of the plate or of the
/// VIN from position 10 on ("F00001", the last digits an owner reads out, a VIN's
/// serial), served by the trigram indexes of migration 0022; a shorter one is the
/// start of a plate ("京A"). No ordering inside, so the index scan stops at
/// [`SEARCH_CANDIDATES`].
/// On SQLite the trigram table drives (`CROSS JOIN` fixes the loop order): with the
/// vehicles outside, a station's search re-ran the full-text query once per vehicle.
fn search_candidates(
    conn: &AnyConnection,
    q: &str,
    within: &str,
    join: &str,
    binds: &mut Vec<Bind>,
) -> (String, String) {
    let upper = q.to_uppercase();
    let n = binds.len() + 1;
    if q.chars().count() < FRAGMENT_MIN_CHARS {
        // No plate or VIN is this short, so nothing is exact, and the plate index alone
        // answers (no vehicle row is read): `LIKE 'q%'` is what PostgreSQL's
        // `text_pattern_ops` index serves whatever the collation, a range SQLite's.
        let cond = if is_postgres(conn) {
            binds.push(starts_with(&upper));
            like("v.plate", n)
        } else {
            let end = prefix_end(&upper);
            binds.push(Bind::S(upper));
            binds.push(Bind::S(end));
            format!("v.plate >= ${n} AND v.plate < ${}", n + 1)
        };
        let cand = format!(
            "SELECT v.id AS id, 0 AS exact FROM vehicles v {join} WHERE {within} AND {cond} \
             LIMIT {SEARCH_CANDIDATES}"
        );
        return (cand, "1 = 0".to_string());
    }
    let exact = format!("(v.plate = ${n} OR v.vin = ${n})");
    binds.push(Bind::S(upper.clone()));
    let cand = if is_postgres(conn) {
        // The expression of the index `vehicles_vin_tail_trgm` (migration 0022).
        binds.push(contains(&upper));
        format!(
            "SELECT v.id AS id, CASE WHEN {exact} THEN 1 ELSE 0 END AS exact FROM vehicles v {join} \
             WHERE {within} AND ({exact} OR {} OR {}) LIMIT {SEARCH_CANDIDATES}",
            like("v.plate", n + 1),
            like("substr(v.vin, 10)", n + 1),
        )
    } else {
        binds.push(Bind::S(fts_literal(&upper)));
        format!(
            "SELECT v.id AS id, 1 AS exact FROM vehicles v {join} WHERE {within} AND {exact} UNION ALL \
             SELECT v.id, 0 FROM vehicle_search CROSS JOIN vehicles v ON v.id = vehicle_search.rowid {join} \
             WHERE vehicle_search MATCH ${} AND {within} LIMIT {SEARCH_CANDIDATES}",
            n + 1
        )
    };
    (cand, exact)
}

/// One owner period of a vehicle.
#[derive(Debug, Clone, Serialize)]
pub struct Ownership {
    /// Customer id.
    pub customer_id: i64,
    /// From, UTC ms.
    pub from_at: i64,
    /// Until, UTC ms; none for the current owner.
    pub to_at: Option<i64>,
}

/// Owner history, oldest first.
pub async fn ownerships(conn: &mut AnyConnection, vehicle_id: i64) -> StoreResult<Vec<Ownership>> {
    let rows = sqlx::query(
        "SELECT customer_id, from_at, to_at FROM ownerships WHERE vehicle_id = $1 ORDER BY id",
    )
    .bind(vehicle_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Ownership {
                customer_id: r.try_get("customer_id")?,
                from_at: r.try_get("from_at")?,
                to_at: r.try_get("to_at")?,
            })
        })
        .collect()
}

/// One odometer reading.
#[derive(Debug, Clone, Serialize)]
pub struct Reading {
    /// Kilometres.
    pub km: i64,
    /// `repair_order`, `telematics`, `owner`, `advisor`.
    pub source: String,
    /// Marked as an instrument-cluster replacement.
    pub cluster_replaced: bool,
    /// When, UTC ms.
    pub recorded_at: i64,
}

/// The latest reading, if any.
pub async fn last_reading(conn: &mut AnyConnection, vehicle_id: i64) -> StoreResult<Option<i64>> {
    let r = sqlx::query(
        "SELECT km FROM odometer_readings WHERE vehicle_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(vehicle_id)
    .fetch_optional(conn)
    .await?;
    r.map(|r| r.try_get(0)).transpose().map_err(Into::into)
}

/// Adds a reading (already checked against the last one).
pub async fn insert_reading(
    conn: &mut AnyConnection,
    vehicle_id: i64,
    km: i64,
    source: &str,
    cluster_replaced: bool,
    now: i64,
    by: Option<i64>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO odometer_readings (vehicle_id, km, source, cluster_replaced, recorded_at, recorded_by) VALUES ($1,$2,$3,$4,$5,$6)",
    )
    .bind(vehicle_id)
    .bind(km)
    .bind(source)
    .bind(cluster_replaced as i64)
    .bind(now)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// Readings of a vehicle, oldest first.
pub async fn readings(conn: &mut AnyConnection, vehicle_id: i64) -> StoreResult<Vec<Reading>> {
    let rows = sqlx::query("SELECT km, source, cluster_replaced, recorded_at FROM odometer_readings WHERE vehicle_id = $1 ORDER BY id")
        .bind(vehicle_id)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Reading {
                km: r.try_get("km")?,
                source: r.try_get("source")?,
                cluster_replaced: r.try_get::<i64, _>("cluster_replaced")? != 0,
                recorded_at: r.try_get("recorded_at")?,
            })
        })
        .collect()
}
