//! Staff accounts and their certificates.

use crate::error::{StoreError, StoreResult};
use crate::query::{Bind, contains, like, page_of};
use crate::scope::station_filter;
use crate::{Page, Paged};
use domain::permission::Reach;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

/// A staff account as shown (no password hash).
#[derive(Debug, Clone, Serialize)]
pub struct Staff {
    /// Id.
    pub id: i64,
    /// Sign-in name.
    pub username: String,
    /// Display name.
    pub name: String,
    /// Role code.
    pub role: String,
    /// Station, for station roles.
    pub station_id: Option<i64>,
    /// Region: the region role's own, or the station's.
    pub region_id: Option<i64>,
    /// Phone, masked when serialised.
    pub phone: String,
    /// Whether the account may sign in.
    pub active: bool,
    /// WeChat id where escalations go by WeChat, masked like the phone (`wx****ng`).
    pub wechat_id: Option<String>,
}

/// A new staff account, checked by the domain; the password is already hashed.
#[derive(Debug, Clone)]
pub struct NewStaff {
    /// Sign-in name.
    pub username: String,
    /// Display name.
    pub name: String,
    /// Role code.
    pub role: String,
    /// Station for station roles.
    pub station_id: Option<i64>,
    /// Region for regional roles.
    pub region_id: Option<i64>,
    /// E.164 phone.
    pub phone: String,
    /// argon2 hash.
    pub password_hash: String,
}

const STAFF_COLS: &str = "st.id, st.username, st.name, st.role, st.station_id, COALESCE(st.region_id, s.region_id) AS region_id, st.phone, st.active, st.wechat_id";

fn staff_from(r: &AnyRow) -> Result<Staff, sqlx::Error> {
    let phone: String = r.try_get("phone")?;
    Ok(Staff {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        name: r.try_get("name")?,
        role: r.try_get("role")?,
        station_id: r.try_get("station_id")?,
        region_id: r.try_get("region_id")?,
        phone: domain::phone::Phone::parse(&phone)
            .map(|p| p.masked())
            .unwrap_or_else(|_| domain::mask::mask_middle(&phone, 3, 4)),
        active: r.try_get::<i64, _>("active")? != 0,
        wechat_id: r
            .try_get::<Option<String>, _>("wechat_id")?
            .map(|w| domain::wechat_id::masked(&w)),
    })
}

/// Creates a staff account.
pub async fn insert_staff(conn: &mut AnyConnection, s: &NewStaff, now: i64) -> StoreResult<i64> {
    let r = sqlx::query(
        "INSERT INTO staff (username, name, role, station_id, region_id, phone, password_hash, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
    )
    .bind(&s.username)
    .bind(&s.name)
    .bind(&s.role)
    .bind(s.station_id)
    .bind(s.region_id)
    .bind(&s.phone)
    .bind(&s.password_hash)
    .bind(now)
    .fetch_one(conn)
    .await
    .map_err(StoreError::unique_as("username"))?;
    Ok(r.try_get(0)?)
}

/// One staff account within reach.
pub async fn staff(conn: &mut AnyConnection, reach: &Reach, id: i64) -> StoreResult<Staff> {
    let (cond, val) = station_filter(
        reach,
        "st.station_id",
        "COALESCE(st.region_id, s.region_id)",
        2,
    );
    let sql = format!(
        "SELECT {STAFF_COLS} FROM staff st LEFT JOIN stations s ON s.id = st.station_id WHERE st.id = $1 AND {cond}"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(id);
    if let Some(v) = val {
        q = q.bind(v);
    }
    let row = q.fetch_optional(conn).await?.ok_or(StoreError::NotFound)?;
    Ok(staff_from(&row)?)
}

/// Filter for the staff list.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct StaffFilter {
    /// Words in username or name.
    pub q: Option<String>,
    /// Role code.
    pub role: Option<String>,
    /// Station id.
    pub station_id: Option<i64>,
}

/// The columns a staff list may be sorted by: (key, SQL column).
pub const STAFF_ORDERS: &[(&str, &str)] = &[
    ("username", "st.username"),
    ("name", "st.name"),
    ("role", "st.role"),
    ("station", "st.station_id"),
    ("region", "st.region_id"),
];

/// Staff within reach, filtered and paged.
pub async fn staff_list(
    conn: &mut AnyConnection,
    reach: &Reach,
    f: &StaffFilter,
    page: Page,
) -> StoreResult<Paged<Staff>> {
    staff_list_ordered(conn, reach, f, page, None).await
}

/// [`staff_list`] in the order a person chose (one of [`STAFF_ORDERS`]; by id when
/// none), ties by id.
pub async fn staff_list_ordered(
    conn: &mut AnyConnection,
    reach: &Reach,
    f: &StaffFilter,
    page: Page,
    order: Option<crate::query::Order>,
) -> StoreResult<Paged<Staff>> {
    let mut binds = Vec::new();
    let (cond, val) = station_filter(
        reach,
        "st.station_id",
        "COALESCE(st.region_id, s.region_id)",
        1,
    );
    let mut conds = vec![cond];
    if let Some(v) = val {
        binds.push(Bind::I(v));
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let n = binds.len() + 1;
        conds.push(format!(
            "({} OR {})",
            like("st.username", n),
            like("st.name", n)
        ));
        binds.push(contains(q));
    }
    if let Some(r) = f.role.as_deref().filter(|s| !s.is_empty()) {
        conds.push(format!("st.role = ${}", binds.len() + 1));
        binds.push(Bind::S(r.to_string()));
    }
    if let Some(sid) = f.station_id {
        conds.push(format!("st.station_id = ${}", binds.len() + 1));
        binds.push(Bind::I(sid));
    }
    let where_ = conds.join(" AND ");
    let from = "FROM staff st LEFT JOIN stations s ON s.id = st.station_id";
    let order = order.map_or_else(|| "st.id".to_string(), |o| o.sql("st.id"));
    page_of(
        conn, STAFF_COLS, from, &where_, &order, &binds, page, staff_from,
    )
    .await
}

/// What sign-in needs to know about an account.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The account.
    pub staff: Staff,
    /// argon2 hash.
    pub password_hash: String,
    /// Failed attempts since the last success.
    pub failed_logins: i64,
    /// Locked until this instant (UTC ms); 0 when not locked.
    pub locked_until: i64,
}

/// Sign-in data by username.
pub async fn credentials(
    conn: &mut AnyConnection,
    username: &str,
) -> StoreResult<Option<Credentials>> {
    let sql = format!(
        "SELECT {STAFF_COLS}, st.password_hash, st.failed_logins, st.locked_until FROM staff st \
         LEFT JOIN stations s ON s.id = st.station_id WHERE st.username = $1"
    );
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(username)
        .fetch_optional(conn)
        .await?;
    match row {
        None => Ok(None),
        Some(r) => Ok(Some(Credentials {
            staff: staff_from(&r)?,
            password_hash: r.try_get("password_hash")?,
            failed_logins: r.try_get("failed_logins")?,
            locked_until: r.try_get("locked_until")?,
        })),
    }
}

/// Records a failed sign-in and the lock that follows from it.
pub async fn record_failed_login(
    conn: &mut AnyConnection,
    id: i64,
    locked_until: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE staff SET failed_logins = failed_logins + 1, locked_until = $1 WHERE id = $2",
    )
    .bind(locked_until)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Clears failed sign-ins after a success.
pub async fn record_login(conn: &mut AnyConnection, id: i64) -> StoreResult<()> {
    sqlx::query("UPDATE staff SET failed_logins = 0, locked_until = 0 WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Staff by id without scope: for the session layer only, which has no reach yet.
pub async fn staff_for_session(conn: &mut AnyConnection, id: i64) -> StoreResult<Option<Staff>> {
    let sql = format!(
        "SELECT {STAFF_COLS} FROM staff st LEFT JOIN stations s ON s.id = st.station_id WHERE st.id = $1"
    );
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| staff_from(&r)).transpose().map_err(Into::into)
}

/// A stored certificate.
#[derive(Debug, Clone, Serialize)]
pub struct CertificateRow {
    /// Id.
    pub id: i64,
    /// Staff id.
    pub staff_id: i64,
    /// Credential code, e.g. `grade:3`.
    pub credential: String,
    /// First valid day.
    pub issued_on: String,
    /// Last valid day.
    pub expires_on: String,
}

/// Adds a certificate.
pub async fn insert_certificate(
    conn: &mut AnyConnection,
    staff_id: i64,
    credential: &str,
    issued_on: &str,
    expires_on: &str,
) -> StoreResult<i64> {
    let r = sqlx::query("INSERT INTO certificates (staff_id, credential, issued_on, expires_on) VALUES ($1,$2,$3,$4) RETURNING id")
        .bind(staff_id)
        .bind(credential)
        .bind(issued_on)
        .bind(expires_on)
        .fetch_one(conn)
        .await?;
    Ok(r.try_get(0)?)
}

/// A staff member's certificates.
pub async fn certificates(
    conn: &mut AnyConnection,
    staff_id: i64,
) -> StoreResult<Vec<CertificateRow>> {
    let rows = sqlx::query("SELECT id, staff_id, credential, issued_on, expires_on FROM certificates WHERE staff_id = $1 ORDER BY id")
        .bind(staff_id)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(CertificateRow {
                id: r.try_get("id")?,
                staff_id: r.try_get("staff_id")?,
                credential: r.try_get("credential")?,
                issued_on: r.try_get("issued_on")?,
                expires_on: r.try_get("expires_on")?,
            })
        })
        .collect()
}

/// Changes a staff account's name, role, unit, phone and whether it may sign in.
/// Deactivating also ends every open session of the account.
#[allow(clippy::too_many_arguments)]
pub async fn update_staff(
    conn: &mut AnyConnection,
    id: i64,
    name: &str,
    role: &str,
    station_id: Option<i64>,
    region_id: Option<i64>,
    phone: &str,
    active: bool,
) -> StoreResult<()> {
    let done = sqlx::query("UPDATE staff SET name=$1, role=$2, station_id=$3, region_id=$4, phone=$5, active=$6 WHERE id=$7")
        .bind(name)
        .bind(role)
        .bind(station_id)
        .bind(region_id)
        .bind(phone)
        .bind(active as i64)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    if !active {
        sqlx::query("DELETE FROM sessions WHERE principal_id = $1 AND principal_role <> 'owner'")
            .bind(id)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The whole phone of a staff member (for the edit form of those who may change it).
pub async fn staff_phone(conn: &mut AnyConnection, id: i64) -> StoreResult<String> {
    let r = sqlx::query("SELECT phone FROM staff WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(r.try_get(0)?)
}

/// Sets (or clears) a staff member's WeChat id, where escalation notices go by WeChat.
pub async fn set_wechat_id(
    conn: &mut AnyConnection,
    id: i64,
    wechat_id: Option<&str>,
) -> StoreResult<()> {
    sqlx::query("UPDATE staff SET wechat_id = $1 WHERE id = $2")
        .bind(wechat_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
