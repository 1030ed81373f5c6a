//! A station's working calendar as the clocks read it: the stored holiday plan, the
//! station's opening hours and its zone. Apart from the plan's use cases in
//! `calendar` because the complaint clock reads it and loading a plan recomputes the
//! complaint clocks: with both in one file, the two areas imported each other.

use crate::{AppError, AppResult};
use domain::calendar::{DayKind, HolidayPlan, OpeningHours, WorkingCalendar, shanghai};
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use store::network::Station;

/// The stored plan; China's built-in plan while nothing is stored yet.
pub async fn load_plan(c: &mut sqlx::AnyConnection) -> AppResult<HolidayPlan> {
    let rows = store::calendar::days(c).await?;
    if rows.is_empty() {
        return Ok(HolidayPlan::china());
    }
    let mut plan = HolidayPlan::new();
    for r in rows {
        let day: Date = r
            .day
            .parse()
            .map_err(|_| AppError::Internal(format!("holiday plan date {}", r.day)))?;
        let kind = match r.kind.as_str() {
            "workday" => DayKind::AdjustedWorkday,
            _ => DayKind::Holiday {
                name: r.name.unwrap_or_default(),
            },
        };
        plan.insert(day, kind);
    }
    Ok(plan)
}

/// Opening hours from a station's `HH:MM-HH:MM` text, the same every day.
pub fn parse_opening_hours(text: &str) -> Option<OpeningHours> {
    let (a, b) = text.split_once('-')?;
    let open: Time = a.trim().parse().ok()?;
    let close: Time = b.trim().parse().ok()?;
    OpeningHours::every_day(open, close).ok()
}

/// A station's zone: its stored name, Asia/Shanghai when unknown.
pub async fn station_zone(c: &mut sqlx::AnyConnection, station_id: i64) -> AppResult<TimeZone> {
    let name = store::calendar::station_timezone(c, station_id).await?;
    Ok(TimeZone::get(&name).unwrap_or_else(|_| shanghai()))
}

/// The working calendar of a station.
pub async fn station_calendar(
    c: &mut sqlx::AnyConnection,
    station: &Station,
) -> AppResult<WorkingCalendar> {
    let hours = parse_opening_hours(&station.opening_hours)
        .ok_or_else(|| AppError::Internal(format!("station {} opening hours", station.id)))?;
    let plan = load_plan(c).await?;
    let tz = station_zone(c, station.id).await?;
    Ok(WorkingCalendar::new(plan, hours, tz))
}
