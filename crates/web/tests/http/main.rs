//! The web crate's tests over real HTTP, on SQLite or (with TEST_DATABASE_URL)
//! PostgreSQL, as ONE test binary: one module per concept (a file each), so the build
//! links and monomorphises the server once instead of once per file. Tests that need a
//! process of their own (a process-wide metrics recorder or tracing subscriber) stay
//! beside this folder: `privacy_web`, `dead_letter_web`, `sign_in_work_web`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod auth;
mod billing_bill_number_web;
mod billing_ledger_web;
mod billing_owner_web;
mod billing_property_web;
mod billing_provider_api_web;
mod billing_provider_refund_web;
mod billing_providers_web;
mod billing_query_web;
mod billing_reconciliation_web;
mod billing_refund_web;
mod billing_replace_web;
mod billing_shapes_web;
mod billing_statement_web;
mod billing_web;
mod booking_web;
mod capacity_move;
mod complaint_attachments;
mod complaint_categories;
mod complaint_console;
mod complaint_goodwill;
mod complaint_pages;
mod complaint_part;
mod complaint_policies;
mod complaint_wechat;
mod consent_web;
mod console;
mod contention;
mod demo_clock;
mod desk_web;
mod guarantee_web;
mod hardening;
mod headers;
mod idempotency;
mod job_web;
mod labels;
mod notify;
mod pickup_web;
mod privacy_answers_web;
mod privacy_pages_web;
mod privacy_reveal_web;
mod privacy_rights_web;
mod quality_audit_web;
mod repair_order_web;
mod search;
mod sign_in_codes_web;
