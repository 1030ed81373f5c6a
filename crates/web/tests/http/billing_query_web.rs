//! Query on silence over real HTTP and the job machinery, on SQLite or (with
//! TEST_DATABASE_URL) PostgreSQL: a provider order whose notice was lost is found
//! by the order query and paid once; an order nobody paid is closed at its
//! `time_expire` and the provider takes no money for it after; a notice disarms
//! both timers.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::billing::provider::Sandbox;
use domain::role::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::TestApp;

async fn start(t: &TestApp, tok: &str, ro: i64) -> Value {
    let r = t
        .client()
        .post(format!(
            "{}/api/v1/repair-orders/{ro}/payments/online",
            t.base
        ))
        .bearer_auth(tok)
        .json(&json!({"provider": "sandbox"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

async fn bill(t: &TestApp, tok: &str, ro: i64) -> Value {
    let r = t
        .client()
        .get(format!("{}/api/v1/repair-orders/{ro}/bill", t.base))
        .bearer_auth(tok)
        .send()
        .await
        .unwrap();
    r.json().await.unwrap()
}

async fn run_jobs(t: &TestApp) -> usize {
    let w = app::job::worker::Worker::with_client(
        t.app.clone(),
        app::job::handler::Registry::standard(),
        reqwest::Client::new(),
        "test".into(),
    );
    let before = billing_attempts(t).await;
    w.run_once().await.unwrap();
    // Only the payment jobs and timers count: a delivery also queues its callback
    // survey and the server arms other areas' timers, which are not what these tests watch.
    usize::try_from(billing_attempts(t).await - before).unwrap()
}

/// Attempts made so far by the billing jobs and timers.
async fn billing_attempts(t: &TestApp) -> i64 {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let mut n = 0;
    for table in ["jobs", "timers"] {
        let sql = format!(
            "SELECT CAST(COALESCE(SUM(attempts), 0) AS BIGINT) FROM {table} WHERE kind LIKE 'billing.%'"
        );
        let v: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut *c)
            .await
            .unwrap();
        n += v;
    }
    n
}

async fn timer_states(t: &TestApp, pref: &str) -> Vec<String> {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    sqlx::query_scalar("SELECT state FROM timers WHERE dedupe_key LIKE $1 ORDER BY dedupe_key")
        .bind(format!("billing.%:{pref}"))
        .fetch_all(&mut *c)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_notice_is_found_by_the_query_and_paid_once() {
    let t = TestApp::spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let (ro, _) = t.delivered_order().await;
    // The owner link went out through the outbox; its delivery is not what we count.
    run_jobs(&t).await;
    let online = start(&t, &tok, ro).await;
    let pref = online["payment_ref"].as_str().unwrap().to_string();
    assert_eq!(timer_states(&t, &pref).await, ["queued", "queued"]);
    // The payer pays; the provider's notice never arrives.
    let signed = app::billing::sandbox_submit(&t.app, &pref, true)
        .await
        .unwrap();
    assert_eq!(run_jobs(&t).await, 0, "nothing due yet");
    assert_eq!(bill(&t, &tok, ro).await["bill"]["state"], "unpaid");
    t.clock.advance_ms(5 * 60_000);
    assert_eq!(run_jobs(&t).await, 1);
    let b = bill(&t, &tok, ro).await;
    assert_eq!(b["bill"]["state"], "paid");
    assert_eq!(b["payments"][0]["state"], "paid");
    // The notice arrives late after all: a duplicate, paid once.
    let r = t
        .client()
        .post(format!("{}/api/v1/payments/callback", t.base))
        .header(
            "x-aftersales-signature",
            Sandbox::for_app(&t.app)
                .unwrap()
                .sign(&serde_json::from_str(&signed.body).unwrap(), t.app.now_ms())
                .unwrap()
                .signature,
        )
        .body(signed.body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["changed"], false);
    let b = bill(&t, &tok, ro).await;
    assert_eq!(b["bill"]["paid_fen"], b["bill"]["gross_fen"]);
    assert_eq!(b["bill"]["refund_fen"], 0);
    // The expiry still fires, finds nothing pending, changes nothing.
    t.clock.advance_ms(30 * 60_000);
    assert_eq!(run_jobs(&t).await, 1);
    assert_eq!(bill(&t, &tok, ro).await["payments"][0]["state"], "paid");
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let rows: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT verdict, client_addr FROM payment_notices WHERE payment_ref = $1 ORDER BY id",
    )
    .bind(&pref)
    .fetch_all(&mut *c)
    .await
    .unwrap();
    assert_eq!(rows[0], ("applied".to_string(), Some("query".to_string())));
    assert_eq!(rows[1].0, "duplicate");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unpaid_order_is_closed_at_its_expiry_and_takes_no_money_after() {
    let t = TestApp::spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let (ro, _) = t.delivered_order().await;
    // The owner link went out through the outbox; its delivery is not what we count.
    run_jobs(&t).await;
    let pref = start(&t, &tok, ro).await["payment_ref"]
        .as_str()
        .unwrap()
        .to_string();
    t.clock.advance_ms(5 * 60_000);
    assert_eq!(run_jobs(&t).await, 1);
    assert_eq!(bill(&t, &tok, ro).await["payments"][0]["state"], "pending");
    t.clock.advance_ms(25 * 60_000);
    let e = app::billing::sandbox_submit(&t.app, &pref, true)
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("payment.expired") || format!("{e:?}").contains("payment.expired")
    );
    assert_eq!(run_jobs(&t).await, 1);
    let b = bill(&t, &tok, ro).await;
    assert_eq!(b["payments"][0]["state"], "closed");
    assert_eq!(b["payments"][0]["failure"], "expired");
    assert_eq!(b["bill"]["state"], "unpaid");
    // A new start opens a new order with its own timers.
    let again = start(&t, &tok, ro).await;
    assert_ne!(again["payment_ref"].as_str().unwrap(), pref);
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let kinds: Vec<String> = sqlx::query_scalar(
        "SELECT kind FROM events WHERE entity = 'repair_order' AND entity_id = $1 AND kind LIKE 'payment_%' ORDER BY id",
    )
    .bind(ro)
    .fetch_all(&mut *c)
    .await
    .unwrap();
    assert_eq!(
        kinds,
        ["payment_started", "payment_closed", "payment_started"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_disarms_the_query_and_the_expiry() {
    let t = TestApp::spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let (ro, _) = t.delivered_order().await;
    // The owner link went out through the outbox; its delivery is not what we count.
    run_jobs(&t).await;
    let pref = start(&t, &tok, ro).await["payment_ref"]
        .as_str()
        .unwrap()
        .to_string();
    let signed = app::billing::sandbox_submit(&t.app, &pref, true)
        .await
        .unwrap();
    let r = t
        .client()
        .post(format!("{}/api/v1/payments/callback", t.base))
        .header("x-aftersales-signature", &signed.signature)
        .body(signed.body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(timer_states(&t, &pref).await, ["cancelled", "cancelled"]);
    t.clock.advance_ms(60 * 60_000);
    assert_eq!(run_jobs(&t).await, 0);
}
