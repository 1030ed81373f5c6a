//! The probe: a timer kind that only writes down that it fired, and by which worker.
//!
//! Operators arm probes to see that the workers are alive and fire each timer once
//! (`aftersales jobs probe`); the two-process test and the benchmark use it the same
//! way. The table has no unique key on purpose, so a double firing would show.

use super::handler::{BoxFuture, Ctx, Handler, Outcome};
use sqlx::AnyConnection;
use store::job::Claimed;

/// The kind name.
pub const KIND: &str = "job.probe";

/// The probe handler.
#[derive(Debug, Clone, Copy)]
pub struct Probe;

impl Handler for Probe {
    fn inside<'a>(
        &'a self,
        ctx: &'a Ctx,
        conn: &'a mut AnyConnection,
        job: &'a Claimed,
    ) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let key = job.key.clone().unwrap_or_else(|| format!("job:{}", job.id));
            store::job::insert_probe(conn, &key, &ctx.worker, ctx.app.now_ms())
                .await
                .map_err(|e| e.to_string())
        })
    }
}

/// Arms `count` probe timers keyed `<prefix>:<n>`, due at `due_at`, in one transaction;
/// returns how many were new.
pub async fn arm_many(
    app: &crate::App,
    prefix: &str,
    count: u64,
    due_at: i64,
) -> crate::AppResult<u64> {
    let keys: Vec<String> = (0..count).map(|i| format!("{prefix}:{i}")).collect();
    let keys = &keys;
    let n = crate::transaction::run(app, "job.arm_many", move |mut tx| async move {
        let n = store::job::arm_many(
            &mut tx,
            KIND,
            keys,
            due_at,
            "{}",
            super::DEFAULT_MAX_ATTEMPTS,
            app.now_ms(),
        )
        .await?;
        Ok((tx, n))
    })
    .await?;
    app.wake_jobs();
    Ok(n)
}

/// How often the probes of `prefix` fired: `(keys fired, firings)`.
pub async fn tally(app: &crate::App, prefix: &str) -> crate::AppResult<(i64, i64)> {
    let mut c = crate::conn(app).await?;
    Ok(store::job::probe_tally(&mut c, &format!("{prefix}:")).await?)
}
