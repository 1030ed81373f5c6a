//! The three guarantees (三包) of the 2021 regulation over real HTTP, on SQLite, and on
//! PostgreSQL when `TEST_DATABASE_URL` is set: one regression test per finding of issue
//! 19 (the same part as "the same problem", the repair-complete instant, quality repairs
//! only, the courtesy car live through the 包修期, the delivery date, excluded intervals,
//! main parts of the ten systems, exclusions, the legal floors, rights that never
//! disappear) and the request workflow with its working-day deadline across a holiday.
//!
//! Orders are opened through the API as walk-ins; their hand-over is written straight
//! to the store, since only the instants matter here (the whole delivery loop is
//! covered by `repair_order_web`).
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

    async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::PATCH, path, Some(body)).await
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

/// `base` with `field` set to `value`.
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

/// Registers a car invoiced on `sold` with 20,000 km at station A; returns its id.
async fn car_sold(t: &TestApp, advisor: &Api, serial: &str, sold: &str) -> i64 {
    let vin = domain::vin::Vin::with_check_digit("LSVAM4B2", serial)
        .unwrap()
        .to_string();
    let (s, v) = advisor
        .post(
            "/vehicles",
            json!({
                "vin": vin, "brand": "大众", "model": "帕萨特", "model_year": 2025,
                "purchase_date": sold, "owner_id": t.fx.customer_a,
                "station_id": t.fx.station_a, "km": 20000, "is_ev": false
            }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_i64().unwrap()
}

/// Registers a car sold on 2025-06-01 with 20,000 km at station A; returns its id.
async fn car(t: &TestApp, advisor: &Api, serial: &str) -> i64 {
    car_sold(t, advisor, serial, "2025-06-01").await
}

/// Opens an order of `service_type` now.
async fn open_typed(
    t: &TestApp,
    advisor: &Api,
    vehicle: i64,
    concern: &str,
    service_type: &str,
) -> i64 {
    let (s, v) = advisor
        .post(
            "/repair-orders",
            json!({"station_id": t.fx.station_a, "vehicle_id": vehicle, "concern": concern,
                   "service_type": service_type}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_i64().unwrap()
}

/// Classifies one fault of `order` (201 expected).
async fn classify(advisor: &Api, order: i64, line: Value) -> i64 {
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{order}/three-guarantees/faults"),
            line,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_i64().unwrap()
}

/// A quality repair of `part` from `from` to `to` (local), classified; returns its id.
async fn repair_of(
    t: &TestApp,
    advisor: &Api,
    vehicle: i64,
    concern: &str,
    part: &str,
    from: &str,
    to: &str,
) -> i64 {
    at(t, from);
    let id = open(t, advisor, vehicle, concern).await;
    classify(advisor, id, json!({"quality": true, "part": part})).await;
    at(t, to);
    deliver(t, id).await;
    id
}

/// Posts a console form; returns the status, the `Location` and the body.
async fn post_form(
    web: &reqwest::Client,
    url: String,
    fields: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let r = web.post(url).form(fields).send().await.unwrap();
    let status = r.status();
    let loc = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, loc, r.text().await.unwrap_or_default())
}

mod battery;
mod findings;
mod main_parts;
mod owner_battery;
mod pages;
mod policy;
mod requests;
