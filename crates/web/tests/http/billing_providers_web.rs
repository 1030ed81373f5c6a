//! WeChat Pay APIv3 and Alipay notices over real HTTP, on SQLite or (with
//! TEST_DATABASE_URL) PostgreSQL, with their sandboxes playing the providers:
//! signed and encrypted notices applied once (a notice repeated, replayed or
//! re-signed pays nothing twice), forged, stale, tampered, foreign-merchant and
//! wrong-unit notices refused and kept in the ledger, the checkout page posting the
//! provider's own notice, and a WeChat Pay refund asked by a job and settled by the
//! refund notice.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::billing::alipay::Alipay;
use app::billing::wechat::WechatPay;
use domain::role::Role;
use reqwest::StatusCode;
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

async fn start(t: &TestApp, tok: &str, ro: i64, provider: &str) -> (String, i64) {
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
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["provider"], provider, "{v}");
    (
        v["payment_ref"].as_str().unwrap().to_string(),
        v["amount_fen"].as_i64().unwrap(),
    )
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

async fn verdicts(t: &TestApp, tok: &str) -> Vec<String> {
    let r = t
        .client()
        .get(format!("{}/api/v1/payment-notices", t.base))
        .bearer_auth(tok)
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    let mut out: Vec<String> = v["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["verdict"].as_str().unwrap().to_string())
        .collect();
    out.reverse();
    out
}

async fn post_wechat(
    t: &TestApp,
    n: &app::billing::provider::ProviderNotice,
) -> (StatusCode, Value) {
    let mut r = t
        .client()
        .post(format!("{}{}", t.base, n.path))
        .header("content-type", n.content_type);
    for (k, v) in &n.headers {
        r = r.header(*k, v);
    }
    let r = r.body(n.body.clone()).send().await.unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

async fn post_alipay(t: &TestApp, body: &str) -> (StatusCode, String) {
    let r = t
        .client()
        .post(format!("{}/api/v1/payments/notify/alipay", t.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wechat_pay_notice_pays_once_and_forgeries_are_refused_and_kept() {
    let t = spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let head = t.token(Role::Administrator).await;
    let (ro, _) = t.delivered_order().await;
    let (pref, amount) = start(&t, &tok, ro, "wechat").await;
    let w = t.app.settings.wechat.clone().unwrap();
    let now = t.app.now_ms();
    let tid = "4200000000202611240000000001";
    let tx = w.sandbox_transaction(&pref, tid, amount, true);
    let n = w.sandbox_notice("TRANSACTION.SUCCESS", &tx, now).unwrap();
    // Forged: the body changed after signing.
    let mut forged = n.clone();
    forged.body = forged.body.replace("encrypt-resource", "encrypt-resourcE");
    let (s, v) = post_wechat(&t, &forged).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("FAIL"))
    );
    // Signed by a platform key we do not know (another serial).
    let mut unknown = n.clone();
    for (k, v) in unknown.headers.iter_mut() {
        if *k == "wechatpay-serial" {
            *v = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1".into();
        }
    }
    assert_eq!(post_wechat(&t, &unknown).await.0, StatusCode::UNAUTHORIZED);
    // Signed too long ago.
    let old = w
        .sandbox_notice("TRANSACTION.SUCCESS", &tx, now - 10 * 60_000)
        .unwrap();
    assert_eq!(post_wechat(&t, &old).await.0, StatusCode::UNAUTHORIZED);
    // Another merchant's payment, and the wrong amount: refused, nothing paid.
    let mut foreign = tx.clone();
    foreign["mchid"] = json!("1230000109");
    let f = w
        .sandbox_notice("TRANSACTION.SUCCESS", &foreign, now)
        .unwrap();
    let (s, v) = post_wechat(&t, &f).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let short = w.sandbox_transaction(&pref, tid, amount - 1, true);
    let f = w
        .sandbox_notice("TRANSACTION.SUCCESS", &short, now)
        .unwrap();
    assert_eq!(post_wechat(&t, &f).await.0, StatusCode::CONFLICT);
    assert_eq!(bill(&t, &tok, ro).await["bill"]["paid_fen"], 0);
    // The genuine notice pays; the same request again is a replay; WeChat Pay's
    // retry (signed anew) is a duplicate answered SUCCESS; the bill is paid once.
    let (s, v) = post_wechat(&t, &n).await;
    assert_eq!((s, v), (StatusCode::OK, json!({"code": "SUCCESS"})));
    assert_eq!(post_wechat(&t, &n).await.0, StatusCode::CONFLICT);
    let retry = w
        .sandbox_notice("TRANSACTION.SUCCESS", &tx, now + 60_000)
        .unwrap();
    let (s, v) = post_wechat(&t, &retry).await;
    assert_eq!((s, v), (StatusCode::OK, json!({"code": "SUCCESS"})));
    let b = bill(&t, &tok, ro).await;
    assert_eq!(b["bill"]["paid_fen"], amount);
    assert_eq!(b["bill"]["state"], "paid");
    assert_eq!(b["payments"][0]["provider_ref"], tid);
    assert_eq!(
        verdicts(&t, &head).await,
        [
            "signature_invalid",
            "signature_invalid",
            "signature_stale",
            "merchant_mismatch",
            "amount_mismatch",
            "applied",
            "replayed",
            "duplicate"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alipay_notice_pays_once_in_fen_and_wrong_units_are_refused() {
    let t = spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let head = t.token(Role::Administrator).await;
    let (ro, _) = t.delivered_order().await;
    let (pref, amount) = start(&t, &tok, ro, "alipay").await;
    let a = t.app.settings.alipay.clone().unwrap();
    let n = a
        .sandbox_notice(
            &pref,
            "2026112422001400000000000001",
            amount,
            true,
            t.app.now_ms(),
        )
        .unwrap();
    // The amount in whole yuan, or with three decimals: refused even when signed.
    for bad in [
        format!("{}", amount / 100),
        format!("{}.{:03}", amount / 100, 0),
    ] {
        let mut p: Vec<(String, String)> = serde_urlencoded::from_str(&n.body).unwrap();
        for (k, v) in p.iter_mut() {
            if k == "total_amount" {
                *v = bad.clone();
            }
        }
        let body = a.sandbox_sign(&mut p).unwrap();
        assert_eq!(
            post_alipay(&t, &body).await,
            (StatusCode::BAD_REQUEST, "fail".into())
        );
    }
    // Tampered: the signature no longer holds.
    let tampered = n.body.replace("TRADE_SUCCESS", "TRADE_FINISHED");
    assert_eq!(post_alipay(&t, &tampered).await.0, StatusCode::UNAUTHORIZED);
    // Another seller.
    let mut p: Vec<(String, String)> = serde_urlencoded::from_str(&n.body).unwrap();
    for (k, v) in p.iter_mut() {
        if k == "seller_id" {
            *v = "2088000000000001".into();
        }
    }
    let body = a.sandbox_sign(&mut p).unwrap();
    assert_eq!(post_alipay(&t, &body).await.0, StatusCode::CONFLICT);
    assert_eq!(bill(&t, &tok, ro).await["bill"]["paid_fen"], 0);
    // The genuine notice, then Alipay's retry of the same notice.
    assert_eq!(
        post_alipay(&t, &n.body).await,
        (StatusCode::OK, "success".into())
    );
    assert_eq!(
        post_alipay(&t, &n.body).await,
        (StatusCode::OK, "success".into())
    );
    let b = bill(&t, &tok, ro).await;
    assert_eq!(b["bill"]["paid_fen"], amount);
    assert_eq!(
        verdicts(&t, &head).await,
        [
            "malformed",
            "malformed",
            "signature_invalid",
            "merchant_mismatch",
            "applied",
            "duplicate"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_checkout_posts_each_providers_own_notice() {
    for provider in ["wechat", "alipay"] {
        // One delivered order per server: the fixture delivers one car.
        let t = spawn().await;
        let tok = t.token(Role::ServiceAdvisor).await;
        let (ro, _) = t.delivered_order().await;
        let (pref, amount) = start(&t, &tok, ro, provider).await;
        let r = t
            .client()
            .post(format!("{}/sandbox-pay/{pref}", t.base))
            .form(&[("outcome", "pay")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{provider}: {}", r.text().await.unwrap());
        let b = bill(&t, &tok, ro).await;
        assert_eq!(b["bill"]["paid_fen"], amount, "{provider}");
        assert_eq!(b["payments"][0]["provider"], provider);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wechat_pay_refund_is_asked_by_a_job_and_settled_by_its_notice() {
    let t = spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let head = t.token(Role::Administrator).await;
    let (ro, _) = t.delivered_order().await;
    let (pref, _) = start(&t, &tok, ro, "wechat").await;
    let r = t
        .client()
        .post(format!("{}/sandbox-pay/{pref}", t.base))
        .form(&[("outcome", "pay")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let b = bill(&t, &tok, ro).await;
    let no = b["bill"]["lines"][0]["line_no"].as_i64().unwrap();
    let r = t
        .client()
        .post(format!("{}/api/v1/repair-orders/{ro}/refunds", t.base))
        .bearer_auth(&head)
        .json(&json!({"lines": [{"line_no": no, "amount_fen": 500}], "method": "provider", "reason": "scratch"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        (v["state"].as_str(), v["provider"].as_str()),
        (Some("pending"), Some("wechat"))
    );
    let w = app::job::worker::Worker::with_client(
        t.app.clone(),
        app::job::handler::Registry::standard(),
        reqwest::Client::new(),
        "test".into(),
    );
    // Due work only (tonight's reconciliation timer stays armed). WeChat Pay
    // answers PROCESSING; its refund notice follows on a request of its own.
    while w.run_once().await.unwrap() > 0 {}
    let mut b = bill(&t, &tok, ro).await;
    for _ in 0..200 {
        if b["refunds"][0]["state"] != "pending" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        b = bill(&t, &tok, ro).await;
    }
    let r = &b["refunds"][0];
    assert_eq!(r["state"], "succeeded", "{b}");
    assert!(r["provider_refund_ref"].as_str().unwrap().starts_with("50"));
    assert_eq!(b["bill"]["refunded_fen"], 500);
    let v = verdicts(&t, &head).await;
    assert_eq!(
        v.last().map(String::as_str),
        Some("refund_settled"),
        "{v:?}"
    );
    // Running the queue again asks nothing twice.
    assert_eq!(w.run_once().await.unwrap(), 0);
    assert_eq!(verdicts(&t, &head).await.len(), v.len());
}
