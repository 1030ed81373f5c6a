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
