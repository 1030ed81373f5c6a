//! Jobs and timers on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set: one
//! row per idempotency key, retries with backoff until dead with the error kept,
//! retry and cancel by hand, timers re-armed and disarmed, failing handlers rolling
//! back their own effects, and rows of a crashed worker taken over after its lease.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::AppSettings;
use app::job::handler::{BoxFuture, Ctx, Handler, Outcome, Registry};
use app::job::worker::Worker;
use app::job::{Queue, probe};
use domain::permission::{Action, Grant, Principal, Unit};
use domain::role::Role;
use serde_json::json;
use sqlx::AnyConnection;
use store::job::Claimed;

use crate::common;
use common::Env;

const PREFIX: &str = "job";

fn settings() -> AppSettings {
    AppSettings::default()
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let env = super::Env::sqlite(super::PREFIX, super::settings()).await;
                super::$name(&env).await;
                env.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(env) = super::Env::postgres(super::PREFIX, super::settings()).await else {
                    eprintln!("TEST_DATABASE_URL not set; skipped");
                    return;
                };
                super::$name(&env).await;
                env.finish().await;
            }
        }
    )*};
}

on_both_backends!(
    one_row_per_key,
    retries_back_off_then_die_with_the_error_kept,
    cancel_and_retry_by_hand,
    timers_rearm_disarm_and_fire_once,
    a_failing_handler_rolls_back_only_its_own_effects,
    a_crashed_workers_rows_come_back_after_the_lease,
    two_workers_fire_each_timer_once,
    the_checkpoint_chain_empties_the_log_and_keeps_one_row,
);

/// Writes a probe row keyed by the job's key, then fails if the payload says so: the
/// probe row must then roll back.
struct Note;

impl Handler for Note {
    fn inside<'a>(
        &'a self,
        ctx: &'a Ctx,
        conn: &'a mut AnyConnection,
        job: &'a Claimed,
    ) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let key = job.key.clone().unwrap_or_default();
            store::job::insert_probe(conn, &key, &ctx.worker, ctx.app.now_ms())
                .await
                .map_err(|e| e.to_string())?;
            if job.payload.contains("\"fail\":true") {
                return Err(format!("boom on attempt {}", job.attempts));
            }
            Ok(())
        })
    }
}

/// Breaks its statement, which on PostgreSQL aborts the transaction it runs in.
struct BadSql;

impl Handler for BadSql {
    fn inside<'a>(
        &'a self,
        _ctx: &'a Ctx,
        conn: &'a mut AnyConnection,
        _job: &'a Claimed,
    ) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            sqlx::query("INSERT INTO no_such_table (x) VALUES (1)")
                .execute(conn)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}

fn worker(env: &Env, name: &str) -> Worker {
    let mut r = Registry::standard();
    r.register("test.note", Note)
        .register("test.bad_sql", BadSql);
    Worker::with_client(env.app.clone(), r, reqwest::Client::new(), name.into())
}

fn admin() -> Grant {
    Principal {
        kind: domain::permission::ActorKind::Person,
        id: 1,
        name: "admin".into(),
        role: Role::Administrator,
        unit: Unit::HeadOffice,
    }
    .grant(Action::JobAdmin)
    .unwrap()
}

async fn enqueue(env: &Env, kind: &str, key: &str, payload: serde_json::Value) -> bool {
    let now = env.app.now_ms();
    let mut tx = env.app.db.begin().await.unwrap();
    let new = app::job::enqueue(&mut tx, kind, Some(key), &payload, now, now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    new
}

async fn job(env: &Env, key: &str) -> store::job::JobRow {
    let grant = admin();
    app::job::list(&env.app, &grant, Queue::Jobs, None, None, 1000)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.key.as_deref() == Some(key))
        .unwrap()
}

async fn probes(env: &Env, key: &str) -> i64 {
    let mut c = env.app.db.pool.acquire().await.unwrap();
    store::job::probe_tally(&mut c, key).await.unwrap().1
}

async fn one_row_per_key(env: &Env) {
    assert!(enqueue(env, "test.note", "k1", json!({})).await);
    assert!(
        !enqueue(env, "test.note", "k1", json!({"other": 1})).await,
        "the same key again makes no second row"
    );
    let grant = admin();
    let rows = app::job::list(&env.app, &grant, Queue::Jobs, None, Some("test.note"), 10)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].payload, "{}");
    assert_eq!(worker(env, "w").run_once().await.unwrap(), 1);
    assert_eq!(job(env, "k1").await.state, "done");
    assert_eq!(probes(env, "k1").await, 1);
    assert!(
        !enqueue(env, "test.note", "k1", json!({})).await,
        "a done key is not queued again"
    );
}

async fn retries_back_off_then_die_with_the_error_kept(env: &Env) {
    enqueue(env, "test.note", "fails", json!({"fail": true})).await;
    let w = worker(env, "w");
    let start = env.app.now_ms();
    assert_eq!(w.run_once().await.unwrap(), 1);
    let row = job(env, "fails").await;
    assert_eq!(row.state, "queued");
    assert_eq!(row.attempts, 1);
    assert_eq!(row.last_error.as_deref(), Some("boom on attempt 1"));
    assert!(
        (start + 24_000..=start + 36_000).contains(&row.due_at),
        "first retry 30 s ± 20 % later, got {}",
        row.due_at - start
    );
    assert_eq!(
        probes(env, "fails").await,
        0,
        "the failed attempt's effect rolled back"
    );
    assert_eq!(w.run_once().await.unwrap(), 0, "not due before the backoff");
    for attempt in 2..=9 {
        env.clock.advance_ms(3_600_000 * 2);
        assert_eq!(w.run_once().await.unwrap(), 1, "attempt {attempt}");
    }
    let row = job(env, "fails").await;
    assert_eq!(row.state, "dead");
    assert_eq!(row.attempts, 9);
    assert_eq!(row.last_error.as_deref(), Some("boom on attempt 9"));
    env.clock.advance_ms(3_600_000 * 24);
    assert_eq!(w.run_once().await.unwrap(), 0, "a dead letter stays dead");
    let overview = app::job::overview(&env.app, &admin()).await.unwrap();
    assert!(overview.dead.iter().any(|r| r.id == row.id));
    let counts = overview
        .counts
        .iter()
        .find(|k| k.kind == "test.note")
        .unwrap();
    assert_eq!(counts.by_state, [0, 0, 0, 1, 0]);
    // Sent round again by hand, it runs at once with fresh attempts.
    app::job::retry(&env.app, &admin(), Queue::Jobs, row.id)
        .await
        .unwrap();
    let again = job(env, "fails").await;
    assert_eq!((again.state.as_str(), again.attempts), ("queued", 0));
    assert_eq!(w.run_once().await.unwrap(), 1);
    assert_eq!(job(env, "fails").await.attempts, 1);
}

async fn cancel_and_retry_by_hand(env: &Env) {
    enqueue(env, "test.note", "c1", json!({})).await;
    let id = job(env, "c1").await.id;
    app::job::cancel(&env.app, &admin(), Queue::Jobs, id)
        .await
        .unwrap();
    assert_eq!(worker(env, "w").run_once().await.unwrap(), 0);
    assert_eq!(probes(env, "c1").await, 0);
    let again = app::job::cancel(&env.app, &admin(), Queue::Jobs, id).await;
    assert!(matches!(again, Err(app::AppError::Refused(_))), "{again:?}");
    assert!(matches!(
        app::job::retry(&env.app, &admin(), Queue::Jobs, 999_999).await,
        Err(app::AppError::NotFound)
    ));
    let advisor = Principal {
        kind: domain::permission::ActorKind::Person,
        id: 2,
        name: "a".into(),
        role: Role::ServiceAdvisor,
        unit: Unit::Station(domain::ids::StationId(1), domain::ids::RegionId(1)),
    };
    assert!(
        advisor.grant(Action::JobAdmin).is_err(),
        "administrators only"
    );
    app::job::retry(&env.app, &admin(), Queue::Jobs, id)
        .await
        .unwrap();
    assert_eq!(worker(env, "w").run_once().await.unwrap(), 1);
    assert_eq!(job(env, "c1").await.state, "done");
    assert!(matches!(
        app::job::retry(&env.app, &admin(), Queue::Jobs, id).await,
        Err(app::AppError::Refused(_))
    ));
}

async fn arm(env: &Env, key: &str, due_in_ms: i64) -> bool {
    let now = env.app.now_ms();
    let mut tx = env.app.db.begin().await.unwrap();
    let armed = app::job::arm(&mut tx, key, "test.note", now + due_in_ms, &json!({}), now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    armed
}

async fn timer_state(env: &Env, key: &str) -> String {
    let mut c = env.app.db.pool.acquire().await.unwrap();
    store::job::timer(&mut c, key).await.unwrap().unwrap().state
}

async fn timers_rearm_disarm_and_fire_once(env: &Env) {
    let w = worker(env, "w");
    assert!(arm(env, "sla:1", 10 * 60_000).await);
    assert!(arm(env, "sla:1", 20 * 60_000).await, "re-armed later");
    env.clock.advance_ms(15 * 60_000);
    assert_eq!(w.run_once().await.unwrap(), 0, "the due time moved");
    env.clock.advance_ms(6 * 60_000);
    assert_eq!(w.run_once().await.unwrap(), 1);
    assert_eq!(timer_state(env, "sla:1").await, "done");
    assert!(
        !arm(env, "sla:1", 0).await,
        "a fired timer is not armed again"
    );
    env.clock.advance_ms(60_000);
    assert_eq!(w.run_once().await.unwrap(), 0);
    assert_eq!(probes(env, "sla:1").await, 1, "fired exactly once");

    assert!(arm(env, "sla:2", 60_000).await);
    let now = env.app.now_ms();
    let mut c = env.app.db.pool.acquire().await.unwrap();
    assert!(app::job::disarm(&mut c, "sla:2", now).await.unwrap());
    assert!(!app::job::disarm(&mut c, "sla:2", now).await.unwrap());
    drop(c);
    env.clock.advance_ms(120_000);
    assert_eq!(w.run_once().await.unwrap(), 0);
    assert_eq!(timer_state(env, "sla:2").await, "cancelled");
    assert!(
        arm(env, "sla:2", 0).await,
        "a cancelled timer can be armed again"
    );
    assert_eq!(w.run_once().await.unwrap(), 1);
    assert_eq!(probes(env, "sla:2").await, 1);

    // Re-armed while a worker holds it: that worker's firing is void.
    assert!(arm(env, "sla:3", 0).await);
    let now = env.app.now_ms();
    let held = store::job::claim(&env.app.db, Queue::Timers, now, 60_000, 10, "slow#1")
        .await
        .unwrap();
    assert_eq!(held.len(), 1);
    assert!(arm(env, "sla:3", 5_000).await);
    let mut c = env.app.db.pool.acquire().await.unwrap();
    assert!(
        !store::job::complete(&mut c, &held[0], now).await.unwrap(),
        "the old claim cannot complete a re-armed timer"
    );
    drop(c);
    env.clock.advance_ms(5_000);
    assert_eq!(w.run_once().await.unwrap(), 1);
    assert_eq!(timer_state(env, "sla:3").await, "done");
}

async fn a_failing_handler_rolls_back_only_its_own_effects(env: &Env) {
    enqueue(env, "test.note", "good:1", json!({})).await;
    enqueue(env, "test.bad_sql", "bad:1", json!({})).await;
    enqueue(env, "test.note", "fail:1", json!({"fail": true})).await;
    enqueue(env, "test.note", "good:2", json!({})).await;
    enqueue(env, "test.unknown", "unknown:1", json!({})).await;
    assert_eq!(worker(env, "w").run_once().await.unwrap(), 5);
    assert_eq!(job(env, "good:1").await.state, "done");
    assert_eq!(job(env, "good:2").await.state, "done");
    assert_eq!(probes(env, "good:").await, 2);
    assert_eq!(probes(env, "fail:1").await, 0);
    let bad = job(env, "bad:1").await;
    assert_eq!(bad.state, "queued");
    assert!(bad.last_error.unwrap().contains("no_such_table"));
    let unknown = job(env, "unknown:1").await;
    assert_eq!(
        unknown.last_error.as_deref(),
        Some("no handler for kind test.unknown")
    );
}

async fn a_crashed_workers_rows_come_back_after_the_lease(env: &Env) {
    probe::arm_many(&env.app, "crash", 3, env.app.now_ms())
        .await
        .unwrap();
    // A worker claims the rows, then dies before it completes them.
    let now = env.app.now_ms();
    let lost = store::job::claim(&env.app.db, Queue::Timers, now, 120_000, 10, "gone#1")
        .await
        .unwrap();
    assert_eq!(lost.len(), 3);
    let w = worker(env, "new");
    assert_eq!(w.run_once().await.unwrap(), 0, "leased rows wait");
    env.clock.advance_ms(121_000);
    assert_eq!(w.run_once().await.unwrap(), 3, "taken over after the lease");
    assert_eq!(probe::tally(&env.app, "crash").await.unwrap(), (3, 3));
    // The dead worker waking up cannot complete them again.
    let mut c = env.app.db.pool.acquire().await.unwrap();
    assert_eq!(
        store::job::complete_claim(&mut c, Queue::Timers, "gone#1", now)
            .await
            .unwrap(),
        0
    );
    let row = store::job::timer(&mut c, "crash:0").await.unwrap().unwrap();
    assert_eq!((row.state.as_str(), row.attempts), ("done", 2));
}

async fn two_workers_fire_each_timer_once(env: &Env) {
    probe::arm_many(&env.app, "pair", 1_500, env.app.now_ms())
        .await
        .unwrap();
    let a = worker(env, "a");
    let b = worker(env, "b");
    let (ra, rb) = tokio::join!(a.run_until_idle(), b.run_until_idle());
    ra.unwrap();
    rb.unwrap();
    assert_eq!(
        probe::tally(&env.app, "pair").await.unwrap(),
        (1_500, 1_500)
    );
}

/// The timers of the checkpoint chain: (state, the slot its key names), by key (a
/// claimed row's due time is its lease, not its slot).
async fn checkpoint_timers(env: &Env) -> Vec<(String, i64)> {
    let rows =
        sqlx::query("SELECT state, dedupe_key FROM timers WHERE kind = $1 ORDER BY dedupe_key")
            .bind(app::job::checkpoint::KIND)
            .fetch_all(&env.app.db.pool)
            .await
            .unwrap();
    rows.iter()
        .map(|r| {
            use sqlx::Row;
            let key: String = r.get(1);
            let slot = key.rsplit(':').next().and_then(|s| s.parse().ok());
            (r.get::<String, _>(0), slot.unwrap_or(-1))
        })
        .collect()
}

/// On SQLite the chain checkpoints the write-ahead log off the commit path, arms the
/// next slot and keeps no row per run; arming it again (a restart) joins the chain.
/// On PostgreSQL it is never armed.
async fn the_checkpoint_chain_empties_the_log_and_keeps_one_row(env: &Env) {
    use app::job::checkpoint::{INTERVAL_MS, ensure, next_slot};
    let w = worker(env, "w");
    ensure(&env.app).await.unwrap();
    ensure(&env.app).await.unwrap();
    if env.app.db.backend == store::Backend::Postgres {
        assert!(
            checkpoint_timers(env).await.is_empty(),
            "not armed on PostgreSQL"
        );
        assert_eq!(env.app.db.checkpoint().await.unwrap(), None);
        return;
    }
    let first = next_slot(env.app.now_ms());
    assert_eq!(
        checkpoint_timers(env).await,
        vec![("queued".to_string(), first)],
        "a second arming joins the first"
    );
    // Fifty transactions leave at least fifty frames in the log, far below the
    // automatic checkpoint's line, so only the chain can copy them out.
    for i in 0..50 {
        enqueue(
            env,
            "test.note",
            &format!("wal:{i}"),
            json!({"pad": "x".repeat(2000)}),
        )
        .await;
    }
    env.clock.advance_ms(first - env.app.now_ms());
    assert!(w.run_once().await.unwrap() >= 1);
    // After a complete checkpoint the next writer (the run's own completion) starts
    // the log again from its beginning: what is left is that one transaction.
    let after = env.app.db.checkpoint().await.unwrap().unwrap();
    assert!(
        after.log_frames < 50,
        "the chain copied the log and it started again: {after:?}"
    );
    assert_eq!(
        checkpoint_timers(env).await,
        vec![
            ("done".to_string(), first),
            ("queued".to_string(), first + INTERVAL_MS)
        ]
    );
    env.clock.advance_ms(INTERVAL_MS);
    assert!(w.run_once().await.unwrap() >= 1);
    assert_eq!(
        checkpoint_timers(env).await,
        vec![
            ("done".to_string(), first + INTERVAL_MS),
            ("queued".to_string(), first + 2 * INTERVAL_MS)
        ],
        "the fired link before is forgotten"
    );
}
