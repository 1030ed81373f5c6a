//! Shared by the app's integration tests: an application over a fresh SQLite file, or
//! a fresh PostgreSQL database when `TEST_DATABASE_URL` is set, removed at the end.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use app::clock::ManualClock;
use app::{App, AppSettings};
use domain::calendar::shanghai;
use jiff::Timestamp;
use jiff::civil::date;
use std::sync::Arc;

/// One test's application over a fresh database, removed again by [`Env::finish`].
pub struct Env {
    /// The application.
    pub app: App,
    /// The hand-moved clock.
    pub clock: Arc<ManualClock>,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Database { admin_url: String, name: String },
}

/// An instant given in Shanghai time.
pub fn at(y: i16, m: i8, d: i8, h: i8, min: i8) -> Timestamp {
    shanghai()
        .to_timestamp(date(y, m, d).at(h, min, 0, 0))
        .unwrap()
}

fn random_hex() -> String {
    let mut b = [0u8; 8];
    rand::fill(&mut b);
    hex::encode(b)
}

impl Env {
    async fn with(url: &str, cleanup: Cleanup, settings: AppSettings) -> Env {
        let db = store::Db::connect(url, 10).await.unwrap();
        store::migrate::run(&db).await.unwrap();
        let clock = Arc::new(ManualClock::new(at(2026, 11, 24, 9, 0)));
        let app = App::new(db, clock.clone(), settings);
        Env {
            app,
            clock,
            cleanup,
        }
    }

    /// A fresh SQLite file named after `prefix`.
    pub async fn sqlite(prefix: &str, settings: AppSettings) -> Env {
        let path = std::env::temp_dir().join(format!("{prefix}_{}.db", random_hex()));
        let url = format!("sqlite://{}", path.display());
        Env::with(&url, Cleanup::File(path), settings).await
    }

    /// A fresh PostgreSQL database named after `prefix`, when `TEST_DATABASE_URL` is set.
    pub async fn postgres(prefix: &str, settings: AppSettings) -> Option<Env> {
        let admin_url = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())?;
        let name = format!("{prefix}_{}", random_hex());
        let url = store::test_database::create(&admin_url, &name)
            .await
            .unwrap();
        Some(Env::with(&url, Cleanup::Database { admin_url, name }, settings).await)
    }

    /// Closes the pool and removes the database.
    pub async fn finish(self) {
        self.app.db.pool.close().await;
        match self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Database { admin_url, name } => {
                store::test_database::drop(&admin_url, &name).await.unwrap();
            }
        }
    }

    /// Sets the clock.
    pub fn set(&self, t: Timestamp) {
        self.clock.set(t);
    }
}
