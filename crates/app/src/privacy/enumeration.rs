//! A caller lookup over the rate is a possible enumeration (someone trying the
//! fillings of a masked number). A log line alone reaches nobody, so the refusal also
//! counts `privacy_enumeration_suspected_total{role}` for the alerting rules and
//! queues one notice for the privacy officer through the outbox (template
//! [`NOTICE_TEMPLATE`]), at most one per person and rate window: the audit log holds
//! every refused attempt, the officer needs to hear of the pattern once.

use crate::{App, AppResult, actor};
use domain::permission::Grant;
use domain::privacy::lookup::IDENTIFY_WINDOW_MS;
use store::audit::AuditRow;

/// The outbox template of the privacy officer's notice. Its payload names the person
/// (role, kind, id) and how many lookups they made, never a number they looked up.
pub const NOTICE_TEMPLATE: &str = "privacy_enumeration_notice";

/// The recipient of the notice: the privacy officers' desk at the gateway (as
/// complaint notices go to a role, not to one person's phone).
pub const NOTICE_RECIPIENT: &str = "privacy_officer";

/// Describes the counter and starts it at zero, so an alert rule sees the series
/// before the first refusal.
pub fn describe_metrics() {
    metrics::describe_counter!(
        "privacy_enumeration_suspected_total",
        "Caller lookups refused over the rate (possible enumeration of phone numbers), by role"
    );
    metrics::counter!("privacy_enumeration_suspected_total", "role" => "none").increment(0);
}

/// Records a refused caller lookup as a suspected enumeration, in one transaction:
/// the `identify_refused` audit row and the officer's notice (one per person and
/// window; a second refusal in the same window adds only its audit row). `made` is
/// how many lookups the person made in the window. Then counts the metric.
pub(crate) async fn suspected(app: &App, grant: &Grant, made: i64) -> AppResult<()> {
    let p = grant.principal();
    let now = app.now_ms();
    let key = format!(
        "privacy-enumeration:{}:{}:{}",
        p.kind.code(),
        p.id,
        now / IDENTIFY_WINDOW_MS
    );
    let payload = serde_json::json!({
        "role": p.role.code(),
        "actor_kind": p.kind.code(),
        "actor_id": p.id,
        "lookups": made,
        "window_minutes": IDENTIFY_WINDOW_MS / 60_000,
        "at": now,
    });
    let (key, payload) = (&key, &payload);
    let queued = crate::transaction::run(app, "privacy.enumeration", move |mut tx| async move {
        let row = AuditRow {
            action: "identify_refused",
            entity: "customer",
            entity_id: 0,
            field: "phone",
            reason: "rate",
            row_count: None,
        };
        store::audit::insert(&mut tx, now, actor(grant), row).await?;
        let queued = store::outbox::enqueue(
            &mut tx,
            key,
            "webhook",
            NOTICE_RECIPIENT,
            None,
            NOTICE_TEMPLATE,
            payload,
            now,
        )
        .await?;
        Ok((tx, queued))
    })
    .await?;
    if queued {
        app.wake_jobs();
    }
    metrics::counter!("privacy_enumeration_suspected_total", "role" => p.role.code()).increment(1);
    Ok(())
}
