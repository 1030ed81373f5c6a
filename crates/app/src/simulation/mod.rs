//! The network simulator (issue 11 item 10): replays months of a service network
//! through the real domain rules and into the real tables, so every dashboard has a
//! history and the KPI engine can be measured at network scale.
//!
//! For each station (the first `--stations` of the database, or a demo network built
//! when the database is empty) and each of the `--months` months before the current
//! one, [`batch`] asks `domain::simulation` for the month's orders, walks every order
//! through `domain::repair_order` and `domain::estimate` ([`walk`]: every stage start
//! and completion, required checkpoint, estimate line with the owner's approval,
//! work and part is checked by the rules, and the bill is the estimate's invoice),
//! checks every survey answer with `domain::survey` and opens the hot alerts it calls
//! for ([`survey`]), moves every complaint through the complaint workflow, and writes
//! the rows (appointments, orders with their stage, estimate and work events,
//! checkpoints, estimate lines, bills and payments, survey invitations with
//! answers, complaints with their events) in multi-row statements
//! (`store::bulk`), one transaction per station-month. Batches are planned in order
//! and written as tasks while the next is planned (two at once on PostgreSQL, see
//! `run`). Then [`sample`] runs the real monthly sample of every month and answers a
//! share of it, and [`audit`] audits each station once a quarter through the
//! quality-audit use cases.
//!
//! **KPI counters.** Every counter (orders, complaints, surveys, audits) is rebuilt
//! with `kpi::record::rebuild_month` for every simulated month once all batches are
//! in: a comeback written in a later batch changes the first-time fix of an earlier
//! month, so counting at the end, from the raw rows, is both cheaper (one pass per
//! month instead of a hook per order or answer) and obviously consistent. (The
//! monthly sample's answers go through the real answer use case, hook included;
//! the rebuild recounts them with the rest.)
//!
//! The simulated world ends at the start of the current month: anything that would
//! happen later (a hand-over, a comeback, an answer, an alert's call-back, a
//! complaint's closure) is left out, so the live data of the current month — the
//! demo's working day — is not touched. Batch rows are written with explicit ids
//! taken above the current maximum, so run it on a database no server is writing to
//! (like the demo builder).

pub mod audit;
mod batch;
mod model;
mod money;
mod rows;
mod sample;
mod survey;
mod walk;

pub use model::Summary;
use model::{Station, internal};

use crate::calendar::station_zone;
use crate::{AppError, AppResult, AppSettings};
use domain::kpi::YearMonth;
use domain::privacy::consent::ConsentPurpose;
use domain::simulation::{Params, order::MonthSpec, profile};
use jiff::Timestamp;
use sqlx::Row;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;
use store::{Backend, Db};
use tokio::task::JoinSet;

/// The tables the batches write that other written rows point to by foreign key.
///
/// PostgreSQL checks each child row's key with a plan it caches per connection, and
/// a plan made while the parent table was small scans the whole table: a batch's
/// checkpoints then cost a scan of every order each, and the run grows with the
/// square of its size (a 12-station, 3-month run spent 4.4 s of its 15 s there).
/// Fresh statistics invalidate those plans, so they are refreshed whenever the
/// orders written have doubled: a handful of `ANALYZE`s for a whole run.
const WRITTEN_PARENTS: [&str; 5] = [
    "appointments",
    "repair_orders",
    "survey_invitations",
    "bills",
    "complaints",
];

/// The orders written before the first statistics refresh.
const FIRST_STATISTICS_AT: u64 = 1_000;

/// The simulator's flags.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// How many stations (`--stations`).
    pub stations: i64,
    /// How many months before the current one (`--months`).
    pub months: i64,
    /// Arrivals in percent of normal (`--volume`), e.g. 20 for a quick demo history.
    pub volume_percent: i64,
    /// Seed (`--seed`): the same seed gives the same rows.
    pub seed: u64,
    /// A station left unaudited (the demo's first, whose audit story the demo tells).
    pub spare_station: Option<i64>,
}

/// Checks the flags: a bad one is [`AppError::Invalid`] naming it.
pub fn params(o: &Options) -> AppResult<Params> {
    Params::new(o.stations, o.months, o.volume_percent, o.seed)
        .map_err(|e| AppError::Invalid(domain::Violation::from(e).into()))
}

/// The simulated months, oldest first: the `n` before the one `now` is in (China
/// time), each with its length.
pub fn months_before(now: Timestamp, n: u32) -> AppResult<Vec<(YearMonth, MonthSpec)>> {
    let today = now.to_zoned(domain::calendar::shanghai()).date();
    let mut ym = YearMonth {
        year: today.year(),
        month: today.month(),
    };
    let mut out = Vec::new();
    for _ in 0..n {
        ym = ym.previous();
        let first = jiff::civil::Date::new(ym.year, ym.month, 1).map_err(internal)?;
        out.push((
            ym,
            MonthSpec {
                year: ym.year,
                month: ym.month,
                days: first.days_in_month(),
            },
        ));
    }
    out.reverse();
    Ok(out)
}

/// Runs the simulation at `now` (the world ends at the start of its month),
/// reporting progress as (phase, done, total). The database needs at least
/// `stations` stations; an empty one gets the demo network first (small up to 12
/// stations, full beyond).
pub async fn run(
    db: &Db,
    settings: AppSettings,
    o: &Options,
    now: Timestamp,
    progress: &(dyn Fn(&str, u64, u64) + Sync),
) -> AppResult<Summary> {
    let started = Instant::now();
    let p = params(o)?;
    ensure_network(db, &p, progress).await?;
    let months = months_before(now, p.months())?;
    let cutoff = month_start(now)?;
    let stations = load_stations(db, &p).await?;
    let mut sum = Summary {
        stations: stations.len() as u64,
        months: months.len() as u64,
        ..Summary::default()
    };
    let total = (stations.len() * months.len()) as u64;
    progress("simulate", 0, total);
    let shared = Arc::new(shared(db, now, o.spare_station).await?);
    let mut ids = batch::Ids::read(db).await?;
    // Batches are written (each a task) while the next ones are planned; PostgreSQL
    // writes two at once (a server process each), SQLite one (it has one writer).
    let depth = match db.backend {
        Backend::Postgres => 2,
        Backend::Sqlite => 1,
    };
    let mut writing = JoinSet::new();
    let mut done = 0;
    let mut statistics_at = FIRST_STATISTICS_AT;
    for s in &stations {
        // Customers belong to one station: their survey consent is read once, for all
        // of the station's owners (the same rule as `privacy::consent::allows_now`).
        let consent: HashSet<i64> = {
            let mut c = db.pool.acquire().await?;
            store::privacy::consent::granted_among_station_owners(
                &mut c,
                s.id,
                ConsentPurpose::Surveys.code(),
            )
            .await?
            .into_iter()
            .collect()
        };
        for (_, m) in &months {
            let rows = batch::plan(&p, &shared, &consent, s, *m, cutoff, &mut ids, &mut sum)?;
            settle(
                &mut writing,
                depth - 1,
                &mut sum,
                &mut done,
                total,
                progress,
            )
            .await?;
            let write = batch::write(db.clone(), shared.clone(), s.clone(), rows, cutoff);
            writing.spawn(write);
        }
        if sum.orders >= statistics_at {
            settle(&mut writing, 0, &mut sum, &mut done, total, progress).await?;
            db.analyze(&WRITTEN_PARENTS).await?;
            statistics_at = sum.orders * 2;
        }
    }
    settle(&mut writing, 0, &mut sum, &mut done, total, progress).await?;
    if db.backend == Backend::Postgres {
        // The sample and the audits insert through the sequences.
        rows::reset_sequences(db).await?;
    }
    progress("sample", 0, months.len() as u64);
    sample::monthly(db, &p, &shared, &stations, &months, cutoff, &mut sum).await?;
    progress("sample", months.len() as u64, months.len() as u64);
    let audits_started = Instant::now();
    let (audits, actions) = audit::quarterly(
        db,
        settings,
        &p,
        &stations,
        &months,
        cutoff,
        o.spare_station,
        progress,
    )
    .await?;
    sum.audits = audits;
    sum.audit_seconds = audits_started.elapsed().as_secs_f64();
    sum.actions = actions;
    progress("kpi", 0, months.len() as u64);
    for (i, (ym, _)) in months.iter().enumerate() {
        let mut tx = db.begin().await?;
        sum.kpi_counters += crate::kpi::record::rebuild_month(&mut tx, *ym).await? as u64;
        tx.commit().await?;
        progress("kpi", i as u64 + 1, months.len() as u64);
    }
    sum.seconds = started.elapsed().as_secs_f64();
    Ok(sum)
}

/// Waits for batch writes until at most `keep` are in flight, counting each one
/// finished (its alerts) and reporting progress.
async fn settle(
    writing: &mut JoinSet<AppResult<(u64, u64)>>,
    keep: usize,
    sum: &mut Summary,
    done: &mut u64,
    total: u64,
    progress: &(dyn Fn(&str, u64, u64) + Sync),
) -> AppResult<()> {
    while writing.len() > keep {
        let Some(finished) = writing.join_next().await else {
            break;
        };
        let (alerts, open) = finished.map_err(internal)??;
        sum.alerts += alerts;
        sum.alerts_open += open;
        *done += 1;
        progress("simulate", *done, total);
    }
    Ok(())
}

/// The stage standard, questionnaire and complaint policies in force (publishing
/// the defaults where none is stored, as the first real use would).
async fn shared(db: &Db, now: Timestamp, spare: Option<i64>) -> AppResult<model::Shared> {
    let now = now.as_millisecond();
    let mut tx = db.begin().await?;
    let standard = crate::stage_standard::current(&mut tx).await?;
    let questionnaire = crate::survey::ensure_questionnaire(&mut tx, now).await?;
    let mut policies = std::collections::HashMap::new();
    for c in domain::complaint::Category::ALL {
        let (id, _) = crate::complaint::clock::policy_in_force(
            &mut tx,
            &(*c).into(),
            domain::complaint::Severity::Normal,
            now,
        )
        .await?;
        policies.insert(c.code(), id);
    }
    tx.commit().await?;
    Ok(model::Shared {
        standard,
        questionnaire,
        policies,
        spare_station: spare,
    })
}

/// The first instant of `now`'s month, China time: the end of the simulated world.
fn month_start(now: Timestamp) -> AppResult<i64> {
    let z = now.to_zoned(domain::calendar::shanghai());
    let first = z.date().first_of_month();
    Ok(first
        .to_zoned(domain::calendar::shanghai())
        .map_err(internal)?
        .timestamp()
        .as_millisecond())
}

async fn count_stations(db: &Db) -> AppResult<i64> {
    let mut c = db.pool.acquire().await?;
    Ok(
        sqlx::query("SELECT COUNT(*) FROM stations WHERE status = 'active'")
            .fetch_one(&mut *c)
            .await?
            .try_get(0)?,
    )
}

/// Builds the demo network in an empty database; refuses a database that has
/// stations but fewer than asked, naming `stations`.
async fn ensure_network(
    db: &Db,
    p: &Params,
    progress: &(dyn Fn(&str, u64, u64) + Sync),
) -> AppResult<()> {
    let have = count_stations(db).await?;
    if have == 0 {
        let scale = if p.stations() <= 12 {
            crate::demo::Scale::Small
        } else {
            crate::demo::Scale::Full
        };
        let opts = crate::demo::DemoOptions {
            scale,
            seed: p.seed(),
            geo_csv: None,
        };
        crate::demo::state::build_recorded(db, &opts, progress).await?;
    }
    let have = count_stations(db).await?;
    if have < i64::from(p.stations()) {
        return Err(AppError::Refused(
            domain::Violation::new("stations", "simulation.too_few_stations")
                .with_detail(format!(
                    "--stations {} asks for more than the {have} active stations of the database",
                    p.stations()
                ))
                .into(),
        ));
    }
    Ok(())
}

/// The first `--stations` active stations by id, with their cars.
async fn load_stations(db: &Db, p: &Params) -> AppResult<Vec<Station>> {
    let mut c = db.pool.acquire().await?;
    let rows = sqlx::query(
        "SELECT id, region_id, labour_rate_fen FROM stations WHERE status = 'active' ORDER BY id LIMIT $1",
    )
    .bind(i64::from(p.stations()))
    .fetch_all(&mut *c)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: i64 = r.try_get("id")?;
        let vehicles: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT id, owner_id FROM vehicles WHERE station_id = $1 ORDER BY id LIMIT 5000",
        )
        .bind(id)
        .fetch_all(&mut *c)
        .await?;
        out.push(Station {
            id,
            region_id: r.try_get("region_id")?,
            rate_fen: r.try_get("labour_rate_fen")?,
            zone: station_zone(&mut c, id).await?,
            profile: profile::profile(p.seed(), id),
            vehicles,
        });
    }
    Ok(out)
}
