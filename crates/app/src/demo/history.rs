//! The small demo's history: six months of its network simulated
//! ([`crate::simulation`]) at a fifth of normal volume, so the KPI dashboard, the
//! survey report and the complaint analysis show trends from the first start. The
//! simulated world ends before the current month, so the working day of the first
//! station is untouched; its audits and complaints are left to the demo's own
//! stories (`demo::quality_audit`, `demo::complaint`).

use crate::simulation::{Options, Summary, run};
use crate::{AppResult, AppSettings};
use jiff::Timestamp;
use store::Db;

/// Months of history.
pub const MONTHS: i64 = 6;
/// Arrivals in percent of normal: enough for trends, quick to build.
pub const VOLUME_PERCENT: i64 = 20;

/// Simulates the demo's history for every station of the small demo.
pub async fn months(
    db: &Db,
    settings: AppSettings,
    seed: u64,
    now: Timestamp,
) -> AppResult<Summary> {
    let stations = {
        let mut c = db.pool.acquire().await?;
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM stations WHERE status = 'active'")
            .fetch_one(&mut *c)
            .await?;
        n
    };
    let opts = Options {
        stations: stations.max(1),
        months: MONTHS,
        volume_percent: VOLUME_PERCENT,
        seed,
        spare_station: Some(1),
    };
    run(db, settings, &opts, now, &|_, _, _| {}).await
}
