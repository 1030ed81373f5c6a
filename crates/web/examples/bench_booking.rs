//! Benchmark of bookings racing for the last places (issue 20).
//!
//! Runs on a fresh SQLite file, or on PostgreSQL when TEST_DATABASE_URL is set; the
//! server runs in this process on a real socket, clients are real HTTP clients:
//!   1. contention: after one uncounted warm-up burst (every pooled connection has
//!      run the booking once, as on a server that has been up a while), `ROUNDS`
//!      bursts of 200 simultaneous bookings (200 different cars)
//!      for a slot with 3 places; every burst must give exactly 3 × 201 and 197 × 409,
//!      no 5xx; latency percentiles over every request of every burst;
//!   2. no contention: 200 bookings one after the other into free slots (the cost of
//!      the runner and the lock order when nobody competes): requests per second;
//!   3. work done, independent of the machine's load: SQL statements per booking in
//!      one more burst and in sequential bookings.
//!
//! `cargo run --release -p web --example bench_booking [rounds]`

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use domain::role::Role;
use serde_json::json;
use std::time::{Duration, Instant};
use testkit::TestApp;

#[path = "support/duties.rs"]
mod duties;
#[path = "support/query_count.rs"]
mod query_count;

const BURST: usize = 200;
const PLACES: u16 = 3;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// Working-day starts at station A from 2026-11-25, every hour from 09:00 to 15:00.
fn starts(n: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut day: jiff::civil::Date = "2026-11-25".parse().unwrap();
    while out.len() < n {
        if day.weekday() != jiff::civil::Weekday::Saturday
            && day.weekday() != jiff::civil::Weekday::Sunday
        {
            // Hourly: a 60-minute booking holds two half-hour slots.
            for h in 9..16 {
                out.push(format!("{day} {h:02}:00"));
            }
        }
        day = day.tomorrow().unwrap();
    }
    out.truncate(n);
    out
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    query_count::install();
    let t = TestApp::spawn().await;
    // As a server runs: the job worker, with its checkpoint of the SQLite log.
    let _duties = duties::start(&t).await;
    t.service_fixture().await;
    t.publish_places(60, PLACES).await;
    let backend = if t.test_db.is_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let token = t.token(Role::ServiceAdvisor).await;
    // The last BURST cars make the uncounted warm-up burst.
    let cars = t.vehicles(BURST * rounds.max(1) + 3 * BURST + 8).await;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(BURST)
        .build()
        .unwrap();
    let book = |vehicle: i64, start: String| {
        let http = http.clone();
        let url = format!("{}/api/v1/appointments", t.base);
        let token = token.clone();
        let station = t.fx.station_a;
        async move {
            let began = Instant::now();
            let r = http
                .post(url)
                .bearer_auth(token)
                .json(&json!({"station_id": station, "vehicle_id": vehicle,
                    "service_type": "maintenance", "channel": "hotline", "start": start}))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let took = began.elapsed();
            let body = r.text().await.unwrap_or_default();
            (status, took, body)
        }
    };
    // The last slot takes the uncounted warm-up burst.
    let slots = starts(rounds + 8 + BURST / 3 + 3);
    // Warm the connection pools and the server.
    for i in 0..8 {
        let _ = book(cars[i], slots[rounds + i].clone()).await;
    }
    // One uncounted burst, so that every pooled connection has run (and PostgreSQL has
    // planned) the booking's statements, as on a server that has been up a while: the
    // target is the rush on a running server, not the first requests after a start.
    let warm_cars = &cars[cars.len() - BURST..];
    let warm_slot = slots[slots.len() - 1].clone();
    let began = Instant::now();
    let warm: Vec<_> = warm_cars
        .iter()
        .map(|car| tokio::spawn(book(*car, warm_slot.clone())))
        .collect();
    let mut warm_booked = 0;
    for h in warm {
        warm_booked += usize::from(h.await.unwrap().0 == 201);
    }
    assert_eq!(
        warm_booked,
        usize::from(PLACES),
        "the warm-up burst booked the places"
    );
    println!(
        "warm-up burst (not counted): {:.0} ms wall",
        began.elapsed().as_secs_f64() * 1000.0
    );
    println!("== {backend}: {rounds} bursts of {BURST} simultaneous bookings for {PLACES} places");
    let mut all = Vec::new();
    for round in 0..rounds {
        let burst: Vec<_> = (0..BURST)
            .map(|i| tokio::spawn(book(cars[8 + round * BURST + i], slots[round].clone())))
            .collect();
        let began = Instant::now();
        let mut created = 0;
        let mut refused = 0;
        for h in burst {
            let (status, took, _) = h.await.unwrap();
            match status {
                201 => created += 1,
                409 => refused += 1,
                other => panic!("a booking answered {other}"),
            }
            all.push(took);
        }
        assert_eq!(
            created,
            usize::from(PLACES),
            "exactly the places were booked"
        );
        println!(
            "burst {}: {created} booked, {refused} refused (409), {:.0} ms wall",
            round + 1,
            began.elapsed().as_secs_f64() * 1000.0
        );
    }
    all.sort();
    println!(
        "contended latency over {} requests: p50 {:.1} ms  p90 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
        all.len(),
        percentile(&all, 0.50),
        percentile(&all, 0.90),
        percentile(&all, 0.99),
        percentile(&all, 1.0)
    );
    t.assert_capacity_invariant().await;
    // No contention: one after the other, each into a slot with room.
    // As many as before the counted phase was added (the first 8 cars went to warming).
    let spare = &cars[8 + rounds * BURST..rounds * BURST + BURST];
    let began = Instant::now();
    let mut lat = Vec::new();
    for i in 0..BURST.min(spare.len()) {
        let (status, took, _) = book(spare[i], slots[rounds + 8 + i / 3].clone()).await;
        assert_eq!(status, 201, "room for every one");
        lat.push(took);
    }
    let secs = began.elapsed().as_secs_f64();
    lat.sort();
    println!(
        "uncontended: {} sequential bookings, {:.0} bookings/s, p50 {:.1} ms p99 {:.1} ms",
        lat.len(),
        lat.len() as f64 / secs,
        percentile(&lat, 0.50),
        percentile(&lat, 0.99)
    );
    t.assert_capacity_invariant().await;
    // Work done: one more burst, and sequential bookings into free slots, counted.
    let extra = &cars[rounds * BURST + BURST..cars.len() - BURST];
    let (burst_statements, ()) = query_count::count(async {
        let burst: Vec<_> = (0..BURST)
            .map(|i| tokio::spawn(book(extra[i], slots[rounds + 8 + BURST / 3 + 1].clone())))
            .collect();
        for h in burst {
            h.await.unwrap();
        }
    })
    .await;
    // The slots the sequential phase left free (it filled 3 places in each of 64).
    let free = &slots[rounds + 8 + (BURST - 8) / 3..rounds + 8 + BURST / 3 + 1];
    let (seq_statements, booked) = query_count::count(async {
        let mut booked = 0usize;
        for (i, car) in extra[BURST..].iter().enumerate() {
            let (status, _, body) = book(*car, free[i % free.len()].clone()).await;
            assert_eq!(status, 201, "room for every one: {body}");
            booked += 1;
        }
        booked
    })
    .await;
    println!(
        "SQL statements: {:.1} per request of a contended burst, {:.1} per uncontended booking ({booked} booked)",
        burst_statements as f64 / BURST as f64,
        seq_statements as f64 / extra[BURST..].len().max(1) as f64
    );
    t.assert_capacity_invariant().await;
}
