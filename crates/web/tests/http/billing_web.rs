//! Payments, ratings, pick-up photos, calendar feeds and follow-ups over real HTTP,
//! on SQLite or (with TEST_DATABASE_URL) PostgreSQL, including the sandbox checkout
//! page and the owners' calendar feeds outside /api/v1.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::billing::provider::{Callback, SANDBOX, Sandbox};
use domain::permission::{Action, Grant, Principal, Unit};
use domain::role::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::TestApp;

/// The public routes (sandbox page, owner feeds) are part of the app's router.
async fn public(t: &TestApp) -> String {
    t.base.clone()
}

fn admin(a: Action) -> Grant {
    Principal {
        kind: domain::permission::ActorKind::Person,
        id: 1,
        name: "admin".into(),
        role: Role::Administrator,
        unit: Unit::HeadOffice,
    }
    .grant(a)
    .unwrap()
}

/// A walk-in at station A with two approved, fitted part lines taken to the
/// hand-over: net 41,000 fen, VAT 5,330, gross 46,330. Returns the order and its
/// delivery time.
async fn delivered_order(t: &TestApp) -> (i64, i64) {
    let (id, lines) = t.estimated_order().await;
    t.deliver(id, &lines).await;
    (id, t.app.now_ms())
}

async fn problem(r: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(r.status(), status);
    assert_eq!(
        r.headers()[reqwest::header::CONTENT_TYPE],
        "application/problem+json"
    );
    r.json().await.unwrap()
}

fn rule(doc: &Value) -> &str {
    doc["errors"][0]["rule"].as_str().unwrap_or("")
}

async fn bill(t: &TestApp, tok: &str, ro: i64) -> Value {
    let r = t
        .client()
        .get(format!("{}/api/v1/repair-orders/{ro}/bill", t.base))
        .bearer_auth(tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn post_callback(t: &TestApp, signature: Option<&str>, body: &str) -> reqwest::Response {
    let mut req = t
        .client()
        .post(format!("{}/api/v1/payments/callback", t.base))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(s) = signature {
        req = req.header("x-aftersales-signature", s);
    }
    req.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_online_payment_end_to_end_with_signed_callbacks() {
    let t = TestApp::spawn().await;
    let public = public(&t).await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let c = t.client();
    let (ro, _) = delivered_order(&t).await;

    let r = c
        .post(format!("{}/api/v1/repair-orders/{ro}/bill", t.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["bill"]["gross_fen"], 46_330);
    assert_eq!(b["bill"]["state"], "unpaid");

    let r = start_online(&t, &tok, ro).await;
    assert_eq!(r.status(), 201);
    let online: Value = r.json().await.unwrap();
    let pay_url = online["pay_url"].as_str().unwrap().to_string();
    let payment_ref = online["payment_ref"].as_str().unwrap().to_string();
    assert_eq!(pay_url, format!("/sandbox-pay/{payment_ref}"));

    // Forged, stale, unsigned and amount-mismatched callbacks change nothing.
    let cb = |amount: i64| Callback {
        provider: SANDBOX.into(),
        payment_ref: payment_ref.clone(),
        provider_ref: "SBX-FORGED".into(),
        amount_fen: amount,
        status: "paid".into(),
    };
    let now = t.app.now_ms();
    let forged = Sandbox::new(app::signing::KeyRing::random())
        .sign(&cb(46_330), now)
        .unwrap();
    let doc = problem(
        post_callback(&t, Some(&forged.signature), &forged.body).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(rule(&doc), "payment.signature_invalid");
    let doc = problem(
        post_callback(&t, None, &forged.body).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(rule(&doc), "payment.signature_invalid");
    let sandbox = Sandbox::for_app(&t.app).unwrap();
    let stale = sandbox.sign(&cb(46_330), now - 10 * 60_000).unwrap();
    let doc = problem(
        post_callback(&t, Some(&stale.signature), &stale.body).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(rule(&doc), "payment.signature_stale");
    let short = sandbox.sign(&cb(1), now).unwrap();
    let doc = problem(
        post_callback(&t, Some(&short.signature), &short.body).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(rule(&doc), "payment.amount_mismatch");
    let b = bill(&t, &tok, ro).await;
    assert_eq!(b["bill"]["state"], "unpaid");
    assert_eq!(b["payments"][0]["state"], "pending");

    // Follow the sandbox URL: a page with pay and fail buttons.
    let page = c
        .get(format!("{public}{pay_url}"))
        .header("accept-language", "zh-CN")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("¥463.30"), "{html}");
    assert!(html.contains("name=\"outcome\" value=\"pay\""));
    assert!(html.contains("name=\"outcome\" value=\"fail\""));
    assert!(html.contains("沙箱支付"));
    // Pay: the server posts the signed callback to /api/v1/payments/callback.
    let r = c
        .post(format!("{public}{pay_url}"))
        .form(&[("outcome", "pay")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("支付成功"));
    let b = bill(&t, &tok, ro).await;
    assert_eq!(b["bill"]["state"], "paid");
    assert_eq!(b["bill"]["paid_fen"], 46_330);
    assert_eq!(b["outstanding_fen"], 0);
    let provider_ref = b["payments"][0]["provider_ref"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(provider_ref.starts_with("SBX-"));

    // The identical callback again: 200, nothing changes.
    let same = Callback {
        provider: SANDBOX.into(),
        payment_ref: payment_ref.clone(),
        provider_ref: provider_ref.clone(),
        amount_fen: 46_330,
        status: "paid".into(),
    };
    let signed = sandbox.sign(&same, t.app.now_ms()).unwrap();
    for _ in 0..2 {
        let r = post_callback(&t, Some(&signed.signature), &signed.body).await;
        assert_eq!(r.status(), 200);
        let out: Value = r.json().await.unwrap();
        assert_eq!(out["changed"], false);
        assert_eq!(out["state"], "paid");
    }
    let after = bill(&t, &tok, ro).await;
    assert_eq!(after["bill"], b["bill"]);
    assert_eq!(after["payments"].as_array().unwrap().len(), 1);
    let mut conn = t.app.db.pool.acquire().await.unwrap();
    let log = store::event::for_entity(&mut conn, "repair_order", ro)
        .await
        .unwrap();
    assert_eq!(
        log.iter().filter(|e| e.kind == "payment_recorded").count(),
        1
    );
    // The page now shows the payment closed; pressing pay again is refused.
    let html = c
        .get(format!("{public}{pay_url}"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Paid") && !html.contains("value=\"pay\""));
    let r = c
        .post(format!("{public}{pay_url}"))
        .form(&[("outcome", "pay")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    // An unknown reference is simply not found.
    let r = c
        .get(format!("{public}/sandbox-pay/{}", "a".repeat(64)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desk_payment_and_the_owners_rating() {
    let t = TestApp::spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let tech = t.token(Role::Technician).await;
    let c = t.client();
    let (ro, _) = delivered_order(&t).await;
    let url = format!("{}/api/v1/repair-orders/{ro}", t.base);
    // Delivery issued the bill: it is there to pay, and issuing again gives it back.
    let issued = bill(&t, &tok, ro).await;
    assert_eq!(issued["outstanding_fen"], 46_330, "{issued}");
    let again: serde_json::Value = c
        .post(format!("{url}/bill"))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["bill"]["id"], issued["bill"]["id"]);
    // The technician may not take money.
    let r = c
        .post(format!("{url}/payments"))
        .bearer_auth(&tech)
        .json(&json!({"method": "cash", "amount_fen": 46_330}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = c
        .post(format!("{url}/payments"))
        .bearer_auth(&tok)
        .header("accept-language", "en")
        .json(&json!({"method": "alipay", "reference": "2026112422001", "amount_fen": 40_000}))
        .send()
        .await
        .unwrap();
    let doc = problem(r, StatusCode::CONFLICT).await;
    assert_eq!(rule(&doc), "payment.amount_mismatch");
    assert!(doc["detail"].as_str().unwrap().contains("46330"), "{doc}");
    let r = c
        .post(format!("{url}/payments"))
        .bearer_auth(&tok)
        .json(&json!({"method": "card", "amount_fen": 46_330}))
        .send()
        .await
        .unwrap();
    let doc = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        (doc["errors"][0]["field"].as_str(), rule(&doc)),
        (Some("reference"), "required")
    );
    let r = c
        .post(format!("{url}/payments"))
        .bearer_auth(&tok)
        .json(&json!({"method": "card", "reference": "POS-000123", "amount_fen": 46_330}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let p: Value = r.json().await.unwrap();
    assert_eq!(
        (p["state"].as_str(), p["method"].as_str()),
        (Some("paid"), Some("card"))
    );
    assert_eq!(bill(&t, &tok, ro).await["bill"]["state"], "paid");

    // The owner rates from the transparent-workshop link: 1–5, once.
    let token = app::repair_order::issue_owner_link(&t.app, &admin(Action::RepairOrderWrite), ro)
        .await
        .unwrap();
    let rate = |body: Value| {
        c.post(format!("{}/api/v1/owner-links/{token}/rating", t.base))
            .json(&body)
            .send()
    };
    let doc = problem(
        rate(json!({"stars": 6})).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(rule(&doc), "number.range");
    let doc = problem(
        rate(json!({"stars": 0, "comment": "x"})).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(rule(&doc), "number.range");
    let r = rate(json!({"stars": 5, "comment": "师傅很专业，准时交车"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let doc = problem(
        rate(json!({"stars": 4})).await.unwrap(),
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(rule(&doc), "rating.once");
    // At the desk too: still once.
    let r = c
        .post(format!("{url}/rating"))
        .bearer_auth(&tok)
        .json(&json!({"stars": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        problem(r, StatusCode::CONFLICT).await["errors"][0]["rule"],
        "rating.once"
    );
    let b = bill(&t, &tok, ro).await;
    assert_eq!(b["rating"]["stars"], 5);
    assert_eq!(b["rating"]["channel"], "owner_page");
    // The owner sees the bill from the link; a made-up token finds nothing.
    let r = c
        .get(format!("{}/api/v1/owner-links/{token}/bill", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .get(format!(
            "{}/api/v1/owner-links/{}/bill",
            t.base,
            "b".repeat(64)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

fn png() -> Vec<u8> {
    let mut v = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    v.extend((0..2_000u32).map(|i| (i * 7 % 256) as u8));
    v
}

fn jpeg(n: usize) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE1];
    v.extend((0..n).map(|i| (i * 13 % 256) as u8));
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pickup_photos_are_checked_stored_and_served_back() {
    let t = TestApp::spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let c = t.client();
    let (ro, _) = delivered_order(&t).await;
    let r = c
        .post(format!("{}/api/v1/pickups", t.base))
        .bearer_auth(&tok)
        .json(&json!({
            "repair_order_id": ro, "address": "北京市朝阳区建国路88号",
            "window_start": "2026-11-24 17:00", "window_end": "2026-11-24 19:00",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let photos = format!("{}/api/v1/pickups/{id}/photos", t.base);
    let put = |ct: &'static str, body: Vec<u8>| {
        c.put(&photos)
            .bearer_auth(&tok)
            .header("content-type", ct)
            .body(body)
            .send()
    };

    let good_jpeg = jpeg(200_000);
    let r = put("image/jpeg", good_jpeg.clone()).await.unwrap();
    assert_eq!(r.status(), 201);
    let jpeg_id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = put("image/png", png()).await.unwrap();
    assert_eq!(r.status(), 201);
    let png_id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

    for (pid, ct, bytes) in [
        (jpeg_id, "image/jpeg", good_jpeg.clone()),
        (png_id, "image/png", png()),
    ] {
        let r = c
            .get(format!("{photos}/{pid}"))
            .bearer_auth(&tok)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()[reqwest::header::CONTENT_TYPE], ct);
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        assert_eq!(r.bytes().await.unwrap().to_vec(), bytes, "byte-identical");
    }

    // PNG bytes declared as JPEG, a GIF, an oversized JPEG: refused, nothing stored.
    let doc = problem(
        put("image/jpeg", png()).await.unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    assert_eq!(rule(&doc), "photo.magic");
    let doc = problem(
        put("image/gif", b"GIF89a\x01\x00".to_vec()).await.unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    assert_eq!(rule(&doc), "photo.type");
    let doc = problem(
        put("image/webp", jpeg(100)).await.unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    assert_eq!(rule(&doc), "photo.magic");
    let big = jpeg(5 * 1024 * 1024);
    let doc = problem(
        put("image/jpeg", big).await.unwrap(),
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    assert_eq!(rule(&doc), "photo.size");
    // Exactly 5 MiB is accepted (above the general 1 MiB body limit).
    let r = put("image/jpeg", jpeg(5 * 1024 * 1024 - 4)).await.unwrap();
    assert_eq!(r.status(), 201);
    let v: Value = c
        .get(format!("{}/api/v1/pickups/{id}", t.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["photos"].as_array().unwrap().len(), 3);
    assert_eq!(v["pickup"]["kind"], "return");

    // Checklist and the owner's confirmation.
    let items: Vec<Value> = app::pickup::CHECKLIST
        .iter()
        .map(|code| json!({"code": code, "ok": true}))
        .collect();
    let r = c
        .put(format!("{}/api/v1/pickups/{id}/checklist", t.base))
        .bearer_auth(&tok)
        .json(&json!({"items": items}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = c
        .post(format!("{}/api/v1/pickups/{id}/confirm", t.base))
        .bearer_auth(&tok)
        .json(&json!({"signed_by": "张三", "signature_ref": "sig/pickup.png"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = put("image/jpeg", jpeg(10)).await.unwrap();
    assert_eq!(
        problem(r, StatusCode::CONFLICT).await["errors"][0]["rule"],
        "pickup.not_scheduled"
    );
    // Another station's advisor finds nothing; without sign-in it is 401.
    let (other, _) = t.login("advisor_b").await;
    let r = other
        .get(format!("{photos}/{jpeg_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = c.get(format!("{photos}/{jpeg_id}")).send().await.unwrap();
    assert_eq!(r.status(), 401);
}

/// CRLF line ends, lines of at most 75 octets, one VEVENT per appointment.
fn check_ics(feed: &str, events: usize) {
    assert!(feed.starts_with("BEGIN:VCALENDAR\r\n"));
    assert!(feed.contains("\r\nVERSION:2.0\r\n"));
    assert!(feed.ends_with("END:VCALENDAR\r\n"));
    let no_crlf = feed.replace("\r\n", "");
    assert!(
        !no_crlf.contains('\n') && !no_crlf.contains('\r'),
        "CRLF only"
    );
    for line in feed.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line}", line.len());
    }
    assert_eq!(feed.matches("BEGIN:VEVENT\r\n").count(), events);
    let unfolded = feed.replace("\r\n ", "");
    let uids: Vec<&str> = unfolded
        .split("\r\n")
        .filter(|l| l.starts_with("UID:"))
        .collect();
    assert_eq!(uids.len(), events);
    for l in unfolded.split("\r\n") {
        if let Some(v) = l
            .strip_prefix("DTSTART:")
            .or_else(|| l.strip_prefix("DTEND:"))
        {
            assert!(v.len() == 16 && v.ends_with('Z'), "UTC form: {l}");
        }
    }
}

async fn appointment(t: &TestApp, start_ms: i64, concern: &str) -> i64 {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    store::appointment::insert(
        &mut c,
        &store::appointment::AppointmentRow {
            id: 0,
            station_id: t.fx.station_a,
            customer_id: t.fx.customer_a,
            vehicle_id: t.fx.vehicle_a,
            service_type: "repair".into(),
            channel: "owner_app".into(),
            start_at: start_ms,
            duration_minutes: 60,
            slot_minutes: 30,
            slot_count: 2,
            tech_class: 0,
            operation_codes: String::new(),
            concern: Some(concern.into()),
            state: "booked".into(),
            reschedules: 0,
            checked_in_at: None,
            repair_order_id: None,
            cancel_reason: None,
            closed_at: None,
            created_at: 0,
        },
        t.app.now_ms(),
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendar_feeds_for_staff_and_owner_tokens() {
    let t = TestApp::spawn().await;
    let public = public(&t).await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let c = t.client();
    let day = 86_400_000;
    let now = t.app.now_ms();
    let long = "发动机故障灯常亮，冷启动时抖动明显，高速行驶时有异响，请一并检查；".repeat(3);
    for (i, concern) in [long.as_str(), "空调不制冷", "更换雨刮"].iter().enumerate() {
        appointment(&t, now + (i as i64 + 1) * day, concern).await;
    }
    let url = format!(
        "{}/api/v1/stations/{}/appointments.ics",
        t.base, t.fx.station_a
    );
    let r = c.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401, "staff feed needs sign-in");
    let r = c.get(&url).bearer_auth(&tok).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let feed = r.text().await.unwrap();
    check_ics(&feed, 3);
    assert!(feed.contains("SUMMARY:维修 · 京A12345\r\n"), "{feed}");
    assert!(feed.contains("DTSTART:20261125T010000Z\r\n"), "{feed}");
    assert!(feed.contains("\r\n "), "the long concern is folded");
    // Another station's advisor cannot read this station's feed.
    let r = c
        .get(format!(
            "{}/api/v1/stations/{}/appointments.ics",
            t.base, t.fx.station_b
        ))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // The owner's feed through a token URL.
    let r = c
        .post(format!(
            "{}/api/v1/customers/{}/calendar-token",
            t.base, t.fx.customer_a
        ))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let issued: Value = r.json().await.unwrap();
    let token = issued["token"].as_str().unwrap().to_string();
    assert!(token.len() >= 32, "at least 128 bits");
    let feed_url = format!("{public}{}", issued["url"].as_str().unwrap());
    assert_eq!(feed_url, format!("{public}/ical/owner/{token}.ics"));
    let r = c.get(&feed_url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let owner = r.text().await.unwrap();
    check_ics(&owner, 3);
    assert!(
        owner.contains("SUMMARY:维修预约 · BJ-0001服务站\r\n"),
        "{owner}"
    );
    // Wrong token, wrong suffix, tampered token: 404.
    for bad in [
        format!("{public}/ical/owner/{}.ics", "0".repeat(64)),
        format!("{public}/ical/owner/{token}"),
        format!("{public}/ical/owner/{}x.ics", &token[..63]),
    ] {
        assert_eq!(c.get(&bad).send().await.unwrap().status(), 404, "{bad}");
    }
    // Revoked: 404.
    let r = c
        .delete(format!(
            "{}/api/v1/customers/{}/calendar-token",
            t.base, t.fx.customer_a
        ))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(c.get(&feed_url).send().await.unwrap().status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_up_task_is_due_three_days_after_delivery() {
    let t = TestApp::spawn().await;
    let tok = t.token(Role::CustomerRelations).await;
    let c = t.client();
    let (ro, delivered) = delivered_order(&t).await;
    let r = c
        .get(format!("{}/api/v1/follow-ups", t.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let list: Vec<Value> = r.json().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["repair_order_id"], ro);
    assert_eq!(list[0]["delivered_at"], delivered);
    assert_eq!(list[0]["due_at"], delivered + 3 * 86_400_000);
    assert_eq!(list[0]["overdue"], false);
    let r = c
        .get(format!("{}/api/v1/repair-orders/{ro}/follow-up", t.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["id"], list[0]["id"]);
    let id = list[0]["id"].as_i64().unwrap();
    let r = c
        .post(format!("{}/api/v1/follow-ups/{id}/call", t.base))
        .bearer_auth(&tok)
        .json(&json!({"outcome": "reached", "note": "满意"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let list: Vec<Value> = c
        .get(format!("{}/api/v1/follow-ups", t.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(list.is_empty());

    // The area's routes are described in the OpenAPI document.
    let doc: Value = c
        .get(format!("{}/api/openapi.json", t.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (path, method) in [
        ("/api/v1/payments/callback", "post"),
        ("/api/v1/repair-orders/{id}/bill", "get"),
        ("/api/v1/pickups/{id}/photos", "put"),
        ("/api/v1/follow-ups", "get"),
        ("/sandbox-pay/{payment_ref}", "post"),
        ("/ical/owner/{file}", "get"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} documented"
        );
    }
}

/// Issues the order's bill at the desk.
async fn issue_bill(t: &TestApp, tok: &str, ro: i64) {
    let r = t
        .client()
        .post(format!("{}/api/v1/repair-orders/{ro}/bill", t.base))
        .bearer_auth(tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// Starts an online payment of the order's bill through the sandbox.
async fn start_online(t: &TestApp, tok: &str, ro: i64) -> reqwest::Response {
    t.client()
        .post(format!(
            "{}/api/v1/repair-orders/{ro}/payments/online",
            t.base
        ))
        .bearer_auth(tok)
        .json(&json!({"provider": "sandbox"}))
        .send()
        .await
        .unwrap()
}

/// A callback body for `payment_ref`, signed with `keys` now.
fn signed_paid(
    t: &TestApp,
    keys: app::signing::KeyRing,
    payment_ref: &str,
    amount: i64,
) -> (String, String) {
    let cb = Callback {
        provider: SANDBOX.into(),
        payment_ref: payment_ref.into(),
        provider_ref: format!("SBX-{}", &payment_ref[..12]),
        amount_fen: amount,
        status: "paid".into(),
    };
    let s = Sandbox::new(keys).sign(&cb, t.app.now_ms()).unwrap();
    (s.signature, s.body)
}

fn key(secret: &str) -> app::signing::KeyRing {
    app::signing::KeyRing::new("payment_sandbox_secret", secret, "previous", None).unwrap()
}

/// Critical finding of the money issue: a server with no provider settings has no
/// payment provider at all. An online payment cannot be started (API and owner
/// link), the sandbox checkout page does not exist, and no callback — whatever key
/// signed it, including the old built-in default — marks a bill paid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_configured_provider_no_bill_can_be_paid_online() {
    let t = TestApp::spawn_with(app::AppSettings {
        log_codes: false,
        ..Default::default()
    })
    .await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let c = t.client();
    let (ro, _) = delivered_order(&t).await;
    issue_bill(&t, &tok, ro).await;
    let start = start_online(&t, &tok, ro).await;
    let doc = problem(start, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(rule(&doc), "payment.provider_unknown");
    let r = c
        .post(format!("{}/api/v1/repair-orders/{ro}/owner-link", t.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let link: Value = r.json().await.unwrap();
    let owner_token = link["token"].as_str().unwrap();
    let r = c
        .post(format!(
            "{}/api/v1/owner-links/{owner_token}/payments/online",
            t.base
        ))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let doc = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(rule(&doc), "payment.provider_unknown");

    // A pending online payment made while a sandbox was configured (another server
    // over the same database) cannot be paid through this one.
    let with_sandbox = app::App::new(
        t.app.db.clone(),
        t.clock.clone(),
        app::AppSettings {
            payment_sandbox: Some(key("old-sandbox-secret-0001")),
            ..Default::default()
        },
    );
    let online = app::billing::start_online(
        &with_sandbox,
        &admin(app::billing::WRITE),
        ro,
        Some("sandbox"),
    )
    .await
    .unwrap();
    let r = c
        .get(format!("{}/sandbox-pay/{}", t.base, online.payment_ref))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "no sandbox checkout page"
    );
    for secret in ["old-sandbox-secret-0001", "change-me-change-me-change-me"] {
        let (sig, body) = signed_paid(&t, key(secret), &online.payment_ref, online.amount_fen);
        let doc = problem(
            post_callback(&t, Some(&sig), &body).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        assert_eq!(rule(&doc), "payment.signature_invalid");
    }
    assert_eq!(bill(&t, &tok, ro).await["bill"]["state"], "unpaid");
}

/// One key for one job: the gateway's key (our messages out) signs no payment
/// notice (in); the sandbox's key rotates with an overlap window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_notices_need_the_providers_own_key_which_rotates() {
    let gateway = key("gateway-secret-000000001");
    let t = TestApp::spawn_with(app::AppSettings {
        log_codes: false,
        gateway_keys: Some(gateway.clone()),
        payment_sandbox: Some(
            app::signing::KeyRing::new(
                "payment_sandbox_secret",
                "sandbox-secret-new-00001",
                "payment_sandbox_previous_secret",
                Some("sandbox-secret-old-00001"),
            )
            .unwrap(),
        ),
        ..Default::default()
    })
    .await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let (ro, _) = delivered_order(&t).await;
    issue_bill(&t, &tok, ro).await;
    let r = start_online(&t, &tok, ro).await;
    assert_eq!(r.status(), 201);
    let online: Value = r.json().await.unwrap();
    let payment_ref = online["payment_ref"].as_str().unwrap();
    let amount = online["amount_fen"].as_i64().unwrap();
    let (sig, body) = signed_paid(&t, gateway, payment_ref, amount);
    let doc = problem(
        post_callback(&t, Some(&sig), &body).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(
        rule(&doc),
        "payment.signature_invalid",
        "the gateway's key pays nothing"
    );
    assert_eq!(bill(&t, &tok, ro).await["bill"]["state"], "unpaid");
    // A provider still signing with the previous key is accepted during the overlap.
    let (sig, body) = signed_paid(&t, key("sandbox-secret-old-00001"), payment_ref, amount);
    let r = post_callback(&t, Some(&sig), &body).await;
    assert_eq!(r.status(), 200);
    assert_eq!(bill(&t, &tok, ro).await["bill"]["state"], "paid");
}
