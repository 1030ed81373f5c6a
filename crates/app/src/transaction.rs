//! The use cases' side of the one transaction runner ([`store::transaction`]): a use
//! case hands its whole transaction to [`run`] as a closure, which runs it again on a
//! deadlock, serialization failure or busy database and answers [`AppError::Busy`]
//! (503 with `Retry-After`) when it keeps losing.
//!
//! Lock order for slots: by station, then slot start, bay row before technician rows
//! ([`store::capacity::lock`]). A use case that changes slot counters locks every slot
//! it will touch — old and new ones alike — in that order before it reads the counts.

use crate::{App, AppError, AppResult};
use std::future::Future;
pub use store::transaction::{ATTEMPTS, RETRY_AFTER_SECS};

/// The use cases that run through the runner, by the name their counters carry: every
/// transaction of `crates/app` runs through [`run`] (or [`store::Db::run`]) with one of
/// these names (`tests/architecture.rs` checks both).
pub const USE_CASES: &[&str] = &[
    "appointment.book",
    "appointment.cancel",
    "appointment.issue",
    "appointment.no_show",
    "appointment.reschedule",
    "appointment.revoke_owner_token",
    "auth.create_token",
    "auth.request_owner_code",
    "billing.callback",
    "billing.callback_row",
    "billing.issue",
    "billing.nightly_arm",
    "billing.owner_start_online",
    "billing.pay_at_desk",
    "billing.query_answer",
    "billing.refund",
    "billing.refund_answer",
    "billing.refund_notice",
    "billing.replaced_closed",
    "billing.start_online",
    "billing.statement_save",
    "calendar.ensure_holidays",
    "calendar.ensure_plan_warning",
    "calendar.replace_plan",
    "campaign.start",
    "capacity.publish",
    "complaint.act",
    "complaint.analyse",
    "complaint.attach",
    "complaint.category_add",
    "complaint.category_rename",
    "complaint.category_retire",
    "complaint.change_severity",
    "complaint.file",
    "complaint.follow_up",
    "complaint.goodwill",
    "complaint.goodwill_limits",
    "complaint.name_part",
    "complaint.pause",
    "complaint.publish_policy",
    "complaint.reassign",
    "complaint.respond",
    "complaint.zero",
    "customer.create",
    "customer.identify",
    "customer.reveal",
    "customer.update",
    "demo.clock",
    "demo.reconcile",
    "estimate.add_line",
    "estimate.approve",
    "estimate.decline",
    "estimate.owner_decide",
    "estimate.reoffer",
    "export.export",
    "export.refused",
    "follow_up.complete",
    "guarantee.add_excluded",
    "guarantee.classify",
    "guarantee.file_request",
    "guarantee.remove_excluded",
    "guarantee.request_step",
    "guarantee.set_clock",
    "guarantee.set_delivered_on",
    "guarantee.set_fade_promise",
    "guarantee.record_battery_check",
    "guarantee.set_exclusion",
    "guarantee.set_policy",
    "guarantee.main_part_add",
    "guarantee.main_part_change",
    "idempotency.claim",
    "idempotency.finish",
    "import.batch",
    "import.done",
    "job.acknowledge_alert",
    "job.arm_many",
    "job.change",
    "job.checkpoint_arm",
    "job.complete",
    "job.retry_alert",
    "kpi.rebuild",
    "kpi.stars_arm",
    "kpi.stars_publish",
    "kpi.stars_run",
    "labour.upsert_operation",
    "network.change_station_status",
    "network.create_mobile_unit",
    "network.create_region",
    "network.create_station",
    "network.update_station",
    "part.upsert",
    "people.add_certificate",
    "people.create_staff",
    "people.reveal_phone",
    "people.reveal_refused",
    "people.update_staff",
    "pickup.add_photo",
    "pickup.assign_driver",
    "pickup.cancel",
    "pickup.confirm",
    "pickup.confirm_by_owner",
    "pickup.reveal_address",
    "pickup.reveal_refused",
    "pickup.schedule_as",
    "pickup.set_checklist",
    "privacy.audit_export",
    "privacy.consent_change",
    "privacy.enumeration",
    "privacy.export",
    "privacy.record_attempt",
    "privacy.request_answer",
    "privacy.request_file",
    "privacy.retention",
    "quality_audit.action_step",
    "quality_audit.answer",
    "quality_audit.photo",
    "quality_audit.publish_checklist",
    "quality_audit.rate_depot",
    "quality_audit.start",
    "quality_audit.submit",
    "rating.rate_at_desk",
    "rating.rate_by_owner",
    "repair_order.assign_technician",
    "repair_order.check",
    "repair_order.classify_concern",
    "repair_order.complete_stage",
    "repair_order.fit_part",
    "repair_order.issue_owner_link",
    "repair_order.open_from_appointment",
    "repair_order.open_walk_in",
    "repair_order.revoke_owner_link",
    "repair_order.set_applicable",
    "repair_order.start_stage",
    "repair_order.work",
    "stage_standard.publish",
    "survey.call",
    "survey.close_alert",
    "survey.demo",
    "survey.ensure_questionnaire",
    "survey.owner_answer",
    "survey.publish",
    "survey.start_sample",
    "vehicle.add_reading",
    "vehicle.create",
    "vehicle.transfer",
    "vehicle.update",
];

/// Runs one use case's transaction through the runner (see the module doc).
pub(crate) async fn run<T, F, Fut>(app: &App, use_case: &'static str, attempt: F) -> AppResult<T>
where
    F: FnMut(store::Tx) -> Fut,
    Fut: Future<Output = Result<(store::Tx, T), AppError>>,
{
    app.db.run(use_case, attempt).await
}

/// Describes the runner's counters and starts them at zero for every use case.
pub(crate) fn describe_metrics() {
    metrics::describe_counter!(
        "db_transaction_retries_total",
        "Transactions run again after a deadlock, serialization failure or busy database, by use case"
    );
    metrics::describe_counter!(
        "db_transaction_give_ups_total",
        "Transactions given up after every attempt lost (answered 503), by use case"
    );
    for &use_case in USE_CASES {
        metrics::counter!("db_transaction_retries_total", "use_case" => use_case).increment(0);
        metrics::counter!("db_transaction_give_ups_total", "use_case" => use_case).increment(0);
    }
}
