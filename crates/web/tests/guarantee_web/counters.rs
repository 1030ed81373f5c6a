//! Repeat repairs and repair days warn at the thresholds head office keeps and entitle past them.

use super::*;

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
