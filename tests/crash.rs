//! Killed with SIGKILL, real `aftersales` processes lose nothing they acknowledged
//! and leave nothing half-written: the server during a burst of writes, an import
//! midway (whole batches only, and the same file run again continues after its
//! resume point, writing each row once), and `demo --scale full` midway (the next `demo` rebuilds it instead of
//! serving it as complete). SQLite, where a crash is the application's problem.
//! The restarted server also exports the metrics families operators watch.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_aftersales");

fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let d = std::env::temp_dir().join(format!(
        "aftersales-crash-{name}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn db_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("crash.db").display())
}

fn run(db: &str, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("AFTERSALES_CONFIG")
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap()
}

fn spawn(db: &str, args: &[&str]) -> Child {
    Command::new(BIN)
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("AFTERSALES_CONFIG")
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn kill9(child: &mut Child) {
    // Child::kill sends SIGKILL on Unix: no shutdown code of ours runs.
    child.kill().ok();
    child.wait().ok();
}

async fn sqlite(dir: &Path) -> sqlx::SqliteConnection {
    use sqlx::Connection;
    sqlx::SqliteConnection::connect(&format!("{}?mode=rw", db_url(dir)))
        .await
        .unwrap()
}

async fn integrity_ok(dir: &Path) {
    let mut c = sqlite(dir).await;
    let (r,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(r, "ok");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_ready(base: &str) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if let Ok(r) = reqwest::get(format!("{base}/readyz")).await
            && r.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{base} not ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_write_survives_a_kill_during_a_burst() {
    let dir = temp_dir("burst");
    let db = db_url(&dir);
    assert!(run(&db, &["migrate"]).status.success());
    let out = run(
        &db,
        &["token", "--name", "burst", "--role", "administrator"],
    );
    assert!(out.status.success());
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let listen = format!("127.0.0.1:{port}");
    let mut server = spawn(&db, &["serve", "--listen", &listen]);
    wait_ready(&base).await;

    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<i64>::new()));
    let mut writers = Vec::new();
    for w in 0..8 {
        let (base, token, acknowledged) = (base.clone(), token.clone(), acknowledged.clone());
        writers.push(tokio::spawn(async move {
            let c = reqwest::Client::new();
            for i in 0..10_000 {
                let r = c
                    .post(format!("{base}/api/v1/regions"))
                    .bearer_auth(&token)
                    .json(&serde_json::json!({
                        "code": format!("B{w}X{i}"),
                        "name_zh": format!("区域{w}-{i}"),
                        "name_en": format!("Region {w}-{i}"),
                    }))
                    .send()
                    .await;
                let Ok(r) = r else { break };
                if r.status() != 201 {
                    break;
                }
                let Ok(v) = r.json::<serde_json::Value>().await else {
                    break;
                };
                acknowledged.lock().unwrap().push(v["id"].as_i64().unwrap());
            }
        }));
    }
    // Let the burst run, then kill the server in the middle of it.
    let started = Instant::now();
    while acknowledged.lock().unwrap().len() < 200 && started.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    kill9(&mut server);
    for w in writers {
        w.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 200,
        "the burst ran ({} writes)",
        acknowledged.len()
    );

    integrity_ok(&dir).await;
    let mut c = sqlite(&dir).await;
    let ids: Vec<(i64,)> = sqlx::query_as("SELECT id FROM regions")
        .fetch_all(&mut c)
        .await
        .unwrap();
    let stored: std::collections::HashSet<i64> = ids.into_iter().map(|(i,)| i).collect();
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|i| !stored.contains(i))
        .collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    drop(c);
    // And the server starts again on it.
    let mut again = spawn(&db, &["serve", "--listen", &listen]);
    wait_ready(&base).await;
    // The families operators watch are exported.
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for family in [
        "db_pool_connections",
        "db_pool_max_connections",
        "job_queue_depth",
        "job_oldest_due_age_seconds",
        "http_requests_total",
        "repair_orders_opened_total",
        "repair_orders_delivered_total",
        "outbox_dead_total",
        "db_transaction_retries_total{use_case=\"appointment.book\"}",
        "db_transaction_give_ups_total{use_case=\"appointment.reschedule\"}",
    ] {
        assert!(metrics.contains(family), "/metrics lacks {family}");
    }
    kill9(&mut again);
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_killed_midway_leaves_whole_batches_and_resumes() {
    let dir = temp_dir("import");
    let db = db_url(&dir);
    assert!(run(&db, &["migrate"]).status.success());
    let mut c = sqlite(&dir).await;
    sqlx::query("INSERT INTO regions (code, name_zh, name_en) VALUES ('EAST1', '华东', 'East')")
        .execute(&mut c)
        .await
        .unwrap();
    drop(c);
    let stations = dir.join("stations.csv");
    std::fs::write(
        &stations,
        "code,name_zh,name_en,region_code,address,adcode,city,lon,lat,opening_hours,bays,capabilities,labour_rate_yuan\n\
         SH-9001,上海浦东4S店,Shanghai Pudong Service Centre,EAST1,上海市浦东新区世纪大道100号,310115,上海市,121.544346,31.221461,08:30-18:00,12,maintenance,180.00\n",
    )
    .unwrap();
    let out = run(&db, &["import", "stations", stations.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let customers = dir.join("customers.csv");
    let rows = 200_000;
    let mut csv = String::from(
        "name,phone,station_code,channel,quiet_hours,consent_service,consent_marketing\n",
    );
    for i in 0..rows {
        csv.push_str(&format!("客户{i},139{i:08},SH-9001,sms,,1,0\n"));
    }
    std::fs::write(&customers, csv).unwrap();
    let mut import = spawn(&db, &["import", "customers", customers.to_str().unwrap()]);
    // Kill it once some batches are committed (the resume point has moved), or at
    // the latest after 60 s.
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) && import.try_wait().unwrap().is_none() {
        if rows_done(&dir).await.unwrap_or(0) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let finished_first = import.try_wait().unwrap().is_some();
    kill9(&mut import);

    integrity_ok(&dir).await;
    let n = count_customers(&dir).await;
    let done = rows_done(&dir).await;
    eprintln!("killed with {n} of {rows} customers committed (resume point {done:?})");
    // Whole batches only, and exactly the rows the resume point names.
    assert!(
        n % 5_000 == 0 || n == rows,
        "no half-written batch: {n} of {rows} customers (finished before the kill: {finished_first})"
    );
    assert_eq!(
        done.unwrap_or(0),
        n as u64,
        "the resume point names the committed rows"
    );
    // The same file again continues after the resume point: every row once.
    let out = run(&db, &["import", "customers", customers.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    if n == rows {
        assert!(said.contains("imported before"), "{said}");
    } else if n > 0 {
        assert!(
            said.contains(&format!(
                "{} row(s) imported, continuing after row {n}",
                rows - n
            )),
            "{said}"
        );
    }
    assert_eq!(count_customers(&dir).await, rows);
    let (distinct,): (i64,) = sqlx::query_as("SELECT COUNT(DISTINCT phone) FROM customers")
        .fetch_one(&mut sqlite(&dir).await)
        .await
        .unwrap();
    assert_eq!(distinct, rows);
    // And once more: the file is in, nothing is written twice.
    let out = run(&db, &["import", "customers", customers.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported before"));
    assert_eq!(count_customers(&dir).await, rows);
    assert_eq!(rows_done(&dir).await, Some(rows as u64));
    std::fs::remove_dir_all(&dir).ok();
}

async fn count_customers(dir: &Path) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM customers")
        .fetch_one(&mut sqlite(dir).await)
        .await
        .unwrap();
    n
}

/// The resume point of the (only) customer import, if one was started.
async fn rows_done(dir: &Path) -> Option<u64> {
    let r: Option<(i64,)> =
        sqlx::query_as("SELECT rows_done FROM import_runs WHERE kind = 'customers'")
            .fetch_optional(&mut sqlite(dir).await)
            .await
            .ok()?;
    r.map(|(n,)| n as u64)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_killed_midway_is_built_again_not_served() {
    let dir = temp_dir("demo");
    let db = db_url(&dir);
    let mut demo = spawn(&db, &["demo", "--scale", "full", "--no-serve"]);
    // Wait until the build is under way (recorded and writing), then kill it.
    let started = Instant::now();
    loop {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the build never started"
        );
        if dir.join("crash.db").exists() {
            let mut c = sqlite(&dir).await;
            let marked: Option<(String,)> =
                sqlx::query_as("SELECT value FROM settings WHERE key = 'demo_build'")
                    .fetch_optional(&mut c)
                    .await
                    .unwrap_or(None);
            if marked.is_some_and(|(v,)| v.contains("building")) {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        demo.try_wait().unwrap().is_none(),
        "a full build takes longer than this"
    );
    kill9(&mut demo);
    integrity_ok(&dir).await;

    let out = run(&db, &["demo", "--scale", "small", "--no-serve"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("building it again"), "{stdout}");
    let mut c = sqlite(&dir).await;
    let (v,): (String,) = sqlx::query_as("SELECT value FROM settings WHERE key = 'demo_build'")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert!(v.contains("complete") && v.contains("small"), "{v}");
    let (stations,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM stations")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(
        stations, 12,
        "the small demo, not a remnant of the full one"
    );
    drop(c);
    // A complete demo is served as it is.
    let out = run(&db, &["demo", "--scale", "small", "--no-serve"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("already complete"));
    std::fs::remove_dir_all(&dir).ok();
}
