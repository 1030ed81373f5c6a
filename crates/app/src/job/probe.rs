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
