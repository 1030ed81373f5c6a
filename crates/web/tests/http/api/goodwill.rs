//! Goodwill approval limits are head office's setting (SPEC §6), not constants: a
//! limit raised lets the station manager grant more, a limit lowered refuses it, and
//! limits that are out of range or fall with the role are refused naming the field.

use domain::role::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::TestApp;

async fn send(
    t: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = t
        .client()
        .request(method, format!("{}/api/v1{path}", t.base))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn goodwill_limits_are_head_offices_setting() {
    let t = TestApp::spawn().await;
    let admin = t.token(Role::Administrator).await;
    let agent = t.token(Role::CallCentreAgent).await;
    let manager = t.token(Role::StationManager).await;
    let (s, v) = send(
        &t,
        &agent,
        reqwest::Method::POST,
        "/complaints",
        Some(json!({
            "station_id": t.fx.station_a, "channel": "hotline", "category": "repair_quality",
            "severity": "normal", "description": "保养后异响"
        })),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().unwrap();
    let goodwill = |fen: i64| json!({"kind": "money", "value": fen, "note": "补偿"});
    let path = format!("/complaints/{id}/goodwill");

    // The defaults: 2,000 yuan for a station manager.
    let (s, v) = send(
        &t,
        &manager,
        reqwest::Method::GET,
        "/complaint-goodwill-limits",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (v["station_manager_fen"].as_i64(), v["is_default"].as_bool()),
        (Some(200_000), Some(true))
    );
    let (s, _) = send(
        &t,
        &manager,
        reqwest::Method::POST,
        &path,
        Some(goodwill(300_000)),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "3,000 yuan is over the default"
    );

    // Bad limits: refused naming the field, nothing changed; only head office sets them.
    let limits = json!({"customer_relations_fen": 50_000, "station_manager_fen": 500_000, "regional_manager_fen": 1_000_000});
    let (s, _) = send(
        &t,
        &manager,
        reqwest::Method::PUT,
        "/complaint-goodwill-limits",
        Some(limits.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for (field, bad) in [
        (
            "station_manager_fen",
            json!({"customer_relations_fen": 50_000, "station_manager_fen": 2_000_000, "regional_manager_fen": 1_000_000}),
        ),
        (
            "customer_relations_fen",
            json!({"customer_relations_fen": -1, "station_manager_fen": 1, "regional_manager_fen": 1}),
        ),
    ] {
        let (s, v) = send(
            &t,
            &admin,
            reqwest::Method::PUT,
            "/complaint-goodwill-limits",
            Some(bad),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {v}");
        assert!(v.to_string().contains(field), "{field}: {v}");
    }
    let (_, v) = send(
        &t,
        &admin,
        reqwest::Method::GET,
        "/complaint-goodwill-limits",
        None,
    )
    .await;
    assert_eq!(v["is_default"], true, "nothing changed");

    // Raised to 5,000 yuan: the same grant now passes.
    let (s, v) = send(
        &t,
        &admin,
        reqwest::Method::PUT,
        "/complaint-goodwill-limits",
        Some(limits),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["station_manager_fen"], 500_000);
    let (s, v) = send(
        &t,
        &manager,
        reqwest::Method::POST,
        &path,
        Some(goodwill(300_000)),
    )
    .await;
    assert!(s.is_success(), "{s} {v}");
    let (s, _) = send(
        &t,
        &manager,
        reqwest::Method::POST,
        &path,
        Some(goodwill(500_001)),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "one fen over the new limit"
    );
}
