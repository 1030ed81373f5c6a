//! Client addresses and cross-station access as the audit log records them.

use super::*;

/// Forwarding headers are believed only from configured proxies: with none (the
/// default) an approval sent with a forged `X-Forwarded-For` records the peer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_forwarding_header_is_not_recorded() {
    let t = TestApp::spawn().await;
    let ro = t.walk_in_in_diagnosis().await;
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{ro}/lines"),
            json!({"kind": "part", "code": "OIL-FILTER", "unit_price_fen": 5000}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let no = v["line_no"].as_i64().unwrap();
    let r = advisor
        .c
        .post(format!(
            "{}/repair-orders/{ro}/lines/{no}/approve",
            advisor.base
        ))
        .bearer_auth(&advisor.token)
        .header("x-forwarded-for", "198.51.100.4")
        .header("x-real-ip", "198.51.100.5")
        .json(&json!({"by": "张三", "signature": "张三(手写签名)"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let d = detail(&advisor, ro).await;
    assert!(line(&d, no)["decision_ip"].is_null());
    assert_eq!(evidence(&t, ro, no).await.1.as_deref(), Some("127.0.0.1"));
}

/// A car may walk into any station, but only by the VIN the desk reads off it: an id
/// reaches the caller's own vehicles only, and a cross-station walk-in is audited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walk_ins_from_another_station_go_by_vin_and_are_audited() {
    let t = TestApp::spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let c = t.client();
    let post = |body: Value| {
        c.post(format!("{}/api/v1/repair-orders", t.base))
            .bearer_auth(&tok)
            .json(&body)
            .send()
    };
    let audits = || async {
        let mut conn = t.app.db.pool.acquire().await.unwrap();
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'cross_station_walk_in' AND entity_id = $1",
        )
        .bind(t.fx.vehicle_b)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        n
    };
    let r = post(
        json!({"station_id": t.fx.station_a, "vehicle_id": t.fx.vehicle_b, "concern": "异响"}),
    )
    .await
    .unwrap();
    // Another station's vehicle is out of reach by id: the record refuses it (409).
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["errors"][0]["field"], "vehicle_id");
    assert_eq!(audits().await, 0);
    let r = post(json!({"station_id": t.fx.station_a, "vin": t.fx.vin_b, "concern": "异响"}))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        audits().await,
        1,
        "the cross-station access is in the audit log"
    );
    // The station's own car by id: no audit row needed.
    let r = post(
        json!({"station_id": t.fx.station_a, "vehicle_id": t.fx.vehicle_a, "concern": "保养"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
}
