//! Input hardening over real HTTP (issue 9): stored garbage, implausible dates, JSON
//! types, paging and search, VIN padding, the default warranty end. On SQLite, or on
//! PostgreSQL with TEST_DATABASE_URL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use app::clock::Clock;
use domain::role::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::TestApp;

/// POSTs `body` as `role` and returns the status and the answer.
async fn post(t: &TestApp, role: Role, path: &str, body: &Value) -> (StatusCode, Value) {
    let tok = t.token(role).await;
    let r = t
        .client()
        .post(format!("{}{path}", t.base))
        .bearer_auth(&tok)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// GETs `path` as `role`.
async fn get(t: &TestApp, role: Role, path: &str) -> (StatusCode, Value) {
    let tok = t.token(role).await;
    let r = t
        .client()
        .get(format!("{}{path}", t.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The (field, rule) pairs of a problem document.
fn errors(p: &Value) -> Vec<(String, String)> {
    p["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or("").to_string(),
                        e["rule"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn pair(field: &str, rule: &str) -> (String, String) {
    (field.to_string(), rule.to_string())
}

/// A valid new vehicle of customer A at station A, with a fresh VIN.
fn vehicle(t: &TestApp, serial: &str) -> Value {
    let vin = domain::vin::Vin::with_check_digit("LSVAM4B2", serial).unwrap();
    json!({"vin": vin.to_string(), "brand": "大众", "model": "帕萨特", "model_year": 2022,
        "purchase_date": "2024-01-01", "owner_id": t.fx.customer_a, "station_id": t.fx.station_a})
}

#[tokio::test]
async fn names_with_invisible_or_control_characters_are_refused_with_their_rule() {
    let t = TestApp::spawn().await;
    let op = |zh: &str| json!({"code": "HARD-1", "name_zh": zh, "name_en": "Hardening", "standard_hundredths": 100});
    let (s, p) = post(
        &t,
        Role::Administrator,
        "/api/v1/labour-operations",
        &op("工\u{0017}\u{e000}"),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(errors(&p), vec![pair("name_zh", "text.control_chars")]);
    let (s, p) = post(
        &t,
        Role::Administrator,
        "/api/v1/labour-operations",
        &op("\u{200B}\u{200B}"),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(errors(&p), vec![pair("name_zh", "text.invisible_only")]);
    let (s, _) = post(
        &t,
        Role::Administrator,
        "/api/v1/labour-operations",
        &op(" 更换刹车片\u{200B}"),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);

    // Fields a use case reads as a plain string are guarded too, at the JSON body.
    let mut odd = op("刹车片");
    odd["qualification"] = json!("ev\u{0000}");
    let (s, p) = post(&t, Role::Administrator, "/api/v1/labour-operations", &odd).await;
    assert_eq!(
        (s, errors(&p)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![pair("qualification", "text.control_chars")]
        )
    );

    let customer = |name: &str| json!({"name": name, "phone": "13900000077", "station_id": t.fx.station_a, "channel": "sms"});
    let (s, p) = post(
        &t,
        Role::ServiceAdvisor,
        "/api/v1/customers",
        &customer("\u{202E}三张"),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(errors(&p), vec![pair("name", "text.bidi_control")]);
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("U+202E"),
        "{p}"
    );
    let (s, p) = post(
        &t,
        Role::ServiceAdvisor,
        "/api/v1/customers",
        &customer("\u{2060}"),
    )
    .await;
    assert_eq!(errors(&p), vec![pair("name", "text.invisible_only")], "{s}");
}

#[tokio::test]
async fn purchase_dates_must_be_plausible_and_warranty_ends_the_day_before_the_anniversary() {
    let t = TestApp::spawn().await;
    let today = t.clock.now().to_zoned(jiff::tz::TimeZone::UTC).date();
    for (i, bad) in ["0001-01-01", "9999-12-31", "1989-12-31"]
        .into_iter()
        .enumerate()
    {
        let mut body = vehicle(&t, &format!("HD00000{i}"));
        body["purchase_date"] = json!(bad);
        let (s, p) = post(&t, Role::ServiceAdvisor, "/api/v1/vehicles", &body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(
            errors(&p),
            vec![pair("purchase_date", "date.range")],
            "{bad}"
        );
        assert!(
            p["errors"][0]["message"]
                .as_str()
                .unwrap_or("")
                .contains("1990-01-01"),
            "{p}"
        );
    }
    let mut future = vehicle(&t, "HD000010");
    future["purchase_date"] = json!(
        today
            .checked_add(jiff::Span::new().days(3))
            .unwrap()
            .to_string()
    );
    let (s, p) = post(&t, Role::ServiceAdvisor, "/api/v1/vehicles", &future).await;
    assert_eq!(
        (s, errors(&p)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![pair("purchase_date", "date.range")]
        )
    );
    let mut far = vehicle(&t, "HD000011");
    far["warranty_end"] = json!("9999-12-31");
    let (s, p) = post(&t, Role::ServiceAdvisor, "/api/v1/vehicles", &far).await;
    assert_eq!(
        (s, errors(&p)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![pair("warranty_end", "date.range")]
        )
    );

    let (s, p) = post(
        &t,
        Role::ServiceAdvisor,
        "/api/v1/vehicles",
        &vehicle(&t, "HD000012"),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let (_, d) = get(
        &t,
        Role::ServiceAdvisor,
        &format!("/api/v1/vehicles/{}", p["id"]),
    )
    .await;
    assert_eq!(d["vehicle"]["warranty_start"], "2024-01-01");
    assert_eq!(
        d["vehicle"]["warranty_end"], "2027-01-01",
        "same rule as the demo data"
    );
}

#[tokio::test]
async fn json_bodies_are_strict_about_types() {
    let t = TestApp::spawn().await;
    let mut body = vehicle(&t, "HD000020");
    body["model_year"] = json!("2022");
    body["brand"] = json!(123);
    body["is_ev"] = json!("yes");
    body["km"] = json!("1");
    let (s, p) = post(&t, Role::ServiceAdvisor, "/api/v1/vehicles", &body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let mut got = errors(&p);
    got.sort();
    assert_eq!(
        got,
        vec![
            pair("brand", "type.text"),
            pair("is_ev", "type.boolean"),
            pair("km", "type.integer"),
            pair("model_year", "type.integer"),
        ]
    );
}

#[tokio::test]
async fn vins_with_white_space_are_refused_on_the_api() {
    let t = TestApp::spawn().await;
    let mut body = vehicle(&t, "HD000030");
    let vin = body["vin"].as_str().unwrap().to_string();
    body["vin"] = json!(format!(" {vin}"));
    let (s, p) = post(&t, Role::ServiceAdvisor, "/api/v1/vehicles", &body).await;
    assert_eq!(
        (s, errors(&p)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![pair("vin", "vin.whitespace")]
        )
    );
    body["vin"] = json!(vin);
    let (s, _) = post(&t, Role::ServiceAdvisor, "/api/v1/vehicles", &body).await;
    assert_eq!(s, StatusCode::CREATED);
}

#[tokio::test]
async fn paging_parameters_out_of_range_are_named() {
    let t = TestApp::spawn().await;
    for (query, field) in [
        ("page=9223372036854775807", "page"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("per_page=0", "per_page"),
        ("per_page=201", "per_page"),
        ("page=x", "page"),
    ] {
        for list in ["vehicles", "customers", "stations", "staff"] {
            let (s, p) = get(&t, Role::Administrator, &format!("/api/v1/{list}?{query}")).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{list}?{query}");
            assert_eq!(errors(&p)[0].0, field, "{list}?{query}");
        }
    }
    let (s, p) = get(
        &t,
        Role::Administrator,
        "/api/v1/customers?page=1000000&per_page=200",
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (p["page"].as_i64(), p["items"].as_array().map(Vec::len)),
        (Some(1_000_000), Some(0))
    );
}

#[tokio::test]
async fn like_wildcards_in_search_match_themselves() {
    let t = TestApp::spawn().await;
    for list in ["customers", "vehicles", "stations", "staff"] {
        let (_, all) = get(&t, Role::Administrator, &format!("/api/v1/{list}")).await;
        assert!(all["total"].as_i64().unwrap_or(0) > 0, "{list} has rows");
        for (q, literal) in [("%25", "%"), ("_", "_"), ("%5C", "\\")] {
            let (s, p) = get(&t, Role::Administrator, &format!("/api/v1/{list}?q={q}")).await;
            assert_eq!(s, StatusCode::OK);
            // Only rows that hold the character itself (user names such as
            // `service_advisor` hold `_`), never every row.
            assert!(
                p["total"].as_i64() < all["total"].as_i64(),
                "{list}?q={q} matched all"
            );
            for item in p["items"].as_array().unwrap() {
                assert!(item.to_string().contains(literal), "{list}?q={q}: {item}");
            }
        }
    }
    // A name that holds a percent sign is still found by it: at its start by the
    // one character, anywhere by a fragment of three (the search matches a shorter
    // fragment at the start of a name only).
    let c = json!({"name": "%百分之百", "phone": "13900000078", "station_id": t.fx.station_a, "channel": "sms"});
    let (s, _) = post(&t, Role::ServiceAdvisor, "/api/v1/customers", &c).await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, p) = get(&t, Role::Administrator, "/api/v1/customers?q=%25").await;
    assert_eq!(p["total"], 1);
    let c = json!({"name": "百分%之百", "phone": "13900000079", "station_id": t.fx.station_a, "channel": "sms"});
    let (s, _) = post(&t, Role::ServiceAdvisor, "/api/v1/customers", &c).await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, p) = get(
        &t,
        Role::Administrator,
        "/api/v1/customers?q=%E5%88%86%25%E4%B9%8B",
    )
    .await;
    assert_eq!(p["total"], 1, "分%之");
}

#[tokio::test]
async fn mobile_units_filter_by_station() {
    let t = TestApp::spawn().await;
    let mut conn = t.app.db.pool.acquire().await.unwrap();
    for (code, station, plate) in [
        ("MU-A1", t.fx.station_a, "京A12345"),
        ("MU-B1", t.fx.station_b, "粤B12345"),
    ] {
        let u = store::network::MobileUnit {
            id: 0,
            code: code.into(),
            kind: "service_van".into(),
            station_id: station,
            plate: plate.into(),
            lon: 116.4,
            lat: 39.9,
            state: "available".into(),
        };
        store::network::insert_mobile_unit(&mut conn, &u, 0)
            .await
            .unwrap();
    }
    drop(conn);
    let (_, all) = get(&t, Role::Administrator, "/api/v1/mobile-units").await;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(2));
    let (s, one) = get(
        &t,
        Role::Administrator,
        &format!("/api/v1/mobile-units?station_id={}", t.fx.station_b),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let codes: Vec<&str> = one["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["code"].as_str())
        .collect();
    assert_eq!(codes, vec!["MU-B1"]);
    let (s, p) = get(
        &t,
        Role::Administrator,
        "/api/v1/mobile-units?station_id=abc",
    )
    .await;
    assert_eq!(
        (s, errors(&p)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![pair("station_id", "type.integer")]
        )
    );
}

/// A body that is not what every body of the API is is refused in the answer's own
/// format: a JSON array where an object is due (serde would read a struct from it
/// field by field), and a payment notice that is not UTF-8 (the provider gets its
/// FAIL, not a plain-text 400).
#[tokio::test]
async fn bodies_that_are_not_objects_or_not_text_are_refused_in_the_answers_format() {
    let t = TestApp::spawn().await;
    let (status, doc) = post(
        &t,
        Role::Administrator,
        "/api/v1/survey-samples",
        &serde_json::json!([null, null]),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{doc}");
    assert_eq!(doc["errors"][0]["field"], "body", "{doc}");
    assert_eq!(doc["errors"][0]["rule"], "type.object", "{doc}");
    for (path, content_type) in [
        ("/api/v1/payments/notify/wechat", "application/json"),
        (
            "/api/v1/payments/notify/alipay",
            "application/x-www-form-urlencoded",
        ),
    ] {
        let r = t
            .client()
            .post(format!("{}{path}", t.base))
            .header("content-type", content_type)
            .body(vec![0x1e, 0xff, 0xfe, b'L'])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        let text = r.text().await.unwrap();
        assert!(text.contains("FAIL") || text == "fail", "{path}: {text}");
    }
}
