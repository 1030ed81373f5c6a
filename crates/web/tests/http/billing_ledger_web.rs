//! The money-safety findings of issue 22 over real HTTP, on SQLite or (with
//! TEST_DATABASE_URL) PostgreSQL: one open provider order per bill under
//! simultaneous starts, every provider notice kept in the payment-notice ledger
//! with its verdict (and listed by scope), and a paid notice after a failure kept
//! as `paid_late` with the bill flagged for reconciliation.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::billing::provider::{Callback, SANDBOX, Sandbox};
use domain::role::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::TestApp;

async fn delivered_order(t: &TestApp) -> (i64, String) {
    t.delivered_order().await
}

async fn start(t: &TestApp, tok: &str, ro: i64) -> (StatusCode, Value) {
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
    (r.status(), r.json().await.unwrap())
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

async fn post_callback(t: &TestApp, signature: Option<&str>, body: &str) -> StatusCode {
    let mut req = t
        .client()
        .post(format!("{}/api/v1/payments/callback", t.base))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(s) = signature {
        req = req.header("x-aftersales-signature", s);
    }
    req.send().await.unwrap().status()
}

async fn notices(t: &TestApp, tok: &str, query: &str) -> (StatusCode, Value) {
    let r = t
        .client()
        .get(format!("{}/api/v1/payment-notices{query}", t.base))
        .bearer_auth(tok)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

fn verdicts(page: &Value) -> Vec<String> {
    page["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["verdict"].as_str().unwrap().to_string())
        .collect()
}

fn cb(payment_ref: &str, provider_ref: &str, amount: i64, status: &str) -> Callback {
    Callback {
        provider: SANDBOX.into(),
        payment_ref: payment_ref.into(),
        provider_ref: provider_ref.into(),
        amount_fen: amount,
        status: status.into(),
    }
}

/// Finding 3: ten simultaneous starts for one bill leave exactly one open provider
/// order, and every start is told the same pay URL; the database itself refuses a
/// second pending online payment.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_simultaneous_starts_leave_one_open_provider_order() {
    let t = TestApp::spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let (ro, _) = delivered_order(&t).await;
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (c, url, tok) = (
            t.client(),
            format!("{}/api/v1/repair-orders/{ro}/payments/online", t.base),
            tok.clone(),
        );
        set.spawn(async move {
            let r = c
                .post(url)
                .bearer_auth(tok)
                .json(&json!({"provider": "sandbox"}))
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        });
    }
    let answers = set.join_all().await;
    let first = answers[0].1["payment_ref"].as_str().unwrap().to_string();
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::CREATED, "{body}");
        assert_eq!(body["payment_ref"], first.as_str());
        assert_eq!(body["amount_fen"], 46_330);
    }
    let b = bill(&t, &tok, ro).await;
    let pending: Vec<&Value> = b["payments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["state"] == "pending")
        .collect();
    assert_eq!(pending.len(), 1, "{b}");
    assert_eq!(b["payments"].as_array().unwrap().len(), 1);

    // The schema keeps the rule even against a writer that forgets it.
    let mut tx = t.app.db.begin().await.unwrap();
    let second = store::billing::NewPayment {
        bill_id: b["bill"]["id"].as_i64().unwrap(),
        payment_ref: "x".repeat(43),
        method: "online".into(),
        provider: Some(SANDBOX.into()),
        reference: None,
        amount_fen: 46_330,
        state: "pending".into(),
        created_by_role: "administrator".into(),
        created_by_id: 1,
    };
    let e = store::billing::insert_payment(&mut tx, &second, t.app.now_ms())
        .await
        .unwrap_err();
    assert!(matches!(e, store::StoreError::Duplicate(_)), "{e:?}");
}

/// Finding 5: every notice is kept with its verdict, refused ones included, and the
/// refusals answer as before. Head office lists them all; a station only those of
/// its own bills; a bad filter is a 422 naming it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_notice_is_kept_in_the_ledger_with_its_verdict() {
    let t = TestApp::spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let head = t.token(Role::Administrator).await;
    let (ro, _) = delivered_order(&t).await;
    let (_, online) = start(&t, &tok, ro).await;
    let pref = online["payment_ref"].as_str().unwrap().to_string();
    let sandbox = Sandbox::for_app(&t.app).unwrap();
    let now = t.app.now_ms();
    let forged = Sandbox::new(app::signing::KeyRing::random())
        .sign(&cb(&pref, "SBX-F", 46_330, "paid"), now)
        .unwrap();
    let stale = sandbox
        .sign(&cb(&pref, "SBX-S", 46_330, "paid"), now - 10 * 60_000)
        .unwrap();
    let short = sandbox.sign(&cb(&pref, "SBX-A", 1, "paid"), now).unwrap();
    let unknown = sandbox
        .sign(&cb(&"u".repeat(43), "SBX-U", 1, "paid"), now)
        .unwrap();
    let good = sandbox
        .sign(&cb(&pref, "SBX-GOOD", 46_330, "paid"), now)
        .unwrap();
    let sent = [
        (Some(forged.signature.as_str()), &forged.body, 401),
        (None, &forged.body, 401),
        (Some(stale.signature.as_str()), &stale.body, 401),
        (Some(short.signature.as_str()), &short.body, 409),
        (Some(unknown.signature.as_str()), &unknown.body, 404),
        (Some(good.signature.as_str()), &good.body, 200),
        (Some(good.signature.as_str()), &good.body, 200),
    ];
    for (sig, body, status) in sent {
        assert_eq!(
            post_callback(&t, sig, body).await.as_u16(),
            status,
            "{body}"
        );
    }
    let (s, all) = notices(&t, &head, "").await;
    assert_eq!(s, 200, "{all}");
    assert_eq!(
        verdicts(&all),
        [
            "duplicate",
            "applied",
            "unknown_payment",
            "amount_mismatch",
            "signature_stale",
            "signature_invalid",
            "signature_invalid",
        ]
    );
    let newest = &all["notices"][0];
    assert_eq!(newest["raw_body"], good.body.as_str());
    assert_eq!(newest["signature"], good.signature.as_str());
    assert_eq!(newest["payment_ref"], pref.as_str());
    assert!(newest["client_addr"].is_string(), "{newest}");
    assert!(all["notices"][6]["signature"].is_string());
    assert!(
        all["notices"][5]["signature"].is_null(),
        "unsigned kept as such"
    );
    assert_eq!(all["more"], false);

    let bill_id = bill(&t, &tok, ro).await["bill"]["id"].as_i64().unwrap();
    let (_, own) = notices(&t, &tok, "").await;
    assert_eq!(verdicts(&own).len(), 6, "a station never sees unknown ones");
    assert!(!verdicts(&own).contains(&"unknown_payment".to_string()));
    let (_, by_bill) = notices(
        &t,
        &head,
        &format!("?bill_id={bill_id}&verdict=signature_invalid"),
    )
    .await;
    assert_eq!(
        verdicts(&by_bill),
        ["signature_invalid", "signature_invalid"]
    );
    let (s, doc) = notices(&t, &head, "?verdict=bogus").await;
    assert_eq!(
        (s, doc["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("verdict"))
    );
    assert_eq!(doc["errors"][0]["rule"], "payment.verdict");
    let (s, doc) = notices(&t, &head, "?page=0").await;
    assert_eq!(
        (s, doc["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("page"))
    );
    let (s, _) = notices(&t, &t.token(Role::TechnicalExpert).await, "").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Listing changed nothing: the same rows again.
    assert_eq!(notices(&t, &head, "").await.1, all);
}

/// Finding 4: a paid notice after a failed one is real money: kept as `paid_late`
/// (200, so the provider stops retrying), the bill paid but never above its total,
/// flagged for reconciliation, and the timeline says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_notice_after_a_failed_one_is_kept_and_flagged() {
    let t = TestApp::spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let head = t.token(Role::Administrator).await;
    let (ro, _) = delivered_order(&t).await;
    let (_, online) = start(&t, &tok, ro).await;
    let pref = online["payment_ref"].as_str().unwrap().to_string();
    let sandbox = Sandbox::for_app(&t.app).unwrap();
    let now = t.app.now_ms();
    let failed = sandbox
        .sign(&cb(&pref, "SBX-FAIL", 46_330, "failed"), now)
        .unwrap();
    assert_eq!(
        post_callback(&t, Some(&failed.signature), &failed.body).await,
        200
    );
    let paid = sandbox
        .sign(&cb(&pref, "SBX-LATE", 46_330, "paid"), now)
        .unwrap();
    let r = t
        .client()
        .post(format!("{}/api/v1/payments/callback", t.base))
        .header("x-aftersales-signature", &paid.signature)
        .body(paid.body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let out: Value = r.json().await.unwrap();
    assert_eq!(
        (out["state"].as_str(), out["changed"].as_bool()),
        (Some("paid_late"), Some(true))
    );
    let b = bill(&t, &tok, ro).await;
    assert_eq!(b["bill"]["state"], "paid");
    assert_eq!(b["bill"]["paid_fen"], 46_330);
    assert_eq!(b["bill"]["needs_reconciliation"], true);
    assert_eq!(b["bill"]["refund_fen"], 0);
    assert_eq!(b["payments"][0]["state"], "paid_late");
    assert_eq!(b["payments"][0]["provider_ref"], "SBX-LATE");
    // Repeated: a duplicate, nothing raised twice.
    assert_eq!(
        post_callback(&t, Some(&paid.signature), &paid.body).await,
        200
    );
    let b = bill(&t, &tok, ro).await;
    assert_eq!(b["bill"]["paid_fen"], 46_330);
    assert_eq!(b["bill"]["refund_fen"], 0);
    let (_, all) = notices(&t, &head, "").await;
    assert_eq!(verdicts(&all), ["duplicate", "paid_late", "applied"]);
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
        ["payment_started", "payment_failed", "payment_paid_late"]
    );
}

/// Two paid notices with different provider references for one order (the payer
/// was charged twice), sent at the same time: one pays the bill, the other is kept
/// as a `paid_late` payment whose amount is a refund to make; repeats of either
/// are duplicates. Every notice has its ledger row, and the money the payments
/// hold equals what the bill says it holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_paid_notice_with_another_reference_is_a_refund_to_make() {
    let t = TestApp::spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let head = t.token(Role::Administrator).await;
    let (ro, _) = delivered_order(&t).await;
    let (_, online) = start(&t, &tok, ro).await;
    let pref = online["payment_ref"].as_str().unwrap().to_string();
    let amount = online["amount_fen"].as_i64().unwrap();
    let sandbox = Sandbox::for_app(&t.app).unwrap();
    let now = t.app.now_ms();
    let a = sandbox
        .sign(&cb(&pref, "SBX-A", amount, "paid"), now)
        .unwrap();
    let b2 = sandbox
        .sign(&cb(&pref, "SBX-B", amount, "paid"), now)
        .unwrap();
    let (ra, rb) = tokio::join!(
        post_callback(&t, Some(&a.signature), &a.body),
        post_callback(&t, Some(&b2.signature), &b2.body)
    );
    assert_eq!((ra, rb), (StatusCode::OK, StatusCode::OK));
    // Late repeats of both.
    assert_eq!(post_callback(&t, Some(&a.signature), &a.body).await, 200);
    assert_eq!(post_callback(&t, Some(&b2.signature), &b2.body).await, 200);
    let b = bill(&t, &tok, ro).await;
    assert_eq!(b["bill"]["state"], "paid");
    assert_eq!(b["bill"]["paid_fen"], amount);
    assert_eq!(b["bill"]["refund_fen"], amount);
    assert_eq!(b["bill"]["needs_reconciliation"], true);
    let states: Vec<&str> = b["payments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["paid", "paid_late"]);
    let held: i64 = b["payments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["amount_fen"].as_i64().unwrap())
        .sum();
    assert_eq!(held, amount * 2);
    let (_, all) = notices(&t, &head, "").await;
    let mut v = verdicts(&all);
    v.sort();
    assert_eq!(v, ["applied", "duplicate", "duplicate", "paid_late"]);
    // The console page of the bill tells the cashier.
    let (c, _) = t.login("service_advisor").await;
    let page = c
        .get(format!("{}/console/orders/{ro}/bill", t.base))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("tag suspended\" id=\"reconciliation\""),
        "{html}"
    );
    assert!(html.contains(&format!("{}.{:02}", amount / 100, amount % 100)));
}

/// Finding 5, the console: the cashier's ledger page lists the notices with the
/// verdict as a status tag, filters by verdict, shows the empty state, and is
/// linked from the navigation only for roles that read bills.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_ledger_page_lists_and_filters_notices() {
    let t = TestApp::spawn().await;
    let (c, _) = t.login("service_advisor").await;
    let get = |c: &reqwest::Client, path: &str| {
        let (c, url) = (c.clone(), format!("{}{path}", t.base));
        async move {
            let r = c
                .get(url)
                .header("accept-language", "en")
                .send()
                .await
                .unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let (s, html) = get(&c, "/console/payment-notices").await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("id=\"no-notices\""), "empty state");
    assert!(
        html.contains("href=\"/console/payment-notices\""),
        "in the nav"
    );
    let tok = t.token(Role::ServiceAdvisor).await;
    let (ro, _) = delivered_order(&t).await;
    let (_, online) = start(&t, &tok, ro).await;
    let pref = online["payment_ref"].as_str().unwrap();
    let sandbox = Sandbox::for_app(&t.app).unwrap();
    let good = sandbox
        .sign(&cb(pref, "SBX-C", 46_330, "paid"), t.app.now_ms())
        .unwrap();
    assert_eq!(
        post_callback(&t, Some(&good.signature), &good.body).await,
        200
    );
    assert_eq!(post_callback(&t, Some("t=1,v1=00"), &good.body).await, 401);
    let (_, html) = get(&c, "/console/payment-notices").await;
    assert!(html.contains("data-verdict=\"applied\""), "{html}");
    assert!(html.contains("data-verdict=\"signature_invalid\""));
    assert!(html.contains("class=\"tag active\""));
    assert!(!html.contains("id=\"no-notices\""));
    let (_, html) = get(&c, "/console/payment-notices?verdict=applied").await;
    assert!(html.contains("data-verdict=\"applied\""));
    assert!(!html.contains("data-verdict=\"signature_invalid\""));
    let (expert, _) = t.login("technical_expert").await;
    let (_, html) = get(&expert, "/console").await;
    assert!(
        !html.contains("/console/payment-notices"),
        "no link without BillingRead"
    );
}

/// Finding 7: an owner link keeps working while the order is unpaid, and expires
/// `owner_link_days_after_payment` (7) days after delivery and payment, answering
/// like an unknown link: 404 on the API, the owner page (zh-CN by default) saying the link is no longer
/// valid and pointing to sign-in at /owner.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_links_expire_a_week_after_delivery_and_payment() {
    let t = TestApp::spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let (ro, link) = delivered_order(&t).await;
    let c = t.client();
    let status = |path: String| {
        let (c, url) = (c.clone(), format!("{}{path}", t.base));
        async move {
            let r = c
                .get(url)
                .header("accept-language", "en")
                .send()
                .await
                .unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let bill_path = format!("/api/v1/owner-links/{link}/bill");
    let page_path = format!("/owner/track/{link}");
    t.clock.advance_ms(30 * 86_400_000);
    assert_eq!(status(bill_path.clone()).await.0, 200, "unpaid: still open");
    let r = c
        .post(format!("{}/api/v1/repair-orders/{ro}/payments", t.base))
        .bearer_auth(&tok)
        .json(&json!({"method": "cash", "amount_fen": 46_330}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    t.clock.advance_ms(7 * 86_400_000 - 60_000);
    assert_eq!(status(bill_path.clone()).await.0, 200, "within the week");
    assert_eq!(status(page_path.clone()).await.0, 200);
    t.clock.advance_ms(60_000);
    let (s, body) = status(bill_path).await;
    assert_eq!(s, 404, "{body}");
    assert_eq!(status(format!("/api/v1/track/{link}")).await.0, 404);
    let (s, html) = status(page_path).await;
    assert_eq!(s, 404);
    assert!(
        html.contains("链接无效或已过期") && html.contains("/owner"),
        "{html}"
    );
    let r = c
        .post(format!(
            "{}/api/v1/owner-links/{link}/payments/online",
            t.base
        ))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // An unknown link reads the same.
    let (s, html) = status(format!("/owner/track/{}", "z".repeat(43))).await;
    assert_eq!(s, 404);
    assert!(html.contains("链接无效或已过期"));
}
