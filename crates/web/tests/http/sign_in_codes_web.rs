//! Owners' sign-in codes against a stranger (issue 22, finding 9), over real HTTP on
//! SQLite or (with TEST_DATABASE_URL) PostgreSQL: one address asking codes for many
//! numbers is limited per address while the owner's own address still gets a code;
//! known and unknown numbers get the same status, body and headers; and the time
//! both take is measured and printed (never asserted: a slow machine must not fail).
//! That both do the same database work is proved by counting statements, in
//! `sign_in_work_web.rs` (its own binary: it installs a process-wide subscriber).
//! Clients at different addresses come through a trusted proxy on this machine.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::TestApp;

const STRANGER: &str = "198.51.100.66";
const OTHER_STRANGER: &str = "198.51.100.67";
const OWNER_HOME: &str = "203.0.113.10";
const OWNER_PHONE: &str = "13800000001";
const UNKNOWN_PHONE: &str = "13912345678";

async fn behind_proxy() -> TestApp {
    TestApp::spawn_with_state(
        app::AppSettings {
            log_codes: false,
            ..Default::default()
        },
        |s| s.with_trusted_proxies(vec!["127.0.0.1/32".parse().unwrap()]),
    )
    .await
}

async fn post(t: &TestApp, from: &str, path: &str, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}{path}", t.base))
        .header("x-forwarded-for", from)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn code_request(t: &TestApp, from: &str, phone: &str) -> reqwest::Response {
    post(
        t,
        from,
        "/api/v1/auth/owner/code",
        json!({ "phone": phone }),
    )
    .await
}

async fn count(t: &TestApp, sql: &str) -> i64 {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&mut *c)
        .await
        .unwrap()
}

async fn latest_code(t: &TestApp) -> String {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let payload: String = sqlx::query_scalar(
        "SELECT payload FROM outbox WHERE template = 'otp' AND status = 'pending' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&mut *c)
    .await
    .unwrap();
    serde_json::from_str::<Value>(&payload).unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The attack: 100 code requests for 60 numbers from one address. Only the
/// address's allowance is answered (20 an hour), so at most that many codes are made
/// and at most one SMS goes to the owner; the rest are 429 with a Retry-After, and
/// nothing is written for them. The owner, from their own address, then asks for a
/// code for their number, gets it and signs in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_asking_codes_for_many_numbers_is_limited_but_the_owner_gets_in() {
    let t = behind_proxy().await;
    // 60 numbers, the owner's among them (the 1st), each asked for once or twice.
    let numbers: Vec<String> = std::iter::once(OWNER_PHONE.to_string())
        .chain((1..60).map(|i| format!("1390000{i:04}")))
        .collect();
    let mut accepted = 0;
    let mut refused = 0;
    for i in 0..100 {
        let r = code_request(&t, STRANGER, &numbers[i % numbers.len()]).await;
        match r.status() {
            StatusCode::ACCEPTED => accepted += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                refused += 1;
                let retry: i64 = r.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!(retry > 0 && retry <= 3_600, "retry-after {retry}");
                let body: Value = r.json().await.unwrap();
                assert_eq!(body["status"], 429, "{body}");
            }
            other => panic!("request {i}: {other}"),
        }
    }
    assert_eq!(
        accepted,
        domain::auth::ADDRESS_FREE,
        "the address's allowance"
    );
    assert_eq!(refused, 100 - domain::auth::ADDRESS_FREE);
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM otp_codes").await,
        domain::auth::ADDRESS_FREE,
        "a code only for each answered request"
    );
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM outbox WHERE template = 'otp' AND status = 'pending'"
        )
        .await,
        1,
        "one SMS to the owner, none to the 59 strangers' numbers"
    );
    // A second stranger address is not held back by the first one's spraying...
    assert_eq!(
        code_request(&t, OTHER_STRANGER, UNKNOWN_PHONE)
            .await
            .status(),
        StatusCode::ACCEPTED
    );
    // ...and the owner, from their own address, gets a code for their number and in.
    assert_eq!(
        code_request(&t, OWNER_HOME, OWNER_PHONE).await.status(),
        StatusCode::ACCEPTED
    );
    let code = latest_code(&t).await;
    let r = post(
        &t,
        OWNER_HOME,
        "/api/v1/auth/owner/verify",
        json!({"phone": OWNER_PHONE, "code": code}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    // The spraying address is still held back, for any number.
    assert_eq!(
        code_request(&t, STRANGER, OWNER_PHONE).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// Status, headers (but the date) and body of an answer.
async fn answer(r: reqwest::Response) -> (StatusCode, Vec<(String, String)>, String) {
    let status = r.status();
    let mut headers: Vec<(String, String)> = r
        .headers()
        .iter()
        .filter(|(k, _)| *k != "date")
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("?").to_string()))
        .collect();
    headers.sort();
    (status, headers, r.text().await.unwrap())
}

/// A known and an unknown number, asked from two addresses in step: every answer —
/// the 202s, then the 429s over the pair's allowance — is the same in status, every
/// header but the date, and body; so are wrong-code answers, and a malformed number
/// is refused the same way whoever holds it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn known_and_unknown_numbers_get_identical_answers() {
    let t = behind_proxy().await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let known = answer(code_request(&t, STRANGER, OWNER_PHONE).await).await;
        let unknown = answer(code_request(&t, OTHER_STRANGER, UNKNOWN_PHONE).await).await;
        assert_eq!(known, unknown);
        statuses.push(known.0);
    }
    assert_eq!(statuses[0], StatusCode::ACCEPTED);
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    // Wrong codes, from fresh addresses.
    for i in 0..3 {
        let known = answer(
            post(
                &t,
                &format!("192.0.2.{i}"),
                "/api/v1/auth/owner/verify",
                json!({"phone": OWNER_PHONE, "code": "000000"}),
            )
            .await,
        )
        .await;
        let unknown = answer(
            post(
                &t,
                &format!("192.0.2.{}", 100 + i),
                "/api/v1/auth/owner/verify",
                json!({"phone": UNKNOWN_PHONE, "code": "000000"}),
            )
            .await,
        )
        .await;
        assert_eq!(known, unknown);
        assert_eq!(known.0, StatusCode::UNAUTHORIZED);
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn summary(name: &str, mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let (p50, p90, p99) = (
        percentile(&v, 0.5),
        percentile(&v, 0.9),
        percentile(&v, 0.99),
    );
    println!(
        "{name:>8}: n={} mean={mean:.3} ms p50={p50:.3} ms p90={p90:.3} ms p99={p99:.3} ms",
        v.len()
    );
    p50
}

/// Measures how long a code request takes for a known and an unknown number, in
/// alternating pairs from fresh addresses (the clock moves past the throttle window
/// between rounds, so every answer is a 202), and prints the figures. Asserts only
/// that every request was answered 202; run with `--nocapture` to read them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_time_of_known_and_unknown_requests_is_printed() {
    let t = behind_proxy().await;
    let rounds: usize = std::env::var("SIGN_IN_TIMING_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let c = reqwest::Client::new();
    let url = format!("{}/api/v1/auth/owner/code", t.base);
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..rounds + 10 {
        // Which goes first alternates, so a warm cache favours neither.
        let order = if i % 2 == 0 {
            [(OWNER_PHONE, true), (UNKNOWN_PHONE, false)]
        } else {
            [(UNKNOWN_PHONE, false), (OWNER_PHONE, true)]
        };
        for (phone, is_known) in order {
            let from = format!("10.{}.{}.{}", i / 65_536 % 256, i / 256 % 256, i % 256);
            let start = std::time::Instant::now();
            let r = c
                .post(&url)
                .header("x-forwarded-for", from)
                .json(&json!({ "phone": phone }))
                .send()
                .await
                .unwrap();
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            assert_eq!(r.status(), StatusCode::ACCEPTED, "round {i}");
            // The first rounds warm the pool and caches up.
            if i >= 10 {
                if is_known {
                    known.push(ms)
                } else {
                    unknown.push(ms)
                }
            }
        }
        t.clock.advance_ms(domain::auth::WINDOW_MS + 1);
    }
    let backend = if std::env::var("TEST_DATABASE_URL").is_ok() {
        "postgres"
    } else {
        "sqlite"
    };
    println!("sign-in code request over HTTP on {backend}, {rounds} pairs:");
    let k = summary("known", known);
    let u = summary("unknown", unknown);
    println!(
        "  median difference known - unknown = {:+.3} ms ({:+.1} %)",
        k - u,
        (k - u) / u * 100.0
    );
}
