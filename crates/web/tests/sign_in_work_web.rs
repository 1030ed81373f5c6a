//! A sign-in code asked for a customer's number and for a number nobody holds costs
//! the same database work (issue 22, finding 9: "a timing difference"), proved
//! structurally rather than by the clock: every SQL statement the server runs for
//! one request is recorded (sqlx reports each on the `sqlx::query` tracing target;
//! this binary installs a process-wide subscriber that keeps them), and the two
//! requests' statement lists must be the same, in the same order, and so must the
//! rows they add to each table. Over real HTTP, on SQLite or (with
//! TEST_DATABASE_URL) PostgreSQL. One test only: the subscriber sees the whole process.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use serde_json::json;
use std::sync::{Arc, Mutex, OnceLock};
use testkit::TestApp;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// The statements seen, as SQL text.
type Seen = Arc<Mutex<Vec<String>>>;

/// Keeps the SQL of every `sqlx::query` event; ignores everything else.
struct Statements(Seen);

/// Reads the statement out of an event: its full text when sqlx gives it
/// (`db.statement`, set when the text is longer than the summary), else the summary.
#[derive(Default)]
struct Sql {
    summary: String,
    statement: String,
}

impl Visit for Sql {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "summary" => self.summary = value.to_string(),
            "db.statement" => self.statement = value.trim().to_string(),
            _ => {}
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        let text = text.trim_matches('"').to_string();
        match field.name() {
            "summary" => self.summary = text,
            "db.statement" => self.statement = text.replace("\\n", " ").trim().to_string(),
            _ => {}
        }
    }
}

impl Subscriber for Statements {
    fn enabled(&self, m: &Metadata<'_>) -> bool {
        m.target() == "sqlx::query"
    }
    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, e: &Event<'_>) {
        let mut sql = Sql::default();
        e.record(&mut sql);
        let text = if sql.statement.is_empty() {
            sql.summary
        } else {
            sql.statement
        };
        self.0.lock().unwrap().push(text);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

fn seen() -> &'static Seen {
    static SEEN: OnceLock<Seen> = OnceLock::new();
    SEEN.get_or_init(|| {
        let seen = Seen::default();
        tracing::subscriber::set_global_default(Statements(seen.clone())).unwrap();
        seen
    })
}

const TABLES: [&str; 4] = ["otp_codes", "sign_in_attempts", "outbox", "jobs"];

async fn rows(t: &TestApp) -> Vec<i64> {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let mut out = Vec::new();
    for table in TABLES {
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(&mut *c)
                .await
                .unwrap();
        out.push(n);
    }
    out
}

/// The statements one code request runs, and the rows it adds per table.
async fn work_of(t: &TestApp, from: &str, phone: &str) -> (Vec<String>, Vec<i64>) {
    let before = rows(t).await;
    seen().lock().unwrap().clear();
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/owner/code", t.base))
        .header("x-forwarded-for", from)
        .json(&json!({ "phone": phone }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let statements = std::mem::take(&mut *seen().lock().unwrap());
    let after = rows(t).await;
    let added = after.iter().zip(&before).map(|(a, b)| a - b).collect();
    (statements, added)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_and_an_unknown_number_cost_the_same_statements_and_rows() {
    seen();
    let t = TestApp::spawn_with_state(
        app::AppSettings {
            log_codes: false,
            ..Default::default()
        },
        |s| s.with_trusted_proxies(vec!["127.0.0.1/32".parse().unwrap()]),
    )
    .await;
    // Warm the pool and the statement caches with a request of each kind first.
    work_of(&t, "192.0.2.1", "13800000001").await;
    work_of(&t, "192.0.2.2", "13912345678").await;
    for round in 0..3 {
        let known = work_of(&t, &format!("198.51.100.{round}"), "13800000001").await;
        let unknown = work_of(&t, &format!("203.0.113.{round}"), "13912345678").await;
        let writes = known
            .0
            .iter()
            .filter(|s| s.starts_with("INSERT") || s.starts_with("UPDATE"))
            .count();
        assert!(
            writes >= 4,
            "the request's statements were seen: {:?}",
            known.0
        );
        assert_eq!(known.0, unknown.0, "the same statements in the same order");
        assert_eq!(
            known.1, unknown.1,
            "the same rows added to {TABLES:?} (known {:?})",
            known.1
        );
        assert_eq!(known.1, vec![1, 1, 1, 1], "{TABLES:?}");
    }
}
