//! Demo data: a whole, plausible service network in an empty database — regions and
//! depots, stations over real prefecture cities, mobile units, staff in every role with
//! certificates, customers and their vehicles — the same for the same seed.
//!
//! Every demo account signs in with [`DEMO_PASSWORD`]; the fixed accounts of
//! [`FIXED_ACCOUNTS`] exist at every scale. Rows are written with explicit ids in
//! multi-row statements and large transactions, so the full network (a million
//! customers) loads in well under a minute on SQLite.

pub mod billing;
pub(crate) mod bulk;
mod catalogue;
pub mod clock;
mod crew;

pub use catalogue::prepare_service;
pub mod complaint;
mod customer;
pub mod day;
mod geo;
pub mod guarantee;
pub mod history;
mod names;
mod network;
mod people;
pub mod quality_audit;
pub mod refresh;
pub mod state;
mod survey;
mod vehicle;

use crate::{AppError, AppResult};
use bulk::Bulk;
use domain::Violation;
use domain::role::Role;
use geo::{City, REGIONS};
use jiff::civil::Date;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::{Any, AnyConnection, Row};
use std::path::PathBuf;
use std::time::Instant;
use store::{Backend, Db};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "demo1234";

/// The fixed demo accounts and their roles: in the first station unless noted
/// (`advisor2` is in the second station, `regional` manages the first station's
/// region, head-office roles belong to no station).
pub const FIXED_ACCOUNTS: [(&str, Role); 14] = [
    ("admin", Role::Administrator),
    ("advisor", Role::ServiceAdvisor),
    ("technician", Role::Technician),
    ("manager", Role::StationManager),
    ("parts", Role::PartsClerk),
    ("warranty", Role::WarrantyClerk),
    ("relations", Role::CustomerRelations),
    ("techdir", Role::TechnicalDirector),
    ("agent", Role::CallCentreAgent),
    ("expert", Role::TechnicalExpert),
    ("regional", Role::RegionalManager),
    ("auditor", Role::QualityAuditor),
    ("privacy", Role::PrivacyOfficer),
    ("advisor2", Role::ServiceAdvisor),
];

/// The phone of the demo owner (customer 1, of the first station).
pub const DEMO_OWNER_PHONE: &str = "+8613800000000";

/// How much demo data to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// 12 stations, about 120 staff, 300 customers, 360 vehicles: for trying things out.
    Small,
    /// 1,000 stations, 20,000 staff, 1,000,000 customers, 1,200,000 vehicles.
    Full,
}

/// Row counts of one scale.
#[derive(Debug, Clone, Copy)]
struct Counts {
    stations: usize,
    staff: usize,
    customers: usize,
    vehicles: usize,
    /// Head office: administrators, call-centre agents, technical experts, auditors,
    /// privacy officers.
    hq: [usize; 5],
    /// Regional managers per region.
    regional: usize,
}

impl Scale {
    /// Parses `small` or `full`.
    pub fn from_name(s: &str) -> Option<Scale> {
        match s.trim().to_ascii_lowercase().as_str() {
            "small" => Some(Scale::Small),
            "full" => Some(Scale::Full),
            _ => None,
        }
    }

    fn counts(self) -> Counts {
        match self {
            Scale::Small => Counts {
                stations: 12,
                staff: 120,
                customers: 300,
                vehicles: 360,
                hq: [1, 2, 1, 1, 1],
                regional: 1,
            },
            Scale::Full => Counts {
                stations: 1_000,
                staff: 20_000,
                customers: 1_000_000,
                vehicles: 1_200_000,
                hq: [5, 80, 40, 24, 2],
                regional: 3,
            },
        }
    }
}

/// What to build.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// How much.
    pub scale: Scale,
    /// The same seed gives the same data.
    pub seed: u64,
    /// The administrative-division CSV (adcode6,adcode12,level,province,city,name,
    /// longitude,latitude). When none is given, `../shared/data/china_geo/…` and then
    /// `shared/data/china_geo/…` are tried, then a built-in table of 41 cities.
    pub geo_csv: Option<PathBuf>,
}

/// What was built.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DemoSummary {
    /// Regions.
    pub regions: u64,
    /// Stations.
    pub stations: u64,
    /// Staff accounts.
    pub staff: u64,
    /// Customers.
    pub customers: u64,
    /// Vehicles.
    pub vehicles: u64,
    /// Wall time in seconds.
    pub seconds: f64,
}

/// Rows per transaction for the large tables.
const COMMIT_EVERY: usize = 50_000;

/// Fills an empty, migrated database with demo data and reports what it made.
/// Refuses (`demo.not_empty`) when the database already holds regions, stations,
/// staff or customers. `progress` is called with a phase name, rows done and rows in
/// that phase.
pub async fn build(
    db: &Db,
    opts: &DemoOptions,
    progress: &(dyn Fn(&str, u64, u64) + Sync),
) -> AppResult<DemoSummary> {
    let started = Instant::now();
    let counts = opts.scale.counts();
    let cities = geo::load_cities(opts.geo_csv.as_deref()).map_err(AppError::Internal)?;
    if cities.is_empty() {
        return Err(AppError::Internal(
            "no cities with coordinates found for demo stations".into(),
        ));
    }
    let mut conn = db.pool.acquire().await?;
    for table in ["regions", "stations", "staff", "customers", "vehicles"] {
        let sql = format!("SELECT COUNT(*) FROM (SELECT id FROM {table} LIMIT 1) t");
        let n: i64 = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        if n > 0 {
            return Err(AppError::Refused(
                Violation::new("database", "demo.not_empty")
                    .with_detail(format!(
                        "table {table} already has rows; demo data goes into an empty database only"
                    ))
                    .into(),
            ));
        }
    }
    if db.backend == Backend::Sqlite {
        // This connection only: the demo can be rebuilt, so durability per commit is not needed.
        sqlx::raw_sql("PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;")
            .execute(&mut *conn)
            .await?;
    }
    let result = Builder::new(db.backend, opts, counts, cities)?
        .run(&mut conn, progress)
        .await;
    if db.backend == Backend::Sqlite {
        sqlx::raw_sql("PRAGMA synchronous=NORMAL; PRAGMA cache_size=-32000;")
            .execute(&mut *conn)
            .await?;
    }
    let mut summary = result?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// A station as planned in memory.
struct StationPlan {
    id: i64,
    code: String,
    region: usize,
    province: usize,
    city: usize,
    /// The district of the city it stands in, when the city's districts are known.
    district: Option<usize>,
    lon_e6: i64,
    lat_e6: i64,
    bays: i64,
}

/// One staff account as planned.
struct StaffPlan {
    username: String,
    role: Role,
    station: Option<i64>,
    region: Option<i64>,
    /// Fixed demo account: gets valid certificates.
    fixed: bool,
}

/// Calendar days from 2014-01-01 with their texts, so the million-row loops do no
/// date arithmetic.
struct Days {
    epoch_ms: i64,
    text: Vec<String>,
    /// Last day of a 3-year warranty starting on that day.
    warranty_end: Vec<String>,
    today: usize,
    /// First day of each model year 2014..=2027 as an index.
    year_start: Vec<usize>,
}

const DAY_MS: i64 = 86_400_000;

impl Days {
    fn new(today: Date) -> AppResult<Days> {
        let epoch = jiff::civil::date(2014, 1, 1);
        let tz = jiff::tz::TimeZone::fixed(jiff::tz::offset(8));
        let epoch_ms = epoch
            .to_zoned(tz)
            .map_err(internal)?
            .timestamp()
            .as_millisecond();
        let last = today
            .checked_add(jiff::Span::new().years(4))
            .map_err(internal)?;
        let mut text = Vec::new();
        let mut warranty_end = Vec::new();
        let mut year_start = Vec::new();
        let mut d = epoch;
        let mut today_ix = 0;
        while d <= last {
            if d == today {
                today_ix = text.len();
            }
            if d.month() == 1 && d.day() == 1 {
                year_start.push(text.len());
            }
            text.push(d.to_string());
            let end = domain::vehicle::default_warranty_end(d).ok_or_else(|| internal(d))?;
            warranty_end.push(end.to_string());
            d = d.tomorrow().map_err(internal)?;
        }
        Ok(Days {
            epoch_ms,
            text,
            warranty_end,
            today: today_ix,
            year_start,
        })
    }

    fn ms(&self, ix: usize) -> i64 {
        self.epoch_ms + ix as i64 * DAY_MS
    }

    /// Index of `today + offset` days, clamped to the table.
    fn rel(&self, offset: i64) -> usize {
        (self.today as i64 + offset).clamp(0, self.text.len() as i64 - 1) as usize
    }
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

/// Picks an index with probability proportional to `weights`.
fn pick(rng: &mut StdRng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut r = rng.random_range(0..total.max(1));
    for (i, w) in weights.iter().enumerate() {
        if r < *w {
            return i;
        }
        r -= w;
    }
    weights.len().saturating_sub(1)
}

/// An ownership waiting for its vehicle: id (= vehicle id), customer, from.
type OwnerRow = (i64, i64, i64);
/// A reading waiting for its vehicle: id, vehicle, km, source, when.
type ReadingRow = (i64, i64, i64, &'static str, i64);

/// Writes the ownerships and readings of vehicles already written.
async fn write_children(
    conn: &mut AnyConnection,
    owners: &mut Bulk,
    pending_owners: &mut Vec<OwnerRow>,
    readings: &mut Bulk,
    pending_readings: &mut Vec<ReadingRow>,
) -> AppResult<()> {
    for (id, owner, at) in pending_owners.drain(..) {
        owners.i(id)?;
        owners.i(id)?;
        owners.i(owner)?;
        owners.i(at)?;
        owners.row_then_flush(conn).await?;
    }
    for (id, vehicle, km, source, at) in pending_readings.drain(..) {
        readings.i(id)?;
        readings.i(vehicle)?;
        readings.i(km)?;
        readings.s(source)?;
        readings.i(0)?;
        readings.i(at)?;
        readings.row_then_flush(conn).await?;
    }
    Ok(())
}

struct Builder {
    backend: Backend,
    seed: u64,
    counts: Counts,
    cities: Vec<City>,
    days: Days,
    now_ms: i64,
    stations: Vec<StationPlan>,
}

impl Builder {
    fn new(
        backend: Backend,
        opts: &DemoOptions,
        counts: Counts,
        cities: Vec<City>,
    ) -> AppResult<Builder> {
        let now = jiff::Timestamp::now();
        let today = now
            .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
            .date();
        Ok(Builder {
            backend,
            seed: opts.seed,
            counts,
            cities,
            days: Days::new(today)?,
            now_ms: now.as_millisecond(),
            stations: Vec::new(),
        })
    }

    /// A generator for one phase, independent of how much the other phases drew.
    fn rng(&self, phase: u64) -> StdRng {
        StdRng::seed_from_u64(self.seed ^ phase.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    async fn begin<'c>(
        &self,
        conn: &'c mut AnyConnection,
    ) -> AppResult<sqlx::Transaction<'c, Any>> {
        let stmt = match self.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        Ok(sqlx::Connection::begin_with(conn, stmt).await?)
    }

    async fn run(
        mut self,
        conn: &mut AnyConnection,
        progress: &(dyn Fn(&str, u64, u64) + Sync),
    ) -> AppResult<DemoSummary> {
        let password_hash = crate::password::hash(DEMO_PASSWORD)?;
        self.plan_stations();
        progress("network", 0, self.stations.len() as u64);
        self.write_network(conn).await?;
        progress(
            "network",
            self.stations.len() as u64,
            self.stations.len() as u64,
        );
        let staff = self.write_staff(conn, &password_hash, progress).await?;
        let stations_of_customers = self.write_customers(conn, progress).await?;
        self.write_vehicles(conn, &stations_of_customers, progress)
            .await?;
        if self.backend == Backend::Postgres {
            for table in [
                "regions",
                "depots",
                "stations",
                "mobile_units",
                "staff",
                "certificates",
                "customers",
                "vehicles",
                "ownerships",
                "odometer_readings",
            ] {
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence('{table}','id'), (SELECT MAX(id) FROM {table}))"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut *conn)
                    .await?;
            }
        }
        Ok(DemoSummary {
            regions: REGIONS.len() as u64,
            stations: self.stations.len() as u64,
            staff,
            customers: self.counts.customers as u64,
            vehicles: self.counts.vehicles as u64,
            seconds: 0.0,
        })
    }

    /// How many stations each city gets: every city one when there are enough
    /// stations and the rest by weight; otherwise the weightiest cities one each.
    fn allocate(&self) -> Vec<usize> {
        let n = self.counts.stations;
        let c = self.cities.len();
        let mut per_city = vec![0usize; c];
        let mut order: Vec<usize> = (0..c).collect();
        order.sort_by(|a, b| {
            self.cities[*b]
                .weight
                .total_cmp(&self.cities[*a].weight)
                .then(a.cmp(b))
        });
        if n < c {
            for &i in order.iter().take(n) {
                per_city[i] = 1;
            }
            return per_city;
        }
        let rest = n - c;
        let total: f64 = self.cities.iter().map(|x| x.weight).sum();
        let mut fractions = Vec::with_capacity(c);
        let mut given = 0;
        for (i, city) in self.cities.iter().enumerate() {
            let exact = rest as f64 * city.weight / total;
            let whole = exact.floor() as usize;
            per_city[i] = 1 + whole;
            given += whole;
            fractions.push((exact - whole as f64, i));
        }
        fractions.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, i) in fractions.into_iter().take(rest.saturating_sub(given)) {
            per_city[i] += 1;
        }
        per_city
    }
}
