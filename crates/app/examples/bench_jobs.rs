//! Benchmark of the job machinery: arms N probe timers, all due now, starts W worker
//! processes on the same database and measures how long they take to fire them all,
//! then checks that each fired exactly once.
//!
//! ```text
//! cargo run --release -p app --example bench_jobs -- [sqlite://file.db | postgres://…] [timers] [workers]
//! ```
//!
//! Defaults: a fresh SQLite file in the temp folder, 100,000 timers, 1 worker.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::clock::SystemClock;
use app::job::handler::Registry;
use app::job::worker::Worker;
use std::sync::Arc;
use std::time::Instant;

const PREFIX: &str = "bench";

async fn open(url: &str, connections: u32) -> app::App {
    let db = store::Db::connect(url, connections).await.expect("connect");
    store::migrate::run(&db).await.expect("migrate");
    app::App::new(db, Arc::new(SystemClock), app::AppSettings::default())
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--worker") {
        let app = open(&args[1], 4).await;
        Worker::new(app, Registry::standard())
            .run_until_idle()
            .await
            .expect("worker");
        return;
    }
    let url = args.first().cloned().unwrap_or_else(|| {
        format!(
            "sqlite://{}",
            std::env::temp_dir()
                .join(format!("bench_jobs_{}.db", std::process::id()))
                .display()
        )
    });
    let timers: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let workers: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1);
    let app = open(&url, 4).await;
    // A clean slate for reruns on the same database.
    let mut c = app.db.pool.acquire().await.expect("connection");
    for sql in [
        "DELETE FROM job_probes WHERE probe_key LIKE 'bench:%'",
        "DELETE FROM timers WHERE dedupe_key LIKE 'bench:%'",
    ] {
        sqlx::query(sql).execute(&mut *c).await.expect("clean");
    }
    drop(c);
    let t = Instant::now();
    let armed = app::job::probe::arm_many(&app, PREFIX, timers, app.now_ms())
        .await
        .expect("arm");
    eprintln!("armed {armed} timers in {:.1} s", t.elapsed().as_secs_f64());
    let exe = std::env::current_exe().expect("own path");
    let start = Instant::now();
    let mut children: Vec<std::process::Child> = (0..workers)
        .map(|_| {
            std::process::Command::new(&exe)
                .args(["--worker", &url])
                .spawn()
                .expect("start worker")
        })
        .collect();
    for child in &mut children {
        let status = child.wait().expect("worker ran");
        assert!(status.success(), "a worker failed: {status}");
    }
    let seconds = start.elapsed().as_secs_f64();
    let (keys, firings) = app::job::probe::tally(&app, PREFIX).await.expect("tally");
    let once = keys == timers as i64 && firings == timers as i64;
    let backend = if url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    println!(
        "backend={backend} timers={timers} workers={workers} seconds={seconds:.2} rate={:.0}/s fired_keys={keys} firings={firings} exactly_once={once}",
        timers as f64 / seconds
    );
    if url.contains("bench_jobs_") && url.starts_with("sqlite://") {
        let path = url.trim_start_matches("sqlite://").to_string();
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    }
    if !once {
        std::process::exit(1);
    }
}
