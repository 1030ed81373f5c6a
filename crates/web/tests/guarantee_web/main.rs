//! The three-guarantees counters (三包, SPEC §15) over real HTTP, on SQLite, and on
//! PostgreSQL when `TEST_DATABASE_URL` is set: repairs of the same problem warn at
//! the threshold and entitle past it, cumulative repair days warn, a long open repair
//! entitles to a courtesy car, head office's thresholds change the result, bad
//! thresholds are refused by field and rule, and only head office may change them;
//! maintenance is not counted, serious safety faults come from diagnosis's
//! classification and main-part replacements from labour operations head office marks.
//!
//! Orders are opened through the API as walk-ins; their hand-over is written straight
//! to the store, since only the reception and hand-over instants matter here (the
//! whole delivery loop is covered by `repair_order_web`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use domain::permission::Reach;
use domain::role::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::TestApp;

/// A bearer-token caller.
struct Api {
    c: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn new(t: &TestApp, role: Role) -> Api {
        Api {
            c: t.client(),
            base: format!("{}/api/v1", t.base),
            token: t.token(role).await,
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .c
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("accept-language", "en");
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }
}

fn at(t: &TestApp, local: &str) {
    let dt: jiff::civil::DateTime = local.parse().unwrap();
    let ts = jiff::tz::TimeZone::get("Asia/Shanghai")
        .unwrap()
        .to_timestamp(dt)
        .unwrap();
    t.clock.set(ts);
}

/// Opens a walk-in order now for `vehicle`.
async fn open(t: &TestApp, advisor: &Api, vehicle: i64, concern: &str) -> i64 {
    let (s, v) = advisor
        .post(
            "/repair-orders",
            json!({"station_id": t.fx.station_a, "vehicle_id": vehicle, "concern": concern}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_i64().unwrap()
}

/// Hands the order over now.
async fn deliver(t: &TestApp, id: i64) {
    let now = t.app.now_ms();
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let row = store::repair_order::get(&mut c, &Reach::All, id)
        .await
        .unwrap();
    let p = store::repair_order::Progress {
        state: "delivered".into(),
        current_stage: None,
        applicable: row.applicable.clone(),
        promised_at: row.promised_at,
        delivered_at: Some(now),
        late_minutes: None,
        courtesy_car: false,
    };
    store::repair_order::save_progress(&mut c, id, row.version, &p, now)
        .await
        .unwrap();
}

/// A repair received at `from` and handed over at `to` (local times).
async fn repair(t: &TestApp, advisor: &Api, vehicle: i64, concern: &str, from: &str, to: &str) {
    at(t, from);
    let id = open(t, advisor, vehicle, concern).await;
    at(t, to);
    deliver(t, id).await;
}

fn defaults() -> Value {
    json!({
        "period_months": 24, "period_km": 50000, "cumulative_repair_days": 30,
        "same_problem_repairs": 4, "serious_safety_repairs": 2,
        "major_part_replacements": 2, "courtesy_car_days": 5
    })
}

fn with(mut base: Value, field: &str, value: Value) -> Value {
    base[field] = value;
    base
}

/// The HTML of a console page as the signed-in `web` client sees it (200 expected).
async fn page_text(web: &reqwest::Client, url: String) -> String {
    let r = web.get(url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

/// Registers a car sold on 2025-06-01 with 20,000 km at station A; returns its id.
async fn car(t: &TestApp, advisor: &Api, serial: &str) -> i64 {
    let vin = domain::vin::Vin::with_check_digit("LSVAM4B2", serial)
        .unwrap()
        .to_string();
    let (s, v) = advisor
        .post(
            "/vehicles",
            json!({
                "vin": vin, "brand": "大众", "model": "帕萨特", "model_year": 2025,
                "purchase_date": "2025-06-01", "owner_id": t.fx.customer_a,
                "station_id": t.fx.station_a, "km": 20000, "is_ev": false
            }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_i64().unwrap()
}

/// The finished work of line 1 of `order`, written straight to the store: only
/// whether the approved replacement was carried out matters to the counters (the
/// work flow itself is covered by `repair_order_web`).
async fn mark_line_done(t: &TestApp, order: i64) {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    sqlx::query("UPDATE estimate_lines SET work = 'finished', done = 1 WHERE repair_order_id = $1 AND line_no = 1")
        .bind(order)
        .execute(&mut *c)
        .await
        .unwrap();
}

mod counters;
mod sources;
