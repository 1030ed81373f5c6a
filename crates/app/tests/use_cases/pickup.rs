//! Pick-up and delivery: checklist, photos, the owner's confirmation, and one pick-up
//! per order even when desks race, on SQLite, and on
//! PostgreSQL when `TEST_DATABASE_URL` is set (a fresh database per test, dropped at
//! the end).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::pickup::{ChecklistItem, ConfirmInput, PickupInput};
use serde_json::json;

use crate::common;
use crate::desk;
use common::{Env, at};
use desk::*;

on_both_backends!(
    pickup_checklist_photos_and_confirmation,
    one_pickup_per_order_even_when_desks_race,
);

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
    // Head office does not need the name the owner signed with (issue 21, finding 7);
    // even the one who scheduled the pick-up sees its address masked until they reveal
    // it for a purpose, and only that reveal is audited.
    assert_eq!(v.pickup.confirmed_by, None);
    assert_ne!(v.pickup.address, "上海市浦东新区世纪大道100号");
    assert!(v.pickup.address.contains('*'), "{}", v.pickup.address);
    assert!(v.can_reveal);
    let count = || {
        let db = env.app.db.clone();
        async move {
            let mut c = db.pool.acquire().await.unwrap();
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM audit_log WHERE entity = 'pickup' AND field = 'address'",
            )
            .fetch_one(&mut *c)
            .await
            .unwrap()
        }
    };
    assert_eq!(count().await, 0);
    let input = app::customer::RevealInput {
        field: String::new(),
        purpose: "pickup_return".into(),
        note: String::new(),
    };
    let r = pickup::reveal::reveal_address(&env.app, &grant(pickup::READ), id, &input)
        .await
        .unwrap();
    assert_eq!(r.value.as_deref(), Some("上海市浦东新区世纪大道100号"));
    assert_eq!(count().await, 1);
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
