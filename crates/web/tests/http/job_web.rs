//! The job queue page for administrators over real HTTP: counts, dead letters with
//! their error, send again and cancel as CSRF-protected forms, and no access for
//! other roles.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::StatusCode;
use testkit::TestApp;

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .map(|i| i + marker.len())
        .expect("hidden field");
    html[start..].split('"').next().unwrap().to_string()
}

async fn console_login(t: &TestApp, username: &str) -> reqwest::Client {
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
    c
}

async fn get(t: &TestApp, c: &reqwest::Client, path: &str) -> (StatusCode, String) {
    let r = c.get(format!("{}{path}", t.base)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// Queues a job of a kind no worker knows, and runs it until it is dead.
async fn dead_letter(t: &TestApp) {
    let now = t.app.now_ms();
    let mut tx = t.app.db.begin().await.unwrap();
    let job = store::job::NewJob {
        kind: "test.nobody",
        key: Some("nobody:1"),
        payload: "{}",
        due_at: now,
        max_attempts: 1,
    };
    store::job::enqueue(&mut tx, &job, now).await.unwrap();
    tx.commit().await.unwrap();
    let w = app::job::worker::Worker::with_client(
        t.app.clone(),
        app::job::handler::Registry::standard(),
        reqwest::Client::new(),
        "test".into(),
    );
    assert_eq!(w.run_once().await.unwrap(), 1);
}

#[tokio::test]
async fn administrators_see_dead_letters_and_send_them_again() {
    let t = TestApp::spawn().await;
    let admin = console_login(&t, "administrator").await;
    let (status, empty) = get(&t, &admin, "/console/queue").await;
    assert_eq!(status, StatusCode::OK);
    assert!(empty.contains("没有死信"), "empty state in Chinese");
    assert!(
        empty.contains("href=\"/console/queue\""),
        "nav entry for admins"
    );

    dead_letter(&t).await;
    let (_, page) = get(&t, &admin, "/console/queue").await;
    assert!(page.contains("data-kind=\"test.nobody\""));
    assert!(
        page.contains("no handler for kind test.nobody"),
        "the error is shown"
    );
    let csrf = hidden(&page, "csrf");
    let id = {
        let mut c = t.app.db.pool.acquire().await.unwrap();
        store::job::list(&mut c, store::job::Queue::Jobs, Some("dead"), None, 10)
            .await
            .unwrap()[0]
            .id
    };
    let retry = format!("{}/console/queue/jobs/{id}/retry", t.base);
    let forged = admin
        .post(&retry)
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_ne!(
        forged.status(),
        StatusCode::SEE_OTHER,
        "a forged form changes nothing"
    );
    let r = admin
        .post(&retry)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = get(&t, &admin, "/console/queue?done=retried").await;
    assert!(page.contains("已重新排队"));
    assert!(page.contains("没有死信"), "no longer dead");
    // Waiting again: it can be cancelled from the page.
    let r = admin
        .post(format!("{}/console/queue/jobs/{id}/cancel", t.base))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let row = store::job::get(&mut c, store::job::Queue::Jobs, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.state, "cancelled");
}

#[tokio::test]
async fn other_roles_cannot_see_the_queue() {
    let t = TestApp::spawn().await;
    for role in ["service_advisor", "station_manager", "regional_manager"] {
        let c = console_login(&t, role).await;
        let (status, page) = get(&t, &c, "/console/queue").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}");
        assert!(
            !page.contains("href=\"/console/queue\""),
            "{role} has no nav entry"
        );
    }
}
