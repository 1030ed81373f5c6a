//! The console and owner pages drive the loop without JavaScript.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_and_owner_pages_drive_the_loop_without_javascript() {
    let t = TestApp::spawn().await;
    let sf = t.service_fixture().await;
    let api = Api::new(&t, Role::ServiceAdvisor).await;
    let st = t.fx.station_a;
    let (_, v) = api
        .post(
            "/appointments",
            json!({"station_id": st, "vehicle_id": t.fx.vehicle_a, "service_type": "maintenance",
                   "channel": "hotline", "start": "2026-11-24 10:00", "concern": "保养"}),
        )
        .await;
    let appt = v["id"].as_i64().unwrap();
    let (c, csrf) = t.login("service_advisor").await;
    let page = |c: reqwest::Client, path: String| {
        let base = t.base.clone();
        async move {
            let r = c.get(format!("{base}{path}")).send().await.unwrap();
            let s = r.status();
            (s, r.text().await.unwrap())
        }
    };
    let (s, html) = page(c.clone(), "/console/appointments?day=2026-11-24".into()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("今日预约") && html.contains("接车开单"),
        "{html}"
    );
    at(&t, "2026-11-24T10:00");
    let r = c
        .post(format!("{}/console/appointments/{appt}/open", t.base))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    let ro: i64 = loc.rsplit('/').next().unwrap().parse().unwrap();
    // Completing reception with a checkpoint missing shows the rule, in Chinese.
    let r = c
        .post(format!("{}/console/orders/{ro}/stage", t.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("stage", "reception"),
            ("op", "complete"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("必检项未完成"));
    // A form without the CSRF token is refused.
    let r = c
        .post(format!("{}/console/orders/{ro}/check", t.base))
        .form(&[("code", "reception.walk_around")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .post(format!("{}/console/orders/{ro}/check", t.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("code", "reception.walk_around"),
            ("note", "左前轮眉划痕"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (s, html) = page(c.clone(), format!("/console/orders/{ro}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("左前轮眉划痕") && html.contains("工单时间线"));
    let (s, html) = page(c.clone(), "/console/board".into()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(&format!("/console/orders/{ro}")));
    // The owner link page shows the stage and the note, with no sign-in.
    let (_, link) = api
        .post(&format!("/repair-orders/{ro}/owner-link"), json!({}))
        .await;
    let (s, html) = page(t.client(), link["url"].as_str().unwrap().to_string()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("左前轮眉划痕") && html.contains("接车"),
        "{html}"
    );
    let (s, _) = page(
        t.client(),
        "/owner/track/not-a-real-token-at-all-0000000000".into(),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // KPIs with the chart; technicians' jobs page.
    let (m, _) = t.login("station_manager").await;
    let (s, html) = page(m, "/console/kpis?month=2026-11".into()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("<svg") && html.contains("一次修复率"));
    let (tc, _) = t.login("technician").await;
    let (s, html) = page(tc, "/console/jobs".into()).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    let _ = sf;
}
