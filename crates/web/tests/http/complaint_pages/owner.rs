//! The owner's phone page: file, follow and answer the follow-up.

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
async fn the_owner_files_follows_and_answers_the_follow_up_on_the_phone() {
    let t = TestApp::spawn().await;
    let (c, _) = t.owner_session("13800000001").await;
    let (s, html) = page(&c, format!("{}/owner/complaints", t.base)).await;
    assert_eq!(s, 200, "{html}");
    let csrf = hidden(&html, "csrf");
    let veh = t.fx.vehicle_a.to_string();
    let r = post(
        &c,
        format!("{}/owner/complaints", t.base),
        &[
            ("csrf", &csrf),
            ("vehicle_id", &veh),
            ("category", "waiting_time"),
            ("description", ""),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    let r = post(
        &c,
        format!("{}/owner/complaints", t.base),
        &[
            ("csrf", &csrf),
            ("vehicle_id", &veh),
            ("category", "waiting_time"),
            ("description", "等了三个小时"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, html) = page(&c, format!("{}/owner/complaints?filed=1", t.base)).await;
    assert!(
        html.contains("等待时间") && html.contains("已提交"),
        "{html}"
    );
    let (rows, _) = app::complaint::queue(
        &t.app,
        &head_office(Action::ComplaintRead),
        &Default::default(),
        10,
        0,
    )
    .await
    .unwrap();
    let id = rows[0].id;
    assert_eq!(
        rows[0].station_id, t.fx.station_a,
        "the vehicle's station answers"
    );
    act(&t, id, &["acknowledge", "start_analysis"]).await;
    let g = head_office(Action::ComplaintWrite);
    app::complaint::action::analyse(
        &t.app,
        &g,
        id,
        &app::complaint::action::AnalysisInput {
            responsibility: "station".into(),
            cause: "排班不足".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    act(
        &t,
        id,
        &[
            "propose_solution",
            "customer_accepts",
            "start_work",
            "finish_work",
        ],
    )
    .await;
    let (_, html) = page(&c, format!("{}/owner/complaints", t.base)).await;
    assert!(
        html.contains(&format!("/owner/complaints/{id}/follow-up")),
        "{html}"
    );
    let r = post(
        &c,
        format!("{}/owner/complaints/{id}/follow-up", t.base),
        &[
            ("csrf", &csrf),
            ("satisfaction", "4"),
            ("accepts_closure", "yes"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let f = detail(&t, id).await.follow_up.unwrap();
    assert_eq!((f.satisfaction, f.accepts_closure), (4, true));
    // The home page links the complaints.
    let (_, home) = page(&c, format!("{}/owner", t.base)).await;
    assert!(home.contains("href=\"/owner/complaints\""), "{home}");
}
