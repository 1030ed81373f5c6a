//! Issue 21, the leftovers, over real HTTP on SQLite or (with TEST_DATABASE_URL)
//! PostgreSQL: the address reveal on the console's hand-over page, the owner told
//! when a request is answered, an erasure withdrawing consent in the ledger, the
//! reminder asking the ledger, the audit page in names, and free text and approvers
//! in an order's history.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use domain::permission::{Action, ActorKind, Principal, Unit};
use domain::role::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::TestApp;

async fn scalar(t: &TestApp, sql: &str) -> i64 {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&mut *c)
        .await
        .unwrap()
}

fn admin() -> Principal {
    Principal {
        kind: ActorKind::Person,
        id: 1,
        name: "admin".into(),
        role: Role::Administrator,
        unit: Unit::HeadOffice,
    }
}

/// A pick-up for an appointment of the fixture's car, driven by the `service_advisor`
/// account, scheduled by head office. Returns its id.
async fn pickup(t: &TestApp) -> i64 {
    t.service_fixture().await;
    let driver = scalar(t, "SELECT id FROM staff WHERE username = 'service_advisor'").await;
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
    assert_eq!(r.status(), StatusCode::CREATED);
    let appointment = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let input = app::pickup::PickupInput {
        appointment_id: json!(appointment),
        address: json!("北京市朝阳区建国路88号"),
        window_start: json!("2026-11-25 08:00"),
        window_end: json!("2026-11-25 10:00"),
        driver_id: json!(driver),
        ..Default::default()
    };
    app::pickup::schedule(&t.app, &admin().grant(Action::PickupWrite).unwrap(), &input)
        .await
        .unwrap()
}

/// The console's hand-over page: the address masked for everyone, its driver alone
/// offered the reveal; without a purpose refused, with one shown whole with its time
/// limit; one audit row each; someone else posting the form is refused and audited.
#[tokio::test]
async fn the_hand_over_page_reveals_the_address_to_its_driver_for_a_purpose() {
    let t = TestApp::spawn().await;
    let id = pickup(&t).await;
    let whole = "北京市朝阳区建国路88号";
    let audit = |action: &'static str| {
        let sql = format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = '{action}' AND entity = 'pickup' AND entity_id = {id} AND field = 'address'"
        );
        let t = &t;
        async move { scalar(t, &sql).await }
    };
    let (driver, csrf) = t.login("service_advisor").await;
    let page = format!("{}/console/pickups/{id}", t.base);
    let html = driver
        .get(&page)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains(whole), "masked by default");
    assert!(
        html.contains("id=\"reveal\""),
        "the driver is offered the reveal"
    );
    assert_eq!(
        audit("view").await + audit("reveal").await,
        0,
        "opening it reveals nothing"
    );
    let reveal = |purpose: &'static str| {
        driver
            .post(format!("{page}/reveal"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("purpose", purpose),
                ("note", "出发取车"),
            ])
            .send()
    };
    let r = reveal("").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(!html.contains(whole));
    assert!(html.contains("role=\"alert\""), "the page says why");
    assert_eq!(audit("reveal_refused").await, 1);
    let r = reveal("pickup_return").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains(whole), "shown whole on this answer");
    assert!(
        html.contains("完整信息显示至") || html.contains("Shown in full until"),
        "with its time limit"
    );
    assert!(
        !html.contains("id=\"reveal\""),
        "not offered twice on the same answer"
    );
    assert_eq!(audit("reveal").await, 1);
    // Opening the page again: masked again.
    let html = driver
        .get(&page)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains(whole));
    // The station's manager is neither its driver nor its scheduler: no form, and
    // posting one anyway is refused and audited.
    let (manager, mcsrf) = t.login("station_manager").await;
    let html = manager
        .get(&page)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains(whole) && !html.contains("id=\"reveal\""));
    let r = manager
        .post(format!("{page}/reveal"))
        .form(&[
            ("csrf", mcsrf.as_str()),
            ("purpose", "pickup_return"),
            ("note", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(!r.text().await.unwrap().contains(whole));
    assert_eq!(audit("reveal_refused").await, 2);
    assert_eq!(audit("reveal").await, 1);
    // Without the form's token nothing happens.
    let r = manager
        .post(format!("{page}/reveal"))
        .form(&[("purpose", "pickup_return")])
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), StatusCode::OK);
    assert_eq!(audit("reveal_refused").await, 2);
}

/// Head office answers: the owner gets a message on their channel (a service message:
/// the ledger decides at send time), sees the answer on their privacy page; a
/// completed deletion appends withdrawals to the ledger (never rewriting it) and a
/// campaign then reaches them no more.
#[tokio::test]
async fn an_answered_request_is_told_to_the_owner_and_an_erasure_withdraws_consent() {
    let t = TestApp::spawn().await;
    let a = t.fx.customer_a;
    // The owner agreed to marketing and surveys at the desk.
    let tok = t.token(Role::StationManager).await;
    for purpose in ["marketing", "surveys"] {
        let r = t
            .client()
            .post(format!("{}/api/v1/customers/{a}/consent", t.base))
            .bearer_auth(&tok)
            .json(
                &json!({"purpose": purpose, "granted": true, "source": "desk", "evidence": "form"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }
    let ledger_before = scalar(
        &t,
        &format!("SELECT COUNT(*) FROM consent_entries WHERE customer_id = {a}"),
    )
    .await;
    let (owner, csrf) = t.owner_session("13800000001").await;
    let file = |body: Value| {
        owner
            .post(format!("{}/api/v1/me/privacy-requests", t.base))
            .header("x-csrf-token", &csrf)
            .json(&body)
            .send()
    };
    let admin_tok = t.token(Role::Administrator).await;
    let answer = |id: i64, verb: &'static str, text: &'static str| {
        t.client()
            .post(format!("{}/api/v1/privacy-requests/{id}/{verb}", t.base))
            .bearer_auth(&admin_tok)
            .json(&json!({ "answer": text }))
            .send()
    };
    // A correction, refused with a reason.
    let r = file(json!({"kind": "correction", "detail": "姓名写错了"}))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let corr = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = answer(corr, "refuse", "无法核实身份，请到店办理")
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let told = |id: i64, state: &'static str| {
        let sql = format!(
            "SELECT COUNT(*) FROM outbox WHERE customer_id = {a} AND template = 'privacy_request_answered' \
             AND dedupe_key = 'privacy-request:{id}:{state}' AND recipient LIKE '%13800000001'"
        );
        let t = &t;
        async move { scalar(t, &sql).await }
    };
    assert_eq!(
        told(corr, "refused").await,
        1,
        "the owner is told on their number"
    );
    // The message carries no answer text (the owner reads it on their page).
    assert_eq!(
        scalar(
            &t,
            &format!(
                "SELECT COUNT(*) FROM outbox WHERE customer_id = {a} AND payload LIKE '%无法核实%'"
            )
        )
        .await,
        0
    );
    let html = owner
        .get(format!("{}/owner/data", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("无法核实身份，请到店办理"),
        "the answer on the page"
    );
    assert!(html.contains("answered-at"), "with when it was answered");
    // A deletion, carried out: contact details erased, the ledger appended to.
    let r = file(
        json!({"kind": "deletion", "scopes": ["contact", "ratings"], "ground": "service_ended"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let del = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = answer(del, "complete", "已删除").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        told(del, "done").await,
        1,
        "told even though the number is now erased"
    );
    let withdrawn = scalar(
        &t,
        &format!(
            "SELECT COUNT(*) FROM consent_entries WHERE customer_id = {a} AND granted = 0 \
             AND source = 'privacy_request' AND evidence = '#{del}'"
        ),
    )
    .await;
    assert_eq!(
        withdrawn, 2,
        "marketing and surveys withdrawn (data sharing was never given)"
    );
    assert_eq!(
        scalar(
            &t,
            &format!("SELECT COUNT(*) FROM consent_entries WHERE customer_id = {a}")
        )
        .await,
        ledger_before + 2,
        "appended, nothing rewritten"
    );
    // The earlier 'yes' entries are still there: the history is kept.
    assert_eq!(
        scalar(&t, &format!("SELECT COUNT(*) FROM consent_entries WHERE customer_id = {a} AND granted = 1 AND purpose = 'marketing'")).await,
        1
    );
    // A campaign now reaches them no more.
    let r = t
        .client()
        .post(format!("{}/api/v1/campaigns", t.base))
        .bearer_auth(&tok)
        .json(&json!({"station_id": t.fx.station_a, "message": "冬季保养八折"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let w = app::job::worker::Worker::new(t.app.clone(), app::job::handler::Registry::standard());
    while w.run_once().await.unwrap() > 0 {}
    assert_eq!(
        scalar(&t, &format!("SELECT COUNT(*) FROM outbox WHERE customer_id = {a} AND template = 'campaign_offer' AND status = 'sent'")).await,
        0
    );
    // The answer itself was delivered (service contact was left as it was).
    assert_eq!(
        scalar(&t, &format!("SELECT COUNT(*) FROM outbox WHERE customer_id = {a} AND template = 'privacy_request_answered' AND status = 'sent'")).await,
        2
    );
}

/// The reminder asks the ledger, not the old flag: a flag left saying yes while the
/// ledger's latest service-contact entry says no queues nothing.
#[tokio::test]
async fn the_reminder_is_queued_only_when_the_ledger_says_yes() {
    let t = TestApp::spawn().await;
    t.service_fixture().await;
    let a = t.fx.customer_a;
    let tok = t.token(Role::CustomerRelations).await;
    let r = t
        .client()
        .post(format!("{}/api/v1/customers/{a}/consent", t.base))
        .bearer_auth(&tok)
        .json(&json!({"purpose": "service_contact", "granted": false, "source": "call", "evidence": "REC-9"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // The projection is made to disagree: only the ledger may decide.
    let mut c = t.app.db.pool.acquire().await.unwrap();
    sqlx::query("UPDATE customers SET consent_service = 1 WHERE id = $1")
        .bind(a)
        .execute(&mut *c)
        .await
        .unwrap();
    drop(c);
    let advisor = t.token(Role::ServiceAdvisor).await;
    let book = |start: &'static str| {
        t.client()
            .post(format!("{}/api/v1/appointments", t.base))
            .bearer_auth(&advisor)
            .json(&json!({"station_id": t.fx.station_a, "vehicle_id": t.fx.vehicle_a,
                "service_type": "maintenance", "channel": "hotline", "start": start, "concern": "保养"}))
            .send()
    };
    assert_eq!(
        book("2026-11-25 10:00").await.unwrap().status(),
        StatusCode::CREATED
    );
    let reminders = || {
        let sql = format!(
            "SELECT COUNT(*) FROM outbox WHERE customer_id = {a} AND template = 'appointment_reminder'"
        );
        let t = &t;
        async move { scalar(t, &sql).await }
    };
    assert_eq!(reminders().await, 0);
    // Given again in the ledger: the next booking is reminded.
    let r = t
        .client()
        .post(format!("{}/api/v1/customers/{a}/consent", t.base))
        .bearer_auth(&tok)
        .json(&json!({"purpose": "service_contact", "granted": true, "source": "call", "evidence": "REC-10"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        book("2026-11-26 10:00").await.unwrap().status(),
        StatusCode::CREATED
    );
    assert_eq!(reminders().await, 1);
}

/// The audit page speaks in names: the actor's name and type, the record as a name,
/// the field as a label; its filters are searchable selects of the names in the log;
/// the download keeps the ids and adds the names.
#[tokio::test]
async fn the_audit_page_shows_names_not_ids() {
    let t = TestApp::spawn().await;
    let a = t.fx.customer_a;
    // A person reveals a phone at the desk; a token identifies a caller.
    let (desk, csrf) = t.login("station_manager").await;
    let r = desk
        .post(format!("{}/api/v1/customers/{a}/reveal", t.base))
        .header("x-csrf-token", &csrf)
        .json(&json!({"field": "phone", "purpose": "callback", "note": "回电"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let tok = t.token(Role::CallCentreAgent).await;
    let r = t
        .client()
        .post(format!("{}/api/v1/customers/identify", t.base))
        .bearer_auth(&tok)
        .json(&json!({"phone": "13800000001"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let manager: String = {
        let mut c = t.app.db.pool.acquire().await.unwrap();
        sqlx::query_scalar("SELECT name FROM staff WHERE username = 'station_manager'")
            .fetch_one(&mut *c)
            .await
            .unwrap()
    };
    let manager_id = scalar(
        &t,
        "SELECT id FROM staff WHERE username = 'station_manager'",
    )
    .await;
    let (officer, _) = t.login("privacy_officer").await;
    let html = officer
        .get(format!("{}/console/audit", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let rows = &html[html.find("id=\"audit-rows\"").unwrap()..];
    assert!(rows.contains(&manager), "the actor by name: {rows}");
    assert!(
        rows.contains("人员") && rows.contains("接口令牌"),
        "typed: person and token"
    );
    assert!(rows.contains("手机号"), "the field as a label");
    assert!(!rows.contains(">phone<"), "no raw field code");
    // The record by name (masked as the policy says for this reader), not `customer 3`.
    assert!(!rows.contains(&format!("customer {a}")), "{rows}");
    assert!(rows.contains("客户 "), "{rows}");
    // The filters: searchable selects of who and what appear in the log.
    assert!(html.contains("id=\"sel-actor\"") && html.contains("data-search"));
    assert!(html.contains(&format!("value=\"station_manager:{manager_id}\"")));
    assert!(html.contains(&format!("value=\"customer:{a}\"")));
    // Filtering by actor keeps only their rows.
    let html = officer
        .get(format!(
            "{}/console/audit?actor=station_manager:{manager_id}",
            t.base
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let rows = &html[html.find("id=\"audit-rows\"").unwrap()..];
    assert!(
        rows.contains(&manager) && !rows.contains("接口令牌"),
        "{rows}"
    );
    // By record, and a record that is not `entity:id` is refused naming the rule.
    let r = officer
        .get(format!("{}/api/v1/audit?record=customer:{a}", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    let items = v["items"].as_array().unwrap();
    assert!(!items.is_empty());
    for i in items {
        assert_eq!(
            (i["entity"].as_str(), i["entity_id"].as_i64()),
            (Some("customer"), Some(a))
        );
        assert!(!i["record_name"].as_str().unwrap().is_empty(), "{i}");
    }
    let r = officer
        .get(format!("{}/api/v1/audit?record=customer", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("audit.record"));
    // The download: ids and names side by side.
    let csv = officer
        .get(format!("{}/console/audit/export?action=reveal", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let head = csv.lines().next().unwrap();
    assert!(
        head.contains("actor_id,actor_name") && head.contains("entity_id,record_name"),
        "{head}"
    );
    assert!(
        csv.contains(&format!(
            "station_manager,{manager_id},{manager},reveal,customer,{a},"
        )),
        "{csv}"
    );
}

/// An order's history shows a phone typed into the rating comment masked (order page,
/// API, owner link), and who approved a line, their client address and signature only
/// as the line itself does (finding 7).
#[tokio::test]
async fn an_orders_history_hides_typed_numbers_and_approvers() {
    let t = TestApp::spawn().await;
    let (ro, token) = t.delivered_order().await;
    let c = t.client();
    let r = c
        .post(format!("{}/api/v1/owner-links/{token}/rating", t.base))
        .json(&json!({"stars": 4, "comment": "有事打我13912345671"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    for role in [
        Role::ServiceAdvisor,
        Role::TechnicalExpert,
        Role::QualityAuditor,
    ] {
        let tok = t.token(role).await;
        let r = c
            .get(format!("{}/api/v1/repair-orders/{ro}", t.base))
            .bearer_auth(&tok)
            .send()
            .await
            .unwrap();
        if r.status() == StatusCode::NOT_FOUND || r.status() == StatusCode::FORBIDDEN {
            continue;
        }
        let body = r.text().await.unwrap();
        assert!(!body.contains("13912345671"), "{role:?}");
        assert!(!body.contains("sig/1.png"), "{role:?}: the signature");
        assert!(!body.contains("张三"), "{role:?}: the approver whole");
    }
    let (desk, _) = t.login("service_advisor").await;
    for url in [
        format!("{}/console/orders/{ro}", t.base),
        format!("{}/owner/track/{token}", t.base),
    ] {
        let r = desk.get(&url).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{url}");
        let html = r.text().await.unwrap();
        assert!(!html.contains("13912345671"), "{url}");
        assert!(!html.contains("sig/1.png"), "{url}");
    }
    // The history kept in the database holds the comment masked too.
    assert_eq!(
        scalar(
            &t,
            "SELECT COUNT(*) FROM events WHERE kind = 'rated' AND data LIKE '%13912345671%'"
        )
        .await,
        0
    );
}
