//! Personal data: reveals need a reason and are audited; exports hold only the
//! caller's rows with masked phones.

use domain::role::Role;
use reqwest::StatusCode;
use serde_json::Value;
use serde_json::json;
use testkit::TestApp;

#[tokio::test]
async fn revealing_personal_data_needs_a_reason_and_is_audited() {
    let t = TestApp::spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let admin = t.token(Role::Administrator).await;
    let c = t.client();
    let url = format!("{}/api/v1/customers/{}/reveal", t.base, t.fx.customer_a);
    let r = c
        .post(&url)
        .bearer_auth(&tok)
        .json(&json!({"field": "phone", "purpose": "", "note": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let audit_url = format!("{}/api/v1/customers/{}/audit", t.base, t.fx.customer_a);
    let audit: Value = c
        .get(&audit_url)
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // The refused attempt is audited, typed as a token, and nothing was shown.
    let items = audit["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["action"], "reveal_refused");
    assert_eq!(items[0]["actor_kind"], "token");
    let r: Value = c
        .post(&url)
        .bearer_auth(&tok)
        .json(&json!({"field": "phone", "purpose": "identity_check", "note": "客户来电核实身份"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // One field per reveal: the phone, never the ID number with it.
    assert_eq!(r["field"], "phone");
    assert_eq!(r["value"], "13800000001");
    assert!(r["visible_until"].as_i64().unwrap() > 0);
    assert!(!r.to_string().contains("110101199003077777"));
    let audit: Value = c
        .get(&audit_url)
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        audit["items"][0]["reason"],
        "identity_check: 客户来电核实身份"
    );
    assert_eq!(audit["items"][0]["field"], "phone");
    assert_eq!(audit["items"][0]["actor_role"], "service_advisor");
    assert_eq!(audit["items"][0]["actor_kind"], "token");
    let masked: Value = c
        .get(format!("{}/api/v1/customers/{}", t.base, t.fx.customer_a))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(masked["phone"], "138****0001");
    assert_eq!(masked["id_number"], "110101********7777");
}

#[tokio::test]
async fn exports_hold_only_the_callers_rows_with_masked_phones() {
    let t = TestApp::spawn().await;
    let (c, _) = t.login("station_manager").await;
    let r = c
        .get(format!("{}/api/v1/export/customers", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = r.text().await.unwrap();
    assert!(csv.contains("张三"));
    assert!(!csv.contains("李四"), "another station's customer");
    assert!(csv.contains("138****0001"));
    assert!(!csv.contains("13800000001"));
    let r = c
        .get(format!("{}/api/v1/export/parts", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
