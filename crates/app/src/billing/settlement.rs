//! Settling a refund sent back through the provider: the one step that both the
//! refund job (a provider that answers at once) and the refund notice (WeChat Pay)
//! take, kept apart from both so neither needs the other.

use crate::AppResult;
use crate::shared::ORDER_ENTITY;
use sqlx::AnyConnection;
use store::billing::refund::RefundRow;
use store::event::Actor;

/// Moves a pending provider refund to `succeeded` or `failed` (giving the
/// reservation back), with an event on the order's timeline. Whether this call
/// changed it (false when another notice or answer settled it first).
pub(crate) async fn settle(
    tx: &mut AnyConnection,
    r: &RefundRow,
    state: &str,
    provider_refund_ref: &str,
    now: i64,
) -> AppResult<bool> {
    if !store::billing::refund::settle(tx, r.id, state, provider_refund_ref, now).await? {
        return Ok(false);
    }
    if state == "failed" {
        let credit = r.amount_fen - r.excess_fen;
        store::billing::refund::release(tx, r.bill_id, credit, r.excess_fen).await?;
    }
    let bill = store::billing::get(tx, r.bill_id).await?;
    store::event::record(
        tx,
        now,
        Actor::SYSTEM,
        ORDER_ENTITY,
        bill.repair_order_id,
        "refund_settled",
        &serde_json::json!({
            "bill_id": r.bill_id, "refund_id": r.id, "refund_ref": r.refund_ref,
            "provider": r.provider, "provider_refund_ref": provider_refund_ref,
            "amount_fen": r.amount_fen, "state": state,
        }),
        None,
    )
    .await?;
    Ok(true)
}
