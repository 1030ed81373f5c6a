//! Pick-up and delivery (上门取送车) screens over real HTTP, on SQLite or (with
//! TEST_DATABASE_URL) PostgreSQL: the console flow (schedule from an appointment,
//! driver, checklist, a multipart photo upload, the owner's confirmation at the car),
//! refused uploads that store nothing, and the owner's own confirmation on the phone
//! page — a foreign owner is answered exactly like a missing pick-up. One module per
//! concept.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod console;
mod owner;
mod support;
mod upload;
