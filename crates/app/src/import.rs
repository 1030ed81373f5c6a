//! CSV import of stations, staff, customers and vehicles.
//!
//! Every row is checked first — with the domain's parsers, against the rows before it
//! in the file and against the database — and every broken rule is reported with its
//! row, field and rule. Only a file without any error is written, all of it in one
//! transaction, so an import either adds every row or none.

use crate::demo::bulk::Bulk;
use crate::{AppError, AppResult};
use domain::customer::{Channel, QuietHours};
use domain::money::Money;
use domain::network::{check_coordinates, parse_capabilities, parse_station_code, required_text};
use domain::phone::Phone;
use domain::plate::Plate;
use domain::role::{Role, UnitKind};
use domain::vin::Vin;
use domain::{Violation, Violations};
use serde::Serialize;
use sqlx::{AssertSqlSafe, Row};
use std::collections::{HashMap, HashSet};
use store::Db;

/// What a CSV file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    /// Service stations.
    Stations,
    /// Staff accounts.
    Staff,
    /// Customers.
    Customers,
    /// Vehicles (each with its first ownership).
    Vehicles,
}

impl ImportKind {
    /// Every kind.
    pub const ALL: [ImportKind; 4] = [
        ImportKind::Stations,
        ImportKind::Staff,
        ImportKind::Customers,
        ImportKind::Vehicles,
    ];

    /// The kind named `stations`, `staff`, `customers` or `vehicles`.
    pub fn from_name(name: &str) -> Option<ImportKind> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == name.trim().to_ascii_lowercase())
    }

    /// The kind's name.
    pub fn name(self) -> &'static str {
        match self {
            ImportKind::Stations => "stations",
            ImportKind::Staff => "staff",
            ImportKind::Customers => "customers",
            ImportKind::Vehicles => "vehicles",
        }
    }
}

/// The header line of a kind's CSV file (also the columns of its export).
pub fn template_header(kind: ImportKind) -> &'static str {
    match kind {
        ImportKind::Stations => {
            "code,name_zh,name_en,region_code,address,adcode,city,lon,lat,opening_hours,bays,capabilities,labour_rate_yuan"
        }
        ImportKind::Staff => "username,name,role,station_code,region_code,phone,password",
        ImportKind::Customers => {
            "name,phone,station_code,channel,quiet_hours,consent_service,consent_marketing"
        }
        ImportKind::Vehicles => {
            "vin,brand,model,model_year,plate,purchase_date,warranty_start,warranty_end,warranty_km,is_ev,owner_phone,station_code"
        }
    }
}

/// One broken rule in an import file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// The data row, counting from 1 for the first line after the header; 0 means the
    /// header itself (a missing or unknown column).
    pub row: u64,
    /// The column, as named in the header (`row` when the line itself is malformed).
    pub field: String,
    /// Stable rule code, e.g. `vin.check_digit` or `import.duplicate_in_file`.
    pub rule: &'static str,
}

/// The outcome of an import: rows written, or every error found (then nothing is
/// written and `imported` is 0).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Rows written.
    pub imported: u64,
    /// Every broken rule, ordered by row.
    pub errors: Vec<RowError>,
}

/// Keys looked up in the database per statement.
const LOOKUP_BATCH: usize = 500;

/// Imports a CSV file of `kind` (header as [`template_header`], columns in any order).
/// Writes nothing unless every row is valid; then writes all rows in one transaction.
/// `now_ms` stamps the new rows; `progress` is called with the rows written so far.
pub async fn import_csv(
    db: &Db,
    kind: ImportKind,
    reader: impl std::io::Read,
    now_ms: i64,
    progress: &(dyn Fn(u64) + Sync),
) -> AppResult<ImportReport> {
    let (records, errors) = read_records(kind, reader)?;
    if errors.iter().any(|e| e.row == 0) {
        return Ok(ImportReport {
            imported: 0,
            errors,
        });
    }
    // Lines that could not be read are reported together with the rows' own errors.
    let mut check = Check { errors };
    let imported = match kind {
        ImportKind::Stations => {
            let rows = stations::validate(db, &records, &mut check).await?;
            if check.errors.is_empty() {
                stations::write(db, &rows, now_ms, progress).await?
            } else {
                0
            }
        }
        ImportKind::Staff => {
            let rows = staff::validate(db, &records, &mut check).await?;
            if check.errors.is_empty() {
                staff::write(db, rows, now_ms, progress).await?
            } else {
                0
            }
        }
        ImportKind::Customers => {
            let rows = customers::validate(db, &records, &mut check).await?;
            if check.errors.is_empty() {
                customers::write(db, &rows, now_ms, progress).await?
            } else {
                0
            }
        }
        ImportKind::Vehicles => {
            let rows = vehicles::validate(db, &records, &mut check).await?;
            if check.errors.is_empty() {
                vehicles::write(db, &rows, now_ms, progress).await?
            } else {
                0
            }
        }
    };
    let mut errors = check.errors;
    errors.sort_by_key(|e| e.row);
    Ok(ImportReport { imported, errors })
}

/// A data row: its number and its values by column name.
struct Record {
    row: u64,
    values: HashMap<&'static str, String>,
}

impl Record {
    fn get(&self, col: &str) -> &str {
        self.values.get(col).map(String::as_str).unwrap_or("")
    }
}

/// Reads the header and the rows; header problems and malformed lines are errors.
fn read_records(
    kind: ImportKind,
    reader: impl std::io::Read,
) -> AppResult<(Vec<Record>, Vec<RowError>)> {
    let cols: Vec<&'static str> = template_header(kind).split(',').collect();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(reader);
    let mut errors = Vec::new();
    let header: Vec<String> = match rdr.headers() {
        Ok(h) => h
            .iter()
            .map(|s| s.trim_start_matches('\u{feff}').trim().to_ascii_lowercase())
            .collect(),
        Err(e) => {
            return Err(AppError::Invalid(
                Violation::new("file", "csv.format")
                    .with_detail(e.to_string())
                    .into(),
            ));
        }
    };
    for c in &cols {
        if !header.iter().any(|h| h == c) {
            errors.push(RowError {
                row: 0,
                field: (*c).to_string(),
                rule: "import.missing_column",
            });
        }
    }
    let mut seen = HashSet::new();
    for h in &header {
        if !cols.contains(&h.as_str()) {
            errors.push(RowError {
                row: 0,
                field: h.clone(),
                rule: "import.unknown_column",
            });
        } else if !seen.insert(h.clone()) {
            errors.push(RowError {
                row: 0,
                field: h.clone(),
                rule: "import.duplicate_column",
            });
        }
    }
    if !errors.is_empty() {
        return Ok((Vec::new(), errors));
    }
    let index: Vec<(&'static str, usize)> = cols
        .iter()
        .filter_map(|c| header.iter().position(|h| h == c).map(|i| (*c, i)))
        .collect();
    let mut records = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let row = i as u64 + 1;
        match rec {
            Ok(r) if r.len() == header.len() => {
                let values = index
                    .iter()
                    .map(|(c, i)| (*c, r.get(*i).unwrap_or("").to_string()))
                    .collect();
                records.push(Record { row, values });
            }
            Ok(r) if r.iter().all(|f| f.is_empty()) => {}
            Ok(_) => errors.push(RowError {
                row,
                field: "row".into(),
                rule: "csv.field_count",
            }),
            Err(_) => errors.push(RowError {
                row,
                field: "row".into(),
                rule: "csv.format",
            }),
        }
    }
    Ok((records, errors))
}

/// Errors found so far.
struct Check {
    errors: Vec<RowError>,
}

impl Check {
    fn push(&mut self, row: u64, field: &str, rule: &'static str) {
        self.errors.push(RowError {
            row,
            field: field.to_string(),
            rule,
        });
    }

    /// Keeps the row's violations; true when there were none.
    fn take(&mut self, row: u64, v: Violations) -> bool {
        let ok = v.is_empty();
        for x in v.0 {
            self.errors.push(RowError {
                row,
                field: x.field,
                rule: x.rule,
            });
        }
        ok
    }
}

/// Marks every row whose key appeared in an earlier row.
fn duplicates_in_file<'a>(
    check: &mut Check,
    field: &str,
    keys: impl Iterator<Item = (u64, &'a str)>,
) {
    let mut seen = HashSet::new();
    for (row, key) in keys {
        if !seen.insert(key) {
            check.push(row, field, "import.duplicate_in_file");
        }
    }
}

/// `key → id` for the keys that exist, from `SELECT key, id FROM … WHERE key IN (…)`.
async fn lookup(db: &Db, select: &str, keys: &[&str]) -> AppResult<HashMap<String, i64>> {
    let mut out = HashMap::new();
    let mut conn = db.pool.acquire().await?;
    for chunk in keys.chunks(LOOKUP_BATCH) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("{select} IN ({})", marks.join(","));
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for k in chunk {
            q = q.bind(*k);
        }
        for r in q.fetch_all(&mut *conn).await? {
            out.insert(r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?);
        }
    }
    Ok(out)
}

/// Marks rows whose unique key repeats inside the file or is already in the database.
async fn unique_key(
    db: &Db,
    check: &mut Check,
    field: &str,
    select: &str,
    keys: &[(u64, &str)],
) -> AppResult<()> {
    duplicates_in_file(check, field, keys.iter().copied());
    existing_in_db(db, check, field, select, keys).await
}

/// Marks rows whose unique key is already in the database.
async fn existing_in_db(
    db: &Db,
    check: &mut Check,
    field: &str,
    select: &str,
    keys: &[(u64, &str)],
) -> AppResult<()> {
    let list: Vec<&str> = keys.iter().map(|(_, k)| *k).collect();
    let found = lookup(db, select, &list).await?;
    for (row, k) in keys {
        if found.contains_key(*k) {
            check.push(*row, field, "import.already_exists");
        }
    }
    Ok(())
}

/// Station code → (id, region id).
async fn station_codes(db: &Db) -> AppResult<HashMap<String, (i64, i64)>> {
    let rows = sqlx::query("SELECT code, id, region_id FROM stations")
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<String, _>(0)?,
                (r.try_get::<i64, _>(1)?, r.try_get::<i64, _>(2)?),
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Region code → id.
async fn region_codes(db: &Db) -> AppResult<HashMap<String, i64>> {
    let rows = sqlx::query("SELECT code, id FROM regions")
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// `1/0`, `true/false`, `yes/no`, `y/n`, `是/否`.
fn parse_bool(s: &str) -> Result<bool, Violation> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "y" | "是" => Ok(true),
        "0" | "false" | "no" | "n" | "否" => Ok(false),
        _ => Err(Violation::new("", "import.bool")),
    }
}

fn parse_int(
    s: &str,
    range: std::ops::RangeInclusive<i64>,
    rule: &'static str,
) -> Result<i64, Violation> {
    match s.trim().parse::<i64>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(Violation::new("", rule)),
    }
}

fn parse_date(s: &str) -> Result<jiff::civil::Date, Violation> {
    s.trim()
        .parse::<jiff::civil::Date>()
        .map_err(|_| Violation::new("", "date.format"))
}

/// A station code that must exist: its (id, region id).
fn known_station(codes: &HashMap<String, (i64, i64)>, s: &str) -> Result<(i64, i64), Violation> {
    let code = s.trim().to_ascii_uppercase();
    if code.is_empty() {
        return Err(Violation::new("", "import.required"));
    }
    codes
        .get(&code)
        .copied()
        .ok_or_else(|| Violation::new("", "station.unknown"))
}

mod stations {
    use super::*;

    /// A valid station row.
    pub(super) struct Row {
        code: String,
        name_zh: String,
        name_en: String,
        region_id: i64,
        address: String,
        adcode: String,
        city: String,
        lon_e6: i64,
        lat_e6: i64,
        opening_hours: String,
        bays: i64,
        capabilities: String,
        labour_rate_fen: i64,
    }

    fn opening_hours(s: &str) -> Result<String, Violation> {
        let bad = || Violation::new("", "station.opening_hours");
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        let from: jiff::civil::Time = a.trim().parse().map_err(|_| bad())?;
        let to: jiff::civil::Time = b.trim().parse().map_err(|_| bad())?;
        if from >= to {
            return Err(bad());
        }
        Ok(format!(
            "{}-{}",
            from.strftime("%H:%M"),
            to.strftime("%H:%M")
        ))
    }

    fn adcode(s: &str) -> Result<String, Violation> {
        let t = s.trim();
        if t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(t.to_string())
        } else {
            Err(Violation::new("", "station.adcode"))
        }
    }

    fn degrees(s: &str) -> Result<f64, Violation> {
        s.trim()
            .parse::<f64>()
            .map_err(|_| Violation::new("", "geo.coordinates"))
    }

    pub(super) async fn validate(
        db: &Db,
        records: &[Record],
        check: &mut Check,
    ) -> AppResult<Vec<Row>> {
        let regions = region_codes(db).await?;
        let mut rows = Vec::new();
        for r in records {
            let mut v = Violations::new();
            let code = v.field("code", parse_station_code(r.get("code")));
            let name_zh = v.field("name_zh", required_text("name_zh", r.get("name_zh")));
            let name_en = v.field("name_en", required_text("name_en", r.get("name_en")));
            let region_code = r.get("region_code").trim().to_ascii_uppercase();
            let region_id = v.field(
                "region_code",
                regions
                    .get(&region_code)
                    .copied()
                    .ok_or_else(|| Violation::new("", "region.unknown")),
            );
            let address = v.field("address", required_text("address", r.get("address")));
            let adcode = v.field("adcode", adcode(r.get("adcode")));
            let city = v.field("city", required_text("city", r.get("city")));
            let lon = v.field("lon", degrees(r.get("lon")));
            let lat = v.field("lat", degrees(r.get("lat")));
            if let (Some(lon), Some(lat)) = (lon, lat) {
                v.field("lon", check_coordinates(lon, lat));
            }
            let hours = v.field("opening_hours", opening_hours(r.get("opening_hours")));
            let bays = v.field("bays", parse_int(r.get("bays"), 0..=500, "station.bays"));
            let caps: Vec<String> = r
                .get("capabilities")
                .split(';')
                .map(str::to_string)
                .collect();
            let caps = v.field("capabilities", parse_capabilities(&caps));
            let rate = v.field(
                "labour_rate_yuan",
                Money::parse_yuan(r.get("labour_rate_yuan"))
                    .map_err(Violation::from)
                    .and_then(|m| {
                        if m.fen() > 0 {
                            Ok(m)
                        } else {
                            Err(Violation::new("", "money.range"))
                        }
                    }),
            );
            if !check.take(r.row, v) {
                continue;
            }
            if let (
                Some(code),
                Some(name_zh),
                Some(name_en),
                Some(region_id),
                Some(address),
                Some(adcode),
                Some(city),
                Some(lon),
                Some(lat),
                Some(opening_hours),
                Some(bays),
                Some(caps),
                Some(rate),
            ) = (
                code, name_zh, name_en, region_id, address, adcode, city, lon, lat, hours, bays,
                caps, rate,
            ) {
                rows.push((
                    r.row,
                    Row {
                        code,
                        name_zh,
                        name_en,
                        region_id,
                        address,
                        adcode,
                        city,
                        lon_e6: (lon * 1e6).round() as i64,
                        lat_e6: (lat * 1e6).round() as i64,
                        opening_hours,
                        bays,
                        capabilities: caps.join(","),
                        labour_rate_fen: rate.fen(),
                    },
                ));
            }
        }
        let keys: Vec<(u64, &str)> = rows.iter().map(|(n, r)| (*n, r.code.as_str())).collect();
        unique_key(
            db,
            check,
            "code",
            "SELECT code, id FROM stations WHERE code",
            &keys,
        )
        .await?;
        Ok(rows.into_iter().map(|(_, r)| r).collect())
    }

    pub(super) async fn write(
        db: &Db,
        rows: &[Row],
        now_ms: i64,
        progress: &(dyn Fn(u64) + Sync),
    ) -> AppResult<u64> {
        let mut tx = db.begin().await?;
        let mut b = Bulk::new(
            db.backend,
            "stations",
            &[
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
                "labour_rate_fen",
                "created_at",
                "updated_at",
            ],
        );
        for r in rows {
            b.s(r.code.as_str())?;
            b.s(r.name_zh.as_str())?;
            b.s(r.name_en.as_str())?;
            b.i(r.region_id)?;
            b.s(r.address.as_str())?;
            b.s(r.adcode.as_str())?;
            b.s(r.city.as_str())?;
            b.i(r.lon_e6)?;
            b.i(r.lat_e6)?;
            b.s(r.opening_hours.as_str())?;
            b.i(r.bays)?;
            b.s(r.capabilities.as_str())?;
            b.s("active")?;
            b.i(r.labour_rate_fen)?;
            b.i(now_ms)?;
            b.i(now_ms)?;
            if b.end_row() {
                b.flush(&mut tx).await?;
                progress(b.written());
            }
        }
        b.flush(&mut tx).await?;
        tx.commit().await?;
        progress(b.written());
        Ok(b.written())
    }
}

mod staff {
    use super::*;

    /// A valid staff row; the password is still plain.
    pub(super) struct Row {
        username: String,
        name: String,
        role: Role,
        station_id: Option<i64>,
        region_id: Option<i64>,
        phone: String,
        password: String,
    }

    fn username(s: &str) -> Result<String, Violation> {
        let t = s.trim().to_ascii_lowercase();
        let ok = (3..=32).contains(&t.len())
            && t.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
            });
        if ok {
            Ok(t)
        } else {
            Err(Violation::new("", "staff.username"))
        }
    }

    pub(super) async fn validate(
        db: &Db,
        records: &[Record],
        check: &mut Check,
    ) -> AppResult<Vec<Row>> {
        let regions = region_codes(db).await?;
        let stations = station_codes(db).await?;
        let mut rows = Vec::new();
        for r in records {
            let mut v = Violations::new();
            let username = v.field("username", username(r.get("username")));
            let name = v.field(
                "name",
                domain::customer::parse_name(r.get("name"))
                    .map_err(|_| Violation::new("", "staff.name")),
            );
            let role = v.field(
                "role",
                Role::from_code(r.get("role").trim())
                    .filter(|x| *x != Role::Owner)
                    .ok_or_else(|| Violation::new("", "staff.role")),
            );
            let (station_code, region_code) = (
                r.get("station_code").trim(),
                r.get("region_code").trim().to_ascii_uppercase(),
            );
            let mut station_id = None;
            let mut region_id = None;
            match role.map(Role::unit_kind) {
                Some(UnitKind::Station) => {
                    if let Some((sid, rid)) =
                        v.field("station_code", known_station(&stations, station_code))
                    {
                        station_id = Some(sid);
                        if !region_code.is_empty() && regions.get(&region_code) != Some(&rid) {
                            v.push(Violation::new("region_code", "staff.region_mismatch"));
                        }
                    }
                }
                Some(UnitKind::Region) => {
                    if !station_code.is_empty() {
                        v.push(Violation::new("station_code", "staff.station_not_allowed"));
                    }
                    if region_code.is_empty() {
                        v.push(Violation::new("region_code", "import.required"));
                    } else {
                        region_id = v.field(
                            "region_code",
                            regions
                                .get(&region_code)
                                .copied()
                                .ok_or_else(|| Violation::new("", "region.unknown")),
                        );
                    }
                }
                Some(_) => {
                    if !station_code.is_empty() {
                        v.push(Violation::new("station_code", "staff.station_not_allowed"));
                    }
                    if !region_code.is_empty() {
                        v.push(Violation::new("region_code", "staff.region_not_allowed"));
                    }
                }
                None => {}
            }
            let phone = v.field("phone", Phone::parse(r.get("phone")));
            let password = r.get("password").to_string();
            v.field("password", crate::password::check_strength(&password));
            if !check.take(r.row, v) {
                continue;
            }
            if let (Some(username), Some(name), Some(role), Some(phone)) =
                (username, name, role, phone)
            {
                rows.push((
                    r.row,
                    Row {
                        username,
                        name,
                        role,
                        station_id,
                        region_id,
                        phone: phone.e164().to_string(),
                        password,
                    },
                ));
            }
        }
        let keys: Vec<(u64, &str)> = rows
            .iter()
            .map(|(n, r)| (*n, r.username.as_str()))
            .collect();
        unique_key(
            db,
            check,
            "username",
            "SELECT username, id FROM staff WHERE username",
            &keys,
        )
        .await?;
        Ok(rows.into_iter().map(|(_, r)| r).collect())
    }

    pub(super) async fn write(
        db: &Db,
        rows: Vec<Row>,
        now_ms: i64,
        progress: &(dyn Fn(u64) + Sync),
    ) -> AppResult<u64> {
        // argon2 is slow on purpose: hash each distinct password once, off the async threads.
        let distinct: Vec<String> = rows
            .iter()
            .map(|r| r.password.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let hashes: HashMap<String, String> = tokio::task::spawn_blocking(move || {
            distinct
                .into_iter()
                .map(|p| crate::password::hash(&p).map(|h| (p, h)))
                .collect::<AppResult<HashMap<_, _>>>()
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
        let mut tx = db.begin().await?;
        let mut b = Bulk::new(
            db.backend,
            "staff",
            &[
                "username",
                "name",
                "role",
                "station_id",
                "region_id",
                "phone",
                "password_hash",
                "created_at",
            ],
        );
        for r in &rows {
            let hash = hashes
                .get(&r.password)
                .ok_or_else(|| AppError::Internal("password hash missing".into()))?;
            b.s(r.username.as_str())?;
            b.s(r.name.as_str())?;
            b.s(r.role.code())?;
            b.oi(r.station_id)?;
            b.oi(r.region_id)?;
            b.s(r.phone.as_str())?;
            b.s(hash.as_str())?;
            b.i(now_ms)?;
            if b.end_row() {
                b.flush(&mut tx).await?;
                progress(b.written());
            }
        }
        b.flush(&mut tx).await?;
        tx.commit().await?;
        progress(b.written());
        Ok(b.written())
    }
}

mod customers {
    use super::*;

    /// A valid customer row.
    pub(super) struct Row {
        name: String,
        phone: String,
        station_id: i64,
        channel: &'static str,
        quiet_hours: Option<String>,
        consent_service: bool,
        consent_marketing: bool,
    }

    pub(super) async fn validate(
        db: &Db,
        records: &[Record],
        check: &mut Check,
    ) -> AppResult<Vec<Row>> {
        let stations = station_codes(db).await?;
        let mut rows = Vec::new();
        for r in records {
            let mut v = Violations::new();
            let name = v.field("name", domain::customer::parse_name(r.get("name")));
            let phone = v.field("phone", Phone::parse(r.get("phone")));
            let station = v.field(
                "station_code",
                known_station(&stations, r.get("station_code")),
            );
            let channel = v.field(
                "channel",
                Channel::from_code(r.get("channel").trim())
                    .ok_or(domain::customer::CustomerError::Channel),
            );
            let quiet = r.get("quiet_hours").trim();
            let quiet_hours = if quiet.is_empty() {
                Some(None)
            } else {
                v.field("quiet_hours", QuietHours::parse(quiet))
                    .map(|q| Some(q.format()))
            };
            let service = v.field("consent_service", parse_bool(r.get("consent_service")));
            let marketing = v.field("consent_marketing", parse_bool(r.get("consent_marketing")));
            if !check.take(r.row, v) {
                continue;
            }
            if let (
                Some(name),
                Some(phone),
                Some((station_id, _)),
                Some(channel),
                Some(quiet_hours),
                Some(s),
                Some(m),
            ) = (
                name,
                phone,
                station,
                channel,
                quiet_hours,
                service,
                marketing,
            ) {
                rows.push((
                    r.row,
                    Row {
                        name,
                        phone: phone.e164().to_string(),
                        station_id,
                        channel: channel.code(),
                        quiet_hours,
                        consent_service: s,
                        consent_marketing: m,
                    },
                ));
            }
        }
        let keys: Vec<(u64, &str)> = rows.iter().map(|(n, r)| (*n, r.phone.as_str())).collect();
        unique_key(
            db,
            check,
            "phone",
            "SELECT phone, id FROM customers WHERE phone",
            &keys,
        )
        .await?;
        Ok(rows.into_iter().map(|(_, r)| r).collect())
    }

    pub(super) async fn write(
        db: &Db,
        rows: &[Row],
        now_ms: i64,
        progress: &(dyn Fn(u64) + Sync),
    ) -> AppResult<u64> {
        let mut tx = db.begin().await?;
        let mut b = Bulk::new(
            db.backend,
            "customers",
            &[
                "name",
                "phone",
                "station_id",
                "channel",
                "quiet_hours",
                "consent_service",
                "consent_marketing",
                "created_at",
            ],
        );
        for r in rows {
            b.s(r.name.as_str())?;
            b.s(r.phone.as_str())?;
            b.i(r.station_id)?;
            b.s(r.channel)?;
            b.os(r.quiet_hours.clone())?;
            b.i(r.consent_service as i64)?;
            b.i(r.consent_marketing as i64)?;
            b.i(now_ms)?;
            if b.end_row() {
                b.flush(&mut tx).await?;
                progress(b.written());
            }
        }
        b.flush(&mut tx).await?;
        tx.commit().await?;
        progress(b.written());
        Ok(b.written())
    }
}

mod vehicles {
    use super::*;

    /// A valid vehicle row.
    pub(super) struct Row {
        vin: String,
        brand: String,
        model: String,
        model_year: i64,
        plate: Option<String>,
        purchase_date: String,
        warranty_start: String,
        warranty_end: String,
        warranty_km: i64,
        is_ev: bool,
        owner_phone: String,
        owner_id: i64,
        station_id: i64,
    }

    pub(super) async fn validate(
        db: &Db,
        records: &[Record],
        check: &mut Check,
    ) -> AppResult<Vec<Row>> {
        let stations = station_codes(db).await?;
        let next_year = i64::from(
            jiff::Timestamp::now()
                .to_zoned(jiff::tz::TimeZone::UTC)
                .year(),
        ) + 1;
        let mut rows = Vec::new();
        for r in records {
            let mut v = Violations::new();
            let vin = v.field("vin", Vin::parse(r.get("vin")));
            let brand = v.field("brand", required_text("brand", r.get("brand")));
            let model = v.field("model", required_text("model", r.get("model")));
            let year = v.field(
                "model_year",
                parse_int(r.get("model_year"), 1950..=next_year, "vehicle.model_year"),
            );
            let plate_text = r.get("plate").trim();
            let plate = if plate_text.is_empty() {
                Some(None)
            } else {
                v.field("plate", Plate::parse(plate_text))
                    .map(|p| Some(p.to_string()))
            };
            let purchase = v.field("purchase_date", parse_date(r.get("purchase_date")));
            let start = v.field("warranty_start", parse_date(r.get("warranty_start")));
            let end = v.field("warranty_end", parse_date(r.get("warranty_end")));
            if let (Some(s), Some(e)) = (start, end)
                && e < s
            {
                v.push(Violation::new("warranty_end", "vehicle.warranty_period"));
            }
            let km = v.field(
                "warranty_km",
                parse_int(r.get("warranty_km"), 0..=10_000_000, "vehicle.warranty_km"),
            );
            let is_ev = v.field("is_ev", parse_bool(r.get("is_ev")));
            let owner = v.field("owner_phone", Phone::parse(r.get("owner_phone")));
            let station = v.field(
                "station_code",
                known_station(&stations, r.get("station_code")),
            );
            if !check.take(r.row, v) {
                continue;
            }
            if let (
                Some(vin),
                Some(brand),
                Some(model),
                Some(model_year),
                Some(plate),
                Some(p),
                Some(s),
                Some(e),
                Some(warranty_km),
                Some(is_ev),
                Some(owner),
                Some((station_id, _)),
            ) = (
                vin, brand, model, year, plate, purchase, start, end, km, is_ev, owner, station,
            ) {
                rows.push((
                    r.row,
                    Row {
                        vin: vin.to_string(),
                        brand,
                        model,
                        model_year,
                        plate,
                        purchase_date: p.to_string(),
                        warranty_start: s.to_string(),
                        warranty_end: e.to_string(),
                        warranty_km,
                        is_ev,
                        owner_phone: owner.e164().to_string(),
                        owner_id: 0,
                        station_id,
                    },
                ));
            }
        }
        let keys: Vec<(u64, &str)> = rows.iter().map(|(n, r)| (*n, r.vin.as_str())).collect();
        unique_key(
            db,
            check,
            "vin",
            "SELECT vin, id FROM vehicles WHERE vin",
            &keys,
        )
        .await?;
        let phones: Vec<&str> = rows
            .iter()
            .map(|(_, r)| r.owner_phone.as_str())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let owners = lookup(db, "SELECT phone, id FROM customers WHERE phone", &phones).await?;
        for (n, r) in rows.iter_mut() {
            match owners.get(&r.owner_phone) {
                Some(id) => r.owner_id = *id,
                None => check.push(*n, "owner_phone", "customer.unknown"),
            }
        }
        Ok(rows.into_iter().map(|(_, r)| r).collect())
    }

    pub(super) async fn write(
        db: &Db,
        rows: &[Row],
        now_ms: i64,
        progress: &(dyn Fn(u64) + Sync),
    ) -> AppResult<u64> {
        let mut tx = db.begin().await?;
        let mut b = Bulk::new(
            db.backend,
            "vehicles",
            &[
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
        let mut pending: Vec<&str> = Vec::new();
        for r in rows {
            b.s(r.vin.as_str())?;
            b.s(r.brand.as_str())?;
            b.s(r.model.as_str())?;
            b.i(r.model_year)?;
            b.os(r.plate.clone())?;
            b.s(r.purchase_date.as_str())?;
            b.s(r.warranty_start.as_str())?;
            b.s(r.warranty_end.as_str())?;
            b.i(r.warranty_km)?;
            b.i(r.is_ev as i64)?;
            b.i(r.owner_id)?;
            b.i(r.station_id)?;
            b.i(now_ms)?;
            pending.push(r.vin.as_str());
            if b.end_row() {
                b.flush(&mut tx).await?;
                first_ownerships(&mut tx, &pending).await?;
                pending.clear();
                progress(b.written());
            }
        }
        b.flush(&mut tx).await?;
        first_ownerships(&mut tx, &pending).await?;
        tx.commit().await?;
        progress(b.written());
        Ok(b.written())
    }

    /// The first ownership of each just-written vehicle, from its owner and creation time.
    async fn first_ownerships(conn: &mut sqlx::AnyConnection, vins: &[&str]) -> AppResult<()> {
        for chunk in vins.chunks(LOOKUP_BATCH) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "INSERT INTO ownerships (vehicle_id, customer_id, from_at) SELECT id, owner_id, created_at FROM vehicles WHERE vin IN ({})",
                marks.join(",")
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for v in chunk {
                q = q.bind(*v);
            }
            q.execute(&mut *conn).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_headers() {
        for k in ImportKind::ALL {
            assert_eq!(ImportKind::from_name(k.name()), Some(k));
            assert!(!template_header(k).is_empty());
        }
        assert_eq!(
            ImportKind::from_name("Vehicles"),
            Some(ImportKind::Vehicles)
        );
        assert_eq!(ImportKind::from_name("parts"), None);
    }

    #[test]
    fn header_errors_name_the_columns() {
        let csv = "code,name_zh,colour\n";
        let (records, errors) =
            read_records(ImportKind::Stations, csv.as_bytes()).unwrap_or_default();
        assert!(records.is_empty());
        assert!(
            errors
                .iter()
                .any(|e| e.row == 0 && e.field == "colour" && e.rule == "import.unknown_column")
        );
        assert!(
            errors
                .iter()
                .any(|e| e.row == 0 && e.field == "lon" && e.rule == "import.missing_column")
        );
    }

    #[test]
    fn bools() {
        assert_eq!(parse_bool("是"), Ok(true));
        assert_eq!(parse_bool("0"), Ok(false));
        assert!(parse_bool("maybe").is_err());
    }
}
