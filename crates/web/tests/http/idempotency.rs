//! `Idempotency-Key` on the API's POSTs, through real HTTP requests on SQLite (and
//! PostgreSQL with `TEST_DATABASE_URL`): replay of the same request, 422 naming the
//! header for another body or a bad key, 409 while in flight, keys per caller, the
//! purge timer, and the header documented on every POST of the OpenAPI document.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use domain::role::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::TestApp;

struct Answer {
    status: StatusCode,
    replayed: bool,
    body: Value,
}

async fn book(t: &TestApp, token: &str, key: Option<&str>, vehicle: i64, start: &str) -> Answer {
    let mut r = t
        .client()
        .post(format!("{}/api/v1/appointments", t.base))
        .bearer_auth(token)
        .json(&json!({"station_id": t.fx.station_a, "vehicle_id": vehicle,
                      "service_type": "maintenance", "channel": "hotline", "start": start}));
    if let Some(k) = key {
        r = r.header("Idempotency-Key", k);
    }
    let r = r.send().await.unwrap();
    Answer {
        status: r.status(),
        replayed: r.headers().get("idempotent-replayed").is_some(),
        body: r.json().await.unwrap_or(Value::Null),
    }
}

async fn appointments(t: &TestApp) -> i64 {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    sqlx::query_scalar("SELECT COUNT(*) FROM appointments")
        .fetch_one(&mut *c)
        .await
        .unwrap()
}

async fn setup() -> (TestApp, String, Vec<i64>) {
    let t = TestApp::spawn().await;
    t.service_fixture().await;
    t.publish_places(14, 3).await;
    let token = t.token(Role::ServiceAdvisor).await;
    let v = t.vehicles(3).await;
    (t, token, v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_key_and_body_replays_the_first_answer() {
    let (t, token, v) = setup().await;
    let (a, b) = tokio::join!(
        book(&t, &token, Some("k-1"), v[0], "2026-11-25 10:00"),
        book(&t, &token, Some("k-1"), v[0], "2026-11-25 10:00")
    );
    let first = [&a, &b]
        .into_iter()
        .find(|x| x.status == StatusCode::CREATED && !x.replayed)
        .expect("one ran");
    let id = first.body["id"].as_i64().unwrap();
    for x in [&a, &b] {
        match x.status {
            StatusCode::CREATED => assert_eq!(x.body["id"].as_i64(), Some(id)),
            StatusCode::CONFLICT => {
                assert_eq!(x.body["errors"][0]["field"], "Idempotency-Key");
                assert_eq!(x.body["errors"][0]["rule"], "idempotency.in_flight");
            }
            other => panic!("answered {other}: {}", x.body),
        }
    }
    // Sent again after the answer: the same 201 and id, replayed, nothing new.
    let again = book(&t, &token, Some("k-1"), v[0], "2026-11-25 10:00").await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert!(again.replayed);
    assert_eq!(again.body["id"].as_i64(), Some(id));
    assert_eq!(appointments(&t).await, 1);
    t.assert_capacity_invariant().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_reused_with_another_body_or_a_bad_key_is_a_422_naming_the_header() {
    let (t, token, v) = setup().await;
    let first = book(&t, &token, Some("k-2"), v[0], "2026-11-25 10:00").await;
    assert_eq!(first.status, StatusCode::CREATED);
    let other = book(&t, &token, Some("k-2"), v[1], "2026-11-25 11:00").await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(other.body["errors"][0]["field"], "Idempotency-Key");
    assert_eq!(other.body["errors"][0]["rule"], "idempotency.reused");
    for bad in [String::new(), "   ".into(), "k".repeat(256)] {
        let r = book(&t, &token, Some(&bad), v[2], "2026-11-25 12:00").await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{:?}",
            bad.len()
        );
        assert_eq!(r.body["errors"][0]["field"], "Idempotency-Key");
        assert_eq!(r.body["errors"][0]["rule"], "idempotency.key_length");
    }
    let longest = "k".repeat(255);
    let ok = book(&t, &token, Some(&longest), v[2], "2026-11-25 12:00").await;
    assert_eq!(ok.status, StatusCode::CREATED);
    assert_eq!(
        appointments(&t).await,
        2,
        "nothing made by the refused requests"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_belong_to_their_caller_and_are_purged_after_a_day() {
    let (t, token, v) = setup().await;
    let other_caller = t.token(Role::StationManager).await;
    let mine = book(&t, &token, Some("shared"), v[0], "2026-11-25 10:00").await;
    let theirs = book(&t, &other_caller, Some("shared"), v[1], "2026-11-25 10:00").await;
    assert_eq!(mine.status, StatusCode::CREATED);
    assert_eq!(theirs.status, StatusCode::CREATED, "{}", theirs.body);
    assert!(!theirs.replayed);
    assert_ne!(mine.body["id"], theirs.body["id"]);
    let mut c = t.app.db.pool.acquire().await.unwrap();
    assert_eq!(store::idempotency::count(&mut c).await.unwrap(), 2);
    drop(c);
    // A day and two hours later the purge timer has fired and the keys are gone.
    t.clock.advance_ms(26 * 3_600_000);
    let w = app::job::worker::Worker::new(t.app.clone(), app::job::handler::Registry::standard());
    for _ in 0..5 {
        w.run_once().await.unwrap();
    }
    let mut c = t.app.db.pool.acquire().await.unwrap();
    assert_eq!(store::idempotency::count(&mut c).await.unwrap(), 0);
}

#[tokio::test]
async fn every_api_post_documents_the_header() {
    let doc = web::openapi::published();
    assert_eq!(
        doc["components"]["parameters"]["IdempotencyKey"]["name"],
        "Idempotency-Key"
    );
    let mut posts = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(op) = item.get("post") else { continue };
        if path.starts_with("/api/v1/auth/") || !path.starts_with("/api/v1/") {
            continue;
        }
        posts += 1;
        let refs: Vec<_> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["$ref"].as_str())
            .collect();
        assert!(
            refs.contains(&"#/components/parameters/IdempotencyKey"),
            "POST {path}"
        );
    }
    assert!(posts > 20, "{posts} POST operations");
}
