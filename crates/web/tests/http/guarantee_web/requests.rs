//! The request workflow (Arts 25–29): filed citing a right that arose, answered within
//! 10 working days counted on China's plan across the National Day holiday, the
//! deadline's timers armed and disarmed, every step on the request's timeline.

use super::*;

#[tokio::test]
async fn a_request_cites_a_right_and_its_answer_deadline_skips_the_holiday() {
    let t = TestApp::spawn().await;
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let agent = Api::new(&t, Role::CallCentreAgent).await;
    let car = car(&t, &advisor, "AN001908").await;
    let requests = format!("/vehicles/{car}/three-guarantees/requests");
    for m in 4..=8 {
        repair_of(
            &t,
            &advisor,
            car,
            "点火线圈故障",
            "ignition_coil",
            &format!("2026-0{m}-06T09:00"),
            &format!("2026-0{m}-06T16:00"),
        )
        .await;
    }
    // Monday 2026-09-28, two working days before the National Day holiday.
    at(&t, "2026-09-28T10:00");
    let (s, v) = agent
        .post(
            &requests,
            json!({"kind": "refund", "article": "art24(1)(4)", "subject": "repair_days"}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "a right that never arose is refused by the vehicle's state: {v}"
    );
    assert_eq!(
        (
            v["errors"][0]["field"].as_str(),
            v["errors"][0]["rule"].as_str()
        ),
        (Some("right"), Some("guarantee.right_not_arisen"))
    );
    let (_, none) = agent.get(&requests).await;
    assert_eq!(none, json!([]), "nothing written");
    let (s, r) = agent.post(&requests, json!({"kind": "replacement", "article": "art24(1)(4)", "subject": "part:ignition_coil"})).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["filed_on"], "2026-09-28");
    // 9-29, 9-30, (10-1..10-7 off), 10-8, 10-9, 10-10 (调休 Saturday), 10-12 … 10-16.
    assert_eq!(r["answer_by"], "2026-10-16", "{r}");
    assert_eq!(r["state"], "filed");
    let id = r["id"].as_i64().unwrap();
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let armed: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM timers WHERE kind = 'guarantee.request_due' AND state = 'queued'",
    )
    .fetch_one(&mut *c)
    .await
    .unwrap();
    assert_eq!(armed, 2, "a warning and an escalation");
    drop(c);
    let (s, v) = agent
        .post(
            &format!("/three-guarantees/requests/{id}/steps"),
            json!({"step": "refuse", "reason": " "}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    at(&t, "2026-10-09T10:00");
    let (s, v) = agent
        .post(
            &format!("/three-guarantees/requests/{id}/steps"),
            json!({"step": "accept"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "accepted");
    assert!(v["perform_by"].is_string(), "{v}");
    at(&t, "2026-10-20T10:00");
    let steps = format!("/three-guarantees/requests/{id}/steps");
    // Art 29: a replacement is recorded with the new car; without it, nothing changes.
    let (s, v) = agent
        .post(&steps, json!({"step": "perform", "price_fen": 20_000_000, "km_driven": 25_000, "coefficient_bp": 50}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["field"], "new_vin", "{v}");
    let old_vin = domain::vin::Vin::with_check_digit("LSVAM4B2", "AN001908")
        .unwrap()
        .to_string();
    let (s, v) = agent
        .post(
            &steps,
            json!({"step": "perform", "new_vin": old_vin, "new_purchase_date": "2026-10-18"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(
        v["errors"][0]["rule"], "guarantee.replacement_same_car",
        "{v}"
    );
    let new_vin = domain::vin::Vin::with_check_digit("LSVAM4B2", "AN002908")
        .unwrap()
        .to_string();
    let (s, v) = agent
        .post(
            &steps,
            json!({"step": "perform", "price_fen": 20_000_000, "km_driven": 25_000,
            "coefficient_bp": 50, "new_vin": new_vin, "new_purchase_date": "2026-10-18",
            "new_delivered_on": "2026-10-19"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "performed");
    let new_car = v["replacement_vehicle_id"]
        .as_i64()
        .expect("the new car is linked");
    assert_ne!(new_car, car);
    // The new car's periods start anew from its own delivery date (Arts 18, 29).
    let (s, g) = advisor
        .get(&format!("/vehicles/{new_car}/three-guarantees"))
        .await;
    assert_eq!(s, StatusCode::OK, "{g}");
    assert_eq!(g["coverage"]["start"], "2026-10-19", "{g}");
    assert_eq!(g["coverage"]["from_delivery"], true, "{g}");
    assert_eq!(g["coverage"]["sanbao_until"], "2028-10-19", "{g}");
    assert_eq!(g["coverage"]["warranty_until"], "2029-10-19", "{g}");
    assert_eq!(g["rights"], json!([]), "no right carried over: {g}");
    let (_, old) = advisor
        .get(&format!("/vehicles/{car}/three-guarantees"))
        .await;
    assert_eq!(
        old["coverage"]["start"], "2025-06-01",
        "the old car keeps its own"
    );
    // Each dossier names the other car.
    let (web, _) = t.login("service_advisor").await;
    let old_page = page_text(&web, format!("{}/console/vehicles/{car}/dossier", t.base)).await;
    assert!(
        old_page.contains(&new_vin)
            && old_page.contains(&format!("href=\"/console/vehicles/{new_car}/dossier\"")),
        "{old_page}"
    );
    let new_page = page_text(
        &web,
        format!("{}/console/vehicles/{new_car}/dossier", t.base),
    )
    .await;
    assert!(
        new_page.contains(&old_vin)
            && new_page.contains(&format!("href=\"/console/vehicles/{car}/dossier\"")),
        "{new_page}"
    );
    // The request's timeline names who took each step, never "role #id".
    let page = page_text(
        &web,
        format!("{}/console/three-guarantees/requests/{id}", t.base),
    )
    .await;
    // Its facts show the new car: its VIN linked to its dossier, its new period ends.
    let facts = &page[page.find("id=\"request-facts\"").unwrap_or(0)..];
    assert!(
        facts.contains(&format!(
            "<a id=\"replacement-car\" href=\"/console/vehicles/{new_car}/dossier\">{new_vin}</a>"
        )),
        "{facts}"
    );
    let facts = &facts[..facts.find("id=\"timeline\"").unwrap_or(facts.len())];
    assert!(
        facts.contains("新车三包有效期至</dt><dd>2028-10-19")
            && facts.contains("新车包修期至</dt><dd>2029-10-19"),
        "{facts}"
    );
    let timeline = &page[page.find("id=\"timeline\"").unwrap_or(0)..];
    assert!(
        !timeline
            .as_bytes()
            .windows(2)
            .any(|w| w[0] == b'#' && w[1].is_ascii_digit()),
        "{timeline}"
    );
    assert!(
        timeline.contains(&new_vin),
        "the replacement on the timeline: {timeline}"
    );
    // Art 27: 200,000 yuan × 25,000 km ÷ 1,000 × 0.5% = 25,000 yuan.
    assert_eq!(v["usage_charge_fen"], 2_500_000, "{v}");
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let kinds: Vec<String> = sqlx::query_scalar(
        "SELECT kind FROM events WHERE entity = 'guarantee_request' AND entity_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut *c)
    .await
    .unwrap();
    assert_eq!(
        kinds,
        [
            "guarantee_request_filed",
            "guarantee_request_accepted",
            "guarantee_request_performed"
        ]
    );
    for (vehicle, kind) in [
        (car, "guarantee_replaced_by"),
        (new_car, "guarantee_replacement_for"),
    ] {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM events WHERE entity = 'vehicle' AND entity_id = $1 AND kind = $2",
        )
        .bind(vehicle)
        .bind(kind)
        .fetch_one(&mut *c)
        .await
        .unwrap();
        assert_eq!(n, 1, "{kind} on vehicle {vehicle}");
    }
    let live: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM timers WHERE kind = 'guarantee.request_due' AND state = 'queued'",
    )
    .fetch_one(&mut *c)
    .await
    .unwrap();
    assert_eq!(
        live, 0,
        "every deadline timer disarmed once its step was taken"
    );
}
