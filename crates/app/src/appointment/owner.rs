//! The owner's own appointments, as their phone pages list them: booked for them, of
//! vehicles still theirs, at the stations of their vehicles and of their messages.

use crate::network::expect;
use crate::{App, AppError, AppResult, conn};
use domain::permission::{Action, Grant, Reach};
use store::appointment::AppointmentRow;

/// How far back and ahead the owner's list reaches, in days.
const PAST_DAYS: i64 = 30;
/// How far ahead the owner's list reaches, in days.
const AHEAD_DAYS: i64 = 120;
const DAY_MS: i64 = 86_400_000;

/// The owner's appointments at `stations` and at the stations their latest messages
/// name, oldest first. Needs `AppointmentBook` held by an owner (their own reach).
pub async fn owned(app: &App, grant: &Grant, stations: &[i64]) -> AppResult<Vec<AppointmentRow>> {
    expect(grant, Action::AppointmentBook)?;
    let Reach::Customer(_) = grant.reach() else {
        return Err(AppError::Forbidden);
    };
    let mut c = conn(app).await?;
    let mut stations = stations.to_vec();
    for m in store::outbox::inbox(&mut c, grant.principal().id, 50).await? {
        if let Some(st) = serde_json::to_value(&m)
            .ok()
            .and_then(|v| v["payload"]["station_id"].as_i64())
        {
            stations.push(st);
        }
    }
    stations.sort_unstable();
    stations.dedup();
    let now = app.now_ms();
    let mut rows = vec![];
    for st in stations {
        let from = now - PAST_DAYS * DAY_MS;
        let to = now + AHEAD_DAYS * DAY_MS;
        rows.extend(store::appointment::list(&mut c, grant.reach(), st, from, to).await?);
    }
    rows.sort_by_key(|a| a.start_at);
    Ok(rows)
}
