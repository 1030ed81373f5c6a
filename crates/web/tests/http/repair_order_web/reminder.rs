//! Reminders respect consent and the chosen channel.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_respect_consent_and_the_chosen_channel() {
    let t = TestApp::spawn().await;
    t.service_fixture().await;
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let book = |start: &str| {
        json!({"station_id": t.fx.station_a, "vehicle_id": t.fx.vehicle_a, "service_type": "maintenance",
               "channel": "hotline", "start": start, "concern": "保养"})
    };
    let reminders = || async {
        let mut c = t.app.db.pool.acquire().await.unwrap();
        sqlx::query_as::<_, (String,)>(
            "SELECT channel FROM outbox WHERE dedupe_key LIKE 'appt-reminder:%' ORDER BY id",
        )
        .fetch_all(&mut *c)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.0)
        .collect::<Vec<_>>()
    };
    let (db, customer) = (t.app.db.clone(), t.fx.customer_a);
    let set = |sql: &'static str| {
        let db = db.clone();
        async move {
            let mut c = db.pool.acquire().await.unwrap();
            sqlx::query(sql)
                .bind(customer)
                .execute(&mut *c)
                .await
                .unwrap();
        }
    };
    // The consent ledger decides (its latest service-contact entry), not the old flag.
    let ledger = |granted: i64| {
        let db = db.clone();
        async move {
            let mut c = db.pool.acquire().await.unwrap();
            sqlx::query(
                "INSERT INTO consent_entries (customer_id, purpose, granted, source, evidence, actor_kind, actor_role, actor_id, at) \
                 VALUES ($1, 'service_contact', $2, 'desk', 'form', 'person', 'service_advisor', 1, 0)",
            )
            .bind(customer)
            .bind(granted)
            .execute(&mut *c)
            .await
            .unwrap();
        }
    };
    set("UPDATE customers SET channel = 'wechat' WHERE id = $1").await;
    ledger(0).await;
    let (s, v) = advisor
        .post("/appointments", book("2026-11-25 10:00"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert!(reminders().await.is_empty(), "no consent, no reminder");
    ledger(1).await;
    let (s, v) = advisor
        .post("/appointments", book("2026-11-27 10:00"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(reminders().await, vec!["wechat".to_string()]);
}
