//! Signing in: staff throttling and CSRF, owners' one-time codes, and sessions ended
//! with the account.

use reqwest::StatusCode;
use serde_json::Value;
use serde_json::json;
use testkit::TestApp;

#[tokio::test]
async fn sign_in_locks_after_repeated_failures_and_sessions_need_csrf_for_writes() {
    let t = TestApp::spawn().await;
    let c = t.client();
    for _ in 0..5 {
        let r = c
            .post(format!("{}/api/v1/auth/login", t.base))
            .json(&json!({"username": "service_advisor", "password": "wrong"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = c
        .post(format!("{}/api/v1/auth/login", t.base))
        .json(&json!({"username": "service_advisor", "password": testkit::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "locked even with the right password"
    );
    assert!(r.headers().contains_key("retry-after"));
    t.clock.advance_ms(61 * 60_000);
    let (c1, csrf1) = t.login("service_advisor").await;
    let (_, csrf2) = t.login("service_advisor").await;
    assert_ne!(csrf1, csrf2, "each sign-in opens a new session");
    let url = format!("{}/api/v1/vehicles/{}/odometer", t.base, t.fx.vehicle_a);
    let r = c1
        .post(&url)
        .json(&json!({"km": 5000}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no CSRF header");
    let r = c1
        .post(&url)
        .header("x-csrf-token", &csrf1)
        .json(&json!({"km": 5000}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = c1
        .post(&url)
        .header("x-csrf-token", &csrf1)
        .json(&json!({"km": 4000}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT, "lower reading refused");
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["rule"], "odometer.lower");
    let r = c1
        .post(&url)
        .header("x-csrf-token", &csrf1)
        .json(&json!({"km": 10, "cluster_replaced": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::NO_CONTENT,
        "accepted as a cluster replacement"
    );
    let logout = c1
        .post(format!("{}/api/v1/auth/logout", t.base))
        .header("x-csrf-token", &csrf1)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        c1.get(format!("{}/api/v1/me", t.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn owners_sign_in_with_a_code_and_download_only_their_own_data() {
    let t = TestApp::spawn().await;
    let (c, _) = t.owner_session("13800000001").await;
    let data: Value = c
        .get(format!("{}/api/v1/me/data", t.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(data["customer"]["phone"], "+8613800000001");
    let vehicles = data["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "vehicles")
        .unwrap();
    let vins: Vec<&str> = vehicles["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["vin"].as_str().unwrap())
        .collect();
    assert_eq!(vins, vec![t.fx.vin_a.as_str()]);
    // A wrong code is refused and counted; unknown phones get the same answer as known ones.
    let anon = t.client();
    let r = anon
        .post(format!("{}/api/v1/auth/owner/verify", t.base))
        .json(&json!({"phone": "13800000002", "code": "000000"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = anon
        .post(format!("{}/api/v1/auth/owner/code", t.base))
        .json(&json!({"phone": "13912345678"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let r = anon
        .post(format!("{}/api/v1/auth/owner/code", t.base))
        .json(&json!({"phone": "12345"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["rule"], "phone.cn_mobile");
}

#[tokio::test]
async fn deactivating_a_staff_account_ends_its_sessions() {
    let t = TestApp::spawn().await;
    let (advisor, _) = t.login("service_advisor").await;
    assert_eq!(
        advisor
            .get(format!("{}/api/v1/me", t.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let (manager, csrf) = t.login("station_manager").await;
    let list: Value = manager
        .get(format!("{}/api/v1/staff?q=service_advisor", t.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = list["items"][0]["id"].as_i64().unwrap();
    let body = json!({"name": "停用的顾问", "role": "service_advisor", "station_id": t.fx.station_a, "phone": "13900000000", "active": false});
    let r = manager
        .put(format!("{}/api/v1/staff/{id}", t.base))
        .header("x-csrf-token", &csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        advisor
            .get(format!("{}/api/v1/me", t.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let r = t
        .client()
        .post(format!("{}/api/v1/auth/login", t.base))
        .json(&json!({"username": "service_advisor", "password": testkit::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // A station manager cannot move staff to another station or give head-office roles.
    let body =
        json!({"name": "x", "role": "administrator", "phone": "13900000000", "active": true});
    let r = manager
        .put(format!("{}/api/v1/staff/{id}", t.base))
        .header("x-csrf-token", &csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = json!({"name": "x", "role": "service_advisor", "station_id": t.fx.station_b, "phone": "13900000000", "active": true});
    let r = manager
        .put(format!("{}/api/v1/staff/{id}", t.base))
        .header("x-csrf-token", &csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["rule"], "station.unknown");
}
