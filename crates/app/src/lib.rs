//! Aftersales use cases.
//!
//! Each use case authorises (takes a [`domain::permission::Grant`] or a principal),
//! loads, asks the domain, then saves and records events in one transaction. Time
//! comes from the [`clock::Clock`] the [`App`] was given, so tests move it by hand.

// Machinery: sign-in, the clock, errors, input reading, notifications, bulk data.
pub mod auth;
pub mod clock;
pub mod demo;
pub mod error;
pub mod export;
pub mod import;
pub mod input;
pub mod notify;
pub mod password;
pub(crate) mod shared;

// Business areas, one module each, named as in every other layer.
pub mod appointment;
pub mod billing;
pub mod calendar;
pub mod capacity;
pub mod customer;
pub mod estimate;
pub mod follow_up;
pub mod guarantee;
pub mod kpi;
pub mod labour;
pub mod network;
pub mod part;
pub mod people;
pub mod pickup;
pub mod rating;
pub mod repair_order;
pub mod stage_standard;
pub mod vehicle;

pub use error::{AppError, AppResult};
// Plain data rows of the store that use cases return as they are; re-exported so the
// web layer reads them through `app` and never names the store.
pub use store::event::Event;
pub use store::{Page, Paged};

use std::sync::Arc;

/// Settings the use cases need.
#[derive(Debug, Clone)]
pub struct AppSettings {
    /// Secret that signs webhook calls; from the settings file.
    pub webhook_secret: String,
    /// Where webhook messages go, if a gateway is configured.
    pub webhook_url: Option<String>,
    /// Session lifetime in minutes.
    pub session_minutes: i64,
    /// Whether one-time codes are also written to the log (demo and development only).
    pub log_codes: bool,
    /// Whether the local sandbox payment provider's checkout page is served (demo and
    /// tests; a production server talks to a real provider instead).
    pub payment_sandbox: bool,
}

impl Default for AppSettings {
    fn default() -> Self {
        AppSettings {
            webhook_secret: "change-me".into(),
            webhook_url: None,
            session_minutes: 12 * 60,
            log_codes: true,
            payment_sandbox: false,
        }
    }
}

/// Everything a use case needs: the database, the clock and the settings.
#[derive(Clone)]
pub struct App {
    /// The database.
    pub db: store::Db,
    /// The clock.
    pub clock: Arc<dyn clock::Clock>,
    /// Settings.
    pub settings: Arc<AppSettings>,
}

impl App {
    /// A new application over a database.
    pub fn new(db: store::Db, clock: Arc<dyn clock::Clock>, settings: AppSettings) -> App {
        App {
            db,
            clock,
            settings: Arc::new(settings),
        }
    }

    /// Whether the database answers (for the readiness probe).
    pub async fn database_ready(&self) -> bool {
        self.db.ping().await
    }

    /// Now in UTC milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.clock.now().as_millisecond()
    }
}

/// The event actor for whoever holds a grant.
pub fn actor(grant: &domain::permission::Grant) -> store::event::Actor<'static> {
    store::event::Actor {
        role: grant.principal().role.code(),
        id: grant.principal().id,
    }
}

/// Begins a write transaction, mapping errors.
pub(crate) async fn begin(app: &App) -> AppResult<store::Tx> {
    Ok(app.db.begin().await?)
}

/// Acquires a read connection, mapping errors.
pub(crate) async fn conn(app: &App) -> AppResult<sqlx::pool::PoolConnection<sqlx::Any>> {
    app.db
        .pool
        .acquire()
        .await
        .map_err(|e| AppError::from(store::StoreError::from(e)))
}

/// Commits, mapping errors.
pub(crate) async fn commit(tx: store::Tx) -> AppResult<()> {
    tx.commit()
        .await
        .map_err(|e| AppError::from(store::StoreError::from(e)))
}
