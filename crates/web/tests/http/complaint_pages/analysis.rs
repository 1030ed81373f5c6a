//! The analysis counts a closed complaint and exports it.

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
async fn the_analysis_counts_a_closed_complaint_and_exports_it() {
    let t = TestApp::spawn().await;
    let id = file(&t, t.fx.station_a, "normal").await;
    let g = head_office(Action::ComplaintWrite);
    t.clock.advance_ms(20 * 60_000);
    app::complaint::action::respond(
        &t.app,
        &g,
        id,
        &app::complaint::action::NoteInput {
            note: "已回电".into(),
        },
    )
    .await
    .unwrap();
    let d = detail(&t, id).await;
    let fr = d
        .stages
        .iter()
        .find(|s| s.stage == "first_response")
        .unwrap();
    assert!(fr.counted_minutes.is_some(), "counted when met: {fr:?}");
    let (c, _) = t.login("administrator").await;
    let (s, html) = page(&c, format!("{}/console/complaints/analysis", t.base)).await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("维修质量"), "{html}");
    assert!(
        html.contains("100.0% (1/1)"),
        "answered within the hour: {html}"
    );
    assert!(
        html.contains("<svg") && html.contains("role=\"img\""),
        "{html}"
    );
    // Drill down to the single complaint.
    let (_, html) = page(
        &c,
        format!(
            "{}/console/complaints/analysis?by=category&key=repair_quality",
            t.base
        ),
    )
    .await;
    assert!(
        html.contains(&format!("/console/complaints/{id}\"")),
        "{html}"
    );
    let (_, html) = page(
        &c,
        format!("{}/console/complaints/analysis?by=station", t.base),
    )
    .await;
    assert!(html.contains("BJ-0001服务站"), "{html}");
    let r = c
        .get(format!("{}/console/complaints/analysis.csv", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(
        body.starts_with('\u{feff}') && body.contains("维修质量"),
        "{body}"
    );
    let r = c
        .get(format!("{}/console/complaints/analysis.xlsx", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.unwrap().starts_with(b"PK"));
    // A period backwards is a clear refusal.
    let (s, _) = page(
        &c,
        format!(
            "{}/console/complaints/analysis?from=2026-12-01&to=2026-01-01",
            t.base
        ),
    )
    .await;
    assert_eq!(s, 422);
}
