//! The API end to end over real HTTP, on SQLite or (with TEST_DATABASE_URL) PostgreSQL,
//! one module per concept.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod goodwill;
mod input;
mod matrix;
mod privacy;
mod records;
mod routes;
mod session;
