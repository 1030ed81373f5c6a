//! Benchmark of the KPI engine (issue 11, targets): builds N stations with 13 months
//! of monthly counters (what the workflows keep, one row per station × KPI × month)
//! and M delivered orders per station in the latest month (raw rows), then times
//! (1) the network month dashboard read (`app::kpi::dashboard`, head office: tiles
//! against the month before, 12-month trend, every station's figures) and (2) the
//! rebuild of that month from the raw rows (`app::kpi::rebuild`).
//!
//! `cargo run --release -p web --example bench_kpi -- <database-url> [stations] [orders-per-station] [rounds]`
//! on a fresh database (SQLite `sqlite:///tmp/kpi.db?mode=rwc` or PostgreSQL).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use domain::kpi::{Period, YearMonth};
use domain::permission::{Action, ActorKind, Grant, Principal, Unit};
use domain::role::Role;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn grant(action: Action) -> Grant {
    Principal {
        kind: ActorKind::Person,
        id: 1,
        name: "bench".into(),
        role: Role::Administrator,
        unit: Unit::HeadOffice,
    }
    .grant(action)
    .unwrap()
}

fn ms(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = args
        .get(1)
        .cloned()
        .or_else(|| std::env::var("TEST_DATABASE_URL").ok())
        .expect("a database URL");
    let stations: i64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let per_station: i64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(20);
    let rounds: usize = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(20);
    let db = store::Db::connect(&url, 4).await.unwrap();
    store::migrate::run(&db).await.unwrap();
    let month = YearMonth {
        year: 2026,
        month: 10,
    };
    let clock = Arc::new(app::clock::ManualClock::new(
        jiff::Timestamp::from_second(1_795_482_000).unwrap(),
    ));
    let app = app::App::new(db.clone(), clock, app::AppSettings::default());

    let t0 = Instant::now();
    let mut tx = db.begin().await.unwrap();
    let region = store::network::insert_region(&mut tx, "BENCH", "基准", "Bench")
        .await
        .unwrap();
    let (customer_id, vehicle_id) = (1i64, 1i64);
    let mut ids = Vec::new();
    for i in 0..stations {
        let id = store::network::insert_station(
            &mut tx,
            &store::network::StationFields {
                code: format!("BK-{i:04}"),
                name_zh: format!("基准站{i}"),
                name_en: format!("Bench {i}"),
                region_id: region,
                address: "地址".into(),
                adcode: "310115".into(),
                city: "上海".into(),
                lon_e6: 100_000_000 + (i * 7_919 % 25_000) * 1_000,
                lat_e6: 20_000_000 + (i * 104_729 % 25_000) * 1_000,
                opening_hours: "08:30-17:30".into(),
                bays: 4,
                capabilities: vec![],
                labour_rate_fen: 20_000,
            },
            0,
        )
        .await
        .unwrap();
        ids.push(id);
        let mut m = month;
        for back in 0..13 {
            for (k, n, d, t) in [
                ("ffv", 80 + back, 100, 0),
                ("on_time", 70 + (i % 20), 100, 0),
                ("mdt", 0, 100, 24_000 + i),
                ("complaint_response_1h", 3, 4, 0),
                ("complaint_response_2h", 4, 4, 0),
                ("complaint_closure_3d", 2, 4, 0),
            ] {
                store::kpi::add(&mut tx, &m.to_string(), k, id, (n, d, t))
                    .await
                    .unwrap();
            }
            m = m.previous();
        }
    }
    tx.commit().await.unwrap();
    eprintln!(
        "{stations} stations, {} counters in {:.1} s",
        stations * 13 * 6,
        t0.elapsed().as_secs_f64()
    );
    let g = grant(Action::KpiRead);
    let mut took = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        let d = app::kpi::dashboard(&app, &g, app::kpi::Scope::Network, Period::Month(month))
            .await
            .unwrap();
        took.push(t.elapsed());
        assert_eq!(d.stations.len() as i64, stations);
    }
    took.sort();
    println!(
        "network month dashboard ({stations} stations): p50 {:.1} ms, p99 {:.1} ms",
        ms(&took, 0.5),
        ms(&took, 0.99)
    );

    if per_station > 0 {
        // Raw rows: a customer and vehicle row are needed by the foreign keys on
        // PostgreSQL; insert orders with ids 1 of each only when they exist.
        let mut c = db.pool.acquire().await.unwrap();
        let has: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM vehicles")
            .fetch_one(&mut *c)
            .await
            .unwrap();
        drop(c);
        if has == 0 {
            eprintln!("no vehicle rows: skipping the raw-rows rebuild (run on a demo database)");
            return;
        }
        let t = Instant::now();
        let (from, _) = month.bounds(&domain::calendar::shanghai()).unwrap();
        let base = from.as_millisecond() + 3_600_000;
        let mut tx = db.begin().await.unwrap();
        for (n, s) in ids.iter().enumerate() {
            for j in 0..per_station {
                let r = base + (j * 86_400_000 / per_station.max(1)) * 20 + n as i64 * 1000;
                sqlx::query(
                    "INSERT INTO repair_orders (station_id, customer_id, vehicle_id, concern, state, \
                     standard_version, hourly_rate_fen, vat_bp, promised_at, received_at, delivered_at, \
                     created_at, updated_at) VALUES ($1, $2, $3, 'bench', 'delivered', 1, 20000, 1300, $4, $5, $6, $5, $6)",
                )
                .bind(*s)
                .bind(customer_id)
                .bind(vehicle_id)
                .bind(r + 4 * 3_600_000)
                .bind(r)
                .bind(r + 3 * 3_600_000)
                .execute(&mut *tx)
                .await
                .unwrap();
            }
        }
        tx.commit().await.unwrap();
        eprintln!(
            "{} raw orders in {:.1} s",
            stations * per_station,
            t.elapsed().as_secs_f64()
        );
        let t = Instant::now();
        let n = app::kpi::rebuild(&app, &grant(Action::JobAdmin), month)
            .await
            .unwrap();
        println!(
            "rebuild of {month} from {} raw orders: {:.0} ms ({n} counters)",
            stations * per_station,
            t.elapsed().as_secs_f64() * 1000.0
        );
    }
}
