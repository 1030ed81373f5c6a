//! What the desk-area tests (billing, pick-up, feeds, follow-up) share: settings, a
//! station with a customer, vehicle and driver, and an order taken through every stage
//! to the hand-over.

#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use crate::common::{Env, at};
use app::estimate::{DecisionInput, LineInput};
use app::repair_order::WalkInInput;
use app::{AppError, AppSettings};
use domain::permission::{Action, Grant, Principal, Unit};
use domain::repair_order::Stage;
use domain::role::Role;

pub const PREFIX: &str = "pay";

pub fn settings() -> AppSettings {
    AppSettings {
        payment_sandbox: Some(app::signing::KeyRing::random()),
        ..AppSettings::default()
    }
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let env = super::Env::sqlite(super::PREFIX, super::settings()).await;
                super::$name(&env).await;
                env.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
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

pub struct Fx {
    pub station: i64,
    pub customer: i64,
    pub vehicle: i64,
    pub driver: i64,
}

pub fn admin() -> Principal {
    Principal {
        kind: domain::permission::ActorKind::Person,
        id: 1,
        name: "admin".into(),
        role: Role::Administrator,
        unit: Unit::HeadOffice,
    }
}

pub fn grant(a: Action) -> Grant {
    admin().grant(a).unwrap()
}

/// Another station's advisor holding `action`: reaches nothing of station A.
pub fn other_station(action: Action, station: i64, region: i64) -> Grant {
    Principal {
        kind: domain::permission::ActorKind::Person,
        id: 99,
        name: "other".into(),
        role: Role::ServiceAdvisor,
        unit: Unit::Station(
            domain::ids::StationId(station),
            domain::ids::RegionId(region),
        ),
    }
    .grant(action)
    .unwrap()
}

pub fn rule(e: &AppError) -> &'static str {
    match e {
        AppError::Refused(v) | AppError::Invalid(v) => v.0[0].rule,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

pub async fn fixture(env: &Env) -> Fx {
    let now = env.app.now_ms();
    let mut tx = env.app.db.begin().await.unwrap();
    let region = store::network::insert_region(&mut tx, "EAST", "华东", "East")
        .await
        .unwrap();
    let station = store::network::insert_station(
        &mut tx,
        &store::network::StationFields {
            code: "SH-0001".into(),
            name_zh: "上海浦东服务站".into(),
            name_en: "Shanghai Pudong".into(),
            region_id: region,
            address: "上海市浦东新区张江路1号".into(),
            adcode: "310115".into(),
            city: "上海".into(),
            lon_e6: 121_470_000,
            lat_e6: 31_230_000,
            opening_hours: "08:30-17:30".into(),
            bays: 2,
            capabilities: vec![],
            labour_rate_fen: 20_000,
        },
        now,
    )
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
            quiet_hours: None,
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
    let driver = store::people::insert_staff(
        &mut tx,
        &store::people::NewStaff {
            username: "driver.zhao".into(),
            name: "赵师傅".into(),
            role: "service_advisor".into(),
            station_id: Some(station),
            region_id: None,
            phone: "+8613900000000".into(),
            password_hash: "x".into(),
        },
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    Fx {
        station,
        customer,
        vehicle,
        driver,
    }
}

pub const RECEPTION: [&str; 5] = [
    "reception.walk_around",
    "reception.odometer_fuel",
    "reception.belongings",
    "reception.covers",
    "reception.concern",
];

pub const DIAGNOSIS: [&str; 3] = [
    "diagnosis.concern_verified",
    "diagnosis.dtc_read",
    "diagnosis.cause_found",
];

pub const DELIVERY: [&str; 6] = [
    "delivery.work_explained",
    "delivery.invoice_explained",
    "delivery.old_parts",
    "delivery.car_clean",
    "delivery.covers_removed",
    "delivery.next_service",
];

/// Opens a walk-in order with two part lines (¥50 filter, 4.5 L oil at ¥80/L),
/// approved and fitted, and takes it through every stage to the hand-over at
/// 13:00. Invoice: net 41,000 fen, VAT 13% 5,330, gross 46,330.
pub async fn delivered_order(env: &Env, fx: &Fx) -> i64 {
    delivered_order_for(env, fx, "做保养").await
}

/// As [`delivered_order`] with the owner's concern (the same concern on the same
/// vehicle within 12 months opens a free comeback).
pub async fn delivered_order_for(env: &Env, fx: &Fx, concern: &str) -> i64 {
    use app::estimate as est;
    use app::repair_order as ro;
    let g = &grant(Action::RepairOrderWrite);
    env.set(at(2026, 11, 24, 10, 0));
    let id = ro::open_walk_in(
        &env.app,
        g,
        &WalkInInput {
            // Tests may leave an earlier order of the car open.
            second_order_reason: Some("test: another order of the car may be open".into()),
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
    let check = |codes: &'static [&'static str]| async move {
        for c in codes {
            ro::check(&env.app, g, id, c, None).await.unwrap();
        }
    };
    check(&RECEPTION).await;
    ro::complete_stage(&env.app, g, id, Stage::Reception)
        .await
        .unwrap();
    ro::start_stage(&env.app, g, id, Stage::Diagnosis)
        .await
        .unwrap();
    check(&DIAGNOSIS).await;
    let mut lines = Vec::new();
    for (code, qty, price) in [("OIL-FILTER", 100, 5_000), ("OIL-5W30", 450, 8_000)] {
        lines.push(
            est::add_line(
                &env.app,
                g,
                id,
                &LineInput {
                    kind: "part".into(),
                    code: code.into(),
                    hundredths: Some(qty),
                    unit_price_fen: Some(price),
                },
            )
            .await
            .unwrap(),
        );
    }
    for (i, no) in lines.iter().enumerate() {
        let d = DecisionInput {
            by: "张三".into(),
            channel: "desk_signature".into(),
            ip: None,
            signature_ref: Some("sig/1.png".into()),
            promised_at: (i == 0).then(|| at(2026, 11, 24, 15, 0).as_millisecond()),
        };
        est::approve(&env.app, g, id, *no, &d).await.unwrap();
    }
    ro::complete_stage(&env.app, g, id, Stage::Diagnosis)
        .await
        .unwrap();
    ro::start_stage(&env.app, g, id, Stage::Repair)
        .await
        .unwrap();
    for no in &lines {
        ro::fit_part(&env.app, g, id, *no).await.unwrap();
    }
    ro::complete_stage(&env.app, g, id, Stage::Repair)
        .await
        .unwrap();
    ro::start_stage(&env.app, g, id, Stage::QualityInspection)
        .await
        .unwrap();
    ro::set_applicable(&env.app, g, id, &["qi.work_complete"])
        .await
        .unwrap();
    check(&["qi.work_complete"]).await;
    ro::complete_stage(&env.app, g, id, Stage::QualityInspection)
        .await
        .unwrap();
    ro::start_stage(&env.app, g, id, Stage::Delivery)
        .await
        .unwrap();
    check(&DELIVERY).await;
    env.set(at(2026, 11, 24, 13, 0));
    ro::complete_stage(&env.app, g, id, Stage::Delivery)
        .await
        .unwrap();
    id
}

pub async fn events(env: &Env, entity: &str, id: i64) -> Vec<String> {
    let mut c = env.app.db.pool.acquire().await.unwrap();
    store::event::for_entity(&mut c, entity, id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}
