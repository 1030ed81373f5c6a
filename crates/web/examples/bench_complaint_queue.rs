//! Benchmark of the complaint queue page (issue 10's target: under 200 ms for a
//! head-office user with 100,000 open complaints, on PostgreSQL).
//!
//! Runs on a fresh SQLite file, or on PostgreSQL when TEST_DATABASE_URL is set:
//! `n` open complaints (default 100,000) are written straight into the table (the
//! use case would also arm five timers each, which the page does not read), their
//! next deadlines spread over the coming month, a tenth of them breached and a few
//! paused (no deadline). Then the head office's queue page is fetched over HTTP:
//! the first page, a filtered page (breached, one category) and a deep page, each
//! `rounds` times (default 30); median and 95th percentile per page.
//!
//! `cargo run --release -p web --example bench_complaint_queue [n] [rounds]`

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use domain::permission::Action;
use std::time::{Duration, Instant};
use testkit::{TestApp, head_office};

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

const CATEGORIES: &[&str] = &[
    "repair_quality",
    "service_attitude",
    "price_dispute",
    "waiting_time",
    "parts_quality",
    "other",
];

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(30);
    let t = TestApp::spawn().await;
    let backend = if std::env::var("TEST_DATABASE_URL").is_ok() {
        "postgres"
    } else {
        "sqlite"
    };
    // One complaint through the use case gives a real policy id.
    let first = app::complaint::file(
        &t.app,
        &head_office(Action::ComplaintWrite),
        &app::complaint::FileInput {
            station_id: t.fx.station_a,
            channel: "hotline".into(),
            category: "repair_quality".into(),
            severity: "normal".into(),
            description: "bench".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let now = t.app.now_ms();
    let began = Instant::now();
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let stations = [
        (t.fx.station_a, t.fx.region_a),
        (t.fx.station_b, t.fx.region_b),
    ];
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        // Numbers and fixed codes only: safe to write into the statement.
        let values: Vec<String> = chunk
            .iter()
            .map(|i| {
                let (st, rg) = stations[i % 2];
                let paused = i % 50 == 0;
                let due = now + ((i * 7919) % (30 * 24 * 60)) as i64 * 60_000 - 3_600_000;
                format!(
                    "({st},{rg},'hotline','{cat}','normal','bench {i}','acknowledged',{pol},1,{now},{paused},{deadline},{stage},{breached},0,{now},0)",
                    cat = CATEGORIES[i % CATEGORIES.len()],
                    pol = first.policy_id,
                    paused = if paused { now.to_string() } else { "NULL".into() },
                    deadline = if paused { "NULL".into() } else { due.to_string() },
                    stage = if paused { "NULL" } else { "'full_record'" },
                    breached = i64::from(i % 10 == 0),
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO complaints (station_id, region_id, channel, category, severity, description, state, \
             policy_id, clock_no, clock_started_at, paused_since, next_deadline_at, next_stage, breached, reopened, \
             received_at, created_by) VALUES {}",
            values.join(",")
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut *c)
            .await
            .unwrap();
    }
    if backend == "postgres" {
        sqlx::query("ANALYZE complaints")
            .execute(&mut *c)
            .await
            .unwrap();
    }
    drop(c);
    println!(
        "{backend}: {n} open complaints written in {:.1} s",
        began.elapsed().as_secs_f64()
    );
    let (client, _) = t.login("administrator").await;
    for (name, path) in [
        ("first page", "/console/complaints".to_string()),
        (
            "breached, one category",
            "/console/complaints?breached=yes&category=price_dispute".to_string(),
        ),
        ("page 200", "/console/complaints?page=200".to_string()),
    ] {
        let url = format!("{}{path}", t.base);
        // Warm up once.
        let r = client.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let body = r.text().await.unwrap();
        assert!(body.contains("complaint-queue"));
        let mut lat = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let s = Instant::now();
            let r = client.get(&url).send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.bytes().await.unwrap();
            lat.push(s.elapsed());
        }
        lat.sort();
        println!(
            "{backend} {name}: median {:.1} ms, p95 {:.1} ms ({rounds} rounds)",
            percentile(&lat, 0.5),
            percentile(&lat, 0.95)
        );
    }
}
