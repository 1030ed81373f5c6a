//! Two real `aftersales jobs run` processes on one database fire each timer exactly
//! once: on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set (then on both).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::Command;

const TIMERS: u64 = 3_000;

fn aftersales(url: &str, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_aftersales"));
    c.arg("--db")
        .arg(url)
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("AFTERSALES_CONFIG");
    c
}

async fn two_processes_fire_each_timer_once(test_db: &testkit::TestDb) {
    let url = test_db.url.as_str();
    let out = aftersales(
        url,
        &[
            "jobs",
            "probe",
            "--count",
            &TIMERS.to_string(),
            "--prefix",
            "twoproc",
        ],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let workers: Vec<_> = (0..2)
        .map(|_| {
            aftersales(url, &["jobs", "run", "--until-idle"])
                .spawn()
                .unwrap()
        })
        .collect();
    for mut w in workers {
        assert!(w.wait().unwrap().success());
    }
    let mut c = test_db.db.pool.acquire().await.unwrap();
    let (keys, firings) = store::job::probe_tally(&mut c, "twoproc:").await.unwrap();
    assert_eq!(keys, TIMERS as i64, "every timer fired");
    assert_eq!(firings, TIMERS as i64, "none fired twice");
    let listed = aftersales(url, &["jobs", "list", "--state", "queued"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&listed.stdout);
    assert_eq!(text.lines().count(), 1, "only the header is left: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_database() {
    // TestDb picks PostgreSQL when TEST_DATABASE_URL is set, SQLite otherwise.
    let db = testkit::TestDb::new().await;
    two_processes_fire_each_timer_once(&db).await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_stops_cleanly_on_sigterm() {
    let db = testkit::TestDb::new().await;
    let mut worker = aftersales(&db.url, &["jobs", "run"]).spawn().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    assert!(worker.try_wait().unwrap().is_none(), "it keeps running");
    let killed = Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let mut status = None;
    for _ in 0..100 {
        status = worker.try_wait().unwrap();
        if status.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let status = status.expect("stopped within 10 s");
    assert!(status.success(), "a clean exit: {status}");
}
