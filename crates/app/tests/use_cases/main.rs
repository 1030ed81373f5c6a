//! The use cases of `app` against a real database (a temporary SQLite file always, a
//! fresh PostgreSQL database per test when TEST_DATABASE_URL is set), as ONE test
//! binary: one module per area or concept, so the build links and monomorphises the
//! use cases once instead of once per file. `common` (the environment per backend),
//! `desk` (the station fixture and the `on_both_backends!` macro) and `kpi_sql` (the
//! KPIs as plain SQL) are shared by the modules below them.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;
#[macro_use]
mod desk;
mod kpi_sql;

mod appointment_feed;
mod billing;
mod complaint;
mod complaint_catalogue;
mod complaint_plan;
mod demo_day;
mod demo_guarantee;
mod follow_up;
mod group_commit;
mod import_export;
mod import_stream;
mod job;
mod kpi;
mod pickup;
mod quality_audit;
mod repair_order;
mod simulation;
mod simulation_rows;
mod survey;
mod vehicle_lookup;
