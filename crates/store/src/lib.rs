//! The Aftersales database: one [`Db`] over SQLite or PostgreSQL.
//!
//! Portable SQL with `$1` placeholders runs over sqlx's Any driver; each backend has
//! its own migrations. Stored types are integers, text and blobs only: instants are
//! UTC milliseconds, money is fen, coordinates are micro-degrees.

// Machinery: the connection, migrations, the event log, scoping, sessions, the
// resume points of CSV imports.
pub mod audit;
pub mod bulk;
pub mod db;
pub mod error;
pub mod event;
pub mod group_commit;
pub mod idempotency;
pub mod import;
pub mod job;
pub mod migrate;
pub mod outbox;
pub mod query;
pub mod scope;
pub mod session;
pub mod settings;
pub mod test_database;
pub mod transaction;

// Business areas, one module each, named as in every other layer. Every function
// takes a connection so the use case can run it inside its own transaction. State
// changes are guarded conditional updates (`… WHERE state = 'pending'`, `… AND used <
// capacity`) whose affected-row count tells whether this call made the change, so a
// repeated or concurrent request changes nothing twice, on both backends.
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
pub mod stage_standard;
pub mod survey;
pub mod vehicle;

pub use db::{Backend, Db, Tx};
pub use error::StoreError;

/// A page request for lists: which page (from 1) and how many per page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub struct Page {
    /// Page number, starting at 1.
    pub page: i64,
    /// Rows per page, 1 to 200.
    pub per_page: i64,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            page: 1,
            per_page: 20,
        }
    }
}

impl Page {
    /// The highest page number: with at most [`Page::MAX_PER_PAGE`] rows a page this
    /// reaches past 200 million rows, and the offset stays far from overflowing.
    pub const MAX_PAGE: i64 = 1_000_000;
    /// The most rows one page may hold.
    pub const MAX_PER_PAGE: i64 = 200;

    /// A page clamped to sane bounds (callers that read a request check the bounds
    /// first and refuse values outside them; this is the last guard).
    pub fn new(page: i64, per_page: i64) -> Page {
        Page {
            page: page.clamp(1, Self::MAX_PAGE),
            per_page: per_page.clamp(1, Self::MAX_PER_PAGE),
        }
    }

    /// Rows to skip.
    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }
}

/// One page of a list and the total count of matching rows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Paged<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// Total rows matching the filter.
    pub total: i64,
    /// This page's number.
    pub page: i64,
    /// Rows per page.
    pub per_page: i64,
}

impl<T> Paged<T> {
    /// Number of pages.
    pub fn pages(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
}
