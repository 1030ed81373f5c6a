//! Demo data, CSV import and CSV export against a real database: a temporary SQLite
//! file always, and a fresh PostgreSQL database per test when `TEST_DATABASE_URL` is
//! set (e.g. `postgres://postgres@127.0.0.1:5432/test`).
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod demo;
mod export;
mod import;
mod support;
