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

#[tokio::test]
async fn counters_warn_before_and_entitle_past_the_thresholds_head_office_keeps() {
    let t = TestApp::spawn().await;
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let admin = Api::new(&t, Role::Administrator).await;
    let manager = Api::new(&t, Role::StationManager).await;
    let technician = Api::new(&t, Role::Technician).await;

    // A car sold on 2025-06-01 with 20,000 km: inside 24 months / 50,000 km.
    let car = car(&t, &advisor, "AN000777").await;
    let path = format!("/vehicles/{car}/three-guarantees");

    // Nothing yet: the defaults, inside the period, no findings.
    let (s, g) = advisor.get(&path).await;
    assert_eq!(s, StatusCode::OK, "{g}");
    assert_eq!(g["within_period"], true);
    assert_eq!(g["period_ends_on"], "2027-06-01");
    assert_eq!(g["odometer_km"], 20000);
    assert_eq!(g["thresholds"], defaults());
    assert_eq!(g["counters"]["orders_counted"], 0);
    assert_eq!(g["findings"], json!([]));
    let (s, setting) = technician.get("/settings/three-guarantees").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(setting["is_default"], true);
    assert_eq!(setting["thresholds"], defaults());

    // Four repairs of the same problem, written differently: a warning at 4.
    for (concern, from, to) in [
        ("刹车异响", "2026-03-02T09:00", "2026-03-02T17:00"),
        ("刹车 异响", "2026-04-06T09:00", "2026-04-07T08:00"),
        ("刹车异响。", "2026-05-06T09:00", "2026-05-06T16:00"),
        ("  刹车异响", "2026-06-08T09:00", "2026-06-08T18:00"),
    ] {
        repair(&t, &advisor, car, concern, from, to).await;
    }
    let (_, g) = advisor.get(&path).await;
    assert_eq!(g["counters"]["orders_counted"], 4, "{g}");
    assert_eq!(g["counters"]["cumulative_repair_days"], 4, "{g}");
    assert_eq!(
        g["counters"]["same_problem"],
        json!([{"problem": "刹车异响", "repairs": 4}])
    );
    assert_eq!(
        g["findings"],
        json!([{"finding": "warning", "counter": {"counter": "same_problem", "key": "刹车异响"},
                "value": 4, "threshold": 4}]),
        "{g}"
    );

    // The fifth: past 4, replacement or refund is due.
    at(&t, "2026-07-06T09:00");
    let fifth = open(&t, &advisor, car, "刹车异响").await;
    at(&t, "2026-07-06T17:00");
    let (_, g) = advisor.get(&path).await;
    assert_eq!(g["counters"]["current_repair_days"], 1, "{g}");
    assert_eq!(
        g["findings"],
        json!([{"finding": "entitlement", "kind": "replacement_or_refund",
                "counter": {"counter": "same_problem", "key": "刹车异响"}}]),
        "{g}"
    );
    deliver(&t, fifth).await;

    // Another problem, open for 25 days: 5 + 25 = 30 days, a warning at the threshold;
    // the running repair is past 5 days, so a courtesy car is due.
    at(&t, "2026-08-03T09:00");
    let ac = open(&t, &advisor, car, "空调不冷").await;
    at(&t, "2026-08-28T09:00");
    let (_, g) = technician.get(&path).await;
    assert_eq!(g["counters"]["cumulative_repair_days"], 30, "{g}");
    assert_eq!(g["counters"]["current_repair_days"], 25, "{g}");
    let findings = g["findings"].as_array().unwrap();
    assert!(
        findings.contains(
            &json!({"finding": "warning", "counter": {"counter": "cumulative_repair_days"},
                                  "value": 30, "threshold": 30})
        ),
        "{g}"
    );
    assert!(
        findings.contains(&json!({"finding": "entitlement", "kind": "courtesy_car"})),
        "{g}"
    );
    assert_eq!(findings.len(), 3, "{g}");
    // No serious safety fault was diagnosed and no main part replaced.
    assert_eq!(g["counters"]["serious_safety"], json!([]));
    assert_eq!(g["counters"]["major_parts"], json!([]));

    // The console's vehicle page shows the section.
    let (web, _) = t.login("service_advisor").await;
    let html = page_text(&web, format!("{}/console/vehicles/{car}", t.base)).await;
    for text in [
        "三包计数",
        "累计修理天数",
        "刹车异响",
        "预警",
        "应提供备用车或交通补偿",
        "严重安全性能故障修理次数",
        "主要零部件更换次数",
    ] {
        assert!(html.contains(text), "console page lacks {text}");
    }

    // A station manager may not change the thresholds; nothing changes.
    let lower = with(
        with(defaults(), "cumulative_repair_days", json!(29)),
        "same_problem_repairs",
        json!(5),
    );
    let (s, v) = manager
        .put("/settings/three-guarantees", lower.clone())
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = advisor
        .put("/settings/three-guarantees", lower.clone())
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");

    // Bad thresholds are refused naming the field, and nothing is stored.
    let (s, v) = admin
        .put(
            "/settings/three-guarantees",
            with(defaults(), "same_problem_repairs", json!(0)),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["field"], "same_problem_repairs", "{v}");
    assert_eq!(v["errors"][0]["rule"], "guarantee.threshold_invalid", "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at least 1"),
        "{v}"
    );
    let (s, v) = admin
        .put(
            "/settings/three-guarantees",
            with(
                with(defaults(), "period_km", json!(-5)),
                "courtesy_car_days",
                json!("five"),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["period_km", "courtesy_car_days"], "{v}");
    let (s, v) = admin
        .put("/settings/three-guarantees", json!({"period_months": 24}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "period_km" && e["rule"] == "required"),
        "{v}"
    );
    let (_, setting) = advisor.get("/settings/three-guarantees").await;
    assert_eq!(setting["is_default"], true, "{setting}");

    // Head office lowers the days and raises the repairs: the result follows.
    let (s, v) = admin.put("/settings/three-guarantees", lower.clone()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["thresholds"], lower);
    let (_, setting) = advisor.get("/settings/three-guarantees").await;
    assert_eq!(setting["is_default"], false);
    assert_eq!(setting["thresholds"], lower);
    assert!(setting["updated_by"].is_i64(), "{setting}");
    let (_, g) = advisor.get(&path).await;
    assert_eq!(g["thresholds"], lower);
    let findings = g["findings"].as_array().unwrap();
    assert!(
        findings.contains(
            &json!({"finding": "entitlement", "kind": "replacement_or_refund",
                                  "counter": {"counter": "cumulative_repair_days"}})
        ),
        "{g}"
    );
    assert!(
        findings.contains(
            &json!({"finding": "warning", "counter": {"counter": "same_problem", "key": "刹车异响"},
                                  "value": 5, "threshold": 5})
        ),
        "{g}"
    );
    // The change is an event with before and after.
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let (data,): (String,) = sqlx::query_as(
        "SELECT data FROM events WHERE entity = 'setting' AND kind = 'three_guarantees_changed' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&mut *c)
    .await
    .unwrap();
    drop(c);
    let data: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(data["before"], defaults());
    assert_eq!(data["after"], lower);

    // A 12-month period has ended by now (sold 2025-06-01): nothing is due, and only
    // the orders received inside it are counted.
    let (s, _) = admin
        .put(
            "/settings/three-guarantees",
            with(lower, "period_months", json!(12)),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, g) = advisor.get(&path).await;
    assert_eq!(g["within_period"], false, "{g}");
    assert_eq!(g["period_ends_on"], "2026-06-01");
    assert_eq!(g["counters"]["orders_counted"], 3, "{g}");
    assert_eq!(g["findings"], json!([]));

    // Owners cannot read the counters; another station's advisor cannot reach the car.
    let other = {
        let (c, _) = t.login("advisor_b").await;
        c.get(format!("{}/api/v1{path}", t.base))
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(other, StatusCode::NOT_FOUND);
    deliver(&t, ac).await;
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

#[tokio::test]
async fn safety_faults_and_main_part_replacements_are_counted_and_maintenance_is_not() {
    let t = TestApp::spawn().await;
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let technician = Api::new(&t, Role::Technician).await;
    let admin = Api::new(&t, Role::Administrator).await;

    // Head office marks an operation as a transmission replacement; an unknown part
    // is refused by field and rule and nothing is stored.
    let op = json!({"code": "GEARBOX-ASSY", "name_zh": "更换变速器总成", "name_en": "Replace transmission",
                    "standard_hundredths": 600, "major_part": "transmission"});
    let (s, v) = admin
        .post(
            "/labour-operations",
            with(
                with(op.clone(), "code", json!("WHEEL-ASSY")),
                "major_part",
                json!("wheel"),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["field"], "major_part", "{v}");
    assert_eq!(v["errors"][0]["rule"], "labour.major_part_unknown", "{v}");
    let (s, v) = admin.post("/labour-operations", op).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, ops) = advisor.get("/labour-operations").await;
    let ops = ops.as_array().unwrap();
    assert!(ops.iter().all(|o| o["code"] != "WHEEL-ASSY"), "{ops:?}");
    assert!(
        ops.iter()
            .any(|o| o["code"] == "GEARBOX-ASSY" && o["major_part"] == "transmission")
    );

    let vehicle = car(&t, &advisor, "AN000778").await;
    let path = format!("/vehicles/{vehicle}/three-guarantees");

    // Maintenance is not a quality repair: not counted. An unknown type is refused.
    at(&t, "2026-03-02T09:00");
    let (s, v) = advisor
        .post(
            "/repair-orders",
            json!({"station_id": t.fx.station_a, "vehicle_id": vehicle, "concern": "1万公里保养",
                   "service_type": "maintenance"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let maintenance = v["id"].as_i64().unwrap();
    let (s, v) = advisor
        .post(
            "/repair-orders",
            json!({"station_id": t.fx.station_a, "vehicle_id": vehicle, "concern": "x",
                   "service_type": "tuning"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["field"], "service_type", "{v}");
    at(&t, "2026-03-12T09:00");
    deliver(&t, maintenance).await;
    let (_, g) = advisor.get(&path).await;
    assert_eq!(g["counters"]["orders_counted"], 0, "{g}");
    assert_eq!(g["counters"]["cumulative_repair_days"], 0, "{g}");

    // A steering fault, classified by the technician at diagnosis as a serious
    // safety fault, repaired and delivered.
    at(&t, "2026-04-01T09:00");
    let first = open(&t, &advisor, vehicle, "转向沉重").await;
    let classify = format!("/repair-orders/{first}/concern");
    let (s, v) = technician
        .post(
            &classify,
            json!({"concern_code": "C0051", "safety_fault": true}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    // Changing it again needs a reason; nothing changes without one.
    let (s, v) = technician
        .post(
            &classify,
            json!({"concern_code": "C0052", "safety_fault": true}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["field"], "reason", "{v}");
    assert_eq!(
        v["errors"][0]["rule"], "repair_order.reason_required",
        "{v}"
    );
    let (_, o) = advisor.get(&format!("/repair-orders/{first}")).await;
    assert_eq!(o["order"]["concern_code"], "C0051", "{o}");
    assert_eq!(o["order"]["safety_fault"], true, "{o}");
    at(&t, "2026-04-02T09:00");
    deliver(&t, first).await;
    let (_, g) = advisor.get(&path).await;
    assert_eq!(
        g["counters"]["serious_safety"],
        json!([{"key": "C0051", "count": 1, "still_present": false}]),
        "{g}"
    );
    // The same fault is back: still present after one repair, one step before the
    // threshold of two.
    at(&t, "2026-05-04T09:00");
    let second = open(&t, &advisor, vehicle, "转向又沉重").await;
    let (s, _) = advisor
        .post(
            &format!("/repair-orders/{second}/concern"),
            json!({"concern_code": "c0051", "safety_fault": true}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, g) = advisor.get(&path).await;
    assert_eq!(
        g["counters"]["serious_safety"],
        json!([{"key": "C0051", "count": 1, "still_present": true}]),
        "{g}"
    );
    assert!(g["findings"].as_array().unwrap().contains(&json!(
        {"finding": "warning", "counter": {"counter": "serious_safety", "key": "C0051"}, "value": 1, "threshold": 2})), "{g}");
    at(&t, "2026-05-05T09:00");
    deliver(&t, second).await;
    // Repaired twice and back a third time: replacement or refund is due.
    at(&t, "2026-06-01T09:00");
    let third = open(&t, &advisor, vehicle, "转向沉重").await;
    let (s, _) = advisor
        .post(
            &format!("/repair-orders/{third}/concern"),
            json!({"concern_code": "C0051"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, g) = advisor.get(&path).await;
    assert!(
        g["findings"].as_array().unwrap().contains(&json!(
        {"finding": "entitlement", "kind": "replacement_or_refund",
         "counter": {"counter": "serious_safety", "key": "C0051"}})),
        "{g}"
    );
    at(&t, "2026-06-02T09:00");
    deliver(&t, third).await;

    // The transmission replaced twice (approved and finished), then proposed again.
    for (from, to) in [
        ("2026-07-01T09:00", "2026-07-03T09:00"),
        ("2026-08-03T09:00", "2026-08-05T09:00"),
    ] {
        at(&t, from);
        let id = open(&t, &advisor, vehicle, "换挡冲击").await;
        let (s, v) = advisor
            .post(
                &format!("/repair-orders/{id}/lines"),
                json!({"kind": "labour", "code": "GEARBOX-ASSY"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (s, v) = advisor
            .post(
                &format!("/repair-orders/{id}/lines/1/approve"),
                json!({"by": "车主", "signature": "sig"}),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
        mark_line_done(&t, id).await;
        at(&t, to);
        deliver(&t, id).await;
    }
    // A declined proposal is no replacement and no failure.
    at(&t, "2026-08-10T09:00");
    let declined = open(&t, &advisor, vehicle, "变速箱异响").await;
    advisor
        .post(
            &format!("/repair-orders/{declined}/lines"),
            json!({"kind": "labour", "code": "GEARBOX-ASSY"}),
        )
        .await;
    let (s, _) = advisor
        .post(
            &format!("/repair-orders/{declined}/lines/1/decline"),
            json!({"by": "车主", "signature": "sig"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, g) = advisor.get(&path).await;
    assert_eq!(
        g["counters"]["major_parts"],
        json!([{"key": "transmission", "count": 2, "still_present": false}]),
        "{g}"
    );
    at(&t, "2026-08-11T09:00");
    deliver(&t, declined).await;
    at(&t, "2026-09-01T09:00");
    let again = open(&t, &advisor, vehicle, "变速箱打滑").await;
    advisor
        .post(
            &format!("/repair-orders/{again}/lines"),
            json!({"kind": "labour", "code": "GEARBOX-ASSY"}),
        )
        .await;
    let (_, g) = advisor.get(&path).await;
    assert_eq!(
        g["counters"]["major_parts"],
        json!([{"key": "transmission", "count": 2, "still_present": true}]),
        "{g}"
    );
    assert!(
        g["findings"].as_array().unwrap().contains(&json!(
        {"finding": "entitlement", "kind": "replacement_or_refund",
         "counter": {"counter": "major_part", "key": "transmission"}})),
        "{g}"
    );
    // Maintenance still not counted: 3 safety + 2 replacements + declined + open.
    assert_eq!(g["counters"]["orders_counted"], 7, "{g}");

    // The console shows the counters and the classification on the order page.
    let (web, _) = t.login("service_advisor").await;
    let html = page_text(&web, format!("{}/console/vehicles/{vehicle}", t.base)).await;
    for text in ["C0051", "变速器", "故障仍在", "可换车或退车"] {
        assert!(html.contains(text), "console vehicle page lacks {text}");
    }
    let html = page_text(&web, format!("{}/console/orders/{again}", t.base)).await;
    assert!(
        html.contains("id=\"classify\""),
        "order page lacks the classification form"
    );
    assert!(html.contains("严重安全性能故障"));
    // The advisor sees at the order what the owner is entitled to.
    assert!(html.contains("id=\"three-guarantees\""), "{html}");
    assert!(
        html.contains("可换车或退车: 主要零部件更换次数 变速器"),
        "{html}"
    );
    let html = page_text(&web, format!("{}/console/orders/{first}", t.base)).await;
    assert!(
        !html.contains("id=\"classify\""),
        "a delivered order offers no classification"
    );
    // The timeline reads as text, not as JSON.
    assert!(
        html.contains("修改后: (故障代码: C0051 · 严重安全性能故障: 是)"),
        "{html}"
    );
    assert!(
        !html.contains("{&#34;") && !html.contains("{\""),
        "raw JSON in the timeline"
    );
    // The timeline keeps the classification with who and why.
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM events WHERE entity = 'repair_order' AND entity_id = $1 AND kind = 'concern_classified'",
    )
    .bind(first)
    .fetch_one(&mut *c)
    .await
    .unwrap();
    assert_eq!(n, 1);
}
