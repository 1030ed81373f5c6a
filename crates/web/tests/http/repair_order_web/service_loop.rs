//! The whole service loop through the API: booking, every stage, the estimate at the desk and on the owner link, certified assignment, delivery, KPIs.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_loop_through_the_api() {
    // Behind a reverse proxy on this machine, whose forwarding headers are believed.
    let t = TestApp::spawn_with_state(
        app::AppSettings {
            log_codes: false,
            payment_sandbox: Some(app::signing::KeyRing::random()),
            ..Default::default()
        },
        |s| s.with_trusted_proxies(vec!["127.0.0.1/32".parse().unwrap()]),
    )
    .await;
    let sf = t.service_fixture().await;
    assert!(sf.slots > 100);
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let tech = Api::new(&t, Role::Technician).await;
    let manager = Api::new(&t, Role::StationManager).await;
    let st = t.fx.station_a;

    // The preferred time is free and offered first.
    let (s, offer) = advisor
        .get(&format!(
            "/stations/{st}/slots?preferred=2026-11-24%2010:00&operation_codes=MAINT-10K"
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{offer}");
    assert_eq!(offer["preferred_free"], true);

    let (s, v) = advisor
        .post(
            "/appointments",
            json!({"station_id": st, "vehicle_id": t.fx.vehicle_a, "service_type": "maintenance",
                   "channel": "hotline", "start": "2026-11-24 10:00", "operation_codes": ["MAINT-10K"],
                   "concern": "做保养，刹车有异响"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let appt = v["id"].as_i64().unwrap();
    let (_, day) = advisor
        .get(&format!("/stations/{st}/appointments?day=2026-11-24"))
        .await;
    assert!(day.as_array().unwrap().iter().any(|a| a["id"] == appt));

    // Check-in opens the repair order; reception starts.
    at(&t, "2026-11-24T10:00");
    let (s, v) = advisor
        .post(&format!("/appointments/{appt}/repair-order"), json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let ro = v["id"].as_i64().unwrap();
    tick_required(&advisor, ro, "reception").await;
    at(&t, "2026-11-24T10:10");
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/stages/reception/complete"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, board) = advisor.get(&format!("/stations/{st}/repair-orders")).await;
    assert!(board.as_array().unwrap().iter().any(|b| b["id"] == ro));

    // Diagnosis and the estimate, approved at the desk with a signature.
    advisor
        .post(
            &format!("/repair-orders/{ro}/stages/diagnosis/start"),
            json!({}),
        )
        .await;
    tick_required(&advisor, ro, "diagnosis").await;
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/lines"),
            json!({"kind": "labour", "code": "MAINT-10K"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let maint = v["line_no"].as_i64().unwrap();
    let (_, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/lines"),
            json!({"kind": "part", "code": "OIL-FILTER", "unit_price_fen": 5000}),
        )
        .await;
    let filter = v["line_no"].as_i64().unwrap();
    for no in [maint, filter] {
        let r = advisor
            .c
            .post(format!(
                "{}/repair-orders/{ro}/lines/{no}/approve",
                advisor.base
            ))
            .bearer_auth(&advisor.token)
            .header("x-forwarded-for", "198.51.100.4")
            .json(&json!({"by": "张三", "signature": "张三(手写签名)",
                          "promised_at": instant("2026-11-24T15:00").as_millisecond()}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }
    let d = detail(&advisor, ro).await;
    let l = line(&d, maint);
    assert_eq!(l["decision"], "approved");
    assert_eq!(l["decision_channel"], "desk_signature");
    // The advisor's view carries the approver's name masked, and no signature or
    // client address; both are kept as evidence.
    assert_eq!(l["decided_by"], "张*");
    assert!(l["signature_ref"].is_null() && l["decision_ip"].is_null());
    let (sig, ip) = evidence(&t, ro, maint).await;
    assert_eq!(sig.as_deref(), Some("张三(手写签名)"));
    assert_eq!(
        ip.as_deref(),
        Some("198.51.100.4"),
        "set by the trusted proxy"
    );
    assert!(d["order"]["promised_at"].is_i64(), "promised at approval");
    assert!(d["eta"].is_i64());
    at(&t, "2026-11-24T10:40");
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/stages/diagnosis/complete"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // Repair by the certified technician, on their own lines only.
    advisor
        .post(
            &format!("/repair-orders/{ro}/stages/repair/start"),
            json!({}),
        )
        .await;
    let (s, v) = tech
        .post(
            &format!("/repair-orders/{ro}/lines/{maint}/start"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(rule(&v), "repair_order.not_assigned");
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/lines/{maint}/assign"),
            json!({"technician_id": sf.technician}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let (_, jobs) = tech.get("/my/jobs").await;
    assert!(jobs.as_array().unwrap().iter().any(|j| j["order_id"] == ro));
    let (s, _) = tech
        .post(
            &format!("/repair-orders/{ro}/lines/{maint}/start"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    at(&t, "2026-11-24T11:30");
    let (s, _) = tech
        .post(
            &format!("/repair-orders/{ro}/lines/{maint}/finish"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = tech
        .post(
            &format!("/repair-orders/{ro}/lines/{filter}/fit"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    // Extra work found: blocked until the owner approves it on the owner link.
    let (_, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/lines"),
            json!({"kind": "labour", "code": "BRAKE-PAD"}),
        )
        .await;
    let brake = v["line_no"].as_i64().unwrap();
    let before = detail(&advisor, ro).await;
    assert_eq!(line(&before, brake)["extra"], true);
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/lines/{brake}/start"),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, rule(&v).as_str()),
        (StatusCode::CONFLICT, "repair_order.line_not_approved")
    );
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/stages/repair/complete"),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, rule(&v).as_str()),
        (StatusCode::CONFLICT, "repair_order.proposed_work_pending")
    );
    let after = detail(&advisor, ro).await;
    assert_eq!(before["order"], after["order"], "nothing changed");
    assert_eq!(before["lines"], after["lines"], "nothing changed");

    let (s, link) = advisor
        .post(&format!("/repair-orders/{ro}/owner-link"), json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{link}");
    let token = link["token"].as_str().unwrap().to_string();
    assert!(token.len() >= 32);
    let anon = t.client();
    let track = |tok: String| {
        let anon = anon.clone();
        let base = t.base.clone();
        async move {
            let r = anon
                .get(format!("{base}/api/v1/track/{tok}"))
                .send()
                .await
                .unwrap();
            let s = r.status();
            (s, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (s, seen) = track(token.clone()).await;
    assert_eq!(s, StatusCode::OK, "{seen}");
    assert_eq!(seen["current_stage"], "repair");
    assert_eq!(seen["awaiting"], 1);
    assert!(seen["eta"].is_i64());
    assert!(
        seen["stages"][0]["checkpoints"][0]["note"]
            .as_str()
            .unwrap()
            .contains("已完成"),
        "the technicians' notes are shown"
    );
    // A tampered token finds nothing and changes nothing.
    let mut chars: Vec<char> = token.chars().collect();
    chars[5] = if chars[5] == 'a' { 'b' } else { 'a' };
    let tampered: String = chars.into_iter().collect();
    let (s, v) = track(tampered.clone()).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    let r = anon
        .post(format!(
            "{}/api/v1/track/{tampered}/lines/{brake}/approve",
            t.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        line(&detail(&advisor, ro).await, brake)["decision"],
        "proposed"
    );
    // The owner approves on the phone page.
    let r = anon
        .post(format!(
            "{}/api/v1/track/{token}/lines/{brake}/approve",
            t.base
        ))
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let d = detail(&advisor, ro).await;
    let l = line(&d, brake);
    assert_eq!(
        evidence(&t, ro, brake).await.1.as_deref(),
        Some("203.0.113.7")
    );
    assert_eq!(
        (&l["decision"], &l["decision_channel"], &l["decision_ip"]),
        (&json!("approved"), &json!("owner_page"), &Value::Null)
    );
    advisor
        .post(
            &format!("/repair-orders/{ro}/lines/{brake}/assign"),
            json!({"technician_id": sf.technician}),
        )
        .await;
    tech.post(
        &format!("/repair-orders/{ro}/lines/{brake}/start"),
        json!({}),
    )
    .await;
    at(&t, "2026-11-24T12:00");
    tech.post(
        &format!("/repair-orders/{ro}/lines/{brake}/finish"),
        json!({}),
    )
    .await;
    tick_required(&advisor, ro, "repair").await;
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/stages/repair/complete"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // Inspection with the checkpoints that apply, then delivery before the promise.
    advisor
        .post(
            &format!("/repair-orders/{ro}/stages/quality_inspection/start"),
            json!({}),
        )
        .await;
    let (s, _) = advisor
        .post(
            &format!("/repair-orders/{ro}/applicable"),
            json!({"codes": ["qi.brakes"]}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    tick_required(&tech, ro, "quality_inspection").await;
    at(&t, "2026-11-24T12:20");
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/stages/quality_inspection/complete"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    advisor
        .post(
            &format!("/repair-orders/{ro}/stages/delivery/start"),
            json!({}),
        )
        .await;
    tick_required(&advisor, ro, "delivery").await;
    at(&t, "2026-11-24T13:00");
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/stages/delivery/complete"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["late_minutes"], Value::Null);

    let d = detail(&advisor, ro).await;
    assert_eq!(d["order"]["state"], "delivered");
    let kinds: Vec<&str> = d["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for k in [
        "opened",
        "checkpoint_checked",
        "line_approved",
        "work_finished",
        "delivered",
    ] {
        assert!(kinds.contains(&k), "timeline has {k}: {kinds:?}");
    }
    let (_, board) = advisor.get(&format!("/stations/{st}/repair-orders")).await;
    assert!(!board.as_array().unwrap().iter().any(|b| b["id"] == ro));
    let (s, k) = manager
        .get(&format!("/stations/{st}/kpis?month=2026-11"))
        .await;
    assert_eq!(s, StatusCode::OK, "{k}");
    assert_eq!(k["delivered"], 1);
    assert_eq!(k["on_time_delivery"]["numerator"], 1);
    assert_eq!(k["first_time_fix"]["denominator"], 1);

    // The owner link is revoked: the token finds nothing any more.
    let r = advisor
        .c
        .delete(format!("{}/repair-orders/{ro}/owner-link", advisor.base))
        .bearer_auth(&advisor.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(track(token).await.0, StatusCode::NOT_FOUND);
}
