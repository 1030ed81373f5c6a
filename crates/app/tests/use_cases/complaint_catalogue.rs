//! What issue 10 still needed, on SQLite and (with `TEST_DATABASE_URL`) PostgreSQL:
//! escalation notices as SMS and WeChat outbox kinds (each person of each level once
//! per kind their record supports, never twice after a restart, nothing whole of the
//! customer in the body); categories as head office's data (add with default
//! targets, rename, retire: a retired or unknown category is 422 on `category`,
//! nothing filed); and the part named at intake or at any time, audited.

use app::complaint::FileInput;
use app::complaint::category::{CategoryInput, NamesInput};
use app::complaint::part::PartInput;
use app::complaint::policy::{LadderStepInput, PolicyInput};
use app::job::handler::Registry;
use app::job::worker::Worker;
use domain::permission::Action;

use crate::common;
use crate::desk;
use common::{Env, at};
use desk::*;

on_both_backends!(
    an_escalation_goes_by_sms_and_wechat_once_per_level,
    head_office_adds_renames_and_retires_a_category,
    a_part_is_named_at_intake_and_later,
    a_policy_sets_its_own_escalation_ladder,
);

fn input(fx: &Fx, category: &str) -> FileInput {
    FileInput {
        station_id: fx.station,
        customer_id: Some(fx.customer),
        vehicle_id: Some(fx.vehicle),
        channel: "hotline".into(),
        category: category.into(),
        severity: "urgent".into(),
        urgent_reason: Some("safety".into()),
        description: "刹车异响，修后仍有".into(),
        ..Default::default()
    }
}

async fn run_due(env: &Env, name: &str) {
    let w = Worker::with_client(
        env.app.clone(),
        Registry::standard(),
        reqwest::Client::new(),
        name.into(),
    );
    while w.run_once().await.unwrap() > 0 {}
}

async fn person(
    env: &Env,
    username: &str,
    role: &str,
    unit: (Option<i64>, Option<i64>),
    phone: &str,
    wechat: Option<&str>,
) -> i64 {
    let mut tx = env.app.db.begin().await.unwrap();
    let id = store::people::insert_staff(
        &mut tx,
        &store::people::NewStaff {
            username: username.into(),
            name: "王经理".into(),
            role: role.into(),
            station_id: unit.0,
            region_id: unit.1,
            phone: phone.into(),
            password_hash: "x".into(),
        },
        0,
    )
    .await
    .unwrap();
    store::people::set_wechat_id(&mut tx, id, wechat)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

/// The idempotency keys of the escalation messages (kept after delivery, when the
/// recipient and the values are redacted), in order.
async fn escalations(env: &Env) -> Vec<String> {
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT dedupe_key FROM outbox WHERE template = 'complaint_escalation' ORDER BY dedupe_key",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap();
    rows.into_iter().map(|r| r.0).collect()
}

async fn an_escalation_goes_by_sms_and_wechat_once_per_level(env: &Env) {
    let fx = fixture(env).await;
    let region = {
        let mut c = env.app.db.pool.acquire().await.unwrap();
        store::network::station(&mut c, &domain::permission::Reach::All, fx.station)
            .await
            .unwrap()
            .region_id
    };
    let sm = person(
        env,
        "sm",
        "station_manager",
        (Some(fx.station), None),
        "+8613700000001",
        Some("wx_sm"),
    )
    .await;
    let rm = person(
        env,
        "rm",
        "regional_manager",
        (None, Some(region)),
        "+8613700000002",
        None,
    )
    .await;
    let ho = person(
        env,
        "ho",
        "administrator",
        (None, None),
        "+8613700000003",
        Some("wx_ho"),
    )
    .await;
    let id = app::complaint::file(
        &env.app,
        &grant(Action::ComplaintWrite),
        &input(&fx, "repair_quality"),
    )
    .await
    .unwrap()
    .id;
    // Tuesday 09:00 + 1 h target: 11:01 is past 100 %, 150 % and 200 %.
    env.set(at(2026, 11, 24, 11, 1));
    run_due(env, "a").await;
    let first = escalations(env).await;
    let key = |pct: u32, level: &str, kind: &str, who: i64| {
        format!("outbox:complaint.clock:{id}:1:first_response:{pct}:{level}:{kind}:{who}")
    };
    // The first-response stage escalated to each level once; each person of a level
    // gets one message per kind their record holds (the regional manager has no
    // WeChat id: SMS only).
    for k in [
        key(100, "station_manager", "sms", sm),
        key(100, "station_manager", "wechat", sm),
        key(150, "regional_manager", "sms", rm),
        key(200, "head_office", "sms", ho),
        key(200, "head_office", "wechat", ho),
    ] {
        assert_eq!(
            first.iter().filter(|x| **x == k).count(),
            1,
            "{k} in {first:?}"
        );
    }
    let stage_one: Vec<&String> = first
        .iter()
        .filter(|k| k.contains(":first_response:"))
        .collect();
    assert_eq!(stage_one.len(), 5, "{first:?}");
    // Warnings (50 %, 75 %) go to the inbox and the webhook only, never to a person's
    // phone or WeChat (docs/architecture.md, complaints).
    assert!(
        first
            .iter()
            .all(|k| !k.contains(":first_response:50:") && !k.contains(":first_response:75:")),
        "{first:?}"
    );
    // One inbox notice and one webhook message per level.
    let mut c = env.app.db.pool.acquire().await.unwrap();
    for level in ["station_manager", "regional_manager", "head_office"] {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM complaint_notices WHERE complaint_id = $1 AND level = $2 AND stage = 'first_response'",
        )
        .bind(id)
        .bind(level)
        .fetch_one(&mut *c)
        .await
        .unwrap();
        assert_eq!(n, 1, "{level}");
        let (hooks,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM outbox WHERE template = 'complaint_notice' AND channel = 'webhook' AND dedupe_key LIKE $1",
        )
        .bind(format!("outbox:complaint.clock:{id}:1:first_response:%"))
        .fetch_one(&mut *c)
        .await
        .unwrap();
        assert_eq!(hooks, 5, "two warnings and three escalations");
    }
    // Delivered: the whole numbers are gone from the table.
    let (whole,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM outbox WHERE template = 'complaint_escalation' AND recipient LIKE '+86137%'",
    )
    .fetch_one(&mut *c)
    .await
    .unwrap();
    assert_eq!(whole, 0);
    drop(c);
    // A restarted worker (and a second one) sends nothing again.
    run_due(env, "b").await;
    run_due(env, "c").await;
    assert_eq!(escalations(env).await, first);
}

async fn head_office_adds_renames_and_retires_a_category(env: &Env) {
    let fx = fixture(env).await;
    let ho = grant(Action::ComplaintPolicy);
    let add = CategoryInput {
        code: "noise".into(),
        name_zh: "异响".into(),
        name_en: "Noise".into(),
    };
    let row = app::complaint::category::add(&env.app, &ho, &add)
        .await
        .unwrap();
    assert_eq!(
        (row.code.as_str(), row.name_en.as_str(), row.retired_at),
        ("noise", "Noise", None)
    );
    // Twice is 409 on `code`; a bad code and blank names are 422 naming each field.
    match app::complaint::category::add(&env.app, &ho, &add).await {
        Err(app::AppError::Refused(v)) => assert_eq!(v.0[0].field, "code"),
        other => panic!("{other:?}"),
    }
    let bad = CategoryInput {
        code: "No Ise".into(),
        name_zh: " ".into(),
        name_en: "x".into(),
    };
    match app::complaint::category::add(&env.app, &ho, &bad).await {
        Err(app::AppError::Invalid(v)) => {
            let f: Vec<&str> = v.0.iter().map(|x| x.field.as_str()).collect();
            assert_eq!(f, ["code", "name_zh"]);
        }
        other => panic!("{other:?}"),
    }
    // It has the default targets for both severities at once.
    let policies = app::complaint::policy::list(&env.app, &grant(Action::ComplaintRead))
        .await
        .unwrap();
    let mine: Vec<&str> = policies
        .iter()
        .filter(|p| p.category == "noise")
        .map(|p| p.severity.as_str())
        .collect();
    assert_eq!(mine, ["normal", "urgent"]);
    // A complaint may choose it; renaming changes the names only.
    let w = grant(Action::ComplaintWrite);
    let old = app::complaint::file(&env.app, &w, &input(&fx, "noise"))
        .await
        .unwrap();
    assert_eq!(old.category, "noise");
    let names = NamesInput {
        name_zh: "车内异响".into(),
        name_en: "Cabin noise".into(),
    };
    let row = app::complaint::category::rename(&env.app, &ho, "noise", &names)
        .await
        .unwrap();
    assert_eq!(row.name_zh, "车内异响");
    // Retired: new complaints cannot choose it (422 on `category`, nothing filed), the
    // old one keeps it and the queue still filters by it.
    app::complaint::category::retire(&env.app, &ho, "noise", true)
        .await
        .unwrap();
    let count = || async {
        let mut c = env.app.db.pool.acquire().await.unwrap();
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM complaints")
            .fetch_one(&mut *c)
            .await
            .unwrap();
        n
    };
    let before = count().await;
    for (code, rule) in [
        ("noise", "complaint.category_retired"),
        ("weather", "complaint.category_unknown"),
    ] {
        match app::complaint::file(&env.app, &w, &input(&fx, code)).await {
            Err(app::AppError::Invalid(v)) => {
                assert_eq!((v.0[0].field.as_str(), v.0[0].rule), ("category", rule));
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(count().await, before);
    let filter = app::complaint::QueueFilter {
        category: Some("noise".into()),
        ..Default::default()
    };
    let (rows, _) = app::complaint::queue(&env.app, &grant(Action::ComplaintRead), &filter, 50, 0)
        .await
        .unwrap();
    assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), [old.id]);
    let filter = app::complaint::QueueFilter {
        category: Some("weather".into()),
        ..Default::default()
    };
    assert!(
        app::complaint::queue(&env.app, &grant(Action::ComplaintRead), &filter, 50, 0)
            .await
            .is_err()
    );
    // Brought back, it may be chosen again.
    app::complaint::category::retire(&env.app, &ho, "noise", false)
        .await
        .unwrap();
    assert!(
        app::complaint::file(&env.app, &w, &input(&fx, "noise"))
            .await
            .is_ok()
    );
}

async fn a_part_is_named_at_intake_and_later(env: &Env) {
    let fx = fixture(env).await;
    let net = grant(Action::NetworkWrite);
    for (n, zh, en) in [
        ("BRAKE-PAD-F", "前刹车片", "Front brake pads"),
        ("OIL-FILTER", "机油滤清器", "Oil filter"),
    ] {
        let p = app::part::PartInput {
            part_number: n.into(),
            name_zh: zh.into(),
            name_en: en.into(),
            price_fen: 1000i64.into(),
        };
        app::part::upsert(&env.app, &net, &p).await.unwrap();
    }
    let w = grant(Action::ComplaintWrite);
    // An unknown part at intake is 422 on `part_number`, nothing filed.
    let mut i = input(&fx, "parts_quality");
    i.part_number = Some("NO-SUCH".into());
    match app::complaint::file(&env.app, &w, &i).await {
        Err(app::AppError::Invalid(v)) => assert_eq!(
            (v.0[0].field.as_str(), v.0[0].rule),
            ("part_number", "complaint.part_unknown")
        ),
        other => panic!("{other:?}"),
    }
    i.part_number = Some("BRAKE-PAD-F".into());
    let c = app::complaint::file(&env.app, &w, &i).await.unwrap();
    assert_eq!(c.part_number.as_deref(), Some("BRAKE-PAD-F"));
    // Renamed on the detail page: one event with before and after.
    let p = PartInput {
        part_number: Some("OIL-FILTER".into()),
    };
    let c2 = app::complaint::part::name_part(&env.app, &w, c.id, &p)
        .await
        .unwrap();
    assert_eq!(c2.part_number.as_deref(), Some("OIL-FILTER"));
    app::complaint::part::name_part(&env.app, &w, c.id, &p)
        .await
        .unwrap();
    let d = app::complaint::detail(&env.app, &grant(Action::ComplaintRead), c.id)
        .await
        .unwrap();
    let named: Vec<&store::complaint::EventRow> =
        d.events.iter().filter(|e| e.kind == "part_named").collect();
    assert_eq!(named.len(), 1, "the same part again writes nothing");
    assert!(named[0].detail.contains("BRAKE-PAD-F") && named[0].detail.contains("OIL-FILTER"));
    // An analysis that names no part keeps it.
    for e in ["acknowledge", "start_analysis"] {
        app::complaint::action::act(&env.app, &w, c.id, e, &Default::default())
            .await
            .unwrap();
    }
    let a = app::complaint::action::AnalysisInput {
        responsibility: "parts".into(),
        cause: "滤清器密封不良".into(),
        part_number: None,
    };
    let c3 = app::complaint::action::analyse(&env.app, &w, c.id, &a)
        .await
        .unwrap();
    assert_eq!(c3.part_number.as_deref(), Some("OIL-FILTER"));
    // Another station's user cannot name it.
    let other = domain::permission::Principal {
        kind: domain::permission::ActorKind::Person,
        id: 99,
        name: "other".into(),
        role: domain::role::Role::StationManager,
        unit: domain::permission::Unit::Station(
            domain::ids::StationId(fx.station + 1000),
            domain::ids::RegionId(9999),
        ),
    }
    .grant(Action::ComplaintWrite)
    .unwrap();
    assert!(
        app::complaint::part::name_part(&env.app, &other, c.id, &p)
            .await
            .is_err()
    );
}

fn step(percent: i64, notify: &str) -> LadderStepInput {
    LadderStepInput {
        percent,
        notify: notify.into(),
    }
}

/// SPEC §6 "the policy may change the steps": head office sets the ladder with the
/// policy version; a bad step is named and nothing is published; the clock fires
/// the complaint's own steps (here 120 % to the regional manager and 300 % to head
/// office, nothing at the default 100/150/200 %).
async fn a_policy_sets_its_own_escalation_ladder(env: &Env) {
    let fx = fixture(env).await;
    let region = {
        let mut c = env.app.db.pool.acquire().await.unwrap();
        store::network::station(&mut c, &domain::permission::Reach::All, fx.station)
            .await
            .unwrap()
            .region_id
    };
    let sm = person(
        env,
        "sm",
        "station_manager",
        (Some(fx.station), None),
        "+8613700000001",
        Some("wx_sm"),
    )
    .await;
    let rm = person(
        env,
        "rm",
        "regional_manager",
        (None, Some(region)),
        "+8613700000002",
        Some("wx_rm"),
    )
    .await;
    let ho = person(
        env,
        "ho",
        "administrator",
        (None, None),
        "+8613700000003",
        None,
    )
    .await;
    let policy = |ladder: Vec<LadderStepInput>| PolicyInput {
        category: "repair_quality".into(),
        severity: "urgent".into(),
        mode: "business".into(),
        first_response: 60,
        full_record: 1440,
        analysis: 2880,
        solution: 1440,
        closure: 4320,
        ladder: Some(ladder),
    };
    let ho_grant = grant(Action::ComplaintPolicy);
    let bad = policy(vec![step(90, "station_manager"), step(90, "boss")]);
    match app::complaint::policy::publish(&env.app, &ho_grant, &bad).await {
        Err(app::AppError::Invalid(v)) => {
            let got: Vec<(&str, &str)> = v.0.iter().map(|x| (x.field.as_str(), x.rule)).collect();
            assert_eq!(
                got,
                [
                    ("ladder[1].notify", "complaint.level_unknown"),
                    ("ladder[0].percent", "complaint.ladder_first_below_100"),
                    ("ladder[1].percent", "complaint.ladder_not_rising"),
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    let v = app::complaint::policy::publish(
        &env.app,
        &ho_grant,
        &policy(vec![
            step(120, "regional_manager"),
            step(300, "head_office"),
        ]),
    )
    .await
    .unwrap();
    assert_eq!(v.version, 1, "the refused one published nothing");
    assert_eq!(
        v.policy["ladder"],
        serde_json::json!([[120, "regional_manager"], [300, "head_office"]])
    );
    // Left out, the ladder in force is kept by the next version.
    let mut same = policy(vec![]);
    same.ladder = None;
    same.closure = 4000;
    let v2 = app::complaint::policy::publish(&env.app, &ho_grant, &same)
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(v2.policy["ladder"], v.policy["ladder"]);
    let id = app::complaint::file(
        &env.app,
        &grant(Action::ComplaintWrite),
        &input(&fx, "repair_quality"),
    )
    .await
    .unwrap()
    .id;
    let key = |pct: u32, level: &str, kind: &str, who: i64| {
        format!("outbox:complaint.clock:{id}:1:first_response:{pct}:{level}:{kind}:{who}")
    };
    // Tuesday 09:00 + 1 h: 11:01 is past 120 % (11:00), not 300 % (12:00).
    env.set(at(2026, 11, 24, 11, 1));
    run_due(env, "a").await;
    let first: Vec<String> = escalations(env)
        .await
        .into_iter()
        .filter(|k| k.contains(":first_response:"))
        .collect();
    assert_eq!(
        first,
        [
            key(120, "regional_manager", "sms", rm),
            key(120, "regional_manager", "wechat", rm),
        ]
    );
    env.set(at(2026, 11, 24, 12, 1));
    run_due(env, "a").await;
    let all: Vec<String> = escalations(env)
        .await
        .into_iter()
        .filter(|k| k.contains(":first_response:"))
        .collect();
    assert_eq!(all.len(), 3, "{all:?}");
    assert!(all.contains(&key(300, "head_office", "sms", ho)), "{all:?}");
    assert!(
        all.iter().all(|k| !k.ends_with(&format!(":{sm}"))),
        "{all:?}"
    );
}
