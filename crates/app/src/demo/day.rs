//! The small demo's working day at the first station, so a newcomer's first look at
//! the board, the homes, the appointments and the bills is not empty: appointments
//! across today (the ones already due checked in), orders in every stage with a few
//! overruns, and orders of the past days delivered with their bills (paid and unpaid)
//! and ratings.
//!
//! Everything is made through the ordinary use cases (so the events, the outbox and
//! the bills are what the service itself writes), on a hand-set clock that walks
//! through the day: the past days' work on those days, the bookings the evening
//! before, today's work in the hours before now. Which cars take part follows the
//! seed; the times follow the clock's today.
//!
//! The crew and the steps one order goes through are [`super::crew`]; this module is
//! the plan of the day.

use super::crew::{Crew, Day, MINUTE, STATION};
use super::internal;
use crate::clock::ManualClock;
use crate::repair_order::OpenInput;
use crate::{App, AppResult, AppSettings};
use domain::permission::Action;
use domain::repair_order::Stage;
use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use sqlx::Row;
use std::sync::Arc;
use store::Db;

/// What the working day made.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DaySummary {
    /// Appointments booked for today.
    pub appointments_today: usize,
    /// Orders still open, whatever their stage.
    pub open_orders: usize,
    /// Orders delivered on the past days.
    pub delivered: usize,
    /// Of those, bills paid.
    pub paid: usize,
    /// Of those, rated.
    pub rated: usize,
    /// Hot alerts left open by their callback surveys.
    pub hot_alerts: usize,
}

/// How far an order of today is taken, and how long ago each step was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reach {
    /// Reception started `ago` minutes before now.
    Reception { ago: i64 },
    /// In diagnosis since `ago` minutes; estimate lines proposed but not yet decided.
    Consent { ago: i64 },
    /// In repair since `ago` minutes, the labour line started by the technician.
    Repair { ago: i64 },
    /// In quality inspection since `ago` minutes.
    Inspection { ago: i64 },
    /// In delivery since `ago` minutes (the car ready for its owner).
    Delivery { ago: i64 },
}

/// Today's orders: (what, how long before now it was opened, minutes). The long
/// ones stay overrun on the board (a stage past its standard time).
const TODAY: [Reach; 8] = [
    Reach::Reception { ago: 5 },
    Reach::Reception { ago: 50 },
    Reach::Consent { ago: 20 },
    Reach::Consent { ago: 95 },
    Reach::Repair { ago: 30 },
    Reach::Repair { ago: 240 },
    Reach::Inspection { ago: 10 },
    Reach::Delivery { ago: 5 },
];

/// Local start times of today's appointments.
const APPOINTMENT_TIMES: [(i8, i8); 8] = [
    (9, 0),
    (9, 30),
    (10, 30),
    (11, 0),
    (13, 30),
    (14, 30),
    (15, 30),
    (16, 30),
];

/// Past days' delivered orders: days ago, paid, stars given (none: not rated).
const DELIVERED: [(i64, bool, Option<i64>); 6] = [
    (6, true, Some(5)),
    (5, true, Some(4)),
    (4, false, None),
    (3, true, Some(5)),
    (2, true, Some(3)),
    (1, false, Some(4)),
];

/// The first station's cars, the demo owner's first, the rest in the seed's order.
async fn cars(db: &Db, seed: u64) -> AppResult<Vec<i64>> {
    let mut c = db.pool.acquire().await.map_err(store::StoreError::from)?;
    let rows = sqlx::query("SELECT id, owner_id FROM vehicles WHERE station_id = $1 ORDER BY id")
        .bind(STATION)
        .fetch_all(&mut *c)
        .await
        .map_err(store::StoreError::from)?;
    let mut owners = Vec::new();
    let mut others = Vec::new();
    for r in rows {
        let id: i64 = r.try_get(0).map_err(store::StoreError::from)?;
        let owner: i64 = r.try_get(1).map_err(store::StoreError::from)?;
        if owner == 1 {
            owners.push(id);
        } else {
            others.push(id);
        }
    }
    others.shuffle(&mut StdRng::seed_from_u64(seed ^ 0xD4E5));
    owners.extend(others);
    Ok(owners)
}

/// The instant of `time` on `day` in the station's zone.
pub(super) fn at(zone: &TimeZone, day: Date, time: Time) -> AppResult<Timestamp> {
    Ok(day
        .to_datetime(time)
        .to_zoned(zone.clone())
        .map_err(internal)?
        .timestamp())
}

/// Fills the first station's working day around `now` (the demo clock's now) and
/// answers what it made, for the working day of the refresh module to record.
pub(super) async fn fill(
    db: &Db,
    settings: AppSettings,
    seed: u64,
    now: Timestamp,
) -> AppResult<(DaySummary, Made, Date)> {
    let clock = Arc::new(ManualClock::new(now));
    let app = App::new(db.clone(), clock.clone(), settings);
    let crew = Crew::of(db).await?;
    let zone = crate::appointment::zone_of(&app, STATION).await?;
    let today = now.to_zoned(zone.clone()).date();
    let mut cars = cars(db, seed).await?.into_iter();
    let mut next_car = || cars.next().ok_or_else(|| internal("too few demo cars"));
    let mut summary = DaySummary::default();
    let day = Day {
        app: &app,
        clock: &clock,
        crew: &crew,
    };

    // The past days: each a car opened at 09:30 and handed over at 15:00.
    let mut handed_over = Vec::new();
    for (days_ago, paid, stars) in DELIVERED {
        let date = today
            .checked_sub(jiff::Span::new().days(days_ago))
            .map_err(internal)?;
        let car = next_car()?;
        clock.set(at(&zone, date, Time::constant(9, 30, 0, 0))?);
        let id = day.walk_in(car, "做保养，顺便检查刹车").await?;
        day.to_delivery(id, 60).await?;
        let handed = at(&zone, date, Time::constant(15, 0, 0, 0))?;
        clock.set(handed);
        day.complete(id, Stage::Delivery).await?;
        handed_over.push((id, handed));
        summary.delivered += 1;
        if paid {
            clock.set(at(&zone, date, Time::constant(15, 5, 0, 0))?);
            day.pay(id).await?;
            summary.paid += 1;
        }
        if let Some(stars) = stars {
            clock.set(at(&zone, date, Time::constant(15, 10, 0, 0))?);
            day.rate(id, stars).await?;
            summary.rated += 1;
        }
    }

    // Their callback surveys, answered the next morning; one leaves a hot alert.
    summary.hot_alerts = super::survey::answer_deliveries(&app, &clock, &handed_over, now).await?;
    let made = day.today(&zone, today, now, &mut next_car).await?;
    summary.appointments_today = made.appointments.len();
    summary.open_orders = made.orders.len();
    Ok((summary, made, today))
}

/// What one day's part made: its appointments and its open orders, each with how far
/// it was taken and its estimate lines (so a later day can finish it).
#[derive(Debug, Clone, Default)]
pub(super) struct Made {
    /// Appointments booked for the day.
    pub(super) appointments: Vec<i64>,
    /// Open orders: (id, reach, estimate line numbers).
    pub(super) orders: Vec<(i64, Reach, Vec<u32>)>,
}

/// The first cars of the seed's order that today's part takes, after the past days'.
pub(super) async fn cars_of_today(db: &Db, seed: u64) -> AppResult<Vec<i64>> {
    Ok(cars(db, seed)
        .await?
        .into_iter()
        .skip(DELIVERED.len())
        .collect())
}

fn ms(at: i64) -> AppResult<Timestamp> {
    Timestamp::from_millisecond(at).map_err(internal)
}

impl Reach {
    /// The code a recorded day keeps (the minutes are not needed to finish it).
    pub(super) fn code(self) -> &'static str {
        match self {
            Reach::Reception { .. } => "reception",
            Reach::Consent { .. } => "consent",
            Reach::Repair { .. } => "repair",
            Reach::Inspection { .. } => "inspection",
            Reach::Delivery { .. } => "delivery",
        }
    }

    /// The reach of a recorded `code`.
    pub(super) fn of_code(code: &str) -> Option<Reach> {
        Some(match code {
            "reception" => Reach::Reception { ago: 0 },
            "consent" => Reach::Consent { ago: 0 },
            "repair" => Reach::Repair { ago: 0 },
            "inspection" => Reach::Inspection { ago: 0 },
            "delivery" => Reach::Delivery { ago: 0 },
            _ => return None,
        })
    }

    /// Minutes between opening the order and now.
    fn opened_ago(self) -> i64 {
        match self {
            Reach::Reception { ago } => ago,
            Reach::Consent { ago } => ago + 15,
            Reach::Repair { ago } => ago + 60,
            Reach::Inspection { ago } => ago + 150,
            Reach::Delivery { ago } => ago + 180,
        }
    }
}

impl Day<'_> {
    /// Today's part: capacity for a week published the evening before, today's
    /// bookings, and the orders of the morning taken to every stage (the bookings
    /// already due came in and were opened from their appointment).
    pub(super) async fn today(
        &self,
        zone: &TimeZone,
        today: Date,
        now: Timestamp,
        next_car: &mut dyn FnMut() -> AppResult<i64>,
    ) -> AppResult<Made> {
        let (app, clock, crew) = (self.app, self.clock, self.crew);
        let mut made = Made::default();
        let yesterday = today.yesterday().map_err(internal)?;
        clock.set(at(zone, yesterday, Time::constant(18, 0, 0, 0))?);
        crate::capacity::publish(
            app,
            &crew.grant(Action::CapacityAdmin)?,
            STATION,
            today,
            7,
            None,
        )
        .await?;
        let mut booked = Vec::new();
        for (i, (h, m)) in APPOINTMENT_TIMES.into_iter().enumerate() {
            let car = next_car()?;
            let start = at(zone, today, Time::constant(h, m, 0, 0))?;
            let input = crate::appointment::BookInput {
                station_id: STATION,
                vehicle_id: car,
                service_type: if i % 3 == 2 { "repair" } else { "maintenance" }.into(),
                channel: ["owner_app", "hotline", "owner_app", "walk_in"][i % 4].into(),
                start: serde_json::Value::from(start.as_millisecond()),
                operation_codes: vec![],
                duration_minutes: Some(60),
                concern: Some(["1万公里保养", "空调不凉", "刹车有异响", "更换机油"][i % 4].into()),
            };
            let id = crate::appointment::book(app, &crew.grant(Action::AppointmentBook)?, &input)
                .await?;
            booked.push((id, start));
            made.appointments.push(id);
        }

        // Today: the appointments already due have arrived; walk-ins fill the rest.
        let mut due = booked
            .iter()
            .filter(|(_, start)| start.as_millisecond() + 10 * MINUTE <= now.as_millisecond())
            .map(|(id, start)| (*id, *start));
        for reach in TODAY {
            let opened_ago = reach.opened_ago();
            let opened = now.as_millisecond() - opened_ago * MINUTE;
            let id = match due.next() {
                Some((appointment, start)) if start.as_millisecond() <= opened => {
                    clock.set(ms(opened)?);
                    crate::repair_order::open_from_appointment(
                        app,
                        &crew.grant(Action::RepairOrderWrite)?,
                        appointment,
                        &OpenInput::default(),
                    )
                    .await?
                }
                _ => {
                    clock.set(ms(opened)?);
                    self.walk_in(next_car()?, "仪表盘故障灯亮").await?
                }
            };
            let lines = self.take(id, reach, now).await?;
            made.orders.push((id, reach, lines));
        }
        clock.set(now);
        if let Some((ready, ..)) = made
            .orders
            .iter()
            .find(|(_, r, _)| matches!(r, Reach::Delivery { .. }))
        {
            self.deliver_home(*ready, now).await?;
        }
        Ok(made)
    }

    /// The car ready for its owner goes home with a driver this afternoon: a delivery
    /// scheduled for the next hours, the hand-over checklist half done (what the
    /// driver checks at the station before leaving), so the pick-up pages have a
    /// record to show.
    async fn deliver_home(&self, order: i64, now: Timestamp) -> AppResult<()> {
        let (app, crew) = (self.app, self.crew);
        let grant = crew.grant(crate::pickup::WRITE)?;
        // The driver: the station's last technician, so the first keeps the workshop.
        let driver = crate::people::station_choices(app, STATION, Some("technician"))
            .await?
            .last()
            .map(|s| s.id);
        let input = crate::pickup::PickupInput {
            repair_order_id: order.into(),
            address: "北京市朝阳区建国路88号 SOHO现代城 地下停车场B2".into(),
            window_start: (now.as_millisecond() + 60 * MINUTE).into(),
            window_end: (now.as_millisecond() + 180 * MINUTE).into(),
            driver_id: driver.map(Into::into).unwrap_or_default(),
            ..Default::default()
        };
        let id = crate::pickup::schedule(app, &grant, &input).await?;
        let checked = |code: &str, note: Option<&str>| crate::pickup::ChecklistItem {
            code: code.into(),
            ok: true,
            note: note.map(str::to_string),
        };
        let items = [
            checked("exterior", Some("全车无新增划痕")),
            checked("fuel", Some("油量 3/4")),
            checked("odometer", None),
            checked("keys", Some("两把钥匙")),
        ];
        crate::pickup::set_checklist(app, &grant, id, &items).await
    }

    /// Takes today's order as far as `reach`, the current stage entered `ago` minutes
    /// before `now`.
    /// Returns the estimate's line numbers (none in reception).
    async fn take(&self, id: i64, reach: Reach, now: Timestamp) -> AppResult<Vec<u32>> {
        let to = |ago: i64| ms(now.as_millisecond() - ago * MINUTE);
        match reach {
            Reach::Reception { .. } => {
                // Reception under way: the walk-around done, the rest to come.
                crate::repair_order::check(self.app, &self.g()?, id, "reception.walk_around", None)
                    .await?;
                Ok(vec![])
            }
            Reach::Consent { .. } => self.estimate(id).await,
            Reach::Repair { ago } => {
                let lines = self.estimate(id).await?;
                self.clock.set(to(ago)?);
                self.repair(id, &lines, ago + 120).await?;
                Ok(lines)
            }
            Reach::Inspection { ago } => {
                let lines = self.estimate(id).await?;
                self.later(20);
                self.repair(id, &lines, 240).await?;
                self.clock.set(to(ago)?);
                let g = self.g()?;
                crate::repair_order::finish_work(self.app, &g, id, lines[0]).await?;
                crate::repair_order::fit_part(self.app, &g, id, lines[1]).await?;
                self.complete(id, Stage::Repair).await?;
                self.start(id, Stage::QualityInspection).await?;
                Ok(lines)
            }
            Reach::Delivery { ago } => {
                let lines = self.estimate(id).await?;
                self.later(20);
                self.repair(id, &lines, 200).await?;
                self.later(90);
                self.inspect_and_deliver(id, &lines, 15).await?;
                self.clock.set(to(ago)?);
                Ok(lines)
            }
        }
    }

    /// Finishes an order a past day's part left at `reach` (with its estimate
    /// `lines`): the rest of its stages, the hand-over, and the bill paid.
    pub(super) async fn finish(&self, id: i64, reach: Reach, lines: &[u32]) -> AppResult<()> {
        match reach {
            Reach::Reception { .. } => {
                let lines = self.estimate(id).await?;
                self.later(15);
                self.repair(id, &lines, 120).await?;
                self.later(45);
                self.inspect_and_deliver(id, &lines, 15).await?;
            }
            Reach::Consent { .. } => {
                self.repair(id, lines, 120).await?;
                self.later(45);
                self.inspect_and_deliver(id, lines, 15).await?;
            }
            Reach::Repair { .. } => self.inspect_and_deliver(id, lines, 15).await?,
            Reach::Inspection { .. } => {
                self.later(15);
                self.tick(id, Stage::QualityInspection).await?;
                self.complete(id, Stage::QualityInspection).await?;
                self.start(id, Stage::Delivery).await?;
                self.tick(id, Stage::Delivery).await?;
            }
            Reach::Delivery { .. } => {}
        }
        self.later(10);
        self.complete(id, Stage::Delivery).await?;
        self.later(5);
        self.pay(id).await
    }
}

/// Orders for the demo's money ([`super::billing`]): for each instant of
/// `opened`, a car of the first station walks in then, is serviced and handed
/// over three hours later, its bill issued and unpaid, on the hand-set clock.
/// The cars are taken from the end of the station's list, which the working day
/// leaves alone.
pub(super) async fn delivered_orders(
    db: &Db,
    app: &App,
    clock: &ManualClock,
    seed: u64,
    opened: &[Timestamp],
) -> AppResult<Vec<i64>> {
    let crew = Crew::of(db).await?;
    let day = Day {
        app,
        clock,
        crew: &crew,
    };
    let mut cars = cars(db, seed).await?;
    let mut ids = Vec::new();
    for at in opened {
        let car = cars.pop().ok_or_else(|| internal("too few demo cars"))?;
        clock.set(*at);
        let id = day.walk_in(car, "更换机油机滤").await?;
        day.to_delivery(id, 60).await?;
        clock.set(ms(at.as_millisecond() + 180 * MINUTE)?);
        day.complete(id, Stage::Delivery).await?;
        ids.push(id);
    }
    Ok(ids)
}
