//! Staff WeChat ids (issue 10, escalations by WeChat) over real HTTP, on SQLite and,
//! with `TEST_DATABASE_URL`, PostgreSQL: head office enters a station manager's WeChat
//! id on the people page (a bad one refused beside its field, nothing saved), the
//! pages show it masked like the phone, the API checks the same rule, and a breach
//! escalation then queues a WeChat message to that person, once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::permission::Action;
use testkit::{TestApp, head_office};

async fn page(c: &reqwest::Client, url: String) -> (u16, String) {
    let r = c.get(url).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn hidden(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let at = html.find(&key).expect(name) + key.len();
    html[at..].split('"').next().unwrap().to_string()
}

async fn run_jobs(t: &TestApp) {
    let w = app::job::worker::Worker::with_client(
        t.app.clone(),
        app::job::handler::Registry::standard(),
        reqwest::Client::new(),
        "wechat-test".into(),
    );
    while w.run_once().await.unwrap() > 0 {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wechat_id_entered_on_the_people_page_gets_the_breach_escalation() {
    let t = TestApp::spawn().await;
    let (c, csrf) = t.login("administrator").await;
    let new = format!("{}/console/staff/new", t.base);
    let (s, html) = page(&c, new.clone()).await;
    assert_eq!(s, 200, "{html}");
    assert!(
        html.contains("name=\"wechat_id\"") && html.contains("微信号"),
        "{html}"
    );
    let station = t.fx.station_a.to_string();
    let post = |wechat: &'static str, token: String| {
        let (c, new, csrf, station) = (c.clone(), new.clone(), csrf.clone(), station.clone());
        async move {
            c.post(new)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("form_token", token.as_str()),
                    ("username", "sm_wang"),
                    ("name", "王站长"),
                    ("role", "station_manager"),
                    ("station_id", station.as_str()),
                    ("phone", "13700000009"),
                    ("password", "Wang-station-2026"),
                    ("wechat_id", wechat),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    // A WeChat id against WeChat's rules: refused beside its field, nobody created.
    let r = post("9wang", hidden(&html, "form_token")).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("data-field=\"wechat_id\"") && html.contains("微信号为 6–20 位"),
        "{html}"
    );
    let mut conn = t.app.db.pool.acquire().await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM staff WHERE username = 'sm_wang'")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(n, 0);
    drop(conn);
    let (_, html) = page(&c, new.clone()).await;
    let r = post("wx_wang01", hidden(&html, "form_token")).await;
    assert_eq!(r.status(), 303);
    let detail = r.headers()["location"].to_str().unwrap().to_string();
    let id: i64 = detail.rsplit('/').next().unwrap().parse().unwrap();
    // Shown masked, like the phone, on the detail page, the list and the API.
    let (_, html) = page(&c, format!("{}{detail}", t.base)).await;
    assert!(
        html.contains("wx*****01") && !html.contains("wx_wang01"),
        "{html}"
    );
    let (_, list) = page(&c, format!("{}/console/staff?q=sm_wang", t.base)).await;
    assert!(
        list.contains("wx*****01") && !list.contains("wx_wang01"),
        "{list}"
    );
    let api = format!("{}/api/v1/staff/{id}", t.base);
    let body = c.get(&api).send().await.unwrap().text().await.unwrap();
    assert!(
        body.contains("wx*****01") && !body.contains("wx_wang01"),
        "{body}"
    );
    // The edit form starts empty; the API refuses a bad id naming the field.
    let (_, edit) = page(&c, format!("{}{detail}/edit", t.base)).await;
    assert!(
        edit.contains("name=\"wechat_id\" value=\"\"") && edit.contains("留空则保留"),
        "{edit}"
    );
    let station_a = t.fx.station_a;
    let put = |wechat: serde_json::Value| {
        let (c, api, csrf) = (c.clone(), api.clone(), csrf.clone());
        async move {
            c.put(api)
                .header("x-csrf-token", &csrf)
                .json(&serde_json::json!({
                    "name": "王站长", "role": "station_manager", "station_id": station_a,
                    "phone": "", "active": true, "wechat_id": wechat,
                }))
                .send()
                .await
                .unwrap()
        }
    };
    let r = put(serde_json::json!("wang zhan")).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("\"wechat_id\"") && body.contains("staff.wechat_id"),
        "{body}"
    );
    // Empty keeps the stored id.
    let r = put(serde_json::json!("")).await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());

    // A complaint at that station breaches its first response: the station managers
    // are escalated to, the one with a WeChat id by WeChat, once.
    let input = app::complaint::FileInput {
        station_id: t.fx.station_a,
        channel: "hotline".into(),
        category: "repair_quality".into(),
        severity: "normal".into(),
        description: "等了三天没人回电".into(),
        ..Default::default()
    };
    let cid = app::complaint::file(&t.app, &head_office(Action::ComplaintWrite), &input)
        .await
        .unwrap()
        .id;
    t.clock.advance_ms(4 * 24 * 3_600_000);
    run_jobs(&t).await;
    run_jobs(&t).await;
    let mut conn = t.app.db.pool.acquire().await.unwrap();
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT channel, dedupe_key FROM outbox WHERE template = 'complaint_escalation' AND dedupe_key LIKE $1 ORDER BY dedupe_key",
    )
    .bind(format!("outbox:complaint.clock:{cid}:1:first_response:100:%"))
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let key = |kind: &str| {
        format!("outbox:complaint.clock:{cid}:1:first_response:100:station_manager:{kind}:{id}")
    };
    for kind in ["wechat", "sms"] {
        assert_eq!(
            rows.iter()
                .filter(|(ch, k)| ch == kind && *k == key(kind))
                .count(),
            1,
            "{kind}: {rows:?}"
        );
    }
    // Nobody without a WeChat id gets one.
    assert_eq!(
        rows.iter().filter(|(ch, _)| ch == "wechat").count(),
        1,
        "{rows:?}"
    );
}
