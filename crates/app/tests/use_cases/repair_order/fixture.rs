//! The fixture of the service-loop tests: a station with technicians, bays, labour
//! operations and a vehicle, the grants each step needs, and small readers.

use crate::common::Env;
use app::AppError;
use app::appointment::BookInput;
use app::estimate::DecisionInput;
use domain::capacity::QualificationSet;
use domain::capacity::SlotCounts;
use domain::capacity::TechClass;
use domain::certification::Qualification;
use domain::certification::Requirement;
use domain::certification::TechnicianGrade;
use domain::labour::LabourOperation;
use domain::permission::Action;
use domain::permission::Grant;
use domain::permission::Principal;
use domain::permission::Unit;
use domain::role::Role;
use jiff::Timestamp;
use serde_json::json;
use sqlx::Row;

pub(crate) struct Fx {
    pub(crate) station: i64,
    pub(crate) vehicle: i64,
    pub(crate) tech: i64,
    pub(crate) tech_expired: i64,
    pub(crate) write: Grant,
    pub(crate) read: Grant,
    pub(crate) book: Grant,
    pub(crate) appt_read: Grant,
    pub(crate) capacity: Grant,
    pub(crate) kpi: Grant,
}

pub(crate) fn admin() -> Principal {
    Principal {
        kind: domain::permission::ActorKind::Person,
        id: 1,
        name: "admin".into(),
        role: Role::Administrator,
        unit: Unit::HeadOffice,
    }
}

pub(crate) async fn fixture(env: &Env) -> Fx {
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

pub(crate) fn general(grade: TechnicianGrade, n: u16, bays: u16) -> SlotCounts {
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

pub(crate) fn booking(fx: &Fx, start: Timestamp, codes: &[&str]) -> BookInput {
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

pub(crate) fn rule(e: &AppError) -> &'static str {
    match e {
        AppError::Refused(v) | AppError::Invalid(v) => v.0[0].rule,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

pub(crate) async fn used_bays(env: &Env, station: i64, slot: Timestamp) -> (i64, i64) {
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

pub(crate) fn desk(by: &str) -> DecisionInput {
    DecisionInput {
        by: by.into(),
        channel: "desk_signature".into(),
        ip: None,
        signature_ref: Some("sig/1.png".into()),
        promised_at: None,
    }
}

pub(crate) const RECEPTION: [&str; 5] = [
    "reception.walk_around",
    "reception.odometer_fuel",
    "reception.belongings",
    "reception.covers",
    "reception.concern",
];
pub(crate) const DIAGNOSIS: [&str; 3] = [
    "diagnosis.concern_verified",
    "diagnosis.dtc_read",
    "diagnosis.cause_found",
];
pub(crate) const DELIVERY: [&str; 6] = [
    "delivery.work_explained",
    "delivery.invoice_explained",
    "delivery.old_parts",
    "delivery.car_clean",
    "delivery.covers_removed",
    "delivery.next_service",
];

pub(crate) async fn check_all(env: &Env, g: &Grant, ro: i64, codes: &[&str]) {
    for c in codes {
        app::repair_order::check(&env.app, g, ro, c, None)
            .await
            .unwrap();
    }
}
