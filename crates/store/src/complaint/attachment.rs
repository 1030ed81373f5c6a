//! Files sent as evidence of a complaint (photos, recordings): the checked bytes in
//! the database with their type, size and SHA-256, as the pick-up and audit photos
//! are kept, and who sent them (a staff member, or the owner on their phone page).
//! Rows recorded before migration 36 hold metadata only and have no file to serve.

use crate::error::{StoreError, StoreResult};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// One attachment as listed (without its bytes).
#[derive(Debug, Clone, Serialize)]
pub struct AttachmentRow {
    /// Id.
    pub id: i64,
    /// File name as sent (cleaned).
    pub file_name: String,
    /// MIME type.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// SHA-256 of the bytes, hex; none for a metadata-only row.
    pub sha256: Option<String>,
    /// Whether the file itself is kept (and can be served).
    pub has_file: bool,
    /// Role code of the sender (`owner` for the owner's phone page; empty on rows
    /// recorded before it was kept).
    pub by_role: String,
    /// The staff member's name; none when the owner sent it.
    pub by_name: Option<String>,
    /// When.
    pub at: i64,
}

/// A file to keep.
pub struct NewAttachment<'a> {
    /// The complaint.
    pub complaint_id: i64,
    /// Cleaned file name.
    pub file_name: &'a str,
    /// Checked MIME type.
    pub content_type: &'a str,
    /// SHA-256, hex.
    pub sha256: &'a str,
    /// The bytes.
    pub bytes: &'a [u8],
    /// Sender's id (staff or customer, by role).
    pub by: i64,
    /// Sender's role code.
    pub by_role: &'a str,
    /// When.
    pub at: i64,
}

/// Keeps a file and returns its id.
pub async fn insert(conn: &mut AnyConnection, a: &NewAttachment<'_>) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO complaint_attachments (complaint_id, file_name, content_type, size_bytes, sha256, bytes, at, by_id, by_role) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id",
    )
    .bind(a.complaint_id)
    .bind(a.file_name)
    .bind(a.content_type)
    .bind(i64::try_from(a.bytes.len()).unwrap_or(i64::MAX))
    .bind(a.sha256)
    .bind(a.bytes)
    .bind(a.at)
    .bind(a.by)
    .bind(a.by_role)
    .fetch_one(conn)
    .await?)
}

/// How many attachments a complaint has.
pub async fn count(conn: &mut AnyConnection, complaint_id: i64) -> StoreResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM complaint_attachments WHERE complaint_id = $1")
            .bind(complaint_id)
            .fetch_one(conn)
            .await?,
    )
}

/// The attachments of a complaint, oldest first, without their bytes.
pub async fn of_complaint(
    conn: &mut AnyConnection,
    complaint_id: i64,
) -> StoreResult<Vec<AttachmentRow>> {
    let rows = sqlx::query(
        "SELECT a.id, a.file_name, a.content_type, a.size_bytes, a.sha256, \
         CAST(CASE WHEN a.bytes IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_file, a.by_role, \
         CASE WHEN a.by_role = 'owner' THEN NULL ELSE st.name END AS by_name, a.at \
         FROM complaint_attachments a LEFT JOIN staff st ON st.id = a.by_id \
         WHERE a.complaint_id = $1 ORDER BY a.id",
    )
    .bind(complaint_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AttachmentRow {
                id: r.try_get("id")?,
                file_name: r.try_get("file_name")?,
                content_type: r.try_get("content_type")?,
                size_bytes: r.try_get("size_bytes")?,
                sha256: r.try_get("sha256")?,
                has_file: r.try_get::<i64, _>("has_file")? != 0,
                by_role: r.try_get("by_role")?,
                by_name: r.try_get("by_name")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}

/// One attachment's file of complaint `complaint_id`: name, type and bytes;
/// `NotFound` when it is not that complaint's or holds no file.
pub async fn file(
    conn: &mut AnyConnection,
    complaint_id: i64,
    id: i64,
) -> StoreResult<(String, String, Vec<u8>)> {
    let r = sqlx::query(
        "SELECT file_name, content_type, bytes FROM complaint_attachments \
         WHERE id = $1 AND complaint_id = $2 AND bytes IS NOT NULL",
    )
    .bind(id)
    .bind(complaint_id)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok((
        r.try_get("file_name")?,
        r.try_get("content_type")?,
        r.try_get("bytes")?,
    ))
}
