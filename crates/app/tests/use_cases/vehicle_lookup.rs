//! Looking a vehicle up by VIN: a VIN of the right shape whose check digit is wrong
//! names no vehicle (404, like any unknown key in a path); a VIN of the wrong shape
//! is refused naming the rule. SQLite, and PostgreSQL when `TEST_DATABASE_URL` is set.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::{AppError, AppSettings};
use domain::permission::{Action, Grant, Principal, Unit};
use domain::role::Role;

use crate::common;
use common::Env;

fn reader() -> Grant {
    Principal {
        kind: domain::permission::ActorKind::Person,
        id: 1,
        name: "admin".into(),
        role: Role::Administrator,
        unit: Unit::HeadOffice,
    }
    .grant(Action::VehicleRead)
    .unwrap()
}

async fn check(env: &Env) {
    let good = domain::vin::Vin::with_check_digit("LGXFD4H3", "TA000001")
        .unwrap()
        .to_string();
    let mut wrong = good.clone().into_bytes();
    wrong[8] = if wrong[8] == b'0' { b'1' } else { b'0' };
    let wrong = String::from_utf8(wrong).unwrap();
    let r = app::vehicle::by_vin(&env.app, &reader(), &wrong).await;
    assert!(matches!(r, Err(AppError::NotFound)), "{r:?}");
    let r = app::vehicle::by_vin(&env.app, &reader(), &good).await;
    assert!(
        matches!(r, Err(AppError::NotFound)),
        "not in this database: {r:?}"
    );
    let r = app::vehicle::by_vin(&env.app, &reader(), "TOO-SHORT").await;
    assert!(
        matches!(&r, Err(AppError::Invalid(v)) if v.0.iter().any(|x| x.rule.starts_with("vin."))),
        "{r:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_check_digit_is_not_found_a_wrong_shape_is_refused() {
    let env = Env::sqlite("vehicle_lookup", AppSettings::default()).await;
    check(&env).await;
    env.finish().await;
    if let Some(env) = Env::postgres("vehicle_lookup", AppSettings::default()).await {
        check(&env).await;
        env.finish().await;
    }
}
