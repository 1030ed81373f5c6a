//! The detail page's working forms: each step recorded, errors beside their fields,
//! post–redirect–get to the anchors; the reassignment by station name keeps the clock.

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
async fn the_detail_forms_record_each_step_and_show_errors_beside_their_fields() {
    let t = TestApp::spawn().await;
    let id = file(&t, t.fx.station_a, "normal").await;
    let (c, _) = t.login("customer_relations").await;
    let url = format!("{}/console/complaints/{id}", t.base);
    let (s, html) = page(&c, url.clone()).await;
    assert_eq!(s, 200, "{html}");
    for anchor in [
        "id=\"respond\"",
        "id=\"zero\"",
        "id=\"goodwill\"",
        "id=\"pause\"",
        "id=\"reassign\"",
        "id=\"severity\"",
    ] {
        assert!(html.contains(anchor), "{anchor}: {html}");
    }
    let csrf = hidden(&html, "csrf");

    // An empty response is refused beside its field; nothing is recorded.
    let r = post(
        &c,
        format!("{url}/respond"),
        &[("csrf", &csrf), ("note", "  ")],
    )
    .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("data-field=\"note\""), "{html}");
    assert!(
        detail(&t, id)
            .await
            .stages
            .iter()
            .all(|s| s.met_at.is_none())
    );

    let r = post(
        &c,
        format!("{url}/respond"),
        &[("csrf", &csrf), ("note", "已致电客户")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        format!("/console/complaints/{id}#respond").as_str()
    );
    let d = detail(&t, id).await;
    assert!(
        d.stages
            .iter()
            .any(|s| s.stage == "first_response" && s.met_at.is_some())
    );

    // Goodwill typed in yuan: over customer relations' limit (500 yuan) is a field
    // error naming the limit; a word is a field error; 200 yuan is 20,000 fen.
    let r = post(
        &c,
        format!("{url}/goodwill"),
        &[
            ("csrf", &csrf),
            ("kind", "money"),
            ("value", "600"),
            ("note", "补偿"),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("data-field=\"value\""), "{html}");
    assert!(html.contains("500"), "{html}");
    assert!(
        html.contains("value=\"600\""),
        "the typed amount stays: {html}"
    );
    let r = post(
        &c,
        format!("{url}/goodwill"),
        &[
            ("csrf", &csrf),
            ("kind", "money"),
            ("value", "两百"),
            ("note", "补偿"),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(detail(&t, id).await.goodwill.is_empty());
    let r = post(
        &c,
        format!("{url}/goodwill"),
        &[
            ("csrf", &csrf),
            ("kind", "money"),
            ("value", "200"),
            ("note", "补偿"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(detail(&t, id).await.goodwill[0].value_fen, 20_000);

    // Pause and resume.
    let r = post(&c, format!("{url}/pause"), &[("csrf", &csrf)]).await;
    assert_eq!(r.status(), 303);
    assert!(detail(&t, id).await.complaint.paused_since.is_some());
    let (_, html) = page(&c, url.clone()).await;
    assert!(html.contains("id=\"resume\""), "{html}");
    let r = post(&c, format!("{url}/resume"), &[("csrf", &csrf)]).await;
    assert_eq!(r.status(), 303);
    assert!(detail(&t, id).await.complaint.paused_since.is_none());

    // Severity: urgent without a reason is refused beside the reason.
    let r = post(
        &c,
        format!("{url}/severity"),
        &[
            ("csrf", &csrf),
            ("severity", "urgent"),
            ("urgent_reason", ""),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("data-field=\"urgent_reason\"")
    );
    let r = post(
        &c,
        format!("{url}/severity"),
        &[
            ("csrf", &csrf),
            ("severity", "urgent"),
            ("urgent_reason", "media"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(detail(&t, id).await.complaint.severity, "urgent");

    // The analysis form appears while analysing.
    act(&t, id, &["acknowledge", "start_analysis"]).await;
    let (_, html) = page(&c, url.clone()).await;
    assert!(html.contains("id=\"analyse\""), "{html}");
    let r = post(
        &c,
        format!("{url}/analyse"),
        &[
            ("csrf", &csrf),
            ("responsibility", "station"),
            ("cause", "装配不当"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
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

    // A zero marked done needs its evidence, named beside the text.
    let r = post(
        &c,
        format!("{url}/zero"),
        &[
            ("csrf", &csrf),
            ("zero", "technical"),
            ("status", "done"),
            ("text", ""),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("data-field=\"text\""));
    for (z, st) in [
        ("complaint", "done"),
        ("management", "done"),
        ("technical", "not_applicable"),
    ] {
        let r = post(
            &c,
            format!("{url}/zero"),
            &[
                ("csrf", &csrf),
                ("zero", z),
                ("status", st),
                ("text", "已整改"),
            ],
        )
        .await;
        assert_eq!(r.status(), 303, "{z}");
    }
    // The follow-up: a score out of range is refused; then recorded.
    let r = post(
        &c,
        format!("{url}/follow-up"),
        &[
            ("csrf", &csrf),
            ("satisfaction", "9"),
            ("accepts_closure", "on"),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    let r = post(
        &c,
        format!("{url}/follow-up"),
        &[
            ("csrf", &csrf),
            ("satisfaction", "5"),
            ("accepts_closure", "on"),
            ("note", "满意"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(detail(&t, id).await.follow_up.unwrap().satisfaction, 5);

    // Closing asks first without JavaScript, then closes.
    let r = post(
        &c,
        format!("{url}/act"),
        &[("csrf", &csrf), ("event", "close")],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(detail(&t, id).await.complaint.state, "follow_up");
    let r = post(
        &c,
        format!("{url}/act"),
        &[("csrf", &csrf), ("event", "close"), ("confirmed", "1")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(detail(&t, id).await.complaint.state, "closed");
    // The timeline names every event; no raw codes.
    let (_, html) = page(&c, url.clone()).await;
    assert!(
        html.contains("善意补偿") && html.contains("¥200.00"),
        "{html}"
    );
    assert!(
        !html.contains(">goodwill<") && !html.contains("value_fen"),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reassignment_offers_stations_by_name_and_keeps_the_clock() {
    let t = TestApp::spawn().await;
    let id = file(&t, t.fx.station_a, "normal").await;
    let (c, _) = t.login("administrator").await;
    let url = format!("{}/console/complaints/{id}", t.base);
    let (_, html) = page(&c, url.clone()).await;
    assert!(html.contains("GZ-0001服务站"), "{html}");
    let csrf = hidden(&html, "csrf");
    let b = t.fx.station_b.to_string();
    let r = post(
        &c,
        format!("{url}/reassign"),
        &[("csrf", &csrf), ("station_id", &b), ("confirmed", "1")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(detail(&t, id).await.complaint.station_id, t.fx.station_b);
    let r = post(
        &c,
        format!("{url}/reassign"),
        &[
            ("csrf", &csrf),
            ("station_id", "999999"),
            ("confirmed", "1"),
        ],
    )
    .await;
    // An unknown station is a reference to a record this database does not hold: 409.
    assert_eq!(r.status(), 409);
    assert_eq!(detail(&t, id).await.complaint.station_id, t.fx.station_b);
}
