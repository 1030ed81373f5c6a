//! The nightly purge (retention per record class, `domain::privacy::retention`): a
//! timer on the job machinery, due at 03:00 Shanghai, that purges what each class
//! keeps no longer, writes one audit row with the counts, counts them in /metrics
//! (`privacy_purged_total{class}`) and arms the next night's timer in the same
//! transaction — so there is always exactly one armed, whichever process ran it.

use crate::App;
use crate::AppResult;
use crate::job::handler::{BoxFuture, Ctx, Handler, Outcome};
use domain::privacy::retention::{PurgeCounts, RecordClass, next_purge};
use sqlx::AnyConnection;
use store::audit::AuditRow;
use store::event::Actor;
use store::job::Claimed;

/// The timer kind.
pub const KIND: &str = "privacy.retention";

/// Who the purge acts as in the audit log.
const SYSTEM: Actor<'static> = Actor {
    role: "system",
    id: 0,
    kind: "system",
};

fn key(due_at: i64) -> String {
    format!("{KIND}:{due_at}")
}

/// Arms the next nightly purge on the caller's transaction (arming the same night
/// twice does nothing: the key is the due time).
pub(crate) async fn arm_next(conn: &mut AnyConnection, now: i64) -> AppResult<()> {
    let due = next_purge(now);
    crate::job::arm(conn, &key(due), KIND, due, &serde_json::json!({}), now).await?;
    Ok(())
}

/// Arms the next nightly purge (called when a server starts; harmless when armed).
pub async fn ensure_armed(app: &App) -> AppResult<()> {
    let now = app.now_ms();
    crate::transaction::run(app, "privacy.retention", move |mut tx| async move {
        arm_next(&mut tx, now).await?;
        Ok((tx, ()))
    })
    .await?;
    app.wake_jobs();
    Ok(())
}

/// Describes the purge's counters and starts them at zero.
pub fn describe_metrics() {
    metrics::describe_counter!(
        "privacy_purged_total",
        "Records purged or redacted by the nightly retention purge, by record class"
    );
    metrics::describe_gauge!(
        "privacy_purge_last_run_seconds",
        "When the nightly retention purge last ran (Unix seconds)"
    );
    for c in RecordClass::ALL {
        metrics::counter!("privacy_purged_total", "class" => c.code()).increment(0);
    }
}

/// Purges every class on the caller's transaction, writes the audit row and counts
/// the metrics; returns the counts.
pub async fn purge(app: &App, conn: &mut AnyConnection, now: i64) -> AppResult<PurgeCounts> {
    let cutoffs = app.settings.retention.cutoffs(now);
    let counts = store::privacy::retention::purge(conn, &cutoffs, now).await?;
    let summary = counts.summary();
    let row = AuditRow {
        action: "retention_purge",
        entity: "retention",
        entity_id: 0,
        field: "",
        reason: &summary,
        row_count: Some(RecordClass::ALL.iter().map(|c| counts.of(*c) as i64).sum()),
    };
    store::audit::insert(conn, now, SYSTEM, row).await?;
    for c in RecordClass::ALL {
        metrics::counter!("privacy_purged_total", "class" => c.code()).increment(counts.of(c));
    }
    metrics::gauge!("privacy_purge_last_run_seconds").set((now / 1000) as f64);
    tracing::info!(counts = %summary, "retention purge done");
    Ok(counts)
}

/// The nightly timer: purge, then arm the next night.
#[derive(Debug, Clone, Copy)]
pub struct Purge;

impl Handler for Purge {
    fn inside<'a>(
        &'a self,
        ctx: &'a Ctx,
        conn: &'a mut AnyConnection,
        _job: &'a Claimed,
    ) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let now = ctx.app.now_ms();
            purge(&ctx.app, conn, now)
                .await
                .map_err(|e| e.to_string())?;
            arm_next(conn, now).await.map_err(|e| e.to_string())
        })
    }
}
