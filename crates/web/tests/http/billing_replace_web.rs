//! One open provider order per bill, at the provider too (issue 22, finding 3):
//! a start that replaces the bill's open WeChat Pay or Alipay order closes it
//! through the provider's close call over real HTTP (the sandboxes answer at the
//! test server's `/sandbox-provider/…` routes and keep their own record of what
//! they opened and closed); a replaced order the payer paid meanwhile is kept as
//! late money, never lost; simultaneous starts leave one open order at the
//! provider. On SQLite, or PostgreSQL with TEST_DATABASE_URL.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::billing::alipay::{ALIPAY, Alipay};
use app::billing::wechat::{WECHAT, WechatPay};
use domain::role::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use testkit::TestApp;

async fn spawn() -> TestApp {
    TestApp::spawn_with(app::AppSettings {
        log_codes: false,
        wechat: Some(WechatPay::sandbox()),
        alipay: Some(Alipay::sandbox()),
        ..Default::default()
    })
    .await
}

async fn try_start(t: &TestApp, tok: &str, ro: i64, provider: &str) -> (StatusCode, Value) {
    let r = t
        .client()
        .post(format!(
            "{}/api/v1/repair-orders/{ro}/payments/online",
            t.base
        ))
        .bearer_auth(tok)
        .json(&json!({ "provider": provider }))
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn start(t: &TestApp, tok: &str, ro: i64, provider: &str) -> String {
    let (status, v) = try_start(t, tok, ro, provider).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert!(
        v["pay_url"].as_str().unwrap().starts_with("/sandbox-pay/"),
        "{v}"
    );
    v["payment_ref"].as_str().unwrap().to_string()
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

/// The payment states of the bill, by reference.
fn states(b: &Value) -> Vec<(String, String)> {
    b["payments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["payment_ref"].as_str().unwrap().to_string(),
                p["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// What the sandbox playing `provider` did to our order `pref`: `open`, `close`.
async fn at_provider(t: &TestApp, provider: &str, pref: &str) -> Vec<String> {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    sqlx::query_scalar(
        "SELECT kind FROM sandbox_transactions WHERE provider = $1 AND payment_ref = $2 \
         AND kind IN ('open', 'close') ORDER BY id",
    )
    .bind(provider)
    .bind(pref)
    .fetch_all(&mut *c)
    .await
    .unwrap()
}

async fn timer_state(t: &TestApp, key: &str) -> Option<String> {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    sqlx::query_scalar("SELECT state FROM timers WHERE dedupe_key = $1")
        .bind(key)
        .fetch_optional(&mut *c)
        .await
        .unwrap()
}

async fn run_jobs(t: &TestApp) {
    let w = app::job::worker::Worker::with_client(
        t.app.clone(),
        app::job::handler::Registry::standard(),
        reqwest::Client::new(),
        "test".into(),
    );
    w.run_once().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_start_closes_the_replaced_order_at_its_provider_over_http() {
    let t = spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let (ro, _) = t.delivered_order().await;
    let a = start(&t, &tok, ro, WECHAT).await;
    // Same channel, same amount: the same order, asked again, still open.
    assert_eq!(start(&t, &tok, ro, WECHAT).await, a);
    assert_eq!(at_provider(&t, WECHAT, &a).await, ["open", "open"]);
    // Another channel: WeChat Pay's order is closed there before Alipay's opens.
    let b = start(&t, &tok, ro, ALIPAY).await;
    assert_ne!(a, b);
    assert_eq!(at_provider(&t, WECHAT, &a).await, ["open", "open", "close"]);
    assert_eq!(at_provider(&t, ALIPAY, &b).await, ["open"]);
    let s = states(&bill(&t, &tok, ro).await);
    assert_eq!(
        s,
        [(a.clone(), "closed".into()), (b.clone(), "pending".into())]
    );
    // The close timer was disarmed once the provider closed the order.
    assert_eq!(
        timer_state(&t, &format!("billing.close:{a}"))
            .await
            .as_deref(),
        Some("cancelled")
    );
    // The closed order takes no money at its provider's cashier.
    assert!(
        app::billing::sandbox_notice(&t.app, &a, true)
            .await
            .is_err()
    );
    // Back to WeChat Pay: a new order; Alipay's is closed at Alipay over its gateway.
    let c = start(&t, &tok, ro, WECHAT).await;
    assert!(c != a && c != b);
    assert_eq!(at_provider(&t, ALIPAY, &b).await, ["open", "close"]);
    // The open one pays the bill once.
    let n = app::billing::sandbox_notice(&t.app, &c, true)
        .await
        .unwrap();
    let r = t
        .client()
        .post(format!("{}{}", t.base, n.path))
        .header("content-type", n.content_type)
        .headers(
            n.headers
                .iter()
                .map(|(k, v)| {
                    (
                        reqwest::header::HeaderName::from_static(k),
                        v.parse().unwrap(),
                    )
                })
                .collect(),
        )
        .body(n.body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let b = bill(&t, &tok, ro).await;
    assert_eq!(b["bill"]["state"], "paid");
    assert_eq!(b["bill"]["paid_fen"], b["bill"]["gross_fen"]);
    assert_eq!(b["bill"]["refund_fen"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_order_the_payer_paid_meanwhile_is_kept_as_money_to_reconcile() {
    let t = spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let (ro, _) = t.delivered_order().await;
    let a = start(&t, &tok, ro, WECHAT).await;
    // The payer pays WeChat Pay's order; its notice is slow to come.
    app::billing::sandbox_notice(&t.app, &a, true)
        .await
        .unwrap();
    // A new start on Alipay: WeChat Pay refuses to close a paid order
    // (`ORDERPAID`), so the close timer stays armed and the start goes on.
    let b = start(&t, &tok, ro, ALIPAY).await;
    assert_eq!(at_provider(&t, WECHAT, &a).await, ["open"]);
    let key = format!("billing.close:{a}");
    assert_eq!(timer_state(&t, &key).await.as_deref(), Some("queued"));
    // The timer asks WeChat Pay about the order over HTTP: the money is kept.
    run_jobs(&t).await;
    assert_eq!(timer_state(&t, &key).await.as_deref(), Some("done"));
    let v = bill(&t, &tok, ro).await;
    assert_eq!(v["bill"]["state"], "paid", "{v}");
    assert_eq!(v["bill"]["paid_fen"], v["bill"]["gross_fen"]);
    assert_eq!(v["bill"]["needs_reconciliation"], true);
    let s = states(&v);
    assert!(s.contains(&(a.clone(), "paid_late".into())), "{s:?}");
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let ledger: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT verdict, client_addr FROM payment_notices WHERE payment_ref = $1 ORDER BY id",
    )
    .bind(&a)
    .fetch_all(&mut *c)
    .await
    .unwrap();
    assert_eq!(ledger, [("paid_late".into(), Some("query".into()))]);
    assert!(b != a);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simultaneous_starts_leave_one_open_order_at_the_provider() {
    for round in 0..3 {
        // A server of its own each round: one delivered order for the car.
        let t = std::sync::Arc::new(spawn().await);
        let tok = t.token(Role::ServiceAdvisor).await;
        let (ro, _) = t.delivered_order().await;
        let mut tasks = Vec::new();
        for i in 0..8 {
            let (t, tok) = (t.clone(), tok.clone());
            let provider = if (i + round) % 2 == 0 { WECHAT } else { ALIPAY };
            tasks.push(tokio::spawn(async move {
                try_start(&t, &tok, ro, provider).await
            }));
        }
        let mut created = 0;
        for task in tasks {
            let (status, v) = task.await.unwrap();
            match status {
                StatusCode::CREATED => created += 1,
                // A start whose order another start replaced meanwhile.
                StatusCode::CONFLICT => {
                    assert_eq!(v["errors"][0]["rule"], "bill.changed_meanwhile", "{v}")
                }
                other => panic!("{other}: {v}"),
            }
        }
        assert!(created >= 1, "round {round}");
        // Whatever a close left to its timer is done now.
        run_jobs(&t).await;
        let s = states(&bill(&t, &tok, ro).await);
        let pending: Vec<&String> = s
            .iter()
            .filter(|(_, st)| st == "pending")
            .map(|(r, _)| r)
            .collect();
        assert_eq!(pending.len(), 1, "round {round}: {s:?}");
        // At the providers: every order opened and not closed is the open one.
        let mut open_there = BTreeSet::new();
        let mut closed_there = 0;
        for (pref, _) in &s {
            for provider in [WECHAT, ALIPAY] {
                let kinds = at_provider(&t, provider, pref).await;
                if kinds.iter().any(|k| k == "open") && !kinds.iter().any(|k| k == "close") {
                    open_there.insert(pref.clone());
                }
                closed_there += usize::from(kinds.iter().any(|k| k == "close"));
            }
        }
        // Starts on both channels replaced one another: the replaced were closed there.
        assert!(closed_there >= 1 && s.len() >= 2, "round {round}: {s:?}");
        assert!(
            open_there.len() <= 1 && open_there.iter().all(|r| r == pending[0]),
            "round {round}: open at the provider {open_there:?}, here {s:?}"
        );
    }
}
