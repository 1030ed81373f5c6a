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
