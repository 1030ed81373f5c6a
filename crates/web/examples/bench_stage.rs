//! Benchmark of repair-order stage changes over HTTP (issue: the service loop).
//!
//! Runs on a fresh SQLite file, or on PostgreSQL when TEST_DATABASE_URL is set:
//!   1. throughput: 32 clients change stages (complete reception, start diagnosis) as
//!      fast as the server answers;
//!   2. latency at a paced 200 requests/s;
//!   3. the raw database's single-row transaction rate with the same concurrency,
//!      and the ratio of (1) to it; then the same transactions through the retrying
//!      transaction runner (`store::Db::run`), whose ratio to raw is what the retry
//!      costs without contention;
//!   4. work done, independent of the machine's load: SQL statements per stage change
//!      (over [`COUNTED`] orders changed one after the other) and per raw transaction;
//!   5. the HTTP floor: `GET /healthz` (no database, no sign-in) with the same clients
//!      in the same process, the most requests a second this machine serves at all,
//!      so the ratio in (3) can be read against what HTTP alone allows;
//!   6. the same stage changes through the use cases alone (`app::repair_order`, no
//!      HTTP), with the same concurrency: the part of a stage change that is ours below
//!      the web layer. If the costs simply add, 1/(1/use cases + 1/floor) is the most
//!      the HTTP stage changes could reach, which (1) is read against.
//!
//! `cargo run --release -p web --example bench_stage [orders]`

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use domain::permission::{Action, Principal, Unit};
use domain::repair_order::{CheckRule, Stage, default_standard};
use domain::role::Role;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use testkit::TestApp;

#[path = "support/duties.rs"]
mod duties;
#[path = "support/query_count.rs"]
mod query_count;

/// The server binary's allocator (`src/main.rs`), so the figures are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CLIENTS: usize = 32;

/// Orders whose stage changes are counted statement by statement.
const COUNTED: usize = 50;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// The advisor of station A who opens and changes the orders.
fn advisor(t: &TestApp) -> Principal {
    Principal {
        kind: domain::permission::ActorKind::Person,
        id: 1,
        name: "bench".into(),
        role: Role::ServiceAdvisor,
        unit: Unit::Station(
            domain::ids::StationId(t.fx.station_a),
            domain::ids::RegionId(t.fx.region_a),
        ),
    }
}

/// Opens `n` walk-in orders at station A with every required reception checkpoint ticked.
async fn prepare(t: &TestApp, n: usize) -> Vec<i64> {
    let g = advisor(t).grant(Action::RepairOrderWrite).unwrap();
    let codes: Vec<String> = default_standard()
        .spec(Stage::Reception)
        .unwrap()
        .checkpoints
        .iter()
        .filter(|c| c.rule == CheckRule::Required)
        .map(|c| c.code.clone())
        .collect();
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (app, g, codes, next, vehicle, station) = (
            t.app.clone(),
            g.clone(),
            codes.clone(),
            next.clone(),
            t.fx.vehicle_a,
            t.fx.station_a,
        );
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            while next.fetch_add(1, Ordering::SeqCst) < n {
                // Every order is for the same car, so all but the first are second
                // orders, which need a reason.
                let input = app::repair_order::WalkInInput {
                    second_order_reason: Some("bench".into()),
                    station_id: station,
                    vehicle_id: vehicle,
                    vin: None,
                    concern: "保养".into(),
                    concern_code: None,
                    service_type: None,
                };
                let id = app::repair_order::open_walk_in(&app, &g, &input)
                    .await
                    .unwrap();
                for c in &codes {
                    app::repair_order::check(&app, &g, id, c, None)
                        .await
                        .unwrap();
                }
                ids.push(id);
            }
            ids
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.extend(t.await.unwrap());
    }
    ids
}

async fn change(client: &reqwest::Client, base: &str, token: &str, id: i64) -> Vec<Duration> {
    let mut out = Vec::with_capacity(2);
    for path in ["stages/reception/complete", "stages/diagnosis/start"] {
        let start = Instant::now();
        let r = client
            .post(format!("{base}/api/v1/repair-orders/{id}/{path}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        out.push(start.elapsed());
    }
    out
}

#[tokio::main]
async fn main() {
    let orders: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(4000);
    query_count::install();
    let t = TestApp::spawn().await;
    // As a server runs: the job worker, with its checkpoint of the SQLite log.
    let _duties = duties::start(&t).await;
    let backend = if t.test_db.is_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    t.service_fixture().await;
    let token = t.token(Role::ServiceAdvisor).await;
    let paced = 2000usize;
    let start = Instant::now();
    let direct = orders / 2;
    let ids = prepare(&t, orders + paced / 2 + COUNTED + direct).await;
    println!(
        "{backend}: prepared {} orders in {:.1} s",
        ids.len(),
        start.elapsed().as_secs_f64()
    );
    // As after any bulk load (the demo build, an import): the planner's statistics
    // refreshed. Without them PostgreSQL kept the plans it cached on each connection
    // while the tables were nearly empty, and read an order by scanning the station's
    // orders (0.45 ms a read against 0.05 ms, the bench measuring the missing statistics).
    t.app.db.analyze(&[]).await.unwrap();
    let (burst, rest) = ids.split_at(orders);
    let (rest, rest2) = rest.split_at(paced / 2);
    let (counted, direct_ids) = rest2.split_at(COUNTED);

    // 1. Throughput.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .unwrap();
    let queue = Arc::new(burst.to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (client, base, token, queue, next) = (
            client.clone(),
            t.base.clone(),
            token.clone(),
            queue.clone(),
            next.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(id) = queue.get(i) else { break };
                lat.extend(change(&client, &base, &token, *id).await);
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    let secs = start.elapsed().as_secs_f64();
    let rate = lat.len() as f64 / secs;
    lat.sort();
    println!(
        "{backend}: {} stage changes by {CLIENTS} clients in {secs:.1} s = {rate:.0}/s (p50 {:.2} ms, p99 {:.2} ms)",
        lat.len(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.99)
    );

    // 2. Latency at 200 requests/s (each order gives two requests, 5 ms apart on average).
    let mut interval = tokio::time::interval(Duration::from_millis(10));
    let mut tasks = Vec::new();
    for id in rest {
        interval.tick().await;
        let (client, base, token, id) = (client.clone(), t.base.clone(), token.clone(), *id);
        tasks.push(tokio::spawn(async move {
            change(&client, &base, &token, id).await
        }));
    }
    let mut paced_lat = Vec::new();
    for t in tasks {
        paced_lat.extend(t.await.unwrap());
    }
    paced_lat.sort();
    println!(
        "{backend}: {} stage changes at 200 requests/s: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        paced_lat.len(),
        percentile(&paced_lat, 0.5),
        percentile(&paced_lat, 0.99),
        percentile(&paced_lat, 1.0)
    );

    // 4a. Statements per stage change, one order after the other.
    let (statements, ()) = query_count::count(async {
        for id in counted {
            change(&client, &t.base, &token, *id).await;
        }
    })
    .await;
    let per_change = statements as f64 / (2 * counted.len()) as f64;

    // 3. The raw database: one-row update transactions with the same concurrency.
    let db = t.app.db.clone();
    sqlx::raw_sql("CREATE TABLE bench_counter (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)")
        .execute(&db.pool)
        .await
        .unwrap();
    for i in 0..CLIENTS as i64 {
        sqlx::query("INSERT INTO bench_counter (id, n) VALUES ($1, 0)")
            .bind(i)
            .execute(&db.pool)
            .await
            .unwrap();
    }
    // 3b. The same transactions through the one transaction runner (`Db::run`, which
    // retries a deadlock, serialization failure or busy database): what the retry
    // costs when nobody competes for a row (issue 20). The two alternate in rounds
    // (raw, runner, runner, raw, ...) so that neither inherits the other's log to
    // checkpoint or a warmer cache.
    let (mut raw_n, mut raw_secs, mut run_n, mut run_secs) = (0usize, 0f64, 0usize, 0f64);
    for round in 0..8 {
        let through_runner = matches!(round % 4, 1 | 2);
        let (n, secs) =
            one_row_transactions(&db, through_runner, Duration::from_millis(1250)).await;
        if through_runner {
            (run_n, run_secs) = (run_n + n, run_secs + secs);
        } else {
            (raw_n, raw_secs) = (raw_n + n, raw_secs + secs);
        }
    }
    let raw = raw_n as f64 / raw_secs;
    let through_runner = run_n as f64 / run_secs;
    // 4b. Statements per raw transaction.
    let (raw_statements, ()) = query_count::count(async {
        for _ in 0..COUNTED {
            let mut tx = db.begin().await.unwrap();
            sqlx::query("UPDATE bench_counter SET n = n + 1 WHERE id = $1")
                .bind(0i64)
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
    })
    .await;
    println!(
        "{backend}: raw single-row transactions: {raw:.0}/s; stage changes reach {:.0}% of it",
        100.0 * rate / raw
    );
    println!(
        "{backend}: the same transactions through the retrying runner: {through_runner:.0}/s = {:.1}% of raw",
        100.0 * through_runner / raw
    );
    println!(
        "{backend}: SQL statements per stage change {per_change:.1}, per raw transaction {:.1}",
        raw_statements as f64 / COUNTED as f64
    );

    // 5. The HTTP floor.
    let done = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (client, base, done) = (client.clone(), t.base.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            while start.elapsed() < Duration::from_secs(5) {
                let r = client.get(format!("{base}/healthz")).send().await.unwrap();
                assert!(r.status().is_success());
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let floor = done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64();
    println!(
        "{backend}: HTTP floor (GET /healthz, {CLIENTS} clients, same process): {floor:.0}/s = {:.0}% of raw; stage changes reach {:.0}% of it",
        100.0 * floor / raw,
        100.0 * rate / floor
    );

    // 6. The use cases alone.
    let grant = advisor(&t).grant(Action::RepairOrderWrite).unwrap();
    let queue = Arc::new(direct_ids.to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (app, grant, queue, next) = (t.app.clone(), grant.clone(), queue.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(id) = queue.get(i) else { break };
                app::repair_order::complete_stage(&app, &grant, *id, Stage::Reception)
                    .await
                    .unwrap();
                app::repair_order::start_stage(&app, &grant, *id, Stage::Diagnosis)
                    .await
                    .unwrap();
                n += 2;
            }
            n
        }));
    }
    let mut n = 0;
    for t in tasks {
        n += t.await.unwrap();
    }
    let use_cases = n as f64 / start.elapsed().as_secs_f64();
    let bound = 1.0 / (1.0 / use_cases + 1.0 / floor);
    println!(
        "{backend}: the use cases alone (no HTTP, {CLIENTS} tasks): {use_cases:.0}/s = {:.0}% of raw; with the HTTP floor added, at most {bound:.0}/s = {:.0}% of raw (the HTTP stage changes: {:.0}%)",
        100.0 * use_cases / raw,
        100.0 * bound / raw,
        100.0 * rate / raw
    );
}

/// One-row update transactions by [`CLIENTS`] tasks for `span`, each on its own row,
/// directly (`begin`, update, `commit`) or through the retrying runner (`Db::run`):
/// how many, in how many seconds.
async fn one_row_transactions(
    db: &store::Db,
    through_runner: bool,
    span: Duration,
) -> (usize, f64) {
    let done = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..CLIENTS as i64 {
        let (db, done) = (db.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            while start.elapsed() < span {
                if through_runner {
                    db.run("bench.raw", |mut tx| async move {
                        sqlx::query("UPDATE bench_counter SET n = n + 1 WHERE id = $1")
                            .bind(i)
                            .execute(&mut *tx)
                            .await?;
                        Ok::<_, store::StoreError>((tx, ()))
                    })
                    .await
                    .unwrap();
                } else {
                    let mut tx = db.begin().await.unwrap();
                    sqlx::query("UPDATE bench_counter SET n = n + 1 WHERE id = $1")
                        .bind(i)
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                    tx.commit().await.unwrap();
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    (done.load(Ordering::Relaxed), start.elapsed().as_secs_f64())
}
