//! The demo server's movable clock: `POST /api/v1/demo/clock` exists only with a demo
//! clock (never under `aftersales serve`), needs head office's administrator, refuses a
//! malformed move with 422, is audited, and timers due in the skipped time fire at
//! once through the ordinary worker.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use app::clock::{Clock, DemoClock};
use domain::role::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use testkit::{TestApp, TestDb, fixture};

#[tokio::test]
async fn serve_has_no_demo_clock_route() {
    let t = TestApp::spawn().await;
    let token = t.token(Role::Administrator).await;
    let r = t
        .client()
        .post(format!("{}/api/v1/demo/clock", t.base))
        .bearer_auth(&token)
        .json(&json!({"advance_minutes": 60}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let doc: Value = t
        .client()
        .get(format!("{}/api/openapi.json", t.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"].get("/api/v1/demo/clock").is_none());
}

/// A demo server over a fresh database: the app reads the demo clock, a worker runs.
async fn demo_server() -> (String, app::App, Arc<DemoClock>, TestDb) {
    let test_db = TestDb::new().await;
    fixture(&test_db.db).await;
    let clock = Arc::new(DemoClock::new());
    let app = app::App::new(
        test_db.db.clone(),
        clock.clone(),
        app::AppSettings::default(),
    );
    let state = web::AppState::new(app.clone(), None).with_demo_clock(clock.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(web::serve(state, listener));
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    let worker =
        app::job::worker::Worker::new(app.clone(), app::job::handler::Registry::standard());
    tokio::spawn(async move {
        let _keep = _stop;
        worker.run(stopped).await
    });
    (base, app, clock, test_db)
}

async fn login(base: &str, user: &str) -> (reqwest::Client, String) {
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = c
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": user, "password": testkit::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "login {user}");
    let v: Value = r.json().await.unwrap();
    (c, v["csrf"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn the_demo_clock_moves_audited_and_fires_due_timers() {
    let (base, app, clock, _db) = demo_server().await;
    let url = format!("{base}/api/v1/demo/clock");
    let before = clock.now().as_millisecond();
    // A timer two hours ahead: not fired by waiting a moment.
    app::job::probe::arm_many(&app, "democlock", 1, before + 2 * 3_600_000)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        app::job::probe::tally(&app, "democlock").await.unwrap().0,
        0
    );

    // Anyone but the administrator is refused; nothing moves.
    let (advisor, csrf) = login(&base, "service_advisor").await;
    let r = advisor
        .post(&url)
        .header("x-csrf-token", csrf)
        .json(&json!({"advance_minutes": 121}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(clock.offset_ms(), 0);

    // Malformed moves: 422 naming the field, nothing moves.
    let (admin, csrf) = login(&base, "administrator").await;
    for (body, field) in [
        (json!({"advance_minutes": 0}), "advance_minutes"),
        (json!({}), "advance_minutes"),
        (json!({"advance_minutes": 5, "reset": true}), "reset"),
    ] {
        let r = admin
            .post(&url)
            .header("x-csrf-token", &csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(r.text().await.unwrap().contains(field), "{body}");
    }
    assert_eq!(clock.offset_ms(), 0);

    // Two hours and a minute forward: the timer fires within the worker's wake-up.
    let r = admin
        .post(&url)
        .header("x-csrf-token", &csrf)
        .json(&json!({"advance_minutes": 121}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["offset_minutes"], 121);
    assert!(v["now_ms"].as_i64().unwrap() >= before + 121 * 60_000);
    let mut fired = 0;
    for _ in 0..50 {
        fired = app::job::probe::tally(&app, "democlock").await.unwrap().0;
        if fired == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(fired, 1, "the timer due in the skipped time fired");

    // The move is in the audit log; reset brings the clock back to real time.
    let mut conn = app.db.pool.acquire().await.unwrap();
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM audit_log WHERE entity = 'demo_clock' AND action = 'demo_clock_advance'",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(n, 1);
    let r = admin
        .post(&url)
        .header("x-csrf-token", &csrf)
        .json(&json!({"reset": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(clock.offset_ms(), 0);
    let doc: Value = reqwest::get(format!("{base}/api/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/api/v1/demo/clock"]["post"].is_object());
}
