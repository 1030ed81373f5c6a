//! Booking against capacity: concurrent bookings never exceed it; holidays, closed
//! hours and the past are refused; reschedule, cancel and no-show.

use super::fixture::booking;
use super::fixture::fixture;
use super::fixture::general;
use super::fixture::rule;
use super::fixture::used_bays;
use crate::common::Env;
use crate::common::at;
use app::AppError;
use domain::certification::TechnicianGrade;
use jiff::Timestamp;
use jiff::civil::date;
use serde_json::json;
use sqlx::Row;

pub(crate) async fn concurrent_bookings_never_exceed_capacity(env: &Env) {
    let fx = fixture(env).await;
    // 4 bays, 6 technicians: the bays are the limit.
    let slots = app::capacity::publish(
        &env.app,
        &fx.capacity,
        fx.station,
        date(2026, 11, 25),
        2,
        Some(general(TechnicianGrade::SeniorTechnician, 6, 4)),
    )
    .await
    .unwrap();
    assert_eq!(slots, 2 * 18, "08:30–17:30 in 30-minute slots, two days");
    let start = at(2026, 11, 25, 10, 0);
    // One place is taken already: 3 remain for the 1-hour job (two slots).
    app::appointment::book(&env.app, &fx.book, &booking(&fx, start, &["MAINT-10K"]))
        .await
        .unwrap();
    // Fifty other cars (one car cannot hold two overlapping appointments).
    let owner: i64 = sqlx::query_scalar("SELECT owner_id FROM vehicles WHERE id = $1")
        .bind(fx.vehicle)
        .fetch_one(&env.app.db.pool)
        .await
        .unwrap();
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let mut cars = Vec::new();
    for i in 0..50 {
        let f = store::vehicle::VehicleFields {
            vin: domain::vin::Vin::with_check_digit("LSVAU218", &format!("N2{i:06}"))
                .unwrap()
                .to_string(),
            brand: "上汽".into(),
            model: "ER6".into(),
            model_year: 2024,
            plate: None,
            purchase_date: "2024-03-01".into(),
            warranty_start: "2024-03-01".into(),
            warranty_end: "2027-03-01".into(),
            warranty_km: 100_000,
            is_ev: false,
            owner_id: owner,
            station_id: fx.station,
        };
        cars.push(store::vehicle::insert(&mut c, &f, 0).await.unwrap());
    }
    drop(c);
    let mut tasks = Vec::new();
    for car in cars {
        let app = env.app.clone();
        let grant = fx.book.clone();
        let mut input = booking(&fx, start, &["MAINT-10K"]);
        input.vehicle_id = car;
        tasks.push(tokio::spawn(async move {
            app::appointment::book(&app, &grant, &input).await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => assert_eq!(rule(&e), "capacity.no_bay", "{e:?}"),
        }
    }
    assert_eq!(ok, 3, "exactly the three remaining places are booked");
    for slot in [start, at(2026, 11, 25, 10, 30)] {
        assert_eq!(used_bays(env, fx.station, slot).await, (4, 4));
    }
    let list = app::appointment::list(
        &env.app,
        &fx.appt_read,
        fx.station,
        start.as_millisecond(),
        start.as_millisecond() + 1,
    )
    .await
    .unwrap();
    assert_eq!(list.len(), 4);
    // The owner's preferred time is full: nearest free starts are offered instead,
    // here and at the nearby station (which has published nothing, so offers nothing).
    let offer = app::capacity::find_slots(
        &env.app,
        &fx.appt_read,
        &app::capacity::SlotQuery {
            station_id: fx.station,
            service_type: domain::appointment::ServiceType::Maintenance,
            operation_codes: vec!["MAINT-10K".into()],
            preferred: start,
            limit: 3,
            nearby_stations: 2,
        },
    )
    .await
    .unwrap();
    assert!(!offer.preferred_free);
    assert_eq!(
        offer.here.slots,
        vec![
            at(2026, 11, 25, 9, 0),
            at(2026, 11, 25, 11, 0),
            at(2026, 11, 25, 8, 30)
        ]
    );
    assert!(offer.nearby.is_empty());
}

pub(crate) async fn holidays_closed_hours_and_the_past_are_refused(env: &Env) {
    let fx = fixture(env).await;
    env.set(at(2026, 9, 28, 9, 0));
    app::capacity::publish(
        &env.app,
        &fx.capacity,
        fx.station,
        date(2026, 9, 28),
        14,
        Some(general(TechnicianGrade::SeniorTechnician, 2, 2)),
    )
    .await
    .unwrap();
    let slots_on_holiday: i64 = sqlx::query(
        "SELECT COUNT(*) FROM capacity_slots WHERE slot_start >= $1 AND slot_start < $2",
    )
    .bind(at(2026, 10, 1, 0, 0).as_millisecond())
    .bind(at(2026, 10, 2, 0, 0).as_millisecond())
    .fetch_one(&env.app.db.pool)
    .await
    .unwrap()
    .get(0);
    assert_eq!(slots_on_holiday, 0, "no capacity published on National Day");
    let e = app::appointment::book(
        &env.app,
        &fx.book,
        &booking(&fx, at(2026, 10, 1, 10, 0), &[]),
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "capacity.not_working_day");
    // 2026-10-10 is a Saturday worked instead (调休): open.
    app::appointment::book(
        &env.app,
        &fx.book,
        &booking(&fx, at(2026, 10, 10, 9, 0), &[]),
    )
    .await
    .unwrap();
    let e = app::appointment::book(
        &env.app,
        &fx.book,
        &booking(&fx, at(2026, 9, 29, 18, 0), &[]),
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "capacity.outside_hours");
    let e = app::appointment::book(
        &env.app,
        &fx.book,
        &booking(&fx, at(2026, 9, 28, 8, 30), &[]),
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "appointment.in_past");
    let e = app::appointment::book(
        &env.app,
        &fx.book,
        &booking(&fx, at(2026, 9, 29, 17, 0), &[]),
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "capacity.beyond_closing");
    // An EV battery check needs a high-voltage technician; none was published.
    let mut ev = booking(&fx, at(2026, 9, 29, 9, 0), &["HV-BATT"]);
    ev.service_type = "ev_battery_check".into();
    let e = app::appointment::book(&env.app, &fx.book, &ev)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "capacity.no_technician");
    // Reading a grant cannot book.
    let e = app::appointment::book(
        &env.app,
        &fx.appt_read,
        &booking(&fx, at(2026, 9, 29, 9, 0), &[]),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, AppError::Forbidden));
}

pub(crate) async fn reschedule_cancel_and_no_show(env: &Env) {
    let fx = fixture(env).await;
    app::capacity::publish(
        &env.app,
        &fx.capacity,
        fx.station,
        date(2026, 11, 24),
        3,
        Some(general(TechnicianGrade::SeniorTechnician, 1, 1)),
    )
    .await
    .unwrap();
    let first = at(2026, 11, 25, 10, 0);
    let id = app::appointment::book(&env.app, &fx.book, &booking(&fx, first, &[]))
        .await
        .unwrap();
    let key = |start: Timestamp| format!("appt-reminder:{id}:{}", start.as_millisecond());
    let due: i64 = sqlx::query("SELECT due_at FROM outbox WHERE dedupe_key = $1")
        .bind(key(first))
        .fetch_one(&env.app.db.pool)
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        due,
        at(2026, 11, 24, 10, 0).as_millisecond(),
        "24 hours before"
    );
    // The only place is taken.
    let e = app::appointment::book(&env.app, &fx.book, &booking(&fx, first, &[]))
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "capacity.no_bay");
    let second = at(2026, 11, 25, 14, 0);
    app::appointment::reschedule(&env.app, &fx.book, id, &json!(second.as_millisecond()))
        .await
        .unwrap();
    assert_eq!(used_bays(env, fx.station, first).await, (1, 0));
    assert_eq!(used_bays(env, fx.station, second).await, (1, 1));
    let status: String = sqlx::query("SELECT status FROM outbox WHERE dedupe_key = $1")
        .bind(key(first))
        .fetch_one(&env.app.db.pool)
        .await
        .unwrap()
        .get(0);
    assert_eq!(status, "withdrawn");
    let e = app::appointment::cancel(&env.app, &fx.book, id, "  ")
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "appointment.reason_missing");
    app::appointment::cancel(&env.app, &fx.book, id, "车主出差")
        .await
        .unwrap();
    assert_eq!(used_bays(env, fx.station, second).await, (1, 0), "released");
    let a = app::appointment::get(&env.app, &fx.appt_read, id)
        .await
        .unwrap();
    assert_eq!(
        (a.state.as_str(), a.cancel_reason.as_deref()),
        ("cancelled", Some("车主出差"))
    );
    // No-show only after the start.
    let other = app::appointment::book(&env.app, &fx.book, &booking(&fx, first, &[]))
        .await
        .unwrap();
    let e = app::appointment::no_show(&env.app, &fx.book, other)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "appointment.no_show_too_early");
    env.set(at(2026, 11, 25, 11, 0));
    app::appointment::no_show(&env.app, &fx.book, other)
        .await
        .unwrap();
    let events = sqlx::query(
        "SELECT kind FROM events WHERE entity = 'appointment' AND entity_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&env.app.db.pool)
    .await
    .unwrap()
    .iter()
    .map(|r| r.get::<String, _>(0))
    .collect::<Vec<_>>();
    assert_eq!(events, ["booked", "rescheduled", "cancelled"]);
}
