//! Head office edits the holiday plan, publishes stage standards and the parts catalogue; stations follow.

use super::*;

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
    // Publishing the same version again is refused by the current state (409), as the
    // document declares; so is a checkpoint code listed in two stages.
    let mut twice = v2.clone();
    twice["version"] = json!(3);
    let first = twice["stages"][0]["checkpoints"][0].clone();
    twice["stages"][1]["checkpoints"]
        .as_array_mut()
        .unwrap()
        .push(first);
    let (s, v) = admin.post("/stage-standards", v2).await;
    assert_eq!(
        (s, rule(&v).as_str()),
        (StatusCode::CONFLICT, "stage_standard.version"),
        "{v}"
    );
    let (s, v) = admin.post("/stage-standards", twice).await;
    assert_eq!(
        (s, rule(&v).as_str()),
        (StatusCode::CONFLICT, "repair_order.standard_invalid"),
        "{v}"
    );

    // A new order runs under version 2: version 1's checkpoints are not enough. The
    // car's first order is still open, so the second one is refused without a reason
    // (naming the open order) and opened with one.
    let (s, v) = advisor.post("/repair-orders", walk_in()).await;
    assert_eq!(
        (s, rule(&v).as_str()),
        (StatusCode::CONFLICT, "repair_order.open_exists"),
        "{v}"
    );
    assert!(
        v.to_string()
            .contains(&format!("/api/v1/repair-orders/{old}")),
        "{v}"
    );
    let mut second = walk_in();
    second["second_order_reason"] = json!("版本切换测试：同车另开一单");
    let (s, v) = advisor.post("/repair-orders", second).await;
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
    // Whether a price is needed depends on the catalogue, which no schema states: 409.
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["errors"][0]["field"], "unit_price_fen");
    let (_, d) = advisor.get(&format!("/repair-orders/{ro}")).await;
    let text = d.to_string();
    assert!(
        text.contains("13600"),
        "2 × ¥68.00 from the catalogue: {text}"
    );
}
