//! Issue 21, part B: retention (the nightly purge on the job machinery, with an
//! injected clock), outbox bodies without secrets after delivery, the owner's
//! complete export (covering every table that holds a customer id, read from the
//! database's own catalogue), and correction/deletion requests with their legal
//! holds, deadline and escalation. Runs on SQLite, and on PostgreSQL with
//! `TEST_DATABASE_URL`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::job::handler::Registry;
use app::job::worker::Worker;
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::{ClockExt, TestApp};

const DAY: i64 = 86_400_000;

async fn run_jobs(t: &TestApp) -> usize {
    let w = Worker::new(t.app.clone(), Registry::standard());
    let mut n = 0;
    loop {
        let k = w.run_once().await.unwrap();
        if k == 0 {
            return n;
        }
        n += k;
    }
}

async fn scalar_i64(t: &TestApp, sql: &str) -> i64 {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&mut *c)
        .await
        .unwrap()
}

async fn scalar_text(t: &TestApp, sql: &str) -> String {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&mut *c)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_nightly_purge_runs_on_the_job_machinery_and_re_arms_itself() {
    let t = TestApp::spawn().await;
    // A code requested and delivered: the outbox row is redacted at delivery.
    let (_c, _) = t.owner_session("13800000001").await;
    run_jobs(&t).await;
    let payload = scalar_text(&t, "SELECT payload FROM outbox WHERE template = 'otp'").await;
    assert_eq!(payload, r#"{"redacted":true}"#);
    let recipient = scalar_text(&t, "SELECT recipient FROM outbox WHERE template = 'otp'").await;
    assert_eq!(recipient, "+86****0001", "whole number gone after delivery");
    // An old sign-in attempt and an old audit row, beyond their keep times.
    let now = t.clock.now_ms_for_test();
    {
        let mut c = t.app.db.pool.acquire().await.unwrap();
        sqlx::query("INSERT INTO sign_in_attempts (kind, account, address, at) VALUES ('code', 'owner:+8613800000009', '10.0.0.1', $1)")
            .bind(now - 200 * DAY)
            .execute(&mut *c)
            .await
            .unwrap();
        sqlx::query("INSERT INTO audit_log (at, actor_kind, actor_role, actor_id, action, entity, entity_id, field, reason) VALUES ($1, 'person', 'administrator', 1, 'reveal', 'customer', 1, 'phone', 'old')")
            .bind(now - 1_200 * DAY)
            .execute(&mut *c)
            .await
            .unwrap();
    }
    let codes_before = scalar_i64(&t, "SELECT COUNT(*) FROM otp_codes").await;
    assert!(codes_before >= 1);
    // Armed once, at 03:00 Shanghai the next night; arming again changes nothing.
    app::privacy::retention::ensure_armed(&t.app).await.unwrap();
    app::privacy::retention::ensure_armed(&t.app).await.unwrap();
    let armed = |sql: &'static str| scalar_i64(&t, sql);
    assert_eq!(
        armed("SELECT COUNT(*) FROM timers WHERE kind = 'privacy.retention' AND state = 'queued'")
            .await,
        1
    );
    let due =
        armed("SELECT due_at FROM timers WHERE kind = 'privacy.retention' AND state = 'queued'")
            .await;
    assert_eq!(due, domain::privacy::retention::next_purge(now));
    assert_eq!(run_jobs(&t).await, 0, "not due yet");
    // The night comes.
    t.clock.advance_ms(due - now + 1_000);
    assert!(run_jobs(&t).await >= 1);
    assert_eq!(
        scalar_i64(&t, "SELECT COUNT(*) FROM otp_codes").await,
        0,
        "codes purged"
    );
    assert_eq!(
        scalar_i64(
            &t,
            "SELECT COUNT(*) FROM sign_in_attempts WHERE account = 'owner:+8613800000009'"
        )
        .await,
        0
    );
    assert_eq!(
        scalar_i64(&t, "SELECT COUNT(*) FROM audit_log WHERE reason = 'old'").await,
        0
    );
    // One audit row per run, with the counts per class.
    let reason = scalar_text(
        &t,
        "SELECT reason FROM audit_log WHERE action = 'retention_purge'",
    )
    .await;
    assert!(
        reason.contains(&format!("sign_in_code={codes_before}")),
        "{reason}"
    );
    assert!(reason.contains("sign_in_attempt=1"), "{reason}");
    assert!(reason.contains("audit_log=1"), "{reason}");
    assert!(reason.contains("accounting=0"), "{reason}");
    // The next night is armed by the run itself.
    let next = scalar_i64(
        &t,
        "SELECT due_at FROM timers WHERE kind = 'privacy.retention' AND state = 'queued'",
    )
    .await;
    assert_eq!(next, due + DAY);
}

#[tokio::test]
async fn the_owner_export_covers_every_table_holding_a_customer_id() {
    let t = TestApp::spawn().await;
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let tables = store::privacy::export::customer_tables(&mut c, t.test_db.is_postgres())
        .await
        .unwrap();
    drop(c);
    assert!(tables.contains(&"appointments".to_string()), "{tables:?}");
    assert!(
        tables.contains(&"privacy_requests".to_string()),
        "{tables:?}"
    );
    let covered: Vec<&str> = store::privacy::export::SECTIONS
        .iter()
        .flat_map(|s| s.tables.iter().copied())
        .chain(store::privacy::export::LEFT_OUT.iter().map(|(t, _)| *t))
        .collect();
    let missing: Vec<&String> = tables
        .iter()
        .filter(|t| !covered.contains(&t.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "tables holding a customer id that the owner's export does not cover: {missing:?} \
         (add a section to store::privacy::export::SECTIONS, or a reason to LEFT_OUT)"
    );

    // The export itself: whole contact details, every section, and an audit row.
    let (owner, _) = t.owner_session("13800000001").await;
    // A car they used to own: transferred away from them.
    {
        let mut c = t.app.db.pool.acquire().await.unwrap();
        sqlx::query("INSERT INTO ownerships (vehicle_id, customer_id, from_at, to_at) VALUES ($1, $2, 0, 1)")
            .bind(t.fx.vehicle_b)
            .bind(t.fx.customer_a)
            .execute(&mut *c)
            .await
            .unwrap();
    }
    let data: Value = owner
        .get(format!("{}/api/v1/me/data", t.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(data["customer"]["phone"], "+8613800000001");
    // The consent ledger is the truth (migration 0028): the customer record's old
    // flags are not exported beside it, so the two cannot disagree.
    for old in ["consent_service", "consent_marketing"] {
        assert!(
            data["customer"].get(old).is_none(),
            "{old} in the export: {}",
            data["customer"]
        );
    }
    let names: Vec<&str> = data["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for want in [
        "vehicles",
        "appointments",
        "pickups",
        "repair_orders",
        "estimate_decisions",
        "bills",
        "payments",
        "refunds",
        "ratings",
        "follow_ups",
        "messages_sent",
        "who_viewed",
        "privacy_requests",
        "consent",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    let section = |n: &str| {
        data["sections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == n)
            .unwrap()["rows"]
            .as_array()
            .unwrap()
            .clone()
    };
    let vins: Vec<String> = section("vehicles")
        .iter()
        .map(|v| v["vin"].as_str().unwrap().to_string())
        .collect();
    assert!(vins.contains(&t.fx.vin_a), "{vins:?}");
    assert!(
        vins.contains(&t.fx.vin_b),
        "the car they used to own: {vins:?}"
    );
    let sent = section("messages_sent");
    assert!(
        sent.iter().all(|m| m["payload"].is_null()),
        "no sign-in code in the export: {sent:?}"
    );
    // Audited, with the row count.
    let n = scalar_i64(
        &t,
        "SELECT COALESCE(MAX(row_count), -1) FROM audit_log WHERE action = 'export' AND field = 'own_data'",
    )
    .await;
    assert!(n >= 3, "export audited with its rows ({n})");
}

#[tokio::test]
async fn deletion_requests_keep_what_the_law_holds_and_explain_it() {
    let t = TestApp::spawn().await;
    let (owner, csrf) = t.owner_session("13800000001").await;
    let url = format!("{}/api/v1/me/privacy-requests", t.base);
    let post = |body: Value| {
        owner
            .post(&url)
            .header("x-csrf-token", &csrf)
            .json(&body)
            .send()
    };
    // Only records under a legal hold: 422 naming `scopes`, nothing stored, audited.
    let r = post(json!({"kind": "deletion", "scopes": ["bills", "repair_orders"], "ground": "service_ended"}))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["field"], "scopes");
    assert_eq!(p["errors"][0]["rule"], "privacy.legal_hold");
    assert_eq!(
        scalar_i64(&t, "SELECT COUNT(*) FROM privacy_requests").await,
        0
    );
    assert_eq!(
        scalar_i64(
            &t,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'privacy_request_refused'"
        )
        .await,
        1
    );
    // A reason where one is needed.
    let r = post(json!({"kind": "correction", "detail": "  "}))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["field"], "detail");
    let r = post(json!({"kind": "deletion", "scopes": ["contact"], "ground": "other"}))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json::<Value>().await.unwrap()["errors"][0]["field"],
        "detail"
    );
    // A mixed request is filed, with its deadline armed on the timer machinery.
    let r = post(json!({"kind": "deletion", "scopes": ["contact", "messages", "bills"], "ground": "service_ended"}))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let filed: Value = r.json().await.unwrap();
    let id = filed["id"].as_i64().unwrap();
    assert_eq!(filed["state"], "open");
    assert_eq!(
        scalar_i64(
            &t,
            "SELECT COUNT(*) FROM timers WHERE kind = 'privacy.request_due' AND state = 'queued'"
        )
        .await,
        1
    );
    // A station cannot handle it; head office can.
    let advisor = t.token(domain::role::Role::ServiceAdvisor).await;
    let r = t
        .client()
        .post(format!("{}/api/v1/privacy-requests/{id}/complete", t.base))
        .bearer_auth(&advisor)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let admin = t.token(domain::role::Role::Administrator).await;
    let queue: Value = t
        .client()
        .get(format!("{}/api/v1/privacy-requests", t.base))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(queue[0]["id"], id);
    assert!(
        !queue[0]["customer"]
            .as_str()
            .unwrap()
            .contains("13800000001"),
        "the queue names the customer masked"
    );
    let r = t
        .client()
        .post(format!("{}/api/v1/privacy-requests/{id}/complete", t.base))
        .bearer_auth(&admin)
        .json(&json!({"answer": "已按要求处理"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let done: Value = r.json().await.unwrap();
    assert_eq!(done["state"], "done");
    let outcome = done["outcome"].as_array().unwrap();
    assert!(outcome.contains(&json!({"scope": "contact", "kept": null})));
    assert!(outcome.contains(&json!({"scope": "bills", "kept": "accounting"})));
    // Contact details anonymised; the timer disarmed; a second answer refused.
    let phone = scalar_text(
        &t,
        &format!("SELECT phone FROM customers WHERE id = {}", t.fx.customer_a),
    )
    .await;
    assert!(phone.starts_with("erased-"), "{phone}");
    assert_eq!(
        scalar_i64(
            &t,
            &format!(
                "SELECT COUNT(*) FROM customers WHERE id = {} AND id_number IS NOT NULL",
                t.fx.customer_a
            )
        )
        .await,
        0
    );
    assert_eq!(
        scalar_i64(
            &t,
            "SELECT COUNT(*) FROM timers WHERE kind = 'privacy.request_due' AND state = 'queued'"
        )
        .await,
        0
    );
    let r = t
        .client()
        .post(format!("{}/api/v1/privacy-requests/{id}/refuse", t.base))
        .bearer_auth(&admin)
        .json(&json!({"answer": "late"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // The owner, still signed in, sees the outcome.
    let mine: Value = owner.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(mine[0]["state"], "done");
    assert_eq!(
        scalar_i64(
            &t,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'privacy_request_answered'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_request_still_open_at_its_deadline_escalates() {
    let t = TestApp::spawn().await;
    let (owner, csrf) = t.owner_session("13800000001").await;
    let r = owner
        .post(format!("{}/api/v1/me/privacy-requests", t.base))
        .header("x-csrf-token", &csrf)
        .json(&json!({"kind": "correction", "detail": "姓名应为张伟"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    let due = v["due_at"].as_i64().unwrap();
    let now = t.clock.now_ms_for_test();
    assert!(due - now > 14 * DAY, "15 working days");
    run_jobs(&t).await;
    assert_eq!(
        scalar_text(&t, "SELECT state FROM privacy_requests").await,
        "open"
    );
    t.clock.advance_ms(due - now + 1);
    run_jobs(&t).await;
    assert_eq!(
        scalar_text(&t, "SELECT state FROM privacy_requests").await,
        "escalated"
    );
    assert_eq!(
        scalar_i64(
            &t,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'privacy_request_escalated'"
        )
        .await,
        1
    );
    // A correction is answered with what was changed (the answer is required).
    let admin = t.token(domain::role::Role::Administrator).await;
    let id = v["id"].as_i64().unwrap();
    let r = t
        .client()
        .post(format!("{}/api/v1/privacy-requests/{id}/complete", t.base))
        .bearer_auth(&admin)
        .json(&json!({"answer": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json::<Value>().await.unwrap()["errors"][0]["field"],
        "answer"
    );
}
