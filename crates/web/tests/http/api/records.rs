//! Master records over the API: stations closed with their history, vehicles changing
//! owner, and lists paged and filtered.

use domain::role::Role;
use reqwest::StatusCode;
use serde_json::Value;
use serde_json::json;
use testkit::TestApp;

#[tokio::test]
async fn closing_a_station_keeps_its_history_and_it_stays_closed() {
    let t = TestApp::spawn().await;
    let tok = t.token(Role::Administrator).await;
    let c = t.client();
    let base = format!("{}/api/v1/stations/{}", t.base, t.fx.station_b);
    let r = c
        .post(format!("{base}/status"))
        .bearer_auth(&tok)
        .json(&json!({"status": "closed", "reason": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reason is required"
    );
    let r = c
        .post(format!("{base}/status"))
        .bearer_auth(&tok)
        .json(&json!({"status": "closed", "reason": "经营不善"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = c
        .post(format!("{base}/status"))
        .bearer_auth(&tok)
        .json(&json!({"status": "active", "reason": "再开"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let st: Value = c
        .get(&base)
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(st["status"], "closed");
    assert!(st["closed_at"].as_i64().is_some());
    let ev: Value = c
        .get(format!("{base}/events"))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ev["items"][0]["reason"], "经营不善");
    // Its vehicles are still there.
    let v = c
        .get(format!("{}/api/v1/vehicles/{}", t.base, t.fx.vehicle_b))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(v.status(), StatusCode::OK);
}

#[tokio::test]
async fn vehicles_change_owner_with_history_kept() {
    let t = TestApp::spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let c = t.client();
    let body = json!({"name": "王五", "phone": "139 0000 0003", "station_id": t.fx.station_a, "channel": "wechat", "quiet_hours": "22:00-08:00", "consent_service": true});
    let r = c
        .post(format!("{}/api/v1/customers", t.base))
        .bearer_auth(&tok)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let new_owner = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = c
        .post(format!(
            "{}/api/v1/vehicles/{}/transfer",
            t.base, t.fx.vehicle_a
        ))
        .bearer_auth(&tok)
        .json(&json!({"owner_id": new_owner, "reason": "二手车交易"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let d: Value = c
        .get(format!("{}/api/v1/vehicles/{}", t.base, t.fx.vehicle_a))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["vehicle"]["owner_id"], new_owner);
    let owners = d["ownerships"].as_array().unwrap();
    assert_eq!(owners.len(), 2);
    assert_eq!(owners[0]["customer_id"], t.fx.customer_a);
    assert!(owners[0]["to_at"].as_i64().is_some());
    assert!(owners[1]["to_at"].is_null());
    // Moving it to a customer of another station is refused without revealing that customer.
    let r = c
        .post(format!(
            "{}/api/v1/vehicles/{}/transfer",
            t.base, t.fx.vehicle_a
        ))
        .bearer_auth(&tok)
        .json(&json!({"owner_id": t.fx.customer_b}))
        .send()
        .await
        .unwrap();
    // A well-formed id of a record outside reach: the record refuses it (409).
    assert_eq!(r.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn lists_page_and_filter() {
    let t = TestApp::spawn().await;
    let tok = t.token(Role::Administrator).await;
    let c = t.client();
    let p: Value = c
        .get(format!("{}/api/v1/stations?per_page=1&page=2", t.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            p["total"].as_i64(),
            p["items"].as_array().map(Vec::len),
            p["page"].as_i64()
        ),
        (Some(2), Some(1), Some(2))
    );
    assert_eq!(p["items"][0]["code"], "GZ-0001");
    let p: Value = c
        .get(format!("{}/api/v1/stations?q=BJ", t.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(p["total"], 1);
    let r = c
        .get(format!("{}/api/v1/vehicles?owner_id=abc", t.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The visible tail finds the customer; a whole number is refused (issue 21).
    let p: Value = c
        .get(format!("{}/api/v1/customers?q=0002", t.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(p["items"][0]["name"], "李四");
    let r = c
        .get(format!("{}/api/v1/customers?q=13800000002", t.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
