//! Outbox dead letters (issue 22, finding 10) over real HTTP, on SQLite or (with
//! TEST_DATABASE_URL) PostgreSQL: after its last attempt a message is dead (`failed`),
//! counted in /metrics, raises one alert for administrators (one per kind while it is
//! open: a second dead letter joins it), shown on their console home and the queue
//! page; "send all again" from the console re-sends every dead message once the
//! gateway is back, a single row can be sent again from its own button, and the
//! alert can be acknowledged (twice: 409). Other roles see and change nothing.
//! A small server in this test stands in for the SMS gateway.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use axum::Router;
use axum::routing::post;
use reqwest::StatusCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use testkit::TestApp;

/// The process's metrics recorder, installed once for this binary.
fn metrics_handle() -> &'static metrics_exporter_prometheus::PrometheusHandle {
    static HANDLE: OnceLock<metrics_exporter_prometheus::PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .install_recorder()
            .unwrap()
    })
}

/// A gateway answering `status`; counts what it received.
async fn gateway(status: u16) -> (String, Arc<AtomicUsize>) {
    let seen = Arc::new(AtomicUsize::new(0));
    let s2 = seen.clone();
    let app = Router::new().route(
        "/sms",
        post(move || {
            let seen = s2.clone();
            async move {
                seen.fetch_add(1, Ordering::SeqCst);
                axum::http::StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

/// The app as the server's worker sees it, delivering to `url`.
fn delivering_to(t: &TestApp, url: &str) -> app::App {
    let settings = app::AppSettings {
        webhook_url: Some(url.into()),
        gateway_keys: Some(
            app::signing::KeyRing::new("webhook_secret", "gw-secret-0123456789", "p", None)
                .unwrap(),
        ),
        log_codes: false,
        ..Default::default()
    };
    app::App::new(t.app.db.clone(), t.clock.clone(), settings)
}

async fn run_jobs(app: &app::App) -> usize {
    app::job::worker::Worker::with_client(
        app.clone(),
        app::job::handler::Registry::standard(),
        reqwest::Client::new(),
        "test".into(),
    )
    .run_once()
    .await
    .unwrap()
}

/// Runs the worker through every attempt of what is queued (moving the clock past
/// each backoff) until nothing is due.
async fn run_until_dead(t: &TestApp, app: &app::App) {
    for _ in 0..12 {
        run_jobs(app).await;
        t.clock.advance_ms(2 * 3_600_000);
    }
    assert_eq!(run_jobs(app).await, 0, "given up");
}

async fn code_for(t: &TestApp, phone: &str) {
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/owner/code", t.base))
        .json(&serde_json::json!({ "phone": phone }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
}

async fn statuses(t: &TestApp) -> Vec<(String, i64)> {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    sqlx::query_as(
        "SELECT status, attempts FROM outbox WHERE template = 'otp' AND customer_id IS NOT NULL ORDER BY id",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap()
}

/// The value of one metrics line (`name{labels}` as rendered), if present.
async fn metric(t: &TestApp, line: &str) -> Option<f64> {
    let text = reqwest::get(format!("{}/metrics", t.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find(|l| l.starts_with(line) && l[line.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).map(|i| i + marker.len()).unwrap();
    html[start..].split('"').next().unwrap().to_string()
}

async fn console_login(t: &TestApp, username: &str) -> (reqwest::Client, String) {
    let c = t.client();
    let page = c
        .get(format!("{}/console/login", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&page, "csrf");
    let r = c
        .post(format!("{}/console/login", t.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", username),
            ("password", testkit::PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let home = get(t, &c, "/console").await.1;
    let csrf = hidden(&home, "csrf");
    (c, csrf)
}

async fn get(t: &TestApp, c: &reqwest::Client, path: &str) -> (StatusCode, String) {
    let r = c.get(format!("{}{path}", t.base)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn form_post(
    t: &TestApp,
    c: &reqwest::Client,
    path: &str,
    csrf: &str,
) -> (StatusCode, String) {
    let r = c
        .post(format!("{}{path}", t.base))
        .form(&[("csrf", csrf)])
        .send()
        .await
        .unwrap();
    let location = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (r.status(), location)
}

async fn open_alert_id(t: &TestApp) -> i64 {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let alerts = store::job::alert::open(&mut c).await.unwrap();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    alerts[0].id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_message_is_counted_alerted_shown_and_sent_again_from_the_console() {
    let handle = metrics_handle().clone();
    let t = TestApp::spawn_with_state(
        app::AppSettings {
            log_codes: false,
            ..Default::default()
        },
        move |mut s| {
            s.metrics = Some(handle);
            s
        },
    )
    .await;
    let (down, tried) = gateway(503).await;
    let worker_app = delivering_to(&t, &down);

    // A sign-in code for the owner, through a gateway that is down: 9 attempts, dead.
    code_for(&t, "13800000001").await;
    run_until_dead(&t, &worker_app).await;
    assert_eq!(tried.load(Ordering::SeqCst), 9);
    assert_eq!(statuses(&t).await, vec![("failed".to_string(), 9)]);

    // Counted in /metrics: the queue's dead rows (read from the database at the
    // scrape), the dead-letter counters and the open alerts.
    let depth = r#"job_queue_depth{queue="jobs",kind="outbox.deliver",state="dead"}"#;
    assert_eq!(metric(&t, depth).await, Some(1.0));
    assert!(metric(&t, "outbox_dead_total").await >= Some(1.0));
    assert!(metric(&t, r#"job_dead_total{kind="outbox.deliver"}"#).await >= Some(1.0));
    assert_eq!(metric(&t, "job_alerts_open").await, Some(1.0));

    // A second message dies while the alert is open: it joins the same alert.
    code_for(&t, "13800000002").await;
    run_until_dead(&t, &worker_app).await;
    let alert = open_alert_id(&t).await;
    assert_eq!(metric(&t, depth).await, Some(2.0));
    assert_eq!(metric(&t, "job_alerts_open").await, Some(1.0));

    // Other roles neither see nor touch it.
    let (advisor, advisor_csrf) = console_login(&t, "service_advisor").await;
    assert!(
        !get(&t, &advisor, "/console")
            .await
            .1
            .contains("home-job-alerts")
    );
    let (status, _) = form_post(
        &t,
        &advisor,
        &format!("/console/queue/alerts/{alert}/retry"),
        &advisor_csrf,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The administrator sees it on the home page and on the queue page, in words.
    let (admin, csrf) = console_login(&t, "administrator").await;
    let home = get(&t, &admin, "/console").await.1;
    assert!(home.contains("id=\"home-job-alerts\""), "home panel");
    assert!(
        home.contains("消息投递（短信/微信/网关）：2 条已放弃"),
        "{home}"
    );
    let (status, page) = get(&t, &admin, "/console/queue").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("data-alert=\"{alert}\"")));
    assert!(page.contains("gateway answered 503 Service Unavailable"));
    assert_eq!(page.matches("data-kind=\"outbox.deliver\"").count(), 1);

    // The gateway is back: "send all again" re-sends both, and closes the alert.
    let (up, delivered) = gateway(200).await;
    let worker_app = delivering_to(&t, &up);
    let (status, location) = form_post(
        &t,
        &admin,
        &format!("/console/queue/alerts/{alert}/retry"),
        &csrf,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/console/queue?done=retried_all&count=2");
    assert_eq!(
        statuses(&t).await,
        vec![("pending".to_string(), 9), ("pending".to_string(), 9)]
    );
    let page = get(&t, &admin, &location).await.1;
    assert!(page.contains("已重新排队 2 条"), "{page}");
    assert!(!page.contains("data-alert="), "no open alert");
    assert_eq!(run_jobs(&worker_app).await, 2);
    assert_eq!(delivered.load(Ordering::SeqCst), 2);
    assert!(statuses(&t).await.iter().all(|(s, _)| s == "sent"));
    assert_eq!(metric(&t, depth).await, Some(0.0));
    assert_eq!(metric(&t, "job_alerts_open").await, Some(0.0));
    assert!(
        !get(&t, &admin, "/console")
            .await
            .1
            .contains("home-job-alerts")
    );

    // The next death opens a new alert; one row is sent again by its own button and
    // the alert acknowledged by hand (a second acknowledgement is refused).
    let worker_down = delivering_to(&t, &down);
    code_for(&t, "13800000001").await;
    run_until_dead(&t, &worker_down).await;
    let second = open_alert_id(&t).await;
    assert_ne!(second, alert, "a new alert");
    let dead_id = {
        let mut c = t.app.db.pool.acquire().await.unwrap();
        store::job::list(&mut c, store::job::Queue::Jobs, Some("dead"), None, 10)
            .await
            .unwrap()[0]
            .id
    };
    // (The day the clock moved ended the session: sign in again.)
    let (admin, csrf) = console_login(&t, "administrator").await;
    let (status, location) = form_post(
        &t,
        &admin,
        &format!("/console/queue/jobs/{dead_id}/retry"),
        &csrf,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/console/queue?done=retried");
    assert_eq!(run_jobs(&worker_app).await, 1);
    assert_eq!(delivered.load(Ordering::SeqCst), 3);
    let (status, location) = form_post(
        &t,
        &admin,
        &format!("/console/queue/alerts/{second}/acknowledge"),
        &csrf,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/console/queue?done=acknowledged");
    let (status, _) = form_post(
        &t,
        &admin,
        &format!("/console/queue/alerts/{second}/acknowledge"),
        &csrf,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(metric(&t, "job_alerts_open").await, Some(0.0));
}
