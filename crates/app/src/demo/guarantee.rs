//! The small demo's three-guarantees cars (三包), one at each stage a station meets,
//! all at the first station and all made through the ordinary use cases on a
//! hand-set clock:
//! - a quality repair in its 6th day: the courtesy-car duty (Art 21) shows on the
//!   board and the order;
//! - a car whose same main part (an engine valve) was repaired four times: one repair
//!   away from the line of Art 24(1)(4), warned on its pages;
//! - a car whose ignition coil was repaired five times: the right to replacement or
//!   refund has arisen, no request filed yet;
//! - a car with the same right and an open request filed by the hotline, its answer
//!   deadline running on the working calendar;
//! - a fault kept out by an Art 32 exclusion (use against the manual), with its
//!   reason and evidence;
//! - head office's capacity-fade promise (70 % for 8 years or 150,000 km) for every
//!   new-energy model on record, and an EV of the first station whose battery check
//!   ten days ago read below it: the right to a restored battery has arisen.
//!
//! The cars are the first station's that were bought between 180 and 700 days ago,
//! have no order yet and a reading under 40,000 km, so every visit lies inside the
//! 三包有效期. With fewer such cars, fewer stages are made (the order above is the
//! order of importance).

use super::crew::{Crew, Day, MINUTE, STATION, principal};
use super::day::at;
use super::internal;
use crate::clock::ManualClock;
use crate::guarantee::record::{ClockInput, ExclusionInput, LineInput};
use crate::guarantee::request::FileInput;
use crate::repair_order::WalkInInput;
use crate::{App, AppResult, AppSettings};
use domain::permission::{Action, Principal, Unit};
use domain::repair_order::Stage;
use domain::role::Role;
use jiff::Timestamp;
use jiff::civil::Time;
use serde_json::Value;
use sqlx::Row;
use std::sync::Arc;
use store::Db;

/// What the three-guarantees stages made: the vehicle of each, when made.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct GuaranteeSummary {
    /// The car in day 6 of a quality repair (its open order).
    pub courtesy_car_order: Option<i64>,
    /// The car one repair away from the line (four repairs of the same main part).
    pub one_short: Option<i64>,
    /// The car whose right arose (five repairs of the same part).
    pub right_arisen: Option<i64>,
    /// The car with an open request, and the request.
    pub open_request: Option<(i64, i64)>,
    /// The car with an excluded fault.
    pub excluded: Option<i64>,
    /// The EV whose battery check broke its model's fade promise.
    pub battery_right: Option<i64>,
}

/// The part repaired four times (a listed main part of the engine).
pub const ONE_SHORT_PART: &str = "气门";
/// The part repaired five times.
pub const ARISEN_PART: &str = "点火线圈";

/// The first station's cars inside the 三包有效期 with no order yet, oldest id first.
async fn fresh_cars(db: &Db, today: jiff::civil::Date) -> AppResult<Vec<i64>> {
    let from = today
        .checked_sub(jiff::Span::new().days(700))
        .map_err(internal)?;
    let to = today
        .checked_sub(jiff::Span::new().days(180))
        .map_err(internal)?;
    let mut c = db.pool.acquire().await.map_err(store::StoreError::from)?;
    let rows = sqlx::query(
        "SELECT v.id FROM vehicles v WHERE v.station_id = $1 AND v.purchase_date >= $2 \
         AND v.purchase_date <= $3 \
         AND NOT EXISTS (SELECT 1 FROM repair_orders o WHERE o.vehicle_id = v.id) \
         AND COALESCE((SELECT MAX(r.km) FROM odometer_readings r WHERE r.vehicle_id = v.id), 0) < 40000 \
         ORDER BY v.id",
    )
    .bind(STATION)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&mut *c)
    .await
    .map_err(store::StoreError::from)?;
    rows.iter()
        .map(|r| {
            r.try_get::<i64, _>(0)
                .map_err(|e| store::StoreError::from(e).into())
        })
        .collect()
}

fn line(part: &str, main_part: Option<(&str, &str)>) -> LineInput {
    let (system, mp) = match main_part {
        Some((s, p)) => (Value::from(s), Value::from(p)),
        None => (Value::Null, Value::Null),
    };
    LineInput {
        quality: Value::Bool(true),
        part: Value::from(part),
        system,
        main_part: mp,
        action: Value::from("repair"),
        ..LineInput::default()
    }
}

struct Stages<'a> {
    day: Day<'a>,
    zone: jiff::tz::TimeZone,
    today: jiff::civil::Date,
}

impl Stages<'_> {
    /// Opens a quality repair of `car` at the clock's now.
    async fn open(&self, car: i64, concern: &str) -> AppResult<i64> {
        let input = WalkInInput {
            station_id: STATION,
            vehicle_id: car,
            vin: None,
            concern: concern.into(),
            concern_code: None,
            service_type: Some("repair".into()),
            second_order_reason: None,
        };
        crate::repair_order::open_walk_in(self.day.app, &self.day.g()?, &input).await
    }

    /// A visit `days_ago` days before today: opened 09:30, the fault classified,
    /// handed over at 16:00 the same day.
    async fn past_visit(
        &self,
        car: i64,
        days_ago: i64,
        concern: &str,
        fault: &LineInput,
    ) -> AppResult<i64> {
        let date = self
            .today
            .checked_sub(jiff::Span::new().days(days_ago))
            .map_err(internal)?;
        self.day
            .clock
            .set(at(&self.zone, date, Time::constant(9, 30, 0, 0))?);
        let id = self.open(car, concern).await?;
        crate::guarantee::record::classify(self.day.app, &self.day.g()?, id, fault).await?;
        self.day.to_delivery(id, 90).await?;
        self.day
            .clock
            .set(at(&self.zone, date, Time::constant(16, 0, 0, 0))?);
        self.day.complete(id, Stage::Delivery).await?;
        Ok(id)
    }
}

/// Makes the three-guarantees stages of the small demo around `now` (run after the
/// working day, on cars it did not touch).
pub async fn stages(db: &Db, settings: AppSettings, now: Timestamp) -> AppResult<GuaranteeSummary> {
    let clock = Arc::new(ManualClock::new(now));
    let app = App::new(db.clone(), clock.clone(), settings);
    let crew = Crew {
        advisor: principal(db, "advisor").await?,
        manager: principal(db, "manager").await?,
        technician: principal(db, "technician").await?.id,
        head_office: Principal {
            kind: domain::permission::ActorKind::Person,
            id: 0,
            name: "demo".into(),
            role: Role::Administrator,
            unit: Unit::HeadOffice,
        },
    };
    let zone = crate::appointment::zone_of(&app, STATION).await?;
    let today = now.to_zoned(zone.clone()).date();
    let st = Stages {
        day: Day {
            app: &app,
            clock: &clock,
            crew: &crew,
        },
        zone,
        today,
    };
    let mut cars = fresh_cars(db, today).await?.into_iter();
    let mut out = GuaranteeSummary::default();

    // A quality repair agreed 5 days and 2 hours ago, still in the workshop.
    if let Some(car) = cars.next() {
        clock.set(
            Timestamp::from_millisecond(now.as_millisecond() - (5 * 24 * 60 + 120) * MINUTE)
                .map_err(internal)?,
        );
        let id = st.open(car, "发动机漏水，水温高").await?;
        let g = st.day.g()?;
        let agreed = ClockInput {
            agreed_at: Value::from(app.now_ms() + 30 * MINUTE),
            completed_at: Value::Null,
        };
        clock.advance_ms(30 * MINUTE);
        crate::guarantee::record::set_clock(&app, &g, id, &agreed).await?;
        crate::guarantee::record::classify(&app, &g, id, &line("水泵", None)).await?;
        out.courtesy_car_order = Some(id);
    }
    // The same main part repaired four times.
    if let Some(car) = cars.next() {
        let fault = line(ONE_SHORT_PART, Some(("engine", "valve")));
        for days_ago in [150, 110, 70, 30] {
            st.past_visit(car, days_ago, "发动机抖动，故障灯亮", &fault)
                .await?;
        }
        out.one_short = Some(car);
    }
    // The same part repaired five times: the right arose on the fifth.
    if let Some(car) = cars.next() {
        let fault = line(ARISEN_PART, None);
        for days_ago in [160, 130, 100, 70, 40] {
            st.past_visit(car, days_ago, "加速无力，偶尔熄火", &fault)
                .await?;
        }
        out.right_arisen = Some(car);
    }
    // The same again, and the hotline filed a replacement request two days ago.
    if let Some(car) = cars.next() {
        let fault = line(ARISEN_PART, None);
        for days_ago in [170, 140, 110, 80, 50] {
            st.past_visit(car, days_ago, "冷车难启动", &fault).await?;
        }
        clock.set(
            Timestamp::from_millisecond(now.as_millisecond() - 2 * 24 * 60 * MINUTE)
                .map_err(internal)?,
        );
        let input = FileInput {
            kind: Value::from("replacement"),
            article: Value::from("art24(1)(4)"),
            subject: Value::from(format!("part:{ARISEN_PART}")),
        };
        let r =
            crate::guarantee::request::file(&app, &crew.grant(Action::VehicleWrite)?, car, &input)
                .await?;
        out.open_request = Some((car, r.id));
    }
    // A fault kept out by Art 32: water in the engine against the manual. Without a
    // car left, on the car one repair short (another part: its count stays at four).
    if let Some(car) = cars.next().or(out.one_short) {
        let fault = line("进气歧管", None);
        let id = st.past_visit(car, 20, "发动机进水", &fault).await?;
        let g = st.day.g()?;
        let faults = crate::guarantee::for_order(&app, &crew.grant(Action::RepairOrderRead)?, id)
            .await?
            .lines;
        if let Some(l) = faults.first() {
            let ex = ExclusionInput {
                reason: Value::from("use_against_manual"),
                explanation: Value::from("涉水行驶，水深超过使用说明书所示的最大涉水深度"),
                evidence: Value::from("接车照片 RO-PHOTO-3；车主签字确认单"),
            };
            crate::guarantee::record::set_exclusion(&app, &g, id, l.id, Some(&ex)).await?;
        }
        out.excluded = Some(car);
    }
    clock.set(now);
    out.battery_right = battery(&st, db, &crew).await?;
    Ok(out)
}

/// Head office's fade promise for every EV model on record, and a check below it on
/// the first station's first EV bought between 30 days and 7 years ago (the check ten
/// days ago, at the reading on record). Returns that EV.
async fn battery(st: &Stages<'_>, db: &Db, crew: &Crew) -> AppResult<Option<i64>> {
    use crate::guarantee::battery::{CheckInput, PromiseInput, record_check, set_promise};
    let day = |n: i64| st.today.checked_sub(jiff::Span::new().days(n));
    let (newest, oldest, checked) = (
        day(30).map_err(internal)?,
        day(7 * 365).map_err(internal)?,
        day(10).map_err(internal)?,
    );
    let mut c = db.pool.acquire().await.map_err(store::StoreError::from)?;
    let models: Vec<String> =
        sqlx::query("SELECT DISTINCT model FROM vehicles WHERE is_ev <> 0 ORDER BY model")
            .fetch_all(&mut *c)
            .await
            .map_err(store::StoreError::from)?
            .iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<Result<_, _>>()
            .map_err(store::StoreError::from)?;
    let car = sqlx::query(
        "SELECT v.id, COALESCE((SELECT MAX(r.km) FROM odometer_readings r WHERE r.vehicle_id = v.id), 0) AS km \
         FROM vehicles v WHERE v.station_id = $1 AND v.is_ev <> 0 AND v.purchase_date <= $2 \
         AND v.purchase_date >= $3 ORDER BY v.id LIMIT 1",
    )
    .bind(STATION)
    .bind(newest.to_string())
    .bind(oldest.to_string())
    .fetch_optional(&mut *c)
    .await
    .map_err(store::StoreError::from)?;
    drop(c);
    let hq = crew
        .head_office
        .grant(Action::NetworkWrite)
        .map_err(internal)?;
    for model in models {
        let p = PromiseInput {
            model: Value::from(model),
            min_share_permille: Value::from(700),
            years: Value::from(8),
            km: Value::from(150_000),
        };
        set_promise(st.day.app, &hq, &p).await?;
    }
    let Some(row) = car else { return Ok(None) };
    let (car, km): (i64, i64) = (
        row.try_get(0).map_err(store::StoreError::from)?,
        row.try_get(1).map_err(store::StoreError::from)?,
    );
    let check = CheckInput {
        checked_on: Value::from(checked.to_string()),
        odometer_km: Value::from(km.min(140_000)),
        share_permille: Value::from(665),
    };
    record_check(
        st.day.app,
        &crew.grant(Action::RepairOrderWrite)?,
        car,
        &check,
    )
    .await?;
    Ok(Some(car))
}
