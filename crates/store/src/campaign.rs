//! Marketing campaigns: who of a station a campaign message goes to.

use crate::error::StoreResult;
use sqlx::{AnyConnection, Row};

/// A customer a campaign message is queued for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// Customer id.
    pub customer_id: i64,
    /// Their phone (the outbox's recipient).
    pub phone: String,
    /// Their chosen channel code.
    pub channel: String,
}

/// Every customer of a station, by id (at most `limit`). Consent is not asked here:
/// the delivery asks the ledger at send time, so a message to someone who did not
/// consent is recorded as suppressed rather than silently left out.
pub async fn recipients(
    conn: &mut AnyConnection,
    station_id: i64,
    limit: i64,
) -> StoreResult<Vec<Recipient>> {
    let rows = sqlx::query(
        "SELECT id, phone, channel FROM customers WHERE station_id = $1 ORDER BY id LIMIT $2",
    )
    .bind(station_id)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Recipient {
                customer_id: r.try_get("id")?,
                phone: r.try_get("phone")?,
                channel: r.try_get("channel")?,
            })
        })
        .collect()
}
