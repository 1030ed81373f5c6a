//! Test-only helpers: start the whole app on a temporary SQLite file, or on a fresh
//! PostgreSQL database when `TEST_DATABASE_URL` is set, and a small fixture of the
//! network, people, customers and vehicles.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use app::App;
use app::clock::ManualClock;
use std::sync::Arc;

mod capacity;
mod db;
mod fixture;
mod scenario;

pub use db::TestDb;
pub use fixture::{Fixture, PASSWORD, fixture};
pub use scenario::{ServiceFixture, head_office};

/// The body of a page as a signed-in browser gets it (`client` holds the session).
pub async fn page_text(client: &reqwest::Client, url: impl reqwest::IntoUrl) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}

/// Reading the manual clock in tests.
pub trait ClockExt {
    /// Now in UTC milliseconds.
    fn now_ms_for_test(&self) -> i64;
}

impl ClockExt for ManualClock {
    fn now_ms_for_test(&self) -> i64 {
        app::clock::Clock::now(self).as_millisecond()
    }
}

/// A running server on a random port over a test database.
pub struct TestApp {
    /// Base URL, e.g. `http://127.0.0.1:39213`.
    pub base: String,
    /// The application (for direct use-case calls).
    pub app: App,
    /// The clock, moved by hand.
    pub clock: Arc<ManualClock>,
    /// The fixture.
    pub fx: Fixture,
    /// Keeps the database alive.
    pub test_db: TestDb,
}

impl TestApp {
    /// Starts the server over a fresh database with the fixture, the clock at 2026-11-24 09:00 Shanghai.
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(app::AppSettings {
            log_codes: false,
            payment_sandbox: Some(app::signing::KeyRing::random()),
            ..Default::default()
        })
        .await
    }

    /// Starts the server as [`TestApp::spawn`] does, with these settings.
    pub async fn spawn_with(settings: app::AppSettings) -> TestApp {
        TestApp::spawn_with_state(settings, |s| s).await
    }

    /// Starts the server with these settings and the web state adjusted by `web`
    /// (trusted proxies, secure cookies).
    pub async fn spawn_with_state(
        settings: app::AppSettings,
        web: impl FnOnce(web::AppState) -> web::AppState,
    ) -> TestApp {
        let test_db = TestDb::new().await;
        let fx = fixture(&test_db.db).await;
        let clock = Arc::new(ManualClock::new("2026-11-24T01:00:00Z".parse().unwrap()));
        let app = App::new(test_db.db.clone(), clock.clone(), settings);
        let state = web(web::AppState::new(app.clone(), None));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        // The providers' sandboxes answer on this server: known before the first
        // request, not only once the spawned server task has run.
        app::billing::provider_sandbox::serve_sandboxes_at(&app, &base);
        tokio::spawn(web::serve(state, listener));
        TestApp {
            base,
            app,
            clock,
            fx,
            test_db,
        }
    }

    /// An HTTP client that keeps cookies.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// A client signed in as `username` through the API, and its CSRF token.
    pub async fn login(&self, username: &str) -> (reqwest::Client, String) {
        let c = self.client();
        let r = c
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&serde_json::json!({"username": username, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "login as {username}");
        let v: serde_json::Value = r.json().await.unwrap();
        (c, v["csrf"].as_str().unwrap().to_string())
    }

    /// A client signed in as the owner of `phone` with a one-time code (read from the
    /// outbox, as the SMS gateway would deliver it), and its CSRF token.
    pub async fn owner_session(&self, phone: &str) -> (reqwest::Client, String) {
        let c = self.client();
        let r = c
            .post(format!("{}/api/v1/auth/owner/code", self.base))
            .json(&serde_json::json!({"phone": phone}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202, "code for {phone}");
        let mut conn = self.app.db.pool.acquire().await.unwrap();
        let row: (String,) = sqlx::query_as(
            "SELECT payload FROM outbox WHERE template = 'otp' ORDER BY id DESC LIMIT 1",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        let payload: serde_json::Value = serde_json::from_str(&row.0).unwrap();
        let code = payload["code"].as_str().unwrap().to_string();
        let r = c
            .post(format!("{}/api/v1/auth/owner/verify", self.base))
            .json(&serde_json::json!({"phone": phone, "code": code}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "verify {phone}");
        let v: serde_json::Value = r.json().await.unwrap();
        (c, v["csrf"].as_str().unwrap().to_string())
    }

    /// An API token acting as `role` at station A / region A / head office.
    pub async fn token(&self, role: domain::role::Role) -> String {
        let admin = domain::permission::Principal {
            kind: domain::permission::ActorKind::Person,
            id: 1,
            name: "admin".into(),
            role: domain::role::Role::Administrator,
            unit: domain::permission::Unit::HeadOffice,
        };
        let g = admin.grant(domain::permission::Action::TokenAdmin).unwrap();
        let (station_id, region_id) = match role.unit_kind() {
            domain::role::UnitKind::Station => (Some(self.fx.station_a), None),
            domain::role::UnitKind::Region => (None, Some(self.fx.region_a)),
            _ => (None, None),
        };
        let input = app::auth::TokenInput {
            name: format!("test {}", role.code()),
            role: role.code().into(),
            station_id,
            region_id,
        };
        app::auth::create_token(&self.app, &g, &input)
            .await
            .unwrap()
            .1
    }
}
