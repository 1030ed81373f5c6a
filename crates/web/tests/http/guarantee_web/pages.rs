//! The three-guarantees pages: the order page's forms (clock, excluded intervals,
//! classified faults, Art 32 exclusions) with field errors and post-redirect-get, the
//! board's courtesy-car marker from day 6, the agent's request form, the request list
//! and detail with the answer, and the owner's phone page filing a request.

use super::*;

#[tokio::test]
async fn the_order_page_records_the_clock_intervals_faults_and_exclusions() {
    let t = TestApp::spawn().await;
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let car = car(&t, &advisor, "AN001951").await;
    at(&t, "2026-06-01T09:00");
    let id = open(&t, &advisor, car, "发动机异响").await;
    at(&t, "2026-06-03T12:00");
    let (web, csrf) = t.login("service_advisor").await;
    let base = format!("{}/console/orders/{id}/three-guarantees", t.base);
    let html = page_text(&web, format!("{}/console/orders/{id}", t.base)).await;
    assert!(
        html.contains("id=\"gt-clock-form\""),
        "the clock form is on the order page"
    );

    // The clock: agreed 09:30 on the first day, still running.
    let (s, loc, _) = post_form(
        &web,
        format!("{base}/clock"),
        &[
            ("csrf", &csrf),
            ("agreed_at", "2026-06-01T09:30"),
            ("completed_at", ""),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(loc, format!("/console/orders/{id}#gt-clock"));
    let (_, o) = advisor
        .get(&format!("/repair-orders/{id}/three-guarantees"))
        .await;
    assert_eq!(o["clock"]["recorded"], true, "{o}");
    assert_eq!(
        o["clock"]["repair_days"], 3,
        "09:30 on the 1st to noon on the 3rd: {o}"
    );

    // An excluded interval without evidence: refused beside its field, nothing written.
    let (s, _, body) = post_form(
        &web,
        format!("{base}/excluded"),
        &[
            ("csrf", &csrf),
            ("kind", "owner_wait"),
            ("from", "2026-06-01T12:00"),
            ("to", "2026-06-01T18:00"),
            ("evidence", ""),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("data-field=\"evidence\""),
        "the error is beside the evidence"
    );
    assert!(
        body.contains("value=\"2026-06-01T12:00\""),
        "what was typed is kept"
    );
    let (_, o) = advisor
        .get(&format!("/repair-orders/{id}/three-guarantees"))
        .await;
    assert_eq!(o["excluded"], json!([]), "nothing written: {o}");
    // Outside the repair: refused naming `from`.
    let (s, _, body) = post_form(
        &web,
        format!("{base}/excluded"),
        &[
            ("csrf", &csrf),
            ("kind", "owner_wait"),
            ("from", "2026-05-30T12:00"),
            ("to", "2026-05-30T18:00"),
            ("evidence", "SMS 0530"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("data-field=\"from\""),
        "{}",
        &body[..200.min(body.len())]
    );
    let (s, loc, _) = post_form(
        &web,
        format!("{base}/excluded"),
        &[
            ("csrf", &csrf),
            ("kind", "owner_wait"),
            ("from", "2026-06-01T12:00"),
            ("to", "2026-06-02T12:00"),
            ("evidence", "SMS 0601"),
        ],
    )
    .await;
    assert_eq!(
        (s, loc.as_str()),
        (
            StatusCode::SEE_OTHER,
            format!("/console/orders/{id}#gt-excluded").as_str()
        )
    );
    let (_, o) = advisor
        .get(&format!("/repair-orders/{id}/three-guarantees"))
        .await;
    assert_eq!(o["excluded"].as_array().unwrap().len(), 1, "{o}");
    assert_eq!(
        o["clock"]["repair_days"], 2,
        "the owner's day is not repair time: {o}"
    );

    // A fault: a main part not in the list is refused; a listed one is recorded.
    let (s, _, body) = post_form(
        &web,
        format!("{base}/faults"),
        &[
            ("csrf", &csrf),
            ("quality", "1"),
            ("part", "气门"),
            ("main_part", "engine/flux_capacitor"),
            ("action", "replace_main_part"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("data-field=\"main_part\""));
    let (s, _, _) = post_form(
        &web,
        format!("{base}/faults"),
        &[
            ("csrf", &csrf),
            ("quality", "1"),
            ("part", "气门"),
            ("main_part", "engine/valve"),
            ("action", "replace_main_part"),
            ("serious_safety", "1"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, o) = advisor
        .get(&format!("/repair-orders/{id}/three-guarantees"))
        .await;
    let l = &o["lines"][0];
    assert_eq!(
        (
            &l["system"],
            &l["main_part"],
            &l["serious_safety"],
            &l["quality"]
        ),
        (
            &json!("engine"),
            &json!("valve"),
            &json!(true),
            &json!(true)
        ),
        "{o}"
    );
    let line = l["id"].as_i64().unwrap();

    // Art 32: without evidence refused; with reason, explanation and evidence kept.
    let (s, _, body) = post_form(
        &web,
        format!("{base}/faults/{line}/exclusion"),
        &[
            ("csrf", &csrf),
            ("reason", "forbidden_modification"),
            ("explanation", "改装进气"),
            ("evidence", ""),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("data-field=\"evidence\""));
    let (s, _, _) = post_form(
        &web,
        format!("{base}/faults/{line}/exclusion"),
        &[
            ("csrf", &csrf),
            ("reason", "forbidden_modification"),
            ("explanation", "改装进气"),
            ("evidence", "照片 P-17"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, o) = advisor
        .get(&format!("/repair-orders/{id}/three-guarantees"))
        .await;
    assert_eq!(
        o["lines"][0]["exclusion_reason"], "forbidden_modification",
        "{o}"
    );
    // A wrong CSRF token changes nothing.
    let (s, _, _) = post_form(
        &web,
        format!("{base}/faults/{line}/exclusion"),
        &[("csrf", "nope"), ("op", "clear")],
    )
    .await;
    assert_ne!(s, StatusCode::SEE_OTHER);
    let (_, o) = advisor
        .get(&format!("/repair-orders/{id}/three-guarantees"))
        .await;
    assert_eq!(o["lines"][0]["exclusion_reason"], "forbidden_modification");
}

#[tokio::test]
async fn the_board_and_the_order_header_show_the_courtesy_car_from_day_six() {
    let t = TestApp::spawn().await;
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let car = car(&t, &advisor, "AN001952").await;
    at(&t, "2026-06-01T09:00");
    let id = open_typed(&t, &advisor, car, "变速箱异响", "repair").await;
    classify(&advisor, id, json!({"quality": true, "part": "同步器"})).await;
    let board = format!("{}/console/board?station={}", t.base, t.fx.station_a);
    at(&t, "2026-06-06T08:59");
    let (web, _) = t.login("service_advisor").await;
    assert!(
        !page_text(&web, board.clone())
            .await
            .contains("data-courtesy-car"),
        "day 5"
    );
    let order = page_text(&web, format!("{}/console/orders/{id}", t.base)).await;
    assert!(!order.contains("id=\"order-courtesy-car\""), "day 5");
    at(&t, "2026-06-06T09:01");
    assert!(
        page_text(&web, board).await.contains("data-courtesy-car"),
        "day 6: the board"
    );
    let order = page_text(&web, format!("{}/console/orders/{id}", t.base)).await;
    assert!(
        order.contains("id=\"order-courtesy-car\""),
        "day 6: the order header"
    );
}

/// A car with five repairs of the ignition coil (2026-04 … 2026-08): its right arose.
async fn car_with_right(t: &TestApp, advisor: &Api, serial: &str) -> i64 {
    let car = car(t, advisor, serial).await;
    for m in 4..=8 {
        repair_of(
            t,
            advisor,
            car,
            "点火线圈故障",
            "ignition_coil",
            &format!("2026-0{m}-06T09:00"),
            &format!("2026-0{m}-06T16:00"),
        )
        .await;
    }
    car
}

#[tokio::test]
async fn an_agent_files_a_request_and_answers_it_on_the_pages() {
    let t = TestApp::spawn().await;
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let car = car_with_right(&t, &advisor, "AN001953").await;
    at(&t, "2026-09-28T10:00");
    let (web, csrf) = t.login("service_advisor").await;
    let vehicle = page_text(&web, format!("{}/console/vehicles/{car}", t.base)).await;
    let new = format!("/console/vehicles/{car}/three-guarantees/requests/new");
    assert!(
        vehicle.contains(&new),
        "the vehicle page links the request form"
    );
    let form = page_text(&web, format!("{}{new}", t.base)).await;
    assert!(
        form.contains("art24(1)(4)|part:ignition_coil"),
        "the right is offered"
    );
    // No right chosen: refused beside the right.
    let (s, _, body) = post_form(
        &web,
        format!("{}{new}", t.base),
        &[("csrf", &csrf), ("kind", "refund")],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("data-field=\"right\""),
        "the error is beside the right"
    );
    let (s, loc, _) = post_form(
        &web,
        format!("{}{new}", t.base),
        &[
            ("csrf", &csrf),
            ("kind", "refund"),
            ("right", "art24(1)(4)|part:ignition_coil"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(
        loc.starts_with("/console/three-guarantees/requests/"),
        "{loc}"
    );
    let detail = page_text(&web, format!("{}{loc}", t.base)).await;
    // Ten working days after Monday 2026-09-28 across the National Day holiday.
    assert!(
        detail.contains("2026-10-16"),
        "the answer deadline on the page"
    );
    let list = page_text(
        &web,
        format!("{}/console/three-guarantees/requests", t.base),
    )
    .await;
    assert!(list.contains(&loc), "the list links the request");
    // Refusing without a reason: refused beside the reason.
    let (s, _, body) = post_form(
        &web,
        format!("{}{loc}", t.base),
        &[("csrf", &csrf), ("step", "refuse"), ("reason", "")],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("data-field=\"reason\""),
        "the error is beside the reason"
    );
    let (s, back, _) = post_form(
        &web,
        format!("{}{loc}", t.base),
        &[("csrf", &csrf), ("step", "accept")],
    )
    .await;
    assert_eq!((s, back), (StatusCode::SEE_OTHER, format!("{loc}#answer")));
    let detail = page_text(&web, format!("{}{loc}", t.base)).await;
    assert!(
        detail.contains("id=\"perform-form\""),
        "accepted: the perform form"
    );
    // The history names who took each step and says what in words, never by codes.
    let history = &detail[detail.find("id=\"timeline\"").unwrap()..];
    assert!(
        history.contains("测试service_advisor · 服务顾问"),
        "{history}"
    );
    assert!(history.contains("第二十四条第一款第（四）项"), "{history}");
    assert!(
        history.contains("更换或退货期限（20 个工作日）: "),
        "{history}"
    );
    for raw in [
        "art24",
        "part:",
        "vehicle_id",
        "svc.channel",
        "服务顾问 #",
        ": agent",
        ": replacement",
    ] {
        assert!(!history.contains(raw), "{raw} in {history}");
    }
}

#[tokio::test]
async fn the_owner_sees_the_status_and_files_a_request_on_the_phone() {
    let t = TestApp::spawn().await;
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let car = car_with_right(&t, &advisor, "AN001954").await;
    at(&t, "2026-09-28T10:00");
    let (owner, csrf) = t.owner_session("13800000001").await;
    let url = format!("{}/owner/vehicles/{car}/three-guarantees", t.base);
    let html = page_text(&owner, url.clone()).await;
    assert!(
        html.contains("id=\"gt-status\""),
        "the periods and counters"
    );
    assert!(html.contains("id=\"gt-owner-request\""), "the request form");
    let r = owner
        .post(url.clone())
        .form(&[
            ("csrf", csrf.as_str()),
            ("kind", "replacement"),
            ("right", "art24(1)(4)|part:ignition_coil"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, list) = advisor
        .get(&format!("/vehicles/{car}/three-guarantees/requests"))
        .await;
    assert_eq!(list[0]["channel"], "owner", "{list}");
    assert_eq!(list[0]["answer_by"], "2026-10-16", "{list}");
    // Another owner's car answers like a missing one.
    let (other, _) = t.owner_session("13800000002").await;
    let r = other.get(url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_owners_filing_errors_stand_beside_their_fields() {
    let t = TestApp::spawn().await;
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let car = car_with_right(&t, &advisor, "AN001955").await;
    at(&t, "2026-09-28T10:00");
    let (owner, csrf) = t.owner_session("13800000001").await;
    let url = format!("{}/owner/vehicles/{car}/three-guarantees", t.base);
    for (kind, right, field) in [
        ("swap", "art24(1)(4)|part:ignition_coil", "kind"),
        ("replacement", "art24(1)(4)|part:never_repaired", "right"),
    ] {
        let r = owner
            .post(url.clone())
            .form(&[("csrf", csrf.as_str()), ("kind", kind), ("right", right)])
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error(), "{field}: {}", r.status());
        let html = r.text().await.unwrap();
        assert!(
            html.contains(&format!("data-field=\"{field}\"")),
            "the error is beside the {field}"
        );
        assert!(
            html.contains("id=\"gt-owner-request\""),
            "the form is shown again"
        );
    }
    let (_, list) = advisor
        .get(&format!("/vehicles/{car}/three-guarantees/requests"))
        .await;
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(0),
        "nothing filed: {list}"
    );
}

#[tokio::test]
async fn head_office_sets_a_fade_promise_and_a_station_records_a_check_on_the_pages() {
    let t = TestApp::spawn().await;
    at(&t, "2026-11-24T09:00");
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let vin = domain::vin::Vin::with_check_digit("LSVAM4B2", "EV000021")
        .unwrap()
        .to_string();
    let (s, v) = advisor
        .post(
            "/vehicles",
            json!({
                "vin": vin, "brand": "岚际", "model": "E5", "model_year": 2025,
                "purchase_date": "2025-06-01", "owner_id": t.fx.customer_a,
                "station_id": t.fx.station_a, "km": 20000, "is_ev": true
            }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let car = v["id"].as_i64().unwrap();
    let promises = format!("{}/console/three-guarantees/fade-promises", t.base);

    // Head office: the page lists the EV model without a promise, and the form.
    let (hq, hq_csrf) = t.login("administrator").await;
    let html = page_text(&hq, promises.clone()).await;
    assert!(html.contains("E5") && html.contains("未录入"), "{html}");
    assert!(html.contains("promise-form"));
    // A share typed with two decimals and zero years: each error beside its field,
    // nothing saved.
    let (s, _, body) = post_form(
        &hq,
        promises.clone(),
        &[
            ("csrf", &hq_csrf),
            ("model", "E5"),
            ("min_share_percent", "70.25"),
            ("years", "8"),
            ("km", "150000"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("data-field=\"min_share_percent\"") && body.contains("最多一位小数"),
        "{body}"
    );
    let (s, _, body) = post_form(
        &hq,
        promises.clone(),
        &[
            ("csrf", &hq_csrf),
            ("model", "E5"),
            ("min_share_percent", "70"),
            ("years", "0"),
            ("km", "150000"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("data-field=\"years\""), "{body}");
    let (_, list) = advisor
        .get("/settings/three-guarantees/fade-promises")
        .await;
    assert_eq!(list.as_array().map(Vec::len), Some(0), "nothing saved");
    let (s, loc, _) = post_form(
        &hq,
        promises.clone(),
        &[
            ("csrf", &hq_csrf),
            ("model", "E5"),
            ("min_share_percent", "70.5"),
            ("years", "8"),
            ("km", "150000"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(
        loc.starts_with("/console/three-guarantees/fade-promises"),
        "{loc}"
    );
    let html = page_text(&hq, promises.clone()).await;
    assert!(
        html.contains("≥ 70.5 %") && html.contains("8 年 / 150000 km"),
        "{html}"
    );
    // "Change" fills the form with the model's promise.
    let html = page_text(&hq, format!("{promises}?model=E5")).await;
    assert!(html.contains("value=\"70.5\""), "{html}");

    // A station advisor may read the page but not set a promise.
    let (web, csrf) = t.login("service_advisor").await;
    let html = page_text(&web, promises.clone()).await;
    assert!(
        html.contains("E5") && !html.contains("promise-form"),
        "{html}"
    );
    let (s, _, _) = post_form(
        &web,
        promises.clone(),
        &[
            ("csrf", &csrf),
            ("model", "E5"),
            ("min_share_percent", "50"),
            ("years", "8"),
            ("km", "150000"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // The station records a check from the vehicle page: a share above 110 % is shown
    // beside its field; 65.0 % breaks the promise and raises the right.
    let vehicle = format!("{}/console/vehicles/{car}", t.base);
    let html = page_text(&web, vehicle.clone()).await;
    let form = format!("/console/vehicles/{car}/three-guarantees/battery-checks/new");
    assert!(
        html.contains(&form),
        "the vehicle page links the check form"
    );
    let html = page_text(&web, format!("{}{form}", t.base)).await;
    assert!(
        html.contains("≥ 70.5 %") && html.contains("2026-11-24"),
        "{html}"
    );
    let (s, _, body) = post_form(
        &web,
        format!("{}{form}", t.base),
        &[
            ("csrf", &csrf),
            ("checked_on", "2026-11-22"),
            ("odometer_km", "31000"),
            ("share_percent", "111"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("data-field=\"share_percent\""), "{body}");
    let (_, pos) = advisor
        .get(&format!("/vehicles/{car}/three-guarantees"))
        .await;
    assert_eq!(pos["battery"]["checks"].as_array().map(Vec::len), Some(0));
    let (s, loc, _) = post_form(
        &web,
        format!("{}{form}", t.base),
        &[
            ("csrf", &csrf),
            ("checked_on", "2026-11-22"),
            ("odometer_km", "31000"),
            ("share_percent", "65"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(loc, format!("/console/vehicles/{car}"));
    let html = page_text(&web, vehicle).await;
    assert!(
        html.contains("65.0 %") && html.contains("低于承诺"),
        "{html}"
    );
    assert!(html.contains("动力蓄电池免费修理或更换"), "{html}");
    assert!(html.contains("由此产生三包权利"), "{html}");
}

#[tokio::test]
async fn an_order_not_classified_yet_is_named_by_its_order_not_by_a_key() {
    let t = TestApp::spawn().await;
    at(&t, "2026-11-24T09:00");
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let vehicle = car(&t, &advisor, "UC000001").await;
    let order = open(&t, &advisor, vehicle, "异响").await;
    let (web, _) = t.login("service_advisor").await;
    let html = page_text(&web, format!("{}/console/vehicles/{vehicle}", t.base)).await;
    assert!(!html.contains("order:"), "no raw key on the vehicle page");
    assert!(
        html.contains(&format!("未分类的质量问题，工单 #{order}")),
        "the counter names the order"
    );
}
