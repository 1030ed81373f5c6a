//! `aftersales jobs`: the operator's view of the job and timer queue — list, retry,
//! cancel, run a worker, and arm probe timers.

use crate::settings::Settings;
use clap::Subcommand;
use std::sync::Arc;

#[derive(Debug, Subcommand)]
pub(crate) enum JobsCommand {
    /// Lists jobs and timers, newest first.
    List {
        /// Only rows in this state: queued, running, done, dead or cancelled.
        #[arg(long)]
        state: Option<String>,
        /// Only rows of this kind, e.g. outbox.deliver.
        #[arg(long)]
        kind: Option<String>,
        /// Only this queue: jobs or timers (both by default).
        #[arg(long)]
        queue: Option<String>,
        /// At most this many rows per queue.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Sends a dead or cancelled job (or, with --timer, timer) round again.
    Retry {
        /// Its id.
        id: i64,
        /// The id is a timer's.
        #[arg(long)]
        timer: bool,
    },
    /// Cancels a queued or running job (or, with --timer, timer).
    Cancel {
        /// Its id.
        id: i64,
        /// The id is a timer's.
        #[arg(long)]
        timer: bool,
    },
    /// Runs a job worker only (no web server) until SIGTERM or Ctrl-C.
    Run {
        /// Exit once nothing is due and nothing is running (for batch runs and tests).
        #[arg(long)]
        until_idle: bool,
    },
    /// Arms probe timers (kind job.probe) that record when and by which worker they
    /// fired: a check that the workers are alive and fire each timer once.
    Probe {
        /// How many.
        #[arg(long, default_value_t = 1)]
        count: u64,
        /// Due this many milliseconds from now.
        #[arg(long, default_value_t = 0)]
        delay_ms: i64,
        /// Key prefix; the keys are `<prefix>:<n>`.
        #[arg(long, default_value = "probe")]
        prefix: String,
    },
}

/// Runs one `aftersales jobs` command as `grant` (the operator's `JobAdmin`).
pub(crate) async fn run(
    s: &Settings,
    db: store::Db,
    grant: &domain::permission::Grant,
    command: &JobsCommand,
) -> anyhow::Result<()> {
    use app::job::Queue;
    let app = app::App::new(db, Arc::new(app::clock::SystemClock), s.app.clone());
    let queue_of = |timer: bool| if timer { Queue::Timers } else { Queue::Jobs };
    let fail = |e: app::AppError| anyhow::anyhow!("{e}");
    match command {
        JobsCommand::List {
            state,
            kind,
            queue,
            limit,
        } => {
            let state = match state {
                Some(code) => Some(
                    domain::job::JobState::from_code(code)
                        .ok_or_else(|| anyhow::anyhow!("unknown state {code}"))?,
                ),
                None => None,
            };
            let queues = match queue {
                Some(code) => vec![
                    Queue::from_code(code)
                        .ok_or_else(|| anyhow::anyhow!("unknown queue {code}"))?,
                ],
                None => Queue::ALL.to_vec(),
            };
            println!("queue\tid\tkind\tstate\tattempts\tdue_at\tkey\tlast_error");
            for q in queues {
                let rows = app::job::list(&app, grant, q, state, kind.as_deref(), *limit)
                    .await
                    .map_err(fail)?;
                for r in rows {
                    let due = jiff::Timestamp::from_millisecond(r.due_at)
                        .map(|t| t.to_string())
                        .unwrap_or_default();
                    println!(
                        "{}\t{}\t{}\t{}\t{}/{}\t{}\t{}\t{}",
                        q.table(),
                        r.id,
                        r.kind,
                        r.state,
                        r.attempts,
                        r.max_attempts,
                        due,
                        r.key.unwrap_or_default(),
                        r.last_error.unwrap_or_default().replace(['\n', '\t'], " ")
                    );
                }
            }
            Ok(())
        }
        JobsCommand::Retry { id, timer } => {
            app::job::retry(&app, grant, queue_of(*timer), *id)
                .await
                .map_err(fail)?;
            println!("{} {id} queued again", queue_of(*timer).table());
            Ok(())
        }
        JobsCommand::Cancel { id, timer } => {
            app::job::cancel(&app, grant, queue_of(*timer), *id)
                .await
                .map_err(fail)?;
            println!("{} {id} cancelled", queue_of(*timer).table());
            Ok(())
        }
        JobsCommand::Run { until_idle } => {
            let worker =
                app::job::worker::Worker::new(app.clone(), app::job::handler::Registry::standard());
            eprintln!("job worker {} running", worker.name());
            if *until_idle {
                worker.run_until_idle().await.map_err(fail)?;
                return Ok(());
            }
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let handle = tokio::spawn(worker.run(stopped));
            crate::shutdown::signal().await;
            let _ = stop.send(true);
            let _ = handle.await;
            Ok(())
        }
        JobsCommand::Probe {
            count,
            delay_ms,
            prefix,
        } => {
            let due = app.now_ms() + delay_ms;
            let n = app::job::probe::arm_many(&app, prefix, *count, due)
                .await
                .map_err(fail)?;
            println!("{n} probe timer(s) armed");
            Ok(())
        }
    }
}
