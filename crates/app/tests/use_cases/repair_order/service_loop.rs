//! The whole service loop: appointment, reception, diagnosis, estimate, work,
//! quality check and delivery, with every stage's checkpoints.

use super::fixture::booking;
use super::fixture::fixture;
use super::fixture::rule;
use super::fixture::used_bays;
use super::fixture::{DELIVERY, DIAGNOSIS, RECEPTION, check_all, desk};
use crate::common::Env;
use crate::common::at;
use app::AppError;
use app::estimate::LineInput;
use app::repair_order::OpenInput;
use domain::kpi::YearMonth;
use domain::repair_order::Stage;
use jiff::civil::date;

pub(crate) async fn full_service_loop(env: &Env) {
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

    whole_reads_as_its_parts(env, ro, fx.station).await;
    an_advance_writes_both_or_neither(env, ro).await;

    // Quality inspection with the checkpoints applicable to this job. Two advisors
    // start it at once: one start is recorded, the other is refused (it re-reads the
    // order once its version-guarded write lost and finds the stage started).
    let (a, b) = tokio::join!(
        ro_uc::start_stage(&env.app, g, ro, Stage::QualityInspection),
        ro_uc::start_stage(&env.app, g, ro, Stage::QualityInspection)
    );
    assert!(a.is_ok() != b.is_ok(), "exactly one start: {a:?} {b:?}");
    let refused = a.err().or(b.err()).unwrap();
    assert_eq!(rule(&refused), "repair_order.stage_out_of_order");
    assert_eq!(stage_starts(env, ro, "quality_inspection").await, 1);
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
    stage_changes_of_many_orders_commit_together(env, &fx).await;
}

/// How many `stage_started` events of `stage` the order has.
async fn stage_starts(env: &Env, ro: i64, stage: &str) -> usize {
    let mut c = env.app.db.pool.acquire().await.unwrap();
    store::event::for_entity_of_kinds(&mut c, "repair_order", ro, &["stage_started"])
        .await
        .unwrap()
        .iter()
        .filter(|e| e.data["stage"] == stage)
        .count()
}

/// `store::repair_order::advance` (a stage change's write: one statement on
/// PostgreSQL, one two-statement query on SQLite): at a stale version it changes
/// nothing and records no event; at the current one it saves the progress, bumps the
/// version and records exactly its one event.
async fn an_advance_writes_both_or_neither(env: &Env, ro: i64) {
    use domain::permission::Reach;
    use store::repair_order::{Progress, advance};
    let kinds = ["advance_probe"];
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let before = store::repair_order::get(&mut c, &Reach::All, ro)
        .await
        .unwrap();
    drop(c);
    let p = Progress {
        state: before.state.clone(),
        current_stage: before.current_stage.clone(),
        applicable: before.applicable.clone(),
        promised_at: before.promised_at,
        delivered_at: before.delivered_at,
        late_minutes: before.late_minutes,
        courtesy_car: before.courtesy_car,
    };
    let data = serde_json::json!({ "probe": true });
    let event = probe_event(&data);
    let probes = || async {
        let mut c = env.app.db.pool.acquire().await.unwrap();
        store::event::for_entity_of_kinds(&mut c, "repair_order", ro, &kinds)
            .await
            .unwrap()
            .len()
    };
    let now = env.app.now_ms();
    for stale in [before.version - 1, before.version + 1] {
        let e = advance(&env.app.db, ro, stale, &p, now, event)
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                store::StoreError::Conflict("repair_order.changed_meanwhile")
            ),
            "{e:?}"
        );
        assert_eq!(probes().await, 0, "no event at a stale version");
    }
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let after = store::repair_order::get(&mut c, &Reach::All, ro)
        .await
        .unwrap();
    assert_eq!(after.version, before.version, "nothing saved");
    advance(&env.app.db, ro, before.version, &p, now, event)
        .await
        .unwrap();
    assert_eq!(probes().await, 1);
    let after = store::repair_order::get(&mut c, &Reach::All, ro)
        .await
        .unwrap();
    assert_eq!(after.version, before.version + 1);
    assert_eq!(after.current_stage, before.current_stage);
    // Eight writers at once, all at the version now stored (on SQLite they are
    // committed together, on PostgreSQL one after the other, [`store::group_commit`]):
    // exactly one lands, the others find the order changed, and exactly one more
    // event is recorded.
    let mut writers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (db, p, data) = (env.app.db.clone(), p.clone(), data.clone());
        let version = after.version;
        writers.spawn(async move {
            let event = probe_event(&data);
            advance(&db, ro, version, &p, now, event).await
        });
    }
    let (mut landed, mut conflicts) = (0, 0);
    while let Some(outcome) = writers.join_next().await {
        match outcome.unwrap() {
            Ok(()) => landed += 1,
            Err(store::StoreError::Conflict("repair_order.changed_meanwhile")) => conflicts += 1,
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!((landed, conflicts), (1, 7));
    assert_eq!(probes().await, 2);
    let last = store::repair_order::get(&mut c, &Reach::All, ro)
        .await
        .unwrap();
    assert_eq!(last.version, after.version + 1);
}

/// The order read in one statement (`store::repair_order::whole`, what every action
/// on it reads) is what reading it part by part answers, in the same orders, and is
/// found only within reach.
async fn whole_reads_as_its_parts(env: &Env, ro: i64, station: i64) {
    use domain::ids::{RegionId, StationId};
    use domain::permission::Reach;
    use store::repair_order::whole;
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let kinds = ["stage_started", "stage_completed"];
    let w = whole(&mut c, &Reach::All, ro, "repair_order", &kinds)
        .await
        .unwrap();
    let row = store::repair_order::get(&mut c, &Reach::All, ro)
        .await
        .unwrap();
    assert_eq!(w.row, row);
    assert_eq!(w.lines, store::estimate::lines(&mut c, ro).await.unwrap());
    assert_eq!(
        w.checkpoints,
        store::repair_order::checkpoints(&mut c, ro).await.unwrap()
    );
    assert_eq!(
        w.events,
        store::event::for_entity_of_kinds(&mut c, "repair_order", ro, &kinds)
            .await
            .unwrap()
    );
    // Something of every source, so the equalities above compare rows.
    assert!(w.lines.len() >= 3, "{:?}", w.lines);
    assert!(w.checkpoints.len() >= 5, "{:?}", w.checkpoints);
    assert_eq!(w.events.len(), 6, "three stages started and completed");
    assert!(w.events.windows(2).all(|p| p[0].id < p[1].id));
    // Reach: its station and its region find it; another station does not.
    let region = store::network::station(&mut c, &Reach::All, station)
        .await
        .unwrap()
        .region_id;
    for reach in [
        Reach::Station(StationId(station)),
        Reach::Region(RegionId(region)),
    ] {
        let found = whole(&mut c, &reach, ro, "repair_order", &kinds).await;
        assert_eq!(found.unwrap().row.id, ro, "{reach:?}");
    }
    for reach in [
        Reach::Station(StationId(station + 1000)),
        Reach::Region(RegionId(region + 1000)),
    ] {
        let found = whole(&mut c, &reach, ro, "repair_order", &kinds).await;
        assert!(
            matches!(found, Err(store::StoreError::NotFound)),
            "{reach:?}: {found:?}"
        );
    }
    // No kinds asked for: no events, the rest as before.
    let bare = whole(&mut c, &Reach::All, ro, "repair_order", &[])
        .await
        .unwrap();
    assert!(bare.events.is_empty());
    assert_eq!((bare.row, bare.lines), (w.row, w.lines));
}

/// Twelve orders completing reception at once: every change lands with its one
/// event and version, and on PostgreSQL, where the orders' table is held locked
/// while they queue, they are combined into statements of more than one write
/// (`store::repair_order::advance`'s combined statement) with no group failing.
async fn stage_changes_of_many_orders_commit_together(env: &Env, fx: &super::fixture::Fx) {
    use app::repair_order as ro_uc;
    let mut orders = Vec::new();
    for _ in 0..12 {
        let input = ro_uc::WalkInInput {
            station_id: fx.station,
            vehicle_id: fx.vehicle,
            vin: None,
            concern: "保养".into(),
            concern_code: None,
            service_type: None,
            second_order_reason: Some("group commit".into()),
        };
        let ro = ro_uc::open_walk_in(&env.app, &fx.write, &input)
            .await
            .unwrap();
        check_all(env, &fx.write, ro, &RECEPTION).await;
        orders.push(ro);
    }
    let db = &env.app.db;
    let before = db.group_commit_tally();
    let postgres = db.backend == store::Backend::Postgres;
    let lock = crate::group_commit::hold_writes_on_postgres(db, "repair_orders").await;
    let mut changes = tokio::task::JoinSet::new();
    for &ro in &orders {
        let (app, g) = (env.app.clone(), fx.write.clone());
        changes.spawn(async move { ro_uc::complete_stage(&app, &g, ro, Stage::Reception).await });
    }
    if let Some(tx) = lock {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        tx.commit().await.unwrap();
    }
    while let Some(done) = changes.join_next().await {
        done.unwrap().unwrap();
    }
    for &ro in &orders {
        let completed = stage_events_of(env, ro, "stage_completed").await;
        assert_eq!(completed, 1, "order {ro}");
    }
    let after = db.group_commit_tally();
    assert_eq!(after.failed, before.failed, "{after:?}");
    if postgres {
        assert!(
            after.writes_together >= before.writes_together + 2,
            "{after:?}"
        );
    }
}

/// How many events of `kind` order `ro` has.
async fn stage_events_of(env: &Env, ro: i64, kind: &str) -> usize {
    let mut c = env.app.db.pool.acquire().await.unwrap();
    store::event::for_entity_of_kinds(&mut c, "repair_order", ro, &[kind])
        .await
        .unwrap()
        .len()
}

/// The probe event `an_advance_writes_both_or_neither` records, by the system.
fn probe_event(data: &serde_json::Value) -> store::repair_order::ProgressEvent<'_> {
    store::repair_order::ProgressEvent {
        actor: store::event::Actor {
            role: "system",
            id: 0,
            kind: "system",
        },
        kind: "advance_probe",
        data,
    }
}
