//! The consent ledger (migration 17): entries are only ever inserted (an update is
//! refused by a trigger); the current state of a purpose is its latest entry. The
//! customers' `consent_service` / `consent_marketing` flags are kept as a projection
//! of the latest service-contact and marketing entries, written with each entry.

use crate::error::StoreResult;
use crate::event::Actor;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// One ledger entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentEntry {
    /// Id (ledger order).
    pub id: i64,
    /// Customer.
    pub customer_id: i64,
    /// Purpose code (`service_contact`, `marketing`, `surveys`, `data_sharing`).
    pub purpose: String,
    /// Given (`true`) or withdrawn.
    pub granted: bool,
    /// Source code (`desk`, `owner_phone`, `call`, `import`, `legacy`).
    pub source: String,
    /// Evidence (empty for `legacy`).
    pub evidence: String,
    /// `person`, `token` or `system`.
    pub actor_kind: String,
    /// Role code of who recorded it.
    pub actor_role: String,
    /// Id of who recorded it.
    pub actor_id: i64,
    /// When, UTC ms.
    pub at: i64,
}

/// What one new entry says.
#[derive(Debug, Clone, Copy)]
pub struct NewEntry<'a> {
    /// Customer.
    pub customer_id: i64,
    /// Purpose code.
    pub purpose: &'a str,
    /// Given or withdrawn.
    pub granted: bool,
    /// Source code.
    pub source: &'a str,
    /// Evidence.
    pub evidence: &'a str,
}

/// The consent rule in SQL, written once for every statement that needs it: 1 when the
/// latest ledger entry of `purpose` for the customer whose id is the SQL expression
/// `customer` is a yes, else 0 (no entry is no). Both arguments are SQL text given as
/// literals (a column, a quoted code or a placeholder), so the fragment can sit inside
/// a `const` or a format string; it reads through the ledger's
/// `(customer_id, purpose, id)` index.
macro_rules! latest_consent {
    ($customer:literal, $purpose:literal) => {
        concat!(
            "COALESCE((SELECT ce.granted FROM consent_entries ce WHERE ce.customer_id = ",
            $customer,
            " AND ce.purpose = ",
            $purpose,
            " ORDER BY ce.id DESC LIMIT 1), 0)"
        )
    };
}
pub(crate) use latest_consent;

const COLS: &str =
    "id, customer_id, purpose, granted, source, evidence, actor_kind, actor_role, actor_id, at";

fn from_row(r: &AnyRow) -> Result<ConsentEntry, sqlx::Error> {
    Ok(ConsentEntry {
        id: r.try_get("id")?,
        customer_id: r.try_get("customer_id")?,
        purpose: r.try_get("purpose")?,
        granted: r.try_get::<i64, _>("granted")? != 0,
        source: r.try_get("source")?,
        evidence: r.try_get("evidence")?,
        actor_kind: r.try_get("actor_kind")?,
        actor_role: r.try_get("actor_role")?,
        actor_id: r.try_get("actor_id")?,
        at: r.try_get("at")?,
    })
}

/// Appends one entry, and keeps the customer's old flag in step for the two purposes
/// that have one.
pub async fn append(
    conn: &mut AnyConnection,
    at: i64,
    actor: Actor<'_>,
    e: NewEntry<'_>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO consent_entries (customer_id, purpose, granted, source, evidence, actor_kind, actor_role, actor_id, at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
    )
    .bind(e.customer_id)
    .bind(e.purpose)
    .bind(e.granted as i64)
    .bind(e.source)
    .bind(e.evidence)
    .bind(actor.kind)
    .bind(actor.role)
    .bind(actor.id)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    let flag = match e.purpose {
        "service_contact" => "UPDATE customers SET consent_service = $1 WHERE id = $2",
        "marketing" => "UPDATE customers SET consent_marketing = $1 WHERE id = $2",
        _ => return Ok(()),
    };
    sqlx::query(flag)
        .bind(e.granted as i64)
        .bind(e.customer_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records what the old yes/no form fields say as entries: service contact and
/// surveys from the service flag (it always covered both), marketing from the
/// marketing flag. Used where customers are created or imported with the flags.
#[allow(clippy::too_many_arguments)]
pub async fn append_flags(
    conn: &mut AnyConnection,
    at: i64,
    actor: Actor<'_>,
    customer_id: i64,
    service: bool,
    marketing: bool,
    source: &str,
    evidence: &str,
) -> StoreResult<()> {
    for (purpose, granted) in [
        ("service_contact", service),
        ("surveys", service),
        ("marketing", marketing),
    ] {
        let e = NewEntry {
            customer_id,
            purpose,
            granted,
            source,
            evidence,
        };
        append(conn, at, actor, e).await?;
    }
    Ok(())
}

/// A customer's whole ledger, oldest first.
pub async fn for_customer(
    conn: &mut AnyConnection,
    customer_id: i64,
) -> StoreResult<Vec<ConsentEntry>> {
    let sql = format!("SELECT {COLS} FROM consent_entries WHERE customer_id = $1 ORDER BY id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(customer_id)
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Whether the latest entry of `purpose` for the customer is a yes (no entry: no).
pub async fn granted(
    conn: &mut AnyConnection,
    customer_id: i64,
    purpose: &str,
) -> StoreResult<bool> {
    let r: i64 = sqlx::query_scalar(concat!("SELECT ", latest_consent!("$1", "$2")))
        .bind(customer_id)
        .bind(purpose)
        .fetch_one(conn)
        .await?;
    Ok(r != 0)
}

/// [`granted`] for every owner of a car of station `station_id` at once: the
/// customers whose latest entry of `purpose` is a yes (one query instead of one per
/// customer, for the network simulator's batches).
pub async fn granted_among_station_owners(
    conn: &mut AnyConnection,
    station_id: i64,
    purpose: &str,
) -> StoreResult<Vec<i64>> {
    Ok(sqlx::query_scalar(concat!(
        "SELECT DISTINCT v.owner_id FROM vehicles v WHERE v.station_id = $1 AND ",
        latest_consent!("v.owner_id", "$2"),
        " <> 0"
    ))
    .bind(station_id)
    .bind(purpose)
    .fetch_all(conn)
    .await?)
}

/// The highest customer id now: taken before a bulk insert so that
/// [`append_flags_after`] finds the customers it created.
pub async fn last_customer_id(conn: &mut AnyConnection) -> StoreResult<i64> {
    let r: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM customers")
        .fetch_one(conn)
        .await?;
    Ok(r.unwrap_or(0))
}

/// Records the flags of every customer above id `after` that has no ledger entry yet
/// (a bulk insert by an import or the demo) as entries from `source`, by the system:
/// service contact and surveys from the service flag, marketing from its own.
pub async fn append_flags_after(
    conn: &mut AnyConnection,
    after: i64,
    source: &str,
    evidence: &str,
    at: i64,
) -> StoreResult<u64> {
    let mut n = 0;
    for (purpose, flag) in [
        ("service_contact", "consent_service"),
        ("surveys", "consent_service"),
        ("marketing", "consent_marketing"),
    ] {
        let sql = format!(
            "INSERT INTO consent_entries (customer_id, purpose, granted, source, evidence, actor_kind, actor_role, actor_id, at) \
             SELECT c.id, $1, c.{flag}, $2, $3, 'system', 'system', 0, $4 FROM customers c \
             WHERE c.id > $5 AND NOT EXISTS (SELECT 1 FROM consent_entries e WHERE e.customer_id = c.id AND e.purpose = $1) \
             ORDER BY c.id"
        );
        n += sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(purpose)
            .bind(source)
            .bind(evidence)
            .bind(at)
            .bind(after)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    Ok(n)
}
