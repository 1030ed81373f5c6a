//! Benchmark of provider notices: verified (HMAC-SHA256 over the raw body) and
//! applied with their ledger row in one transaction, through
//! `app::billing::callback`, on a fresh SQLite file or on PostgreSQL when
//! TEST_DATABASE_URL is set.
//!
//! The worst case for contention: one bill, paid once through the sandbox, then
//! `n` further paid notices with distinct provider references sent by 32 concurrent
//! senders, each notice sent twice (the second time late, after all first sends).
//! Every first send must record one `paid_late` payment on the one hot bill row;
//! every second send must be a duplicate. At the end the bill must hold exactly
//! `n` refunds to make, the ledger `2n + 1` rows: nothing lost, nothing doubled.
//!
//! Then the spread case, in WeChat Pay's own shape: `bills` bills (default 200), each
//! with an open WeChat Pay order, and `n` notices signed by the sandbox platform
//! (SHA256withRSA, AES-256-GCM resource) spread round-robin over them, each
//! verified, its nonce recorded, decrypted and applied through
//! `app::billing::notify::wechat`: one applied per bill, the rest paid twice
//! (kept as money to give back). Then every notice re-signed and sent again:
//! all duplicates. At the end every bill's money must equal its notices.
//!
//! `cargo run --release -p web --example bench_notice [n] [bills]`
//!
//! `BENCH_SENDERS` sets the number of concurrent senders (default 32): 32 measures
//! the rate under load, where the p99 is mostly waiting for the bill's row; 1 measures
//! what one notice costs on its own (verify, decrypt, apply, ledger row, commit).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::billing::provider::{Callback, SANDBOX, Sandbox};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use testkit::TestApp;

#[path = "support/duties.rs"]
mod duties;

/// Concurrent senders: `BENCH_SENDERS`, else 32.
fn senders() -> usize {
    std::env::var("BENCH_SENDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(32)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn send_all(
    t: &TestApp,
    signed: Arc<Vec<(String, String)>>,
) -> (Vec<Duration>, Duration, usize) {
    let next = Arc::new(AtomicUsize::new(0));
    let changed = Arc::new(AtomicUsize::new(0));
    let began = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..senders() {
        let (app, signed, next, changed) =
            (t.app.clone(), signed.clone(), next.clone(), changed.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some((body, sig)) = signed.get(i) else {
                    break;
                };
                let s = Instant::now();
                let out = app::billing::callback(&app, sig, body, Some("127.0.0.1"))
                    .await
                    .unwrap();
                lat.push(s.elapsed());
                if out.changed {
                    changed.fetch_add(1, Ordering::SeqCst);
                }
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for task in tasks {
        lat.extend(task.await.unwrap());
    }
    let wall = began.elapsed();
    lat.sort();
    (lat, wall, changed.load(Ordering::SeqCst))
}

/// Sends every (headers, body) WeChat Pay notice through the notice route's reader
/// from [`senders`] concurrent senders.
async fn send_wechat(
    t: &TestApp,
    notices: Arc<Vec<app::billing::provider::ProviderNotice>>,
) -> (Vec<Duration>, Duration, usize) {
    let next = Arc::new(AtomicUsize::new(0));
    let changed = Arc::new(AtomicUsize::new(0));
    let began = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..senders() {
        let (app, notices, next, changed) = (
            t.app.clone(),
            notices.clone(),
            next.clone(),
            changed.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(n) = notices.get(i) else {
                    break;
                };
                let headers: Vec<(&str, &str)> =
                    n.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let s = Instant::now();
                let out = app::billing::notify::wechat(&app, &headers, &n.body, Some("127.0.0.1"))
                    .await
                    .unwrap();
                lat.push(s.elapsed());
                if out.changed {
                    changed.fetch_add(1, Ordering::SeqCst);
                }
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for task in tasks {
        lat.extend(task.await.unwrap());
    }
    let wall = began.elapsed();
    lat.sort();
    (lat, wall, changed.load(Ordering::SeqCst))
}

/// The spread case: `n` WeChat Pay notices over `bills` bills.
async fn spread(n: usize, bills: usize, backend: &str) {
    use app::billing::wechat::{WECHAT, WechatPay};
    let t = TestApp::spawn_with(app::AppSettings {
        log_codes: false,
        wechat: Some(WechatPay::sandbox()),
        ..Default::default()
    })
    .await;
    // As a server runs: the job worker, with its checkpoint of the SQLite log.
    let _duties = duties::start(&t).await;
    let g = testkit::head_office(domain::permission::Action::BillingWrite);
    let setup = Instant::now();
    let mut orders = Vec::new();
    for k in 0..bills {
        // Each bill on a car of its own: a second order of one car within the
        // comeback window is free, and a free bill cannot be paid online.
        let car = t.another_car(k as u32).await;
        let ro = t.delivered_order_of(car).await;
        let online = app::billing::start_online(&t.app, &g, ro, Some(WECHAT))
            .await
            .unwrap();
        orders.push((ro, online));
    }
    let w = t.app.settings.wechat.clone().unwrap();
    let now = t.app.now_ms();
    let make = |at: i64| -> Vec<app::billing::provider::ProviderNotice> {
        (0..n)
            .map(|i| {
                let (_, o) = &orders[i % bills];
                let tx = w.sandbox_transaction(
                    &o.payment_ref,
                    &format!("42{i:026}"),
                    o.amount_fen,
                    true,
                );
                w.sandbox_notice("TRANSACTION.SUCCESS", &tx, at).unwrap()
            })
            .collect()
    };
    let first = Arc::new(make(now));
    let again = Arc::new(make(now + 1_000));
    println!(
        "spread setup: {bills} delivered bills and {} signed + encrypted notices in {:.1} s",
        2 * n,
        setup.elapsed().as_secs_f64()
    );
    let (lat, wall, changed) = send_wechat(&t, first).await;
    let (lat2, wall2, changed2) = send_wechat(&t, again).await;
    let read = testkit::head_office(domain::permission::Action::BillingRead);
    let mut ok = changed == n && changed2 == 0;
    for (k, (ro, o)) in orders.iter().enumerate() {
        let b = app::billing::view(&t.app, &read, *ro).await.unwrap();
        let notices = (0..n).filter(|i| i % bills == k).count() as i64;
        let took = b.bill.paid_fen + b.bill.refund_fen;
        if notices > 0 && (took != o.amount_fen * notices || b.payments.len() as i64 != notices) {
            ok = false;
        }
    }
    println!(
        "backend: {backend}, WeChat Pay notices: {n} new + {n} repeated over {bills} bills, {} senders",
        senders()
    );
    println!(
        "new notices (RSA verify + nonce + AES-GCM decrypt + apply + ledger row): {:.0}/s, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        n as f64 / wall.as_secs_f64(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        percentile(&lat, 1.0)
    );
    println!(
        "repeated notices (re-signed, duplicates): {:.0}/s, p50 {:.2} ms, p99 {:.2} ms",
        n as f64 / wall2.as_secs_f64(),
        percentile(&lat2, 0.5),
        percentile(&lat2, 0.99)
    );
    println!(
        "check: applied {changed}, duplicates changed {changed2}: {}",
        if ok {
            "nothing lost, nothing doubled"
        } else {
            "MISMATCH"
        }
    );
    assert!(ok);
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5_000);
    let t = TestApp::spawn().await;
    // As a server runs: the job worker, with its checkpoint of the SQLite log.
    let _duties = duties::start(&t).await;
    let backend = if std::env::var("TEST_DATABASE_URL").is_ok() {
        "postgresql"
    } else {
        "sqlite"
    };
    let g = testkit::head_office(domain::permission::Action::BillingWrite);
    let (ro, _) = t.delivered_order().await;
    let online = app::billing::start_online(&t.app, &g, ro, Some(SANDBOX))
        .await
        .unwrap();
    let first = app::billing::sandbox_submit(&t.app, &online.payment_ref, true)
        .await
        .unwrap();
    app::billing::callback(&t.app, &first.signature, &first.body, None)
        .await
        .unwrap();
    let sandbox = Sandbox::for_app(&t.app).unwrap();
    let now = t.app.now_ms();
    let signed: Vec<(String, String)> = (0..n)
        .map(|i| {
            let cb = Callback {
                provider: SANDBOX.into(),
                payment_ref: online.payment_ref.clone(),
                provider_ref: format!("SBX-BENCH-{i:08}"),
                amount_fen: online.amount_fen,
                status: "paid".into(),
            };
            let s = sandbox.sign(&cb, now).unwrap();
            (s.body, s.signature)
        })
        .collect();
    let signed = Arc::new(signed);
    let (lat, wall, changed) = send_all(&t, signed.clone()).await;
    let (lat2, wall2, changed2) = send_all(&t, signed).await;
    let read = testkit::head_office(domain::permission::Action::BillingRead);
    let bill = app::billing::view(&t.app, &read, ro).await.unwrap();
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let ledger: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM payment_notices")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    let ok = changed == n
        && changed2 == 0
        && bill.payments.len() == n + 1
        && bill.bill.refund_fen == online.amount_fen * n as i64
        && bill.bill.paid_fen == bill.bill.gross_fen
        && ledger == 2 * n as i64 + 1;
    println!(
        "backend: {backend}, notices: {n} new + {n} repeated, {} senders, one hot bill",
        senders()
    );
    println!(
        "new notices (verify + apply + ledger row, one transaction): {:.0}/s, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        n as f64 / wall.as_secs_f64(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        percentile(&lat, 1.0)
    );
    println!(
        "repeated notices (duplicates): {:.0}/s, p50 {:.2} ms, p99 {:.2} ms",
        n as f64 / wall2.as_secs_f64(),
        percentile(&lat2, 0.5),
        percentile(&lat2, 0.99)
    );
    println!(
        "check: applied {changed}, duplicates changed {changed2}, payments {}, refund_fen {}, ledger rows {ledger}: {}",
        bill.payments.len(),
        bill.bill.refund_fen,
        if ok {
            "nothing lost, nothing doubled"
        } else {
            "MISMATCH"
        }
    );
    assert!(ok);
    // The spread case: each bill's order is for a car of its own.
    let bills: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    if bills > 0 {
        spread(n, bills.clamp(1, n.max(1)), backend).await;
    }
}
