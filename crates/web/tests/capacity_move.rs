//! The explicit "move these" step of a capacity publication below what is booked
//! (issue 20), on SQLite and on PostgreSQL with `TEST_DATABASE_URL`: without it the
//! publication is a 409 naming the rule and nothing changes; with `move_affected`
//! each appointment that no longer fits is moved to the nearest free start of the
//! station, or cancelled where none is free, its owner told through the outbox and
//! its timeline saying so — and the whole-database capacity invariant holds.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use domain::role::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::TestApp;

async fn book(t: &TestApp, token: &str, vehicle: i64, start: &str) -> i64 {
    let r = t
        .client()
        .post(format!("{}/api/v1/appointments", t.base))
        .bearer_auth(token)
        .json(&json!({"station_id": t.fx.station_a, "vehicle_id": vehicle,
                      "service_type": "maintenance", "channel": "hotline", "start": start}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn publish(t: &TestApp, body: Value) -> (StatusCode, Value) {
    let admin = t.token(Role::Administrator).await;
    let r = t
        .client()
        .post(format!(
            "{}/api/v1/stations/{}/capacity",
            t.base, t.fx.station_a
        ))
        .bearer_auth(&admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

/// (start, state) of an appointment, straight from the database.
async fn stored(t: &TestApp, id: i64) -> (i64, String) {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let row = store::appointment::get(&mut c, &domain::permission::Reach::All, id)
        .await
        .unwrap();
    (row.start_at, row.state)
}

async fn outbox_templates(t: &TestApp) -> Vec<String> {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    sqlx::query_scalar(
        "SELECT template FROM outbox WHERE template LIKE 'appointment_%' \
         AND template <> 'appointment_reminder' ORDER BY id",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap()
}

async fn event_kinds(t: &TestApp, id: i64) -> Vec<String> {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    store::event::for_entity(&mut c, "appointment", id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_below_bookings_with_move_affected_moves_each_and_tells_its_owner() {
    let t = TestApp::spawn().await;
    t.service_fixture().await;
    t.publish_places(14, 3).await;
    let token = t.token(Role::ServiceAdvisor).await;
    let v = t.vehicles(3).await;
    let mut ids = Vec::new();
    for vehicle in &v {
        ids.push(book(&t, &token, *vehicle, "2026-11-25 10:00").await);
    }
    let before: Vec<(i64, String)> = {
        let mut out = Vec::new();
        for id in &ids {
            out.push(stored(&t, *id).await);
        }
        out
    };
    let slots_before = t.assert_capacity_invariant().await;

    // Without the step: a clean 409 naming the rule and the field, nothing changed.
    let (status, problem) = publish(&t, json!({"first_day": "2026-11-25", "days": 1})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["errors"][0]["rule"], "capacity.below_booked");
    for (id, was) in ids.iter().zip(&before) {
        assert_eq!(&stored(&t, *id).await, was, "nothing moved");
    }
    assert!(outbox_templates(&t).await.is_empty(), "nobody told");
    assert_eq!(t.assert_capacity_invariant().await, slots_before);

    // A wrong type for the step is a 422 naming the field, nothing changed.
    let (status, problem) = publish(
        &t,
        json!({"first_day": "2026-11-25", "days": 1, "move_affected": "yes"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(stored(&t, ids[0]).await, before[0]);

    // With the step: every appointment that no longer fits is moved, never silently.
    let (status, body) = publish(
        &t,
        json!({"first_day": "2026-11-25", "days": 1, "move_affected": true}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let relocated = body["relocated"].as_array().unwrap();
    assert_eq!(relocated.len(), 3, "{body}");
    for r in relocated {
        let id = r["appointment_id"].as_i64().unwrap();
        assert!(ids.contains(&id));
        let to = r["to"].as_i64().expect("a free start was found");
        let (start, state) = stored(&t, id).await;
        assert_eq!(state, "booked");
        assert_eq!(start, to, "moved where the answer says");
        assert_ne!(start, before[0].0, "off the slot that lost its places");
        assert_eq!(r["owner_notified"], true, "the fixture's owner consented");
        let kinds = event_kinds(&t, id).await;
        assert!(kinds.contains(&"rescheduled".to_string()), "{kinds:?}");
        assert!(
            kinds.contains(&"moved_by_capacity".to_string()),
            "{kinds:?}"
        );
    }
    assert_eq!(
        outbox_templates(&t).await,
        vec!["appointment_moved"; 3],
        "each owner told once"
    );
    t.assert_capacity_invariant().await;

    // Published again the same way: nothing is over any more, nothing moves.
    let (status, body) = publish(
        &t,
        json!({"first_day": "2026-11-25", "days": 1, "move_affected": true}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["relocated"].as_array().unwrap().len(), 0);
    assert_eq!(outbox_templates(&t).await.len(), 3);
    t.assert_capacity_invariant().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_free_start_left_the_step_cancels_and_tells_the_owner() {
    let t = TestApp::spawn().await;
    t.service_fixture().await;
    t.publish_places(14, 2).await;
    let token = t.token(Role::ServiceAdvisor).await;
    let v = t.vehicles(2).await;
    let a = book(&t, &token, v[0], "2026-11-25 10:00").await;
    let b = book(&t, &token, v[1], "2026-11-26 14:00").await;
    // Every published day closes (no bay anywhere within the search horizon).
    let cap = testkit::head_office(domain::permission::Action::CapacityAdmin);
    let counts = domain::capacity::SlotCounts::with_bays(0);
    let done = app::capacity::publish_moving(
        &t.app,
        &cap,
        t.fx.station_a,
        "2026-11-24".parse().unwrap(),
        14,
        Some(counts),
        true,
    )
    .await
    .unwrap();
    assert_eq!(done.relocated.len(), 2);
    for r in &done.relocated {
        assert_eq!(r.to, None, "no free start: cancelled");
        assert!(r.owner_notified);
    }
    for id in [a, b] {
        assert_eq!(stored(&t, id).await.1, "cancelled");
        let kinds = event_kinds(&t, id).await;
        assert!(
            kinds.contains(&"cancelled_by_capacity".to_string()),
            "{kinds:?}"
        );
    }
    assert_eq!(outbox_templates(&t).await, vec!["appointment_cancelled"; 2]);
    t.assert_capacity_invariant().await;
}
