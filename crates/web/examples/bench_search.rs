//! Benchmark of finding a customer or a car at network scale (issue 17, finding 15).
//!
//! Runs the console's searches (`app::vehicle::list`, `app::customer::list`, first
//! page of 20 with its count) against a database that already holds the full demo
//! (`aftersales demo --scale full --no-serve`), as a head-office user (the whole
//! network) and as an advisor of station 1, and prints p50 / p99 per query kind.
//! Queries are drawn from rows of the database itself (a fixed seed), so each kind
//! asks what a caller would: a plate's start ("京A"), the plate without its prefix
//! ("F00001"), its last digits, a whole VIN, a VIN's tail, a whole name, a
//! family name, a three-character fragment of a name, the visible phone tail.
//!
//! `cargo run --release -p web --example bench_search -- <database-url> [rounds]`
//! (the URL defaults to `TEST_DATABASE_URL`).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::customer::CustomerFilter;
use app::vehicle::VehicleFilter;
use domain::ids::{RegionId, StationId};
use domain::permission::{Action, ActorKind, Grant, Principal, Unit};
use domain::role::Role;
use sqlx::Row;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn ms(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn grant(role: Role, unit: Unit, action: Action) -> Grant {
    Principal {
        kind: ActorKind::Person,
        id: 1,
        name: "bench".into(),
        role,
        unit,
    }
    .grant(action)
    .unwrap()
}

/// What one query kind asks, drawn from a sample row.
type Draw = fn(&Sample) -> Option<String>;

struct Sample {
    plate: Option<String>,
    vin: String,
    name: String,
    phone: String,
}

fn chars(s: &str, from: usize, n: usize) -> String {
    s.chars().skip(from).take(n).collect()
}

const VEHICLE_KINDS: [(&str, Draw); 5] = [
    ("plate start (2)", |s| {
        s.plate.as_ref().map(|p| chars(p, 0, 2))
    }),
    ("plate w/o prefix", |s| {
        s.plate.as_ref().map(|p| chars(p, 2, 10))
    }),
    ("plate last 4", |s| {
        s.plate.as_ref().map(|p| {
            let n = p.chars().count();
            chars(p, n.saturating_sub(4), 4)
        })
    }),
    ("VIN whole", |s| Some(s.vin.clone())),
    ("VIN last 8", |s| Some(chars(&s.vin, 9, 8))),
];

const CUSTOMER_KINDS: [(&str, Draw); 4] = [
    ("name whole", |s| Some(s.name.clone())),
    ("family name (1)", |s| Some(chars(&s.name, 0, 1))),
    ("name fragment (3)", |s| {
        (s.name.chars().count() >= 3).then(|| chars(&s.name, 0, 3))
    }),
    ("phone tail 4", |s| {
        Some(s.phone[s.phone.len() - 4..].to_string())
    }),
];

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .or_else(|| std::env::var("TEST_DATABASE_URL").ok())
        .expect("a database URL holding the full demo");
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let db = store::Db::connect(&url, 4).await.unwrap();
    store::migrate::run(&db).await.unwrap();
    let app = app::App::new(
        db.clone(),
        Arc::new(app::clock::SystemClock),
        app::AppSettings::default(),
    );
    let mut c = db.pool.acquire().await.unwrap();
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM vehicles")
        .fetch_one(&mut *c)
        .await
        .unwrap()
        .get(0);
    let customers: i64 = sqlx::query("SELECT COUNT(*) FROM customers")
        .fetch_one(&mut *c)
        .await
        .unwrap()
        .get(0);
    println!(
        "database: {:?} ({n} vehicles, {customers} customers), {rounds} queries per kind",
        db.backend
    );
    // A fixed linear congruential sequence: the same sample rows on every run.
    let mut x: u64 = 17;
    let mut samples = Vec::new();
    for _ in 0..rounds {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let id = (x >> 33) as i64 % n + 1;
        let r = sqlx::query(
            "SELECT v.plate, v.vin, c.name, c.phone FROM vehicles v JOIN customers c ON c.id = v.owner_id WHERE v.id = $1",
        )
        .bind(id)
        .fetch_one(&mut *c)
        .await
        .unwrap();
        samples.push(Sample {
            plate: r.get(0),
            vin: r.get(1),
            name: r.get(2),
            phone: r.get(3),
        });
    }
    let region: i64 = sqlx::query("SELECT region_id FROM stations WHERE id = 1")
        .fetch_one(&mut *c)
        .await
        .unwrap()
        .get(0);
    drop(c);
    let scopes = [
        ("network", Unit::HeadOffice, Role::Administrator),
        (
            "station 1",
            Unit::Station(StationId(1), RegionId(region)),
            Role::ServiceAdvisor,
        ),
    ];
    let page = app::Page::new(1, 20);
    println!(
        "{:<10} {:<20} {:>8} {:>8} {:>8} {:>9}",
        "scope", "query", "p50 ms", "p99 ms", "max ms", "avg hits"
    );
    for (scope, unit, role) in scopes {
        let vg = grant(role, unit, Action::VehicleRead);
        let cg = grant(role, unit, Action::CustomerRead);
        for (kind, draw) in VEHICLE_KINDS {
            let mut times = Vec::new();
            let mut hits = 0i64;
            for s in &samples {
                let Some(q) = draw(s) else { continue };
                let f = VehicleFilter {
                    q: Some(q),
                    ..Default::default()
                };
                let t = Instant::now();
                let p = app::vehicle::list(&app, &vg, &f, page).await.unwrap();
                times.push(t.elapsed());
                hits += p.total;
            }
            report(scope, kind, &mut times, hits);
        }
        for (kind, draw) in CUSTOMER_KINDS {
            let mut times = Vec::new();
            let mut hits = 0i64;
            for s in &samples {
                let Some(q) = draw(s) else { continue };
                let f = CustomerFilter {
                    q: Some(q),
                    ..Default::default()
                };
                let t = Instant::now();
                let p = app::customer::list(&app, &cg, &f, page).await.unwrap();
                times.push(t.elapsed());
                hits += p.total;
            }
            report(scope, kind, &mut times, hits);
        }
    }
}

fn report(scope: &str, kind: &str, times: &mut [Duration], hits: i64) {
    if times.is_empty() {
        return;
    }
    times.sort();
    println!(
        "{:<10} {:<20} {:>8.2} {:>8.2} {:>8.2} {:>9.1}",
        scope,
        kind,
        ms(times, 0.5),
        ms(times, 0.99),
        ms(times, 1.0),
        hits as f64 / times.len() as f64
    );
}
