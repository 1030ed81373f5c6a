//! Issue 19 "EV": head office records the capacity-fade promise of a model; battery
//! checks of an EV of that model are judged against it on the vehicle's position, the
//! vehicle page and the dossier; bad input is refused naming the field, nothing
//! written.

use super::*;

/// Registers an EV of model `model` invoiced on `sold` at station A; returns its id.
async fn ev(t: &TestApp, advisor: &Api, serial: &str, model: &str, sold: &str) -> i64 {
    let vin = domain::vin::Vin::with_check_digit("LSVAM4B2", serial)
        .unwrap()
        .to_string();
    let (s, v) = advisor
        .post(
            "/vehicles",
            json!({
                "vin": vin, "brand": "岚际", "model": model, "model_year": 2025,
                "purchase_date": sold, "owner_id": t.fx.customer_a,
                "station_id": t.fx.station_a, "km": 20000, "is_ev": true
            }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_battery_check_below_the_models_promise_is_a_quality_problem() {
    let t = TestApp::spawn().await;
    at(&t, "2026-11-24T09:00");
    let admin = Api::new(&t, Role::Administrator).await;
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let car = ev(&t, &advisor, "EV000001", "E7", "2025-06-01").await;
    let petrol = car_sold(&t, &advisor, "EV000002", "2025-06-01").await;

    // Before head office records a promise, a check has nothing to be judged by.
    let check = json!({"checked_on": "2026-11-20", "odometer_km": 30000, "share_permille": 690});
    let path = format!("/vehicles/{car}/three-guarantees/battery-checks");
    let (s, v) = advisor.post(&path, check.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, pos) = advisor
        .get(&format!("/vehicles/{car}/three-guarantees"))
        .await;
    assert_eq!(pos["battery"]["promise"], Value::Null);
    assert_eq!(pos["battery"]["checks"][0]["verdict"], "no_promise");

    // Head office: 70.0 % for 8 years or 150,000 km. Only the administrator may.
    let promise = json!({"model": "E7", "min_share_permille": 700, "years": 8, "km": 150000});
    let (s, _) = advisor
        .put("/settings/three-guarantees/fade-promises", promise.clone())
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for (field, bad) in [
        ("min_share_permille", json!(0)),
        ("years", json!(0)),
        ("model", json!("")),
    ] {
        let (s, v) = admin
            .put(
                "/settings/three-guarantees/fade-promises",
                with(promise.clone(), field, bad),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {v}");
        assert!(v.to_string().contains(field), "{field}: {v}");
    }
    let (s, v) = admin.get("/settings/three-guarantees/fade-promises").await;
    assert_eq!(
        (s, v.as_array().map(Vec::len)),
        (StatusCode::OK, Some(0)),
        "nothing written"
    );
    let (s, v) = admin
        .put("/settings/three-guarantees/fade-promises", promise)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // The earlier check (69.0 %) is now judged: 1.0 % short, a quality problem.
    let (s, _) = advisor
        .post(
            &path,
            json!({"checked_on": "2026-11-23", "odometer_km": 30500, "share_permille": 720}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, pos) = advisor
        .get(&format!("/vehicles/{car}/three-guarantees"))
        .await;
    let b = &pos["battery"];
    assert_eq!(b["promise"]["min_share_permille"], 700);
    assert_eq!(b["promise_until"], "2033-05-31");
    assert_eq!(b["checks"][0]["verdict"], "broken");
    assert_eq!(b["checks"][0]["short_by_permille"], 10);
    assert_eq!(b["checks"][1]["verdict"], "kept");
    assert_eq!(b["first_broken"], b["checks"][0]["id"]);

    // Bad checks: a day to come, a share above 110 %, a car that is not an EV.
    for (field, body) in [
        (
            "checked_on",
            with(check.clone(), "checked_on", json!("2026-12-01")),
        ),
        (
            "share_permille",
            with(check.clone(), "share_permille", json!(1101)),
        ),
        ("odometer_km", with(check.clone(), "odometer_km", json!(-1))),
    ] {
        let (s, v) = advisor.post(&path, body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {v}");
        assert!(v.to_string().contains(field), "{field}: {v}");
    }
    let (s, v) = advisor
        .post(
            &format!("/vehicles/{petrol}/three-guarantees/battery-checks"),
            check,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(v.to_string().contains("guarantee.not_ev"), "{v}");
    let (_, pos) = advisor
        .get(&format!("/vehicles/{petrol}/three-guarantees"))
        .await;
    assert_eq!(
        pos["battery"],
        Value::Null,
        "no battery section for a petrol car"
    );
    let (_, pos) = advisor
        .get(&format!("/vehicles/{car}/three-guarantees"))
        .await;
    assert_eq!(
        pos["battery"]["checks"].as_array().unwrap().len(),
        2,
        "nothing else written"
    );

    // The vehicle page and the dossier show the promise and the verdict.
    let (web, _) = t.login("service_advisor").await;
    for url in [
        format!("{}/console/vehicles/{car}", t.base),
        format!("{}/console/vehicles/{car}/dossier", t.base),
    ] {
        let html = page_text(&web, url.clone()).await;
        assert!(html.contains("动力蓄电池"), "{url}");
        assert!(html.contains("70.0 %") && html.contains("69.0 %"), "{url}");
        assert!(html.contains("低于承诺"), "{url}");
    }
}

/// The right of a broken fade promise, as the position lists it.
fn fade_right(pos: &Value) -> Option<Value> {
    pos["rights"]
        .as_array()?
        .iter()
        .find(|r| r["kind"] == "battery_restore")
        .cloned()
}

#[tokio::test]
async fn a_broken_fade_promise_is_a_right_kept_for_good() {
    let t = TestApp::spawn().await;
    at(&t, "2026-11-24T09:00");
    let admin = Api::new(&t, Role::Administrator).await;
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let car = ev(&t, &advisor, "EV000011", "E9", "2025-06-01").await;
    let promises = "/settings/three-guarantees/fade-promises";
    let (s, _) = admin
        .put(
            promises,
            json!({"model": "E9", "min_share_permille": 700, "years": 8, "km": 150000}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let path = format!("/vehicles/{car}/three-guarantees/battery-checks");
    let position = format!("/vehicles/{car}/three-guarantees");
    let (_, pos) = advisor.get(&position).await;
    assert_eq!(fade_right(&pos), None, "no check yet, no right");

    // A check at 65.5 % on 20 November: the promise of 70 % is broken that day.
    let (s, v) = advisor
        .post(
            &path,
            json!({"checked_on": "2026-11-20", "odometer_km": 30000, "share_permille": 655}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let check = v["id"].as_i64().unwrap();
    let (_, pos) = advisor.get(&position).await;
    let r = fade_right(&pos).expect("the broken promise is a right");
    assert_eq!(r["article"], "promise");
    assert_eq!(r["subject"], "battery_fade");
    assert_eq!(r["arose_on"], "2026-11-20");
    assert_eq!(r["fade"]["check_id"], check);
    assert_eq!(r["fade"]["measured_permille"], 655);
    assert_eq!(r["fade"]["promised_permille"], 700);
    assert_eq!(
        (
            r["fade"]["promise_years"].clone(),
            r["fade"]["promise_km"].clone()
        ),
        (json!(8), json!(150000))
    );

    // The pack is repaired and reads 95 %; head office then lowers the promise to
    // 60 %: the right stays, as it arose, with the promise it broke.
    let (s, _) = advisor
        .post(
            &path,
            json!({"checked_on": "2026-11-23", "odometer_km": 30400, "share_permille": 950}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = admin
        .put(
            promises,
            json!({"model": "E9", "min_share_permille": 600, "years": 8, "km": 150000}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, pos) = advisor.get(&position).await;
    assert_eq!(
        fade_right(&pos),
        Some(r.clone()),
        "the right never disappears"
    );
    assert_eq!(pos["battery"]["checks"][0]["promise_permille"], 700);
    assert_eq!(pos["battery"]["checks"][0]["verdict"], "broken");
    assert_eq!(pos["battery"]["first_broken"], check);

    // It gives the restored battery, not a replacement car or refund: a request citing
    // it is refused naming the right, and nothing is written.
    let (s, v) = advisor
        .post(
            &format!("/vehicles/{car}/three-guarantees/requests"),
            json!({"kind": "refund", "article": "promise", "subject": "battery_fade"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(v.to_string().contains("guarantee.right_kind"), "{v}");
    let (_, list) = advisor
        .get(&format!("/vehicles/{car}/three-guarantees/requests"))
        .await;
    assert_eq!(list.as_array().map(Vec::len), Some(0), "{list}");

    // The vehicle page, the dossier and the owner's page show the right.
    let (web, _) = t.login("service_advisor").await;
    for url in [
        format!("{}/console/vehicles/{car}", t.base),
        format!("{}/console/vehicles/{car}/dossier", t.base),
    ] {
        let html = page_text(&web, url.clone()).await;
        assert!(html.contains("动力蓄电池免费修理或更换"), "{url}");
        assert!(html.contains("三包凭证承诺"), "{url}");
        assert!(
            html.contains("65.5 %") && html.contains("2026-11-20"),
            "{url}"
        );
    }
    // The odometer table names the reading's source in words, never its code.
    let html = page_text(&web, format!("{}/console/vehicles/{car}", t.base)).await;
    assert!(html.contains("<td>服务顾问录入</td>"), "{html}");
    assert!(!html.contains("<td>advisor</td>"), "{html}");
}
