//! The registry of every kind the product has. Kept apart from the `Handler` trait
//! so that handlers, which implement the trait, and the list of them do not import
//! each other.

use super::handler::Registry;

impl Registry {
    /// Every kind the product has: outbox delivery, the probe, campaigns. A new kind is
    /// registered here.
    pub fn standard() -> Registry {
        let mut r = Registry::new();
        r.register(store::outbox::DELIVERY_JOB, crate::notify::Delivery);
        r.register(super::probe::KIND, super::probe::Probe);
        r.register(super::checkpoint::KIND, super::checkpoint::Checkpoint);
        r.register(crate::idempotency::PURGE_KIND, crate::idempotency::Purge);
        r.register(crate::billing::watch::KIND, crate::billing::query::Query);
        r.register(
            crate::billing::provider_refund::KIND,
            crate::billing::provider_refund::ProviderRefund,
        );
        r.register(
            crate::billing::nightly::KIND,
            crate::billing::nightly::Nightly,
        );
        r.register(crate::campaign::KIND, crate::campaign::Send);
        r.register(
            crate::privacy::retention::KIND,
            crate::privacy::retention::Purge,
        );
        r.register(
            crate::privacy::request::ESCALATE_KIND,
            crate::privacy::request::Escalate,
        );
        r.register(
            crate::guarantee::request::KIND,
            crate::guarantee::request::Due,
        );
        r.register(crate::complaint::clock::KIND, crate::complaint::clock::Tick);
        r.register(
            crate::calendar::plan_end::KIND,
            crate::calendar::plan_end::PlanEnd,
        );
        r.register(
            crate::survey::AFTER_DELIVERY_KIND,
            crate::survey::AfterDelivery,
        );
        r.register(crate::survey::alert::KIND, crate::survey::alert::Tick);
        r.register(
            crate::survey::sample::KIND,
            crate::survey::sample::MonthlySample,
        );
        r.register(crate::kpi::stars::KIND, crate::kpi::stars::Quarterly);
        r.register(
            crate::quality_audit::action::KIND,
            crate::quality_audit::action::Due,
        );
        r
    }
}
