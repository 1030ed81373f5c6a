//! Refunds over real HTTP, on SQLite or (with TEST_DATABASE_URL) PostgreSQL: per
//! line with a reason, checked against what was paid and left of each line, up to
//! the approver's limit; at the desk or back through the provider; the overpayment
//! of a double payment given back; audited and on the order's timeline; and the
//! cashier's console form.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::billing::provider::{Callback, SANDBOX, Sandbox};
use domain::role::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::TestApp;

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

async fn pay_at_desk(t: &TestApp, tok: &str, ro: i64) -> i64 {
    let owed = bill(t, tok, ro).await["outstanding_fen"].as_i64().unwrap();
    let r = t
        .client()
        .post(format!("{}/api/v1/repair-orders/{ro}/payments", t.base))
        .bearer_auth(tok)
        .json(&json!({"method": "cash", "amount_fen": owed}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    owed
}

/// Pays the bill online through the sandbox with the provider reference `pref`;
/// returns the payment reference and the amount.
async fn pay_online(t: &TestApp, tok: &str, ro: i64, provider_ref: &str) -> (String, i64) {
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
    let v: Value = r.json().await.unwrap();
    let pref = v["payment_ref"].as_str().unwrap().to_string();
    let amount = v["amount_fen"].as_i64().unwrap();
    notice(t, &pref, provider_ref, amount).await;
    (pref, amount)
}

async fn notice(t: &TestApp, pref: &str, provider_ref: &str, amount: i64) {
    let cb = Callback {
        provider: SANDBOX.into(),
        payment_ref: pref.into(),
        provider_ref: provider_ref.into(),
        amount_fen: amount,
        status: "paid".into(),
    };
    let signed = Sandbox::for_app(&t.app)
        .unwrap()
        .sign(&cb, t.app.now_ms())
        .unwrap();
    let r = t
        .client()
        .post(format!("{}/api/v1/payments/callback", t.base))
        .header("x-aftersales-signature", &signed.signature)
        .body(signed.body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

async fn refund(t: &TestApp, tok: &str, ro: i64, body: Value) -> (StatusCode, Value) {
    let r = t
        .client()
        .post(format!("{}/api/v1/repair-orders/{ro}/refunds", t.base))
        .bearer_auth(tok)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

fn rule(v: &Value) -> (Option<&str>, Option<&str>) {
    let e = &v["errors"][0];
    (e["field"].as_str(), e["rule"].as_str())
}

fn msg(v: &Value) -> String {
    v["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The first line's number and its charge with VAT.
fn first_line(b: &Value) -> (i64, i64) {
    let l = &b["bill"]["lines"][0];
    let net = l["amount_fen"].as_i64().unwrap();
    let vat = b["bill"]["vat_bp"].as_i64().unwrap();
    (
        l["line_no"].as_i64().unwrap(),
        domain::billing::line_gross(net, vat),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_refund_of_one_line_is_credited_audited_and_on_the_timeline() {
    let t = TestApp::spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let (ro, _) = t.delivered_order().await;
    // Nothing paid yet: nothing to give back.
    let b = bill(&t, &tok, ro).await;
    let (no, line) = first_line(&b);
    let one = json!({"lines": [{"line_no": no, "amount_fen": 100}], "method": "cash", "reason": "scratch"});
    let (s, v) = refund(&t, &tok, ro, one.clone()).await;
    assert_eq!(
        (s, rule(&v)),
        (
            StatusCode::CONFLICT,
            (Some("amount_fen"), Some("refund.above_paid"))
        )
    );
    pay_at_desk(&t, &tok, ro).await;
    // Bad input: named field and rule, nothing written.
    let (s, v) = refund(&t, &tok, ro, json!({"lines": [{"line_no": no, "amount_fen": line + 1}], "method": "cash", "reason": "x"})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(
        rule(&v),
        (
            Some(format!("lines[{no}].amount_fen").as_str()),
            Some("refund.above_line")
        )
    );
    assert!(msg(&v).contains(&format!("({line} ")), "{v}");
    let (s, v) = refund(
        &t,
        &tok,
        ro,
        json!({"lines": [{"line_no": 999, "amount_fen": 1}], "method": "cash", "reason": "x"}),
    )
    .await;
    assert_eq!(
        (s, rule(&v).1),
        (StatusCode::CONFLICT, Some("refund.line_unknown"))
    );
    let (s, v) = refund(
        &t,
        &tok,
        ro,
        json!({"lines": [], "method": "cheque", "reason": ""}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["method", "reason"]);
    let (s, v) = refund(
        &t,
        &tok,
        ro,
        json!({"excess_fen": 1, "method": "cash", "reason": "x"}),
    )
    .await;
    assert_eq!(
        (s, rule(&v)),
        (
            StatusCode::CONFLICT,
            (Some("excess_fen"), Some("refund.above_excess"))
        )
    );
    // A bill paid at the desk cannot go back through a provider.
    let (s, v) = refund(
        &t,
        &tok,
        ro,
        json!({"lines": [{"line_no": no, "amount_fen": 100}], "method": "provider", "reason": "x"}),
    )
    .await;
    assert_eq!(
        (s, rule(&v).1),
        (StatusCode::CONFLICT, Some("refund.no_online_payment"))
    );
    assert_eq!(bill(&t, &tok, ro).await["bill"]["refunded_fen"], 0);
    // A technician may not give money back at all.
    let tech = t.token(Role::Technician).await;
    assert_eq!(
        refund(&t, &tech, ro, one.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    // The refund.
    let (s, r) = refund(&t, &tok, ro, one).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(
        (r["state"].as_str(), r["amount_fen"].as_i64()),
        (Some("succeeded"), Some(100))
    );
    let b = bill(&t, &tok, ro).await;
    assert_eq!(b["bill"]["refunded_fen"], 100);
    assert_eq!(b["refunds"][0]["reason"], "scratch");
    // What is left of the line, no more.
    let (s, v) = refund(
        &t,
        &tok,
        ro,
        json!({"lines": [{"line_no": no, "amount_fen": line}], "method": "cash", "reason": "x"}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(msg(&v).contains(&format!("({} ", line - 100)), "{v}");
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let kinds: Vec<String> = sqlx::query_scalar(
        "SELECT kind FROM events WHERE entity = 'repair_order' AND entity_id = $1 AND kind = 'refund_recorded'",
    )
    .bind(ro)
    .fetch_all(&mut *c)
    .await
    .unwrap();
    assert_eq!(kinds.len(), 1);
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'refund' AND reason = 'scratch'",
    )
    .fetch_one(&mut *c)
    .await
    .unwrap();
    assert_eq!(audited, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_above_the_approvers_limit_go_up_to_the_manager_and_head_office() {
    let t = TestApp::spawn_with(app::AppSettings {
        log_codes: false,
        payment_sandbox: Some(app::signing::KeyRing::random()),
        refund_limits: domain::billing::RefundLimits {
            advisor_fen: 1_000,
            station_manager_fen: 5_000,
        },
        ..Default::default()
    })
    .await;
    let advisor = t.token(Role::ServiceAdvisor).await;
    let manager = t.token(Role::StationManager).await;
    let head = t.token(Role::Administrator).await;
    let (ro, _) = t.delivered_order().await;
    pay_online(&t, &advisor, ro, "SBX-LIMIT").await;
    let body = |fen: i64| {
        json!({"full": true, "method": "provider", "reason": "comeback"})
            .as_object()
            .cloned()
            .map(|mut o| {
                if fen > 0 {
                    o.remove("full");
                    o.insert("lines".into(), json!([{"line_no": 1, "amount_fen": fen}]));
                }
                Value::Object(o)
            })
            .unwrap()
    };
    let (s, v) = refund(&t, &advisor, ro, body(1_001)).await;
    assert_eq!(
        (s, rule(&v)),
        (
            StatusCode::CONFLICT,
            (Some("amount_fen"), Some("refund.above_limit"))
        )
    );
    assert!(msg(&v).contains("1000"), "{v}");
    let (s, v) = refund(&t, &manager, ro, body(5_001)).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(msg(&v).contains("5000"), "{v}");
    assert_eq!(bill(&t, &head, ro).await["refunds"], json!([]));
    let (s, r) = refund(&t, &advisor, ro, body(1_000)).await;
    assert_eq!(
        (s, r["method"].as_str(), r["provider"].as_str()),
        (StatusCode::CREATED, Some("provider"), Some("sandbox"))
    );
    // Asked of the provider by a job, outside the request: pending until it ran.
    assert_eq!(r["state"], "pending");
    let w = app::job::worker::Worker::with_client(
        t.app.clone(),
        app::job::handler::Registry::standard(),
        reqwest::Client::new(),
        "test".into(),
    );
    assert!(w.run_once().await.unwrap() >= 1);
    let b = bill(&t, &head, ro).await;
    let r = &b["refunds"][0];
    assert_eq!(r["state"], "succeeded", "{b}");
    assert!(
        r["provider_refund_ref"]
            .as_str()
            .unwrap()
            .starts_with("SBXR-")
    );
    // Head office refunds the rest in full; then nothing is left.
    let (s, r) = refund(&t, &head, ro, body(0)).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let b = bill(&t, &head, ro).await;
    let gross = b["bill"]["gross_fen"].as_i64().unwrap();
    let refunded = b["bill"]["refunded_fen"].as_i64().unwrap();
    assert!(
        refunded <= gross && refunded >= gross - 2,
        "{refunded} of {gross}"
    );
    assert_eq!(refund(&t, &head, ro, body(0)).await.0, StatusCode::CONFLICT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_payment_is_given_back_and_the_bill_reconciled() {
    let t = TestApp::spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let head = t.token(Role::Administrator).await;
    let (ro, _) = t.delivered_order().await;
    let (pref, amount) = pay_online(&t, &tok, ro, "SBX-ONE").await;
    notice(&t, &pref, "SBX-TWO", amount).await;
    let b = bill(&t, &tok, ro).await;
    assert_eq!(
        (
            b["bill"]["refund_fen"].as_i64(),
            b["bill"]["needs_reconciliation"].as_bool()
        ),
        (Some(amount), Some(true))
    );
    let (s, r) = refund(
        &t,
        &head,
        ro,
        json!({"excess_fen": amount, "method": "provider", "reason": "paid twice"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let b = bill(&t, &tok, ro).await;
    assert_eq!(b["bill"]["refund_fen"], 0);
    assert_eq!(b["bill"]["refunded_fen"], 0);
    assert_eq!(b["bill"]["needs_reconciliation"], false);
    assert_eq!(b["bill"]["paid_fen"], amount);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cashier_refunds_one_line_from_the_console_bill_page() {
    let t = TestApp::spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let (ro, _) = t.delivered_order().await;
    pay_at_desk(&t, &tok, ro).await;
    let (no, _) = first_line(&bill(&t, &tok, ro).await);
    let (c, csrf) = t.login("service_advisor").await;
    let url = format!("{}/console/orders/{ro}/bill", t.base);
    let html = c
        .get(&url)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"refund-form\""), "{html}");
    assert!(html.contains("tag active\" id=\"reconciliation\""));
    // Above the line: the page says why, nothing written.
    let r = c
        .post(format!("{url}/refund"))
        .header("accept-language", "en")
        .form(&[
            ("csrf", csrf.as_str()),
            (&format!("line_{no}"), "99999"),
            ("method", "cash"),
            ("reason", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("超过该行可退金额"));
    let r = c
        .post(format!("{url}/refund"))
        .header("accept-language", "en")
        .form(&[
            ("csrf", csrf.as_str()),
            (&format!("line_{no}"), "12.50"),
            ("method", "cash"),
            ("reason", "wiper not fitted"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let html = c
        .get(format!("{url}?refunded=1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"bill-notice\""), "{html}");
    assert!(html.contains("wiper not fitted"));
    let b = bill(&t, &tok, ro).await;
    assert_eq!(b["bill"]["refunded_fen"], 1_250);
}
