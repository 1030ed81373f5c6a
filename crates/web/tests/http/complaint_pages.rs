//! The complaint pages beyond the queue (SPEC §6): the detail's working forms with
//! field errors and post–redirect–get to their anchors, the agent's intake that shows
//! the caller's vehicles and open complaints first, the station manager's inbox, the
//! analysis with its exports, and the owner's phone page.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use app::job::handler::Registry;
use app::job::worker::Worker;
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

async fn file(t: &TestApp, station: i64, severity: &str) -> i64 {
    let input = app::complaint::FileInput {
        station_id: station,
        vehicle_id: Some(t.fx.vehicle_a),
        customer_id: Some(t.fx.customer_a),
        channel: "hotline".into(),
        category: "repair_quality".into(),
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

async fn post(c: &reqwest::Client, url: String, form: &[(&str, &str)]) -> reqwest::Response {
    c.post(url).form(form).send().await.unwrap()
}

async fn detail(t: &TestApp, id: i64) -> app::complaint::Detail {
    app::complaint::detail(&t.app, &head_office(Action::ComplaintRead), id)
        .await
        .unwrap()
}

async fn act(t: &TestApp, id: i64, events: &[&str]) {
    let g = head_office(Action::ComplaintWrite);
    let note = app::complaint::action::NoteInput::default();
    for e in events {
        app::complaint::action::act(&t.app, &g, id, e, &note)
            .await
            .unwrap();
    }
}

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
