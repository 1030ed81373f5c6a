//! Benchmark of the privacy policy's cost on the customer and vehicle lists (issue 21,
//! target: the policy check and masking add < 5%).
//!
//! Seeds customers at station A, then alternates, round after round, the list as it
//! was read before the policy (the store's masked page, no per-field policy) and the
//! list as the use case serves it now (search terms parsed, every row through
//! `domain::privacy::shown`), each on a pooled connection like the endpoint. Prints
//! the median per call of each, side by side, and the pure policy cost per row. The
//! vehicle list is measured the same way (the store's page against the use case, whose
//! rows go through the policy for the VIN and plate).
//!
//! `cargo run -p web --example bench_privacy [customers] [rounds]`
//! (add `--release` for absolute figures; TEST_DATABASE_URL for PostgreSQL).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::Page;
use domain::permission::{Action, Principal, Unit};
use domain::privacy::{Field, Purpose, Relation, shown};
use domain::role::Role;
use std::time::{Duration, Instant};
use testkit::TestApp;

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e6
}

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(2_000);
    let rounds = args.get(1).copied().unwrap_or(400);
    let t = TestApp::spawn().await;
    {
        let mut c = t.app.db.pool.acquire().await.unwrap();
        for i in 0..n {
            let f = store::customer::CustomerFields {
                name: format!("测试客户{i}"),
                phone: format!("+86137{:08}", i),
                id_number: Some("110101199003077777".into()),
                station_id: t.fx.station_a,
                channel: "sms".into(),
                quiet_hours: None,
                consent_service: true,
                consent_marketing: false,
            };
            let owner = store::customer::insert(&mut c, &f, 0).await.unwrap();
            let v = store::vehicle::VehicleFields {
                vin: format!("LBVBENCH{i:09}"),
                brand: "BMW".into(),
                model: "X3".into(),
                model_year: 2024,
                plate: Some(format!("京B{:05}", i % 100_000)),
                purchase_date: "2024-01-01".into(),
                warranty_start: "2024-01-01".into(),
                warranty_end: "2027-01-01".into(),
                warranty_km: 100_000,
                is_ev: false,
                owner_id: owner,
                station_id: t.fx.station_a,
            };
            store::vehicle::insert(&mut c, &v, 0).await.unwrap();
        }
    }
    let advisor = Principal {
        kind: domain::permission::ActorKind::Person,
        id: 1,
        name: "bench".into(),
        role: Role::ServiceAdvisor,
        unit: Unit::Station(
            domain::ids::StationId(t.fx.station_a),
            domain::ids::RegionId(t.fx.region_a),
        ),
    };
    let g = advisor.grant(Action::CustomerRead).unwrap();
    println!(
        "customers: {n} at one station; {rounds} rounds; backend: {}",
        if std::env::var("TEST_DATABASE_URL").is_ok() {
            "postgres"
        } else {
            "sqlite"
        }
    );
    println!(
        "{:<28} {:>12} {:>12} {:>8}",
        "list", "before µs", "after µs", "delta"
    );
    for (label, q, per_page) in [
        ("page of 20, no search", None, 20),
        ("page of 200, no search", None, 200),
        ("name search, page of 20", Some("客户"), 20),
        ("visible tail, page of 20", Some("0001"), 20),
    ] {
        let (mut before, mut after) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            let s = Instant::now();
            {
                let mut c = t.app.db.pool.acquire().await.unwrap();
                let terms = q
                    .map(|q| domain::privacy::lookup::search_terms(q).unwrap())
                    .unwrap_or_default();
                let search = store::customer::CustomerSearch {
                    name: terms.name,
                    tail: terms.tail,
                    station_id: None,
                };
                let p = store::customer::list(&mut c, g.reach(), &search, Page::new(1, per_page))
                    .await
                    .unwrap();
                std::hint::black_box(serde_json::to_vec(&p).unwrap());
            }
            before.push(s.elapsed());
            let s = Instant::now();
            let f = app::customer::CustomerFilter {
                q: q.map(str::to_string),
                station_id: None,
            };
            let p = app::customer::list(&t.app, &g, &f, Page::new(1, per_page))
                .await
                .unwrap();
            std::hint::black_box(serde_json::to_vec(&p).unwrap());
            after.push(s.elapsed());
        }
        let (b, a) = (median(before), median(after));
        println!(
            "{label:<28} {b:>12.1} {a:>12.1} {:>7.1}%",
            (a - b) / b * 100.0
        );
    }
    let vg = advisor.grant(Action::VehicleRead).unwrap();
    for (label, per_page) in [("vehicles, page of 20", 20), ("vehicles, page of 200", 200)] {
        let (mut before, mut after) = (Vec::new(), Vec::new());
        let f = store::vehicle::VehicleFilter::default();
        for _ in 0..rounds {
            let s = Instant::now();
            {
                let mut c = t.app.db.pool.acquire().await.unwrap();
                let p = store::vehicle::list(&mut c, vg.reach(), &f, Page::new(1, per_page))
                    .await
                    .unwrap();
                std::hint::black_box(serde_json::to_vec(&p).unwrap());
            }
            before.push(s.elapsed());
            let s = Instant::now();
            let p = app::vehicle::list(&t.app, &vg, &f, Page::new(1, per_page))
                .await
                .unwrap();
            std::hint::black_box(serde_json::to_vec(&p).unwrap());
            after.push(s.elapsed());
        }
        let (b, a) = (median(before), median(after));
        println!(
            "{label:<28} {b:>12.1} {a:>12.1} {:>7.1}%",
            (a - b) / b * 100.0
        );
    }
    // The policy alone: three fields of one row, a million times.
    let rows = 1_000_000;
    let s = Instant::now();
    for i in 0..rows {
        let role = if i % 2 == 0 {
            Role::ServiceAdvisor
        } else {
            Role::RegionalManager
        };
        std::hint::black_box(shown(
            role,
            Field::CustomerName,
            Relation::InReach,
            Purpose::View,
            "张三丰",
        ));
        std::hint::black_box(shown(
            role,
            Field::CustomerPhone,
            Relation::InReach,
            Purpose::View,
            "138****5678",
        ));
        std::hint::black_box(shown(
            role,
            Field::CustomerIdNumber,
            Relation::InReach,
            Purpose::View,
            "110101********7777",
        ));
    }
    println!(
        "policy alone: {:.0} ns per row (3 fields)",
        s.elapsed().as_secs_f64() * 1e9 / rows as f64
    );
}
