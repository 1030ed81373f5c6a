//! The notification outbox delivered for real: the owner's in-app inbox, and a signed
//! webhook to a gateway (a small server in this test stands in for the SMS gateway).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use std::sync::{Arc, Mutex};
use testkit::{ClockExt, TestApp};

type Seen = Arc<Mutex<Vec<(String, String)>>>;

async fn gateway(status: u16) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let s2 = seen.clone();
    let app = Router::new().route(
        "/sms",
        post(move |headers: HeaderMap, body: Bytes| {
            let seen = s2.clone();
            async move {
                let sig = headers
                    .get("x-aftersales-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                let text = String::from_utf8_lossy(&body).to_string();
                // Every message carries its event's stable key as Idempotency-Key.
                let id = serde_json::from_str::<serde_json::Value>(&text).unwrap()["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                if headers.get("idempotency-key").and_then(|v| v.to_str().ok()) != Some(&id) {
                    return axum::http::StatusCode::BAD_REQUEST;
                }
                seen.lock().unwrap().push((sig, text));
                axum::http::StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

/// The gateway's own key (fixed, so the test can verify what the gateway received).
fn gateway_keys() -> app::signing::KeyRing {
    app::signing::KeyRing::new("webhook_secret", "gw-secret-0123456789", "p", None)
        .expect("a valid test key")
}

fn with_webhook(t: &TestApp, url: &str) -> app::App {
    let settings = app::AppSettings {
        webhook_url: Some(url.into()),
        gateway_keys: Some(gateway_keys()),
        log_codes: false,
        ..Default::default()
    };
    app::App::new(t.app.db.clone(), t.clock.clone(), settings)
}

/// One round of the job worker, as the server runs it; how many rows it handled.
async fn run_jobs(app: &app::App) -> usize {
    app::job::worker::Worker::with_client(
        app.clone(),
        app::job::handler::Registry::standard(),
        reqwest::Client::new(),
        "test".into(),
    )
    .run_once()
    .await
    .unwrap()
}

async fn status_of(t: &TestApp, key_like: &str) -> (String, i64) {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    sqlx::query_as::<_, (String, i64)>(
        "SELECT status, attempts FROM outbox WHERE dedupe_key LIKE $1",
    )
    .bind(key_like)
    .fetch_one(&mut *c)
    .await
    .unwrap()
}

#[tokio::test]
async fn sign_in_codes_go_to_the_gateway_signed_and_exactly_once() {
    let t = TestApp::spawn().await;
    let (url, seen) = gateway(200).await;
    let app = with_webhook(&t, &url);
    app::auth::request_owner_code(&app, "13800000001", Default::default())
        .await
        .unwrap();
    assert_eq!(run_jobs(&app).await, 1);
    assert_eq!(run_jobs(&app).await, 0, "nothing is sent twice");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let (sig, body) = &seen[0];
    let now = t.clock.now_ms_for_test();
    assert!(
        gateway_keys().verify(sig, body, now, 300_000),
        "signature verifies"
    );
    assert!(
        !app::signing::KeyRing::random().verify(sig, body, now, 300_000),
        "another key does not verify"
    );
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(v["to"], "+8613800000001");
    assert_eq!(v["template"], "otp");
    let code = v["values"]["code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 6);
    assert_eq!(status_of(&t, "otp:%").await.0, "sent");
    // What stays in the outbox: no live code, and the key names no phone number.
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let (key, payload): (String, String) =
        sqlx::query_as("SELECT dedupe_key, payload FROM outbox WHERE template = 'otp'")
            .fetch_one(&mut *c)
            .await
            .unwrap();
    assert!(!payload.contains(&code), "{payload}");
    assert!(!key.contains("13800000001"), "{key}");
}

#[tokio::test]
async fn a_failing_gateway_is_retried_later_not_lost() {
    let t = TestApp::spawn().await;
    let (url, seen) = gateway(503).await;
    let app = with_webhook(&t, &url);
    app::auth::request_owner_code(&app, "13800000001", Default::default())
        .await
        .unwrap();
    assert_eq!(run_jobs(&app).await, 1);
    assert_eq!(status_of(&t, "otp:%").await, ("pending".to_string(), 1));
    // Not due again until the backoff has passed.
    assert_eq!(run_jobs(&app).await, 0);
    assert_eq!(seen.lock().unwrap().len(), 1);
    t.clock.advance_ms(120_000);
    run_jobs(&app).await;
    assert_eq!(seen.lock().unwrap().len(), 2, "retried after the backoff");
}

#[tokio::test]
async fn a_dead_letter_is_marked_failed_visible_and_re_sent() {
    let t = TestApp::spawn().await;
    let (url, seen) = gateway(503).await;
    let app = with_webhook(&t, &url);
    app::auth::request_owner_code(&app, "13800000001", Default::default())
        .await
        .unwrap();
    for _ in 0..9 {
        assert_eq!(run_jobs(&app).await, 1);
        t.clock.advance_ms(2 * 3_600_000);
    }
    assert_eq!(run_jobs(&app).await, 0, "given up after 9 attempts");
    assert_eq!(seen.lock().unwrap().len(), 9);
    assert_eq!(status_of(&t, "otp:%").await, ("failed".to_string(), 9));
    let admin = domain::permission::Principal {
        kind: domain::permission::ActorKind::Person,
        id: 1,
        name: "admin".into(),
        role: domain::role::Role::Administrator,
        unit: domain::permission::Unit::HeadOffice,
    }
    .grant(domain::permission::Action::JobAdmin)
    .unwrap();
    let overview = app::job::overview(&app, &admin).await.unwrap();
    assert_eq!(overview.dead.len(), 1);
    let dead = &overview.dead[0];
    assert_eq!(dead.kind, "outbox.deliver");
    assert_eq!(
        dead.last_error.as_deref(),
        Some("gateway answered 503 Service Unavailable")
    );
    // Re-sent once the gateway is back.
    let (url, seen_ok) = gateway(200).await;
    let app = with_webhook(&t, &url);
    app::job::retry(&app, &admin, app::job::Queue::Jobs, dead.id)
        .await
        .unwrap();
    assert_eq!(status_of(&t, "otp:%").await.0, "pending");
    assert_eq!(run_jobs(&app).await, 1);
    assert_eq!(seen_ok.lock().unwrap().len(), 1);
    assert_eq!(status_of(&t, "otp:%").await.0, "sent");
}

#[tokio::test]
async fn app_channel_messages_land_in_the_owners_inbox() {
    let t = TestApp::spawn().await;
    let now = t.app.now_ms();
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let payload = serde_json::json!({"vin": t.fx.vin_a});
    assert!(
        store::outbox::enqueue(
            &mut c,
            "test:1",
            "app",
            "+8613800000001",
            Some(t.fx.customer_a),
            "reminder",
            &payload,
            now
        )
        .await
        .unwrap()
    );
    assert!(
        !store::outbox::enqueue(
            &mut c,
            "test:1",
            "app",
            "+8613800000001",
            Some(t.fx.customer_a),
            "reminder",
            &payload,
            now
        )
        .await
        .unwrap(),
        "same key queued once"
    );
    drop(c);
    assert_eq!(run_jobs(&t.app).await, 1);
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let inbox = store::outbox::inbox(&mut c, t.fx.customer_a, 10)
        .await
        .unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].payload["vin"], t.fx.vin_a.as_str());
    assert!(
        store::outbox::inbox(&mut c, t.fx.customer_b, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_withdrawn_message_is_not_delivered() {
    let t = TestApp::spawn().await;
    let now = t.app.now_ms();
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let payload = serde_json::json!({"appointment_id": 1});
    store::outbox::enqueue(
        &mut c,
        "appt-reminder:1:0",
        "app",
        "+8613800000001",
        Some(t.fx.customer_a),
        "appointment_reminder",
        &payload,
        now + 60_000,
    )
    .await
    .unwrap();
    // The appointment moved: its reminder is withdrawn before it was due.
    sqlx::query("UPDATE outbox SET status = 'withdrawn' WHERE dedupe_key = 'appt-reminder:1:0'")
        .execute(&mut *c)
        .await
        .unwrap();
    drop(c);
    t.clock.advance_ms(120_000);
    assert_eq!(run_jobs(&t.app).await, 1, "the delivery job runs");
    let mut c = t.app.db.pool.acquire().await.unwrap();
    assert!(
        store::outbox::inbox(&mut c, t.fx.customer_a, 10)
            .await
            .unwrap()
            .is_empty(),
        "and sends nothing"
    );
    drop(c);
    assert_eq!(status_of(&t, "appt-reminder:%").await.0, "withdrawn");
}
