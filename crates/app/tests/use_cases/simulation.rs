//! The network simulator (issue 11 item 10) on SQLite and, when `TEST_DATABASE_URL`
//! is set, on PostgreSQL: a small network (5 stations, 2 months) simulated twice from
//! the same seed writes the same rows; every KPI with a data source read from the
//! monthly counters equals the plain-SQL computation over the raw rows (the SQL the
//! KPI engine's own test uses, `kpi_sql`), and so do the NPS counters the survey hook
//! kept; bad flags are refused naming the flag, with nothing written.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::AppError;
use app::clock::Clock;
use app::simulation::{Options, Summary, run};

use crate::common;
use crate::desk;
use crate::kpi_sql;
use common::{Env, at};
use desk::*;
use kpi_sql::{engine, plain_sql};

on_both_backends!(
    same_seed_same_rows_and_counters_equal_plain_sql,
    bad_flags_are_refused_naming_the_flag,
);

fn opts(stations: i64, months: i64) -> Options {
    Options {
        stations,
        months,
        volume_percent: 40,
        seed: 7,
        spare_station: None,
    }
}

async fn simulate(env: &Env, o: &Options) -> Result<Summary, AppError> {
    run(
        &env.app.db,
        env.app.settings.as_ref().clone(),
        o,
        env.clock.now(),
        &|_, _, _| {},
    )
    .await
}

/// Row counts and sums of the simulated tables: equal fingerprints, equal rows.
async fn fingerprint(env: &Env) -> Vec<(String, i64, i64)> {
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let mut out = Vec::new();
    for (table, col) in [
        (
            "repair_orders",
            "delivered_at + COALESCE(comeback_of, 0) + vehicle_id",
        ),
        ("appointments", "start_at + repair_order_id"),
        ("bills", "gross_fen + repair_order_id"),
        (
            "survey_invitations",
            "COALESCE(answered_at, 0) + repair_order_id",
        ),
        ("survey_answers", "COALESCE(score, 0) + invitation_id"),
        ("complaints", "received_at + closed_at"),
        ("complaint_events", "at"),
        ("audit_visits", "passed * 100 + failed"),
        ("corrective_actions", "visit_id"),
        // Worked by several stations at once: the same rows, ids in commit order.
        ("corrective_action_events", "at + action_id + actor_id"),
        ("kpi_monthly", "numerator + denominator + total"),
    ] {
        let sql = format!(
            "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM({col}), 0) AS BIGINT) FROM {table}"
        );
        let (n, s): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut *c)
            .await
            .unwrap();
        out.push((table.to_string(), n, s));
    }
    out
}

/// NPS counters as the survey hook kept them: station → (promoters, answers, detractors).
async fn nps_engine(env: &Env, month: &str) -> Vec<(i64, i64, i64, i64)> {
    let mut c = env.app.db.pool.acquire().await.unwrap();
    sqlx::query_as(
        "SELECT station_id, numerator, denominator, total FROM kpi_monthly \
         WHERE month = $1 AND kpi = 'nps' AND denominator > 0 ORDER BY station_id",
    )
    .bind(month)
    .fetch_all(&mut *c)
    .await
    .unwrap()
}

/// The same in plain SQL over the stored answers to the recommend question.
async fn nps_plain(env: &Env, from: i64, to: i64) -> Vec<(i64, i64, i64, i64)> {
    let mut c = env.app.db.pool.acquire().await.unwrap();
    sqlx::query_as(
        "SELECT i.station_id, \
           CAST(SUM(CASE WHEN a.score >= 9 THEN 1 ELSE 0 END) AS BIGINT), CAST(COUNT(*) AS BIGINT), \
           CAST(SUM(CASE WHEN a.score <= 6 THEN 1 ELSE 0 END) AS BIGINT) \
         FROM survey_answers a JOIN survey_invitations i ON i.id = a.invitation_id \
         WHERE a.question_key = $1 AND i.state = 'answered' \
           AND i.answered_at >= $2 AND i.answered_at < $3 \
         GROUP BY i.station_id ORDER BY i.station_id",
    )
    .bind(recommend_key())
    .bind(from)
    .bind(to)
    .fetch_all(&mut *c)
    .await
    .unwrap()
}

fn recommend_key() -> String {
    domain::survey::default::questionnaire()
        .unwrap()
        .recommend()
        .unwrap()
        .key
        .clone()
}

async fn same_seed_same_rows_and_counters_equal_plain_sql(env: &Env) {
    let first = simulate(env, &opts(5, 2)).await.unwrap();
    assert_eq!((first.stations, first.months), (5, 2));
    assert!(first.orders > 300, "{first:?}");
    assert!(
        first.comebacks > 0 && first.answered > 0 && first.complaints > 0,
        "{first:?}"
    );
    assert!(first.audits > 0, "{first:?}");
    let prints = fingerprint(env).await;
    // The same seed on a second fresh database writes the same rows.
    let other = if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        Env::postgres(PREFIX, settings()).await.unwrap()
    } else {
        Env::sqlite(PREFIX, settings()).await
    };
    other.clock.set(env.clock.now());
    let second = simulate(&other, &opts(5, 2)).await.unwrap();
    let again = fingerprint(&other).await;
    other.finish().await;
    assert_eq!(
        Summary {
            seconds: 0.0,
            sample_seconds: 0.0,
            audit_seconds: 0.0,
            ..first.clone()
        },
        Summary {
            seconds: 0.0,
            sample_seconds: 0.0,
            audit_seconds: 0.0,
            ..second
        }
    );
    assert_eq!(prints, again);
    // The env's clock stands in November 2026: September and October are simulated.
    for (month, from, to) in [
        ("2026-09", at(2026, 9, 1, 0, 0), at(2026, 10, 1, 0, 0)),
        ("2026-10", at(2026, 10, 1, 0, 0), at(2026, 11, 1, 0, 0)),
    ] {
        let (from, to) = (from.as_millisecond(), to.as_millisecond());
        let kept = engine(env, month).await;
        let plain = plain_sql(env, from, to).await;
        assert!(kept.len() >= 15, "{month}: {kept:?}");
        assert_eq!(kept, plain, "{month}");
        let nps = nps_engine(env, month).await;
        assert!(!nps.is_empty(), "{month}");
        assert_eq!(nps, nps_plain(env, from, to).await, "{month}");
    }
    // Nothing lands in the current month: the demo's working day is left alone.
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let late: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM repair_orders WHERE delivered_at >= $1",
    )
    .bind(at(2026, 11, 1, 0, 0).as_millisecond())
    .fetch_one(&mut *c)
    .await
    .unwrap();
    assert_eq!(late, 0);
}

async fn bad_flags_are_refused_naming_the_flag(env: &Env) {
    for (o, field, flag) in [
        (opts(0, 2), "stations", "--stations"),
        (opts(5, 0), "months", "--months"),
        (opts(5, 121), "months", "--months"),
    ] {
        match simulate(env, &o).await {
            Err(AppError::Invalid(v)) => {
                assert_eq!(v.0[0].field, field);
                assert!(
                    v.0[0].detail.as_deref().unwrap_or("").contains(flag),
                    "{v:?}"
                );
            }
            other => panic!("{o:?}: {other:?}"),
        }
    }
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let stations: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM stations")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    assert_eq!(stations, 0, "a refused run writes nothing");
    drop(c);
    // More stations than a database holds is refused too, naming the flag.
    simulate(env, &opts(2, 1)).await.unwrap();
    match simulate(env, &opts(13, 1)).await {
        Err(AppError::Refused(v)) => assert_eq!(v.0[0].field, "stations"),
        other => panic!("{other:?}"),
    }
}
