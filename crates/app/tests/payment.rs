//! Payment and the end of the service loop on SQLite, and on PostgreSQL when
//! `TEST_DATABASE_URL` is set (a fresh database per test, dropped at the end): bills,
//! desk and online payments with signed callbacks, ratings, pick-ups with photos,
//! calendar feeds and follow-up tasks.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::billing::DeskPaymentInput;
use app::billing::provider::{Callback, SANDBOX, Sandbox};
use app::estimate::{DecisionInput, LineInput};
use app::pickup::{ChecklistItem, ConfirmInput, PickupInput};
use app::rating::RatingInput;
use app::repair_order::WalkInInput;
use app::{AppError, AppSettings};
use domain::permission::{Action, Grant, Principal, Unit};
use domain::repair_order::Stage;
use domain::role::Role;
use jiff::Timestamp;
use serde_json::json;

mod common;
use common::{Env, at};

const PREFIX: &str = "pay";

fn settings() -> AppSettings {
    AppSettings {
        webhook_secret: "payment-test-secret".into(),
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

on_both_backends!(
    bill_desk_payment_and_rating,
    online_payment_signed_callbacks,
    pickup_checklist_photos_and_confirmation,
    calendar_feeds_and_tokens,
    follow_up_created_at_delivery,
    one_pickup_per_order_even_when_desks_race,
);

struct Fx {
    station: i64,
    customer: i64,
    vehicle: i64,
    driver: i64,
}

fn admin() -> Principal {
    Principal {
        id: 1,
        name: "admin".into(),
        role: Role::Administrator,
        unit: Unit::HeadOffice,
    }
}

fn grant(a: Action) -> Grant {
    admin().grant(a).unwrap()
}

/// Another station's advisor holding `action`: reaches nothing of station A.
fn other_station(action: Action, station: i64, region: i64) -> Grant {
    Principal {
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

fn rule(e: &AppError) -> &'static str {
    match e {
        AppError::Refused(v) | AppError::Invalid(v) => v.0[0].rule,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn fixture(env: &Env) -> Fx {
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

/// Opens a walk-in order with two part lines (¥50 filter, 4.5 L oil at ¥80/L),
/// approved and fitted, and takes it through every stage to the hand-over at
/// 13:00. Invoice: net 41,000 fen, VAT 13% 5,330, gross 46,330.
async fn delivered_order(env: &Env, fx: &Fx) -> i64 {
    delivered_order_for(env, fx, "做保养").await
}

/// As [`delivered_order`] with the owner's concern (the same concern on the same
/// vehicle within 12 months opens a free comeback).
async fn delivered_order_for(env: &Env, fx: &Fx, concern: &str) -> i64 {
    use app::estimate as est;
    use app::repair_order as ro;
    let g = &grant(Action::RepairOrderWrite);
    env.set(at(2026, 11, 24, 10, 0));
    let id = ro::open_walk_in(
        &env.app,
        g,
        &WalkInInput {
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

async fn events(env: &Env, entity: &str, id: i64) -> Vec<String> {
    let mut c = env.app.db.pool.acquire().await.unwrap();
    store::event::for_entity(&mut c, entity, id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

async fn bill_desk_payment_and_rating(env: &Env) {
    use app::billing;
    let fx = fixture(env).await;
    // Not billable before delivery.
    let open = app::repair_order::open_walk_in(
        &env.app,
        &grant(Action::RepairOrderWrite),
        &WalkInInput {
            station_id: fx.station,
            vehicle_id: fx.vehicle,
            vin: None,
            concern: "异响".into(),
            concern_code: None,
            service_type: None,
        },
    )
    .await
    .unwrap();
    let e = billing::issue(&env.app, &grant(billing::WRITE), open)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "bill.not_delivered");
    let e = app::rating::rate_at_desk(
        &env.app,
        &grant(app::rating::WRITE),
        open,
        &RatingInput {
            stars: json!(5),
            comment: json!(null),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "rating.not_delivered");

    let ro = delivered_order(env, &fx).await;
    // Delivery issued the bill in its own transaction.
    let b = billing::view(&env.app, &grant(billing::READ), ro)
        .await
        .unwrap();
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let (issued_events, delivered_at): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM events WHERE entity = 'repair_order' AND entity_id = $1 AND kind = 'bill_issued'), \
         (SELECT delivered_at FROM repair_orders WHERE id = $1)",
    )
    .bind(ro)
    .fetch_one(&mut *c)
    .await
    .unwrap();
    drop(c);
    assert_eq!(issued_events, 1);
    assert_eq!(b.bill.issued_at, delivered_at);
    assert_eq!(
        (b.bill.net_fen, b.bill.vat_fen, b.bill.gross_fen),
        (41_000, 5_330, 46_330)
    );
    assert_eq!(b.bill.state, "unpaid");
    assert_eq!(b.outstanding_fen, 46_330);
    assert_eq!(b.bill.lines.as_array().unwrap().len(), 2);
    assert_eq!(b.bill.lines[1]["amount_fen"], 36_000);
    // Issuing (again) gives the same bill.
    let again = billing::issue(&env.app, &grant(billing::WRITE), ro)
        .await
        .unwrap();
    assert_eq!(again.bill.id, b.bill.id);
    // Another station cannot see it.
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let region_b = store::network::insert_region(&mut c, "WEST", "西部", "West")
        .await
        .unwrap();
    drop(c);
    let outsider = other_station(app::billing::WRITE, fx.station + 1000, region_b);
    assert!(matches!(
        billing::pay_at_desk(
            &env.app,
            &outsider,
            ro,
            &DeskPaymentInput {
                method: json!("cash"),
                reference: json!(null),
                amount_fen: json!(46_330),
            }
        )
        .await
        .unwrap_err(),
        AppError::NotFound
    ));

    // Bad desk input: unknown method, card without reference, wrong amount.
    let pay = |method: &str, reference: serde_json::Value, amount: i64| DeskPaymentInput {
        method: json!(method),
        reference,
        amount_fen: json!(amount),
    };
    let e = billing::pay_at_desk(
        &env.app,
        &grant(billing::WRITE),
        ro,
        &pay("cheque", json!("1"), 46_330),
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "payment.method");
    let e = billing::pay_at_desk(
        &env.app,
        &grant(billing::WRITE),
        ro,
        &pay("card", json!(null), 46_330),
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "required");
    let e = billing::pay_at_desk(
        &env.app,
        &grant(billing::WRITE),
        ro,
        &pay("wechat", json!("WX1"), 46_000),
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "payment.amount_mismatch");
    assert!(matches!(
        billing::pay_at_desk(
            &env.app,
            &grant(billing::READ),
            ro,
            &pay("cash", json!(null), 46_330)
        )
        .await
        .unwrap_err(),
        AppError::Forbidden
    ));
    // A pending online payment is cancelled by the desk payment.
    let online = billing::start_online(&env.app, &grant(billing::WRITE), ro, None)
        .await
        .unwrap();
    let p = billing::pay_at_desk(
        &env.app,
        &grant(billing::WRITE),
        ro,
        &pay("wechat", json!("4200001234202611240001"), 46_330),
    )
    .await
    .unwrap();
    assert_eq!((p.state.as_str(), p.method.as_str()), ("paid", "wechat"));
    let b = billing::view(&env.app, &grant(billing::READ), ro)
        .await
        .unwrap();
    assert_eq!(
        (b.bill.state.as_str(), b.bill.paid_fen, b.outstanding_fen),
        ("paid", 46_330, 0)
    );
    assert_eq!(
        b.bill.paid_at,
        Some(at(2026, 11, 24, 13, 0).as_millisecond())
    );
    let cancelled = b
        .payments
        .iter()
        .find(|x| x.payment_ref == online.payment_ref)
        .unwrap();
    assert_eq!(cancelled.state, "cancelled");
    let e = billing::pay_at_desk(
        &env.app,
        &grant(billing::WRITE),
        ro,
        &pay("cash", json!(null), 1),
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "bill.paid");
    // The late callback for the cancelled online payment changes nothing.
    let cb = Callback {
        provider: SANDBOX.into(),
        payment_ref: online.payment_ref.clone(),
        provider_ref: "SBX-LATE".into(),
        amount_fen: online.amount_fen,
        status: "paid".into(),
    };
    let s = Sandbox::for_app(&env.app)
        .sign(&cb, env.app.now_ms())
        .unwrap();
    let e = billing::callback(&env.app, &s.signature, &s.body)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "payment.not_pending");

    // Rating: range checked, once per order.
    let rate = |stars: serde_json::Value| RatingInput {
        stars,
        comment: json!("服务很好，准时交车"),
    };
    for bad in [json!(0), json!(6), json!("x")] {
        let e = app::rating::rate_at_desk(&env.app, &grant(app::rating::WRITE), ro, &rate(bad))
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Invalid(_)), "{e:?}");
    }
    let r = app::rating::rate_at_desk(&env.app, &grant(app::rating::WRITE), ro, &rate(json!(5)))
        .await
        .unwrap();
    assert_eq!((r.stars, r.channel.as_str()), (5, "desk"));
    let e = app::rating::rate_at_desk(&env.app, &grant(app::rating::WRITE), ro, &rate(json!(4)))
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "rating.once");
    let b = billing::view(&env.app, &grant(billing::READ), ro)
        .await
        .unwrap();
    assert_eq!(b.rating.unwrap().stars, 5);
    let log = events(env, "repair_order", ro).await;
    for kind in [
        "bill_issued",
        "payment_started",
        "payment_cancelled",
        "payment_recorded",
        "rated",
    ] {
        assert_eq!(
            log.iter().filter(|k| *k == kind).count(),
            1,
            "one {kind} event in {log:?}"
        );
    }
}

async fn online_payment_signed_callbacks(env: &Env) {
    use app::billing;
    let fx = fixture(env).await;
    let ro = delivered_order(env, &fx).await;
    billing::issue(&env.app, &grant(billing::WRITE), ro)
        .await
        .unwrap();
    // The owner pays from the transparent-workshop link.
    let token = app::repair_order::issue_owner_link(&env.app, &grant(Action::RepairOrderWrite), ro)
        .await
        .unwrap();
    let e = billing::owner_start_online(&env.app, &token, Some("paypal"))
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "payment.provider_unknown");
    let online = billing::owner_start_online(&env.app, &token, None)
        .await
        .unwrap();
    assert_eq!(online.amount_fen, 46_330);
    assert_eq!(
        online.pay_url,
        format!("/sandbox-pay/{}", online.payment_ref)
    );
    assert!(online.payment_ref.len() >= 32);
    let page = billing::sandbox_checkout(&env.app, &online.payment_ref)
        .await
        .unwrap();
    assert_eq!((page.amount_fen, page.state.as_str()), (46_330, "pending"));
    assert!(matches!(
        billing::sandbox_checkout(&env.app, "0123456789abcdef0123456789abcdef")
            .await
            .unwrap_err(),
        AppError::NotFound
    ));

    let sandbox = Sandbox::for_app(&env.app);
    let now = env.app.now_ms();
    let cb = |amount: i64, provider_ref: &str| Callback {
        provider: SANDBOX.into(),
        payment_ref: online.payment_ref.clone(),
        provider_ref: provider_ref.into(),
        amount_fen: amount,
        status: "paid".into(),
    };
    // Forged: signed with a guessed secret.
    let forged = Sandbox::new("guess")
        .sign(&cb(46_330, "SBX-1"), now)
        .unwrap();
    let e = billing::callback(&env.app, &forged.signature, &forged.body)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "payment.signature_invalid");
    // Tampered body under a genuine signature.
    let genuine = sandbox.sign(&cb(46_330, "SBX-1"), now).unwrap();
    let tampered = genuine.body.replace("46330", "1");
    let e = billing::callback(&env.app, &genuine.signature, &tampered)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "payment.signature_invalid");
    // Stale: a genuine signature from 10 minutes ago (a replay).
    let stale = sandbox.sign(&cb(46_330, "SBX-1"), now - 600_000).unwrap();
    let e = billing::callback(&env.app, &stale.signature, &stale.body)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "payment.signature_stale");
    // Amount mismatch, correctly signed.
    let short = sandbox.sign(&cb(100, "SBX-1"), now).unwrap();
    let e = billing::callback(&env.app, &short.signature, &short.body)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "payment.amount_mismatch");
    let b = billing::owner_view(&env.app, &token).await.unwrap();
    assert_eq!((b.bill.state.as_str(), b.bill.paid_fen), ("unpaid", 0));
    assert_eq!(b.payments[0].state, "pending", "nothing changed");

    // The sandbox's own callback settles it exactly once.
    let signed = billing::sandbox_submit(&env.app, &online.payment_ref, true)
        .await
        .unwrap();
    let out = billing::callback(&env.app, &signed.signature, &signed.body)
        .await
        .unwrap();
    assert_eq!((out.state.as_str(), out.changed), ("paid", true));
    let again = billing::callback(&env.app, &signed.signature, &signed.body)
        .await
        .unwrap();
    assert_eq!((again.state.as_str(), again.changed), ("paid", false));
    // A different provider reference for the settled payment is refused.
    let other = sandbox.sign(&cb(46_330, "SBX-OTHER"), now).unwrap();
    let e = billing::callback(&env.app, &other.signature, &other.body)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "payment.not_pending");
    let b = billing::view(&env.app, &grant(billing::READ), ro)
        .await
        .unwrap();
    assert_eq!((b.bill.state.as_str(), b.bill.paid_fen), ("paid", 46_330));
    assert_eq!(b.payments.len(), 1);
    assert!(
        b.payments[0]
            .provider_ref
            .as_deref()
            .unwrap()
            .starts_with("SBX-")
    );
    let log = events(env, "repair_order", ro).await;
    assert_eq!(
        log.iter().filter(|k| *k == "payment_recorded").count(),
        1,
        "{log:?}"
    );
    // The sandbox will not sign for a closed payment; owner cannot start another.
    let e = billing::sandbox_submit(&env.app, &online.payment_ref, true)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "payment.not_pending");
    let e = billing::owner_start_online(&env.app, &token, None)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "bill.paid");

    // The owner rates from the link: once.
    let r = app::rating::rate_by_owner(
        &env.app,
        &token,
        &RatingInput {
            stars: json!(4),
            comment: json!("不错"),
        },
    )
    .await
    .unwrap();
    assert_eq!((r.stars, r.channel.as_str()), (4, "owner_page"));
    let e = app::rating::rate_by_owner(
        &env.app,
        &token,
        &RatingInput {
            stars: json!(5),
            comment: json!(null),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "rating.once");
    assert!(matches!(
        app::rating::rate_by_owner(
            &env.app,
            &"f".repeat(64),
            &RatingInput {
                stars: json!(5),
                comment: json!(null)
            }
        )
        .await
        .unwrap_err(),
        AppError::NotFound
    ));

    // The same concern again within 12 months is a free comeback: its bill is
    // issued paid, with nothing to pay online.
    let comeback = delivered_order(env, &fx).await;
    let b = billing::issue(&env.app, &grant(billing::WRITE), comeback)
        .await
        .unwrap();
    assert_eq!((b.bill.gross_fen, b.bill.state.as_str()), (0, "paid"));
    let e = billing::start_online(&env.app, &grant(billing::WRITE), comeback, None)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "bill.paid");

    // A failed sandbox payment on another order's bill.
    let ro2 = delivered_order_for(env, &fx, "空调不制冷").await;
    billing::issue(&env.app, &grant(billing::WRITE), ro2)
        .await
        .unwrap();
    let p2 = billing::start_online(&env.app, &grant(billing::WRITE), ro2, Some("sandbox"))
        .await
        .unwrap();
    let s = billing::sandbox_submit(&env.app, &p2.payment_ref, false)
        .await
        .unwrap();
    let out = billing::callback(&env.app, &s.signature, &s.body)
        .await
        .unwrap();
    assert_eq!((out.state.as_str(), out.changed), ("failed", true));
    let b = billing::view(&env.app, &grant(billing::READ), ro2)
        .await
        .unwrap();
    assert_eq!(
        (b.bill.state.as_str(), b.outstanding_fen),
        ("unpaid", 46_330)
    );
}

fn jpeg(n: usize) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0];
    v.extend((0..n).map(|i| (i % 251) as u8));
    v
}

async fn pickup_checklist_photos_and_confirmation(env: &Env) {
    use app::pickup;
    let fx = fixture(env).await;
    let ro = delivered_order(env, &fx).await;
    env.set(at(2026, 11, 24, 14, 0));
    let input = |window_start: serde_json::Value, window_end: serde_json::Value| PickupInput {
        appointment_id: json!(null),
        repair_order_id: json!(ro),
        address: json!("上海市浦东新区世纪大道100号"),
        window_start,
        window_end,
        driver_id: json!(null),
    };
    // Window rules, both or neither reference.
    let e = pickup::schedule(
        &env.app,
        &grant(pickup::WRITE),
        &input(json!("2026-11-24 18:00"), json!("2026-11-24 17:00")),
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "pickup.window");
    let e = pickup::schedule(
        &env.app,
        &grant(pickup::WRITE),
        &input(json!("2026-11-23 08:00"), json!("2026-11-23 10:00")),
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "pickup.window_past");
    let mut both = input(json!("2026-11-24 17:00"), json!("2026-11-24 18:00"));
    both.appointment_id = json!(1);
    let e = pickup::schedule(&env.app, &grant(pickup::WRITE), &both)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "pickup.one_of");
    let mut bad_driver = input(json!("2026-11-24 17:00"), json!("2026-11-24 18:00"));
    bad_driver.driver_id = json!(9999);
    let e = pickup::schedule(&env.app, &grant(pickup::WRITE), &bad_driver)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "pickup.driver_unknown");

    let id = pickup::schedule(
        &env.app,
        &grant(pickup::WRITE),
        &input(json!("2026-11-24 17:00"), json!("2026-11-24 18:00")),
    )
    .await
    .unwrap();
    pickup::assign_driver(&env.app, &grant(pickup::WRITE), id, fx.driver)
        .await
        .unwrap();
    let v = pickup::get(&env.app, &grant(pickup::READ), id)
        .await
        .unwrap();
    assert_eq!(v.pickup.kind, "return");
    assert_eq!(v.pickup.driver_id, Some(fx.driver));
    assert_eq!(
        v.pickup.window_start,
        at(2026, 11, 24, 17, 0).as_millisecond()
    );
    let listed = pickup::list(
        &env.app,
        &grant(pickup::READ),
        fx.station,
        at(2026, 11, 24, 0, 0).as_millisecond(),
        at(2026, 11, 25, 0, 0).as_millisecond(),
    )
    .await
    .unwrap();
    assert_eq!(listed.len(), 1);

    // Confirmation needs the whole checklist and a photo.
    let confirm = ConfirmInput {
        signed_by: json!("张三"),
        signature_ref: json!("sig/handover-1.png"),
    };
    let e = pickup::confirm(&env.app, &grant(pickup::WRITE), id, &confirm)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "pickup.checklist_incomplete");
    let e = pickup::set_checklist(
        &env.app,
        &grant(pickup::WRITE),
        id,
        &[ChecklistItem {
            code: "wheels".into(),
            ok: true,
            note: None,
        }],
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "pickup.checklist_item");
    let items: Vec<ChecklistItem> = app::pickup::CHECKLIST
        .iter()
        .map(|c| ChecklistItem {
            code: (*c).into(),
            ok: *c != "exterior",
            note: (*c == "exterior").then(|| "右后门轻微划痕".into()),
        })
        .collect();
    pickup::set_checklist(&env.app, &grant(pickup::WRITE), id, &items)
        .await
        .unwrap();
    let e = pickup::confirm(&env.app, &grant(pickup::WRITE), id, &confirm)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "pickup.photo_missing");

    // Photos: magic bytes, size, count; stored byte for byte.
    let e = pickup::add_photo(&env.app, &grant(pickup::WRITE), id, "image/png", &jpeg(10))
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "photo.magic");
    let photo = jpeg(300_000);
    let first = pickup::add_photo(&env.app, &grant(pickup::WRITE), id, "image/jpeg", &photo)
        .await
        .unwrap();
    let (ct, bytes) = pickup::photo(&env.app, &grant(pickup::READ), id, first)
        .await
        .unwrap();
    assert_eq!(ct, "image/jpeg");
    assert_eq!(bytes, photo, "byte-identical");
    for _ in 1..app::pickup::MAX_PHOTOS {
        pickup::add_photo(&env.app, &grant(pickup::WRITE), id, "image/jpeg", &jpeg(16))
            .await
            .unwrap();
    }
    let e = pickup::add_photo(&env.app, &grant(pickup::WRITE), id, "image/jpeg", &jpeg(16))
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "photo.count");

    pickup::confirm(&env.app, &grant(pickup::WRITE), id, &confirm)
        .await
        .unwrap();
    let v = pickup::get(&env.app, &grant(pickup::READ), id)
        .await
        .unwrap();
    assert_eq!(v.pickup.state, "confirmed");
    assert_eq!(v.pickup.confirmed_by.as_deref(), Some("张三"));
    assert_eq!(v.photos.len(), 12);
    // Closed: no more changes.
    let e = pickup::set_checklist(&env.app, &grant(pickup::WRITE), id, &items)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "pickup.not_scheduled");
    let e = pickup::cancel(&env.app, &grant(pickup::WRITE), id, "owner away")
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "pickup.not_scheduled");
    let log = events(env, "pickup", id).await;
    assert_eq!(log.first().map(String::as_str), Some("scheduled"));
    assert_eq!(log.last().map(String::as_str), Some("owner_confirmed"));
    assert_eq!(log.iter().filter(|k| *k == "photo_added").count(), 12);
}

async fn book(env: &Env, fx: &Fx, start: Timestamp, concern: &str) -> i64 {
    let mut c = env.app.db.pool.acquire().await.unwrap();
    store::appointment::insert(
        &mut c,
        &store::appointment::AppointmentRow {
            id: 0,
            station_id: fx.station,
            customer_id: fx.customer,
            vehicle_id: fx.vehicle,
            service_type: "maintenance".into(),
            channel: "hotline".into(),
            start_at: start.as_millisecond(),
            duration_minutes: 90,
            slot_minutes: 30,
            slot_count: 3,
            tech_class: 0,
            operation_codes: String::new(),
            concern: Some(concern.into()),
            state: "booked".into(),
            reschedules: 0,
            checked_in_at: None,
            repair_order_id: None,
            cancel_reason: None,
            closed_at: None,
            created_at: 0,
        },
        env.app.now_ms(),
    )
    .await
    .unwrap()
}

async fn calendar_feeds_and_tokens(env: &Env) {
    use app::appointment::feed;
    let fx = fixture(env).await;
    let long = "车主反映：".to_string() + &"低速行驶时前轮附近有异响，刹车时更明显；".repeat(4);
    let a1 = book(env, &fx, at(2026, 11, 25, 10, 0), &long).await;
    let a2 = book(env, &fx, at(2026, 11, 26, 14, 30), "保养").await;
    let feed = feed::station_feed(&env.app, &grant(feed::READ), fx.station)
        .await
        .unwrap();
    check_ics(&feed, 2);
    assert!(feed.contains(&format!("UID:appointment-{a1}@aftersales\r\n")));
    assert!(feed.contains(&format!("UID:appointment-{a2}@aftersales\r\n")));
    assert!(feed.contains("DTSTART:20261125T020000Z\r\n"), "{feed}");
    assert!(feed.contains("DTEND:20261125T033000Z\r\n"));
    assert!(feed.contains("SUMMARY:保养 · 沪AD12345\r\n"));

    let token = feed::issue_owner_token(&env.app, &grant(feed::WRITE), fx.customer)
        .await
        .unwrap();
    assert!(token.len() >= 32, "at least 128 bits");
    let owner = feed::owner_feed(&env.app, &token).await.unwrap();
    check_ics(&owner, 2);
    assert!(owner.contains("SUMMARY:保养预约 · 上海浦东服务站\r\n"));
    // Only the hash is stored.
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM calendar_tokens WHERE token_hash = $1")
            .bind(&token)
            .fetch_one(&env.app.db.pool)
            .await
            .unwrap();
    assert_eq!(stored, 0);
    assert!(matches!(
        feed::owner_feed(&env.app, &"0".repeat(64))
            .await
            .unwrap_err(),
        AppError::NotFound
    ));
    // A new token replaces the old; revoking ends it.
    let token2 = feed::issue_owner_token(&env.app, &grant(feed::WRITE), fx.customer)
        .await
        .unwrap();
    assert!(matches!(
        feed::owner_feed(&env.app, &token).await.unwrap_err(),
        AppError::NotFound
    ));
    feed::owner_feed(&env.app, &token2).await.unwrap();
    feed::revoke_owner_token(&env.app, &grant(feed::WRITE), fx.customer)
        .await
        .unwrap();
    assert!(matches!(
        feed::owner_feed(&env.app, &token2).await.unwrap_err(),
        AppError::NotFound
    ));
}

/// Checks the iCalendar framing: CRLF everywhere, folded lines at most 75 octets,
/// one VEVENT per appointment.
fn check_ics(feed: &str, events: usize) {
    assert!(feed.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
    assert!(feed.ends_with("END:VCALENDAR\r\n"));
    assert!(!feed.replace("\r\n", "").contains('\n'), "bare LF");
    assert!(!feed.replace("\r\n", "").contains('\r'), "bare CR");
    for line in feed.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line}", line.len());
    }
    assert_eq!(feed.matches("BEGIN:VEVENT\r\n").count(), events);
    assert_eq!(feed.matches("END:VEVENT\r\n").count(), events);
    let unfolded = feed.replace("\r\n ", "");
    for line in unfolded.split("\r\n").filter(|l| l.starts_with("DTSTART:")) {
        assert!(line.ends_with('Z'), "{line}");
    }
}

async fn follow_up_created_at_delivery(env: &Env) {
    use app::follow_up;
    let fx = fixture(env).await;
    assert!(
        follow_up::due(&env.app, &grant(follow_up::READ), None, None)
            .await
            .unwrap()
            .is_empty()
    );
    let ro = delivered_order(env, &fx).await;
    let delivered = at(2026, 11, 24, 13, 0).as_millisecond();
    let task = follow_up::for_order(&env.app, &grant(follow_up::READ), ro)
        .await
        .unwrap();
    assert_eq!(task.delivered_at, delivered);
    assert_eq!(task.due_at, delivered + 3 * 24 * 3_600_000);
    assert_eq!(task.due_at, delivered + follow_up::DUE_AFTER_MS);
    assert_eq!(
        task.created_at, delivered,
        "created in the delivering transaction"
    );
    assert_eq!(task.state, "open");
    let log = events(env, "follow_up", task.id).await;
    assert_eq!(log, vec!["created".to_string()]);

    let due = follow_up::due(&env.app, &grant(follow_up::READ), Some(fx.station), None)
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    assert!(!due[0].overdue);
    // Not yet due before a cut-off earlier than its due time.
    assert!(
        follow_up::due(&env.app, &grant(follow_up::READ), None, Some(delivered))
            .await
            .unwrap()
            .is_empty()
    );
    env.set(at(2026, 11, 28, 9, 0));
    let due = follow_up::due(&env.app, &grant(follow_up::READ), None, None)
        .await
        .unwrap();
    assert!(due[0].overdue, "past 3 days");

    let e = follow_up::complete(
        &env.app,
        &grant(follow_up::WRITE),
        task.id,
        &follow_up::CallInput {
            outcome: json!("maybe"),
            note: json!(null),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "follow_up.outcome");
    let call = follow_up::CallInput {
        outcome: json!("reached"),
        note: json!("车主满意"),
    };
    follow_up::complete(&env.app, &grant(follow_up::WRITE), task.id, &call)
        .await
        .unwrap();
    let e = follow_up::complete(&env.app, &grant(follow_up::WRITE), task.id, &call)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "follow_up.done");
    assert!(
        follow_up::due(&env.app, &grant(follow_up::READ), None, None)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn one_pickup_per_order_even_when_desks_race(env: &Env) {
    use app::pickup;
    let fx = fixture(env).await;
    let ro = delivered_order(env, &fx).await;
    env.set(at(2026, 11, 24, 14, 0));
    let input = PickupInput {
        appointment_id: json!(null),
        repair_order_id: json!(ro),
        address: json!("上海市浦东新区世纪大道100号"),
        window_start: json!("2026-11-24 17:00"),
        window_end: json!("2026-11-24 18:00"),
        driver_id: json!(null),
    };
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let (app, input) = (env.app.clone(), input.clone());
            tokio::spawn(async move { pickup::schedule(&app, &grant(pickup::WRITE), &input).await })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => assert_eq!(rule(&e), "pickup.already_scheduled", "{e:?}"),
        }
    }
    assert_eq!(ok, 1, "exactly one desk schedules the return");
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM pickups WHERE repair_order_id = $1")
        .bind(ro)
        .fetch_one(&mut *c)
        .await
        .unwrap();
    assert_eq!(n, 1);
    drop(c);
    // Once cancelled, another may be scheduled.
    let id = pickup::of_order(&env.app, &grant(pickup::READ), ro)
        .await
        .unwrap()[0]
        .id;
    pickup::cancel(&env.app, &grant(pickup::WRITE), id, "车主改期")
        .await
        .unwrap();
    pickup::schedule(&env.app, &grant(pickup::WRITE), &input)
        .await
        .unwrap();
    assert_eq!(
        pickup::of_order(&env.app, &grant(pickup::READ), ro)
            .await
            .unwrap()
            .len(),
        2
    );
}
