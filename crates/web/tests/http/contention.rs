//! Real concurrent HTTP clients against running servers on one database (SQLite, or
//! PostgreSQL with `TEST_DATABASE_URL`): the two deadlock scenarios of a reschedule
//! racing a booking or another reschedule never answer 5xx, a double submit makes one
//! booking, a capacity publish below what is booked is refused naming the
//! appointments, and any interleaving of book / reschedule / cancel keeps every slot
//! counter equal to the appointments holding it (property test). The whole-database
//! capacity invariant is checked after every test.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use domain::role::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::TestApp;

const REPETITIONS: usize = 100;

/// A second server over the same database with its own pool, like a second process
/// of a deployment: requests alternate between the two.
async fn second_server(t: &TestApp) -> String {
    let db = store::Db::connect(&t.test_db.url, 16).await.unwrap();
    let app = app::App::new(db, t.clock.clone(), (*t.app.settings).clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(web::serve(web::AppState::new(app, None), listener));
    base
}

struct Desk {
    bases: [String; 2],
    token: String,
    http: reqwest::Client,
    station: i64,
}

impl Desk {
    async fn new(t: &TestApp) -> Desk {
        Desk {
            bases: [t.base.clone(), second_server(t).await],
            token: t.token(Role::ServiceAdvisor).await,
            http: t.client(),
            station: t.fx.station_a,
        }
    }

    async fn post(&self, server: usize, path: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.bases[server % 2]))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn book(&self, server: usize, vehicle: i64, start: &str) -> (StatusCode, Value) {
        self.post(
            server,
            "/api/v1/appointments",
            json!({"station_id": self.station, "vehicle_id": vehicle,
                   "service_type": "maintenance", "channel": "hotline", "start": start}),
        )
        .await
    }

    async fn reschedule(&self, server: usize, id: i64, start: &str) -> StatusCode {
        self.post(
            server,
            &format!("/api/v1/appointments/{id}/reschedule"),
            json!({"start": start}),
        )
        .await
        .0
    }

    async fn cancel(&self, server: usize, id: i64) -> StatusCode {
        self.post(
            server,
            &format!("/api/v1/appointments/{id}/cancel"),
            json!({"reason": "测试"}),
        )
        .await
        .0
    }

    async fn booked(&self, vehicle: i64, start: &str) -> i64 {
        let (status, body) = self.book(0, vehicle, start).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_i64().unwrap()
    }
}

/// Every answer of a contended request: a success or a clean refusal, never 5xx.
fn clean(status: StatusCode, what: &str) {
    assert!(
        status.is_success() || status == StatusCode::CONFLICT,
        "{what} answered {status}"
    );
}

async fn setup(places: u16) -> (TestApp, Desk) {
    let t = TestApp::spawn().await;
    t.service_fixture().await;
    t.publish_places(14, places).await;
    let desk = Desk::new(&t).await;
    (t, desk)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn swapping_two_appointments_between_two_slots_never_answers_5xx() {
    let (t, desk) = setup(2).await;
    let v = t.vehicles(2).await;
    let a = desk.booked(v[0], "2026-11-25 10:00").await;
    let b = desk.booked(v[1], "2026-11-25 11:00").await;
    let mut both_moved = 0;
    for i in 0..REPETITIONS {
        // Each moves into the other's slots: the old code freed its own first and
        // took the other's, locking the rows in opposite orders.
        let (to_a, to_b) = if i % 2 == 0 {
            ("2026-11-25 11:00", "2026-11-25 10:00")
        } else {
            ("2026-11-25 10:00", "2026-11-25 11:00")
        };
        let (ra, rb) = tokio::join!(desk.reschedule(i, a, to_a), desk.reschedule(i + 1, b, to_b));
        clean(ra, "reschedule a");
        clean(rb, "reschedule b");
        if ra.is_success() && rb.is_success() {
            both_moved += 1;
        }
        // Put them where this round meant them to be, whatever happened.
        if !ra.is_success() {
            assert!(desk.reschedule(0, a, to_a).await.is_success());
        }
        if !rb.is_success() {
            assert!(desk.reschedule(0, b, to_b).await.is_success());
        }
        if i % 20 == 0 {
            t.assert_capacity_invariant().await;
        }
    }
    // Two places per slot: each swap fits, so both succeed every time.
    assert_eq!(both_moved, REPETITIONS, "every swap went through");
    assert!(t.assert_capacity_invariant().await > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_new_booking_racing_a_reschedule_into_its_first_slot_never_answers_5xx() {
    let (t, desk) = setup(2).await;
    let v = t.vehicles(2).await;
    let moving = desk.booked(v[0], "2026-11-25 10:30").await;
    let mut booked = 0;
    for i in 0..REPETITIONS {
        // The booking takes 10:00 then 10:30; the reschedule leaves 10:30–11:30 for
        // 09:30–10:30, so it holds 10:30 and wants 10:00.
        let (book, moved) = tokio::join!(
            desk.book(i, v[1], "2026-11-25 10:00"),
            desk.reschedule(i + 1, moving, "2026-11-25 09:30")
        );
        clean(book.0, "booking");
        clean(moved, "reschedule");
        assert!(moved.is_success(), "two places leave room for both");
        let id = book.1["id"].as_i64().expect("booked");
        booked += 1;
        assert!(desk.cancel(0, id).await.is_success());
        assert!(
            desk.reschedule(1, moving, "2026-11-25 10:30")
                .await
                .is_success()
        );
        if i % 20 == 0 {
            t.assert_capacity_invariant().await;
        }
    }
    assert_eq!(booked, REPETITIONS);
    t.assert_capacity_invariant().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_double_submitted_booking_makes_one_appointment_and_names_it() {
    let (t, desk) = setup(3).await;
    let v = t.vehicles(1).await;
    let (first, second) = tokio::join!(
        desk.book(0, v[0], "2026-11-26 14:00"),
        desk.book(1, v[0], "2026-11-26 14:00")
    );
    let mut answers = [first, second];
    answers.sort_by_key(|a| a.0);
    assert_eq!(answers[0].0, StatusCode::CREATED, "{}", answers[0].1);
    assert_eq!(answers[1].0, StatusCode::CONFLICT, "{}", answers[1].1);
    let id = answers[0].1["id"].as_i64().unwrap();
    let problem = &answers[1].1;
    assert_eq!(problem["errors"][0]["rule"], "appointment.overlap");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("/api/v1/appointments/{id}")),
        "{problem}"
    );
    // Sent again later, overlapping by half an hour: still one.
    let (again, _) = desk.book(0, v[0], "2026-11-26 14:30").await;
    assert_eq!(again, StatusCode::CONFLICT);
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM appointments WHERE vehicle_id = $1")
        .bind(v[0])
        .fetch_one(&mut *c)
        .await
        .unwrap();
    assert_eq!(n, 1);
    drop(c);
    t.assert_capacity_invariant().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn publishing_less_capacity_than_booked_is_refused_naming_the_appointments() {
    let (t, desk) = setup(3).await;
    let v = t.vehicles(3).await;
    let mut ids = Vec::new();
    for vehicle in &v {
        ids.push(desk.booked(*vehicle, "2026-11-25 10:00").await);
    }
    let before = t.assert_capacity_invariant().await;
    let admin = t.token(Role::Administrator).await;
    // From the station's own counts: one technician of another class, so the three
    // bookings of the senior class would be left without technicians.
    let r = t
        .client()
        .post(format!(
            "{}/api/v1/stations/{}/capacity",
            t.base, t.fx.station_a
        ))
        .bearer_auth(&admin)
        .json(&json!({"first_day": "2026-11-25", "days": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["errors"][0]["rule"], "capacity.below_booked");
    for id in &ids {
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("/api/v1/appointments/{id}")),
            "{problem}"
        );
    }
    // Nothing changed: the slots still have three senior technicians.
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let slot = store::capacity::slots_between(&mut c, t.fx.station_a, 0, i64::MAX)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.used_bays == 3)
        .unwrap();
    assert_eq!(slot.bays, 3);
    drop(c);
    assert_eq!(t.assert_capacity_invariant().await, before);
    // Once they are cancelled, the same publication goes through.
    for id in &ids {
        assert!(desk.cancel(0, *id).await.is_success());
    }
    let r = t
        .client()
        .post(format!(
            "{}/api/v1/stations/{}/capacity",
            t.base, t.fx.station_a
        ))
        .bearer_auth(&admin)
        .json(&json!({"first_day": "2026-11-25", "days": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    t.assert_capacity_invariant().await;
}

/// One step of an interleaving: what a client does.
#[derive(Debug, Clone)]
enum Step {
    Book { vehicle: usize, slot: usize },
    Move { appointment: usize, slot: usize },
    Cancel { appointment: usize },
}

const STARTS: [&str; 4] = [
    "2026-11-25 09:00",
    "2026-11-25 09:30",
    "2026-11-25 10:00",
    "2026-11-25 10:30",
];

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    prop_oneof![
        (0..4usize, 0..STARTS.len()).prop_map(|(vehicle, slot)| Step::Book { vehicle, slot }),
        (0..6usize, 0..STARTS.len())
            .prop_map(|(appointment, slot)| Step::Move { appointment, slot }),
        (0..6usize).prop_map(|appointment| Step::Cancel { appointment }),
    ]
}

#[test]
fn any_interleaving_of_book_reschedule_cancel_keeps_counters_equal_to_rows() {
    use proptest::prelude::*;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let (t, desk, vehicles) = rt.block_on(async {
        let (t, desk) = setup(2).await;
        let v = t.vehicles(4).await;
        (t, desk, v)
    });
    let config = ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    runner
        .run(
            &proptest::collection::vec(proptest::collection::vec(step(), 1..5), 1..5),
            |rounds| {
                rt.block_on(async {
                    let mut appointments: Vec<i64> = Vec::new();
                    for round in &rounds {
                        // The steps of a round run at once, over both servers.
                        let known = appointments.clone();
                        let pick = |i: usize| known.get(i % known.len().max(1)).copied();
                        let futures = round.iter().enumerate().map(|(n, s)| {
                            let desk = &desk;
                            let vehicles = &vehicles;
                            let s = s.clone();
                            async move {
                                match s {
                                    Step::Book { vehicle, slot } => {
                                        let (st, body) =
                                            desk.book(n, vehicles[vehicle], STARTS[slot]).await;
                                        clean(st, "booking");
                                        body["id"].as_i64()
                                    }
                                    Step::Move { appointment, slot } => {
                                        if let Some(id) = pick(appointment) {
                                            let st = desk.reschedule(n, id, STARTS[slot]).await;
                                            clean(st, "reschedule");
                                        }
                                        None
                                    }
                                    Step::Cancel { appointment } => {
                                        if let Some(id) = pick(appointment) {
                                            let st = desk.cancel(n, id).await;
                                            clean(st, "cancel");
                                        }
                                        None
                                    }
                                }
                            }
                        });
                        let made = join_all(futures).await;
                        appointments.extend(made.into_iter().flatten());
                    }
                    t.assert_capacity_invariant().await;
                    // Leave the slots empty for the next case.
                    for id in appointments {
                        clean(desk.cancel(0, id).await, "cleanup cancel");
                    }
                });
                Ok(())
            },
        )
        .unwrap();
    rt.block_on(t.assert_capacity_invariant());
}

/// Runs futures at once and collects their outputs in order (no extra crate).
async fn join_all<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for f in futures {
        set.push(Box::pin(f));
    }
    let mut out = Vec::with_capacity(set.len());
    // Poll all together by spawning them onto a local join.
    let mut pending: Vec<_> = set.into_iter().map(Some).collect();
    let mut results: Vec<Option<F::Output>> = (0..pending.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut all = true;
        for (i, slot) in pending.iter_mut().enumerate() {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        results[i] = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => all = false,
                }
            }
        }
        if all {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    out.extend(results.into_iter().flatten());
    out
}

/// The runner itself: two transactions that lock two rows in opposite orders both
/// end committed (on PostgreSQL one is chosen as the deadlock victim and run again);
/// a transaction that always fails with a serialization failure is given up after
/// the bounded attempts as "busy", which the API answers 503 with Retry-After.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_runner_runs_a_deadlock_victim_again_and_gives_up_as_busy() {
    use std::sync::atomic::{AtomicU32, Ordering};
    let (t, _desk) = setup(2).await;
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let starts: Vec<i64> = store::capacity::slots_between(&mut c, t.fx.station_a, 0, i64::MAX)
        .await
        .unwrap()
        .iter()
        .take(2)
        .map(|s| s.slot_start)
        .collect();
    drop(c);
    let attempts = AtomicU32::new(0);
    let touch = |first: i64, second: i64| {
        let attempts = &attempts;
        let db = &t.app.db;
        async move {
            db.run("test.deadlock", move |mut tx| async move {
                attempts.fetch_add(1, Ordering::SeqCst);
                for (n, start) in [first, second].into_iter().enumerate() {
                    sqlx::query("UPDATE capacity_slots SET bays = bays WHERE slot_start = $1")
                        .bind(start)
                        .execute(&mut *tx)
                        .await?;
                    if n == 0 {
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                }
                Ok::<_, store::StoreError>((tx, ()))
            })
            .await
        }
    };
    let (a, b) = tokio::join!(touch(starts[0], starts[1]), touch(starts[1], starts[0]));
    a.unwrap();
    b.unwrap();
    let n = attempts.load(Ordering::SeqCst);
    if t.test_db.is_postgres() {
        assert!(n >= 3, "the deadlock victim ran again ({n} attempts)");
        let tries = AtomicU32::new(0);
        let gave_up = t
            .app
            .db
            .run("test.busy", |mut tx| {
                let tries = &tries;
                async move {
                    tries.fetch_add(1, Ordering::SeqCst);
                    sqlx::query(
                        "DO $$ BEGIN RAISE EXCEPTION 'lost' USING ERRCODE = '40001'; END $$",
                    )
                    .execute(&mut *tx)
                    .await?;
                    Ok::<_, store::StoreError>((tx, ()))
                }
            })
            .await;
        assert!(matches!(gave_up, Err(store::StoreError::Busy("test.busy"))));
        assert_eq!(tries.load(Ordering::SeqCst), store::transaction::ATTEMPTS);
    } else {
        assert_eq!(n, 2, "SQLite serialises writers: no deadlock, no retry");
    }
    let r = axum::response::IntoResponse::into_response(web::error::ApiError::app(
        app::AppError::Busy("appointment.book"),
        web::i18n::Lang::En,
    ));
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.headers()["retry-after"], "1");
    assert_eq!(r.headers()["content-type"], "application/problem+json");
}
