//! Whether the demo data in a database is whole. `demo --scale full` takes minutes
//! and writes in many batches; a build that was killed midway must not be served as
//! if it were complete. The build records `building` before the first row and
//! `complete` after the last, in the `demo_build` setting; a database found
//! `building` is wiped and built again.

use super::{DemoOptions, DemoSummary, build};
use crate::AppResult;
use store::Db;

/// Setting that records the demo build.
pub const DEMO_BUILD: &str = "demo_build";

/// What a database holds, as far as the demo is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoState {
    /// No data at all: the demo may build.
    Empty,
    /// A demo build started and never finished: rebuild it.
    Incomplete,
    /// A demo build finished.
    Complete,
    /// Data the demo did not make (or made before builds were recorded): serve as is.
    Foreign,
}

/// The demo state of a database.
pub async fn state(db: &Db) -> AppResult<DemoState> {
    let mut c = db.pool.acquire().await.map_err(store::StoreError::from)?;
    let recorded = store::settings::get(&mut c, DEMO_BUILD).await?;
    let marked = recorded.as_ref().and_then(|s| {
        s.value
            .get("state")
            .and_then(|v| v.as_str())
            .map(str::to_string)
    });
    Ok(match marked.as_deref() {
        Some("complete") => DemoState::Complete,
        Some(_) => DemoState::Incomplete,
        None if store::network::regions(&mut c).await?.is_empty() => DemoState::Empty,
        None => DemoState::Foreign,
    })
}

async fn mark(db: &Db, state: &str, opts: &DemoOptions) -> AppResult<()> {
    let mut c = db.pool.acquire().await.map_err(store::StoreError::from)?;
    let value = serde_json::json!({
        "state": state,
        "seed": opts.seed,
        "scale": format!("{:?}", opts.scale).to_lowercase(),
    });
    let now = jiff::Timestamp::now().as_millisecond();
    store::settings::put(&mut c, DEMO_BUILD, &value, now, None).await?;
    Ok(())
}

/// Builds the demo into an empty database, recording the start and the end.
pub async fn build_recorded(
    db: &Db,
    opts: &DemoOptions,
    progress: &(dyn Fn(&str, u64, u64) + Sync),
) -> AppResult<DemoSummary> {
    mark(db, "building", opts).await?;
    let summary = build(db, opts, progress).await?;
    db.analyze(&[]).await?;
    mark(db, "complete", opts).await?;
    Ok(summary)
}

/// Wipes a database whose demo build never finished and builds it again.
pub async fn rebuild(
    db: &Db,
    opts: &DemoOptions,
    progress: &(dyn Fn(&str, u64, u64) + Sync),
) -> AppResult<DemoSummary> {
    store::migrate::drop_everything(db).await?;
    store::migrate::run(db).await?;
    build_recorded(db, opts, progress).await
}
