//! What the counters count: serious safety faults from diagnosis, main-part replacements
//! from the labour operations head office marks, and not maintenance.

use super::*;

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
