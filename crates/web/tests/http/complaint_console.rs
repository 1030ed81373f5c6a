//! The complaint console pages (SPEC §6): the queue names the station and shows
//! translated labels with the time left, the detail shows the timeline and moves
//! the complaint by its workflow buttons, and a station user cannot open another
//! station's complaint.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::permission::Action;
use testkit::TestApp;
use testkit::head_office;

async fn page(c: &reqwest::Client, url: String) -> (u16, String) {
    let r = c.get(url).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn hidden(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let at = html.find(&key).expect(name) + key.len();
    html[at..].split('"').next().unwrap().to_string()
}

async fn file(t: &TestApp, station: i64, category: &str, severity: &str) -> i64 {
    let input = app::complaint::FileInput {
        station_id: station,
        channel: "hotline".into(),
        category: category.into(),
        severity: severity.into(),
        urgent_reason: (severity == "urgent").then(|| "safety".into()),
        description: "刹车异响，修过两次仍未解决".into(),
        ..Default::default()
    };
    app::complaint::file(&t.app, &head_office(Action::ComplaintWrite), &input)
        .await
        .unwrap()
        .id
}

async fn station_name(t: &TestApp, id: i64) -> String {
    app::network::unit_names(&t.app, &[id])
        .await
        .unwrap()
        .station(id, false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_names_the_station_and_translates_every_label() {
    let t = TestApp::spawn().await;
    file(&t, t.fx.station_a, "repair_quality", "urgent").await;
    let name = station_name(&t, t.fx.station_a).await;
    assert!(!name.is_empty());
    let (c, _) = t.login("call_centre_agent").await;
    let (s, html) = page(&c, format!("{}/console/complaints", t.base)).await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains(&name), "{html}");
    for label in ["维修质量", "紧急", "已受理", "剩余"] {
        assert!(html.contains(label), "{label}: {html}");
    }
    for code in [
        ">repair_quality<",
        ">urgent<",
        ">received<",
        "first_response",
    ] {
        assert!(!html.contains(code), "{code}: {html}");
    }
    // The navigation links the queue for a role holding ComplaintRead.
    assert!(html.contains("href=\"/console/complaints\""), "{html}");

    // An hour and a half later the first response is overdue, in the danger colour.
    t.clock.advance_ms(90 * 60_000);
    let (_, html) = page(&c, format!("{}/console/complaints", t.base)).await;
    assert!(html.contains("已超时"), "{html}");
    assert!(html.contains("complaint-left late"), "{html}");

    // Filters: another category leaves the queue empty, with the empty text.
    let (s, html) = page(
        &c,
        format!("{}/console/complaints?category=price_dispute", t.base),
    )
    .await;
    assert_eq!(s, 200);
    assert!(html.contains("没有符合条件的投诉"), "{html}");
    let (_, html) = page(
        &c,
        format!(
            "{}/console/complaints?severity=urgent&state=received",
            t.base
        ),
    )
    .await;
    assert!(html.contains(&name), "{html}");

    // English labels.
    let (_, _) = page(&c, format!("{}/lang/en", t.base)).await;
    let (_, html) = page(&c, format!("{}/console/complaints", t.base)).await;
    assert!(html.contains("Repair quality"), "{html}");
    assert!(html.contains("overdue by"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_detail_shows_the_timeline_and_acknowledge_moves_the_state() {
    let t = TestApp::spawn().await;
    let id = file(&t, t.fx.station_a, "service_attitude", "normal").await;
    let (c, _) = t.login("station_manager").await;
    let url = format!("{}/console/complaints/{id}", t.base);
    let (s, html) = page(&c, url.clone()).await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("处理记录"), "{html}");
    assert!(html.contains("受理投诉"), "{html}");
    assert!(html.contains("首次响应"), "{html}");
    assert!(html.contains("data-event=\"acknowledge\""), "{html}");
    // The deadlines read in the order the work meets them.
    let stages = html.split("<h3>时限</h3>").nth(1).unwrap();
    let stages = stages.split("</table>").next().unwrap();
    let at = |s: &str| stages.find(&format!("<td>{s}</td>")).unwrap();
    assert!(at("首次响应") < at("完整记录"), "{stages}");
    assert!(at("首次响应") < at("原因分析"), "{stages}");
    assert!(at("解决方案") < at("结案"), "{stages}");
    let csrf = hidden(&html, "csrf");

    // A forged token changes nothing.
    let r = c
        .post(format!("{url}/act"))
        .form(&[("csrf", "forged"), ("event", "acknowledge")])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());

    let r = c
        .post(format!("{url}/act"))
        .form(&[("csrf", csrf.as_str()), ("event", "acknowledge")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        format!("/console/complaints/{id}")
    );
    let (_, html) = page(&c, url.clone()).await;
    assert!(html.contains("已确认"), "{html}");
    assert!(html.contains("data-event=\"start_analysis\""), "{html}");
    assert!(!html.contains("data-event=\"acknowledge\""), "{html}");
    let d = app::complaint::detail(&t.app, &head_office(Action::ComplaintRead), id)
        .await
        .unwrap();
    assert_eq!(d.complaint.state, "acknowledged");

    // Going backwards is refused and nothing changes.
    let r = c
        .post(format!("{url}/act"))
        .form(&[("csrf", csrf.as_str()), ("event", "acknowledge")])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    let d = app::complaint::detail(&t.app, &head_office(Action::ComplaintRead), id)
        .await
        .unwrap();
    assert_eq!(d.complaint.state, "acknowledged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_station_user_cannot_open_another_stations_complaint() {
    let t = TestApp::spawn().await;
    let other = file(&t, t.fx.station_b, "other", "normal").await;
    let (c, _) = t.login("station_manager").await;
    let (s, html) = page(&c, format!("{}/console/complaints/{other}", t.base)).await;
    assert!(s == 404 || s == 403, "{s}: {html}");
    let (_, queue) = page(&c, format!("{}/console/complaints", t.base)).await;
    assert!(
        !queue.contains(&format!("/console/complaints/{other}\"")),
        "{queue}"
    );
    let (_, home) = page(&c, format!("{}/console", t.base)).await;
    let csrf = hidden(&home, "csrf");
    let r = c
        .post(format!("{}/console/complaints/{other}/act", t.base))
        .form(&[("csrf", csrf.as_str()), ("event", "acknowledge")])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    let d = app::complaint::detail(&t.app, &head_office(Action::ComplaintRead), other)
        .await
        .unwrap();
    assert_eq!(d.complaint.state, "received");
}

/// SPEC §6: a deadline past the loaded holiday plan (China's plan ends 2026-12-31)
/// is shown as provisional on the queue and the detail page, in both languages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadline_past_the_holiday_plan_is_shown_as_provisional() {
    let t = TestApp::spawn().await;
    // Thursday 2026-12-31 17:30, half an hour before closing: the 1 h first response
    // reaches into 2027.
    t.clock.set("2026-12-31T09:30:00Z".parse().unwrap());
    let late = file(&t, t.fx.station_a, "repair_quality", "normal").await;
    t.clock.set("2026-11-24T01:00:00Z".parse().unwrap());
    let early = file(&t, t.fx.station_a, "price_dispute", "normal").await;
    let (c, _) = t.login("administrator").await;
    let (_, html) = page(&c, format!("{}/console/complaints", t.base)).await;
    assert_eq!(html.matches("data-provisional=\"1\"").count(), 1, "{html}");
    assert!(html.contains(">暂定</span>"), "{html}");
    let (_, html) = page(&c, format!("{}/console/complaints/{late}", t.base)).await;
    assert!(html.contains("(暂定)"), "{html}");
    let (_, html) = page(&c, format!("{}/console/complaints/{early}", t.base)).await;
    assert!(!html.contains("(暂定)"), "{html}");
    page(&c, format!("{}/lang/en", t.base)).await;
    let (_, html) = page(&c, format!("{}/console/complaints/{late}", t.base)).await;
    assert!(html.contains("(Provisional)"), "{html}");
}
