//! Settings head office keeps: one JSON value per key (for example
//! `three_guarantees_policy`, the maker's three-guarantees policy). A missing key
//! means the caller's built-in default.

use crate::error::{StoreError, StoreResult};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// A stored setting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Setting {
    /// Its key.
    pub key: String,
    /// Its value.
    pub value: serde_json::Value,
    /// When it was last changed, UTC ms.
    pub updated_at: i64,
    /// Staff id of who changed it, if a person did.
    pub updated_by: Option<i64>,
}

/// The setting under `key`, if one was stored. A stored text that is not JSON is a
/// decoding error, not a silent default.
pub async fn get(conn: &mut AnyConnection, key: &str) -> StoreResult<Option<Setting>> {
    let row = sqlx::query("SELECT key, value, updated_at, updated_by FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(conn)
        .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let text: String = r.try_get("value")?;
    let value = serde_json::from_str(&text)
        .map_err(|e| StoreError::Database(sqlx::Error::Decode(Box::new(e))))?;
    Ok(Some(Setting {
        key: r.try_get("key")?,
        value,
        updated_at: r.try_get("updated_at")?,
        updated_by: r.try_get("updated_by")?,
    }))
}

/// Stores `value` under `key`, replacing any previous value.
pub async fn put(
    conn: &mut AnyConnection,
    key: &str,
    value: &serde_json::Value,
    now: i64,
    by: Option<i64>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO settings (key, value, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, \
         updated_by = excluded.updated_by",
    )
    .bind(key)
    .bind(value.to_string())
    .bind(now)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}
