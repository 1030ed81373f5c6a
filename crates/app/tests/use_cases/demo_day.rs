//! The small demo's working day (issue 17, finding 14): after the build and the
//! service catalogue, the first station has appointments across today, open orders in
//! every stage with some overrun, and the past days' deliveries with bills paid and
//! unpaid and ratings; the same seed picks the same cars. On SQLite, and on
//! PostgreSQL when `TEST_DATABASE_URL` is set.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use crate::common;

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
    let day = app::demo::refresh::working_day(&env.app.db, app::AppSettings::default(), seed, now)
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
    // Some of the people escalations go to have WeChat ids, so the demo's
    // escalations go by WeChat too, not only by SMS (issue 10).
    assert_eq!(
        texts(
            env,
            "SELECT wechat_id FROM staff WHERE username = 'manager'"
        )
        .await,
        ["wx_manager"]
    );
    let managers = ints(
        env,
        "SELECT COUNT(wechat_id) FROM staff WHERE role = 'station_manager'",
    )
    .await[0];
    let all = ints(
        env,
        "SELECT COUNT(*) FROM staff WHERE role = 'station_manager'",
    )
    .await[0];
    assert!(managers > 0 && managers < all, "{managers} of {all}");
    // An escalation of the first station goes to its manager by SMS and WeChat, and
    // to head office's administrators by WeChat too.
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let station = ints(
        env,
        "SELECT station_id FROM staff WHERE username = 'manager'",
    )
    .await[0];
    for level in ["station_manager", "head_office"] {
        let people = store::complaint::notice::recipients(&mut c, level, station, 0)
            .await
            .unwrap();
        let wechat = people
            .iter()
            .flat_map(|p| domain::complaint::escalation::kinds(&p.phone, p.wechat_id.as_deref()))
            .filter(|k| k.0 == domain::complaint::escalation::Kind::WeChat)
            .count();
        assert!(
            wechat > 0,
            "{level}: no WeChat among {} people",
            people.len()
        );
    }
    drop(c);
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

/// Issue 17 leftover 4: a demo started on a later day refreshes its working day
/// through the use cases (the old day's orders handed over, its absent bookings
/// no-shows, a new day made around now) and a second start that day does nothing.
async fn refreshed(env: &Env) {
    let seed = 7;
    let opts = DemoOptions {
        scale: Scale::Small,
        seed,
        geo_csv: None,
    };
    app::demo::build(&env.app.db, &opts, &|_, _, _| {})
        .await
        .unwrap();
    app::demo::prepare_service(&env.app).await.unwrap();
    let first = at(2026, 11, 24, 15, 0);
    app::demo::refresh::working_day(&env.app.db, app::AppSettings::default(), seed, first)
        .await
        .unwrap();
    let refresh =
        |now| app::demo::refresh::refresh(&env.app.db, app::AppSettings::default(), seed, now);
    // The same day: nothing to do.
    assert_eq!(refresh(at(2026, 11, 24, 18, 0)).await.unwrap(), None);
    let open_sql =
        "SELECT COUNT(*) FROM repair_orders WHERE station_id = 1 AND delivered_at IS NULL";
    assert_eq!(ints(env, open_sql).await[0], 8);
    let orders_before = ints(env, "SELECT COUNT(*) FROM repair_orders").await[0];

    // Two days later, 10:00.
    let later = at(2026, 11, 26, 10, 0);
    let done = refresh(later)
        .await
        .unwrap()
        .expect("a stale day is refreshed");
    assert_eq!(done.from, "2026-11-24");
    assert_eq!(done.finished, 8, "{done:?}");
    assert_eq!(done.appointments_today, 8);
    assert_eq!(done.open_orders, 8);
    let no_shows = ints(
        env,
        "SELECT COUNT(*) FROM appointments WHERE station_id = 1 AND state = 'no_show'",
    )
    .await[0];
    assert_eq!(no_shows as usize, done.no_shows);
    assert!(done.no_shows >= 1, "the afternoon's bookings never came");
    // Only today's orders are open, in every stage; the old ones were handed over
    // and paid through the use cases (events and bills as the service writes them).
    assert_eq!(ints(env, open_sql).await[0], 8);
    assert_eq!(
        ints(env, "SELECT COUNT(*) FROM repair_orders").await[0],
        orders_before + 8
    );
    // Each day's car ready for its owner goes home with a driver; the old day's
    // delivery, never made, is cancelled (the owner came), not left scheduled.
    let pickups = texts(
        env,
        "SELECT p.state FROM pickups p JOIN repair_orders o ON o.id = p.repair_order_id \
         WHERE p.kind = 'return' AND p.driver_id IS NOT NULL ORDER BY p.id",
    )
    .await;
    assert_eq!(pickups, ["cancelled", "scheduled"], "{pickups:?}");
    let stages: BTreeSet<String> = texts(
        env,
        "SELECT current_stage FROM repair_orders WHERE station_id = 1 AND delivered_at IS NULL AND current_stage IS NOT NULL",
    )
    .await
    .into_iter()
    .collect();
    assert_eq!(stages.len(), 5, "{stages:?}");
    let from = later.as_millisecond() - 10 * 3_600_000;
    let to = from + 24 * 3_600_000;
    let today = ints(
        env,
        &format!(
            "SELECT COUNT(*) FROM appointments WHERE station_id = 1 AND start_at >= {from} AND start_at < {to}"
        ),
    )
    .await[0];
    assert_eq!(today, 8, "today's appointments");
    let evening = at(2026, 11, 24, 17, 0).as_millisecond();
    let unpaid = ints(
        env,
        &format!(
            "SELECT COUNT(*) FROM bills b JOIN repair_orders o ON o.id = b.repair_order_id \
             WHERE b.state <> 'paid' AND o.delivered_at >= {evening}"
        ),
    )
    .await[0];
    assert_eq!(unpaid, 0, "the finished orders' bills are paid");
    let delivered_events = ints(
        env,
        "SELECT COUNT(*) FROM events WHERE entity = 'repair_order' AND kind = 'delivered'",
    )
    .await[0];
    assert!(delivered_events >= 14, "{delivered_events}");
    // A second start the same day changes nothing.
    assert_eq!(refresh(at(2026, 11, 26, 11, 0)).await.unwrap(), None);
    assert_eq!(
        ints(env, "SELECT COUNT(*) FROM repair_orders").await[0],
        orders_before + 8
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_start_refreshes_the_working_day_sqlite() {
    let env = Env::sqlite("demo_refresh", app::AppSettings::default()).await;
    refreshed(&env).await;
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_start_refreshes_the_working_day_postgres() {
    let Some(env) = Env::postgres("demo_refresh", app::AppSettings::default()).await else {
        eprintln!("TEST_DATABASE_URL not set; skipped");
        return;
    };
    refreshed(&env).await;
    env.finish().await;
}
