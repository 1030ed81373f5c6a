//! The inbox of the clocks' warnings and escalations: each role sees the notices of
//! its level (the station's manager the station's and its own, the regional manager
//! the region's breaches, head office its own), within its reach. Opening the inbox
//! marks what it shows read, so a manager sees at a glance what is new.

use super::NoticeRow;
use crate::{App, AppResult, conn};
use domain::permission::{Action, Grant};
use domain::role::Role;

/// The levels of notice a role's inbox shows.
pub fn inbox_levels(role: Role) -> &'static [&'static str] {
    match role {
        Role::StationManager => &["station", "station_manager"],
        Role::CustomerRelations | Role::TechnicalDirector => &["station"],
        Role::RegionalManager => &["regional_manager"],
        Role::Administrator | Role::CallCentreAgent | Role::QualityAuditor => &["head_office"],
        _ => &[],
    }
}

/// The caller's inbox of warnings and escalations, newest first.
pub async fn inbox(app: &App, grant: &Grant, limit: i64) -> AppResult<Vec<NoticeRow>> {
    crate::network::expect(grant, Action::ComplaintRead)?;
    let levels = inbox_levels(grant.principal().role);
    let mut c = conn(app).await?;
    Ok(store::complaint::notice::inbox(&mut c, grant.reach(), levels, limit.clamp(1, 500)).await?)
}

/// The inbox as a page shows it: the notices, newest first, each still showing
/// whether it was unread (`read_at` as it was); the unread ones are marked read now.
pub async fn open(app: &App, grant: &Grant, limit: i64) -> AppResult<Vec<NoticeRow>> {
    let rows = inbox(app, grant, limit).await?;
    let unread: Vec<i64> = rows
        .iter()
        .filter(|n| n.read_at.is_none())
        .map(|n| n.id)
        .collect();
    if !unread.is_empty() {
        let mut c = conn(app).await?;
        store::complaint::notice::mark_read(&mut c, &unread, app.now_ms()).await?;
    }
    Ok(rows)
}
