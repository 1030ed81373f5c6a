//! Every write exactly once, against real `aftersales serve` processes (issue 20): two
//! processes on one PostgreSQL database when `TEST_DATABASE_URL` is set, one process
//! on a SQLite file otherwise. Real concurrent HTTP clients play
//!
//! - the two deadlock scenarios — two appointments swapping slots, and a new
//!   60-minute booking racing a reschedule into its first slot — 100 times each:
//!   every answer is 2xx or a clean 409, never a 5xx;
//! - a double submit without a key (one appointment; the repeat is a 409 naming it)
//!   and with an `Idempotency-Key` (one appointment; the repeat replays the answer);
//!
//! and the whole-database invariant (no slot over its bays or technicians, every
//! counter equal to the appointments holding it) is checked after each.
//!
//! The servers run on the real clock, so the scenarios use the first working day at
//! least two days ahead that has the slots they need.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use domain::role::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use testkit::TestApp;

const REPETITIONS: usize = 100;

/// One `aftersales serve` process; stopped when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn serve(url: &str) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_aftersales"))
        .arg("--db")
        .arg(url)
        .args(["serve", "--listen", &listen])
        .env("RUST_LOG", "warn")
        .env_remove("AFTERSALES_CONFIG")
        .env_remove("AFTERSALES_LISTEN")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server {
        child,
        base: format!("http://{listen}"),
    };
    let http = reqwest::Client::new();
    for _ in 0..600 {
        if let Ok(r) = http.get(format!("{}/healthz", server.base)).send().await
            && r.status().is_success()
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("aftersales serve did not answer on {}", server.base);
}

/// Real clients over the processes: request `n` goes to process `n % len`.
struct Clients {
    bases: Vec<String>,
    token: String,
    http: reqwest::Client,
    station: i64,
}

impl Clients {
    async fn post(
        &self,
        n: usize,
        path: &str,
        key: Option<&str>,
        body: &Value,
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .post(format!("{}{path}", self.bases[n % self.bases.len()]))
            .bearer_auth(&self.token)
            .json(body);
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    fn booking(&self, vehicle: i64, start: i64) -> Value {
        json!({"station_id": self.station, "vehicle_id": vehicle,
               "service_type": "maintenance", "channel": "hotline", "start": start})
    }

    async fn book(&self, n: usize, vehicle: i64, start: i64) -> (StatusCode, Value) {
        let body = self.booking(vehicle, start);
        self.post(n, "/api/v1/appointments", None, &body).await
    }

    async fn booked(&self, vehicle: i64, start: i64) -> i64 {
        let (status, body) = self.book(0, vehicle, start).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_i64().unwrap()
    }

    async fn reschedule(&self, n: usize, id: i64, start: i64) -> StatusCode {
        let path = format!("/api/v1/appointments/{id}/reschedule");
        self.post(n, &path, None, &json!({ "start": start }))
            .await
            .0
    }

    async fn cancel(&self, n: usize, id: i64) -> StatusCode {
        let path = format!("/api/v1/appointments/{id}/cancel");
        self.post(n, &path, None, &json!({"reason": "测试"}))
            .await
            .0
    }
}

/// Every answer of a contended request: a success or a clean refusal, never 5xx.
fn clean(status: StatusCode, what: &str) {
    assert!(
        status.is_success() || status == StatusCode::CONFLICT,
        "{what} answered {status}"
    );
}

/// Half-hour slot starts (UTC ms) of the first working day at least two days from
/// now whose 09:30–11:30 slots are all published: `[09:30, 10:00, 10:30, 11:00, 11:30]`.
async fn day_ahead(t: &TestApp) -> [i64; 5] {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let published: std::collections::BTreeSet<i64> =
        store::capacity::slots_between(&mut c, t.fx.station_a, 0, i64::MAX)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.slot_start)
            .collect();
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
    let mut day = jiff::Timestamp::now().to_zoned(tz.clone()).date();
    day = day.checked_add(jiff::Span::new().days(2)).unwrap();
    for _ in 0..60 {
        let at = |h: i8, m: i8| {
            day.at(h, m, 0, 0)
                .to_zoned(tz.clone())
                .unwrap()
                .timestamp()
                .as_millisecond()
        };
        let starts = [at(9, 30), at(10, 0), at(10, 30), at(11, 0), at(11, 30)];
        if starts.iter().all(|s| published.contains(s)) {
            return starts;
        }
        day = day.tomorrow().unwrap();
    }
    panic!("no published working day ahead");
}

async fn setup() -> (TestApp, Vec<Server>, Clients, [i64; 5]) {
    let t = TestApp::spawn().await;
    t.service_fixture().await;
    // Two places per slot, for the whole publishable range (from the fixture's day).
    t.publish_places(app::capacity::MAX_PUBLISH_DAYS, 2).await;
    let day = day_ahead(&t).await;
    let url = t.test_db.url.clone();
    let mut servers = vec![serve(&url).await];
    if t.test_db.is_postgres() {
        servers.push(serve(&url).await);
    }
    let clients = Clients {
        bases: servers.iter().map(|s| s.base.clone()).collect(),
        token: t.token(Role::ServiceAdvisor).await,
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(16)
            .build()
            .unwrap(),
        station: t.fx.station_a,
    };
    (t, servers, clients, day)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn real_processes_answer_every_write_exactly_once() {
    let (t, _servers, c, day) = setup().await;
    let [s0930, s1000, s1030, s1100, _] = day;
    let v = t.vehicles(5).await;

    // 1. Two appointments swap their slots, at once, 100 times.
    let a = c.booked(v[0], s1000).await;
    let b = c.booked(v[1], s1100).await;
    for i in 0..REPETITIONS {
        let (to_a, to_b) = if i % 2 == 0 {
            (s1100, s1000)
        } else {
            (s1000, s1100)
        };
        let (ra, rb) = tokio::join!(c.reschedule(i, a, to_a), c.reschedule(i + 1, b, to_b));
        clean(ra, "swap a");
        clean(rb, "swap b");
        // Two places per slot: both swaps fit, so both must go through.
        assert!(ra.is_success() && rb.is_success(), "{ra} {rb}");
    }
    t.assert_capacity_invariant().await;
    assert!(c.cancel(0, a).await.is_success());
    assert!(c.cancel(1, b).await.is_success());

    // 2. A new 60-minute booking (10:00 + 10:30) races a reschedule that holds 10:30
    //    and wants 10:00 (10:30–11:30 → 09:30–10:30), 100 times.
    let moving = c.booked(v[2], s1030).await;
    for i in 0..REPETITIONS {
        let (book, moved) =
            tokio::join!(c.book(i, v[3], s1000), c.reschedule(i + 1, moving, s0930));
        clean(book.0, "booking");
        clean(moved, "reschedule");
        assert_eq!(book.0, StatusCode::CREATED, "{}", book.1);
        assert!(moved.is_success(), "two places leave room for both");
        let id = book.1["id"].as_i64().unwrap();
        assert!(c.cancel(i, id).await.is_success());
        assert!(c.reschedule(i + 1, moving, s1030).await.is_success());
    }
    t.assert_capacity_invariant().await;
    assert!(c.cancel(0, moving).await.is_success());

    // 3. Double submit without a key: one appointment; the repeat names it.
    let body = c.booking(v[4], s1000);
    let (first, second) = tokio::join!(
        c.post(0, "/api/v1/appointments", None, &body),
        c.post(1, "/api/v1/appointments", None, &body)
    );
    let mut answers = [first, second];
    answers.sort_by_key(|a| a.0);
    assert_eq!(answers[0].0, StatusCode::CREATED, "{}", answers[0].1);
    assert_eq!(answers[1].0, StatusCode::CONFLICT, "{}", answers[1].1);
    assert_eq!(answers[1].1["errors"][0]["rule"], "appointment.overlap");
    let id = answers[0].1["id"].as_i64().unwrap();
    assert_eq!(count_for(&t, v[4]).await, 1);
    assert!(c.cancel(0, id).await.is_success());

    // 4. Double submit with one key: one appointment; the repeat replays or waits.
    let key = format!("double-{}", rand::random::<u64>());
    let body = c.booking(v[4], s1100);
    let (first, second) = tokio::join!(
        c.post(0, "/api/v1/appointments", Some(&key), &body),
        c.post(1, "/api/v1/appointments", Some(&key), &body)
    );
    let made: Vec<i64> = [&first, &second]
        .iter()
        .filter(|a| a.0 == StatusCode::CREATED)
        .map(|a| a.1["id"].as_i64().unwrap())
        .collect();
    assert!(!made.is_empty(), "{first:?} {second:?}");
    assert!(made.iter().all(|m| *m == made[0]), "one record: {made:?}");
    for a in [&first, &second] {
        assert!(
            a.0 == StatusCode::CREATED || a.0 == StatusCode::CONFLICT,
            "{a:?}"
        );
    }
    // Sent again after the answer (to the other process): the same answer replayed.
    let (again, replayed) = c.post(1, "/api/v1/appointments", Some(&key), &body).await;
    assert_eq!(again, StatusCode::CREATED);
    assert_eq!(replayed["id"].as_i64(), Some(made[0]));
    assert_eq!(
        count_for(&t, v[4]).await,
        2,
        "the cancelled one and this one"
    );
    t.assert_capacity_invariant().await;
}

/// Appointments of a vehicle, any state.
async fn count_for(t: &TestApp, vehicle: i64) -> i64 {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    sqlx::query_scalar("SELECT COUNT(*) FROM appointments WHERE vehicle_id = $1")
        .bind(vehicle)
        .fetch_one(&mut *c)
        .await
        .unwrap()
}
