//! The small demo's three-guarantees cars (issue 19, "Demo"): after the build and the
//! working day, a quality repair in its 6th day owes a courtesy car, a car is one
//! repair of the same main part short of the line (warned), one has the right to
//! replacement or refund, one has an open request, one fault is excluded under Art 32,
//! and an EV's battery check broke its model's fade promise.
//! On SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use crate::common;

use app::demo::{DemoOptions, Scale};
use common::{Env, at};
use domain::permission::{Action, ActorKind, Principal, Unit};
use domain::role::Role;

async fn scenario(env: Option<Env>) {
    let Some(env) = env else {
        eprintln!("TEST_DATABASE_URL not set; skipped");
        return;
    };
    let opts = DemoOptions {
        scale: Scale::Small,
        seed: 7,
        geo_csv: None,
    };
    app::demo::build(&env.app.db, &opts, &|_, _, _| {})
        .await
        .unwrap();
    app::demo::prepare_service(&env.app).await.unwrap();
    let now = at(2026, 11, 24, 15, 0);
    app::demo::refresh::working_day(&env.app.db, app::AppSettings::default(), 7, now)
        .await
        .unwrap();
    let s = app::demo::guarantee::stages(&env.app.db, app::AppSettings::default(), now)
        .await
        .unwrap();
    env.set(now);
    let admin = Principal {
        kind: ActorKind::Person,
        id: 0,
        name: "test".into(),
        role: Role::Administrator,
        unit: Unit::HeadOffice,
    };
    let g = admin.grant(Action::RepairOrderRead).unwrap();
    let order = s.courtesy_car_order.expect("a car in day 6");
    let og = app::guarantee::for_order(&env.app, &g, order)
        .await
        .unwrap();
    assert!(
        og.courtesy_car_since.is_some(),
        "the courtesy car is due: {og:?}"
    );
    let short = s.one_short.expect("a car one repair short");
    let tg = app::guarantee::for_vehicle(&env.app, &g, short)
        .await
        .unwrap();
    assert!(
        tg.rights.iter().all(|r| r.kind != "replacement_or_refund"),
        "{tg:?}"
    );
    assert!(
        tg.warnings
            .iter()
            .any(|w| w.subject == "part:气门" && w.value == 4),
        "warned one repair short: {:?}",
        tg.warnings
    );
    let arisen = s.right_arisen.expect("a car whose right arose");
    let tg = app::guarantee::for_vehicle(&env.app, &g, arisen)
        .await
        .unwrap();
    assert!(
        tg.rights
            .iter()
            .any(|r| r.article == "art24(1)(4)" && r.subject == "part:点火线圈"),
        "{:?}",
        tg.rights
    );
    let (car, request) = s.open_request.expect("an open request");
    let list = app::guarantee::request::of_vehicle(&env.app, &g, car)
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].id, list[0].state.as_str()), (request, "filed"));
    let excluded = s.excluded.expect("an excluded fault");
    let d = app::guarantee::dossier::dossier(&env.app, &g, excluded)
        .await
        .unwrap();
    assert!(
        d.orders
            .iter()
            .flat_map(|o| o.lines.iter())
            .any(|l| l.exclusion_reason.as_deref() == Some("use_against_manual")),
        "the exclusion is in the dossier"
    );
    let ev = s
        .battery_right
        .expect("an EV whose check broke the fade promise");
    let tg = app::guarantee::for_vehicle(&env.app, &g, ev).await.unwrap();
    assert!(
        tg.rights
            .iter()
            .any(|r| r.kind == "battery_restore" && r.article == "promise"),
        "{:?}",
        tg.rights
    );
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_small_demo_has_three_guarantees_cars_at_each_stage_sqlite() {
    scenario(Some(
        Env::sqlite("demo_gt", app::AppSettings::default()).await,
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_small_demo_has_three_guarantees_cars_at_each_stage_postgres() {
    scenario(Env::postgres("demo_gt", app::AppSettings::default()).await).await;
}
