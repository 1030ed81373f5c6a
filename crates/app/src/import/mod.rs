//! CSV import of stations, staff, customers and vehicles, streamed in batches so
//! memory stays bounded whatever the file's size.
//!
//! Two passes over the file, then done:
//! 1. **Check**: every row is checked in batches of [`BATCH_ROWS`] — with the
//!    domain's parsers, against the rows before it in the file (by a 128-bit hash of
//!    each unique key, so 2,000,000 keys take ~40 MB, not the keys themselves) and
//!    against the database — and every broken rule is reported with its row, field
//!    and rule. A file with any error writes **nothing**.
//! 2. **Write**: the same batches again, each checked once more against the database
//!    and written in its own transaction, together with the resume point
//!    (`import_runs`: the file's SHA-256, the kind, the last row committed, the
//!    state).
//!
//! Why check first rather than writing the good batches and reporting the bad ones:
//! an operator importing a file expects "fix the file and run it again" to work.
//! Had the good batches of a broken file stayed, the corrected file (a new hash)
//! would collide with its own earlier rows (`import.already_exists`), and nobody
//! could tell which rows of a half-loaded list are in. Checked first, a file either
//! goes in whole or not at all — except for a crash, which the resume point covers:
//! running the same file again skips the check (it passed; its first rows are now in
//! the database) and continues after the last committed row, so no row is written
//! twice; a file already imported whole is not written again.
//!
//! Should the database change between the passes (someone adds a customer with a
//! phone of the file), the batch that meets it is not written, the import stops with
//! the errors, and the earlier batches stay (the resume point says how far it got).
//!
//! Memory: one batch of rows, the key hashes, and at most [`MAX_ERRORS`] errors
//! (later ones are counted in [`ImportReport::error_count`]: a file that broken is
//! fixed from its first errors).
//!
//! The common row checker (duplicates in the file, lookups in the database, field
//! parsers) is here; reading the file is in `source`; each kind's rows are checked
//! and written in its own file.

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
use store::{Backend, Db};

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

    /// The tables an import of this kind writes rows to.
    pub fn tables(self) -> &'static [&'static str] {
        match self {
            ImportKind::Stations => &["stations"],
            ImportKind::Staff => &["staff"],
            ImportKind::Customers => &["customers", "consent_entries"],
            ImportKind::Vehicles => &["vehicles", "ownerships"],
        }
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

/// The outcome of an import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Rows written by this run.
    pub imported: u64,
    /// Rows an earlier, interrupted run of the same file had written (this run
    /// continued after them); with `already_imported`, the rows of the whole file.
    pub resumed_after: u64,
    /// The same file was imported whole before: nothing was written.
    pub already_imported: bool,
    /// The broken rules, ordered by row; the first [`MAX_ERRORS`] of them.
    pub errors: Vec<RowError>,
    /// How many rules were broken in all (more than `errors.len()` past [`MAX_ERRORS`]).
    pub error_count: u64,
}

/// Where an import stands, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Checking every row, or writing them.
    pub phase: Phase,
    /// Rows of the file done in this phase (data rows, header excluded).
    pub rows: u64,
    /// Lines of the file (about the data rows + 1), to size a bar.
    pub lines: u64,
}

/// A pass of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The first pass: every row checked, nothing written.
    Check,
    /// The second pass: batches written.
    Write,
}

/// Rows checked and written together: each batch is one transaction, and bounds
/// what the import holds in memory.
pub const BATCH_ROWS: usize = 5_000;

/// The most errors a report lists (the rest are counted).
pub const MAX_ERRORS: usize = 10_000;

/// Keys looked up in the database per statement.
const LOOKUP_BATCH: usize = 500;

/// Imports a CSV of `kind` (header as [`template_header`], columns in any order), a
/// file or bytes, as the module header describes: checked whole first, nothing
/// written if any row is bad; then written batch by batch, resumable after a crash.
/// `now_ms` stamps the new rows; `progress` is told how far each pass got.
pub async fn import_csv<'a>(
    db: &Db,
    kind: ImportKind,
    source: impl Into<Source<'a>>,
    now_ms: i64,
    progress: &(dyn Fn(Progress) + Sync),
) -> AppResult<ImportReport> {
    let source = source.into();
    let (hash, lines) = source.fingerprint()?;
    let earlier = {
        let mut conn = db.pool.acquire().await?;
        store::import::find(&mut conn, &hash, kind.name()).await?
    };
    let run = match earlier {
        Some(run) if run.state == store::import::DONE => {
            return Ok(ImportReport {
                resumed_after: run.rows_done,
                already_imported: true,
                ..ImportReport::default()
            });
        }
        Some(run) => run,
        None => {
            let mut check = Check::default();
            check_pass(db, kind, &source, &mut check, lines, progress).await?;
            if check.count > 0 {
                return Ok(check.report(0, 0));
            }
            let mut conn = db.pool.acquire().await?;
            store::import::start(&mut conn, &hash, kind.name(), now_ms).await?
        }
    };
    let report = write_pass(db, kind, &source, &run, now_ms, lines, progress).await?;
    // A large import changes what the planner should expect of the tables it wrote.
    db.analyze(kind.tables()).await?;
    Ok(report)
}

/// Checks every row, batch by batch, writing nothing.
async fn check_pass(
    db: &Db,
    kind: ImportKind,
    source: &Source<'_>,
    check: &mut Check,
    lines: u64,
    progress: &(dyn Fn(Progress) + Sync),
) -> AppResult<()> {
    let mut records = match source.records(kind)? {
        Ok(r) => r,
        Err(header) => {
            for e in header {
                check.push(e.row, &e.field, e.rule);
            }
            return Ok(());
        }
    };
    while let Some((batch, last)) = records.next_batch(BATCH_ROWS, check) {
        let from = check.errors.len();
        validate(db, kind, &batch, check).await?;
        check.errors[from..].sort_by_key(|e| e.row);
        progress(Progress {
            phase: Phase::Check,
            rows: last,
            lines,
        });
    }
    Ok(())
}

/// Writes the rows after the run's resume point, one transaction per batch, each
/// moving the resume point with it.
async fn write_pass(
    db: &Db,
    kind: ImportKind,
    source: &Source<'_>,
    run: &store::import::ImportRun,
    now_ms: i64,
    lines: u64,
    progress: &(dyn Fn(Progress) + Sync),
) -> AppResult<ImportReport> {
    let mut records = match source.records(kind)? {
        Ok(r) => r,
        Err(header) => {
            // The file passed its check with this very content (same hash).
            return Err(AppError::Internal(format!(
                "the header of a checked file is refused: {header:?}"
            )));
        }
    };
    // The check pass proved the file free of duplicates: no key set to keep here.
    let mut check = Check {
        in_file_checked: true,
        ..Check::default()
    };
    let mut imported = 0;
    while let Some((mut batch, last)) = records.next_batch(BATCH_ROWS, &mut check) {
        if last <= run.rows_done {
            continue;
        }
        batch.retain(|r| r.row > run.rows_done);
        let rows = validate(db, kind, &batch, &mut check).await?;
        if check.count > 0 {
            // The database changed since the check: this batch stays out, earlier
            // ones stay in, the resume point says how far the file got.
            check.errors.sort_by_key(|e| e.row);
            return Ok(check.report(imported, run.rows_done));
        }
        let (rows, run_id) = (&rows, run.id);
        imported += db
            .run("import.batch", move |mut tx| async move {
                let n = write(db, &mut tx, rows.clone(), now_ms).await?;
                store::import::advance(&mut tx, run_id, last, store::import::WRITING, now_ms)
                    .await?;
                Ok::<_, AppError>((tx, n))
            })
            .await?;
        progress(Progress {
            phase: Phase::Write,
            rows: last,
            lines,
        });
    }
    let done = run.rows_done.max(records.rows_read());
    let run_id = run.id;
    db.run("import.done", move |mut tx| async move {
        store::import::advance(&mut tx, run_id, done, store::import::DONE, now_ms).await?;
        Ok::<_, AppError>((tx, ()))
    })
    .await?;
    Ok(ImportReport {
        imported,
        resumed_after: run.rows_done,
        ..ImportReport::default()
    })
}

/// A batch's valid rows, of one kind.
#[derive(Clone)]
enum Rows {
    Stations(Vec<stations::Row>),
    Staff(Vec<staff::Row>),
    Customers(Vec<customers::Row>),
    Vehicles(Vec<vehicles::Row>),
}

/// Checks a batch of `kind`; broken rules go to `check`.
async fn validate(
    db: &Db,
    kind: ImportKind,
    batch: &[Record],
    check: &mut Check,
) -> AppResult<Rows> {
    Ok(match kind {
        ImportKind::Stations => Rows::Stations(stations::validate(db, batch, check).await?),
        ImportKind::Staff => Rows::Staff(staff::validate(db, batch, check).await?),
        ImportKind::Customers => Rows::Customers(customers::validate(db, batch, check).await?),
        ImportKind::Vehicles => Rows::Vehicles(vehicles::validate(db, batch, check).await?),
    })
}

/// Writes a checked batch inside the caller's transaction; returns the rows written.
async fn write(db: &Db, conn: &mut sqlx::AnyConnection, rows: Rows, now_ms: i64) -> AppResult<u64> {
    let b = db.backend;
    match rows {
        Rows::Stations(r) => stations::write(b, conn, &r, now_ms).await,
        Rows::Staff(r) => staff::write(b, conn, r, now_ms).await,
        Rows::Customers(r) => customers::write(b, conn, &r, now_ms).await,
        Rows::Vehicles(r) => vehicles::write(b, conn, &r, now_ms).await,
    }
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

/// Errors found so far, and the unique keys seen earlier in the file.
#[derive(Default)]
struct Check {
    errors: Vec<RowError>,
    count: u64,
    seen: HashMap<&'static str, HashSet<u128>>,
    /// Duplicates inside the file were ruled out already (the write pass).
    in_file_checked: bool,
}

impl Check {
    fn push(&mut self, row: u64, field: &str, rule: &'static str) {
        self.count += 1;
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(RowError {
                row,
                field: field.to_string(),
                rule,
            });
        }
    }

    /// Keeps the row's violations; true when there were none.
    fn take(&mut self, row: u64, v: Violations) -> bool {
        let ok = v.is_empty();
        for x in v.0 {
            self.push(row, &x.field, x.rule);
        }
        ok
    }

    fn report(self, imported: u64, resumed_after: u64) -> ImportReport {
        ImportReport {
            imported,
            resumed_after,
            already_imported: false,
            errors: self.errors,
            error_count: self.count,
        }
    }
}

/// A 128-bit hash of a key: two SipHash runs with different prefixes. Two distinct
/// keys of a file meet by chance with odds of about n²/2¹²⁹ — nil for any real
/// file — and the set stays 16 bytes a key.
fn key_hash(key: &str) -> u128 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let half = |salt: u8| {
        let mut h = DefaultHasher::new();
        salt.hash(&mut h);
        key.hash(&mut h);
        h.finish()
    };
    (u128::from(half(0)) << 64) | u128::from(half(1))
}

/// Marks every row whose key appeared in an earlier row of the file (this batch or
/// an earlier one).
fn duplicates_in_file<'a>(
    check: &mut Check,
    field: &'static str,
    keys: impl Iterator<Item = (u64, &'a str)>,
) {
    if check.in_file_checked {
        return;
    }
    for (row, key) in keys {
        if !check.seen.entry(field).or_default().insert(key_hash(key)) {
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
    field: &'static str,
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

/// A column that may be left empty: `None` when it is.
fn optional(s: &str) -> Option<&str> {
    let t = s.trim();
    (!t.is_empty()).then_some(t)
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

mod source;
pub use source::Source;

mod stations;

mod staff;

mod customers;

mod vehicles;

#[cfg(test)]
mod tests;
