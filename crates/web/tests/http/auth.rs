//! Sign-in throttling that a stranger cannot turn against a real user, session
//! rotation, and one-time codes that stay single-use under simultaneous requests —
//! over real HTTP, on SQLite or (with TEST_DATABASE_URL) PostgreSQL. Clients at
//! different addresses come through a trusted proxy on this machine that sets
//! `X-Forwarded-For`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::TestApp;

const STRANGER: &str = "198.51.100.66";
const OWNER_HOME: &str = "203.0.113.10";
const OWNER_PHONE: &str = "13800000001";

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

async fn post(
    t: &TestApp,
    c: &reqwest::Client,
    from: &str,
    path: &str,
    body: Value,
) -> reqwest::Response {
    c.post(format!("{}{path}", t.base))
        .header("x-forwarded-for", from)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn login(
    t: &TestApp,
    c: &reqwest::Client,
    from: &str,
    user: &str,
    password: &str,
) -> StatusCode {
    post(
        t,
        c,
        from,
        "/api/v1/auth/login",
        json!({"username": user, "password": password}),
    )
    .await
    .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_cannot_lock_a_colleague_out_but_is_slowed_down() {
    let t = behind_proxy().await;
    let c = t.client();
    // The real user signed in from their desk before.
    assert_eq!(
        login(&t, &c, OWNER_HOME, "warranty_clerk", testkit::PASSWORD).await,
        StatusCode::OK
    );
    for _ in 0..5 {
        assert_eq!(
            login(&t, &c, STRANGER, "warranty_clerk", "wrong").await,
            StatusCode::UNAUTHORIZED
        );
    }
    // The stranger's address now waits, even with the right password...
    let r = post(
        &t,
        &c,
        STRANGER,
        "/api/v1/auth/login",
        json!({"username": "warranty_clerk", "password": testkit::PASSWORD}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    // ...while the real user signs in from their own address.
    assert_eq!(
        login(&t, &c, OWNER_HOME, "warranty_clerk", testkit::PASSWORD).await,
        StatusCode::OK
    );
    // A distributed guess from many addresses slows unknown addresses only.
    for i in 0..12 {
        login(&t, &c, &format!("192.0.2.{i}"), "warranty_clerk", "wrong").await;
    }
    assert_eq!(
        login(&t, &c, "192.0.2.200", "warranty_clerk", testkit::PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "an address the account never used waits"
    );
    assert_eq!(
        login(&t, &c, OWNER_HOME, "warranty_clerk", testkit::PASSWORD).await,
        StatusCode::OK,
        "the user's own address still gets in"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_spraying_many_user_names_is_throttled() {
    let t = behind_proxy().await;
    let c = t.client();
    for i in 0..20 {
        assert_eq!(
            login(&t, &c, STRANGER, &format!("nobody{i}"), "wrong").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login(&t, &c, STRANGER, "nobody99", "wrong").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        login(&t, &c, OWNER_HOME, "service_advisor", testkit::PASSWORD).await,
        StatusCode::OK,
        "other addresses are not affected"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_again_ends_the_session_presented() {
    let t = TestApp::spawn().await;
    let (c, _) = t.login("service_advisor").await;
    let me = |c: reqwest::Client| {
        let url = format!("{}/api/v1/me", t.base);
        async move { c.get(url).send().await.unwrap().status() }
    };
    assert_eq!(me(c.clone()).await, StatusCode::OK);
    // The old cookie, kept aside, as a thief who copied it would.
    let old = t.client();
    let cookie_of = |r: &reqwest::Response| {
        r.headers()[reqwest::header::SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string()
    };
    let r = old
        .post(format!("{}/api/v1/auth/login", t.base))
        .json(&json!({"username": "technician", "password": testkit::PASSWORD}))
        .send()
        .await
        .unwrap();
    let first = cookie_of(&r);
    let r = old
        .post(format!("{}/api/v1/auth/login", t.base))
        .json(&json!({"username": "technician", "password": testkit::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_ne!(first, cookie_of(&r), "a new session id");
    let replayed = reqwest::Client::new()
        .get(format!("{}/api/v1/me", t.base))
        .header("cookie", &first)
        .send()
        .await
        .unwrap();
    assert_eq!(
        replayed.status(),
        StatusCode::UNAUTHORIZED,
        "the first session ended"
    );
    assert_eq!(me(old).await, StatusCode::OK, "the new one works");
}

async fn latest_code(t: &TestApp) -> String {
    let mut conn = t.app.db.pool.acquire().await.unwrap();
    let row: (String,) = sqlx::query_as(
        "SELECT payload FROM outbox WHERE template = 'otp' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    serde_json::from_str::<Value>(&row.0).unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn code_request(t: &TestApp, c: &reqwest::Client, from: &str, phone: &str) -> StatusCode {
    post(
        t,
        c,
        from,
        "/api/v1/auth/owner/code",
        json!({"phone": phone}),
    )
    .await
    .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_cannot_lock_an_owner_out_with_codes() {
    let t = behind_proxy().await;
    let c = t.client();
    // The stranger asks for the owner's codes and guesses wrong.
    for _ in 0..5 {
        assert_eq!(
            code_request(&t, &c, STRANGER, OWNER_PHONE).await,
            StatusCode::ACCEPTED
        );
    }
    assert_eq!(
        code_request(&t, &c, STRANGER, OWNER_PHONE).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    for _ in 0..5 {
        let r = post(
            &t,
            &c,
            STRANGER,
            "/api/v1/auth/owner/verify",
            json!({"phone": OWNER_PHONE, "code": "000000"}),
        )
        .await;
        // A wrong code is wrong credentials, as a wrong password is.
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // The owner, from their phone's address, still gets a code and signs in.
    assert_eq!(
        code_request(&t, &c, OWNER_HOME, OWNER_PHONE).await,
        StatusCode::ACCEPTED
    );
    let code = latest_code(&t).await;
    let r = post(
        &t,
        &c,
        OWNER_HOME,
        "/api/v1/auth/owner/verify",
        json!({"phone": OWNER_PHONE, "code": code}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn known_and_unknown_numbers_get_the_same_answers() {
    let t = behind_proxy().await;
    let c = t.client();
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..7 {
        known.push(code_request(&t, &c, STRANGER, OWNER_PHONE).await);
        unknown.push(code_request(&t, &c, "198.51.100.67", "13912345678").await);
    }
    assert_eq!(known, unknown);
    assert!(known.contains(&StatusCode::TOO_MANY_REQUESTS));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_opens_one_session_and_takes_five_guesses_under_concurrency() {
    let t = TestApp::spawn_with(app::AppSettings {
        log_codes: false,
        ..Default::default()
    })
    .await;
    let c = t.client();
    assert_eq!(
        code_request(&t, &c, "", OWNER_PHONE).await,
        StatusCode::ACCEPTED
    );
    // 40 wrong codes at once: at most five are checked against the code.
    let wrong = (0..40).map(|i| {
        let c = t.client();
        let url = format!("{}/api/v1/auth/owner/verify", t.base);
        async move {
            c.post(url)
                .json(&json!({"phone": OWNER_PHONE, "code": format!("{:06}", 900_000 + i)}))
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    let statuses = futures_join(wrong).await;
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::TOO_MANY_REQUESTS)
    );
    let mut conn = t.app.db.pool.acquire().await.unwrap();
    let (attempts,): (i64,) =
        sqlx::query_as("SELECT attempts FROM otp_codes ORDER BY id DESC LIMIT 1")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert!(
        attempts <= app::auth::CODE_ATTEMPTS,
        "{attempts} guesses checked"
    );
    drop(conn);

    // A fresh code sent ten times at once opens exactly one session (from another address
    // than the guesser's would be usual; here the pair was not over its allowance).
    t.clock.advance_ms(2 * 60 * 60_000);
    assert_eq!(
        code_request(&t, &c, "", OWNER_PHONE).await,
        StatusCode::ACCEPTED
    );
    let code = latest_code(&t).await;
    let right = (0..10).map(|_| {
        let c = t.client();
        let url = format!("{}/api/v1/auth/owner/verify", t.base);
        let code = code.clone();
        async move {
            c.post(url)
                .json(&json!({"phone": OWNER_PHONE, "code": code}))
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    let statuses = futures_join(right).await;
    let opened = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(opened, 1, "{statuses:?}");
}

/// Runs the futures at once on the runtime and collects their results in order.
async fn futures_join<F>(futures: impl Iterator<Item = F>) -> Vec<StatusCode>
where
    F: std::future::Future<Output = StatusCode> + Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}
