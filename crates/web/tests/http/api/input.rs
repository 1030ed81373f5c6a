//! Bad input refused by field and rule with nothing stored, and another station's
//! records answering exactly like missing ones.

use domain::role::Role;
use reqwest::StatusCode;
use serde_json::Value;
use serde_json::json;
use testkit::TestApp;

#[tokio::test]
async fn bad_vehicle_input_is_refused_by_field_and_rule_and_nothing_is_stored() {
    let t = TestApp::spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let c = t.client();
    let count = |t: &TestApp| {
        let db = t.app.db.clone();
        async move {
            let mut conn = db.pool.acquire().await.unwrap();
            sqlx::query_as::<_, (i64,)>("SELECT COUNT(*) FROM vehicles")
                .fetch_one(&mut *conn)
                .await
                .unwrap()
                .0
        }
    };
    let before = count(&t).await;
    let good_vin = domain::vin::Vin::with_check_digit("LFV2A21K", "53000003")
        .unwrap()
        .to_string();
    let mut bad_vin: Vec<char> = good_vin.chars().collect();
    bad_vin[8] = if bad_vin[8] == '1' { '2' } else { '1' };
    let bad_vin: String = bad_vin.into_iter().collect();
    let body = json!({
        "vin": bad_vin, "brand": "一汽大众", "model": "迈腾", "model_year": 2023, "plate": "京Z1",
        "purchase_date": "2023-02-30", "owner_id": t.fx.customer_a, "station_id": t.fx.station_a
    });
    let r = c
        .post(format!("{}/api/v1/vehicles", t.base))
        .bearer_auth(&tok)
        .header("accept-language", "en")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.unwrap();
    let rules: Vec<(String, String)> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().into(),
                e["rule"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        rules.contains(&("vin".into(), "vin.check_digit".into())),
        "{rules:?}"
    );
    assert!(
        rules.contains(&("plate".into(), "plate.length".into())),
        "{rules:?}"
    );
    assert!(
        rules.contains(&("purchase_date".into(), "date.format".into())),
        "{rules:?}"
    );
    let vin_msg = p["errors"][0]["message"].as_str().unwrap();
    assert!(vin_msg.contains("VIN"), "{vin_msg}");
    // The same error in Chinese.
    let r = c
        .post(format!("{}/api/v1/vehicles", t.base))
        .bearer_auth(&tok)
        .json(&body)
        .send()
        .await
        .unwrap();
    let p: Value = r.json().await.unwrap();
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("车架号")
    );
    // Wrong content type, malformed JSON, unknown field, oversized body.
    let r = c
        .post(format!("{}/api/v1/vehicles", t.base))
        .bearer_auth(&tok)
        .header("content-type", "text/plain")
        .body("vin=1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = c
        .post(format!("{}/api/v1/vehicles", t.base))
        .bearer_auth(&tok)
        .header("content-type", "application/json")
        .body("{\"vin\":")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = c
        .post(format!("{}/api/v1/vehicles", t.base))
        .bearer_auth(&tok)
        .json(&json!({"vin": good_vin, "colour": "red"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["field"], "colour");
    assert_eq!(p["errors"][0]["rule"], "body.unknown_field");
    let huge = format!("{{\"vin\":\"{}\"}}", "A".repeat(2 * 1024 * 1024));
    let r = c
        .post(format!("{}/api/v1/vehicles", t.base))
        .bearer_auth(&tok)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // A duplicate VIN names the field.
    let dup = json!({"vin": t.fx.vin_a, "brand": "大众", "model": "帕萨特", "model_year": 2022, "purchase_date": "2022-05-01", "owner_id": t.fx.customer_a, "station_id": t.fx.station_a});
    let r = c
        .post(format!("{}/api/v1/vehicles", t.base))
        .bearer_auth(&tok)
        .json(&dup)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let p: Value = r.json().await.unwrap();
    assert_eq!(
        (
            p["errors"][0]["field"].as_str(),
            p["errors"][0]["rule"].as_str()
        ),
        (Some("vin"), Some("unique"))
    );
    assert_eq!(count(&t).await, before, "nothing was stored");
    // And a good one is stored, with its first odometer reading.
    let good = json!({"vin": good_vin, "brand": "一汽大众", "model": "迈腾", "model_year": 2023, "plate": "粤BD12345", "is_ev": true,
        "purchase_date": "2023-02-28", "owner_id": t.fx.customer_a, "station_id": t.fx.station_a, "km": 1200});
    let r = c
        .post(format!("{}/api/v1/vehicles", t.base))
        .bearer_auth(&tok)
        .json(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let d: Value = c
        .get(format!("{}/api/v1/vehicles/{id}", t.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Three years to the corresponding day, as the Civil Code counts (domain::vehicle,
    // the same day as the 包修期's end).
    assert_eq!(d["vehicle"]["warranty_end"], "2026-02-28");
    assert_eq!(d["odometer"][0]["km"], 1200);
    assert_eq!(count(&t).await, before + 1);
}

#[tokio::test]
async fn another_stations_records_look_exactly_like_missing_ones() {
    let t = TestApp::spawn().await;
    let (c, _) = t.login("advisor_b").await;
    let other = c
        .get(format!("{}/api/v1/vehicles/{}", t.base, t.fx.vehicle_a))
        .send()
        .await
        .unwrap();
    let missing = c
        .get(format!("{}/api/v1/vehicles/999999", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(other.text().await.unwrap(), missing.text().await.unwrap());
    let by_vin = c
        .get(format!("{}/api/v1/vehicles/by-vin/{}", t.base, t.fx.vin_a))
        .send()
        .await
        .unwrap();
    assert_eq!(by_vin.status(), StatusCode::NOT_FOUND);
    let own = c
        .get(format!("{}/api/v1/vehicles/by-vin/{}", t.base, t.fx.vin_b))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::OK);
    let list: Value = c
        .get(format!("{}/api/v1/customers", t.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["phone"], "138****0002", "masked in lists");
    // The regional manager of region A sees station A's vehicle but not station B's.
    let tok = t.token(Role::RegionalManager).await;
    let a = t
        .client()
        .get(format!("{}/api/v1/vehicles/{}", t.base, t.fx.vehicle_a))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    let b = t
        .client()
        .get(format!("{}/api/v1/vehicles/{}", t.base, t.fx.vehicle_b))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (a.status(), b.status()),
        (StatusCode::OK, StatusCode::NOT_FOUND)
    );
}
