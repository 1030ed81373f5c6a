//! The service loop end to end on SQLite, and on PostgreSQL when `TEST_DATABASE_URL`
//! is set (a fresh database per test, dropped at the end).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::appointment::BookInput;
use app::estimate::{DecisionInput, LineInput};
use app::repair_order::{OpenInput, WalkInInput};
use app::{AppError, AppSettings};
use domain::capacity::{QualificationSet, SlotCounts, TechClass};
use domain::certification::{Qualification, Requirement, TechnicianGrade};
use domain::kpi::YearMonth;
use domain::labour::LabourOperation;
use domain::permission::{Action, Grant, Principal, Unit};
use domain::repair_order::Stage;
use domain::role::Role;
use jiff::Timestamp;
use jiff::civil::date;
use serde_json::json;
use sqlx::Row;

mod common;
use common::{Env, at};

const PREFIX: &str = "svc";

fn settings() -> AppSettings {
    AppSettings::default()
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let env = super::Env::sqlite(super::PREFIX, super::settings()).await;
                super::$name(&env).await;
                env.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let Some(env) = super::Env::postgres(super::PREFIX, super::settings()).await else {
                    eprintln!("TEST_DATABASE_URL not set; skipped");
                    return;
                };
                super::$name(&env).await;
                env.finish().await;
            }
        }
    )*};
}

on_both_backends!(
    concurrent_bookings_never_exceed_capacity,
    holidays_closed_hours_and_the_past_are_refused,
    reschedule_cancel_and_no_show,
    full_service_loop,
    expired_certificate_blocks_assignment,
    comeback_within_twelve_months_is_linked_and_free,
);

struct Fx {
    station: i64,
    vehicle: i64,
    tech: i64,
    tech_expired: i64,
    write: Grant,
    read: Grant,
    book: Grant,
    appt_read: Grant,
    capacity: Grant,
    kpi: Grant,
}

fn admin() -> Principal {
    Principal {
        kind: domain::permission::ActorKind::Person,
        id: 1,
        name: "admin".into(),
        role: Role::Administrator,
        unit: Unit::HeadOffice,
    }
}

async fn fixture(env: &Env) -> Fx {
    let now = env.app.now_ms();
    let mut tx = env.app.db.begin().await.unwrap();
    let region = store::network::insert_region(&mut tx, "EAST", "华东", "East")
        .await
        .unwrap();
    let station_fields = |code: &str, lat_e6: i64| store::network::StationFields {
        code: code.into(),
        name_zh: format!("{code} 服务站"),
        name_en: format!("{code} station"),
        region_id: region,
        address: "上海市浦东新区".into(),
        adcode: "310115".into(),
        city: "上海".into(),
        lon_e6: 121_470_000,
        lat_e6,
        opening_hours: "08:30-17:30".into(),
        bays: 2,
        capabilities: vec![],
        labour_rate_fen: 20_000,
    };
    let station =
        store::network::insert_station(&mut tx, &station_fields("SH-0001", 31_230_000), now)
            .await
            .unwrap();
    store::network::insert_station(&mut tx, &station_fields("SH-0002", 31_300_000), now)
        .await
        .unwrap();
    let customer = store::customer::insert(
        &mut tx,
        &store::customer::CustomerFields {
            name: "张三".into(),
            phone: "+8613812345678".into(),
            id_number: None,
            station_id: station,
            channel: "sms".into(),
            quiet_hours: Some("22:00-08:00".into()),
            consent_service: true,
            consent_marketing: false,
        },
        now,
    )
    .await
    .unwrap();
    store::privacy::consent::append_flags_after(&mut tx, 0, "import", "test fixture", now)
        .await
        .unwrap();
    let vehicle = store::vehicle::insert(
        &mut tx,
        &store::vehicle::VehicleFields {
            vin: "LSVAU2180N2183294".into(),
            brand: "上汽".into(),
            model: "ER6".into(),
            model_year: 2024,
            plate: Some("沪AD12345".into()),
            purchase_date: "2024-03-01".into(),
            warranty_start: "2024-03-01".into(),
            warranty_end: "2027-03-01".into(),
            warranty_km: 100_000,
            is_ev: true,
            owner_id: customer,
            station_id: station,
        },
        now,
    )
    .await
    .unwrap();
    let staff = |username: &str| store::people::NewStaff {
        username: username.into(),
        name: username.into(),
        role: "technician".into(),
        station_id: Some(station),
        region_id: None,
        phone: "+8613900000000".into(),
        password_hash: "x".into(),
    };
    let tech = store::people::insert_staff(&mut tx, &staff("tech.wang"), now)
        .await
        .unwrap();
    let tech_expired = store::people::insert_staff(&mut tx, &staff("tech.li"), now)
        .await
        .unwrap();
    for (who, cred, from, to) in [
        (tech, "grade:2", "2025-01-01", "2027-12-31"),
        (
            tech,
            "qualification:ev_high_voltage",
            "2025-01-01",
            "2027-12-31",
        ),
        (tech_expired, "grade:3", "2023-01-01", "2026-06-30"),
        (
            tech_expired,
            "qualification:ev_high_voltage",
            "2023-01-01",
            "2026-06-30",
        ),
    ] {
        store::people::insert_certificate(&mut tx, who, cred, from, to)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();

    let network = admin().grant(Action::NetworkWrite).unwrap();
    let ops = [
        (
            "MAINT-10K",
            "1万公里保养",
            "10,000 km service",
            100,
            Requirement::default(),
        ),
        (
            "BRAKE-PAD",
            "更换前刹车片",
            "Replace front brake pads",
            150,
            Requirement {
                min_grade: Some(TechnicianGrade::Technician),
                qualification: None,
            },
        ),
        (
            "HV-BATT",
            "动力电池检测",
            "Traction battery check",
            200,
            Requirement {
                min_grade: Some(TechnicianGrade::SeniorTechnician),
                qualification: Some(Qualification::EvHighVoltage),
            },
        ),
    ];
    for (code, zh, en, h, req) in ops {
        let op = LabourOperation::new(code, zh, en, h, req).unwrap();
        app::labour::upsert_operation(&env.app, &network, &op)
            .await
            .unwrap();
    }
    let added = app::calendar::ensure_holidays(&env.app).await.unwrap();
    assert!(added > 50, "holiday plan seeded ({added} days)");
    assert_eq!(
        app::calendar::ensure_holidays(&env.app).await.unwrap(),
        0,
        "seeding twice adds nothing"
    );
    Fx {
        station,
        vehicle,
        tech,
        tech_expired,
        write: admin().grant(Action::RepairOrderWrite).unwrap(),
        read: admin().grant(Action::RepairOrderRead).unwrap(),
        book: admin().grant(Action::AppointmentBook).unwrap(),
        appt_read: admin().grant(Action::AppointmentRead).unwrap(),
        capacity: admin().grant(Action::CapacityAdmin).unwrap(),
        kpi: admin().grant(Action::KpiRead).unwrap(),
    }
}

fn general(grade: TechnicianGrade, n: u16, bays: u16) -> SlotCounts {
    let mut c = SlotCounts::with_bays(bays);
    c.add_technicians(
        TechClass {
            grade,
            qualifications: QualificationSet::EMPTY,
        },
        n,
    );
    c
}

fn booking(fx: &Fx, start: Timestamp, codes: &[&str]) -> BookInput {
    BookInput {
        station_id: fx.station,
        vehicle_id: fx.vehicle,
        service_type: "maintenance".into(),
        channel: "hotline".into(),
        start: json!(start.as_millisecond()),
        operation_codes: codes.iter().map(|s| s.to_string()).collect(),
        duration_minutes: None,
        concern: Some("保养".into()),
    }
}

fn rule(e: &AppError) -> &'static str {
    match e {
        AppError::Refused(v) | AppError::Invalid(v) => v.0[0].rule,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn used_bays(env: &Env, station: i64, slot: Timestamp) -> (i64, i64) {
    let row = sqlx::query(
        "SELECT bays, used_bays FROM capacity_slots WHERE station_id = $1 AND slot_start = $2",
    )
    .bind(station)
    .bind(slot.as_millisecond())
    .fetch_one(&env.app.db.pool)
    .await
    .unwrap();
    (row.get::<i64, _>(0), row.get::<i64, _>(1))
}

async fn concurrent_bookings_never_exceed_capacity(env: &Env) {
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

async fn holidays_closed_hours_and_the_past_are_refused(env: &Env) {
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

async fn reschedule_cancel_and_no_show(env: &Env) {
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

fn desk(by: &str) -> DecisionInput {
    DecisionInput {
        by: by.into(),
        channel: "desk_signature".into(),
        ip: None,
        signature_ref: Some("sig/1.png".into()),
        promised_at: None,
    }
}

const RECEPTION: [&str; 5] = [
    "reception.walk_around",
    "reception.odometer_fuel",
    "reception.belongings",
    "reception.covers",
    "reception.concern",
];
const DIAGNOSIS: [&str; 3] = [
    "diagnosis.concern_verified",
    "diagnosis.dtc_read",
    "diagnosis.cause_found",
];
const DELIVERY: [&str; 6] = [
    "delivery.work_explained",
    "delivery.invoice_explained",
    "delivery.old_parts",
    "delivery.car_clean",
    "delivery.covers_removed",
    "delivery.next_service",
];

async fn check_all(env: &Env, g: &Grant, ro: i64, codes: &[&str]) {
    for c in codes {
        app::repair_order::check(&env.app, g, ro, c, None)
            .await
            .unwrap();
    }
}

async fn full_service_loop(env: &Env) {
    use app::estimate as est;
    use app::repair_order as ro_uc;
    let fx = fixture(env).await;
    let g = &fx.write;
    app::capacity::publish(
        &env.app,
        &fx.capacity,
        fx.station,
        date(2026, 11, 24),
        3,
        None,
    )
    .await
    .unwrap();
    // Derived from the station: 2 bays; tech.wang counts (grade 2 + HV), tech.li's
    // certificates expired and does not.
    assert_eq!(
        used_bays(env, fx.station, at(2026, 11, 24, 10, 0)).await,
        (2, 0)
    );
    let appt = app::appointment::book(
        &env.app,
        &fx.book,
        &booking(&fx, at(2026, 11, 24, 10, 0), &["MAINT-10K"]),
    )
    .await
    .unwrap();
    env.set(at(2026, 11, 24, 10, 0));
    let ro = ro_uc::open_from_appointment(
        &env.app,
        g,
        appt,
        &OpenInput {
            second_order_reason: None,
            concern: Some("做保养，刹车有异响".into()),
            concern_code: None,
        },
    )
    .await
    .unwrap();
    let a = app::appointment::get(&env.app, &fx.appt_read, appt)
        .await
        .unwrap();
    assert_eq!(
        (a.state.as_str(), a.repair_order_id),
        ("converted", Some(ro))
    );

    // Reception: a missing checkpoint blocks completion.
    check_all(env, g, ro, &RECEPTION[..4]).await;
    env.set(at(2026, 11, 24, 10, 10));
    let e = ro_uc::complete_stage(&env.app, g, ro, Stage::Reception)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "repair_order.checkpoint_missing");
    check_all(env, g, ro, &RECEPTION[4..]).await;
    ro_uc::complete_stage(&env.app, g, ro, Stage::Reception)
        .await
        .unwrap();

    // Diagnosis and the estimate.
    ro_uc::start_stage(&env.app, g, ro, Stage::Diagnosis)
        .await
        .unwrap();
    check_all(env, g, ro, &DIAGNOSIS).await;
    let maint = est::add_line(
        &env.app,
        g,
        ro,
        &LineInput {
            kind: "labour".into(),
            code: "MAINT-10K".into(),
            hundredths: None,
            unit_price_fen: None,
        },
    )
    .await
    .unwrap();
    let filter = est::add_line(
        &env.app,
        g,
        ro,
        &LineInput {
            kind: "part".into(),
            code: "OIL-FILTER".into(),
            hundredths: Some(100),
            unit_price_fen: Some(5_000),
        },
    )
    .await
    .unwrap();
    let mut approval = desk("张三");
    approval.promised_at = Some(at(2026, 11, 24, 15, 0).as_millisecond());
    est::approve(&env.app, g, ro, maint, &approval)
        .await
        .unwrap();
    est::approve(&env.app, g, ro, filter, &desk("张三"))
        .await
        .unwrap();
    let e = est::approve(&env.app, g, ro, maint, &desk("张三"))
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "estimate.line_decided");
    env.set(at(2026, 11, 24, 10, 40));
    ro_uc::complete_stage(&env.app, g, ro, Stage::Diagnosis)
        .await
        .unwrap();

    // Repair: certified technician, approved work only, extra work needs approval.
    ro_uc::start_stage(&env.app, g, ro, Stage::Repair)
        .await
        .unwrap();
    ro_uc::assign_technician(&env.app, g, ro, maint, fx.tech)
        .await
        .unwrap();
    ro_uc::start_work(&env.app, g, ro, maint).await.unwrap();
    env.set(at(2026, 11, 24, 11, 30));
    ro_uc::finish_work(&env.app, g, ro, maint).await.unwrap();
    ro_uc::fit_part(&env.app, g, ro, filter).await.unwrap();
    let brake = est::add_line(
        &env.app,
        g,
        ro,
        &LineInput {
            kind: "labour".into(),
            code: "BRAKE-PAD".into(),
            hundredths: None,
            unit_price_fen: None,
        },
    )
    .await
    .unwrap();
    let e = ro_uc::start_work(&env.app, g, ro, brake).await.unwrap_err();
    assert_eq!(
        rule(&e),
        "repair_order.line_not_approved",
        "unapproved work cannot start"
    );
    let e = ro_uc::complete_stage(&env.app, g, ro, Stage::Repair)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "repair_order.proposed_work_pending");
    // The owner approves the extra work from the transparent-workshop link.
    let token = ro_uc::issue_owner_link(&env.app, g, ro).await.unwrap();
    assert!(token.len() >= 32, "at least 128 bits");
    let seen = ro_uc::owner_view(&env.app, &token).await.unwrap();
    assert_eq!(seen.current_stage.as_deref(), Some("repair"));
    assert!(
        seen.lines
            .iter()
            .any(|l| l.line_no == i64::from(brake) && l.extra)
    );
    app::estimate::owner_decide(&env.app, &token, brake, true, Some("203.0.113.7"))
        .await
        .unwrap();
    ro_uc::assign_technician(&env.app, g, ro, brake, fx.tech)
        .await
        .unwrap();
    ro_uc::start_work(&env.app, g, ro, brake).await.unwrap();
    env.set(at(2026, 11, 24, 12, 0));
    ro_uc::finish_work(&env.app, g, ro, brake).await.unwrap();
    ro_uc::complete_stage(&env.app, g, ro, Stage::Repair)
        .await
        .unwrap();

    // Quality inspection with the checkpoints applicable to this job.
    ro_uc::start_stage(&env.app, g, ro, Stage::QualityInspection)
        .await
        .unwrap();
    ro_uc::set_applicable(&env.app, g, ro, &["qi.work_complete", "qi.brakes"])
        .await
        .unwrap();
    check_all(env, g, ro, &["qi.work_complete"]).await;
    let e = ro_uc::complete_stage(&env.app, g, ro, Stage::QualityInspection)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "repair_order.checkpoint_missing");
    check_all(env, g, ro, &["qi.brakes"]).await;
    env.set(at(2026, 11, 24, 12, 20));
    ro_uc::complete_stage(&env.app, g, ro, Stage::QualityInspection)
        .await
        .unwrap();

    // Delivery, before the promised 15:00.
    ro_uc::start_stage(&env.app, g, ro, Stage::Delivery)
        .await
        .unwrap();
    check_all(env, g, ro, &DELIVERY).await;
    env.set(at(2026, 11, 24, 13, 0));
    let done = ro_uc::complete_stage(&env.app, g, ro, Stage::Delivery)
        .await
        .unwrap();
    assert_eq!((done.late_minutes, done.courtesy_car), (None, false));
    // The delivered record is what the three-guarantees counters rely on: its
    // classification can no longer change.
    let e = ro_uc::classify_concern(
        &env.app,
        g,
        ro,
        &ro_uc::ClassifyInput {
            concern_code: Some("C0051".into()),
            safety_fault: true,
            reason: Some("late finding".into()),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "repair_order.delivered");

    let view = ro_uc::get(&env.app, &fx.read, ro).await.unwrap();
    assert_eq!(view.order.state, "delivered");
    assert_eq!(view.order.current_stage.as_deref(), Some("follow_up"));
    assert_eq!(
        view.order.promised_at,
        Some(at(2026, 11, 24, 15, 0).as_millisecond())
    );
    let t: Vec<(Stage, i64, i64, bool)> = view
        .timings
        .iter()
        .map(|t| (t.stage, t.elapsed_minutes, t.standard_minutes, t.overrun))
        .collect();
    assert_eq!(
        t[..5],
        [
            (Stage::Reception, 10, 15, false),
            (Stage::Diagnosis, 30, 30, false),
            // Approved labour: 1.00 h + 1.50 h = 150 minutes; took 80.
            (Stage::Repair, 80, 150, false),
            (Stage::QualityInspection, 20, 20, false),
            (Stage::Delivery, 40, 15, true),
        ]
    );

    // Invoice: 1.00 h + 1.50 h at ¥200/h plus a ¥50 filter; VAT 13%.
    let e = est::view(&env.app, &fx.read, ro).await.unwrap();
    assert_eq!(e.invoice.lines.len(), 3);
    assert_eq!(e.invoice.totals.net.fen(), 20_000 + 30_000 + 5_000);
    assert_eq!(e.invoice.totals.vat.fen(), 7_150);
    assert_eq!(e.invoice.totals.gross.fen(), 62_150);
    let brake_line = e
        .lines
        .iter()
        .find(|l| l.line_no == i64::from(brake))
        .unwrap();
    assert_eq!(brake_line.decision_channel.as_deref(), Some("owner_page"));
    // The client address is evidence, not part of the view (issue 21, finding 7).
    assert_eq!(brake_line.decision_ip, None);
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let ip: Option<String> = sqlx::query_scalar(
        "SELECT decision_ip FROM estimate_lines WHERE repair_order_id = $1 AND line_no = $2",
    )
    .bind(ro)
    .bind(i64::from(brake))
    .fetch_one(&mut *c)
    .await
    .unwrap();
    assert_eq!(ip.as_deref(), Some("203.0.113.7"));

    // KPIs: one order delivered 3 h after reception, on time, no comeback.
    let k = app::kpi::station_kpis(
        &env.app,
        &fx.kpi,
        fx.station,
        YearMonth {
            year: 2026,
            month: 11,
        },
    )
    .await
    .unwrap();
    assert_eq!(k.delivered, 1);
    assert_eq!(
        (k.first_time_fix.numerator, k.first_time_fix.denominator),
        (1, 1)
    );
    assert_eq!(k.mean_repair_minutes, Some(180));
    assert_eq!(
        (k.on_time_delivery.numerator, k.on_time_delivery.denominator),
        (1, 1)
    );

    // The owner link can be revoked.
    ro_uc::revoke_owner_link(&env.app, g, ro).await.unwrap();
    assert!(matches!(
        ro_uc::owner_view(&env.app, &token).await,
        Err(AppError::NotFound)
    ));
    let kinds: Vec<String> = store::event::for_entity(
        &mut env.app.db.pool.acquire().await.unwrap(),
        "repair_order",
        ro,
    )
    .await
    .unwrap()
    .into_iter()
    .map(|e| e.kind)
    .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "stage_started").count(), 6);
    assert_eq!(kinds.iter().filter(|k| *k == "stage_completed").count(), 5);
}

async fn expired_certificate_blocks_assignment(env: &Env) {
    let fx = fixture(env).await;
    let g = &fx.write;
    let ro = app::repair_order::open_walk_in(
        &env.app,
        g,
        &WalkInInput {
            second_order_reason: None,
            station_id: fx.station,
            vehicle_id: fx.vehicle,
            vin: None,
            concern: "动力电池续航下降".into(),
            concern_code: None,
            service_type: None,
        },
    )
    .await
    .unwrap();
    let line = app::estimate::add_line(
        &env.app,
        g,
        ro,
        &LineInput {
            kind: "labour".into(),
            code: "HV-BATT".into(),
            hundredths: None,
            unit_price_fen: None,
        },
    )
    .await
    .unwrap();
    let e = app::repair_order::assign_technician(&env.app, g, ro, line, fx.tech_expired)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "certification.grade_missing");
    app::repair_order::assign_technician(&env.app, g, ro, line, fx.tech)
        .await
        .unwrap();
    // Once tech.wang's certificates expire too, he can no longer be assigned.
    env.set(at(2028, 1, 3, 9, 0));
    let e = app::repair_order::assign_technician(&env.app, g, ro, line, fx.tech)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "certification.grade_missing");
}

/// Drives a walk-in order from reception to delivery, one labour line, 1 hour per step.
async fn walk_in_delivered(env: &Env, fx: &Fx, concern: &str, code: &str) -> i64 {
    use app::repair_order as ro_uc;
    let g = &fx.write;
    let step = || env.clock.advance_ms(3_600_000);
    let ro = ro_uc::open_walk_in(
        &env.app,
        g,
        &WalkInInput {
            second_order_reason: None,
            station_id: fx.station,
            vehicle_id: fx.vehicle,
            vin: None,
            concern: concern.into(),
            concern_code: None,
            service_type: None,
        },
    )
    .await
    .unwrap();
    check_all(env, g, ro, &RECEPTION).await;
    ro_uc::complete_stage(&env.app, g, ro, Stage::Reception)
        .await
        .unwrap();
    ro_uc::start_stage(&env.app, g, ro, Stage::Diagnosis)
        .await
        .unwrap();
    check_all(env, g, ro, &DIAGNOSIS).await;
    let line = app::estimate::add_line(
        &env.app,
        g,
        ro,
        &LineInput {
            kind: "labour".into(),
            code: code.into(),
            hundredths: None,
            unit_price_fen: None,
        },
    )
    .await
    .unwrap();
    app::estimate::approve(&env.app, g, ro, line, &desk("张三"))
        .await
        .unwrap();
    step();
    ro_uc::complete_stage(&env.app, g, ro, Stage::Diagnosis)
        .await
        .unwrap();
    ro_uc::start_stage(&env.app, g, ro, Stage::Repair)
        .await
        .unwrap();
    // 先认证后上岗: nobody assigned, nobody starts (422 naming the technician).
    let e = ro_uc::start_work(&env.app, g, ro, line).await.unwrap_err();
    assert!(matches!(e, AppError::Invalid(_)), "{e:?}");
    assert_eq!(rule(&e), "certification.unassigned");
    ro_uc::assign_technician(&env.app, g, ro, line, fx.tech)
        .await
        .unwrap();
    ro_uc::start_work(&env.app, g, ro, line).await.unwrap();
    step();
    ro_uc::finish_work(&env.app, g, ro, line).await.unwrap();
    ro_uc::complete_stage(&env.app, g, ro, Stage::Repair)
        .await
        .unwrap();
    ro_uc::start_stage(&env.app, g, ro, Stage::QualityInspection)
        .await
        .unwrap();
    ro_uc::complete_stage(&env.app, g, ro, Stage::QualityInspection)
        .await
        .unwrap();
    ro_uc::start_stage(&env.app, g, ro, Stage::Delivery)
        .await
        .unwrap();
    check_all(env, g, ro, &DELIVERY).await;
    step();
    ro_uc::complete_stage(&env.app, g, ro, Stage::Delivery)
        .await
        .unwrap();
    ro
}

async fn comeback_within_twelve_months_is_linked_and_free(env: &Env) {
    let fx = fixture(env).await;
    let g = &fx.write;
    let first = walk_in_delivered(env, &fx, "刹车异响", "BRAKE-PAD").await;
    // Three months later the same concern comes back (spacing and case ignored).
    env.set(at(2027, 2, 24, 9, 0));
    let other = app::repair_order::open_walk_in(
        &env.app,
        g,
        &WalkInInput {
            second_order_reason: None,
            station_id: fx.station,
            vehicle_id: fx.vehicle,
            vin: None,
            concern: "空调不制冷".into(),
            concern_code: None,
            service_type: None,
        },
    )
    .await
    .unwrap();
    // The air-conditioning order is still open: the second one needs its reason.
    let e = app::repair_order::open_walk_in(
        &env.app,
        g,
        &WalkInInput {
            second_order_reason: None,
            station_id: fx.station,
            vehicle_id: fx.vehicle,
            vin: None,
            concern: "刹车 异响！".into(),
            concern_code: None,
            service_type: None,
        },
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "repair_order.open_exists");
    let again = app::repair_order::open_walk_in(
        &env.app,
        g,
        &WalkInInput {
            second_order_reason: Some("刹车另开一单".into()),
            station_id: fx.station,
            vehicle_id: fx.vehicle,
            vin: None,
            concern: "刹车 异响！".into(),
            concern_code: None,
            service_type: None,
        },
    )
    .await
    .unwrap();
    let v = app::repair_order::get(&env.app, &fx.read, again)
        .await
        .unwrap();
    assert_eq!(v.order.comeback_of, Some(first));
    let v = app::repair_order::get(&env.app, &fx.read, other)
        .await
        .unwrap();
    assert_eq!(
        v.order.comeback_of, None,
        "a different concern is not a comeback"
    );
    let line = app::estimate::add_line(
        &env.app,
        g,
        again,
        &LineInput {
            kind: "labour".into(),
            code: "BRAKE-PAD".into(),
            hundredths: None,
            unit_price_fen: None,
        },
    )
    .await
    .unwrap();
    let e = app::estimate::view(&env.app, &fx.read, again)
        .await
        .unwrap();
    let l = e
        .lines
        .iter()
        .find(|l| l.line_no == i64::from(line))
        .unwrap();
    assert!(l.comeback);
    assert_eq!(l.amount_fen, 0);
    assert_eq!(e.quoted.gross.fen(), 0, "a comeback is free of charge");
    // The original order now counts against first-time fix; it was delivered 3 h
    // after reception with no promise... the promise is the ETA, which it met.
    let k = app::kpi::station_kpis(
        &env.app,
        &fx.kpi,
        fx.station,
        YearMonth {
            year: 2026,
            month: 11,
        },
    )
    .await
    .unwrap();
    assert_eq!(k.delivered, 1);
    assert_eq!(
        (k.first_time_fix.numerator, k.first_time_fix.denominator),
        (0, 1)
    );
    assert_eq!(k.mean_repair_minutes, Some(180));
    // More than 12 months after delivery it is a new repair.
    env.set(at(2027, 12, 1, 9, 0));
    let late = app::repair_order::open_walk_in(
        &env.app,
        g,
        &WalkInInput {
            // Orders opened above are still open.
            second_order_reason: Some("另开一单".into()),
            station_id: fx.station,
            vehicle_id: fx.vehicle,
            vin: None,
            concern: "刹车异响".into(),
            concern_code: None,
            service_type: None,
        },
    )
    .await
    .unwrap();
    let v = app::repair_order::get(&env.app, &fx.read, late)
        .await
        .unwrap();
    assert_eq!(v.order.comeback_of, None);
}
