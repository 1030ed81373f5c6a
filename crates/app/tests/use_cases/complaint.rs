//! Complaints end to end on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set:
//! the workflow to closure with the three zeros and the follow-up, the clocks as
//! timers on the job machinery (warnings, breach, escalation once, even after a
//! restart or with two workers), and the regressions known from helpdesk products.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::complaint::action::{
    AnalysisInput, FollowUpInput, GoodwillInput, NoteInput, ReassignInput, ZeroInput,
};
use app::complaint::policy::PolicyInput;
use app::complaint::{FileInput, QueueFilter};
use app::job::handler::Registry;
use app::job::worker::Worker;
use domain::ids::{RegionId, StationId};
use domain::permission::{Action, ActorKind, Grant, Principal, Unit};
use domain::role::Role;

use crate::common;
use crate::desk;
use common::{Env, at};
use desk::*;

on_both_backends!(
    a_complaint_closes_with_three_zeros_and_a_follow_up,
    a_breach_escalates_once_even_after_a_restart,
    two_workers_escalate_once,
    no_warning_at_midnight_in_business_hours,
    pause_time_survives_a_policy_change,
    reassignment_keeps_the_counted_time,
    the_spring_festival_stops_the_clock,
    bad_input_changes_nothing,
    the_third_complaint_is_repeated,
    a_number_typed_into_a_complaint_is_masked_for_staff,
);

fn staff(role: Role, unit: Unit, action: Action) -> Grant {
    Principal {
        kind: ActorKind::Person,
        id: 7,
        name: "t".into(),
        role,
        unit,
    }
    .grant(action)
    .unwrap()
}

async fn region_of(env: &Env, station: i64) -> i64 {
    let mut c = env.app.db.pool.acquire().await.unwrap();
    store::network::station(&mut c, &domain::permission::Reach::All, station)
        .await
        .unwrap()
        .region_id
}

async fn manager(env: &Env, fx: &Fx, action: Action) -> Grant {
    let r = region_of(env, fx.station).await;
    staff(
        Role::StationManager,
        Unit::Station(StationId(fx.station), RegionId(r)),
        action,
    )
}

fn input(fx: &Fx, severity: &str, reason: Option<&str>) -> FileInput {
    FileInput {
        station_id: fx.station,
        customer_id: Some(fx.customer),
        vehicle_id: Some(fx.vehicle),
        repair_order_id: None,
        channel: "hotline".into(),
        source_link: None,
        category: "repair_quality".into(),
        severity: severity.into(),
        urgent_reason: reason.map(str::to_string),
        description: "刹车异响，修后仍有".into(),
        part_number: None,
    }
}

async fn file(env: &Env, fx: &Fx) -> i64 {
    app::complaint::file(
        &env.app,
        &grant(Action::ComplaintWrite),
        &input(fx, "urgent", Some("safety")),
    )
    .await
    .unwrap()
    .id
}

/// A worker that runs every due row (the complaint's later checkpoints stay armed,
/// so "until idle" would wait for them).
struct Due(Worker);

impl Due {
    async fn run_until_idle(&self) -> app::AppResult<()> {
        while self.0.run_once().await? > 0 {}
        Ok(())
    }
}

fn worker(env: &Env, name: &str) -> Due {
    Due(Worker::with_client(
        env.app.clone(),
        Registry::standard(),
        reqwest::Client::new(),
        name.into(),
    ))
}

async fn notices(env: &Env, id: i64) -> Vec<(String, String, String)> {
    let mut c = env.app.db.pool.acquire().await.unwrap();
    store::complaint::notice::for_complaint(&mut c, id)
        .await
        .unwrap()
        .into_iter()
        .map(|n| (n.stage, n.step, n.level))
        .collect()
}

async fn deadline(env: &Env, id: i64, stage: &str) -> Option<i64> {
    let d = app::complaint::detail(&env.app, &grant(Action::ComplaintRead), id)
        .await
        .unwrap();
    d.stages
        .iter()
        .find(|s| s.stage == stage)
        .and_then(|s| s.deadline_at)
}

async fn second_station(env: &Env, hours: &str) -> (i64, i64) {
    let mut tx = env.app.db.begin().await.unwrap();
    let region = store::network::insert_region(&mut tx, "WEST", "西部", "West")
        .await
        .unwrap();
    let station = store::network::insert_station(
        &mut tx,
        &store::network::StationFields {
            code: "CD-0001".into(),
            name_zh: "成都武侯服务站".into(),
            name_en: "Chengdu Wuhou".into(),
            region_id: region,
            address: "成都市武侯区人民南路1号".into(),
            adcode: "510107".into(),
            city: "成都".into(),
            lon_e6: 104_060_000,
            lat_e6: 30_670_000,
            opening_hours: hours.into(),
            bays: 2,
            capabilities: vec![],
            labour_rate_fen: 20_000,
        },
        0,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (station, region)
}

async fn a_complaint_closes_with_three_zeros_and_a_follow_up(env: &Env) {
    let fx = fixture(env).await;
    let id = file(env, &fx).await;
    let w = grant(Action::ComplaintWrite);
    let note = NoteInput {
        note: "已致电客户".into(),
    };
    app::complaint::action::respond(&env.app, &w, id, &note)
        .await
        .unwrap();
    for ev in ["acknowledge", "start_analysis"] {
        app::complaint::action::act(&env.app, &w, id, ev, &note)
            .await
            .unwrap();
    }
    // Proposing before the analysis is refused.
    let e = app::complaint::action::act(&env.app, &w, id, "propose_solution", &note)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "complaint.analysis_missing");
    let analysis = AnalysisInput {
        responsibility: "station".into(),
        cause: "刹车片安装不当".into(),
        ..Default::default()
    };
    app::complaint::action::analyse(&env.app, &w, id, &analysis)
        .await
        .unwrap();
    for ev in [
        "propose_solution",
        "customer_accepts",
        "start_work",
        "finish_work",
    ] {
        app::complaint::action::act(&env.app, &w, id, ev, &note)
            .await
            .unwrap();
    }
    // Going backwards is refused and changes nothing.
    let e = app::complaint::action::act(&env.app, &w, id, "acknowledge", &note)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "complaint.transition");
    // Closing without the zeros and the follow-up names each missing piece.
    let e = app::complaint::action::act(&env.app, &w, id, "close", &note)
        .await
        .unwrap_err();
    match &e {
        app::AppError::Refused(v) => {
            let fields: Vec<&str> = v.0.iter().map(|x| x.field.as_str()).collect();
            assert_eq!(
                fields,
                [
                    "zeros.complaint",
                    "zeros.management",
                    "zeros.technical",
                    "follow_up"
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    for (z, s, t) in [
        ("complaint", "done", "客户确认异响消除"),
        ("management", "done", "班前会培训安装规范"),
        ("technical", "not_applicable", "非产品问题"),
    ] {
        let zi = ZeroInput {
            zero: z.into(),
            status: s.into(),
            text: t.into(),
        };
        app::complaint::closure::set_zero(&env.app, &w, id, &zi)
            .await
            .unwrap();
    }
    let fu = FollowUpInput {
        satisfaction: 5,
        accepts_closure: true,
        note: "满意".into(),
    };
    app::complaint::closure::follow_up(&env.app, &w, id, &fu)
        .await
        .unwrap();
    let c = app::complaint::action::act(&env.app, &w, id, "close", &note)
        .await
        .unwrap();
    assert_eq!(c.state, "closed");
    assert_eq!(
        c.next_deadline_at, None,
        "a closed complaint has no deadline"
    );
    let d = app::complaint::detail(&env.app, &grant(Action::ComplaintRead), id)
        .await
        .unwrap();
    assert!(d.events.len() >= 12, "every step is an event");
    assert!(
        d.stages
            .iter()
            .all(|s| s.met_at.is_some() || s.stage == "none")
    );
    // Reopen: a new clock, history kept.
    let c = app::complaint::action::act(&env.app, &w, id, "reopen", &note)
        .await
        .unwrap();
    assert_eq!(
        (c.state.as_str(), c.clock_no, c.reopened),
        ("received", 2, true)
    );
    assert!(c.next_deadline_at.is_some());
    let d2 = app::complaint::detail(&env.app, &grant(Action::ComplaintRead), id)
        .await
        .unwrap();
    assert!(d2.events.len() > d.events.len());
    assert!(d2.zeros.is_empty(), "the new clock needs its own zeros");
}

async fn a_breach_escalates_once_even_after_a_restart(env: &Env) {
    let fx = fixture(env).await;
    let id = file(env, &fx).await; // Tuesday 2026-11-24 09:00
    assert_eq!(
        deadline(env, id, "first_response").await,
        Some(at(2026, 11, 24, 10, 0).as_millisecond())
    );
    env.set(at(2026, 11, 24, 10, 1));
    worker(env, "a").run_until_idle().await.unwrap();
    let n = notices(env, id).await;
    let first: Vec<&str> = n
        .iter()
        .filter(|x| x.0 == "first_response")
        .map(|x| x.1.as_str())
        .collect();
    assert_eq!(first, ["warn50", "warn75", "breach100"]);
    // The station manager's inbox has the breach; the queue shows it breached.
    let inbox = app::complaint::inbox(
        &env.app,
        &manager(env, &fx, Action::ComplaintRead).await,
        50,
    )
    .await
    .unwrap();
    assert!(
        inbox
            .iter()
            .any(|n| n.complaint_id == id && n.step == "breach100" && n.level == "station_manager")
    );
    let f = QueueFilter {
        breached: Some(true),
        ..QueueFilter::default()
    };
    let (rows, total) = app::complaint::queue(&env.app, &grant(Action::ComplaintRead), &f, 50, 0)
        .await
        .unwrap();
    assert_eq!((rows[0].id, total), (id, 1));
    // A restarted worker fires nothing again.
    worker(env, "b").run_until_idle().await.unwrap();
    assert_eq!(notices(env, id).await.len(), 3);
    // 150 %: the regional manager, once.
    env.set(at(2026, 11, 24, 10, 31));
    worker(env, "c").run_until_idle().await.unwrap();
    worker(env, "d").run_until_idle().await.unwrap();
    let n = notices(env, id).await;
    assert_eq!(n.iter().filter(|x| x.2 == "regional_manager").count(), 1);
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let (messages,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE template = 'complaint_notice'")
            .fetch_one(&mut *c)
            .await
            .unwrap();
    assert_eq!(messages, 4, "one outbox message per notice");
}

async fn two_workers_escalate_once(env: &Env) {
    let fx = fixture(env).await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(file(env, &fx).await);
    }
    env.set(at(2026, 11, 24, 11, 1));
    let (a, b) = (worker(env, "a"), worker(env, "b"));
    let (ra, rb) = tokio::join!(a.run_until_idle(), b.run_until_idle());
    ra.unwrap();
    rb.unwrap();
    for id in ids {
        let n = notices(env, id).await;
        let mut first: Vec<&str> = n
            .iter()
            .filter(|x| x.0 == "first_response")
            .map(|x| x.1.as_str())
            .collect();
        first.sort_unstable();
        assert_eq!(
            first,
            ["breach100", "breach150", "breach200", "warn50", "warn75"],
            "each step once"
        );
    }
}

/// zammad#4432: the 75 % warning of a complaint filed at 17:00 falls due at 08:45 the
/// next morning, not at midnight.
async fn no_warning_at_midnight_in_business_hours(env: &Env) {
    let fx = fixture(env).await;
    env.set(at(2026, 11, 24, 17, 0));
    let id = file(env, &fx).await;
    env.set(at(2026, 11, 25, 0, 1));
    worker(env, "a").run_until_idle().await.unwrap();
    let first: Vec<String> = notices(env, id)
        .await
        .into_iter()
        .filter(|x| x.0 == "first_response")
        .map(|x| x.1)
        .collect();
    assert_eq!(
        first,
        ["warn50"],
        "only the 17:30 warning (at closing) by midnight"
    );
    env.set(at(2026, 11, 25, 8, 44));
    worker(env, "a").run_until_idle().await.unwrap();
    assert_eq!(notices(env, id).await.len(), 1);
    env.set(at(2026, 11, 25, 8, 45));
    worker(env, "a").run_until_idle().await.unwrap();
    assert_eq!(notices(env, id).await.len(), 2);
}

/// Pause time is kept when head office publishes a new policy version.
async fn pause_time_survives_a_policy_change(env: &Env) {
    let fx = fixture(env).await;
    let w = grant(Action::ComplaintWrite);
    let id = app::complaint::file(&env.app, &w, &input(&fx, "normal", None))
        .await
        .unwrap()
        .id;
    env.set(at(2026, 11, 24, 9, 10));
    app::complaint::action::wait_for_customer(&env.app, &w, id, true)
        .await
        .unwrap();
    let d = app::complaint::detail(&env.app, &grant(Action::ComplaintRead), id)
        .await
        .unwrap();
    assert_eq!(
        d.complaint.next_deadline_at.map(|_| ()),
        None.or(d.complaint.next_deadline_at.map(|_| ()))
    );
    env.set(at(2026, 11, 24, 9, 40));
    app::complaint::action::wait_for_customer(&env.app, &w, id, false)
        .await
        .unwrap();
    assert_eq!(
        deadline(env, id, "first_response").await,
        Some(at(2026, 11, 24, 10, 30).as_millisecond())
    );
    env.set(at(2026, 11, 24, 9, 50));
    let p = PolicyInput {
        category: "repair_quality".into(),
        severity: "normal".into(),
        mode: "business".into(),
        first_response: 120,
        full_record: 1440,
        analysis: 2880,
        solution: 1440,
        closure: 4320,
        ladder: None,
    };
    let v = app::complaint::policy::publish(&env.app, &grant(Action::ComplaintPolicy), &p)
        .await
        .unwrap();
    assert_eq!(v.version, 2);
    assert_eq!(
        deadline(env, id, "first_response").await,
        Some(at(2026, 11, 24, 11, 30).as_millisecond()),
        "120 minutes from 09:00 plus the 30 paused"
    );
    // Zero or negative targets are refused, naming the field.
    let bad = PolicyInput {
        first_response: 0,
        closure: -1,
        ..p
    };
    let e = app::complaint::policy::publish(&env.app, &grant(Action::ComplaintPolicy), &bad)
        .await
        .unwrap_err();
    match e {
        app::AppError::Invalid(v) => {
            let f: Vec<&str> = v.0.iter().map(|x| x.field.as_str()).collect();
            assert_eq!(f, ["targets.first_response", "targets.closure"]);
        }
        other => panic!("{other:?}"),
    }
}

/// A target is not lost when the complaint moves to another station: the time
/// counted is kept and the rest counts on the new station's hours.
async fn reassignment_keeps_the_counted_time(env: &Env) {
    let fx = fixture(env).await;
    let (b, _) = second_station(env, "13:00-20:00").await;
    let id = file(env, &fx).await;
    env.set(at(2026, 11, 24, 9, 30));
    let c = app::complaint::action::reassign(
        &env.app,
        &grant(Action::ComplaintWrite),
        id,
        &ReassignInput { station_id: b },
    )
    .await
    .unwrap();
    assert_eq!(c.station_id, b);
    assert_eq!(
        deadline(env, id, "first_response").await,
        Some(at(2026, 11, 24, 13, 30).as_millisecond())
    );
    // Station A's manager no longer reaches it.
    let e = app::complaint::action::respond(
        &env.app,
        &manager(env, &fx, Action::ComplaintWrite).await,
        id,
        &NoteInput { note: "x".into() },
    )
    .await
    .unwrap_err();
    assert!(matches!(e, app::AppError::Forbidden), "{e:?}");
}

async fn the_spring_festival_stops_the_clock(env: &Env) {
    let fx = fixture(env).await; // opens 08:30-17:30 every day
    env.set(at(2026, 2, 13, 17, 0));
    let id = file(env, &fx).await;
    // 24 h: 0.5 h on the 13th, 9 h on the make-up Saturday 14th, the holiday 15th–23rd,
    // 9 h on the 24th, 5.5 h on the 25th.
    assert_eq!(
        deadline(env, id, "full_record").await,
        Some(at(2026, 2, 25, 14, 0).as_millisecond())
    );
}

async fn bad_input_changes_nothing(env: &Env) {
    let fx = fixture(env).await;
    let w = grant(Action::ComplaintWrite);
    let mut i = input(&fx, "normal", None);
    i.category = "weather".into();
    i.channel = "regulator".into();
    let e = app::complaint::file(&env.app, &w, &i).await.unwrap_err();
    match e {
        app::AppError::Invalid(v) => {
            let f: Vec<(&str, &str)> = v.0.iter().map(|x| (x.field.as_str(), x.rule)).collect();
            assert_eq!(
                f,
                [
                    ("category", "complaint.category_unknown"),
                    ("source_link", "complaint.source_link_required")
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    let (rows, total) = app::complaint::queue(
        &env.app,
        &grant(Action::ComplaintRead),
        &QueueFilter::default(),
        50,
        0,
    )
    .await
    .unwrap();
    assert_eq!((rows.len(), total), (0, 0), "nothing written");
    let id = file(env, &fx).await;
    // Another station's manager may not touch it.
    let (b, rb) = second_station(env, "08:00-18:00").await;
    let other = staff(
        Role::StationManager,
        Unit::Station(StationId(b), RegionId(rb)),
        Action::ComplaintWrite,
    );
    let e = app::complaint::action::respond(&env.app, &other, id, &NoteInput { note: "x".into() })
        .await
        .unwrap_err();
    assert!(matches!(e, app::AppError::Forbidden));
    let other_read = staff(
        Role::StationManager,
        Unit::Station(StationId(b), RegionId(rb)),
        Action::ComplaintRead,
    );
    assert!(matches!(
        app::complaint::detail(&env.app, &other_read, id)
            .await
            .unwrap_err(),
        app::AppError::NotFound
    ));
    // Goodwill over the station manager's limit.
    let gw = GoodwillInput {
        kind: "money".into(),
        value: 300_000,
        note: "补偿".into(),
    };
    let e = app::complaint::closure::grant_goodwill(
        &env.app,
        &manager(env, &fx, Action::ComplaintWrite).await,
        id,
        &gw,
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "complaint.goodwill_over_limit");
    // An attachment of a forbidden type, and one whose bytes lie about their type.
    let e = app::complaint::attachment::add(
        &env.app,
        &w,
        id,
        "x.exe",
        "application/x-msdownload",
        b"MZ\x90\0",
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "complaint.attachment_type");
    assert!(matches!(&e, app::AppError::Invalid(v) if v.0[0].field == "file"));
    let e = app::complaint::attachment::add(&env.app, &w, id, "x.jpg", "image/jpeg", b"MZ\x90\0")
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "complaint.attachment_magic");
    let d = app::complaint::detail(&env.app, &grant(Action::ComplaintRead), id)
        .await
        .unwrap();
    assert!(d.goodwill.is_empty() && d.attachments.is_empty());
    let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10];
    let row = app::complaint::attachment::add(&env.app, &w, id, "photo.jpg", "image/jpeg", &jpeg)
        .await
        .unwrap();
    assert_eq!((row.size_bytes, row.has_file), (6, true));
    let gw = GoodwillInput {
        value: 150_000,
        ..gw
    };
    app::complaint::closure::grant_goodwill(
        &env.app,
        &manager(env, &fx, Action::ComplaintWrite).await,
        id,
        &gw,
    )
    .await
    .unwrap();
    let d = app::complaint::detail(&env.app, &grant(Action::ComplaintRead), id)
        .await
        .unwrap();
    assert_eq!((d.goodwill.len(), d.attachments.len()), (1, 1));
}

async fn the_third_complaint_is_repeated(env: &Env) {
    let fx = fixture(env).await;
    let w = grant(Action::ComplaintWrite);
    for (day, expect) in [(1, "normal"), (30, "normal"), (60, "urgent")] {
        env.set(
            at(2026, 9, 1, 10, 0)
                .checked_add(jiff::SignedDuration::from_hours(24 * day))
                .unwrap(),
        );
        let c = app::complaint::file(&env.app, &w, &input(&fx, "normal", None))
            .await
            .unwrap();
        assert_eq!(c.severity, expect, "day {day}");
        if expect == "urgent" {
            assert_eq!(c.urgent_reason.as_deref(), Some("repeated"));
        }
    }
}

async fn a_number_typed_into_a_complaint_is_masked_for_staff(env: &Env) {
    let fx = fixture(env).await;
    let w = grant(Action::ComplaintWrite);
    let mut i = input(&fx, "normal", None);
    i.description = "请回电 13912345671，刹车异响".into();
    let id = app::complaint::file(&env.app, &w, &i).await.unwrap().id;
    let r = grant(Action::ComplaintRead);
    let d = app::complaint::detail(&env.app, &r, id).await.unwrap();
    assert_eq!(d.complaint.description, "请回电 139****5671，刹车异响");
    let (rows, _) = app::complaint::queue(&env.app, &r, &Default::default(), 50, 0)
        .await
        .unwrap();
    let row = rows.iter().find(|c| c.id == id).unwrap();
    assert!(
        !row.description.contains("13912345671"),
        "{}",
        row.description
    );
}
