//! The service loop over real HTTP, on SQLite, and on PostgreSQL when
//! `TEST_DATABASE_URL` is set: booking on capacity, the repair order through every
//! stage with checkpoints, the estimate approved at the desk and on the owner link,
//! certified assignment, delivery, KPIs; and bad input refused by rule with nothing changed.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

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

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let r = self
            .c
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .c
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }
}

fn rule(v: &Value) -> String {
    v["errors"][0]["rule"].as_str().unwrap_or("").to_string()
}

fn instant(local: &str) -> jiff::Timestamp {
    let dt: jiff::civil::DateTime = local.parse().unwrap();
    jiff::tz::TimeZone::get("Asia/Shanghai")
        .unwrap()
        .to_timestamp(dt)
        .unwrap()
}

fn at(t: &TestApp, local: &str) {
    t.clock.set(instant(local));
}

/// Ticks every required, unticked checkpoint of `stage`.
async fn tick_required(a: &Api, ro: i64, stage: &str) {
    let (_, d) = a.get(&format!("/repair-orders/{ro}")).await;
    let st = d["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == stage)
        .unwrap()
        .clone();
    for cp in st["checkpoints"].as_array().unwrap() {
        if cp["required"] == true && cp["checked"] == false {
            let (s, v) = a
                .post(
                    &format!("/repair-orders/{ro}/checkpoints"),
                    json!({"code": cp["code"], "note": format!("{} 已完成", cp["code"].as_str().unwrap())}),
                )
                .await;
            assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
        }
    }
}

async fn detail(a: &Api, ro: i64) -> Value {
    let (s, d) = a.get(&format!("/repair-orders/{ro}")).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    d
}

/// The approval evidence kept for a line (signature, client address): views leave it
/// out (issue 21, finding 7), so tests read what was stored.
async fn evidence(t: &TestApp, ro: i64, no: i64) -> (Option<String>, Option<String>) {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    sqlx::query_as(
        "SELECT signature_ref, decision_ip FROM estimate_lines WHERE repair_order_id = $1 AND line_no = $2",
    )
    .bind(ro)
    .bind(no)
    .fetch_one(&mut *c)
    .await
    .unwrap()
}

fn line(d: &Value, no: i64) -> &Value {
    d["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["line_no"] == no)
        .unwrap()
}

mod audit;
mod bad_input;
mod head_office;
mod pages;
mod reminder;
mod service_loop;
