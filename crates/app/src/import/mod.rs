//! CSV import of stations, staff, customers and vehicles.
//!
//! Every row is checked first — with the domain's parsers, against the rows before it
//! in the file and against the database — and every broken rule is reported with its
//! row, field and rule. Only a file without any error is written, all of it in one
//! transaction, so an import either adds every row or none.
//!
//! The common row checker (reading records, duplicates in the file, lookups in the
//! database, field parsers) is here; each kind's rows are checked and written in its
//! own file.

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

mod stations;

mod staff;

mod customers;

mod vehicles;

#[cfg(test)]
mod tests;
