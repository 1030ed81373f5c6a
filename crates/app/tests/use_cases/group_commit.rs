//! Writes that stand alone (`store::db::Db::write_grouped`), on SQLite committed
//! together on the one writer and on PostgreSQL combined into one statement when they
//! say how (else one by one): each caller gets its own outcome, and a write that fails
//! fails alone while the others of its group land.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::AppSettings;
use store::group_commit::{Arg, Combined, Write};

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
                combined: None,
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
            combined: None,
        })
        .await;
    assert!(e.is_err(), "{e:?}");
    let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM group_probe")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(rows, 50);
}

on_both_backends!(combined_writes_answer_each_caller);

/// A version-guarded bump of a row, combined on PostgreSQL.
static BUMP: Combined = Combined {
    template: "WITH x (id, version, n) AS (VALUES {rows}) \
        UPDATE group_versions g SET version = g.version + 1, n = x.n FROM x \
        WHERE g.id = x.id AND g.version = x.version RETURNING g.id",
    key: 0,
};

/// [`BUMP`] for one write.
const BUMP_ALONE: &str =
    "UPDATE group_versions SET version = version + 1, n = $3 WHERE id = $1 AND version = $2";

/// Two bumps of each of forty rows at the version both read, at once, and one bump
/// that the table refuses: of each pair exactly one lands and the other is told
/// nothing changed (on PostgreSQL never in the same statement), the refused one fails
/// alone, and on PostgreSQL writes were combined into statements of more than one.
async fn combined_writes_answer_each_caller(env: &Env) {
    let db = &env.app.db;
    sqlx::raw_sql(
        "CREATE TABLE group_versions (id BIGINT PRIMARY KEY, version BIGINT NOT NULL, n BIGINT NOT NULL)",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    for id in 0..=40i64 {
        sqlx::query("INSERT INTO group_versions (id, version, n) VALUES ($1, 0, 0)")
            .bind(id)
            .execute(&db.pool)
            .await
            .unwrap();
    }
    let bump = |db: store::Db, id: i64, n: Option<i64>| async move {
        let write = Write {
            sql: BUMP_ALONE,
            args: vec![Arg::Int(Some(id)), Arg::Int(Some(0)), Arg::Int(n)],
            combined: Some(&BUMP),
        };
        (id, db.write_grouped(write).await)
    };
    // On PostgreSQL the table is held locked while the writes queue up, so that the
    // first group waits and the rest are taken together once it is released.
    let postgres = db.backend == store::Backend::Postgres;
    let lock = hold_writes_on_postgres(db, "group_versions").await;
    let mut writes = tokio::task::JoinSet::new();
    for id in 0..40i64 {
        writes.spawn(bump(db.clone(), id, Some(id)));
        writes.spawn(bump(db.clone(), id, Some(100 + id)));
    }
    // The refused write joins the queue behind the others (on PostgreSQL not as the
    // first write, which waits alone for the lock).
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    writes.spawn(bump(db.clone(), 40, None));
    if let Some(tx) = lock {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        tx.commit().await.unwrap();
    }
    let mut landed = std::collections::BTreeMap::<i64, (u32, u32)>::new();
    let mut refused = Vec::new();
    while let Some(joined) = writes.join_next().await {
        let (id, outcome) = joined.unwrap();
        match outcome {
            Ok(count) => {
                let e = landed.entry(id).or_default();
                match count {
                    1 => e.0 += 1,
                    0 => e.1 += 1,
                    other => panic!("row {id}: count {other}"),
                }
            }
            Err(e) => {
                assert!(!matches!(e, store::StoreError::Busy(_)), "{e:?}");
                refused.push(id);
            }
        }
    }
    assert_eq!(refused, vec![40]);
    assert_eq!(landed.len(), 40);
    assert!(landed.values().all(|&pair| pair == (1, 1)), "{landed:?}");
    let (bumped, untouched): (i64, i64) = sqlx::query_as(
        "SELECT SUM(CASE WHEN version = 1 THEN 1 ELSE 0 END), \
         SUM(CASE WHEN version = 0 AND n = 0 THEN 1 ELSE 0 END) FROM group_versions",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!((bumped, untouched), (40, 1));
    let tally = db.group_commit_tally();
    if postgres {
        // The group with the refused write failed and was run alone; the rest were
        // combined into statements of more than one write.
        assert_eq!(tally.failed, 1, "{tally:?}");
        assert!(
            tally.together >= 1 && tally.writes_together > tally.together,
            "{tally:?}"
        );
    } else {
        assert!(tally.failed <= 1, "{tally:?}");
    }
}

/// On PostgreSQL, a transaction holding `table` locked against writes (reads go on)
/// until it is committed: writes sent meanwhile queue behind the first, which waits,
/// and are then taken together. `None` on SQLite.
pub(crate) async fn hold_writes_on_postgres(db: &store::Db, table: &str) -> Option<store::Tx> {
    if db.backend != store::Backend::Postgres {
        return None;
    }
    let mut tx = db.pool.begin().await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "LOCK TABLE {table} IN EXCLUSIVE MODE"
    )))
    .execute(&mut *tx)
    .await
    .unwrap();
    Some(tx)
}
