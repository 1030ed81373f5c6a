//! Finding a customer or a car by any fragment (issue 17, finding 15), through the
//! use cases the console and API call, on SQLite and on PostgreSQL when
//! `TEST_DATABASE_URL` is set: a plate's start ("京A"), the plate without its prefix
//! ("F00001"), its last digits, a whole VIN or its tail, a name's start or a
//! three-character fragment, the visible phone tail — exact matches first, the
//! fragment indexes kept in step with updates, whole numbers still refused and
//! phones masked in the results.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::customer::CustomerFilter;
use app::vehicle::VehicleFilter;
use domain::permission::{Action, ActorKind, Grant, Principal, Unit};
use domain::role::Role;
use std::sync::Arc;

fn admin(action: Action) -> Grant {
    Principal {
        kind: ActorKind::Person,
        id: 1,
        name: "admin".into(),
        role: Role::Administrator,
        unit: Unit::HeadOffice,
    }
    .grant(action)
    .unwrap()
}

fn vin(serial: &str) -> String {
    domain::vin::Vin::with_check_digit("LHZSA5B1", serial)
        .unwrap()
        .to_string()
}

async fn plates(app: &app::App, q: &str) -> Vec<String> {
    let f = VehicleFilter {
        q: Some(q.into()),
        ..Default::default()
    };
    app::vehicle::list(app, &admin(Action::VehicleRead), &f, app::Page::new(1, 50))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|v| v.plate.unwrap_or_default())
        .collect()
}

async fn names(app: &app::App, q: &str) -> Vec<(String, String)> {
    let f = CustomerFilter {
        q: Some(q.into()),
        ..Default::default()
    };
    app::customer::list(app, &admin(Action::CustomerRead), &f, app::Page::new(1, 50))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|c| (c.name, c.phone))
        .collect()
}

/// A customer of `station` who agreed to service messages by SMS.
fn customer(name: &str, phone: &str, station: i64) -> store::customer::CustomerFields {
    store::customer::CustomerFields {
        name: name.into(),
        phone: phone.into(),
        id_number: None,
        station_id: station,
        channel: "sms".into(),
        quiet_hours: None,
        consent_service: true,
        consent_marketing: false,
    }
}

/// A car of the maker's 2025 line-up with `plate`, owned by `owner` at `station`.
fn vehicle(
    vin: String,
    plate: &str,
    model: &str,
    owner: i64,
    station: i64,
) -> store::vehicle::VehicleFields {
    store::vehicle::VehicleFields {
        vin,
        brand: "岚际".into(),
        model: model.into(),
        model_year: 2025,
        plate: Some(plate.into()),
        purchase_date: "2025-05-01".into(),
        warranty_start: "2025-05-01".into(),
        warranty_end: "2028-04-30".into(),
        warranty_km: 100_000,
        is_ev: false,
        owner_id: owner,
        station_id: station,
    }
}

/// A fresh database with the standard fixture, and the use cases over it.
async fn on_fixture() -> (testkit::TestDb, testkit::Fixture, app::App) {
    let t = testkit::TestDb::new().await;
    let fx = testkit::fixture(&t.db).await;
    let app = app::App::new(
        t.db.clone(),
        Arc::new(app::clock::SystemClock),
        app::AppSettings::default(),
    );
    (t, fx, app)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragments_of_plate_vin_model_name_and_phone_tail_are_found_exact_first() {
    let (t, fx, app) = on_fixture().await;
    let mut c = t.db.pool.acquire().await.unwrap();
    let cust = |name: &str, phone: &str| customer(name, phone, fx.station_a);
    // "王伟" first, so newest-first alone would list "王伟强" above it.
    let wang = store::customer::insert(&mut c, &cust("王伟", "+8613900009581"), 0)
        .await
        .unwrap();
    store::customer::insert(&mut c, &cust("王伟强", "+8613900001234"), 0)
        .await
        .unwrap();
    store::customer::insert(&mut c, &cust("欧阳娜娜", "+8618600004321"), 0)
        .await
        .unwrap();
    let veh =
        |vin: String, plate: &str, model: &str| vehicle(vin, plate, model, wang, fx.station_a);
    // The exact plate first in insertion order, so it is the older row.
    let exact = store::vehicle::insert(&mut c, &veh(vin("TA000101"), "京AF0000", "S5 轿车"), 0)
        .await
        .unwrap();
    store::vehicle::insert(&mut c, &veh(vin("TA000102"), "京AF00001", "S5 轿车"), 0)
        .await
        .unwrap();
    store::vehicle::insert(&mut c, &veh(vin("TA000103"), "粤B12001", "E5 纯电"), 0)
        .await
        .unwrap();
    let last = store::vehicle::insert(&mut c, &veh(vin("TA000104"), "沪C77777", "X5 插混"), 0)
        .await
        .unwrap();
    drop(c);

    // Plates: a start, a fragment without the prefix, the last digits.
    let p = plates(&app, "京A").await;
    assert!(
        p.contains(&"京AF0000".to_string()) && p.contains(&"京A12345".to_string()),
        "{p:?}"
    );
    assert!(
        !p.iter().any(|x| x.starts_with('粤') || x.starts_with('沪')),
        "{p:?}"
    );
    assert_eq!(plates(&app, "F00001").await, ["京AF00001"]);
    assert_eq!(plates(&app, "2001").await, ["粤B12001"]);
    assert_eq!(plates(&app, "af00001").await, ["京AF00001"], "any case");
    // Exact matches first, though newer rows come first otherwise.
    let p = plates(&app, "京AF0000").await;
    assert_eq!(p, ["京AF0000", "京AF00001"]);
    // A whole VIN, a VIN's tail.
    assert_eq!(plates(&app, &vin("TA000103")).await, ["粤B12001"]);
    assert_eq!(plates(&app, &vin("TA000104")[9..]).await, ["沪C77777"]);
    // Wildcards are literal.
    assert!(plates(&app, "%%%").await.is_empty());
    assert!(
        plates(&app, "\"京A").await.is_empty(),
        "a quote is not FTS syntax"
    );

    // The index follows updates.
    let mut c = t.db.pool.acquire().await.unwrap();
    store::vehicle::update(&mut c, last, &veh(vin("TA000104"), "沪C88888", "X5 插混"))
        .await
        .unwrap();
    drop(c);
    assert!(plates(&app, "77777").await.is_empty());
    assert_eq!(plates(&app, "88888").await, ["沪C88888"]);
    let _ = exact;

    // Names: a start (one or two characters), a fragment of three, exact first.
    let n = names(&app, "王伟").await;
    assert_eq!(
        n.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(),
        ["王伟", "王伟强"]
    );
    let n = names(&app, "欧阳").await;
    assert_eq!(n.len(), 1, "{n:?}");
    let n = names(&app, "阳娜娜").await;
    assert_eq!(n.len(), 1, "{n:?}");
    // The visible phone tail finds the customer; the phone stays masked.
    let n = names(&app, "9581").await;
    assert_eq!(n.len(), 1, "{n:?}");
    assert_eq!(n[0].0, "王伟");
    assert!(!n[0].1.contains("13900009581"), "masked: {}", n[0].1);
    // A whole number is still refused (privacy rule of issue 21).
    let f = CustomerFilter {
        q: Some("13900009581".into()),
        ..Default::default()
    };
    let r = app::customer::list(
        &app,
        &admin(Action::CustomerRead),
        &f,
        app::Page::new(1, 20),
    )
    .await;
    assert!(matches!(r, Err(app::AppError::Invalid(_))), "{r:?}");
}

/// A search is counted and paged over its ranked matches (exact first, then newest),
/// the list's own filters apply inside it, and a heading's order still sorts the same
/// matches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_pages_counts_filters_and_sorts_its_matches() {
    let (t, fx, app) = on_fixture().await;
    let mut c = t.db.pool.acquire().await.unwrap();
    let owner = store::customer::insert(
        &mut c,
        &customer("周子涵", "+8613900007777", fx.station_a),
        0,
    )
    .await
    .unwrap();
    for (i, (plate, model, station)) in [
        ("津D5550", "S5 轿车", fx.station_a),
        ("津D55501", "X5 插混", fx.station_a),
        ("津D55502", "E5 纯电", fx.station_b),
        ("津D55503", "A5 轿车", fx.station_a),
    ]
    .into_iter()
    .enumerate()
    {
        let f = vehicle(vin(&format!("TD00010{i}")), plate, model, owner, station);
        store::vehicle::insert(&mut c, &f, 0).await.unwrap();
    }
    drop(c);
    let grant = admin(Action::VehicleRead);
    let search = |station_id: Option<i64>| VehicleFilter {
        q: Some("津D5550".into()),
        station_id,
        ..Default::default()
    };
    let page = |n: i64| app::Page::new(n, 2);
    // Ranked: the exact plate, then the newest fragments; two a page, four in all.
    let first = app::vehicle::list(&app, &grant, &search(None), page(1))
        .await
        .unwrap();
    assert_eq!(first.total, 4);
    let plates = |p: &app::Paged<store::vehicle::Vehicle>| -> Vec<String> {
        p.items.iter().filter_map(|v| v.plate.clone()).collect()
    };
    assert_eq!(plates(&first), ["津D5550", "津D55503"]);
    let second = app::vehicle::list(&app, &grant, &search(None), page(2))
        .await
        .unwrap();
    assert_eq!(plates(&second), ["津D55502", "津D55501"]);
    let past = app::vehicle::list(&app, &grant, &search(None), page(3))
        .await
        .unwrap();
    assert!(past.items.is_empty() && past.total == 4, "{past:?}");
    // The station filter inside the search: station B holds one of the four.
    let at_b = app::vehicle::list(&app, &grant, &search(Some(fx.station_b)), page(1))
        .await
        .unwrap();
    assert_eq!(
        (at_b.total, plates(&at_b)),
        (1, vec!["津D55502".to_string()])
    );
    // A heading's order (model, ascending) over the same four matches.
    let order = app::Order::pick(app::vehicle::VEHICLE_ORDERS, "model", "asc");
    let sorted =
        app::vehicle::list_ordered(&app, &grant, &search(None), app::Page::new(1, 10), order)
            .await
            .unwrap();
    assert_eq!(sorted.total, 4);
    assert_eq!(
        plates(&sorted),
        ["津D55503", "津D55502", "津D5550", "津D55501"],
        "A5, E5, S5, X5 by model: {sorted:?}"
    );
}
