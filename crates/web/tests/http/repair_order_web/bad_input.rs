//! Bad input refused by rule, with nothing changed.

use super::*;

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
