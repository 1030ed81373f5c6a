//! Refunds back through WeChat Pay and Alipay over real HTTP, on SQLite or (with
//! TEST_DATABASE_URL) PostgreSQL, with the sandboxes answering at the test server's
//! own `/sandbox-provider/…` routes: a WeChat Pay line refund is asked by the job
//! (`/v3/refund/domestic/refunds`, `PROCESSING`), settled once by the refund
//! notice the sandbox posts over HTTP, and a repeated ask refunds nothing twice;
//! an Alipay refund (`alipay.trade.refund`) is settled from its synchronous answer;
//! refunds the provider refuses, and requests not signed by our merchant, move no
//! money.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::billing::alipay::{ALIPAY, Alipay};
use app::billing::provider::{ApiError, RefundAnswer};
use app::billing::wechat::{WECHAT, WechatPay};
use domain::billing::answer::RefundAsked;
use domain::role::Role;
use serde_json::{Value, json};
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

/// Starts an online payment through `provider` and pays it at the sandbox's
/// checkout (which posts the provider's signed notice); the order's reference and
/// amount.
async fn paid(t: &TestApp, tok: &str, ro: i64, provider: &str) -> (String, i64) {
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
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    let pref = v["payment_ref"].as_str().unwrap().to_string();
    let r = t
        .client()
        .post(format!("{}/sandbox-pay/{pref}", t.base))
        .form(&[("outcome", "pay")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    (pref, v["amount_fen"].as_i64().unwrap())
}

async fn bill(t: &TestApp, tok: &str, ro: i64) -> Value {
    let r = t
        .client()
        .get(format!("{}/api/v1/repair-orders/{ro}/bill", t.base))
        .bearer_auth(tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn refund(t: &TestApp, tok: &str, ro: i64, body: Value) -> Value {
    let r = t
        .client()
        .post(format!("{}/api/v1/repair-orders/{ro}/refunds", t.base))
        .bearer_auth(tok)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

fn worker(t: &TestApp) -> app::job::worker::Worker {
    app::job::worker::Worker::with_client(
        t.app.clone(),
        app::job::handler::Registry::standard(),
        reqwest::Client::new(),
        "test".into(),
    )
}

/// The ledger rows of refund `rref`: (verdict, client address).
async fn ledger(t: &TestApp, rref: &str) -> Vec<(String, Option<String>)> {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    sqlx::query_as(
        "SELECT verdict, client_addr FROM payment_notices WHERE payment_ref = $1 ORDER BY id",
    )
    .bind(rref)
    .fetch_all(&mut *c)
    .await
    .unwrap()
}

/// How many refunds the sandbox playing `provider` made.
async fn sandbox_refunds(t: &TestApp, provider: &str) -> i64 {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM sandbox_transactions WHERE provider = $1 AND kind = 'refund'",
    )
    .bind(provider)
    .fetch_one(&mut *c)
    .await
    .unwrap()
}

/// Waits (at most 10 s) for the bill's first refund to leave `pending`: WeChat
/// Pay's refund notice comes after its answer, on a request of its own.
async fn settled(t: &TestApp, tok: &str, ro: i64) -> Value {
    for _ in 0..200 {
        let b = bill(t, tok, ro).await;
        if b["refunds"][0]["state"] != "pending" {
            return b;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the refund stayed pending: {}", bill(t, tok, ro).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wechat_pay_line_refund_is_asked_over_http_and_settled_once_by_its_notice() {
    let t = spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let head = t.token(Role::Administrator).await;
    let (ro, _) = t.delivered_order().await;
    paid(&t, &tok, ro, WECHAT).await;
    let b = bill(&t, &tok, ro).await;
    assert_eq!(b["bill"]["state"], "paid");
    let no = b["bill"]["lines"][0]["line_no"].as_i64().unwrap();
    let r = refund(
        &t,
        &head,
        ro,
        json!({"lines": [{"line_no": no, "amount_fen": 500}], "method": "provider", "reason": "scratch on the door"}),
    )
    .await;
    assert_eq!(
        (r["state"].as_str(), r["provider"].as_str()),
        (Some("pending"), Some(WECHAT))
    );
    let rref = r["refund_ref"].as_str().unwrap().to_string();
    // The job asks WeChat Pay, which answers PROCESSING: the job waits for the
    // notice (tried again later), the refund stays pending meanwhile.
    let w = worker(&t);
    w.run_once().await.unwrap();
    let b = settled(&t, &tok, ro).await;
    let r = &b["refunds"][0];
    assert_eq!(r["state"], "succeeded", "{b}");
    assert!(r["provider_refund_ref"].as_str().unwrap().starts_with("50"));
    assert_eq!(b["bill"]["refunded_fen"], 500);
    // Settled by the notice the sandbox posted over HTTP (its peer address kept).
    let l = ledger(&t, &rref).await;
    assert_eq!(l.len(), 1, "{l:?}");
    assert_eq!(l[0].0, "refund_settled");
    assert!(
        l[0].1
            .as_deref()
            .unwrap_or_default()
            .starts_with("127.0.0.1"),
        "{l:?}"
    );
    // The job's retry finds the refund settled and asks nothing more.
    t.clock.advance_ms(60 * 60_000);
    while w.run_once().await.unwrap() > 0 {}
    assert_eq!(ledger(&t, &rref).await.len(), 1);
    assert_eq!(sandbox_refunds(&t, WECHAT).await, 1);
    assert_eq!(bill(&t, &tok, ro).await["bill"]["refunded_fen"], 500);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alipay_refund_is_settled_from_its_answer_and_asked_twice_refunds_once() {
    let t = spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let head = t.token(Role::Administrator).await;
    let (ro, _) = t.delivered_order().await;
    let (pref, amount) = paid(&t, &tok, ro, ALIPAY).await;
    let r = refund(
        &t,
        &head,
        ro,
        json!({"full": true, "method": "provider", "reason": "job cancelled"}),
    )
    .await;
    let rref = r["refund_ref"].as_str().unwrap().to_string();
    assert_eq!(r["amount_fen"], amount);
    worker(&t).run_once().await.unwrap();
    let b = bill(&t, &tok, ro).await;
    assert_eq!(b["refunds"][0]["state"], "succeeded", "{b}");
    assert_eq!(b["bill"]["refunded_fen"], amount);
    assert_eq!(
        ledger(&t, &rref).await,
        [("refund_settled".to_string(), Some("refund".to_string()))]
    );
    // The same request again (a job run twice): Alipay answers with the refund
    // it made and moves no more money.
    let a = t.app.settings.alipay.clone().unwrap();
    let http = reqwest::Client::new();
    let asked = RefundAsked {
        order_no: &pref,
        refund_no: &rref,
        refund_fen: amount,
        total_fen: amount,
    };
    assert!(matches!(
        a.refund(&http, &asked, "again", t.app.now_ms())
            .await
            .unwrap(),
        RefundAnswer::Succeeded(_)
    ));
    assert_eq!(sandbox_refunds(&t, ALIPAY).await, 1);
    // Another refund number for more than the trade took: refused for good.
    let more = RefundAsked {
        refund_no: "another1",
        refund_fen: amount + 1,
        ..asked.clone()
    };
    assert_eq!(
        a.refund(&http, &more, "too much", t.app.now_ms())
            .await
            .unwrap(),
        RefundAnswer::Failed("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL".into())
    );
    assert_eq!(sandbox_refunds(&t, ALIPAY).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_the_provider_refuses_or_did_not_sign_move_no_money() {
    let t = spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let (ro, _) = t.delivered_order().await;
    let (pref, amount) = paid(&t, &tok, ro, WECHAT).await;
    let w = t.app.settings.wechat.clone().unwrap();
    let http = reqwest::Client::new();
    let now = t.app.now_ms();
    let asked = RefundAsked {
        order_no: &pref,
        refund_no: "r0000000001",
        refund_fen: 100,
        total_fen: amount,
    };
    // The order's total misstated: WeChat Pay refuses, for good.
    let wrong_total = RefundAsked {
        total_fen: amount + 1,
        ..asked.clone()
    };
    assert_eq!(
        w.refund(&http, &wrong_total, "x", now).await.unwrap(),
        RefundAnswer::Failed("INVALID_REQUEST".into())
    );
    // An order WeChat Pay never took money for.
    let unknown = RefundAsked {
        order_no: "nosuchorder",
        ..asked.clone()
    };
    assert_eq!(
        w.refund(&http, &unknown, "x", now).await.unwrap(),
        RefundAnswer::Failed("RESOURCE_NOT_EXISTS".into())
    );
    // Another merchant pointed at this sandbox: refused, and the refusal (signed
    // by a platform it does not know) is not believed.
    let other = WechatPay::sandbox();
    other.serve_sandbox_at(&t.base);
    assert!(matches!(
        other.refund(&http, &asked, "x", now).await,
        Err(ApiError::Unsigned(_))
    ));
    assert_eq!(sandbox_refunds(&t, WECHAT).await, 0);
    // Ours: accepted (PROCESSING), then the same refund again is SUCCESS with
    // the same id, and another amount under the same number is refused.
    let first = w.refund(&http, &asked, "x", now).await.unwrap();
    let RefundAnswer::Processing(id) = first else {
        panic!("{first:?}")
    };
    assert_eq!(
        w.refund(&http, &asked, "x", now).await.unwrap(),
        RefundAnswer::Succeeded(id)
    );
    let changed = RefundAsked {
        refund_fen: 200,
        ..asked.clone()
    };
    assert_eq!(
        w.refund(&http, &changed, "x", now).await.unwrap(),
        RefundAnswer::Failed("INVALID_REQUEST".into())
    );
    assert_eq!(sandbox_refunds(&t, WECHAT).await, 1);
}
