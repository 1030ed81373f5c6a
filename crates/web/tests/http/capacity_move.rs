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

    // A wrong type for the step is refused as unreadable input, nothing changed.
    let (status, problem) = publish(
        &t,
        json!({"first_day": "2026-11-25", "days": 1, "move_affected": "yes"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
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

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .map(|i| i + marker.len())
        .expect("hidden field");
    html[start..].split('"').next().unwrap().to_string()
}

/// A console session as `username`: (client without a cookie store, session cookie,
/// CSRF token).
async fn console(t: &TestApp, username: &str) -> (reqwest::Client, String, String) {
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = c
        .get(format!("{}/console/login", t.base))
        .send()
        .await
        .unwrap();
    let pre = set_cookie(&r);
    let page = r.text().await.unwrap();
    let r = c
        .post(format!("{}/console/login", t.base))
        .header("cookie", pre)
        .form(&[
            ("csrf", hidden(&page, "csrf").as_str()),
            ("username", username),
            ("password", testkit::PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cookies = set_cookie(&r);
    let session = cookies
        .split("; ")
        .find_map(|c| c.strip_prefix("as_session="))
        .unwrap()
        .to_string();
    let home = c
        .get(format!("{}/console", t.base))
        .header("cookie", &cookies)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (c, session, hidden(&home, "csrf"))
}

/// The `name=value` pairs a response sets, joined as a Cookie header.
fn set_cookie(r: &reqwest::Response) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .collect::<Vec<_>>()
        .join("; ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_lists_the_affected_appointments_and_moves_them_once_confirmed() {
    let t = TestApp::spawn().await;
    t.service_fixture().await;
    t.publish_places(14, 3).await;
    let token = t.token(Role::ServiceAdvisor).await;
    let v = t.vehicles(3).await;
    for vehicle in &v {
        book(&t, &token, *vehicle, "2026-11-25 10:00").await;
    }
    let (c, session, csrf) = console(&t, "administrator").await;
    let url = format!("{}/console/stations/{}/capacity", t.base, t.fx.station_a);
    let cookie = format!("as_session={session}");
    let form = c.get(&url).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    let html = form.text().await.unwrap();
    let form_token = hidden(&html, "form_token");
    // Below the bookings, not confirmed: 409, the list of owners and times, nothing moved.
    let r = c
        .post(&url)
        .header("cookie", &cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("form_token", form_token.as_str()),
            ("first_day", "2026-11-25"),
            ("days", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(html.contains("张三"), "the owner is named");
    assert!(html.contains("2026-11-25 10:00"), "the time is shown");
    assert!(html.contains("move_affected"), "the step to tick");
    assert!(outbox_templates(&t).await.is_empty());
    // Confirmed (a fresh form): moved, each listed.
    let r = c
        .post(&url)
        .header("cookie", &cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("form_token", "second-rendering"),
            ("first_day", "2026-11-25"),
            ("days", "1"),
            ("move_affected", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert_eq!(
        html.matches("<td>张三</td>").count(),
        3,
        "three listed: {html}"
    );
    assert_eq!(outbox_templates(&t).await.len(), 3);
    t.assert_capacity_invariant().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_repeat_held_by_another_process_gets_the_still_saving_page_and_its_link() {
    let t = TestApp::spawn().await;
    let (c, session, csrf) = console(&t, "administrator").await;
    let cookie = format!("as_session={session}");
    let principal = app::idempotency::session_principal(&session);
    let path = format!("/console/stations/{}/capacity", t.fx.station_a);
    let body = [
        ("csrf", csrf.as_str()),
        ("form_token", "held-elsewhere"),
        ("first_day", "2026-11-25"),
        ("days", "1"),
    ];
    let encoded = serde_urlencoded_body(&body);
    // Another process claimed this submission and is still saving it.
    let print = app::idempotency::fingerprint("POST", &path, encoded.as_bytes());
    let claim = app::idempotency::claim(&t.app, &principal, "form:held-elsewhere", &print)
        .await
        .unwrap();
    assert_eq!(claim, app::idempotency::Claim::New);
    let started = std::time::Instant::now();
    let r = c
        .post(format!("{}{path}", t.base))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encoded.clone())
        .send()
        .await
        .unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "answered at once, no waiting"
    );
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(html.contains("仍在保存"), "{html}");
    let link = format!("{path}?form_token=held-elsewhere");
    assert!(html.contains(&link), "{html}");
    // The link says the same while it runs …
    let r = c
        .get(format!("{}{link}", t.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // … and shows the result once the other process stored it.
    let answer = app::idempotency::Answer {
        status: 303,
        content_type: None,
        location: Some("/console/appointments"),
        body: "",
    };
    app::idempotency::finish(&t.app, &principal, "form:held-elsewhere", answer)
        .await
        .unwrap();
    let r = c
        .get(format!("{}{link}", t.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/console/appointments");
    // Another session's link shows nothing of it.
    let (_, other, _) = console(&t, "station_manager").await;
    let r = c
        .get(format!("{}{link}", t.base))
        .header("cookie", format!("as_session={other}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the plain page");
}

fn serde_urlencoded_body(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", v.replace(' ', "+")))
        .collect::<Vec<_>>()
        .join("&")
}
