//! Writes that stand alone (`store::db::Db::write_grouped`), on SQLite committed
//! together on the one writer and on PostgreSQL one by one: each caller gets its own
//! outcome, and a write that fails fails alone while the others of its group land.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::AppSettings;
use store::group_commit::{Arg, Write};

use crate::common;
use common::Env;

const PREFIX: &str = "group";

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let env = super::Env::sqlite(super::PREFIX, super::AppSettings::default()).await;
                super::$name(&env).await;
                env.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let Some(env) =
                    super::Env::postgres(super::PREFIX, super::AppSettings::default()).await
                else {
                    eprintln!("TEST_DATABASE_URL not set; skipped");
                    return;
                };
                super::$name(&env).await;
                env.finish().await;
            }
        }
    )*};
}

on_both_backends!(a_failing_write_fails_alone);

/// Sixty inserts at once, ten of which repeat the id of another: exactly one of each
/// pair lands, the other is refused, and every other insert lands with its count.
async fn a_failing_write_fails_alone(env: &Env) {
    let db = &env.app.db;
    sqlx::raw_sql("CREATE TABLE group_probe (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)")
        .execute(&db.pool)
        .await
        .unwrap();
    let mut writes = tokio::task::JoinSet::new();
    for i in 0..60i64 {
        let db = db.clone();
        // Every sixth insert repeats the id of the one before it.
        let id = if i % 6 == 5 { i - 1 } else { i };
        writes.spawn(async move {
            db.write_grouped(Write {
                sql: "INSERT INTO group_probe (id, n) VALUES ($1, $2)",
                args: vec![Arg::Int(Some(id)), Arg::Int(Some(i))],
            })
            .await
        });
    }
    let (mut landed, mut refused) = (0, 0);
    while let Some(outcome) = writes.join_next().await {
        match outcome.unwrap() {
            Ok(count) => {
                assert_eq!(count, 1);
                landed += 1;
            }
            Err(e) => {
                assert!(!matches!(e, store::StoreError::Busy(_)), "{e:?}");
                refused += 1;
            }
        }
    }
    assert_eq!((landed, refused), (50, 10));
    let (rows, ids): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT id) FROM group_probe")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!((rows, ids), (50, 50));
    // A NULL where the column refuses one: refused, nothing written.
    let e = db
        .write_grouped(Write {
            sql: "INSERT INTO group_probe (id, n) VALUES ($1, $2)",
            args: vec![Arg::Int(Some(1000)), Arg::Int(None)],
        })
        .await;
    assert!(e.is_err(), "{e:?}");
    let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM group_probe")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(rows, 50);
}
