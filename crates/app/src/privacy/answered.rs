//! What follows when head office answers an owner's correction or deletion request,
//! inside the answer's own transaction: the owner is told through the outbox (their
//! channel; a service message, so the ledger's service-contact purpose decides at send
//! time), and an erasure of their contact details withdraws, by new ledger entries,
//! every purpose that is not service contact (the ledger's history is never rewritten;
//! campaign and survey batches read the ledger and skip them from then on).

use crate::AppResult;
use domain::permission::Reach;
use domain::privacy::consent::{ConsentSource, WITHDRAWN_ON_ERASURE};
use sqlx::AnyConnection;
use store::event::Actor;

/// The outbox template of the message telling the owner their request was answered.
pub const TEMPLATE: &str = "privacy_request_answered";

/// Where the answer goes, read before an erasure removes it.
pub(crate) struct Contact {
    channel: String,
    phone: String,
}

/// The owner's channel and number as they stand now (before the answer erases them).
pub(crate) async fn contact(tx: &mut AnyConnection, customer_id: i64) -> AppResult<Contact> {
    let c = store::customer::get(tx, &Reach::All, customer_id).await?;
    let (phone, _) = store::appointment::customer_contact(tx, customer_id).await?;
    Ok(Contact {
        channel: c.channel,
        phone,
    })
}

/// Queues the message that request `id` of `kind` is now `state`. The text of the
/// answer is not copied into the outbox (it is personal data and the owner reads it on
/// their privacy page); the key is stable per request and state, so a retried
/// transaction queues it once.
pub(crate) async fn notify_owner(
    tx: &mut AnyConnection,
    to: &Contact,
    customer_id: i64,
    id: i64,
    kind: &str,
    state: &str,
    now: i64,
) -> AppResult<()> {
    store::outbox::enqueue(
        tx,
        &format!("privacy-request:{id}:{state}"),
        &to.channel,
        &to.phone,
        Some(customer_id),
        TEMPLATE,
        &serde_json::json!({
            "request_id": id, "kind": kind, "state": state, "link": "/owner/data",
        }),
        now,
    )
    .await?;
    Ok(())
}

/// Appends a withdrawal for every purpose in [`WITHDRAWN_ON_ERASURE`] the customer
/// still consents to, by `who`, naming request `id` as the evidence. Answers how many
/// entries were appended.
pub(crate) async fn withdraw_on_erasure(
    tx: &mut AnyConnection,
    now: i64,
    who: Actor<'_>,
    customer_id: i64,
    id: i64,
) -> AppResult<usize> {
    let evidence = format!("#{id}");
    let mut n = 0;
    for purpose in WITHDRAWN_ON_ERASURE {
        if !super::consent::allows_now(tx, customer_id, purpose).await? {
            continue;
        }
        let entry = store::privacy::consent::NewEntry {
            customer_id,
            purpose: purpose.code(),
            granted: false,
            source: ConsentSource::PrivacyRequest.code(),
            evidence: &evidence,
        };
        store::privacy::consent::append(tx, now, who, entry).await?;
        n += 1;
    }
    Ok(n)
}
