//! Aftersales use cases.
//!
//! Each use case authorises (takes a [`domain::permission::Grant`] or a principal),
//! loads, asks the domain, then saves and records events in one transaction. Time
//! comes from the [`clock::Clock`] the [`App`] was given, so tests move it by hand.

// Machinery: sign-in, the clock, errors, input reading, notifications, jobs and
// timers, signing keys, bulk data.
pub mod auth;
pub mod clock;
pub mod demo;
pub mod error;
pub mod export;
pub mod idempotency;
pub mod import;
pub mod input;
pub mod job;
pub mod notify;
pub mod password;
pub mod schema;
pub(crate) mod shared;
pub mod signing;
pub mod transaction;

// Business areas, one module each, named as in every other layer.
pub mod appointment;
pub mod billing;
pub mod calendar;
pub mod campaign;
pub mod capacity;
pub mod complaint;
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
pub mod privacy;
pub mod quality_audit;
pub mod rating;
pub mod repair_order;
pub mod simulation;
pub mod stage_standard;
pub mod survey;
pub mod vehicle;

pub use error::{AppError, AppResult};
// Plain data rows of the store that use cases return as they are; re-exported so the
// web layer reads them through `app` and never names the store.
pub use store::event::Event;
pub use store::query::Order;
pub use store::{Page, Paged};

use std::sync::Arc;

/// Settings the use cases need. No secret has a default: a provider or gateway
/// exists only when its own keys are set (see [`signing::KeyRing`]).
#[derive(Debug, Clone)]
pub struct AppSettings {
    /// Keys that sign our messages to the SMS/WeChat gateway (outgoing direction);
    /// required when `webhook_url` is set.
    pub gateway_keys: Option<signing::KeyRing>,
    /// Where webhook messages go, if a gateway is configured.
    pub webhook_url: Option<String>,
    /// Session lifetime in minutes.
    pub session_minutes: i64,
    /// Whether one-time codes are also written to the log (demo and development only).
    pub log_codes: bool,
    /// The local sandbox payment provider and the keys its notices are signed with
    /// (incoming direction). `None`: no sandbox provider exists on this server — the
    /// demo, tests or an explicit `payment_sandbox` setting with its own
    /// `payment_sandbox_secret` turn it on.
    pub payment_sandbox: Option<signing::KeyRing>,
    /// WeChat Pay (APIv3): its account and keys (`wechat_*` settings), or its
    /// sandbox (`wechat_sandbox`, the demo). `None`: not offered.
    pub wechat: Option<billing::wechat::WechatPay>,
    /// Alipay: its account and keys (`alipay_*` settings), or its sandbox
    /// (`alipay_sandbox`, the demo). `None`: not offered.
    pub alipay: Option<billing::alipay::Alipay>,
    /// Days an owner link keeps working once its order is delivered and its bill
    /// paid; after that it answers like an unknown link and the owner's signed-in
    /// pages take over.
    pub owner_link_days_after_payment: i64,
    /// How much each role may refund on its own approval (`refund_limit_advisor_fen`,
    /// `refund_limit_station_manager_fen`); head office has no limit.
    pub refund_limits: domain::billing::RefundLimits,
    /// Minutes after its start an unconfirmed provider order is queried
    /// (`payment_query_minutes`).
    pub payment_query_minutes: i64,
    /// Minutes a provider order stays payable (its `time_expire`,
    /// `payment_expire_minutes`); then it is closed unless the provider took money.
    pub payment_expire_minutes: i64,
    /// How long each class of record is kept (`retention_*` settings), each at least
    /// its legal floor (checked at start: `domain::privacy::retention::Retention::check`).
    pub retention: domain::privacy::retention::Retention,
}

impl AppSettings {
    /// Whether any online payment provider is configured (owners see a pay button).
    pub fn online_payment(&self) -> bool {
        self.payment_sandbox.is_some() || self.wechat.is_some() || self.alipay.is_some()
    }

    /// Checks settings that only make sense together: a gateway URL needs its keys.
    pub fn check(&self) -> Result<(), signing::KeyError> {
        if self.webhook_url.is_some() && self.gateway_keys.is_none() {
            return Err(signing::KeyError::Missing("webhook_secret"));
        }
        Ok(())
    }
}

impl Default for AppSettings {
    fn default() -> Self {
        AppSettings {
            gateway_keys: None,
            webhook_url: None,
            session_minutes: 12 * 60,
            log_codes: true,
            payment_sandbox: None,
            wechat: None,
            alipay: None,
            owner_link_days_after_payment: 7,
            refund_limits: domain::billing::RefundLimits::default(),
            payment_query_minutes: 5,
            payment_expire_minutes: 30,
            retention: domain::privacy::retention::Retention::default(),
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
    /// Wakes this process's job worker when work is queued here, so it need not wait
    /// for its next look at the queue.
    pub job_wake: Arc<tokio::sync::Notify>,
}

impl App {
    /// A new application over a database.
    pub fn new(db: store::Db, clock: Arc<dyn clock::Clock>, settings: AppSettings) -> App {
        App {
            db,
            clock,
            settings: Arc::new(settings),
            job_wake: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// Tells this process's job worker that work was committed (call after commit).
    pub fn wake_jobs(&self) {
        self.job_wake.notify_one();
    }

    /// Describes the business counters operators watch and starts them at zero, so a
    /// dashboard shows 0 rather than "no data" before the first order of the day.
    pub fn describe_metrics() {
        metrics::describe_counter!(
            "repair_orders_opened_total",
            "Repair orders opened, by source (appointment, walk_in)"
        );
        metrics::describe_counter!("repair_orders_delivered_total", "Repair orders delivered");
        metrics::describe_counter!(
            "db_wal_checkpoint_frames_total",
            "SQLite write-ahead log frames copied into the database by the checkpoint timer"
        );
        metrics::describe_histogram!(
            "db_group_commit_writes",
            "Writes committed together in one group (store::group_commit)"
        );
        metrics::describe_counter!(
            "db_group_commit_failed_groups",
            "Groups of writes that failed as a whole and were run one write at a time"
        );
        metrics::counter!("db_group_commit_failed_groups").increment(0);
        metrics::describe_counter!("outbox_sent_total", "Messages delivered, by channel");
        metrics::describe_counter!(
            "outbox_failed_total",
            "Message delivery attempts that failed"
        );
        metrics::describe_counter!(
            "outbox_dead_total",
            "Messages given up after their last attempt"
        );
        metrics::describe_counter!(
            "outbox_suppressed_total",
            "Messages held back at send time because the customer's consent ledger did not allow them, by purpose"
        );
        for p in domain::privacy::consent::ConsentPurpose::ALL {
            metrics::counter!("outbox_suppressed_total", "purpose" => p.code()).increment(0);
        }
        transaction::describe_metrics();
        privacy::retention::describe_metrics();
        privacy::enumeration::describe_metrics();
        for source in ["appointment", "walk_in"] {
            metrics::counter!("repair_orders_opened_total", "source" => source).increment(0);
        }
        for name in [
            "repair_orders_delivered_total",
            "outbox_failed_total",
            "outbox_dead_total",
        ] {
            metrics::counter!(name).increment(0);
        }
    }

    /// Sets the database pool gauges: connections open, idle and in use, and the
    /// pool's limit (a pool at its limit with requests waiting is the first sign of a
    /// slow database).
    pub fn record_pool_metrics(&self) {
        let pool = &self.db.pool;
        let open = f64::from(pool.size());
        let idle = pool.num_idle() as f64;
        metrics::gauge!("db_pool_connections", "state" => "open").set(open);
        metrics::gauge!("db_pool_connections", "state" => "idle").set(idle);
        metrics::gauge!("db_pool_connections", "state" => "in_use").set((open - idle).max(0.0));
        metrics::gauge!("db_pool_max_connections")
            .set(f64::from(pool.options().get_max_connections()));
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
        kind: grant.principal().kind.code(),
    }
}

/// Acquires a read connection, mapping errors.
pub(crate) async fn conn(app: &App) -> AppResult<sqlx::pool::PoolConnection<sqlx::Any>> {
    app.db
        .pool
        .acquire()
        .await
        .map_err(|e| AppError::from(store::StoreError::from(e)))
}
