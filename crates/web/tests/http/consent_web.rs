//! The consent ledger end to end (issue 21), on SQLite or (with TEST_DATABASE_URL)
//! PostgreSQL: staff record changes with a source, a change without one is refused
//! and audited, the owner changes theirs on the phone page, the outbox asks the
//! ledger at send time (suppressed, not failed), a campaign skips those who withdrew,
//! and the privacy officer searches and exports the audit log.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::role::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::TestApp;

async fn run_jobs(app: &app::App) -> usize {
    app::job::worker::Worker::with_client(
        app.clone(),
        app::job::handler::Registry::standard(),
        reqwest::Client::new(),
        "test".into(),
    )
    .run_once()
    .await
    .unwrap()
}

async fn scalar(t: &TestApp, sql: &str, id: i64) -> i64 {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(id)
        .fetch_one(&mut *c)
        .await
        .unwrap()
}

async fn entries(t: &TestApp, customer: i64) -> i64 {
    scalar(
        t,
        "SELECT COUNT(*) FROM consent_entries WHERE customer_id = $1",
        customer,
    )
    .await
}

async fn audit_rows(t: &TestApp, action: &str, customer: i64) -> Vec<(String, String, String)> {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    sqlx::query_as::<_, (String, String, String)>(
        "SELECT actor_role, field, reason FROM audit_log WHERE action = $1 AND entity = 'customer' AND entity_id = $2 ORDER BY id",
    )
    .bind(action)
    .bind(customer)
    .fetch_all(&mut *c)
    .await
    .unwrap()
}

fn state<'a>(v: &'a Value, purpose: &str) -> &'a Value {
    v["purposes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["purpose"] == purpose)
        .unwrap()
}

async fn post_consent(t: &TestApp, tok: &str, customer: i64, body: Value) -> reqwest::Response {
    t.client()
        .post(format!("{}/api/v1/customers/{customer}/consent", t.base))
        .bearer_auth(tok)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn staff_record_consent_with_a_source_and_without_one_nothing_changes() {
    let t = TestApp::spawn().await;
    let a = t.fx.customer_a;
    let tok = t.token(Role::ServiceAdvisor).await;
    let get = || async {
        t.client()
            .get(format!("{}/api/v1/customers/{a}/consent", t.base))
            .bearer_auth(&tok)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    let v = get().await;
    assert_eq!(v["purposes"].as_array().unwrap().len(), 4);
    assert_eq!(state(&v, "service_contact")["granted"], true);
    assert_eq!(state(&v, "surveys")["granted"], true);
    assert_eq!(state(&v, "marketing")["granted"], false);
    assert_eq!(
        state(&v, "data_sharing")["granted"],
        false,
        "no entry: not given"
    );
    assert!(state(&v, "data_sharing")["latest"].is_null());
    let before = entries(&t, a).await;

    // No source: 422 naming `source`, nothing recorded, the attempt audited.
    let r = post_consent(
        &t,
        &tok,
        a,
        json!({"purpose": "marketing", "granted": true}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: Value = r.json().await.unwrap();
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["source"], "{p}");
    assert_eq!(entries(&t, a).await, before);
    let refused = audit_rows(&t, "consent_refused", a).await;
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].0, "service_advisor");
    // A call needs its recording reference; an owner's source is not the desk's to use.
    for body in [
        json!({"purpose": "marketing", "granted": true, "source": "call"}),
        json!({"purpose": "marketing", "granted": true, "source": "owner_phone"}),
        json!({"purpose": "ads", "granted": "yes", "source": "desk"}),
    ] {
        let r = post_consent(&t, &tok, a, body.clone()).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    assert_eq!(entries(&t, a).await, before);
    assert_eq!(audit_rows(&t, "consent_refused", a).await.len(), 4);

    // With a source: one entry, one audit row, the old flag follows.
    let r = post_consent(
        &t,
        &tok,
        a,
        json!({"purpose": "marketing", "granted": true, "source": "desk", "evidence": "签字表 A-12"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(entries(&t, a).await, before + 1);
    let v = get().await;
    let m = state(&v, "marketing");
    assert_eq!(m["granted"], true);
    assert_eq!(m["latest"]["source"], "desk");
    assert_eq!(m["latest"]["evidence"], "签字表 A-12");
    assert_eq!(m["latest"]["actor_role"], "service_advisor");
    assert_eq!(v["history"][0]["purpose"], "marketing", "newest first");
    let rows = audit_rows(&t, "consent", a).await;
    assert_eq!(
        rows,
        vec![(
            "service_advisor".to_string(),
            "marketing".to_string(),
            "given: desk: 签字表 A-12".to_string()
        )]
    );
    assert_eq!(
        scalar(
            &t,
            "SELECT consent_marketing FROM customers WHERE id = $1",
            a
        )
        .await,
        1
    );
    // Withdrawn by a recorded call: a new entry; the earlier one stays as it was.
    let r = post_consent(
        &t,
        &tok,
        a,
        json!({"purpose": "marketing", "granted": false, "source": "call", "evidence": "REC-20261124-7"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let v = get().await;
    assert_eq!(state(&v, "marketing")["granted"], false);
    let marketing: Vec<&Value> = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["purpose"] == "marketing")
        .collect();
    assert_eq!(marketing.len(), 3, "import, desk, call");
    assert_eq!(marketing[1]["granted"], true);

    // Roles that may not change customers may not change consent; another station's
    // customer is not found.
    let tech = t.token(Role::Technician).await;
    let r = post_consent(
        &t,
        &tech,
        a,
        json!({"purpose": "marketing", "granted": true, "source": "desk"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = post_consent(
        &t,
        &tok,
        t.fx.customer_b,
        json!({"purpose": "marketing", "granted": true, "source": "desk"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_ledger_is_append_only() {
    let t = TestApp::spawn().await;
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let r = sqlx::query("UPDATE consent_entries SET granted = 1 - granted WHERE customer_id = $1")
        .bind(t.fx.customer_a)
        .execute(&mut *c)
        .await;
    assert!(r.is_err(), "history is never rewritten");
}

#[tokio::test]
async fn the_outbox_asks_the_ledger_at_send_time() {
    let t = TestApp::spawn().await;
    let a = t.fx.customer_a;
    let now = t.app.now_ms();
    let mut c = t.app.db.pool.acquire().await.unwrap();
    for key in ["reminder:1", "reminder:2"] {
        store::outbox::enqueue(
            &mut c,
            key,
            "app",
            "+8613800000001",
            Some(a),
            "appointment_reminder",
            &json!({"appointment_id": 1}),
            now,
        )
        .await
        .unwrap();
    }
    drop(c);
    // Consent given when queued; withdrawn before it is sent.
    let tok = t.token(Role::CustomerRelations).await;
    let r = post_consent(
        &t,
        &tok,
        a,
        json!({"purpose": "service_contact", "granted": false, "source": "call", "evidence": "REC-1"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(run_jobs(&t.app).await, 2);
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let rows = sqlx::query_as::<_, (String, Option<String>, Option<i64>)>(
        "SELECT status, suppressed_reason, sent_at FROM outbox WHERE customer_id = $1 ORDER BY id",
    )
    .bind(a)
    .fetch_all(&mut *c)
    .await
    .unwrap();
    assert_eq!(rows.len(), 2);
    for r in &rows {
        assert_eq!(r.0, "suppressed", "held back, not failed");
        assert_eq!(r.1.as_deref(), Some("consent:service_contact"));
        assert_eq!(r.2, None, "never sent");
    }
    assert!(
        store::outbox::inbox(&mut c, a, 10)
            .await
            .unwrap()
            .is_empty(),
        "nothing reached the inbox"
    );
    drop(c);
    // The staff page lists them as held back for that purpose.
    let v = app::privacy::consent::messages(
        &t.app,
        &domain::permission::Principal {
            kind: domain::permission::ActorKind::Person,
            id: 1,
            name: "admin".into(),
            role: Role::Administrator,
            unit: domain::permission::Unit::HeadOffice,
        }
        .grant(app::privacy::consent::READ)
        .unwrap(),
        a,
    )
    .await
    .unwrap();
    assert!(v.iter().all(|m| m.status == "suppressed"));
}

#[tokio::test]
async fn a_campaign_reaches_only_customers_who_consent_to_marketing() {
    let t = TestApp::spawn().await;
    let a = t.fx.customer_a;
    let tok = t.token(Role::StationManager).await;
    let start = || async {
        let r = t
            .client()
            .post(format!("{}/api/v1/campaigns", t.base))
            .bearer_auth(&tok)
            .json(&json!({"station_id": t.fx.station_a, "message": "冬季保养八折"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        while run_jobs(&t.app).await > 0 {}
        t.clock.advance_ms(1_000);
    };
    let outcomes = || async {
        let mut c = t.app.db.pool.acquire().await.unwrap();
        sqlx::query_as::<_, (String, Option<String>)>(
            "SELECT status, suppressed_reason FROM outbox WHERE customer_id = $1 AND template = 'campaign_offer' ORDER BY id",
        )
        .bind(a)
        .fetch_all(&mut *c)
        .await
        .unwrap()
    };
    // The fixture's customer never agreed to marketing.
    start().await;
    assert_eq!(
        outcomes().await,
        vec![("suppressed".into(), Some("consent:marketing".into()))]
    );
    assert_eq!(
        scalar(
            &t,
            "SELECT COUNT(*) FROM outbox WHERE customer_id = $1 AND template = 'campaign_offer'",
            t.fx.customer_b
        )
        .await,
        0,
        "another station's customer is not in it"
    );
    let r = post_consent(
        &t,
        &tok,
        a,
        json!({"purpose": "marketing", "granted": true, "source": "desk", "evidence": "form"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    start().await;
    assert_eq!(outcomes().await[1], ("sent".into(), None));
    // Bad input names the field.
    let r = t
        .client()
        .post(format!("{}/api/v1/campaigns", t.base))
        .bearer_auth(&tok)
        .json(&json!({"station_id": t.fx.station_a, "message": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("message"));
}

#[tokio::test]
async fn the_owner_sees_and_changes_their_consent_on_the_phone_page() {
    let t = TestApp::spawn().await;
    let a = t.fx.customer_a;
    let (owner, csrf) = t.owner_session("13800000001").await;
    let page = owner
        .get(format!("{}/owner/privacy", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("data-purpose=\"marketing\" data-granted=\"false\""));
    assert!(html.contains("营销推广"), "purposes by name, not code");
    // Without the form's token nothing changes.
    let r = owner
        .post(format!("{}/owner/privacy", t.base))
        .form(&[
            ("csrf", "wrong"),
            ("purpose", "marketing"),
            ("granted", "yes"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let before = entries(&t, a).await;
    let r = owner
        .post(format!("{}/owner/privacy", t.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("purpose", "marketing"),
            ("granted", "yes"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(entries(&t, a).await, before + 1);
    let v: Value = owner
        .get(format!("{}/api/v1/me/consent", t.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let m = state(&v, "marketing");
    assert_eq!(m["granted"], true);
    assert_eq!(m["latest"]["source"], "owner_phone");
    assert_eq!(m["latest"]["actor_role"], "owner");
    let rows = audit_rows(&t, "consent", a).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, "owner");
    assert!(rows[0].2.starts_with("given: owner_phone"), "{:?}", rows[0]);
    // An unknown purpose is refused and changes nothing.
    let r = owner
        .post(format!("{}/owner/privacy", t.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("purpose", "everything"),
            ("granted", "no"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(entries(&t, a).await, before + 1);
    // Staff cannot use the owner's page or API.
    let tok = t.token(Role::ServiceAdvisor).await;
    let r = t
        .client()
        .get(format!("{}/api/v1/me/consent", t.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_privacy_officer_searches_and_exports_the_audit_log() {
    let t = TestApp::spawn().await;
    let a = t.fx.customer_a;
    let adv = t.token(Role::ServiceAdvisor).await;
    let r = post_consent(
        &t,
        &adv,
        a,
        json!({"purpose": "surveys", "granted": false, "source": "desk", "evidence": "柜台口头"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let officer = t.token(Role::PrivacyOfficer).await;
    let get = |q: &str| {
        let url = format!("{}/api/v1/audit{q}", t.base);
        let officer = officer.clone();
        let c = t.client();
        async move { c.get(url).bearer_auth(officer).send().await.unwrap() }
    };
    let v: Value = get(&format!("?action=consent&customer_id={a}"))
        .await
        .json()
        .await
        .unwrap();
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["field"], "surveys");
    assert_eq!(items[0]["actor_role"], "service_advisor");
    assert!(
        items[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("withdrawn: desk")
    );
    // By actor, field and day.
    let v: Value = get("?actor_role=service_advisor&field=surveys&from=2026-11-24&to=2026-11-24")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    let v: Value = get("?actor_role=service_advisor&from=2026-11-25")
        .await
        .json()
        .await
        .unwrap();
    assert!(v["items"].as_array().unwrap().is_empty(), "later days only");
    // Bad input names the parameter.
    for (q, field) in [
        ("?from=2026-13-01", "from"),
        ("?actor_id=x", "actor_id"),
        ("?actor_role=root", "actor_role"),
        ("?from=2026-11-25&to=2026-11-24", "to"),
        // The last representable day has no day after it: this was a 500.
        ("?to=9999-12-31", "to"),
        ("?from=0001-01-01", "from"),
    ] {
        let r = get(q).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{q}");
        assert!(r.text().await.unwrap().contains(field), "{q}");
    }
    // The download is CSV and is itself audited with its row count.
    let r = get("/export?action=consent").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = r.text().await.unwrap();
    assert!(csv.contains("consent,customer"), "{csv}");
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let (role, rows): (String, Option<i64>) = sqlx::query_as(
        "SELECT actor_role, row_count FROM audit_log WHERE action = 'export' AND entity = 'audit_log'",
    )
    .fetch_one(&mut *c)
    .await
    .unwrap();
    assert_eq!(role, "privacy_officer");
    assert_eq!(rows, Some(1));
    drop(c);
    // The officer reaches no customer record; others do not reach the log.
    let r = t
        .client()
        .get(format!("{}/api/v1/customers/{a}", t.base))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = t
        .client()
        .get(format!("{}/api/v1/audit", t.base))
        .bearer_auth(&adv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The console page: the filter, the rows with actions by name, the download link.
    let (console, _) = t.login("privacy_officer").await;
    let r = console
        .get(format!("{}/console/audit?action=consent", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("个人信息访问审计") || html.contains("Audit of personal data"),
        "{html}"
    );
    assert!(html.contains("授权变更") || html.contains("Consent changed"));
    assert!(html.contains("/console/audit/export?action=consent"));
}

/// Issue 17 leftover 8: the customer record, its list, the console list and the CSV
/// export read consent from the ledger, not from the deprecated `customers.consent_*`
/// columns (migration 0028): with the columns made to disagree, every view still
/// shows what the ledger says.
#[tokio::test]
async fn views_and_the_export_read_consent_from_the_ledger_not_the_old_columns() {
    let t = TestApp::spawn().await;
    let a = t.fx.customer_a;
    let tok = t.token(Role::StationManager).await;
    let r = post_consent(
        &t,
        &tok,
        a,
        json!({"purpose": "marketing", "granted": true, "source": "desk"}),
    )
    .await;
    assert!(r.status().is_success(), "{}", r.status());
    // The old columns say the opposite of the ledger for both purposes.
    let mut conn = t.app.db.pool.acquire().await.unwrap();
    sqlx::query("UPDATE customers SET consent_service = 0, consent_marketing = 0 WHERE id = $1")
        .bind(a)
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    let get = |path: String| {
        let c = t.client();
        let tok = tok.clone();
        let url = format!("{}{path}", t.base);
        async move { c.get(url).bearer_auth(&tok).send().await.unwrap() }
    };
    let one: Value = get(format!("/api/v1/customers/{a}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["consent_service"], true, "{one}");
    assert_eq!(one["consent_marketing"], true, "{one}");
    let list: Value = get("/api/v1/customers?q=张三".into())
        .await
        .json()
        .await
        .unwrap();
    let row = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == a)
        .unwrap();
    assert_eq!(row["consent_marketing"], true, "{row}");
    let csv = get("/api/v1/export/customers".into())
        .await
        .text()
        .await
        .unwrap();
    let mut lines = csv.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| head.iter().position(|h| *h == name).unwrap();
    let (service, marketing) = (col("consent_service"), col("consent_marketing"));
    let line: Vec<&str> = lines
        .find(|l| l.contains("张三"))
        .unwrap()
        .split(',')
        .collect();
    assert_eq!((line[service], line[marketing]), ("1", "1"), "{csv}");
    // A withdrawal in the ledger is what the views show next, whatever the columns say.
    let r = post_consent(
        &t,
        &tok,
        a,
        json!({"purpose": "marketing", "granted": false, "source": "desk"}),
    )
    .await;
    assert!(r.status().is_success());
    let mut conn = t.app.db.pool.acquire().await.unwrap();
    sqlx::query("UPDATE customers SET consent_marketing = 1 WHERE id = $1")
        .bind(a)
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    let one: Value = get(format!("/api/v1/customers/{a}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["consent_marketing"], false, "{one}");
}
