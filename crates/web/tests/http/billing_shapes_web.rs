//! The shape of a provider order follows the payer's device (issue 22, provider
//! adapters with the real shapes): on the owner's page, Alipay opens its phone
//! cashier (`alipay.trade.wap.pay`) for a phone browser and its computer cashier
//! (`alipay.trade.page.pay`) for a computer, both as a signed gateway link the
//! browser follows, which the sandbox checks and answers with its checkout; a
//! start from the desk gets a QR order (`precreate`). WeChat Pay's JSAPI order
//! (inside WeChat's browser, for the payer's openid) is opened over HTTP and
//! answered with a `prepay_id`, and the JS bridge's parameters are signed. On
//! SQLite, or PostgreSQL with TEST_DATABASE_URL.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::billing::alipay::{ALIPAY, Alipay};
use app::billing::wechat::{WECHAT, WechatPay};
use app::billing::wechat_api::JsapiOrder;
use domain::role::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::TestApp;

const ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; V2307A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36";
const DESKTOP: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";

async fn spawn() -> TestApp {
    TestApp::spawn_with(app::AppSettings {
        log_codes: false,
        wechat: Some(WechatPay::sandbox()),
        alipay: Some(Alipay::sandbox()),
        ..Default::default()
    })
    .await
}

/// A browser on `device` that keeps cookies and does not follow redirects.
fn browser(user_agent: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .user_agent(user_agent)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn hidden(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no hidden {name} in {html}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_string()
}

fn location(r: &reqwest::Response) -> String {
    r.headers()[reqwest::header::LOCATION]
        .to_str()
        .unwrap()
        .to_string()
}

/// The query parameters of a link.
fn params(link: &str) -> Vec<(String, String)> {
    let q = link.split_once('?').unwrap().1;
    serde_urlencoded::from_str(q).unwrap()
}

fn param<'a>(ps: &'a [(String, String)], k: &str) -> &'a str {
    ps.iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// The owner presses "Alipay" on the order page from `user_agent`: where the
/// browser is sent (the gateway link).
async fn owner_picks_alipay(t: &TestApp, c: &reqwest::Client, token: &str) -> String {
    let page = format!("{}/owner/track/{token}", t.base);
    let html = c.get(&page).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"pay-alipay\""), "{html}");
    assert!(html.contains("id=\"pay-wechat\""), "{html}");
    let csrf = hidden(&html, "csrf");
    let r = c
        .post(format!("{page}/pay"))
        .form(&[("csrf", csrf.as_str()), ("provider", ALIPAY)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    location(&r)
}

async fn opened_at_alipay(t: &TestApp, pref: &str) -> usize {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sandbox_transactions WHERE provider = 'alipay' AND kind = 'open' AND payment_ref = $1",
    )
    .bind(pref)
    .fetch_one(&mut *c)
    .await
    .unwrap();
    usize::try_from(n).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_gets_alipays_phone_cashier_and_comes_back_paid() {
    let t = spawn().await;
    let (ro, token) = t.delivered_order().await;
    let c = browser(ANDROID);
    let link = owner_picks_alipay(&t, &c, &token).await;
    assert!(
        link.starts_with("/sandbox-provider/alipay/gateway.do?"),
        "{link}"
    );
    let ps = params(&link);
    assert_eq!(param(&ps, "method"), "alipay.trade.wap.pay");
    let biz: Value = serde_json::from_str(param(&ps, "biz_content")).unwrap();
    assert_eq!(biz["product_code"], "QUICK_WAP_WAY");
    assert_eq!(biz["total_amount"], "463.30");
    assert!(!biz["time_expire"].as_str().unwrap().is_empty());
    assert!(param(&ps, "notify_url").ends_with("/api/v1/payments/notify/alipay"));
    assert!(
        param(&ps, "return_url").ends_with(&format!("/owner/track/{token}")),
        "{ps:?}"
    );
    let pref = biz["out_trade_no"].as_str().unwrap().to_string();

    // A link whose amount was changed on the way is refused: the signature covers it.
    let forged = link.replace("463.30", "0.01");
    let r = c.get(format!("{}{forged}", t.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(opened_at_alipay(&t, &pref).await, 0);

    // Alipay's cashier (the sandbox) opens the trade and shows its checkout.
    let r = c.get(format!("{}{link}", t.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let checkout = location(&r);
    assert_eq!(
        checkout,
        format!("/sandbox-pay/{pref}?return=/owner/track/{token}")
    );
    assert_eq!(opened_at_alipay(&t, &pref).await, 1);
    let r = c
        .post(format!("{}/sandbox-pay/{pref}", t.base))
        .form(&[
            ("outcome", "pay"),
            ("return", &format!("/owner/track/{token}")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("/owner/track/{token}"));
    let tok = t.token(Role::ServiceAdvisor).await;
    let b: Value = t
        .client()
        .get(format!("{}/api/v1/repair-orders/{ro}/bill", t.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(b["bill"]["state"], "paid", "{b}");
    assert_eq!(b["payments"][0]["provider"], ALIPAY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_computer_gets_the_page_cashier_and_the_desk_a_qr_code() {
    let t = spawn().await;
    let (ro, token) = t.delivered_order().await;
    let link = owner_picks_alipay(&t, &browser(DESKTOP), &token).await;
    let ps = params(&link);
    assert_eq!(param(&ps, "method"), "alipay.trade.page.pay");
    let biz: Value = serde_json::from_str(param(&ps, "biz_content")).unwrap();
    assert_eq!(biz["product_code"], "FAST_INSTANT_TRADE_PAY");
    // From the desk: the same open order, now as a QR code (precreate), which
    // the sandbox answers with its checkout.
    let tok = t.token(Role::ServiceAdvisor).await;
    let r = t
        .client()
        .post(format!(
            "{}/api/v1/repair-orders/{ro}/payments/online",
            t.base
        ))
        .bearer_auth(&tok)
        .json(&json!({ "provider": ALIPAY }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["payment_ref"], biz["out_trade_no"]);
    assert_eq!(
        v["pay_url"],
        format!("/sandbox-pay/{}", v["payment_ref"].as_str().unwrap())
    );
    assert_eq!(
        opened_at_alipay(&t, v["payment_ref"].as_str().unwrap()).await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jsapi_order_is_opened_over_http_for_the_payers_openid() {
    let t = spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let (ro, _) = t.delivered_order().await;
    let r = t
        .client()
        .post(format!(
            "{}/api/v1/repair-orders/{ro}/payments/online",
            t.base
        ))
        .bearer_auth(&tok)
        .json(&json!({ "provider": WECHAT }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    let pref = v["payment_ref"].as_str().unwrap();
    let w = t.app.settings.wechat.as_ref().unwrap();
    let now = t.app.now_ms();
    let order = JsapiOrder {
        order_no: pref,
        description: "Service bill",
        amount_fen: 46_330,
        expire_ms: now + 30 * 60_000,
        openid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
    };
    let pay = w.open_jsapi(&order, now).await.unwrap();
    assert!(pay.package.starts_with("prepay_id=wx"), "{pay:?}");
    assert_eq!(pay.app_id, w.app_id);
    assert_eq!(pay.sign_type, "RSA");
    assert!(pay.pay_sign.len() > 300, "an RSA-2048 signature in base64");
    // Asked again with the same terms: the same prepay id, a fresh signature.
    let again = w.open_jsapi(&order, now + 1_000).await.unwrap();
    assert_eq!(again.package, pay.package);
    assert_ne!(again.nonce_str, pay.nonce_str);
    // Another amount, or no payer: WeChat Pay refuses.
    let wrong = JsapiOrder {
        amount_fen: 1,
        ..order
    };
    assert!(w.open_jsapi(&wrong, now).await.is_err());
    let nobody = JsapiOrder {
        openid: "",
        ..order
    };
    assert!(w.open_jsapi(&nobody, now).await.is_err());
    let json = serde_json::to_value(&pay).unwrap();
    for k in [
        "appId",
        "timeStamp",
        "nonceStr",
        "package",
        "signType",
        "paySign",
    ] {
        assert!(json.get(k).is_some(), "{k} in {json}");
    }
}
