//! The nightly reconciliation downloads WeChat Pay's and Alipay's statement files
//! over real HTTP (the sandboxes answering at the test server's own
//! `/sandbox-provider/…` routes: `GET /v3/bill/tradebill` and its download URL,
//! checked by SHA1; `alipay.data.dataservice.bill.downloadurl.query` and its
//! link), on SQLite or (with TEST_DATABASE_URL) PostgreSQL, keeps them, and
//! matches the day against them: a paid bill of each provider matched, money the
//! provider took that we never recorded missing; the download link of another day
//! or token is not found; the page shows the day, and its CSV and XLSX exports.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::billing::alipay::{ALIPAY, Alipay};
use app::billing::wechat::{WECHAT, WechatPay};
use domain::role::Role;
use serde_json::{Value, json};
use testkit::TestApp;

const DAY: &str = "2026-11-24";

async fn spawn() -> TestApp {
    TestApp::spawn_with(app::AppSettings {
        log_codes: false,
        wechat: Some(WechatPay::sandbox()),
        alipay: Some(Alipay::sandbox()),
        ..Default::default()
    })
    .await
}

/// A delivered order of `vehicle` with its bill paid at `provider`'s sandbox
/// checkout (`tok`: head office, which reaches both stations); the order.
async fn paid_order(t: &TestApp, tok: &str, provider: &str, vehicle: i64) -> i64 {
    let ro = t.delivered_order_of(vehicle).await;
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
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{v}");
    // The pay link came from the provider's order API (the sandbox's cashier).
    let url = v["pay_url"].as_str().unwrap().to_string();
    assert_eq!(
        url,
        format!("/sandbox-pay/{}", v["payment_ref"].as_str().unwrap())
    );
    let r = t
        .client()
        .post(format!("{}{url}", t.base))
        .form(&[("outcome", "pay")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    ro
}

async fn run_nightly(t: &TestApp) {
    app::billing::nightly::ensure(&t.app).await.unwrap();
    let w = app::job::worker::Worker::with_client(
        t.app.clone(),
        app::job::handler::Registry::standard(),
        reqwest::Client::new(),
        "test".into(),
    );
    while w.run_once().await.unwrap() > 0 {}
    // 2026-11-25 02:00 Shanghai: the night's run for the 24th.
    t.clock
        .set("2026-11-24T18:01:00Z".parse::<jiff::Timestamp>().unwrap());
    assert!(w.run_once().await.unwrap() >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_night_downloads_both_statements_over_http_and_matches_the_day() {
    let t = spawn().await;
    let tok = t.token(Role::Administrator).await;
    paid_order(&t, &tok, WECHAT, t.fx.vehicle_a).await;
    paid_order(&t, &tok, ALIPAY, t.fx.vehicle_b).await;
    // WeChat Pay took money for an order of ours it never told us about.
    {
        let mut c = t.app.db.pool.acquire().await.unwrap();
        store::billing::sandbox::insert_for(
            &mut c,
            WECHAT,
            "payment",
            &store::billing::sandbox::SandboxTransaction {
                payment_ref: "nosuchorder".into(),
                provider_ref: "4200000000202611249999999999".into(),
                amount_fen: 1234,
                status: "paid".into(),
                at: t.app.now_ms(),
            },
        )
        .await
        .unwrap();
    }
    run_nightly(&t).await;
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let files: Vec<(String, i64, String)> = sqlx::query_as(
        "SELECT provider, line_count, raw_text FROM provider_statements WHERE day = $1 ORDER BY provider",
    )
    .bind(DAY)
    .fetch_all(&mut *c)
    .await
    .unwrap();
    assert_eq!(files.len(), 2, "{files:?}");
    assert_eq!((files[0].0.as_str(), files[0].1), (ALIPAY, 1));
    assert!(files[0].2.contains("#支付宝业务明细查询"), "{}", files[0].2);
    assert_eq!((files[1].0.as_str(), files[1].1), (WECHAT, 2));
    assert!(files[1].2.starts_with("交易时间,"), "{}", files[1].2);
    assert!(files[1].2.contains("`4200000000202611249999999999"));
    let runs: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT provider, matched, amount_mismatch, missing, extra FROM reconciliation_runs WHERE day = $1 ORDER BY provider",
    )
    .bind(DAY)
    .fetch_all(&mut *c)
    .await
    .unwrap();
    assert_eq!(
        runs,
        [
            (ALIPAY.to_string(), 1, 0, 0, 0),
            (WECHAT.to_string(), 1, 0, 1, 0)
        ]
    );
    drop(c);
    // The page and its exports read the downloaded files.
    let (head, _) = t.login("administrator").await;
    let r = head
        .get(format!("{}/console/reconciliation?day={DAY}", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("4200000000202611249999999999"), "{html}");
    let csv = head
        .get(format!("{}/console/reconciliation.csv?day={DAY}", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 4, "{csv}");
    let xlsx = head
        .get(format!("{}/console/reconciliation.xlsx?day={DAY}", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), 200);
    assert_eq!(&xlsx.bytes().await.unwrap()[..2], b"PK");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statement_links_need_their_token_and_a_quiet_day_has_no_file() {
    let t = spawn().await;
    let http = reqwest::Client::new();
    let day: jiff::civil::Date = DAY.parse().unwrap();
    let now = t.app.now_ms();
    // Nothing taken yet: neither provider has a statement for the day.
    let w = t.app.settings.wechat.clone().unwrap();
    let a = t.app.settings.alipay.clone().unwrap();
    assert_eq!(w.trade_bill(&http, day, now).await.unwrap(), None);
    assert_eq!(a.trade_bill(&http, day, now).await.unwrap(), None);
    let tok = t.token(Role::Administrator).await;
    paid_order(&t, &tok, ALIPAY, t.fx.vehicle_a).await;
    let file = a.trade_bill(&http, day, now).await.unwrap().unwrap();
    assert_eq!(
        domain::billing::statement::read_alipay(&file)
            .unwrap()
            .len(),
        1
    );
    // The download link without its token, or with another day's, is not found.
    for q in [
        format!("day={DAY}&token=00"),
        "day=2026-11-23&token=00".to_string(),
    ] {
        let r = http
            .get(format!("{}/sandbox-provider/alipay/bill?{q}", t.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{q}");
    }
    // WeChat Pay's file URL needs our merchant's signed request.
    let r = http
        .get(format!(
            "{}/sandbox-provider/wechat/v3/billdownload/file?token={DAY}",
            t.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}
