//! The small demo's working day (issue 17, finding 14): after the build and the
//! service catalogue, the first station has appointments across today, open orders in
//! every stage with some overrun, and the past days' deliveries with bills paid and
//! unpaid and ratings; the same seed picks the same cars. On SQLite, and on
//! PostgreSQL when `TEST_DATABASE_URL` is set.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use app::demo::{DemoOptions, Scale};
use common::{Env, at};
use sqlx::{AssertSqlSafe, Row};
use std::collections::BTreeSet;

async fn ints(env: &Env, sql: &str) -> Vec<i64> {
    sqlx::query(AssertSqlSafe(sql.to_string()))
        .fetch_all(&env.app.db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<i64, _>(0).unwrap())
        .collect()
}

async fn texts(env: &Env, sql: &str) -> Vec<String> {
    sqlx::query(AssertSqlSafe(sql.to_string()))
        .fetch_all(&env.app.db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String, _>(0).unwrap())
        .collect()
}

/// Builds the small demo with `seed` and its working day at 2026-11-24 15:00
/// (a Tuesday); returns the cars of the day's orders, in order.
async fn working_day(env: &Env, seed: u64) -> Vec<i64> {
    let opts = DemoOptions {
        scale: Scale::Small,
        seed,
        geo_csv: None,
    };
    app::demo::build(&env.app.db, &opts, &|_, _, _| {})
        .await
        .unwrap();
    app::demo::prepare_service(&env.app).await.unwrap();
    let now = at(2026, 11, 24, 15, 0);
    let day = app::demo::day::working_day(&env.app.db, app::AppSettings::default(), seed, now)
        .await
        .unwrap();
    assert_eq!(
        day,
        app::demo::day::DaySummary {
            appointments_today: 8,
            open_orders: 8,
            delivered: 6,
            paid: 4,
            rated: 5,
            hot_alerts: 1,
        }
    );
    // The callback surveys of the past days: answered, one hot alert open.
    let answered = ints(
        env,
        "SELECT id FROM survey_invitations WHERE state = 'answered'",
    )
    .await;
    assert!(answered.len() >= 4, "answered surveys: {answered:?}");
    let alerts = ints(env, "SELECT id FROM survey_alerts WHERE state = 'open'").await;
    assert_eq!(alerts.len(), 1);
    let from = at(2026, 11, 24, 0, 0).as_millisecond();
    let to = at(2026, 11, 25, 0, 0).as_millisecond();
    let today = ints(
        env,
        &format!(
            "SELECT start_at FROM appointments WHERE station_id = 1 AND start_at >= {from} AND start_at < {to} ORDER BY start_at"
        ),
    )
    .await;
    assert_eq!(today.len(), 8, "appointments today");
    assert!(
        today.last().unwrap() - today.first().unwrap() >= 6 * 3_600_000,
        "spread across the day"
    );
    // The ones due by 15:00 came in: their orders were opened from the booking.
    let converted = ints(
        env,
        "SELECT COUNT(*) FROM appointments WHERE station_id = 1 AND state = 'converted'",
    )
    .await;
    assert!(converted[0] >= 1, "some appointments checked in");
    let stages: BTreeSet<String> = texts(
        env,
        "SELECT current_stage FROM repair_orders WHERE station_id = 1 AND state <> 'delivered' AND current_stage IS NOT NULL",
    )
    .await
    .into_iter()
    .collect();
    for stage in [
        "reception",
        "diagnosis",
        "repair",
        "quality_inspection",
        "delivery",
    ] {
        assert!(stages.contains(stage), "an order in {stage}: {stages:?}");
    }
    let bills = texts(env, "SELECT state FROM bills ORDER BY repair_order_id").await;
    assert_eq!(
        bills.iter().filter(|s| *s == "paid").count(),
        4,
        "{bills:?}"
    );
    assert_eq!(
        bills.iter().filter(|s| *s != "paid").count(),
        2,
        "{bills:?}"
    );
    assert_eq!(ints(env, "SELECT COUNT(*) FROM ratings").await[0], 5);
    // The board (read as the advisor would, at 15:00) flags overruns.
    env.clock.set(now);
    let admin = domain::permission::Principal {
        kind: domain::permission::ActorKind::Person,
        id: 1,
        name: "admin".into(),
        role: domain::role::Role::Administrator,
        unit: domain::permission::Unit::HeadOffice,
    };
    let g = admin
        .grant(domain::permission::Action::RepairOrderRead)
        .unwrap();
    let board = app::repair_order::view::board(&env.app, &g, 1)
        .await
        .unwrap();
    let overruns = board.iter().filter(|b| b.overrun).count();
    assert!((2..=5).contains(&overruns), "a few overruns: {overruns}");
    ints(env, "SELECT vehicle_id FROM repair_orders ORDER BY id").await
}

async fn scenario(make: impl AsyncFn() -> Option<Env>) {
    let Some(a) = make().await else {
        eprintln!("TEST_DATABASE_URL not set; skipped");
        return;
    };
    let cars = working_day(&a, 7).await;
    a.finish().await;
    let b = make().await.unwrap();
    assert_eq!(
        working_day(&b, 7).await,
        cars,
        "the same seed, the same cars"
    );
    b.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_small_demo_shows_a_working_day_sqlite() {
    scenario(async || Some(Env::sqlite("demo_day", app::AppSettings::default()).await)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_small_demo_shows_a_working_day_postgres() {
    scenario(async || Env::postgres("demo_day", app::AppSettings::default()).await).await;
}
