//! The SMS and WeChat messages of an escalation (issue 10 item 3): called by the
//! clock's timer in the transaction that writes the notice, once per escalation step.
//! Each person of the level gets one message per kind their record supports
//! (`domain::complaint::escalation::kinds`), keyed so a re-run queues nothing twice.
//! Bodies carry no whole personal data: the customer's family name only, no numbers.

use crate::AppResult;
use domain::complaint::escalation::{Body, dedupe_key, kinds};
use domain::permission::Reach;
use sqlx::AnyConnection;
use store::complaint::ComplaintRow;

/// The outbox template of an escalation message.
pub const TEMPLATE: &str = "complaint_escalation";

/// Queues the SMS and WeChat messages of one escalation step to the people of
/// `level`; returns how many were queued now (0 when a re-run found them queued).
pub(crate) async fn queue(
    conn: &mut AnyConnection,
    c: &ComplaintRow,
    timer_key: &str,
    level: &str,
    stage: &str,
    step: &str,
    now: i64,
) -> AppResult<usize> {
    let people =
        store::complaint::notice::recipients(conn, level, c.station_id, c.region_id).await?;
    if people.is_empty() {
        return Ok(0);
    }
    let customer = match c.customer_id {
        Some(id) => store::customer::get(conn, &Reach::All, id)
            .await
            .ok()
            .map(|x| x.name),
        None => None,
    };
    let station = store::network::station(conn, &Reach::All, c.station_id)
        .await
        .ok()
        .map(|s| s.name_zh);
    let body = Body::new(
        c.id,
        stage,
        step,
        level,
        station,
        customer.as_deref(),
        &c.category,
        &c.severity,
    );
    let payload =
        serde_json::to_value(&body).map_err(|e| crate::AppError::Internal(e.to_string()))?;
    let mut queued = 0;
    for p in people {
        for (kind, address) in kinds(&p.phone, p.wechat_id.as_deref()) {
            let key = dedupe_key(timer_key, level, kind, p.staff_id);
            if store::outbox::enqueue(
                conn,
                &key,
                kind.code(),
                &address,
                None,
                TEMPLATE,
                &payload,
                now,
            )
            .await?
            {
                queued += 1;
            }
        }
    }
    Ok(queued)
}
