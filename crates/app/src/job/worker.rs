//! The worker: one loop for all background work in a process.
//!
//! Each round claims a batch of due timers and a batch of due jobs, runs their
//! handlers and records the outcomes. Database effects and completion commit together:
//! the whole batch in one transaction when every handler succeeds (the fast path that
//! clears 100,000 timers in seconds), otherwise row by row behind savepoints, so one
//! failing handler rolls back only its own effects. Between rounds the worker sleeps
//! until the next due time, at most [`MAX_IDLE_MS`] so rows queued by other processes
//! are seen, and wakes at once when this process queues work.

use super::handler::{Ctx, Registry};
use crate::transaction::run;
use crate::{App, AppResult};
use domain::job::Backoff;
use sqlx::AnyConnection;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use store::job::{Claimed, Queue};
use tokio::sync::watch;

/// Longest sleep between looks at the queue.
pub const MAX_IDLE_MS: i64 = 1_000;

/// How many rows a worker takes at once, and for how long, per queue. Timers run only
/// database work, so large batches pay; jobs may call out (10 s timeout each), so their
/// batches are small and their lease long enough for a batch of slow calls.
fn batch_of(queue: Queue) -> (i64, i64) {
    match queue {
        Queue::Timers => (500, 120_000),
        Queue::Jobs => (20, 600_000),
    }
}

/// A worker: its name, handlers and a counter that makes each claim's token unique.
pub struct Worker {
    ctx: Ctx,
    registry: Registry,
    claims: AtomicU64,
    backoff: Backoff,
}

impl Worker {
    /// A worker over `app` with `registry`; its name is the process id and a random
    /// suffix, unique across processes and hosts in practice.
    pub fn new(app: App, registry: Registry) -> Worker {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        let worker = format!("{}-{:08x}", std::process::id(), rand::random::<u32>());
        Worker::with_client(app, registry, http, worker)
    }

    /// A worker with a given HTTP client and name (tests).
    pub fn with_client(
        app: App,
        registry: Registry,
        http: reqwest::Client,
        name: String,
    ) -> Worker {
        Worker {
            ctx: Ctx {
                app,
                http,
                worker: name,
            },
            registry,
            claims: AtomicU64::new(0),
            backoff: Backoff::default(),
        }
    }

    /// This worker's name.
    pub fn name(&self) -> &str {
        &self.ctx.worker
    }

    /// One round: claims and runs what is due in both queues; returns how many rows it
    /// handled (succeeded or failed).
    pub async fn run_once(&self) -> AppResult<usize> {
        let mut handled = 0;
        for queue in [Queue::Timers, Queue::Jobs] {
            let (limit, lease) = batch_of(queue);
            let token = format!(
                "{}#{}",
                self.ctx.worker,
                self.claims.fetch_add(1, Ordering::Relaxed)
            );
            let now = self.ctx.app.now_ms();
            let batch =
                store::job::claim(&self.ctx.app.db, queue, now, lease, limit, &token).await?;
            if batch.is_empty() {
                continue;
            }
            handled += batch.len();
            self.run_batch(queue, &token, batch).await?;
        }
        Ok(handled)
    }

    async fn run_batch(&self, queue: Queue, token: &str, batch: Vec<Claimed>) -> AppResult<()> {
        let mut ready = Vec::with_capacity(batch.len());
        let mut failures = Vec::new();
        for job in batch {
            match self.registry.get(&job.kind) {
                None => {
                    let e = format!("no handler for kind {}", job.kind);
                    failures.push((job, e));
                }
                Some(h) => match h.outside(&self.ctx, &job).await {
                    Ok(()) => ready.push(job),
                    Err(e) => failures.push((job, e)),
                },
            }
        }
        // Failures first: recording them releases their rows from this claim, so the
        // fast path below can complete the claim as a whole.
        if !failures.is_empty() {
            let failures = &failures;
            run(&self.ctx.app, "job.complete", move |mut tx| async move {
                for (job, error) in failures {
                    self.record_failure(&mut tx, job, error).await?;
                }
                Ok((tx, ()))
            })
            .await?;
        }
        if ready.is_empty() {
            return Ok(());
        }
        if !self.fast_path(queue, token, &ready).await? {
            self.row_by_row(&ready).await?;
        }
        Ok(())
    }

    /// Runs every handler and completes the claim in one transaction (through the
    /// transaction runner); false (and nothing changed) when a handler failed or a row
    /// was taken from this claim.
    async fn fast_path(&self, queue: Queue, token: &str, ready: &[Claimed]) -> AppResult<bool> {
        let done = run(&self.ctx.app, "job.complete", move |mut tx| async move {
            savepoint(&mut tx, "SAVEPOINT job_batch").await?;
            let done = self.fast_path_in(&mut tx, queue, token, ready).await?;
            if !done {
                // Undo every handler's effects; the empty transaction commits.
                savepoint(&mut tx, "ROLLBACK TO SAVEPOINT job_batch").await?;
            }
            savepoint(&mut tx, "RELEASE SAVEPOINT job_batch").await?;
            Ok((tx, done))
        })
        .await?;
        if done {
            for job in ready {
                metrics::counter!("jobs_done_total", "kind" => job.kind.clone()).increment(1);
            }
        }
        Ok(done)
    }

    async fn fast_path_in(
        &self,
        tx: &mut AnyConnection,
        queue: Queue,
        token: &str,
        ready: &[Claimed],
    ) -> AppResult<bool> {
        for job in ready {
            let Some(h) = self.registry.get(&job.kind) else {
                return Ok(false);
            };
            if h.inside(&self.ctx, tx, job).await.is_err() {
                return Ok(false);
            }
        }
        let now = self.ctx.app.now_ms();
        let completed = store::job::complete_claim(tx, queue, token, now).await?;
        Ok(completed == ready.len() as u64)
    }

    /// Runs each handler behind its own savepoint (the whole batch through the
    /// transaction runner): a failing one rolls back its own effects and is recorded;
    /// one whose claim was lost rolls back silently.
    async fn row_by_row(&self, ready: &[Claimed]) -> AppResult<()> {
        let done = run(&self.ctx.app, "job.complete", move |mut tx| async move {
            let done = self.row_by_row_in(&mut tx, ready).await?;
            Ok((tx, done))
        })
        .await?;
        for kind in done {
            metrics::counter!("jobs_done_total", "kind" => kind).increment(1);
        }
        Ok(())
    }

    async fn row_by_row_in(
        &self,
        tx: &mut AnyConnection,
        ready: &[Claimed],
    ) -> AppResult<Vec<String>> {
        let mut done = Vec::new();
        for job in ready {
            let Some(h) = self.registry.get(&job.kind) else {
                continue;
            };
            savepoint(tx, "SAVEPOINT job_row").await?;
            let outcome = h.inside(&self.ctx, tx, job).await;
            let now = self.ctx.app.now_ms();
            match outcome {
                Ok(()) if store::job::complete(tx, job, now).await? => {
                    savepoint(tx, "RELEASE SAVEPOINT job_row").await?;
                    done.push(job.kind.clone());
                }
                Ok(()) => {
                    savepoint(tx, "ROLLBACK TO SAVEPOINT job_row").await?;
                    savepoint(tx, "RELEASE SAVEPOINT job_row").await?;
                    tracing::info!(id = job.id, kind = %job.kind, "claim lost; the row is someone else's now");
                }
                Err(e) => {
                    savepoint(tx, "ROLLBACK TO SAVEPOINT job_row").await?;
                    savepoint(tx, "RELEASE SAVEPOINT job_row").await?;
                    self.record_failure(tx, job, &e).await?;
                }
            }
        }
        Ok(done)
    }

    /// Records a failed attempt: queued again after the backoff, or dead after the
    /// last attempt, with the error kept and the handler told.
    async fn record_failure(
        &self,
        conn: &mut AnyConnection,
        job: &Claimed,
        error: &str,
    ) -> AppResult<()> {
        let now = self.ctx.app.now_ms();
        let again = domain::job::attempts_left(job.attempts, job.max_attempts);
        let retry_at =
            again.then(|| now + self.backoff.delay_ms(job.attempts, rand::random::<f64>()));
        if !store::job::fail(conn, job, error, retry_at, now).await? {
            return Ok(());
        }
        if let Some(h) = self.registry.get(&job.kind) {
            h.failed(conn, job, error, !again).await?;
        }
        metrics::counter!("job_failures_total", "kind" => job.kind.clone()).increment(1);
        if again {
            tracing::warn!(id = job.id, kind = %job.kind, attempts = job.attempts, error, "job failed; will retry");
        } else {
            metrics::counter!("job_dead_total", "kind" => job.kind.clone()).increment(1);
            // The administrators' alert, in this transaction: one open alert per kind
            // gathers an outage's dead letters (see `store::job::alert`).
            if store::job::alert::raise(conn, job.queue, &job.kind, error, now).await? {
                metrics::counter!("job_alerts_raised_total", "kind" => job.kind.clone())
                    .increment(1);
            }
            tracing::error!(id = job.id, queue = job.queue.table(), kind = %job.kind, attempts = job.attempts, error, "dead letter: job gave up");
        }
        Ok(())
    }

    /// Runs until `stop` turns true: then it finishes the batch in hand and returns.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(worker = %self.ctx.worker, "job worker started");
        while !*stop.borrow() {
            let idle = match self.run_once().await {
                Ok(n) if n > 0 => {
                    tokio::task::yield_now().await;
                    continue;
                }
                Ok(_) => self.idle_ms().await,
                Err(e) => {
                    tracing::warn!(error = %e, "job worker");
                    MAX_IDLE_MS
                }
            };
            tokio::select! {
                _ = self.ctx.app.job_wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(idle.max(1) as u64)) => {}
                _ = stop.changed() => {}
            }
        }
        tracing::info!(worker = %self.ctx.worker, "job worker stopped");
    }

    /// Runs rounds until nothing is due or running in either queue (a batch run: the
    /// benchmark, tests, `aftersales jobs run --until-idle`).
    pub async fn run_until_idle(&self) -> AppResult<()> {
        loop {
            if self.run_once().await? > 0 {
                continue;
            }
            let mut c = crate::conn(&self.ctx.app).await?;
            let next = store::job::earliest_due(&mut c, false).await?;
            drop(c);
            let Some(next) = next else {
                return Ok(());
            };
            let wait = (next - self.ctx.app.now_ms()).clamp(20, MAX_IDLE_MS);
            tokio::time::sleep(Duration::from_millis(wait as u64)).await;
        }
    }

    /// How long to sleep: until the next due row, at most [`MAX_IDLE_MS`], and at least
    /// a moment, as a due row another process holds would otherwise make it spin.
    async fn idle_ms(&self) -> i64 {
        let next = match crate::conn(&self.ctx.app).await {
            Ok(mut c) => store::job::earliest_due(&mut c, false).await.ok().flatten(),
            Err(_) => None,
        };
        let now = self.ctx.app.now_ms();
        next.map_or(MAX_IDLE_MS, |d| (d - now).clamp(20, MAX_IDLE_MS))
    }
}

async fn savepoint(conn: &mut AnyConnection, sql: &'static str) -> AppResult<()> {
    sqlx::query(sql).execute(conn).await?;
    Ok(())
}
