//! One regression test per finding of issue 19, each history told in the test's words.

use super::*;

fn rights(g: &Value) -> Vec<(String, String)> {
    g["rights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["article"].as_str().unwrap().to_string(),
                r["subject"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn same_problem(g: &Value, part: &str) -> i64 {
    g["counters"]["same_problem"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["key"] == part)
        .map_or(0, |k| k["count"].as_i64().unwrap())
}

/// Finding 1: the same problem is the same part. One ignition-coil fault described five
/// ways over five visits is five repairs of one problem, and the fifth gives the right;
/// six water leaks coded alike, three at the windscreen seal and three at the door
/// seals, are two problems repaired three times each.
#[tokio::test]
async fn finding_1_the_same_problem_is_the_same_part_not_the_words_or_the_code() {
    let t = TestApp::spawn().await;
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let car = car(&t, &advisor, "AN001901").await;
    let path = format!("/vehicles/{car}/three-guarantees");
    for (i, concern) in [
        "发动机抖动",
        "加速无力",
        "故障灯亮",
        "怠速不稳",
        "冷车难启动",
    ]
    .iter()
    .enumerate()
    {
        let m = 3 + i;
        repair_of(
            &t,
            &advisor,
            car,
            concern,
            "ignition_coil",
            &format!("2026-0{m}-02T09:00"),
            &format!("2026-0{m}-02T17:00"),
        )
        .await;
        let (_, g) = advisor.get(&path).await;
        assert_eq!(same_problem(&g, "ignition_coil"), i as i64 + 1, "{g}");
        let has = rights(&g).contains(&("art24(1)(4)".into(), "part:ignition_coil".into()));
        assert_eq!(
            has,
            i == 4,
            "the fifth repair, and only it, gives the right: {g}"
        );
    }
    let other = super::car(&t, &advisor, "AN001902").await;
    for (i, part) in [
        "windscreen_seal",
        "door_seal",
        "windscreen_seal",
        "door_seal",
        "windscreen_seal",
        "door_seal",
    ]
    .iter()
    .enumerate()
    {
        at(&t, &format!("2026-0{}-10T09:00", 3 + i));
        let id = open(&t, &advisor, other, "车内漏水").await;
        classify(
            &advisor,
            id,
            json!({"quality": true, "part": part, "code": "B1234"}),
        )
        .await;
        at(&t, &format!("2026-0{}-10T15:00", 3 + i));
        deliver(&t, id).await;
    }
    let (_, g) = advisor
        .get(&format!("/vehicles/{other}/three-guarantees"))
        .await;
    assert_eq!(same_problem(&g, "windscreen_seal"), 3, "{g}");
    assert_eq!(same_problem(&g, "door_seal"), 3, "{g}");
    assert!(rights(&g).is_empty(), "{g}");
}

/// Finding 2 (Art 40): a repair finished in 2 days 6 hours and collected after 7 days
/// is 3 days of repair; no courtesy car. Findings 3 and 13: an accident repair of 8
/// days raises no duty. Finding 8 (Art 24 para 3): battery transport counts for the
/// courtesy car but not toward the 30 days; bad intervals are refused by field and article.
#[tokio::test]
async fn findings_2_3_8_repair_time_runs_from_agreement_to_completion_for_quality_repairs() {
    let t = TestApp::spawn().await;
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let car = car(&t, &advisor, "AN001903").await;
    at(&t, "2026-03-02T09:00");
    let id = open(&t, &advisor, car, "变速箱异响").await;
    classify(
        &advisor,
        id,
        json!({"quality": true, "part": "transmission_bearing"}),
    )
    .await;
    let clock = format!("/repair-orders/{id}/three-guarantees/clock");
    let (s, v) = advisor
        .put(
            &clock,
            json!({"agreed_at": "2026-03-02T09:00", "completed_at": "2026-03-01T09:00"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["field"], "completed_at");
    assert!(v["detail"].as_str().unwrap().contains("Art 40"), "{v}");
    let (s, v) = advisor
        .put(
            &clock,
            json!({"agreed_at": "2026-03-02T09:00", "completed_at": "2026-03-04T15:00"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    at(&t, "2026-03-09T10:00");
    deliver(&t, id).await;
    let (_, o) = advisor
        .get(&format!("/repair-orders/{id}/three-guarantees"))
        .await;
    assert_eq!(o["clock"]["repair_days"], 3, "{o}");
    assert_eq!(o["clock"]["recorded"], true);
    assert_eq!(o["courtesy_car_since"], Value::Null, "{o}");
    assert_eq!(o["vehicle"]["counters"]["repair_days"], 3, "{o}");

    // An accident repair of 8 days: no duty, no days.
    at(&t, "2026-04-01T09:00");
    let body = open_typed(&t, &advisor, car, "追尾钣金", "accident_body").await;
    at(&t, "2026-04-09T10:00");
    let (_, o) = advisor
        .get(&format!("/repair-orders/{body}/three-guarantees"))
        .await;
    assert_eq!(o["courtesy_car_since"], Value::Null, "{o}");
    assert_eq!(o["vehicle"]["courtesy_car_due"], json!([]), "{o}");
    assert_eq!(o["vehicle"]["counters"]["repair_days"], 3, "{o}");
    deliver(&t, body).await;

    // Battery transport of 4 days inside a 9-day repair: 9 days for the courtesy car,
    // 5 toward the 30.
    at(&t, "2026-05-04T09:00");
    let ev = open(&t, &advisor, car, "动力电池故障").await;
    classify(&advisor, ev, json!({"quality": true, "part": "cell_module_3", "system": "traction_battery", "main_part": "cell_module"})).await;
    let ex = format!("/repair-orders/{ev}/three-guarantees/excluded");
    let interval = json!({"kind": "battery_transport", "from": "2026-05-05T09:00", "to": "2026-05-09T09:00", "evidence": "运单 SF123"});
    let (s, v) = advisor.post(&ex, interval.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = advisor
        .post(
            &ex,
            with(interval.clone(), "from", json!("2026-05-08T09:00")),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "overlap: {v}");
    assert_eq!(
        (
            v["errors"][0]["field"].as_str(),
            v["errors"][0]["rule"].as_str()
        ),
        (Some("from"), Some("guarantee.interval_overlap"))
    );
    let (s, v) = advisor
        .post(
            &ex,
            with(
                with(interval.clone(), "from", json!("2026-05-01T09:00")),
                "to",
                json!("2026-05-02T09:00"),
            ),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "before the repair: {v}"
    );
    assert_eq!(v["errors"][0]["rule"], "guarantee.interval_outside");
    let (s, v) = advisor
        .post(&ex, with(interval, "evidence", json!("")))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "no evidence: {v}");
    assert_eq!(v["errors"][0]["field"], "evidence");
    at(&t, "2026-05-13T09:00");
    deliver(&t, ev).await;
    let (_, o) = advisor
        .get(&format!("/repair-orders/{ev}/three-guarantees"))
        .await;
    assert_eq!(
        (
            o["clock"]["repair_days"].as_i64(),
            o["clock"]["counted_days"].as_i64()
        ),
        (Some(9), Some(5)),
        "{o}"
    );
    assert_eq!(
        o["excluded"].as_array().unwrap().len(),
        1,
        "nothing half-written: {o}"
    );
    assert!(o["courtesy_car_since"].is_i64(), "{o}");
    assert_eq!(o["vehicle"]["counters"]["repair_days"], 8, "{o}");
}

/// Finding 4 (Art 21): a quality repair on a 27-month-old car shows the duty from the
/// start of day 6, while the car is still in the workshop. Finding 5 (Art 18): the
/// periods run from the delivery date when it differs from the invoice.
#[tokio::test]
async fn findings_4_5_courtesy_car_live_through_the_warranty_and_periods_from_delivery() {
    let t = TestApp::spawn().await;
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let car = car_sold(&t, &advisor, "AN001904", "2024-03-01").await;
    at(&t, "2026-06-01T09:00");
    let id = open(&t, &advisor, car, "空调不制冷").await;
    classify(
        &advisor,
        id,
        json!({"quality": true, "part": "ac_compressor"}),
    )
    .await;
    let path = format!("/repair-orders/{id}/three-guarantees");
    at(&t, "2026-06-06T08:59");
    let (_, o) = advisor.get(&path).await;
    assert_eq!(o["courtesy_car_since"], Value::Null, "day 5: {o}");
    assert_eq!(o["vehicle"]["within_sanbao"], false, "27 months: {o}");
    assert_eq!(o["vehicle"]["within_warranty"], true, "{o}");
    at(&t, "2026-06-06T09:01");
    let (_, o) = advisor.get(&path).await;
    assert!(o["courtesy_car_since"].is_i64(), "day 6: {o}");
    assert_eq!(o["vehicle"]["courtesy_car_due"], json!([id]), "{o}");
    let (web, _) = t.login("service_advisor").await;
    let html = page_text(&web, format!("{}/console/orders/{id}", t.base)).await;
    assert!(
        html.contains("Courtesy car") || html.contains("备用车"),
        "the order page shows the duty"
    );

    // Delivered 40 days after the invoice: the 三包有效期 ends 40 days later too.
    let late = car_sold(&t, &advisor, "AN001905", "2025-01-10").await;
    let (s, v) = advisor
        .put(
            &format!("/vehicles/{late}/three-guarantees/delivery"),
            json!({"delivered_on": "2025-02-19"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let (_, g) = advisor
        .get(&format!("/vehicles/{late}/three-guarantees"))
        .await;
    assert_eq!(g["coverage"]["start"], "2025-02-19", "{g}");
    assert_eq!(g["coverage"]["sanbao_until"], "2027-02-19", "{g}");
    let (s, v) = advisor
        .put(
            &format!("/vehicles/{late}/three-guarantees/delivery"),
            json!({"delivered_on": "2024-12-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["rule"], "guarantee.delivered_before_invoice");
}

/// Findings 9 and 10 (Art 24 para 2): main parts of all ten systems are accepted, a
/// part not in the list is refused naming the article, and assembly and main-part
/// replacements are counted apart. Finding 11 (Art 32): an exclusion needs its reason
/// and evidence, and an excluded fault counts for nothing.
#[tokio::test]
async fn findings_9_10_11_main_parts_counted_apart_and_exclusions_with_evidence() {
    let t = TestApp::spawn().await;
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let car = car(&t, &advisor, "AN001906").await;
    at(&t, "2026-03-02T09:00");
    let id = open(&t, &advisor, car, "刹车异响").await;
    let lines = format!("/repair-orders/{id}/three-guarantees/faults");
    let (s, v) = advisor
        .post(
            &lines,
            json!({"quality": true, "part": "x", "system": "brakes", "main_part": "wheel"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["rule"], "guarantee.main_part_unknown");
    // In words: the system's name, the part as typed, the article.
    assert_eq!(
        v["detail"], "Not in the main-part list: Brakes part “wheel” Art 24(1)(3)",
        "{v}"
    );
    classify(&advisor, id, json!({"quality": true, "part": "cylinder_head", "system": "engine", "main_part": "cylinder_head", "action": "replace_main_part"})).await;
    let brake = classify(&advisor, id, json!({"quality": true, "part": "brake_master_cylinder", "system": "brakes", "main_part": "master_cylinder", "action": "replace_main_part"})).await;
    at(&t, "2026-03-03T09:00");
    deliver(&t, id).await;
    at(&t, "2026-04-02T09:00");
    let eng = open(&t, &advisor, car, "发动机故障").await;
    classify(&advisor, eng, json!({"quality": true, "part": "engine_assembly", "system": "engine", "action": "replace_assembly"})).await;
    at(&t, "2026-04-04T09:00");
    deliver(&t, eng).await;
    let (_, g) = advisor
        .get(&format!("/vehicles/{car}/three-guarantees"))
        .await;
    assert_eq!(
        g["counters"]["assemblies"],
        json!([{"key": "engine", "count": 1}]),
        "{g}"
    );
    let mains = g["counters"]["main_parts"].to_string();
    assert!(
        mains.contains("engine/cylinder_head") && mains.contains("brakes/master_cylinder"),
        "{g}"
    );

    // An exclusion without evidence is refused and changes nothing; with it, the
    // brake fault no longer counts.
    let ex = format!("/repair-orders/{id}/three-guarantees/faults/{brake}/exclusion");
    let (s, v) = advisor.put(&ex, json!({"reason": "forbidden_modification", "explanation": "改装刹车卡钳", "evidence": ""})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["rule"], "guarantee.exclusion_evidence");
    assert!(v["detail"].as_str().unwrap().contains("Art 32"), "{v}");
    let (_, g2) = advisor
        .get(&format!("/vehicles/{car}/three-guarantees"))
        .await;
    assert_eq!(g2["counters"], g["counters"], "nothing changed");
    let (s, v) = advisor.put(&ex, json!({"reason": "forbidden_modification", "explanation": "改装刹车卡钳", "evidence": "照片 IMG-1"})).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let (_, g) = advisor
        .get(&format!("/vehicles/{car}/three-guarantees"))
        .await;
    assert!(
        !g["counters"]["main_parts"]
            .to_string()
            .contains("brakes/master_cylinder"),
        "{g}"
    );
    assert_eq!(same_problem(&g, "brake_master_cylinder"), 0, "{g}");
}

/// Finding 12 (Arts 4, 18, 21, 24): values below the legal floors are refused with a
/// 422 naming the field and the article; more generous values are kept; only head
/// office may change the policy.
#[tokio::test]
async fn finding_12_the_policy_is_refused_below_the_legal_floors() {
    let t = TestApp::spawn().await;
    let admin = Api::new(&t, Role::Administrator).await;
    let manager = Api::new(&t, Role::StationManager).await;
    let (s, p) = admin.get("/settings/three-guarantees").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(p["is_default"], true);
    let legal = p["policy"].clone();
    // The detail names the field and the article in words; the rule and the article
    // stay as stable codes for machines.
    for (field, value, art, words) in [
        (
            "sanbao_months",
            12,
            "art18",
            "Three-guarantees period (months) is less generous than the law allows: Art 18 sets at least 24 months",
        ),
        (
            "same_problem_repairs",
            6,
            "art24(1)(4)",
            "Art 24(1)(4) sets 1 to at most 4 times",
        ),
        (
            "courtesy_car_days",
            7,
            "art21",
            "Art 21 sets 1 to at most 5 days",
        ),
    ] {
        let (s, v) = admin
            .put(
                "/settings/three-guarantees",
                with(legal.clone(), field, json!(value)),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["errors"][0]["field"], field, "{v}");
        assert_eq!(v["errors"][0]["rule"], "guarantee.below_legal_floor");
        assert_eq!(v["errors"][0]["article"], art, "{v}");
        let detail = v["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(words), "{v}");
        assert!(!detail.contains(art), "no code in the words: {v}");
    }
    // In Chinese as the console page has it.
    let zh = t
        .client()
        .put(format!("{}/api/v1/settings/three-guarantees", t.base))
        .bearer_auth(t.token(Role::Administrator).await)
        .header("accept-language", "zh-CN")
        .json(&with(legal.clone(), "courtesy_car_days", json!(7)))
        .send()
        .await
        .unwrap();
    assert_eq!(zh.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let zh: Value = zh.json().await.unwrap_or(Value::Null);
    let detail = zh["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("提供备用车的修理天数") && detail.contains("第二十一条规定为1 至 5 天"),
        "{zh}"
    );
    assert!(!detail.contains("art21"), "{zh}");
    let (_, p) = admin.get("/settings/three-guarantees").await;
    assert_eq!(p["is_default"], true, "nothing stored");
    let (s, _) = manager
        .put(
            "/settings/three-guarantees",
            with(legal.clone(), "sanbao_months", json!(36)),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = admin
        .put(
            "/settings/three-guarantees",
            with(legal, "sanbao_months", json!(36)),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["policy"]["sanbao_months"], 36);
}

/// Finding 14: a right that arose inside the period is still shown, with its date and
/// evidence, after the period has ended. Finding 15: counted days warn from the margin.
#[tokio::test]
async fn findings_14_15_rights_never_disappear_and_days_warn_from_the_margin() {
    let t = TestApp::spawn().await;
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let car = car(&t, &advisor, "AN001907").await;
    let path = format!("/vehicles/{car}/three-guarantees");
    repair_of(
        &t,
        &advisor,
        car,
        "车窗异响",
        "window_regulator",
        "2026-03-02T09:00",
        "2026-03-28T09:00",
    )
    .await;
    let (_, g) = advisor.get(&path).await;
    assert_eq!(g["counters"]["repair_days"], 26, "{g}");
    assert_eq!(
        g["warnings"][0]["subject"], "repair_days",
        "warned from 25 days: {g}"
    );
    let second = repair_of(
        &t,
        &advisor,
        car,
        "车窗异响",
        "window_regulator",
        "2026-04-01T09:00",
        "2026-04-07T09:00",
    )
    .await;
    let (_, g) = advisor.get(&path).await;
    let days = g["rights"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["subject"] == "repair_days")
        .cloned()
        .unwrap();
    assert_eq!(days["article"], "art24(1)(4)");
    assert_eq!(days["arose_on"], "2026-04-05", "{days}");
    assert_eq!(
        days["evidence"].as_array().unwrap().last(),
        Some(&json!(second))
    );
    at(&t, "2028-01-01T09:00");
    let (_, later) = advisor.get(&path).await;
    assert_eq!(later["within_sanbao"], false);
    assert!(
        later["rights"].as_array().unwrap().contains(&days),
        "{later}"
    );

    // The vehicle page and the printable dossier show the right with its article and
    // the date it arose, in Chinese by default.
    let (web, _) = t.login("service_advisor").await;
    let html = page_text(&web, format!("{}/console/vehicles/{car}", t.base)).await;
    assert!(
        html.contains("第二十四条第一款第（四）项") && html.contains("2026-04-05"),
        "vehicle page"
    );
    assert!(
        html.contains(&format!("href=\"/console/vehicles/{car}/dossier\"")),
        "the vehicle page links its dossier"
    );
    let html = page_text(&web, format!("{}/console/vehicles/{car}/dossier", t.base)).await;
    assert!(
        html.contains("三包档案") && html.contains("第二十四条第一款第（四）项"),
        "dossier"
    );
    assert!(
        html.contains(&format!("#{second}")),
        "the orders are listed"
    );
}
