//! Keeping the small demo's working day current. The day is made when the demo is
//! built; a demo started again on a later day would otherwise show yesterday's
//! appointments and orders overrun by days. So the made day is recorded (setting
//! [`DEMO_DAY`]: its date, its appointments, its open orders with how far each was
//! taken and its estimate lines), and each `aftersales demo` start whose recorded day
//! is not today refreshes it through the ordinary use cases: the recorded orders are
//! finished and handed over on their own day's evening (bills paid), the recorded
//! appointments nobody came for are marked no-shows, and a new day is made around
//! now. A start on the same day does nothing (idempotent); so does a second start
//! after a refresh.

use super::crew::{Crew, Day, MINUTE, STATION};
use super::day::{Made, Reach, at, cars_of_today};
use super::internal;
use crate::clock::ManualClock;
use crate::{App, AppResult, AppSettings};
use domain::permission::Action;
use jiff::Timestamp;
use jiff::civil::{Date, Time};
use serde_json::{Value, json};
use sqlx::Row;
use std::sync::Arc;
use store::Db;

/// Fills the first station's working day around `now` (the demo clock's now) and
/// records it, so a later start can tell whether it is stale. Meant for a small demo
/// just built and its service catalogue prepared.
pub async fn working_day(
    db: &store::Db,
    settings: AppSettings,
    seed: u64,
    now: Timestamp,
) -> AppResult<super::day::DaySummary> {
    let (summary, made, today) = super::day::fill(db, settings, seed, now).await?;
    record(db, today, &made, now).await?;
    Ok(summary)
}

/// Setting that records the demo's working day.
pub const DEMO_DAY: &str = "demo_day";

/// What a refresh did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Refreshed {
    /// The day refreshed from (`YYYY-MM-DD`).
    pub from: String,
    /// Orders of that day finished and handed over.
    pub finished: usize,
    /// Appointments of that day marked no-show.
    pub no_shows: usize,
    /// Appointments booked for today.
    pub appointments_today: usize,
    /// Orders open today.
    pub open_orders: usize,
}

/// Records the day just made.
pub(super) async fn record(db: &Db, day: Date, made: &Made, now: Timestamp) -> AppResult<()> {
    let value = json!({
        "date": day.to_string(),
        "appointments": made.appointments,
        "orders": made
            .orders
            .iter()
            .map(|(id, reach, lines)| json!({"id": id, "reach": reach.code(), "lines": lines}))
            .collect::<Vec<_>>(),
    });
    let mut c = db.pool.acquire().await.map_err(store::StoreError::from)?;
    store::settings::put(&mut c, DEMO_DAY, &value, now.as_millisecond(), None).await?;
    Ok(())
}

/// Refreshes the working day when the recorded one is not today (in the station's
/// zone); `None` when it is today or when no day was recorded (a demo built before
/// days were recorded, or a full demo). `now` is the real now.
pub async fn refresh(
    db: &Db,
    settings: AppSettings,
    seed: u64,
    now: Timestamp,
) -> AppResult<Option<Refreshed>> {
    let recorded = {
        let mut c = db.pool.acquire().await.map_err(store::StoreError::from)?;
        store::settings::get(&mut c, DEMO_DAY).await?
    };
    let Some(recorded) = recorded else {
        return Ok(None);
    };
    let clock = Arc::new(ManualClock::new(now));
    let app = App::new(db.clone(), clock.clone(), settings);
    let zone = crate::appointment::zone_of(&app, STATION).await?;
    let today = now.to_zoned(zone.clone()).date();
    let v = &recorded.value;
    let from: Date = v["date"]
        .as_str()
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| internal("demo_day without a date"))?;
    if from >= today {
        return Ok(None);
    }
    let crew = Crew::of(db).await?;
    let day = Day {
        app: &app,
        clock: &clock,
        crew: &crew,
    };
    let mut done = Refreshed {
        from: from.to_string(),
        ..Default::default()
    };
    // The recorded day's evening: what was open is finished and handed over.
    clock.set(at(&zone, from, Time::constant(18, 0, 0, 0))?);
    for o in v["orders"].as_array().into_iter().flatten() {
        let (Some(id), Some(reach)) = (
            o["id"].as_i64(),
            o["reach"].as_str().and_then(Reach::of_code),
        ) else {
            continue;
        };
        if delivered(&app, id).await? {
            continue;
        }
        let lines: Vec<u32> = o["lines"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_u64)
            .filter_map(|n| u32::try_from(n).ok())
            .collect();
        day.finish(id, reach, &lines).await?;
        // A delivery home still waiting for that car: the owner came for it instead.
        let (read, write) = (
            crew.grant(crate::pickup::READ)?,
            crew.grant(crate::pickup::WRITE)?,
        );
        for p in crate::pickup::of_order(&app, &read, id).await? {
            if p.state == "scheduled" {
                crate::pickup::cancel(&app, &write, p.id, "车主到店自取").await?;
            }
        }
        clock.advance_ms(5 * MINUTE);
        done.finished += 1;
    }
    // Those who booked and never came.
    let g = crew.grant(Action::AppointmentBook)?;
    for id in v["appointments"].as_array().into_iter().flatten() {
        let Some(id) = id.as_i64() else { continue };
        let row = crate::appointment::get(&app, &crew.grant(Action::AppointmentRead)?, id).await?;
        if row.state == "booked" {
            crate::appointment::no_show(&app, &g, id).await?;
            done.no_shows += 1;
        }
    }
    // Today, with the same cars as the first day's (their orders are delivered now).
    let mut cars = cars_of_today(db, seed).await?.into_iter();
    let mut next_car = || cars.next().ok_or_else(|| internal("too few demo cars"));
    let made = day.today(&zone, today, now, &mut next_car).await?;
    done.appointments_today = made.appointments.len();
    done.open_orders = made.orders.len();
    record(db, today, &made, now).await?;
    Ok(Some(done))
}

/// Whether the order was handed over already (a refresh stopped midway is run again).
async fn delivered(app: &App, id: i64) -> AppResult<bool> {
    let mut c = app
        .db
        .pool
        .acquire()
        .await
        .map_err(store::StoreError::from)?;
    let row = sqlx::query("SELECT delivered_at FROM repair_orders WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .map_err(store::StoreError::from)?;
    Ok(match row {
        Some(r) => r
            .try_get::<Option<i64>, _>(0)
            .map_err(store::StoreError::from)?
            .is_some(),
        None => true,
    })
}
