//! Times the KPI engine over an existing (e.g. simulated) database, for the DuckDB
//! comparison in `scripts/bench-kpi-duckdb.sh`: (1) `app::kpi::rebuild` of one month
//! from the raw repair-order and complaint rows, (2) the network month dashboard
//! (`app::kpi::dashboard`, head office) over the monthly counters. Prints the median
//! of each over the rounds as `name_ms=<value>` lines the script reads.
//!
//! `cargo run --release -p app --example kpi_month -- <database-url> <YYYY-MM> [rounds] [dashboard]`
//!
//! With `dashboard` last, only (2) runs: for a database that holds the counters and
//! the network but not the raw rows (a rebuild there would count nothing).

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

fn median(mut d: Vec<Duration>) -> f64 {
    d.sort();
    d.get(d.len() / 2).map_or(0.0, |x| x.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = args.get(1).expect("a database URL");
    let month = args.get(2).expect("a month YYYY-MM");
    let rounds: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(5).max(1);
    let (y, m) = month.split_once('-').expect("YYYY-MM");
    let ym = YearMonth {
        year: y.parse().expect("year"),
        month: m.parse().expect("month"),
    };
    let db = store::Db::connect(url, 4).await.unwrap();
    let app = app::App::new(
        db,
        Arc::new(app::clock::SystemClock),
        app::AppSettings::default(),
    );
    let dashboard_only = args.get(4).is_some_and(|a| a == "dashboard");
    let admin = grant(Action::JobAdmin);
    let mut rebuild = Vec::new();
    let mut counters = 0;
    for _ in 0..if dashboard_only { 0 } else { rounds } {
        let t = Instant::now();
        counters = app::kpi::rebuild(&app, &admin, ym).await.unwrap();
        rebuild.push(t.elapsed());
    }
    let read = grant(Action::KpiRead);
    let mut dash = Vec::new();
    let mut stations = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        let d = app::kpi::dashboard(&app, &read, app::kpi::Scope::Network, Period::Month(ym))
            .await
            .unwrap();
        dash.push(t.elapsed());
        stations = d.stations.len();
    }
    println!("counters={counters}");
    println!("stations={stations}");
    println!("rebuild_ms={:.1}", median(rebuild));
    println!("dashboard_ms={:.1}", median(dash));
}
