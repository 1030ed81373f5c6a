//! Demo data: a whole, plausible service network in an empty database — regions and
//! depots, stations over real prefecture cities, mobile units, staff in every role with
//! certificates, customers and their vehicles — the same for the same seed.
//!
//! Every demo account signs in with [`DEMO_PASSWORD`]; the fixed accounts of
//! [`FIXED_ACCOUNTS`] exist at every scale. Rows are written with explicit ids in
//! multi-row statements and large transactions, so the full network (a million
//! customers) loads in well under a minute on SQLite.

pub(crate) mod bulk;
mod catalogue;

pub use catalogue::prepare_service;
mod geo;
mod names;
pub mod state;

use crate::{AppError, AppResult};
use bulk::Bulk;
use domain::Violation;
use domain::plate::Plate;
use domain::role::Role;
use domain::vin::Vin;
use geo::{City, PROVINCES, REGIONS};
use jiff::civil::Date;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::{Any, AnyConnection, Row};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;
use store::{Backend, Db};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "demo1234";

/// The fixed demo accounts and their roles: in the first station unless noted
/// (`advisor2` is in the second station, `regional` manages the first station's
/// region, head-office roles belong to no station).
pub const FIXED_ACCOUNTS: [(&str, Role); 13] = [
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
    /// Head office: administrators, call-centre agents, technical experts, auditors.
    hq: [usize; 4],
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
                hq: [1, 2, 1, 1],
                regional: 1,
            },
            Scale::Full => Counts {
                stations: 1_000,
                staff: 20_000,
                customers: 1_000_000,
                vehicles: 1_200_000,
                hq: [5, 80, 40, 24],
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

    fn plan_stations(&mut self) {
        let mut rng = self.rng(1);
        let per_city = self.allocate();
        let mut order: Vec<usize> = (0..self.cities.len())
            .filter(|i| per_city[*i] > 0)
            .collect();
        order.sort_by(|a, b| {
            let (ca, cb) = (&self.cities[*a], &self.cities[*b]);
            PROVINCES[ca.province]
                .region
                .cmp(&PROVINCES[cb.province].region)
                .then(cb.weight.total_cmp(&ca.weight))
                .then(ca.adcode.cmp(&cb.adcode))
        });
        let mut stations = Vec::with_capacity(self.counts.stations);
        for ci in order {
            let city = &self.cities[ci];
            for _ in 0..per_city[ci] {
                let id = stations.len() as i64 + 1;
                let prov = &PROVINCES[city.province];
                let district =
                    (!city.districts.is_empty()).then(|| rng.random_range(0..city.districts.len()));
                let (lon, lat, jitter) = match district {
                    None => (city.lon, city.lat, 0.05),
                    Some(d) => (city.districts[d].lon, city.districts[d].lat, 0.02),
                };
                let lon = lon + rng.random_range(-jitter..jitter);
                let lat = lat + rng.random_range(-jitter..jitter);
                stations.push(StationPlan {
                    id,
                    code: format!("{}-{id:04}", prov.code),
                    district,
                    region: prov.region,
                    province: city.province,
                    city: ci,
                    lon_e6: (lon * 1e6).round() as i64,
                    lat_e6: (lat * 1e6).round() as i64,
                    bays: rng.random_range(6..=30),
                });
            }
        }
        self.stations = stations;
    }

    /// A plate of the station's city. `serial` (below 100,000) fixes the number when
    /// given: vehicles pass one that rises with their id, so the plate index grows in a
    /// few hundred places instead of at random ones.
    fn plate(
        &self,
        rng: &mut StdRng,
        station: &StationPlan,
        new_energy: bool,
        serial: Option<u32>,
    ) -> Option<String> {
        let prov = PROVINCES[station.province].plate;
        let letter = self.cities[station.city].plate_letter;
        let number = serial.unwrap_or_else(|| rng.random_range(0..100_000u32)) % 100_000;
        let text = if new_energy {
            let kind = if rng.random_bool(0.8) { 'D' } else { 'F' };
            format!("{prov}{letter}{kind}{number:05}")
        } else if serial.is_none() && rng.random_bool(0.3) {
            const L: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXYZ";
            let c = L[rng.random_range(0..L.len())] as char;
            format!("{prov}{letter}{c}{:04}", number % 10_000)
        } else {
            format!("{prov}{letter}{number:05}")
        };
        Plate::parse(&text).ok().map(|p| p.as_str().to_string())
    }

    async fn write_network(&self, conn: &mut AnyConnection) -> AppResult<()> {
        let mut rng = self.rng(2);
        let mut tx = self.begin(conn).await?;
        let mut regions = Bulk::new(
            self.backend,
            "regions",
            &["id", "code", "name_zh", "name_en"],
        );
        let mut depots = Bulk::new(
            self.backend,
            "depots",
            &["id", "code", "name_zh", "name_en", "region_id", "address"],
        );
        for (i, (code, zh, en)) in REGIONS.iter().enumerate() {
            let id = i as i64 + 1;
            regions.i(id)?;
            regions.s(*code)?;
            regions.s(*zh)?;
            regions.s(*en)?;
            regions.end_row();
            // The depot sits in the weightiest city of its region.
            let hub = self
                .cities
                .iter()
                .filter(|c| PROVINCES[c.province].region == i)
                .max_by(|a, b| a.weight.total_cmp(&b.weight).then(b.adcode.cmp(&a.adcode)));
            let address = match hub {
                Some(c) => format!(
                    "{}{}物流园区{}号",
                    PROVINCES[c.province].full,
                    if c.full == PROVINCES[c.province].full {
                        ""
                    } else {
                        &c.full
                    },
                    8 + i
                ),
                None => format!("{zh}物流园区"),
            };
            depots.i(id)?;
            depots.s(format!("DEPOT-{code}"))?;
            depots.s(format!("{}备件中心库", zh.trim_end_matches("大区")))?;
            depots.s(format!("{en} Parts Depot"))?;
            depots.i(id)?;
            depots.s(address)?;
            depots.end_row();
        }
        regions.flush(&mut tx).await?;
        depots.flush(&mut tx).await?;

        let mut st = Bulk::new(
            self.backend,
            "stations",
            &[
                "id",
                "code",
                "name_zh",
                "name_en",
                "region_id",
                "address",
                "adcode",
                "city",
                "lon_e6",
                "lat_e6",
                "opening_hours",
                "bays",
                "capabilities",
                "status",
                "star_rating",
                "labour_rate_fen",
                "created_at",
                "updated_at",
            ],
        );
        let mut units = Bulk::new(
            self.backend,
            "mobile_units",
            &[
                "id",
                "code",
                "kind",
                "station_id",
                "plate",
                "lon_e6",
                "lat_e6",
                "state",
                "updated_at",
            ],
        );
        let mut used_names: HashMap<String, u32> = HashMap::new();
        for s in &self.stations {
            let city = &self.cities[s.city];
            let prov = &PROVINCES[s.province];
            let (area_short, area_full) = match s.district {
                None => {
                    let a = names::AREAS[rng.random_range(0..names::AREAS.len())];
                    (a.to_string(), format!("{a}区"))
                }
                Some(d) => (
                    city.districts[d].short.clone(),
                    city.districts[d].full.clone(),
                ),
            };
            let base = format!("{}{}", city.short, area_short);
            let k = used_names.entry(base.clone()).or_insert(0);
            *k += 1;
            let name_zh = if *k == 1 {
                format!("{base}4S店")
            } else {
                format!("{base}{k}号服务站")
            };
            let city_part = if city.full == prov.full {
                String::new()
            } else {
                city.full.clone()
            };
            let address = format!(
                "{}{}{}{}{}号",
                prov.full,
                city_part,
                area_full,
                names::STREETS[rng.random_range(0..names::STREETS.len())],
                rng.random_range(1..=999)
            );
            let mut caps = vec!["maintenance", "mechanical"];
            if rng.random_bool(0.7) {
                caps.push("body_paint");
            }
            if s.id == 1 || rng.random_bool(0.6) {
                caps.push("ev_high_voltage");
            }
            if rng.random_bool(0.8) {
                caps.push("tyres");
            }
            if rng.random_bool(0.4) {
                caps.push("glass");
            }
            let hours = ["08:30-18:00", "08:30-18:00", "08:00-17:30", "09:00-18:00"]
                [rng.random_range(0..4)];
            st.i(s.id)?;
            st.s(s.code.as_str())?;
            st.s(name_zh)?;
            st.s(format!("{} Service Centre {}", prov.en, s.code))?;
            st.i(s.region as i64 + 1)?;
            st.s(address)?;
            st.s(city.adcode.as_str())?;
            st.s(city.full.as_str())?;
            st.i(s.lon_e6)?;
            st.i(s.lat_e6)?;
            st.s(hours)?;
            st.i(s.bays)?;
            st.s(caps.join(","))?;
            st.s("active")?;
            st.i(rng.random_range(2..=5))?;
            st.i(rng.random_range(30..=50) * 500)?;
            st.i(self.now_ms)?;
            st.i(self.now_ms)?;
            st.row_then_flush(&mut tx).await?;
        }
        st.flush(&mut tx).await?;
        // Units after every station is written: they refer to them.
        for s in &self.stations {
            let prov = &PROVINCES[s.province];
            for (k, kind) in ["rescue_truck", "service_van"].into_iter().enumerate() {
                units.i((s.id - 1) * 2 + k as i64 + 1)?;
                units.s(format!("{}-{}", s.code, if k == 0 { "R1" } else { "V1" }))?;
                units.s(kind)?;
                units.i(s.id)?;
                let green = k == 1 && rng.random_bool(0.5);
                let plate = self.plate(&mut rng, s, green, None);
                units.s(plate.unwrap_or_else(|| format!("{}A00000", prov.plate)))?;
                units.i(s.lon_e6 + rng.random_range(-3000..3000))?;
                units.i(s.lat_e6 + rng.random_range(-3000..3000))?;
                units.s(if rng.random_bool(0.85) {
                    "available"
                } else {
                    "off_duty"
                })?;
                units.i(self.now_ms)?;
                units.row_then_flush(&mut tx).await?;
            }
        }
        units.flush(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    fn plan_staff(&self, rng: &mut StdRng) -> Vec<StaffPlan> {
        let c = &self.counts;
        let mut out = Vec::with_capacity(c.staff);
        fn plan(
            out: &mut Vec<StaffPlan>,
            username: String,
            role: Role,
            station: Option<i64>,
            region: Option<i64>,
            fixed: bool,
        ) {
            out.push(StaffPlan {
                username,
                role,
                station,
                region,
                fixed,
            });
        }
        let hq = [
            (Role::Administrator, "admin", "admin"),
            (Role::CallCentreAgent, "agent", "agent"),
            (Role::TechnicalExpert, "expert", "expert"),
            (Role::QualityAuditor, "auditor", "auditor"),
        ];
        for ((role, short, fixed), n) in hq.into_iter().zip(c.hq) {
            for k in 1..=n.max(1) {
                if k == 1 {
                    plan(&mut out, fixed.to_string(), role, None, None, true);
                } else {
                    plan(&mut out, format!("hq-{short}{k}"), role, None, None, false);
                }
            }
        }
        let first_region = self.stations.first().map(|s| s.region).unwrap_or(0);
        for (r, (code, ..)) in REGIONS.iter().enumerate() {
            for k in 1..=c.regional.max(1) {
                if r == first_region && k == 1 {
                    plan(
                        &mut out,
                        "regional".into(),
                        Role::RegionalManager,
                        None,
                        Some(r as i64 + 1),
                        true,
                    );
                } else {
                    plan(
                        &mut out,
                        format!("{}-rm{k}", code.to_ascii_lowercase()),
                        Role::RegionalManager,
                        None,
                        Some(r as i64 + 1),
                        false,
                    );
                }
            }
        }
        // Station staff: seven roles each, the rest (advisors and technicians) by bays.
        let base = [
            Role::StationManager,
            Role::TechnicalDirector,
            Role::PartsClerk,
            Role::WarrantyClerk,
            Role::CustomerRelations,
            Role::ServiceAdvisor,
            Role::Technician,
        ];
        let used = out.len();
        let n = self.stations.len();
        let extras = c.staff.saturating_sub(used + base.len() * n);
        let bays: i64 = self.stations.iter().map(|s| s.bays).sum();
        let mut extra_of: Vec<usize> = self
            .stations
            .iter()
            .map(|s| (extras as i64 * s.bays / bays.max(1)) as usize)
            .collect();
        let mut left = extras.saturating_sub(extra_of.iter().sum());
        let mut i = 0;
        while left > 0 && n > 0 {
            extra_of[i % n] += 1;
            left -= 1;
            i += 1;
        }
        for (si, s) in self.stations.iter().enumerate() {
            let mut roles: Vec<Role> = base.to_vec();
            for _ in 0..extra_of[si] {
                roles.push(if rng.random_bool(0.3) {
                    Role::ServiceAdvisor
                } else {
                    Role::Technician
                });
            }
            let mut seen: HashMap<Role, usize> = HashMap::new();
            for role in roles {
                let k = seen.entry(role).or_insert(0);
                *k += 1;
                let fixed = match (si, *k, role) {
                    (0, 1, Role::ServiceAdvisor) => Some("advisor"),
                    (0, 1, Role::Technician) => Some("technician"),
                    (0, 1, Role::StationManager) => Some("manager"),
                    (0, 1, Role::PartsClerk) => Some("parts"),
                    (0, 1, Role::WarrantyClerk) => Some("warranty"),
                    (0, 1, Role::CustomerRelations) => Some("relations"),
                    (0, 1, Role::TechnicalDirector) => Some("techdir"),
                    (1, 1, Role::ServiceAdvisor) => Some("advisor2"),
                    _ => None,
                };
                let short = match role {
                    Role::StationManager => "sm",
                    Role::TechnicalDirector => "td",
                    Role::PartsClerk => "pc",
                    Role::WarrantyClerk => "wc",
                    Role::CustomerRelations => "cr",
                    Role::ServiceAdvisor => "sa",
                    _ => "tech",
                };
                match fixed {
                    Some(u) => plan(&mut out, u.to_string(), role, Some(s.id), None, true),
                    None => plan(
                        &mut out,
                        format!("{}-{short}{k}", s.code.to_ascii_lowercase()),
                        role,
                        Some(s.id),
                        None,
                        false,
                    ),
                }
            }
        }
        out
    }

    async fn write_staff(
        &self,
        conn: &mut AnyConnection,
        password_hash: &str,
        progress: &(dyn Fn(&str, u64, u64) + Sync),
    ) -> AppResult<u64> {
        let mut rng = self.rng(3);
        let staff = self.plan_staff(&mut rng);
        let total = staff.len() as u64;
        progress("staff", 0, total);
        let mut tx = self.begin(conn).await?;
        let mut rows = Bulk::new(
            self.backend,
            "staff",
            &[
                "id",
                "username",
                "name",
                "role",
                "station_id",
                "region_id",
                "phone",
                "password_hash",
                "active",
                "created_at",
            ],
        );
        let mut certs = Bulk::new(
            self.backend,
            "certificates",
            &["id", "staff_id", "credential", "issued_on", "expires_on"],
        );
        let mut cert_rows: Vec<(i64, String, usize, usize)> = Vec::new();
        let d = &self.days;
        for (i, s) in staff.iter().enumerate() {
            let id = i as i64 + 1;
            rows.i(id)?;
            rows.s(s.username.as_str())?;
            rows.s(names::person(&mut rng))?;
            rows.s(s.role.code())?;
            rows.oi(s.station)?;
            rows.oi(s.region)?;
            rows.s(names::mobile(&mut rng))?;
            rows.s(password_hash)?;
            rows.i(1)?;
            rows.i(self.now_ms - rng.random_range(0..1_000i64) * DAY_MS)?;
            rows.row_then_flush(&mut tx).await?;

            let mut creds: Vec<String> = Vec::new();
            if s.role == Role::Technician {
                let g = if s.fixed {
                    3
                } else {
                    1 + pick(&mut rng, &[35, 30, 25, 10])
                };
                creds.push(format!("grade:{g}"));
                if s.fixed || rng.random_bool(0.35) {
                    creds.push("qualification:ev_high_voltage".into());
                }
                if !s.fixed && rng.random_bool(0.1) {
                    creds.push("qualification:body_paint".into());
                }
            } else if matches!(
                s.role,
                Role::ServiceAdvisor
                    | Role::PartsClerk
                    | Role::WarrantyClerk
                    | Role::CustomerRelations
                    | Role::StationManager
                    | Role::TechnicalDirector
            ) && (s.fixed || rng.random_bool(0.9))
            {
                creds.push(format!("position:{}", s.role.code()));
            }
            for cred in creds {
                // Three years of validity; issued up to ~3.4 years ago, so some have expired.
                let (issued, expires) = if s.fixed {
                    (d.rel(-200), d.rel(730))
                } else {
                    let issued = d.rel(-rng.random_range(30..1_250));
                    (issued, issued + 3 * 365)
                };
                cert_rows.push((id, cred, issued, expires.min(d.text.len() - 1)));
            }
        }
        rows.flush(&mut tx).await?;
        // Certificates after every account is written: they refer to them.
        for (i, (staff_id, cred, issued, expires)) in cert_rows.into_iter().enumerate() {
            certs.i(i as i64 + 1)?;
            certs.i(staff_id)?;
            certs.s(cred)?;
            certs.s(d.text[issued].as_str())?;
            certs.s(d.text[expires].as_str())?;
            certs.row_then_flush(&mut tx).await?;
        }
        certs.flush(&mut tx).await?;
        tx.commit().await?;
        progress("staff", total, total);
        Ok(total)
    }

    /// Writes the customers and returns each one's station (index = id - 1).
    async fn write_customers(
        &self,
        conn: &mut AnyConnection,
        progress: &(dyn Fn(&str, u64, u64) + Sync),
    ) -> AppResult<Vec<u32>> {
        let mut rng = self.rng(4);
        let n = self.counts.customers;
        let total = n as u64;
        progress("customers", 0, total);
        let mut cum: Vec<i64> = Vec::with_capacity(self.stations.len());
        let mut acc = 0;
        for s in &self.stations {
            acc += s.bays;
            cum.push(acc);
        }
        // Phones rise with the id (each prefix takes a block of ids, random digits within
        // a step of their own), so they are unique and the unique index only grows at its
        // end, which keeps a million inserts fast. 138 0000 0000 is kept for the demo owner.
        let prefixes = names::MOBILE_PREFIXES;
        let per_prefix = n.div_ceil(prefixes.len()).max(1) as u64;
        let step = (100_000_000 / per_prefix).max(2);
        let mut station_of = Vec::with_capacity(n);
        let mut rows = Bulk::new(
            self.backend,
            "customers",
            &[
                "id",
                "name",
                "phone",
                "station_id",
                "channel",
                "quiet_hours",
                "consent_service",
                "consent_marketing",
                "club_member",
                "created_at",
            ],
        );
        let mut tx = self.begin(conn).await?;
        for i in 0..n {
            let id = i as i64 + 1;
            let station = if id == 1 {
                1
            } else {
                let r = rng.random_range(0..acc.max(1));
                cum.partition_point(|c| *c <= r) as i64 + 1
            };
            station_of.push(station as u32);
            let phone = if id == 1 {
                DEMO_OWNER_PHONE.to_string()
            } else {
                let k = (id as u64 - 1) % per_prefix;
                let prefix = prefixes[((id as u64 - 1) / per_prefix) as usize % prefixes.len()];
                let digits = k * step + 1 + rng.random_range(0..step - 1);
                format!("+86{prefix}{digits:08}")
            };
            let channel = ["wechat", "sms", "call", "app"][pick(&mut rng, &[45, 30, 15, 10])];
            let quiet = match rng.random_range(0..10) {
                0..=3 => Some("22:00-08:00".to_string()),
                4 => Some("21:00-09:00".to_string()),
                _ => None,
            };
            rows.i(id)?;
            rows.s(names::person(&mut rng))?;
            rows.s(phone)?;
            rows.i(station)?;
            rows.s(channel)?;
            rows.os(quiet)?;
            rows.i(rng.random_bool(0.95) as i64)?;
            rows.i(rng.random_bool(0.4) as i64)?;
            rows.i(rng.random_bool(0.15) as i64)?;
            rows.i(self.now_ms - rng.random_range(0..1_500i64) * DAY_MS)?;
            rows.row_then_flush(&mut tx).await?;
            if (i + 1) % COMMIT_EVERY == 0 {
                rows.flush(&mut tx).await?;
                tx.commit().await?;
                progress("customers", i as u64 + 1, total);
                tx = self.begin(conn).await?;
            }
        }
        rows.flush(&mut tx).await?;
        tx.commit().await?;
        progress("customers", total, total);
        Ok(station_of)
    }

    async fn write_vehicles(
        &self,
        conn: &mut AnyConnection,
        station_of: &[u32],
        progress: &(dyn Fn(&str, u64, u64) + Sync),
    ) -> AppResult<()> {
        let mut rng = self.rng(5);
        let n = self.counts.vehicles;
        let total = n as u64;
        let customers = station_of.len();
        if customers == 0 || n > 3_000_000 {
            return Err(AppError::Internal(
                "demo vehicles need 1 to 3,000,000 rows and some customers".into(),
            ));
        }
        progress("vehicles", 0, total);
        let maker_weights: Vec<u32> = names::MAKERS.iter().map(|m| m.weight).collect();
        let model_weights: Vec<Vec<u32>> = names::MAKERS
            .iter()
            .map(|m| m.models.iter().map(|x| x.weight).collect())
            .collect();
        // Plant letters: one set per million rows keeps (plant, serial) unique.
        const PLANTS: [&[u8; 8]; 3] = [b"ABCDEFGH", b"JKLMNPRS", b"TUVWXYZ1"];
        const YEAR_WEIGHTS: [u32; 12] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 12, 8];
        let d = &self.days;
        let mut vehicles = Bulk::new(
            self.backend,
            "vehicles",
            &[
                "id",
                "vin",
                "brand",
                "model",
                "model_year",
                "plate",
                "purchase_date",
                "warranty_start",
                "warranty_end",
                "warranty_km",
                "is_ev",
                "owner_id",
                "station_id",
                "created_at",
            ],
        );
        let mut owners = Bulk::new(
            self.backend,
            "ownerships",
            &["id", "vehicle_id", "customer_id", "from_at"],
        );
        let mut readings = Bulk::new(
            self.backend,
            "odometer_readings",
            &[
                "id",
                "vehicle_id",
                "km",
                "source",
                "cluster_replaced",
                "recorded_at",
            ],
        );
        let mut reading_id = 0i64;
        let mut pending_owners: Vec<OwnerRow> = Vec::new();
        let mut pending_readings: Vec<ReadingRow> = Vec::new();
        let mut tx = self.begin(conn).await?;
        for i in 0..n {
            let id = i as i64 + 1;
            let owner = if i < customers {
                i + 1
            } else {
                rng.random_range(1..=customers)
            };
            let station_id = station_of[owner - 1] as usize;
            let station = &self.stations[station_id - 1];
            let mi = pick(&mut rng, &maker_weights);
            let maker = &names::MAKERS[mi];
            let model = &maker.models[pick(&mut rng, &model_weights[mi])];
            let year = 2015 + pick(&mut rng, &YEAR_WEIGHTS) as i64;
            let plant = PLANTS[i / 1_000_000][rng.random_range(0..8)] as char;
            let first8 = format!("{}{}", maker.wmi, model.vds);
            let last8 = format!("{}{}{:06}", names::year_code(year), plant, i % 1_000_000);
            let vin = Vin::with_check_digit(&first8, &last8).map_err(internal)?;
            // Bought between September before the model year and the end of it, not in the future.
            let ys = (year - 2014) as usize;
            let from = d.year_start[ys - 1] + 243;
            let to = (d.year_start[ys + 1] - 1).min(d.today.saturating_sub(1));
            let bought = if from < to {
                rng.random_range(from..=to)
            } else {
                to.saturating_sub(30)
            };
            let serial = (i as u64 * 100_000 / n as u64) as u32 + rng.random_range(0..3);
            let plate = if rng.random_bool(0.02) {
                None
            } else {
                self.plate(&mut rng, station, model.ev, Some(serial))
            };
            let bought_ms = d.ms(bought) + rng.random_range(9..18) * 3_600_000;

            vehicles.i(id)?;
            vehicles.s(vin.as_str())?;
            vehicles.s(maker.brand)?;
            vehicles.s(model.name)?;
            vehicles.i(year)?;
            vehicles.os(plate)?;
            vehicles.s(d.text[bought].as_str())?;
            vehicles.s(d.text[bought].as_str())?;
            vehicles.s(d.warranty_end[bought].as_str())?;
            vehicles.i(100_000)?;
            vehicles.i(model.ev as i64)?;
            vehicles.i(owner as i64)?;
            vehicles.i(station_id as i64)?;
            vehicles.i(bought_ms)?;
            pending_owners.push((id, owner as i64, bought_ms));

            let age = (d.today - bought).max(2) as i64;
            let per_day = rng.random_range(20..80i64);
            let first_day = (age * rng.random_range(30..60) / 100).max(1);
            let mut points = vec![(first_day, "advisor")];
            if rng.random_bool(0.5) {
                let second = (age - rng.random_range(0..=(age / 3).min(60))).max(first_day + 1);
                points.push((second, "telematics"));
            }
            for (day, source) in points {
                reading_id += 1;
                let km = day * per_day + rng.random_range(0..per_day);
                let at = d.ms(bought) + day * DAY_MS + rng.random_range(8..19) * 3_600_000;
                pending_readings.push((reading_id, id, km, source, at));
            }
            // Ownerships and readings go in once their vehicles are written.
            let last = (i + 1) % COMMIT_EVERY == 0;
            if vehicles.end_row() || last {
                vehicles.flush(&mut tx).await?;
                write_children(
                    &mut tx,
                    &mut owners,
                    &mut pending_owners,
                    &mut readings,
                    &mut pending_readings,
                )
                .await?;
            }
            if last {
                owners.flush(&mut tx).await?;
                readings.flush(&mut tx).await?;
                tx.commit().await?;
                progress("vehicles", i as u64 + 1, total);
                tx = self.begin(conn).await?;
            }
        }
        vehicles.flush(&mut tx).await?;
        write_children(
            &mut tx,
            &mut owners,
            &mut pending_owners,
            &mut readings,
            &mut pending_readings,
        )
        .await?;
        owners.flush(&mut tx).await?;
        readings.flush(&mut tx).await?;
        tx.commit().await?;
        progress("vehicles", total, total);
        Ok(())
    }
}
