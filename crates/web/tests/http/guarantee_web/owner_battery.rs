//! Issue 19 "EV" on the owner's phone: the three-guarantees page of the owner's own EV
//! shows the model's capacity-fade promise and every battery check (day, capacity
//! kept, the promise it is held to, kept or broken), and the right to a restored
//! battery with its evidence once a check broke the promise. A petrol car has no
//! battery section; another owner's EV answers like a missing car.

use super::*;

/// Registers an EV of `model` for customer A at station A; returns its id.
async fn owners_ev(t: &TestApp, advisor: &Api, serial: &str, model: &str) -> i64 {
    let vin = domain::vin::Vin::with_check_digit("LSVAM4B2", serial)
        .unwrap()
        .to_string();
    let (s, v) = advisor
        .post(
            "/vehicles",
            json!({
                "vin": vin, "brand": "岚际", "model": model, "model_year": 2025,
                "purchase_date": "2025-06-01", "owner_id": t.fx.customer_a,
                "station_id": t.fx.station_a, "km": 20000, "is_ev": true
            }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_i64().unwrap()
}

#[tokio::test]
async fn the_owner_sees_the_battery_checks_and_the_right_of_their_own_ev_only() {
    let t = TestApp::spawn().await;
    at(&t, "2026-11-24T09:00");
    let admin = Api::new(&t, Role::Administrator).await;
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let ev = owners_ev(&t, &advisor, "EV000031", "E6").await;
    let bare = owners_ev(&t, &advisor, "EV000032", "E8").await;
    let petrol = car(&t, &advisor, "EV000033").await;
    let (s, _) = admin
        .put(
            "/settings/three-guarantees/fade-promises",
            json!({"model": "E6", "min_share_permille": 700, "years": 8, "km": 150000}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let checks = format!("/vehicles/{ev}/three-guarantees/battery-checks");
    for (on, km, share) in [("2026-11-20", 30000, 655), ("2026-11-23", 30400, 950)] {
        let (s, v) = advisor
            .post(
                &checks,
                json!({"checked_on": on, "odometer_km": km, "share_permille": share}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }

    let (owner, _) = t.owner_session("13800000001").await;
    let page = |id: i64| format!("{}/owner/vehicles/{id}/three-guarantees", t.base);
    let html = page_text(&owner, page(ev)).await;
    assert!(html.contains("id=\"gt-battery\""), "the battery section");
    assert!(
        html.contains("≥ 70.0 % · 8 年 / 150000 km"),
        "the promise: {html}"
    );
    // Newest first: the repaired pack keeps the promise, the first check broke it.
    let kept = html.find("data-verdict=\"kept\"").expect("the kept check");
    let broken = html
        .find("data-verdict=\"broken\"")
        .expect("the broken check");
    assert!(kept < broken, "newest first");
    assert!(
        html.contains("95.0 %") && html.contains("符合承诺"),
        "{html}"
    );
    assert!(
        html.contains("65.5 %") && html.contains("低于承诺（动力蓄电池质量问题） (−4.5 %)"),
        "{html}"
    );
    assert!(
        html.contains("2026-11-20 · 30000 km · 依据承诺 ≥ 70.0 %"),
        "{html}"
    );
    assert_eq!(
        html.matches("class=\"gt-raised\"").count(),
        1,
        "one right raised"
    );
    // The right, with its article and the check as evidence.
    assert!(html.contains("动力蓄电池免费修理或更换"), "{html}");
    assert!(html.contains("三包凭证承诺"), "{html}");
    assert!(
        html.contains("电池检测 2026-11-20: 65.5 % &#60; 70.0 %"),
        "{html}"
    );

    // An EV of a model without a promise: said so, no checks yet.
    let html = page_text(&owner, page(bare)).await;
    assert!(html.contains("总部尚未录入该车型的承诺"), "{html}");
    assert!(html.contains("id=\"gt-no-checks\""), "{html}");
    // A petrol car has no battery section.
    let html = page_text(&owner, page(petrol)).await;
    assert!(!html.contains("id=\"gt-battery\""), "{html}");

    // Privacy: another owner's request for this EV's page answers like a missing car,
    // with nothing of its battery in it.
    let (other, _) = t.owner_session("13800000002").await;
    let r = other.get(page(ev)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let body = r.text().await.unwrap();
    assert!(!body.contains("65.5") && !body.contains("E6"), "{body}");
}
