//! Our calls to WeChat Pay's APIv3 and Alipay's gateway over real HTTP, on SQLite
//! or (with TEST_DATABASE_URL) PostgreSQL, with the sandboxes answering at the test
//! server's own `/sandbox-provider/…` routes: the query on silence finds a paid
//! order whose notice was lost and pays it once; an unpaid order is closed at the
//! provider and here at its expiry and takes no money after; requests not signed
//! by our merchant key are refused, and answers not signed by the platform are not
//! believed.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::billing::alipay::{ALIPAY, Alipay};
use app::billing::provider::{ApiError, OrderAnswer};
use app::billing::wechat::{WECHAT, WechatPay};
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

async fn start(t: &TestApp, tok: &str, ro: i64, provider: &str) -> String {
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

async fn ledger(t: &TestApp, pref: &str) -> Vec<(String, Option<String>)> {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    sqlx::query_as(
        "SELECT verdict, client_addr FROM payment_notices WHERE payment_ref = $1 ORDER BY id",
    )
    .bind(pref)
    .fetch_all(&mut *c)
    .await
    .unwrap()
}

/// The payer pays; the provider's notice never arrives; the query over HTTP
/// finds the money and pays the bill once.
async fn lost_notice_is_found(provider: &str) {
    let t = spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let (ro, _) = t.delivered_order().await;
    run_jobs(&t).await;
    let pref = start(&t, &tok, ro, provider).await;
    // The sandbox records the payment on its side and makes the notice, which is
    // never posted.
    app::billing::sandbox_notice(&t.app, &pref, true)
        .await
        .unwrap();
    assert_eq!(bill(&t, &tok, ro).await["bill"]["state"], "unpaid");
    t.clock.advance_ms(5 * 60_000);
    assert_eq!(run_jobs(&t).await, 1);
    let b = bill(&t, &tok, ro).await;
    assert_eq!(b["bill"]["state"], "paid", "{provider}: {b}");
    assert_eq!(b["bill"]["paid_fen"], b["bill"]["gross_fen"]);
    assert_eq!(b["payments"][0]["state"], "paid");
    assert_eq!(
        ledger(&t, &pref).await,
        [("applied".to_string(), Some("query".to_string()))]
    );
    // The expiry was disarmed with the query's answer: nothing more runs.
    t.clock.advance_ms(60 * 60_000);
    assert_eq!(run_jobs(&t).await, 0);
    assert_eq!(bill(&t, &tok, ro).await["bill"]["refund_fen"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_wechat_pay_notice_is_found_by_the_api_query_and_paid_once() {
    lost_notice_is_found(WECHAT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_alipay_notice_is_found_by_the_gateway_query_and_paid_once() {
    lost_notice_is_found(ALIPAY).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpaid_orders_are_closed_at_the_provider_and_here_at_their_expiry() {
    let t = spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let (ro, _) = t.delivered_order().await;
    run_jobs(&t).await;
    let pref = start(&t, &tok, ro, WECHAT).await;
    t.clock.advance_ms(5 * 60_000);
    assert_eq!(run_jobs(&t).await, 1, "the query: nothing paid yet");
    assert_eq!(bill(&t, &tok, ro).await["payments"][0]["state"], "pending");
    // Asked directly, WeChat Pay's sandbox says NOTPAY over HTTP.
    let w = t.app.settings.wechat.clone().unwrap();
    let http = reqwest::Client::new();
    assert_eq!(
        w.query(&http, &pref, t.app.now_ms()).await.unwrap(),
        OrderAnswer::Unpaid
    );
    t.clock.advance_ms(25 * 60_000);
    assert_eq!(run_jobs(&t).await, 1, "the expiry");
    let b = bill(&t, &tok, ro).await;
    assert_eq!(b["payments"][0]["state"], "closed");
    assert_eq!(b["payments"][0]["failure"], "expired");
    assert!(
        app::billing::sandbox_notice(&t.app, &pref, true)
            .await
            .is_err()
    );
    // Alipay: the same, through its gateway.
    let pref = start(&t, &tok, ro, ALIPAY).await;
    t.clock.advance_ms(30 * 60_000);
    run_jobs(&t).await;
    let b = bill(&t, &tok, ro).await;
    let p = b["payments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["payment_ref"] == pref.as_str())
        .unwrap()
        .clone();
    assert_eq!(p["state"], "closed", "{b}");
    assert_eq!(b["bill"]["state"], "unpaid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_need_our_merchant_signature_and_answers_the_platforms() {
    let t = spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let (ro, _) = t.delivered_order().await;
    let pref = start(&t, &tok, ro, WECHAT).await;
    let http = reqwest::Client::new();
    // No Authorization: refused, and the refusal itself is signed by the platform.
    let r = http
        .get(format!(
            "{}/sandbox-provider/wechat/v3/pay/transactions/out-trade-no/{pref}?mchid=1900000109",
            t.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("wechatpay-signature"));
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "SIGN_ERROR");
    // Another merchant (its own keys, serials and platform) pointed at this
    // sandbox: its request is refused, and the refusal — signed by a platform it
    // does not know — is not believed.
    let other = WechatPay::sandbox();
    other.serve_sandbox_at(&t.base);
    assert!(matches!(
        other.query(&http, &pref, t.app.now_ms()).await,
        Err(ApiError::Unsigned(_))
    ));
    // Alipay: a request signed by another app key is answered with the signature
    // error, which our client reports as a refusal.
    let a = t.app.settings.alipay.clone().unwrap();
    let mut params = a.request(
        "alipay.trade.query",
        &json!({"out_trade_no": pref}),
        t.app.now_ms(),
    );
    for (k, v) in params.iter_mut() {
        if k == "sign" {
            *v = v.chars().rev().collect();
        }
    }
    let answer: Value = http
        .post(format!("{}/sandbox-provider/alipay/gateway.do", t.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(&params).unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        answer["alipay_trade_query_response"]["sub_code"],
        "isv.invalid-signature"
    );
    // Our own, correctly signed request: a trade the payer never opened.
    assert_eq!(
        a.query(&http, &pref, t.app.now_ms()).await.unwrap(),
        OrderAnswer::Unpaid
    );
}
