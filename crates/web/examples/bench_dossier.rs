//! Benchmark of the three-guarantees dossier (issue 19 target: the dossier page under
//! 200 ms) and of the vehicle's position over the API, for a vehicle with 200 orders,
//! each a classified quality repair of one of ten parts, handed over after two days.
//!
//! Runs on a fresh SQLite file, or on PostgreSQL when TEST_DATABASE_URL is set:
//! `cargo run -p web --example bench_dossier [orders] [requests]`

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use domain::permission::Reach;
use domain::role::Role;
use serde_json::json;
use std::time::{Duration, Instant};
use testkit::TestApp;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn deliver(t: &TestApp, id: i64) {
    let now = t.app.now_ms();
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let row = store::repair_order::get(&mut c, &Reach::All, id)
        .await
        .unwrap();
    let p = store::repair_order::Progress {
        state: "delivered".into(),
        current_stage: None,
        applicable: row.applicable.clone(),
        promised_at: row.promised_at,
        delivered_at: Some(now),
        late_minutes: None,
        courtesy_car: false,
    };
    store::repair_order::save_progress(&mut c, id, row.version, &p, now)
        .await
        .unwrap();
}

async fn time(c: &reqwest::Client, url: &str, n: usize) -> Vec<Duration> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t0 = Instant::now();
        let r = c.get(url).send().await.unwrap();
        assert_eq!(r.status(), 200, "{url}");
        let _ = r.bytes().await.unwrap();
        out.push(t0.elapsed());
    }
    out.sort();
    out
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let orders: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let requests: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(50);
    let t = TestApp::spawn().await;
    let token = t.token(Role::ServiceAdvisor).await;
    let api = t.client();
    let car = t.fx.vehicle_a;
    let setup = Instant::now();
    for i in 0..orders {
        let r = api
            .post(format!("{}/api/v1/repair-orders", t.base))
            .bearer_auth(&token)
            .json(&json!({"station_id": t.fx.station_a, "vehicle_id": car,
                          "concern": format!("故障 {i}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let id = r.json::<serde_json::Value>().await.unwrap()["id"]
            .as_i64()
            .unwrap();
        let r = api
            .post(format!(
                "{}/api/v1/repair-orders/{id}/three-guarantees/faults",
                t.base
            ))
            .bearer_auth(&token)
            .json(&json!({"quality": true, "part": format!("部件{}", i % 10)}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        t.clock.advance_ms(2 * 86_400_000);
        deliver(&t, id).await;
        t.clock.advance_ms(86_400_000);
    }
    println!(
        "setup: {orders} orders in {:.1} s ({})",
        setup.elapsed().as_secs_f64(),
        if std::env::var("TEST_DATABASE_URL").is_ok() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    let (web, _) = t.login("service_advisor").await;
    let dossier = format!("{}/console/vehicles/{car}/dossier", t.base);
    let position = format!("{}/api/v1/vehicles/{car}/three-guarantees", t.base);
    let _ = time(&web, &dossier, 3).await;
    let d = time(&web, &dossier, requests).await;
    let p = time(&web, &position, requests).await;
    for (name, s) in [("dossier page", &d), ("position API", &p)] {
        println!(
            "{name}: {} requests, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            s.len(),
            percentile(s, 0.5),
            percentile(s, 0.99),
            percentile(s, 1.0)
        );
    }
}
