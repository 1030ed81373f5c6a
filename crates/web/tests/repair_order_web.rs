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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_loop_through_the_api() {
    // Behind a reverse proxy on this machine, whose forwarding headers are believed.
    let t = TestApp::spawn_with_state(
        app::AppSettings {
            log_codes: false,
            payment_sandbox: Some(app::signing::KeyRing::random()),
            ..Default::default()
        },
        |s| s.with_trusted_proxies(vec!["127.0.0.1/32".parse().unwrap()]),
    )
    .await;
    let sf = t.service_fixture().await;
    assert!(sf.slots > 100);
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let tech = Api::new(&t, Role::Technician).await;
    let manager = Api::new(&t, Role::StationManager).await;
    let st = t.fx.station_a;

    // The preferred time is free and offered first.
    let (s, offer) = advisor
        .get(&format!(
            "/stations/{st}/slots?preferred=2026-11-24%2010:00&operation_codes=MAINT-10K"
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{offer}");
    assert_eq!(offer["preferred_free"], true);

    let (s, v) = advisor
        .post(
            "/appointments",
            json!({"station_id": st, "vehicle_id": t.fx.vehicle_a, "service_type": "maintenance",
                   "channel": "hotline", "start": "2026-11-24 10:00", "operation_codes": ["MAINT-10K"],
                   "concern": "做保养，刹车有异响"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let appt = v["id"].as_i64().unwrap();
    let (_, day) = advisor
        .get(&format!("/stations/{st}/appointments?day=2026-11-24"))
        .await;
    assert!(day.as_array().unwrap().iter().any(|a| a["id"] == appt));

    // Check-in opens the repair order; reception starts.
    at(&t, "2026-11-24T10:00");
    let (s, v) = advisor
        .post(&format!("/appointments/{appt}/repair-order"), json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let ro = v["id"].as_i64().unwrap();
    tick_required(&advisor, ro, "reception").await;
    at(&t, "2026-11-24T10:10");
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/stages/reception/complete"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, board) = advisor.get(&format!("/stations/{st}/repair-orders")).await;
    assert!(board.as_array().unwrap().iter().any(|b| b["id"] == ro));

    // Diagnosis and the estimate, approved at the desk with a signature.
    advisor
        .post(
            &format!("/repair-orders/{ro}/stages/diagnosis/start"),
            json!({}),
        )
        .await;
    tick_required(&advisor, ro, "diagnosis").await;
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/lines"),
            json!({"kind": "labour", "code": "MAINT-10K"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let maint = v["line_no"].as_i64().unwrap();
    let (_, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/lines"),
            json!({"kind": "part", "code": "OIL-FILTER", "unit_price_fen": 5000}),
        )
        .await;
    let filter = v["line_no"].as_i64().unwrap();
    for no in [maint, filter] {
        let r = advisor
            .c
            .post(format!(
                "{}/repair-orders/{ro}/lines/{no}/approve",
                advisor.base
            ))
            .bearer_auth(&advisor.token)
            .header("x-forwarded-for", "198.51.100.4")
            .json(&json!({"by": "张三", "signature": "张三(手写签名)",
                          "promised_at": instant("2026-11-24T15:00").as_millisecond()}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }
    let d = detail(&advisor, ro).await;
    let l = line(&d, maint);
    assert_eq!(l["decision"], "approved");
    assert_eq!(l["decision_channel"], "desk_signature");
    // The advisor's view carries the approver's name masked, and no signature or
    // client address; both are kept as evidence.
    assert_eq!(l["decided_by"], "张*");
    assert!(l["signature_ref"].is_null() && l["decision_ip"].is_null());
    let (sig, ip) = evidence(&t, ro, maint).await;
    assert_eq!(sig.as_deref(), Some("张三(手写签名)"));
    assert_eq!(
        ip.as_deref(),
        Some("198.51.100.4"),
        "set by the trusted proxy"
    );
    assert!(d["order"]["promised_at"].is_i64(), "promised at approval");
    assert!(d["eta"].is_i64());
    at(&t, "2026-11-24T10:40");
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/stages/diagnosis/complete"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // Repair by the certified technician, on their own lines only.
    advisor
        .post(
            &format!("/repair-orders/{ro}/stages/repair/start"),
            json!({}),
        )
        .await;
    let (s, v) = tech
        .post(
            &format!("/repair-orders/{ro}/lines/{maint}/start"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(rule(&v), "repair_order.not_assigned");
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/lines/{maint}/assign"),
            json!({"technician_id": sf.technician}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let (_, jobs) = tech.get("/my/jobs").await;
    assert!(jobs.as_array().unwrap().iter().any(|j| j["order_id"] == ro));
    let (s, _) = tech
        .post(
            &format!("/repair-orders/{ro}/lines/{maint}/start"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    at(&t, "2026-11-24T11:30");
    let (s, _) = tech
        .post(
            &format!("/repair-orders/{ro}/lines/{maint}/finish"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = tech
        .post(
            &format!("/repair-orders/{ro}/lines/{filter}/fit"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    // Extra work found: blocked until the owner approves it on the owner link.
    let (_, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/lines"),
            json!({"kind": "labour", "code": "BRAKE-PAD"}),
        )
        .await;
    let brake = v["line_no"].as_i64().unwrap();
    let before = detail(&advisor, ro).await;
    assert_eq!(line(&before, brake)["extra"], true);
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/lines/{brake}/start"),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, rule(&v).as_str()),
        (StatusCode::CONFLICT, "repair_order.line_not_approved")
    );
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/stages/repair/complete"),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, rule(&v).as_str()),
        (StatusCode::CONFLICT, "repair_order.proposed_work_pending")
    );
    let after = detail(&advisor, ro).await;
    assert_eq!(before["order"], after["order"], "nothing changed");
    assert_eq!(before["lines"], after["lines"], "nothing changed");

    let (s, link) = advisor
        .post(&format!("/repair-orders/{ro}/owner-link"), json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{link}");
    let token = link["token"].as_str().unwrap().to_string();
    assert!(token.len() >= 32);
    let anon = t.client();
    let track = |tok: String| {
        let anon = anon.clone();
        let base = t.base.clone();
        async move {
            let r = anon
                .get(format!("{base}/api/v1/track/{tok}"))
                .send()
                .await
                .unwrap();
            let s = r.status();
            (s, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (s, seen) = track(token.clone()).await;
    assert_eq!(s, StatusCode::OK, "{seen}");
    assert_eq!(seen["current_stage"], "repair");
    assert_eq!(seen["awaiting"], 1);
    assert!(seen["eta"].is_i64());
    assert!(
        seen["stages"][0]["checkpoints"][0]["note"]
            .as_str()
            .unwrap()
            .contains("已完成"),
        "the technicians' notes are shown"
    );
    // A tampered token finds nothing and changes nothing.
    let mut chars: Vec<char> = token.chars().collect();
    chars[5] = if chars[5] == 'a' { 'b' } else { 'a' };
    let tampered: String = chars.into_iter().collect();
    let (s, v) = track(tampered.clone()).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    let r = anon
        .post(format!(
            "{}/api/v1/track/{tampered}/lines/{brake}/approve",
            t.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        line(&detail(&advisor, ro).await, brake)["decision"],
        "proposed"
    );
    // The owner approves on the phone page.
    let r = anon
        .post(format!(
            "{}/api/v1/track/{token}/lines/{brake}/approve",
            t.base
        ))
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let d = detail(&advisor, ro).await;
    let l = line(&d, brake);
    assert_eq!(
        evidence(&t, ro, brake).await.1.as_deref(),
        Some("203.0.113.7")
    );
    assert_eq!(
        (&l["decision"], &l["decision_channel"], &l["decision_ip"]),
        (&json!("approved"), &json!("owner_page"), &Value::Null)
    );
    advisor
        .post(
            &format!("/repair-orders/{ro}/lines/{brake}/assign"),
            json!({"technician_id": sf.technician}),
        )
        .await;
    tech.post(
        &format!("/repair-orders/{ro}/lines/{brake}/start"),
        json!({}),
    )
    .await;
    at(&t, "2026-11-24T12:00");
    tech.post(
        &format!("/repair-orders/{ro}/lines/{brake}/finish"),
        json!({}),
    )
    .await;
    tick_required(&advisor, ro, "repair").await;
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/stages/repair/complete"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // Inspection with the checkpoints that apply, then delivery before the promise.
    advisor
        .post(
            &format!("/repair-orders/{ro}/stages/quality_inspection/start"),
            json!({}),
        )
        .await;
    let (s, _) = advisor
        .post(
            &format!("/repair-orders/{ro}/applicable"),
            json!({"codes": ["qi.brakes"]}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    tick_required(&tech, ro, "quality_inspection").await;
    at(&t, "2026-11-24T12:20");
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/stages/quality_inspection/complete"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    advisor
        .post(
            &format!("/repair-orders/{ro}/stages/delivery/start"),
            json!({}),
        )
        .await;
    tick_required(&advisor, ro, "delivery").await;
    at(&t, "2026-11-24T13:00");
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/stages/delivery/complete"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["late_minutes"], Value::Null);

    let d = detail(&advisor, ro).await;
    assert_eq!(d["order"]["state"], "delivered");
    let kinds: Vec<&str> = d["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for k in [
        "opened",
        "checkpoint_checked",
        "line_approved",
        "work_finished",
        "delivered",
    ] {
        assert!(kinds.contains(&k), "timeline has {k}: {kinds:?}");
    }
    let (_, board) = advisor.get(&format!("/stations/{st}/repair-orders")).await;
    assert!(!board.as_array().unwrap().iter().any(|b| b["id"] == ro));
    let (s, k) = manager
        .get(&format!("/stations/{st}/kpis?month=2026-11"))
        .await;
    assert_eq!(s, StatusCode::OK, "{k}");
    assert_eq!(k["delivered"], 1);
    assert_eq!(k["on_time_delivery"]["numerator"], 1);
    assert_eq!(k["first_time_fix"]["denominator"], 1);

    // The owner link is revoked: the token finds nothing any more.
    let r = advisor
        .c
        .delete(format!("{}/repair-orders/{ro}/owner-link", advisor.base))
        .bearer_auth(&advisor.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(track(token).await.0, StatusCode::NOT_FOUND);
}

async fn appointment_count(t: &TestApp) -> i64 {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    sqlx::query_as::<_, (i64,)>("SELECT COUNT(*) FROM appointments")
        .fetch_one(&mut *c)
        .await
        .unwrap()
        .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_by_rule_and_nothing_changes() {
    let t = TestApp::spawn().await;
    t.service_fixture().await;
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let st = t.fx.station_a;
    let book = |start: &str| {
        json!({"station_id": st, "vehicle_id": t.fx.vehicle_a, "service_type": "maintenance",
               "channel": "hotline", "start": start, "concern": "保养"})
    };

    // In the past.
    let (s, v) = advisor
        .post("/appointments", book("2026-11-23 10:00"))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(rule(&v).ends_with("in_past"), "{v}");
    assert_eq!(v["errors"][0]["field"], "start");
    assert_eq!(appointment_count(&t).await, 0);

    // On the National Day holiday.
    at(&t, "2026-09-24T09:00");
    let (s, v) = advisor
        .post("/appointments", book("2026-10-01 10:00"))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(rule(&v), "capacity.not_working_day");
    assert_eq!(appointment_count(&t).await, 0);
    at(&t, "2026-11-24T09:00");

    // Double booking: one certified technician, so the same slot holds one job; the
    // second is refused and the search offers other times instead.
    let (s, v) = advisor
        .post("/appointments", book("2026-11-25 10:00"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = advisor
        .post("/appointments", book("2026-11-25 10:00"))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(rule(&v).starts_with("capacity.no_"), "{v}");
    assert_eq!(appointment_count(&t).await, 1);
    let (_, offer) = advisor
        .get(&format!(
            "/stations/{st}/slots?preferred=2026-11-25%2010:00"
        ))
        .await;
    assert_eq!(offer["preferred_free"], false);
    assert!(!offer["here"]["slots"].as_array().unwrap().is_empty());

    // Unknown fields and malformed input name the field.
    let (s, v) = advisor
        .post("/appointments", json!({"station_id": st, "colour": "red"}))
        .await;
    assert_eq!(
        (s, rule(&v).as_str()),
        (StatusCode::BAD_REQUEST, "body.unknown_field")
    );
    let (s, v) = advisor.post("/appointments", book("tomorrow-ish")).await;
    assert_eq!(
        (s, rule(&v).as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "datetime.format")
    );

    // A walk-in order: a skipped stage and a missing checkpoint are refused.
    let (s, v) = advisor
        .post(
            "/repair-orders",
            json!({"station_id": st, "vehicle_id": t.fx.vehicle_a, "concern": "异响"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let ro = v["id"].as_i64().unwrap();
    let before = detail(&advisor, ro).await;
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/stages/repair/start"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(rule(&v).starts_with("repair_order.stage_"), "{v}");
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/stages/reception/complete"),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, rule(&v).as_str()),
        (StatusCode::CONFLICT, "repair_order.checkpoint_missing")
    );
    let (s, v) = advisor
        .post(&format!("/repair-orders/{ro}/stages/warp/start"), json!({}))
        .await;
    assert_eq!(
        (s, rule(&v).as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "repair_order.stage_unknown"
        )
    );
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/checkpoints"),
            json!({"code": "delivery.car_clean"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let after = detail(&advisor, ro).await;
    assert_eq!(before["order"], after["order"]);
    assert_eq!(before["stages"], after["stages"]);
    assert_eq!(before["timeline"], after["timeline"]);

    // Unapproved work cannot be started or assigned.
    tick_required(&advisor, ro, "reception").await;
    advisor
        .post(
            &format!("/repair-orders/{ro}/stages/reception/complete"),
            json!({}),
        )
        .await;
    advisor
        .post(
            &format!("/repair-orders/{ro}/stages/diagnosis/start"),
            json!({}),
        )
        .await;
    let (_, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/lines"),
            json!({"kind": "labour", "code": "BRAKE-PAD"}),
        )
        .await;
    let no = v["line_no"].as_i64().unwrap();
    let (s, v) = advisor
        .post(&format!("/repair-orders/{ro}/lines/{no}/start"), json!({}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/stages/diagnosis/complete"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/lines"),
            json!({"kind": "labour", "code": "NO-SUCH-OP"}),
        )
        .await;
    assert_eq!(
        (s, rule(&v).as_str()),
        (StatusCode::CONFLICT, "labour.unknown")
    );
    assert_eq!(line(&detail(&advisor, ro).await, no)["work"], "not_started");

    // Another station's order is not found, not forbidden.
    let (s, _) = advisor.get("/repair-orders/999999").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Garbage owner tokens are simply not found.
    let r = t
        .client()
        .get(format!("{}/api/v1/track/{}", t.base, "x".repeat(64)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_and_owner_pages_drive_the_loop_without_javascript() {
    let t = TestApp::spawn().await;
    let sf = t.service_fixture().await;
    let api = Api::new(&t, Role::ServiceAdvisor).await;
    let st = t.fx.station_a;
    let (_, v) = api
        .post(
            "/appointments",
            json!({"station_id": st, "vehicle_id": t.fx.vehicle_a, "service_type": "maintenance",
                   "channel": "hotline", "start": "2026-11-24 10:00", "concern": "保养"}),
        )
        .await;
    let appt = v["id"].as_i64().unwrap();
    let (c, csrf) = t.login("service_advisor").await;
    let page = |c: reqwest::Client, path: String| {
        let base = t.base.clone();
        async move {
            let r = c.get(format!("{base}{path}")).send().await.unwrap();
            let s = r.status();
            (s, r.text().await.unwrap())
        }
    };
    let (s, html) = page(c.clone(), "/console/appointments?day=2026-11-24".into()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("今日预约") && html.contains("接车开单"),
        "{html}"
    );
    at(&t, "2026-11-24T10:00");
    let r = c
        .post(format!("{}/console/appointments/{appt}/open", t.base))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    let ro: i64 = loc.rsplit('/').next().unwrap().parse().unwrap();
    // Completing reception with a checkpoint missing shows the rule, in Chinese.
    let r = c
        .post(format!("{}/console/orders/{ro}/stage", t.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("stage", "reception"),
            ("op", "complete"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("必检项未完成"));
    // A form without the CSRF token is refused.
    let r = c
        .post(format!("{}/console/orders/{ro}/check", t.base))
        .form(&[("code", "reception.walk_around")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .post(format!("{}/console/orders/{ro}/check", t.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("code", "reception.walk_around"),
            ("note", "左前轮眉划痕"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (s, html) = page(c.clone(), format!("/console/orders/{ro}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("左前轮眉划痕") && html.contains("工单时间线"));
    let (s, html) = page(c.clone(), "/console/board".into()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(&format!("/console/orders/{ro}")));
    // The owner link page shows the stage and the note, with no sign-in.
    let (_, link) = api
        .post(&format!("/repair-orders/{ro}/owner-link"), json!({}))
        .await;
    let (s, html) = page(t.client(), link["url"].as_str().unwrap().to_string()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("左前轮眉划痕") && html.contains("接车"),
        "{html}"
    );
    let (s, _) = page(
        t.client(),
        "/owner/track/not-a-real-token-at-all-0000000000".into(),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // KPIs with the chart; technicians' jobs page.
    let (m, _) = t.login("station_manager").await;
    let (s, html) = page(m, "/console/kpis?month=2026-11".into()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("<svg") && html.contains("一次修复率"));
    let (tc, _) = t.login("technician").await;
    let (s, html) = page(tc, "/console/jobs".into()).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    let _ = sf;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_office_edits_the_holiday_plan_and_booking_follows_it() {
    let t = TestApp::spawn().await;
    t.service_fixture().await;
    let admin = Api::new(&t, Role::Administrator).await;
    let manager = Api::new(&t, Role::StationManager).await;
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let (s, v) = advisor.get("/calendar/holidays").await;
    assert_eq!(s, StatusCode::OK);
    let plan = v["plan"].as_str().unwrap().to_string();
    assert!(
        plan.contains("2026-02-14 workday"),
        "调休 days are part of the plan"
    );
    assert!(plan.contains("春节"));
    let put = |api: &Api, text: String| {
        let (c, url, token) = (
            api.c.clone(),
            format!("{}/calendar/holidays", api.base),
            api.token.clone(),
        );
        async move {
            let r = c
                .put(url)
                .bearer_auth(token)
                .json(&json!({ "plan": text }))
                .send()
                .await
                .unwrap();
            let s = r.status();
            (s, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    // A bad line names its number, and nothing changes.
    let (s, v) = put(&admin, format!("{plan}\n2026-13-01 holiday 坏日子\n")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["field"], "plan");
    assert!(v["errors"][0]["message"].as_str().is_some());
    assert_eq!(
        advisor.get("/calendar/holidays").await.1["plan"].as_str(),
        Some(plan.as_str())
    );
    // A station manager may not change the national plan.
    assert_eq!(put(&manager, plan.clone()).await.0, StatusCode::FORBIDDEN);
    // Head office declares an extra holiday; booking on it is refused by the same calendar.
    let (s, v) = put(&admin, format!("{plan}\n2026-11-26 holiday 临时停业\n")).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let book = json!({"station_id": t.fx.station_a, "vehicle_id": t.fx.vehicle_a, "service_type": "maintenance",
                      "channel": "hotline", "start": "2026-11-26 10:00", "concern": "保养"});
    let (s, v) = advisor.post("/appointments", book).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(rule(&v), "capacity.not_working_day");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_respect_consent_and_the_chosen_channel() {
    let t = TestApp::spawn().await;
    t.service_fixture().await;
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let book = |start: &str| {
        json!({"station_id": t.fx.station_a, "vehicle_id": t.fx.vehicle_a, "service_type": "maintenance",
               "channel": "hotline", "start": start, "concern": "保养"})
    };
    let reminders = || async {
        let mut c = t.app.db.pool.acquire().await.unwrap();
        sqlx::query_as::<_, (String,)>(
            "SELECT channel FROM outbox WHERE dedupe_key LIKE 'appt-reminder:%' ORDER BY id",
        )
        .fetch_all(&mut *c)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.0)
        .collect::<Vec<_>>()
    };
    let (db, customer) = (t.app.db.clone(), t.fx.customer_a);
    let set = |sql: &'static str| {
        let db = db.clone();
        async move {
            let mut c = db.pool.acquire().await.unwrap();
            sqlx::query(sql)
                .bind(customer)
                .execute(&mut *c)
                .await
                .unwrap();
        }
    };
    set("UPDATE customers SET consent_service = 0, channel = 'wechat' WHERE id = $1").await;
    let (s, v) = advisor
        .post("/appointments", book("2026-11-25 10:00"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert!(reminders().await.is_empty(), "no consent, no reminder");
    set("UPDATE customers SET consent_service = 1 WHERE id = $1").await;
    let (s, v) = advisor
        .post("/appointments", book("2026-11-27 10:00"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(reminders().await, vec!["wechat".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_office_publishes_a_stage_standard_and_open_orders_keep_theirs() {
    let t = TestApp::spawn().await;
    t.service_fixture().await;
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let admin = Api::new(&t, Role::Administrator).await;
    let manager = Api::new(&t, Role::StationManager).await;
    let st = t.fx.station_a;
    at(&t, "2026-11-24T09:00");
    let walk_in = || json!({"station_id": st, "vehicle_id": t.fx.vehicle_a, "concern": "异响"});
    let reception = |d: &Value| -> Vec<(String, bool)> {
        d["stages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["stage"] == "reception")
            .unwrap()["checkpoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["code"].as_str().unwrap().to_string(),
                    c["required"] == true,
                )
            })
            .collect()
    };

    // An order opened under version 1.
    let (s, v) = advisor.post("/repair-orders", walk_in()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let old = v["id"].as_i64().unwrap();
    let v1_codes = reception(&detail(&advisor, old).await);

    // Head office publishes version 2 with an extra required reception checkpoint.
    let (s, current) = admin.get("/stage-standards/current").await;
    assert_eq!(s, StatusCode::OK, "{current}");
    assert_eq!(current["version"], 1);
    let mut v2 = current.clone();
    v2["version"] = json!(2);
    let reception_spec = v2["stages"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|s| s["stage"] == "reception")
        .unwrap();
    reception_spec["checkpoints"].as_array_mut().unwrap().push(json!({
        "code": "reception.photos", "label_zh": "车辆外观拍照", "label_en": "Photos of the body",
        "rule": "required"
    }));
    let (s, v) = manager.post("/stage-standards", v2.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = admin.post("/stage-standards", v2.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["version"], 2);
    let (_, current) = advisor.get("/stage-standards/current").await;
    assert_eq!(current["version"], 2);
    let (s, v) = admin.post("/stage-standards", v2).await;
    assert_eq!(
        (s, rule(&v).as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "stage_standard.version"),
        "{v}"
    );

    // A new order runs under version 2: version 1's checkpoints are not enough.
    let (s, v) = advisor.post("/repair-orders", walk_in()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let new = v["id"].as_i64().unwrap();
    assert!(reception(&detail(&advisor, new).await).contains(&("reception.photos".into(), true)));
    for (code, required) in &v1_codes {
        if *required {
            let (s, v) = advisor
                .post(
                    &format!("/repair-orders/{new}/checkpoints"),
                    json!({"code": code}),
                )
                .await;
            assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
        }
    }
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{new}/stages/reception/complete"),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, rule(&v).as_str()),
        (StatusCode::CONFLICT, "repair_order.checkpoint_missing"),
        "{v}"
    );
    assert!(v.to_string().contains("reception.photos"), "{v}");
    tick_required(&advisor, new, "reception").await;
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{new}/stages/reception/complete"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // The order opened under version 1 keeps it and completes with its checkpoints.
    assert_eq!(reception(&detail(&advisor, old).await), v1_codes);
    tick_required(&advisor, old, "reception").await;
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{old}/stages/reception/complete"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn part_lines_are_priced_from_the_catalogue() {
    let t = TestApp::spawn().await;
    t.service_fixture().await;
    let admin = Api::new(&t, Role::Administrator).await;
    let manager = Api::new(&t, Role::StationManager).await;
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let part = json!({"part_number": "06l115562b", "name_zh": "机油滤清器", "name_en": "Oil filter", "price_fen": 6_800});
    assert_eq!(
        manager.post("/parts", part.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    let (s, v) = admin
        .post(
            "/parts",
            json!({"part_number": "x", "name_zh": "坏", "name_en": "Bad", "price_fen": -1}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["part_number", "price_fen"]);
    assert_eq!(admin.post("/parts", part).await.0, StatusCode::NO_CONTENT);
    let (_, list) = advisor.get("/parts").await;
    assert_eq!(list["items"][0]["part_number"], "06L115562B");
    let ro = t.walk_in_in_diagnosis().await;
    // The catalogue price wins over a price typed at the desk; an unknown part needs one.
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/lines"),
            json!({"kind": "part", "code": "06L115562B", "hundredths": 200, "unit_price_fen": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/lines"),
            json!({"kind": "part", "code": "NOT-IN-CATALOGUE"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["field"], "unit_price_fen");
    let (_, d) = advisor.get(&format!("/repair-orders/{ro}")).await;
    let text = d.to_string();
    assert!(
        text.contains("13600"),
        "2 × ¥68.00 from the catalogue: {text}"
    );
}

/// Forwarding headers are believed only from configured proxies: with none (the
/// default) an approval sent with a forged `X-Forwarded-For` records the peer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_forwarding_header_is_not_recorded() {
    let t = TestApp::spawn().await;
    let ro = t.walk_in_in_diagnosis().await;
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/lines"),
            json!({"kind": "part", "code": "OIL-FILTER", "unit_price_fen": 5000}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let no = v["line_no"].as_i64().unwrap();
    let r = advisor
        .c
        .post(format!(
            "{}/repair-orders/{ro}/lines/{no}/approve",
            advisor.base
        ))
        .bearer_auth(&advisor.token)
        .header("x-forwarded-for", "198.51.100.4")
        .header("x-real-ip", "198.51.100.5")
        .json(&json!({"by": "张三", "signature": "张三(手写签名)"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let d = detail(&advisor, ro).await;
    assert!(line(&d, no)["decision_ip"].is_null());
    assert_eq!(evidence(&t, ro, no).await.1.as_deref(), Some("127.0.0.1"));
}

/// A car may walk into any station, but only by the VIN the desk reads off it: an id
/// reaches the caller's own vehicles only, and a cross-station walk-in is audited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walk_ins_from_another_station_go_by_vin_and_are_audited() {
    let t = TestApp::spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let c = t.client();
    let post = |body: Value| {
        c.post(format!("{}/api/v1/repair-orders", t.base))
            .bearer_auth(&tok)
            .json(&body)
            .send()
    };
    let audits = || async {
        let mut conn = t.app.db.pool.acquire().await.unwrap();
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'cross_station_walk_in' AND entity_id = $1",
        )
        .bind(t.fx.vehicle_b)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        n
    };
    let r = post(
        json!({"station_id": t.fx.station_a, "vehicle_id": t.fx.vehicle_b, "concern": "异响"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["errors"][0]["field"], "vehicle_id");
    assert_eq!(audits().await, 0);
    let r = post(json!({"station_id": t.fx.station_a, "vin": t.fx.vin_b, "concern": "异响"}))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        audits().await,
        1,
        "the cross-station access is in the audit log"
    );
    // The station's own car by id: no audit row needed.
    let r = post(
        json!({"station_id": t.fx.station_a, "vehicle_id": t.fx.vehicle_a, "concern": "保养"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
}
