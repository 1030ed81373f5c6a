//! The station manager's inbox has the breach and marks it read.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(unused_imports)]
use super::{act, detail, file, hidden, page, post};
#[allow(unused_imports)]
use app::job::handler::Registry;
#[allow(unused_imports)]
use app::job::worker::Worker;
#[allow(unused_imports)]
use testkit::{TestApp, head_office};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_station_managers_inbox_has_the_breach_and_marks_it_read() {
    let t = TestApp::spawn().await;
    let id = file(&t, t.fx.station_a, "urgent").await;
    t.clock.advance_ms(3 * 3_600_000);
    let w = Worker::with_client(
        t.app.clone(),
        Registry::standard(),
        reqwest::Client::new(),
        "t".into(),
    );
    while w.run_once().await.unwrap() > 0 {}
    let (c, _) = t.login("station_manager").await;
    let (s, html) = page(&c, format!("{}/console/complaints/inbox", t.base)).await;
    assert_eq!(s, 200, "{html}");
    assert!(
        html.contains(&format!("/console/complaints/{id}")),
        "{html}"
    );
    assert!(html.contains("BJ-0001服务站"), "{html}");
    assert!(html.contains("tag state-overrun"), "a breach: {html}");
    assert!(html.contains("class=\"unread\""), "{html}");
    let (_, html) = page(&c, format!("{}/console/complaints/inbox", t.base)).await;
    assert!(
        !html.contains("class=\"unread\""),
        "read on the first visit: {html}"
    );
    // The queue names the breach.
    let (_, html) = page(&c, format!("{}/console/complaints", t.base)).await;
    assert!(
        html.contains("data-deadline=") || html.contains("complaint-left late"),
        "{html}"
    );
    assert!(html.contains("/assets/complaint.js"), "{html}");
    // A station user's queue offers only their station; the region filter lists regions.
    assert!(
        html.contains("BJ-0001服务站") && !html.contains("GZ-0001服务站 ("),
        "{html}"
    );
}
