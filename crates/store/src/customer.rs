//! Customers: contact data, preferences, consent.

use crate::error::{StoreError, StoreResult};
use crate::privacy::consent::latest_consent;
use crate::query::{
    Bind, FRAGMENT_MIN_CHARS, SEARCH_CANDIDATES, contains, fts_literal, is_postgres, like, page_of,
    prefix_end, searched_page, starts_with,
};
use crate::scope::owned_filter;
use crate::{Page, Paged};
use domain::permission::Reach;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};
use std::collections::HashMap;

/// A customer as shown: phone and ID number masked.
#[derive(Debug, Clone, Serialize)]
pub struct Customer {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Masked phone, 138****5678.
    pub phone: String,
    /// Masked ID number, if kept.
    pub id_number: Option<String>,
    /// Station of record.
    pub station_id: i64,
    /// Preferred channel code.
    pub channel: String,
    /// Quiet hours `22:00-08:00`, if set.
    pub quiet_hours: Option<String>,
    /// Consents to service messages: the ledger's latest service-contact entry.
    pub consent_service: bool,
    /// Consents to marketing: the ledger's latest marketing entry.
    pub consent_marketing: bool,
    /// Loyalty club member.
    pub club_member: bool,
    /// Created, UTC ms.
    pub created_at: i64,
}

/// Fields of a new or changed customer, already checked.
#[derive(Debug, Clone)]
pub struct CustomerFields {
    /// Name.
    pub name: String,
    /// E.164 phone.
    pub phone: String,
    /// Resident ID number, if given.
    pub id_number: Option<String>,
    /// Station of record.
    pub station_id: i64,
    /// Channel code.
    pub channel: String,
    /// Quiet hours text.
    pub quiet_hours: Option<String>,
    /// Service consent.
    pub consent_service: bool,
    /// Marketing consent.
    pub consent_marketing: bool,
}

/// The two consent answers come from the consent ledger (its latest entry per purpose;
/// no entry is no), never from the deprecated `customers.consent_*` columns (0028).
const COLS: &str = concat!(
    "c.id, c.name, c.phone, c.id_number, c.station_id, c.channel, c.quiet_hours, ",
    latest_consent!("c.id", "'service_contact'"),
    " AS consent_service, ",
    latest_consent!("c.id", "'marketing'"),
    " AS consent_marketing, c.club_member, c.created_at"
);

fn from_row(r: &AnyRow) -> Result<Customer, sqlx::Error> {
    let phone: String = r.try_get("phone")?;
    let id_number: Option<String> = r.try_get("id_number")?;
    Ok(Customer {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        phone: domain::phone::Phone::parse(&phone)
            .map(|p| p.masked())
            .unwrap_or_else(|_| domain::mask::mask_middle(&phone, 3, 4)),
        id_number: id_number.map(|s| domain::mask::mask_id_number(&s)),
        station_id: r.try_get("station_id")?,
        channel: r.try_get("channel")?,
        quiet_hours: r.try_get("quiet_hours")?,
        consent_service: r.try_get::<i64, _>("consent_service")? != 0,
        consent_marketing: r.try_get::<i64, _>("consent_marketing")? != 0,
        club_member: r.try_get::<i64, _>("club_member")? != 0,
        created_at: r.try_get("created_at")?,
    })
}

/// Creates a customer.
pub async fn insert(conn: &mut AnyConnection, f: &CustomerFields, now: i64) -> StoreResult<i64> {
    let r = sqlx::query(
        "INSERT INTO customers (name, phone, id_number, station_id, channel, quiet_hours, consent_service, consent_marketing, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id",
    )
    .bind(&f.name)
    .bind(&f.phone)
    .bind(f.id_number.as_deref())
    .bind(f.station_id)
    .bind(&f.channel)
    .bind(f.quiet_hours.as_deref())
    .bind(f.consent_service as i64)
    .bind(f.consent_marketing as i64)
    .bind(now)
    .fetch_one(conn)
    .await
    .map_err(StoreError::unique_as("phone"))?;
    Ok(r.try_get(0)?)
}

/// Changes a customer within reach.
pub async fn update(conn: &mut AnyConnection, id: i64, f: &CustomerFields) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE customers SET name=$1, phone=$2, id_number=$3, station_id=$4, channel=$5, quiet_hours=$6, consent_service=$7, \
         consent_marketing=$8 WHERE id=$9",
    )
    .bind(&f.name)
    .bind(&f.phone)
    .bind(f.id_number.as_deref())
    .bind(f.station_id)
    .bind(&f.channel)
    .bind(f.quiet_hours.as_deref())
    .bind(f.consent_service as i64)
    .bind(f.consent_marketing as i64)
    .bind(id)
    .execute(conn)
    .await
    .map_err(StoreError::unique_as("phone"))?;
    if done.rows_affected() == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

fn scope(reach: &Reach, n: usize) -> (String, Option<i64>) {
    owned_filter(reach, "c.station_id", "s.region_id", Some("c.id"), n)
}

/// How a message reaches a customer (never shown: the whole phone number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// Whole phone number.
    pub phone: String,
    /// Channel they chose (`wechat`, `sms`).
    pub channel: String,
    /// Their quiet hours (`22:00-08:00`), if set.
    pub quiet_hours: Option<String>,
}

/// A customer's [`Contact`], in one light read: what a batch sending thousands of
/// messages needs, without the customer row's consent subqueries.
pub async fn contact(conn: &mut AnyConnection, id: i64) -> StoreResult<Contact> {
    let row = sqlx::query("SELECT phone, channel, quiet_hours FROM customers WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(Contact {
        phone: row.try_get("phone")?,
        channel: row.try_get("channel")?,
        quiet_hours: row.try_get("quiet_hours")?,
    })
}

/// The [`Contact`] of each of `ids` whose latest consent-ledger entry for `purpose`
/// is a yes (the rule of `privacy::consent::granted`); the others are left out. One
/// statement per thousand customers: what a batch inviting thousands reads up front
/// instead of a consent check and a contact read per message.
pub async fn consenting_contacts(
    conn: &mut AnyConnection,
    ids: &[i64],
    purpose: &str,
) -> StoreResult<HashMap<i64, Contact>> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(1000) {
        // The purpose is `$1` and the ids follow, in the order the placeholders appear:
        // SQLite numbers `$n` by first appearance.
        let list = (2..=chunk.len() + 1)
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!(
            concat!(
                "SELECT c.id, c.phone, c.channel, c.quiet_hours FROM customers c WHERE ",
                latest_consent!("c.id", "$1"),
                " <> 0 AND c.id IN ({list})"
            ),
            list = list
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(purpose);
        for id in chunk {
            q = q.bind(*id);
        }
        for row in q.fetch_all(&mut *conn).await? {
            out.insert(
                row.try_get("id")?,
                Contact {
                    phone: row.try_get("phone")?,
                    channel: row.try_get("channel")?,
                    quiet_hours: row.try_get("quiet_hours")?,
                },
            );
        }
    }
    Ok(out)
}

/// One customer within reach.
pub async fn get(conn: &mut AnyConnection, reach: &Reach, id: i64) -> StoreResult<Customer> {
    let (cond, val) = scope(reach, 2);
    let sql = format!(
        "SELECT {COLS} FROM customers c JOIN stations s ON s.id = c.station_id WHERE c.id = $1 AND {cond}"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(id);
    if let Some(v) = val {
        q = q.bind(v);
    }
    let row = q.fetch_optional(conn).await?.ok_or(StoreError::NotFound)?;
    Ok(from_row(&row)?)
}

/// The whole phone and ID number of a customer within reach (the caller audits).
pub async fn reveal(
    conn: &mut AnyConnection,
    reach: &Reach,
    id: i64,
) -> StoreResult<(String, Option<String>)> {
    let (cond, val) = scope(reach, 2);
    let sql = format!(
        "SELECT c.phone, c.id_number FROM customers c JOIN stations s ON s.id = c.station_id WHERE c.id = $1 AND {cond}"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(id);
    if let Some(v) = val {
        q = q.bind(v);
    }
    let row = q.fetch_optional(conn).await?.ok_or(StoreError::NotFound)?;
    Ok((row.try_get("phone")?, row.try_get("id_number")?))
}

/// Customer id by whole phone (E.164), for owner sign-in.
pub async fn id_by_phone(conn: &mut AnyConnection, phone: &str) -> StoreResult<Option<i64>> {
    let row = sqlx::query("SELECT id FROM customers WHERE phone = $1")
        .bind(phone)
        .fetch_optional(conn)
        .await?;
    row.map(|r| r.try_get(0)).transpose().map_err(Into::into)
}

/// Filter for the customer list. There is no way to search by a whole number here:
/// a list search finds names and the visible tail of a number only (issue 21).
#[derive(Debug, Clone, Default)]
pub struct CustomerSearch {
    /// A fragment of the name (its start when shorter than three characters).
    pub name: Option<String>,
    /// The last four digits of the phone.
    pub tail: Option<String>,
    /// Station id.
    pub station_id: Option<i64>,
}

/// Customers within reach whose phone is exactly `phone` (E.164): the audited caller
/// lookup, never a list search.
pub async fn by_phone(
    conn: &mut AnyConnection,
    reach: &Reach,
    phone: &str,
) -> StoreResult<Vec<Customer>> {
    let (cond, val) = scope(reach, 2);
    let sql = format!(
        "SELECT {COLS} FROM customers c JOIN stations s ON s.id = c.station_id WHERE c.phone = $1 AND {cond} ORDER BY c.id"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(phone);
    if let Some(v) = val {
        q = q.bind(v);
    }
    let rows = q.fetch_all(conn).await?;
    rows.iter().map(|r| Ok(from_row(r)?)).collect()
}

/// The customers of `ids` within reach (at most 200; a list page's owners), in no
/// particular order; ids out of reach or unknown are left out.
pub async fn by_ids(
    conn: &mut AnyConnection,
    reach: &Reach,
    ids: &[i64],
) -> StoreResult<Vec<Customer>> {
    let mut ids: Vec<i64> = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    ids.truncate(200);
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let (cond, val) = scope(reach, ids.len() + 1);
    let marks: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT {COLS} FROM customers c JOIN stations s ON s.id = c.station_id WHERE c.id IN ({}) AND {cond}",
        marks.join(",")
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for id in &ids {
        q = q.bind(*id);
    }
    if let Some(v) = val {
        q = q.bind(v);
    }
    let rows = q.fetch_all(conn).await?;
    rows.iter().map(|r| Ok(from_row(r)?)).collect()
}

/// The orders a person may choose for the customer list: (key, column).
pub const CUSTOMER_ORDERS: &[(&str, &str)] = &[
    ("name", "c.name"),
    ("station", "c.station_id"),
    ("created", "c.created_at"),
];

/// Customers within reach, filtered and paged (newest first).
pub async fn list(
    conn: &mut AnyConnection,
    reach: &Reach,
    f: &CustomerSearch,
    page: Page,
) -> StoreResult<Paged<Customer>> {
    list_ordered(conn, reach, f, page, None).await
}

/// [`list`] in the order a person chose (one of [`CUSTOMER_ORDERS`], then the default order);
/// with none, an exact name first, then newest first.
pub async fn list_ordered(
    conn: &mut AnyConnection,
    reach: &Reach,
    f: &CustomerSearch,
    page: Page,
    chosen: Option<crate::query::Order>,
) -> StoreResult<Paged<Customer>> {
    let mut binds = Vec::new();
    let (cond, val) = scope(reach, 1);
    let mut conds = vec![cond];
    if let Some(v) = val {
        binds.push(Bind::I(v));
    }
    if let Some(tail) = &f.tail {
        // The expression of the index `customers_phone_tail` (migration 0022).
        let expr = if is_postgres(conn) {
            "right(c.phone, 4)"
        } else {
            "substr(c.phone, -4)"
        };
        conds.push(format!("{expr} = ${}", binds.len() + 1));
        binds.push(Bind::S(tail.clone()));
    }
    if let Some(sid) = f.station_id {
        conds.push(format!("c.station_id = ${}", binds.len() + 1));
        binds.push(Bind::I(sid));
    }
    let from = "FROM customers c JOIN stations s ON s.id = c.station_id";
    let Some(name) = f.name.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
        let order = chosen.map_or_else(|| "c.id DESC".to_string(), |o| o.sql("c.id DESC"));
        let where_ = conds.join(" AND ");
        return page_of(conn, COLS, from, &where_, &order, &binds, page, from_row).await;
    };
    // The region scope needs the station's region; the others read the customer only.
    let join = if matches!(reach, Reach::Region(_)) {
        "JOIN stations s ON s.id = c.station_id"
    } else {
        ""
    };
    let (cand, exact) = name_candidates(conn, name, &conds.join(" AND "), join, &mut binds);
    searched_page(
        conn,
        (COLS, from, "c.id"),
        (&cand, &exact),
        &binds,
        page,
        chosen,
        |x| x.id,
        from_row,
    )
    .await
}

/// The candidates of a name search, `(id, exact)` (for [`searched_page`]), and the
/// condition of an exact name, binding what they need; `within` holds the scope and
/// the list's filters, `join` the stations when `within` needs their region. A
/// fragment of three characters or more is found anywhere in the name (the trigram
/// indexes of migration 0022), a shorter one at its start (a family name). Bounded by
/// [`SEARCH_CANDIDATES`], so a family name shared by a tenth of the network costs
/// what a rare name costs.
fn name_candidates(
    conn: &AnyConnection,
    name: &str,
    within: &str,
    join: &str,
    binds: &mut Vec<Bind>,
) -> (String, String) {
    let n = binds.len() + 1;
    let exact = format!("c.name = ${n}");
    binds.push(Bind::S(name.to_string()));
    let short = name.chars().count() < FRAGMENT_MIN_CHARS;
    let marked = format!("SELECT c.id AS id, CASE WHEN {exact} THEN 1 ELSE 0 END AS exact");
    let cand = if short && is_postgres(conn) {
        // `LIKE 'q%'` is what the `text_pattern_ops` index serves.
        binds.push(starts_with(name));
        format!(
            "{marked} FROM customers c {join} WHERE {within} AND {} LIMIT {SEARCH_CANDIDATES}",
            like("c.name", n + 1)
        )
    } else if short {
        binds.push(Bind::S(prefix_end(name)));
        format!(
            "{marked} FROM customers c {join} WHERE {within} AND c.name >= ${n} AND c.name < ${} \
             LIMIT {SEARCH_CANDIDATES}",
            n + 1
        )
    } else if is_postgres(conn) {
        binds.push(contains(name));
        format!(
            "{marked} FROM customers c {join} WHERE {within} AND ({exact} OR {}) LIMIT {SEARCH_CANDIDATES}",
            like("c.name", n + 1)
        )
    } else {
        binds.push(Bind::S(fts_literal(name)));
        format!(
            "SELECT c.id AS id, 1 AS exact FROM customers c {join} WHERE {within} AND {exact} UNION ALL \
             SELECT c.id, 0 FROM customer_search CROSS JOIN customers c ON c.id = customer_search.rowid {join} \
             WHERE customer_search MATCH ${} AND {within} LIMIT {SEARCH_CANDIDATES}",
            n + 1
        )
    };
    (cand, exact)
}
