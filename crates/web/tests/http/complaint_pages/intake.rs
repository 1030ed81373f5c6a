//! The agent's intake shows the caller's vehicles and open complaints before filing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(unused_imports)]
use super::{act, detail, file, hidden, page, post};
#[allow(unused_imports)]
use app::job::handler::Registry;
#[allow(unused_imports)]
use app::job::worker::Worker;
use domain::permission::Action;
#[allow(unused_imports)]
use testkit::{TestApp, head_office};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_intake_shows_the_callers_vehicles_and_open_complaints_before_filing() {
    let t = TestApp::spawn().await;
    let (c, _) = t.login("call_centre_agent").await;
    let base = format!("{}/console/complaints/new", t.base);
    let (s, html) = page(&c, format!("{base}?q=0001")).await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("autofocus"), "{html}");
    assert!(
        html.contains(&format!("vehicle_id={}", t.fx.vehicle_a)),
        "{html}"
    );
    assert!(!html.contains("已有未结案"), "{html}");
    // Choosing the vehicle fills the links and the vehicle's station.
    let (_, html) = page(
        &c,
        format!(
            "{base}?q=0001&customer_id={}&vehicle_id={}",
            t.fx.customer_a, t.fx.vehicle_a
        ),
    )
    .await;
    assert_eq!(hidden(&html, "vehicle_id"), t.fx.vehicle_a.to_string());
    let csrf = hidden(&html, "csrf");
    let (cust, veh, st) = (
        t.fx.customer_a.to_string(),
        t.fx.vehicle_a.to_string(),
        t.fx.station_a.to_string(),
    );
    let form = |severity: &'static str, reason: &'static str, channel: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("q", "0001".to_string()),
            ("customer_id", cust.clone()),
            ("vehicle_id", veh.clone()),
            ("station_id", st.clone()),
            ("channel", channel.to_string()),
            ("category", "repair_quality".to_string()),
            ("severity", severity.to_string()),
            ("urgent_reason", reason.to_string()),
            ("description", "刹车失灵".to_string()),
            ("source_link", String::new()),
        ]
    };
    // Urgent without a reason, and a regulator without its source link: field errors.
    let r = c
        .post(&base)
        .form(&form("urgent", "", "hotline"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("data-field=\"severity\""), "{html}");
    assert!(html.contains("刹车失灵"), "the description stays: {html}");
    let r = c
        .post(&base)
        .form(&form("normal", "", "regulator"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("data-field=\"source_link\"")
    );
    let (_, n) = app::complaint::queue(
        &t.app,
        &head_office(Action::ComplaintRead),
        &Default::default(),
        10,
        0,
    )
    .await
    .unwrap();
    assert_eq!(n, 0, "nothing half-written");
    let r = c
        .post(&base)
        .form(&form("urgent", "safety", "hotline"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    let id: i64 = to.rsplit('/').next().unwrap().parse().unwrap();
    let d = detail(&t, id).await;
    assert_eq!(d.complaint.vehicle_id, Some(t.fx.vehicle_a));
    assert_eq!(d.complaint.severity, "urgent");
    // The next call from the same customer sees the open complaint first.
    let (_, html) = page(&c, format!("{base}?q=0001")).await;
    assert!(
        html.contains(&format!("/console/complaints/{id}")),
        "{html}"
    );
}
