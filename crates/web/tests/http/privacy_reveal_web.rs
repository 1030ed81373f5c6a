//! The remaining reveal forms (issue 21): a staff member's phone, whole only for a
//! purpose from the list, time-limited, one audit row; without purpose refused by
//! name and the attempt audited. On SQLite or (with TEST_DATABASE_URL) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::role::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::TestApp;

async fn audit(t: &TestApp, action: &str, id: i64) -> Vec<(String, String)> {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    sqlx::query_as::<_, (String, String)>(
        "SELECT field, reason FROM audit_log WHERE action = $1 AND entity = 'staff' AND entity_id = $2 ORDER BY id",
    )
    .bind(action)
    .bind(id)
    .fetch_all(&mut *c)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_staff_phone_is_revealed_for_a_purpose_once_audited() {
    let t = TestApp::spawn().await;
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let tech: i64 = sqlx::query_scalar("SELECT id FROM staff WHERE username = 'technician'")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    drop(c);
    let manager = t.token(Role::StationManager).await;
    let post = |tok: String, body: Value| {
        let url = format!("{}/api/v1/staff/{tech}/reveal", t.base);
        let c = t.client();
        async move {
            c.post(url)
                .bearer_auth(tok)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    // The detail shows it masked.
    let v: Value = t
        .client()
        .get(format!("{}/api/v1/staff/{tech}", t.base))
        .bearer_auth(&manager)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(v.to_string().contains("****"), "{v}");
    // No purpose: 422 naming it, nothing shown, the attempt audited.
    let r = post(
        manager.clone(),
        json!({"field": "staff_phone", "purpose": ""}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("\"purpose\""), "{body}");
    assert!(!body.contains("****") && !body.contains("value"));
    assert_eq!(audit(&t, "reveal_refused", tech).await.len(), 1);
    assert!(audit(&t, "reveal", tech).await.is_empty());
    // With a purpose: whole, until a time, one row naming the purpose and note.
    let r = post(
        manager.clone(),
        json!({"field": "staff_phone", "purpose": "callback", "note": "排班"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    let whole = v["value"].as_str().unwrap();
    assert!(!whole.contains('*'));
    assert!(
        whole.chars().filter(char::is_ascii_digit).count() >= 11,
        "{whole}"
    );
    assert_eq!(
        v["visible_until"].as_i64().unwrap(),
        t.app.now_ms() + domain::privacy::reveal::VISIBLE_MS
    );
    assert_eq!(
        audit(&t, "reveal", tech).await,
        vec![("staff_phone".to_string(), "callback: 排班".to_string())]
    );
    // Roles that do not manage accounts cannot.
    let adv = t.token(Role::ServiceAdvisor).await;
    let r = post(adv, json!({"field": "staff_phone", "purpose": "callback"})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The console form on the staff page.
    let (console, csrf) = t.login("station_manager").await;
    let html = console
        .get(format!("{}/console/staff/{tech}", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("/console/staff/{tech}/reveal")));
    let html = console
        .post(format!("{}/console/staff/{tech}/reveal", t.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("purpose", "identity_check"),
            ("note", ""),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(whole), "the page shows it whole");
    assert_eq!(audit(&t, "reveal", tech).await.len(), 2);
}

#[tokio::test]
async fn a_pickup_address_is_revealed_to_its_driver_for_a_purpose() {
    use domain::permission::Action;
    let t = TestApp::spawn().await;
    t.service_fixture().await;
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let driver: i64 = sqlx::query_scalar("SELECT id FROM staff WHERE username = 'service_advisor'")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    drop(c);
    let advisor = t.token(Role::ServiceAdvisor).await;
    let r = t
        .client()
        .post(format!("{}/api/v1/appointments", t.base))
        .bearer_auth(&advisor)
        .json(
            &json!({"station_id": t.fx.station_a, "vehicle_id": t.fx.vehicle_a,
            "service_type": "maintenance", "channel": "hotline",
            "start": "2026-11-25 10:00", "concern": "保养"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
    let appointment = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let admin = domain::permission::Principal {
        kind: domain::permission::ActorKind::Person,
        id: 1,
        name: "admin".into(),
        role: Role::Administrator,
        unit: domain::permission::Unit::HeadOffice,
    };
    let input = app::pickup::PickupInput {
        appointment_id: json!(appointment),
        address: json!("北京市朝阳区建国路88号"),
        window_start: json!("2026-11-25 08:00"),
        window_end: json!("2026-11-25 10:00"),
        driver_id: json!(driver),
        ..Default::default()
    };
    let id = app::pickup::schedule(&t.app, &admin.grant(Action::PickupWrite).unwrap(), &input)
        .await
        .unwrap();
    let pickup_audit = |action: &'static str| {
        let db = t.app.db.clone();
        async move {
            let mut c = db.pool.acquire().await.unwrap();
            sqlx::query_as::<_, (String, String)>(
                "SELECT field, reason FROM audit_log WHERE action = $1 AND entity = 'pickup' AND entity_id = $2 ORDER BY id",
            )
            .bind(action)
            .bind(id)
            .fetch_all(&mut *c)
            .await
            .unwrap()
        }
    };
    // The driver (signed in as a person) with a purpose: whole, one row.
    let (driver_c, csrf) = t.login("service_advisor").await;
    let reveal = |body: Value| {
        let c = driver_c.clone();
        let url = format!("{}/api/v1/pickups/{id}/reveal", t.base);
        let csrf = csrf.clone();
        async move {
            c.post(url)
                .header("x-csrf-token", csrf)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let r = reveal(json!({"purpose": ""})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("\"purpose\""));
    assert_eq!(pickup_audit("reveal_refused").await.len(), 1);
    let r = reveal(json!({"purpose": "pickup_return", "note": "出发取车"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["value"], "北京市朝阳区建国路88号");
    assert_eq!(
        pickup_audit("reveal").await,
        vec![("address".to_string(), "pickup_return: 出发取车".to_string())]
    );
    // Someone else at the station (a token is never assigned): refused and audited.
    let r = t
        .client()
        .post(format!("{}/api/v1/pickups/{id}/reveal", t.base))
        .bearer_auth(&advisor)
        .json(&json!({"purpose": "pickup_return"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(pickup_audit("reveal_refused").await.len(), 2);
}
