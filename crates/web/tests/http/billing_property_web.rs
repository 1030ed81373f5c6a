//! The bill's property through the whole stack, on SQLite or (with
//! TEST_DATABASE_URL) PostgreSQL: for any sequence of online starts (WeChat Pay,
//! Alipay), provider notices (in any order, paid or failed, repeated, late, for
//! closed or cancelled orders, reusing another payment's reference), desk
//! payments, line refunds and expiries (the query and close over HTTP), the bill
//! never holds more than its total as paid, every posted notice has its ledger
//! row, and the bill's money equals what its payments and refunds add up to.
//! The domain's model of the same rules is `domain::billing::tests`; this one runs
//! the real use cases, routes and database.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::billing::alipay::{ALIPAY, Alipay};
use app::billing::wechat::{WECHAT, WechatPay};
use domain::role::Role;
use proptest::prelude::*;
use serde_json::{Value, json};
use testkit::TestApp;

#[derive(Debug, Clone)]
enum Op {
    Start {
        wechat: bool,
    },
    Notice {
        pick: usize,
        paid: bool,
        r: u8,
        twice: bool,
    },
    Desk,
    Refund {
        amount: i64,
    },
    Expire,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => any::<bool>().prop_map(|wechat| Op::Start { wechat }),
        5 => (any::<usize>(), any::<bool>(), 0u8..4, any::<bool>())
            .prop_map(|(pick, paid, r, twice)| Op::Notice { pick, paid, r, twice }),
        1 => Just(Op::Desk),
        1 => (1i64..3_000).prop_map(|amount| Op::Refund { amount }),
        1 => Just(Op::Expire),
    ]
}

struct Run {
    t: TestApp,
    tok: String,
    ro: i64,
    /// The online orders started: reference, provider, amount.
    orders: Vec<(String, &'static str, i64)>,
    posted: i64,
}

impl Run {
    async fn bill(&self) -> Value {
        let r = self
            .t
            .client()
            .get(format!(
                "{}/api/v1/repair-orders/{}/bill",
                self.t.base, self.ro
            ))
            .bearer_auth(&self.tok)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    async fn post(&self, path: &str, body: Value) -> reqwest::StatusCode {
        self.t
            .client()
            .post(format!(
                "{}/api/v1/repair-orders/{}/{path}",
                self.t.base, self.ro
            ))
            .bearer_auth(&self.tok)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status()
    }

    async fn notice(&mut self, pick: usize, paid: bool, r: u8) {
        let Some((pref, provider, amount)) =
            self.orders.get(pick % self.orders.len().max(1)).cloned()
        else {
            return;
        };
        let now = self.t.app.now_ms();
        // Provider references are few, so some name another payment's money.
        let n = if provider == WECHAT {
            let w = self.t.app.settings.wechat.clone().unwrap();
            let tx = w.sandbox_transaction(
                &pref,
                &format!("42000000000000000000000000{r:02}"),
                amount,
                paid,
            );
            let event = if paid {
                "TRANSACTION.SUCCESS"
            } else {
                "TRANSACTION.PAYERROR"
            };
            w.sandbox_notice(event, &tx, now).unwrap()
        } else {
            let a = self.t.app.settings.alipay.clone().unwrap();
            a.sandbox_notice(
                &pref,
                &format!("202611240000000000000000{r:02}"),
                amount,
                paid,
                now,
            )
            .unwrap()
        };
        let mut req = self
            .t
            .client()
            .post(format!("{}{}", self.t.base, n.path))
            .header("content-type", n.content_type);
        for (k, v) in &n.headers {
            req = req.header(*k, v);
        }
        let s = req.body(n.body.clone()).send().await.unwrap().status();
        // Accepted, or refused with a reason; never a server error.
        assert!(s.as_u16() < 500, "notice answered {s}");
        self.posted += 1;
    }

    async fn apply(&mut self, op: &Op) {
        match *op {
            Op::Start { wechat } => {
                let provider = if wechat { WECHAT } else { ALIPAY };
                let r = self
                    .t
                    .client()
                    .post(format!(
                        "{}/api/v1/repair-orders/{}/payments/online",
                        self.t.base, self.ro
                    ))
                    .bearer_auth(&self.tok)
                    .json(&json!({ "provider": provider }))
                    .send()
                    .await
                    .unwrap();
                if r.status() == 201 {
                    let v: Value = r.json().await.unwrap();
                    self.orders.push((
                        v["payment_ref"].as_str().unwrap().to_string(),
                        provider,
                        v["amount_fen"].as_i64().unwrap(),
                    ));
                }
            }
            Op::Notice {
                pick,
                paid,
                r,
                twice,
            } => {
                self.notice(pick, paid, r).await;
                if twice {
                    self.notice(pick, paid, r).await;
                }
            }
            Op::Desk => {
                let owed = self.bill().await["outstanding_fen"].as_i64().unwrap();
                if owed > 0 {
                    let s = self
                        .post("payments", json!({"method": "cash", "amount_fen": owed}))
                        .await;
                    assert_eq!(s, 201);
                }
            }
            Op::Refund { amount } => {
                let b = self.bill().await;
                let no = b["bill"]["lines"][0]["line_no"].as_i64().unwrap();
                let s = self
                    .post(
                        "refunds",
                        json!({"lines": [{"line_no": no, "amount_fen": amount}], "method": "cash", "reason": "scratch"}),
                    )
                    .await;
                assert!(s.as_u16() < 500, "refund answered {s}");
            }
            Op::Expire => {
                self.t.clock.advance_ms(31 * 60_000);
                let w = app::job::worker::Worker::with_client(
                    self.t.app.clone(),
                    app::job::handler::Registry::standard(),
                    reqwest::Client::new(),
                    "test".into(),
                );
                w.run_once().await.unwrap();
            }
        }
    }

    async fn check(&self) {
        let b = self.bill().await;
        let bill = &b["bill"];
        let i = |v: &Value| v.as_i64().unwrap();
        assert!(i(&bill["paid_fen"]) <= i(&bill["gross_fen"]), "{b}");
        let mut c = self.t.app.db.pool.acquire().await.unwrap();
        let kept: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM payment_notices WHERE client_addr IS NULL OR client_addr NOT IN ('query', 'refund', 'sandbox')",
        )
        .fetch_one(&mut *c)
        .await
        .unwrap();
        assert_eq!(kept, self.posted, "every posted notice has its ledger row");
        let received: i64 = b["payments"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["state"] == "paid" || p["state"] == "paid_late")
            .map(|p| i(&p["amount_fen"]))
            .sum();
        let g = testkit::head_office(domain::permission::Action::BillingRead);
        let refunded: i64 = app::billing::refund::refunds(&self.t.app, &g, self.ro)
            .await
            .unwrap()
            .iter()
            .filter(|r| r.state != "failed")
            .map(|r| r.amount_fen)
            .sum();
        let holding = i(&bill["paid_fen"]) + i(&bill["refund_fen"]) - i(&bill["refunded_fen"]);
        assert_eq!(holding, received - refunded, "{b}");
        assert!(
            b["payments"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["state"] == "pending")
                .count()
                <= 1,
            "one open provider order: {b}"
        );
    }
}

async fn run(ops: Vec<Op>) {
    let t = TestApp::spawn_with(app::AppSettings {
        log_codes: false,
        wechat: Some(WechatPay::sandbox()),
        alipay: Some(Alipay::sandbox()),
        ..Default::default()
    })
    .await;
    let tok = t.token(Role::Administrator).await;
    let (ro, _) = t.delivered_order().await;
    let mut r = Run {
        t,
        tok,
        ro,
        orders: Vec::new(),
        posted: 0,
    };
    for op in &ops {
        r.apply(op).await;
        r.check().await;
    }
}

#[test]
fn the_bill_equals_its_ledger_through_the_whole_stack() {
    let cases = std::env::var("BILLING_PROPERTY_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(12);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runner
        .run(&proptest::collection::vec(op(), 1..16), |ops| {
            rt.block_on(run(ops));
            Ok(())
        })
        .unwrap();
}
