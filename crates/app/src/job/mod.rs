//! Jobs and timers: the one machinery for background work.
//!
//! Use cases queue jobs ([`enqueue`]) and arm timers ([`arm`], [`disarm`]) on their
//! own open transaction, so the work exists exactly when their change does. A
//! [`worker::Worker`] runs the handlers registered by kind ([`handler::Registry`]);
//! administrators see the queue and send dead letters round again ([`overview`],
//! [`retry`], [`cancel`]). A row that gives up raises an alert for them
//! ([`alert::open`], [`alert::acknowledge`], [`alert::retry_all`]).

pub mod alert;
pub mod checkpoint;
pub mod handler;
pub mod probe;
mod standard;
pub mod worker;

use crate::{App, AppError, AppResult};
use domain::job::{JobEvent, JobState};
use domain::permission::{Action, Grant};
use serde::Serialize;
use sqlx::AnyConnection;
pub use store::job::alert::JobAlert;
pub use store::job::{JobRow, Queue};

/// Attempts a job or timer gets unless its caller says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: i64 = 9;

/// Queues a job of `kind` on the caller's open transaction. With a `key`, queuing the
/// same key again does nothing and answers false. Call [`App::wake_jobs`] after
/// committing to start it at once.
pub async fn enqueue(
    conn: &mut AnyConnection,
    kind: &str,
    key: Option<&str>,
    payload: &serde_json::Value,
    due_at: i64,
    now: i64,
) -> AppResult<bool> {
    let payload = payload.to_string();
    let job = store::job::NewJob {
        kind,
        key,
        payload: &payload,
        due_at,
        max_attempts: DEFAULT_MAX_ATTEMPTS,
    };
    Ok(store::job::enqueue(conn, &job, now).await?)
}

/// Arms the timer `key` to run `kind` at `due_at` with `payload`, on the caller's open
/// transaction; arming a key that has not fired moves its due time. False when the
/// timer has fired already.
pub async fn arm(
    conn: &mut AnyConnection,
    key: &str,
    kind: &str,
    due_at: i64,
    payload: &serde_json::Value,
    now: i64,
) -> AppResult<bool> {
    Ok(store::job::arm(
        conn,
        key,
        kind,
        due_at,
        &payload.to_string(),
        DEFAULT_MAX_ATTEMPTS,
        now,
    )
    .await?)
}

/// Cancels the timer `key` if it has not fired; answers whether it was cancelled.
pub async fn disarm(conn: &mut AnyConnection, key: &str, now: i64) -> AppResult<bool> {
    Ok(store::job::disarm(conn, key, now).await?)
}

pub(crate) fn check(grant: &Grant) -> AppResult<()> {
    if grant.action() == Action::JobAdmin {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

async fn change(
    app: &App,
    grant: &Grant,
    queue: Queue,
    id: i64,
    event: JobEvent,
) -> AppResult<JobRow> {
    check(grant)?;
    let now = app.now_ms();
    let row = crate::transaction::run(app, "job.change", move |mut tx| async move {
        let row = store::job::get(&mut tx, queue, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let from = JobState::from_code(&row.state)
            .ok_or_else(|| AppError::Internal(format!("unknown job state {}", row.state)))?;
        domain::job::transition(from, event).map_err(|_| {
            AppError::Refused(domain::Violation::new("state", "job_transition").into())
        })?;
        let changed = match event {
            JobEvent::Retry => {
                let ok = store::job::retry(&mut tx, queue, id, now).await?;
                if ok && let Some(h) = handler::Registry::standard().get(&row.kind) {
                    h.retried(&mut tx, &row.payload).await?;
                }
                ok
            }
            _ => store::job::cancel(&mut tx, queue, id, now).await?,
        };
        if !changed {
            return Err(AppError::Refused(
                domain::Violation::new("state", "job_transition").into(),
            ));
        }
        Ok((tx, row))
    })
    .await?;
    app.wake_jobs();
    tracing::info!(
        queue = queue.table(),
        id,
        ?event,
        by = grant.principal().id,
        "job changed by hand"
    );
    Ok(row)
}

/// Sends a dead or cancelled job or timer round again, due now with fresh attempts.
pub async fn retry(app: &App, grant: &Grant, queue: Queue, id: i64) -> AppResult<JobRow> {
    change(app, grant, queue, id, JobEvent::Retry).await
}

/// Cancels a queued or running job or timer.
pub async fn cancel(app: &App, grant: &Grant, queue: Queue, id: i64) -> AppResult<JobRow> {
    change(app, grant, queue, id, JobEvent::Cancel).await
}

/// Rows of a queue, newest first, filtered by state and kind.
pub async fn list(
    app: &App,
    grant: &Grant,
    queue: Queue,
    state: Option<JobState>,
    kind: Option<&str>,
    limit: i64,
) -> AppResult<Vec<JobRow>> {
    check(grant)?;
    let mut c = crate::conn(app).await?;
    Ok(store::job::list(&mut c, queue, state.map(JobState::code), kind, limit).await?)
}

/// How many rows of one kind are in one state.
#[derive(Debug, Clone, Serialize)]
pub struct KindCounts {
    /// Which queue.
    pub queue: Queue,
    /// The kind.
    pub kind: String,
    /// Counts in the order of [`JobState::ALL`].
    pub by_state: [i64; 5],
}

/// The administrators' view: counts by kind and state, and the dead letters.
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    /// Open alerts of dead letters, the latest first.
    pub alerts: Vec<JobAlert>,
    /// Counts per queue and kind.
    pub counts: Vec<KindCounts>,
    /// Dead rows of both queues, newest first.
    pub dead: Vec<JobRow>,
    /// Queued and running rows of both queues (the newest 50 of each), cancellable.
    pub waiting: Vec<JobRow>,
}

/// The administrators' view of the queue.
pub async fn overview(app: &App, grant: &Grant) -> AppResult<Overview> {
    check(grant)?;
    let mut c = crate::conn(app).await?;
    let mut counts: Vec<KindCounts> = Vec::new();
    for (queue, kind, state, n) in store::job::counts(&mut c, false).await? {
        let Some(i) = JobState::ALL.iter().position(|s| s.code() == state) else {
            continue;
        };
        match counts
            .iter_mut()
            .find(|k| k.queue == queue && k.kind == kind)
        {
            Some(k) => k.by_state[i] += n,
            None => {
                let mut by_state = [0; 5];
                by_state[i] = n;
                counts.push(KindCounts {
                    queue,
                    kind,
                    by_state,
                });
            }
        }
    }
    let mut dead = Vec::new();
    for q in Queue::ALL {
        dead.extend(store::job::list(&mut c, q, Some("dead"), None, 100).await?);
    }
    dead.sort_by_key(|r| std::cmp::Reverse(r.finished_at));
    let mut waiting = Vec::new();
    for q in Queue::ALL {
        for state in ["running", "queued"] {
            waiting.extend(store::job::list(&mut c, q, Some(state), None, 50).await?);
        }
    }
    let alerts = store::job::alert::open(&mut c).await?;
    Ok(Overview {
        alerts,
        counts,
        dead,
        waiting,
    })
}

/// Sets the queue gauges from the database: `job_queue_depth{queue,kind,state}` for
/// queued, running and dead rows, `job_alerts_open` (dead-letter alerts nobody has
/// acknowledged) and `job_oldest_due_age_seconds`. Called when
/// /metrics is scraped, so the figures are those of the whole database, whichever
/// process runs the workers.
pub async fn refresh_metrics(app: &App) -> AppResult<()> {
    let mut c = crate::conn(app).await?;
    let counts = store::job::counts(&mut c, true).await?;
    // Kinds that emptied must read 0, not keep their last value.
    for kind in handler::Registry::standard().kinds() {
        for q in Queue::ALL {
            for state in ["queued", "running", "dead"] {
                metrics::gauge!("job_queue_depth", "queue" => q.table(), "kind" => kind.clone(), "state" => state).set(0.0);
            }
        }
    }
    for (q, kind, state, n) in counts {
        metrics::gauge!("job_queue_depth", "queue" => q.table(), "kind" => kind, "state" => state)
            .set(n as f64);
    }
    let alerts = store::job::alert::open(&mut c).await?;
    metrics::gauge!("job_alerts_open").set(alerts.len() as f64);
    let oldest = store::job::earliest_due(&mut c, true).await?;
    metrics::gauge!("job_oldest_due_age_seconds")
        .set(domain::job::oldest_due_age_seconds(oldest, app.now_ms()));
    Ok(())
}
