//! Photos of failed checkpoints (migration 0031): the checked bytes with their type,
//! size and SHA-256, per visit and checkpoint code, kept like the pick-up hand-over
//! photos. Listing never reads the bytes.

use crate::error::{StoreError, StoreResult};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// A photo without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditPhoto {
    /// Id.
    pub id: i64,
    /// The visit.
    pub visit_id: i64,
    /// The checkpoint it shows.
    pub code: String,
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// Uploaded, UTC ms.
    pub uploaded_at: i64,
}

/// What a new photo stores.
#[derive(Debug, Clone, Copy)]
pub struct NewPhoto<'a> {
    /// The visit.
    pub visit_id: i64,
    /// The checkpoint.
    pub code: &'a str,
    /// Checked content type.
    pub content_type: &'a str,
    /// SHA-256 of the bytes, hex.
    pub sha256: &'a str,
    /// The bytes.
    pub bytes: &'a [u8],
    /// Who uploaded it.
    pub by: i64,
    /// When, UTC ms.
    pub at: i64,
}

/// Stores a photo; answers its id.
pub async fn insert(conn: &mut AnyConnection, p: &NewPhoto<'_>) -> StoreResult<i64> {
    let size = i64::try_from(p.bytes.len()).unwrap_or(i64::MAX);
    let r = sqlx::query(
        "INSERT INTO audit_photos (visit_id, code, content_type, size_bytes, sha256, bytes, uploaded_at, uploaded_by) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
    )
    .bind(p.visit_id)
    .bind(p.code)
    .bind(p.content_type)
    .bind(size)
    .bind(p.sha256)
    .bind(p.bytes)
    .bind(p.at)
    .bind(p.by)
    .fetch_one(conn)
    .await?;
    Ok(r.try_get(0)?)
}

/// A visit's photos (of one checkpoint when `code` is given), in upload order,
/// without their bytes.
pub async fn of_visit(
    conn: &mut AnyConnection,
    visit_id: i64,
    code: Option<&str>,
) -> StoreResult<Vec<AuditPhoto>> {
    let rows = sqlx::query(
        "SELECT id, visit_id, code, content_type, size_bytes, sha256, uploaded_at FROM audit_photos \
         WHERE visit_id = $1 AND ($2 = '' OR code = $2) ORDER BY id",
    )
    .bind(visit_id)
    .bind(code.unwrap_or(""))
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AuditPhoto {
                id: r.try_get("id")?,
                visit_id: r.try_get("visit_id")?,
                code: r.try_get("code")?,
                content_type: r.try_get("content_type")?,
                size_bytes: r.try_get("size_bytes")?,
                sha256: r.try_get("sha256")?,
                uploaded_at: r.try_get("uploaded_at")?,
            })
        })
        .collect()
}

/// One photo's content type and bytes.
pub async fn bytes(
    conn: &mut AnyConnection,
    visit_id: i64,
    photo_id: i64,
) -> StoreResult<(String, Vec<u8>)> {
    let r =
        sqlx::query("SELECT content_type, bytes FROM audit_photos WHERE id = $1 AND visit_id = $2")
            .bind(photo_id)
            .bind(visit_id)
            .fetch_optional(conn)
            .await?
            .ok_or(StoreError::NotFound)?;
    Ok((r.try_get("content_type")?, r.try_get("bytes")?))
}
