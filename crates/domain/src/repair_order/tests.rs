//! Tests of the repair-order rules: stage order, checkpoints, approvals, timing, ETA.

use super::*;
use crate::calendar::{ClockMode, HolidayPlan, OpeningHours, WorkingCalendar, shanghai};
use jiff::civil::{date, time};
use proptest::prelude::*;

fn t(min: i64) -> Timestamp {
    Timestamp::from_second(1_772_000_000 + min * 60).expect("ts")
}

/// A clearance for `line` as the app gives one: an assigned technician who holds
/// what a requirement-free operation needs.
fn by(line: u32) -> Result<Cleared, crate::certification::CertificationError> {
    crate::certification::clear(line, Some(1), &[], Default::default(), date(2026, 1, 1))
}

fn codes(o: &RepairOrder, stage: Stage) -> Vec<String> {
    o.standard()
        .spec(stage)
        .map(|s| s.checkpoints.iter().map(|c| c.code.clone()).collect())
        .unwrap_or_default()
}

fn run_stage(o: &mut RepairOrder, stage: Stage, start: i64, end: i64) {
    o.start_stage(stage, t(start)).expect("start");
    for c in codes(o, stage) {
        o.check(&c).expect("check");
    }
    o.complete_stage(stage, t(end)).expect("complete");
}

#[test]
fn default_standard_matches_the_spec_table() {
    let s = default_standard();
    assert_eq!(s.validate(), Ok(()));
    let count = |st| s.spec(st).map(|x| x.checkpoints.len());
    let required = |st| {
        s.spec(st).map(|x| {
            x.checkpoints
                .iter()
                .filter(|c| c.rule == CheckRule::Required)
                .count()
        })
    };
    assert_eq!(
        (count(Stage::Reception), required(Stage::Reception)),
        (Some(5), Some(5))
    );
    assert_eq!(
        (count(Stage::Diagnosis), required(Stage::Diagnosis)),
        (Some(3), Some(3))
    );
    assert_eq!(
        (count(Stage::Repair), required(Stage::Repair)),
        (Some(8), Some(0))
    );
    assert_eq!(count(Stage::QualityInspection), Some(12));
    assert_eq!(
        (count(Stage::Delivery), required(Stage::Delivery)),
        (Some(6), Some(6))
    );
    assert_eq!(s.standard_minutes(Stage::Repair, 95), Some(95));
    assert_eq!(s.standard_minutes(Stage::FollowUp, 0), Some(3 * 1440));
    let mut bad = s.clone();
    bad.stages.swap(0, 1);
    assert!(matches!(
        bad.validate(),
        Err(RepairOrderError::StandardInvalid(_))
    ));
    assert!(RepairOrder::new(bad).is_err());
}

#[test]
fn stages_run_in_order_and_need_their_checkpoints() {
    let mut o = RepairOrder::new(default_standard()).expect("order");
    assert_eq!(
        o.start_stage(Stage::Diagnosis, t(0)),
        Err(RepairOrderError::OutOfOrder {
            expected: Some(Stage::Reception),
            got: Stage::Diagnosis
        })
    );
    o.start_stage(Stage::Reception, t(0)).expect("start");
    o.check("reception.walk_around").expect("check");
    assert_eq!(
        o.check("diagnosis.dtc_read"),
        Err(RepairOrderError::CheckpointWrongStage(
            "diagnosis.dtc_read".into()
        ))
    );
    assert_eq!(
        o.check("nope"),
        Err(RepairOrderError::CheckpointUnknown("nope".into()))
    );
    assert_eq!(
        o.complete_stage(Stage::Reception, t(10)),
        Err(RepairOrderError::CheckpointMissing(
            "reception.odometer_fuel".into()
        ))
    );
    for c in codes(&o, Stage::Reception) {
        o.check(&c).expect("check");
    }
    o.complete_stage(Stage::Reception, t(14)).expect("complete");
    assert_eq!(o.received_at(), Some(t(0)));
    assert_eq!(o.next_stage(), Some(Stage::Diagnosis));
    let v: crate::Violation = RepairOrderError::CheckpointMissing("reception.covers".into()).into();
    assert_eq!(
        (v.rule, v.detail.as_deref()),
        ("repair_order.checkpoint_missing", Some("reception.covers"))
    );
}

#[test]
fn work_needs_approval_and_extra_work_blocks_repair() {
    let mut o = RepairOrder::new(default_standard()).expect("order");
    let a = o.propose_line("MAINT-10K", 100).expect("a");
    let b = o.propose_line("BRAKE-PAD-F", 80).expect("b");
    assert_eq!(o.promise(t(300)), Err(RepairOrderError::NothingApproved));
    o.approve_line(a).expect("approve");
    o.decline_line(b).expect("decline");
    o.promise(t(300)).expect("promise");
    run_stage(&mut o, Stage::Reception, 0, 15);
    run_stage(&mut o, Stage::Diagnosis, 15, 45);
    assert_eq!(
        o.start_work(a, by(a)),
        Err(RepairOrderError::RepairNotInProgress)
    );
    o.start_stage(Stage::Repair, t(45)).expect("repair");
    assert_eq!(
        o.start_work(b, by(b)),
        Err(RepairOrderError::LineNotApproved(b))
    );
    o.start_work(a, by(a)).expect("start a");
    let c = o.propose_line("CV-BOOT", 120).expect("extra");
    assert!(o.lines()[2].extra);
    assert_eq!(
        o.start_work(c, by(c)),
        Err(RepairOrderError::LineNotApproved(c))
    );
    o.finish_work(a).expect("finish a");
    assert_eq!(
        o.complete_stage(Stage::Repair, t(100)),
        Err(RepairOrderError::ProposedWorkPending(c))
    );
    o.approve_line(c).expect("approve extra");
    assert_eq!(
        o.complete_stage(Stage::Repair, t(100)),
        Err(RepairOrderError::WorkUnfinished(c))
    );
    use crate::certification::CertificationError as C;
    for (clearance, why) in [(by(a), C::Unassigned), (Err(C::Unassigned), C::Unassigned)] {
        assert_eq!(
            o.start_work(c, clearance),
            Err(RepairOrderError::Uncertified(why)),
            "nobody cleared for line c, no start"
        );
    }
    o.start_work(c, by(c)).expect("start c");
    o.finish_work(c).expect("finish c");
    assert_eq!(o.labour_minutes(), 132);
    o.complete_stage(Stage::Repair, t(180))
        .expect("repair done");
    assert_eq!(
        o.propose_line("X", 10),
        Err(RepairOrderError::RepairComplete)
    );
    // QI: only the applicable checkpoints are required.
    o.set_applicable(&["qi.work_complete", "qi.brakes"])
        .expect("applicable");
    o.start_stage(Stage::QualityInspection, t(180)).expect("qi");
    o.check("qi.work_complete").expect("check");
    assert_eq!(
        o.complete_stage(Stage::QualityInspection, t(190)),
        Err(RepairOrderError::CheckpointMissing("qi.brakes".into()))
    );
    o.check("qi.brakes").expect("check");
    o.complete_stage(Stage::QualityInspection, t(200))
        .expect("qi done");
    assert_eq!(o.can_classify_concern(), Ok(()));
    let class = |code: Option<&str>, safety_fault| ConcernClass {
        code: code.map(Into::into),
        safety_fault,
    };
    let (none, coded) = (class(None, false), class(Some("C0051"), true));
    assert_eq!(o.reclassify_concern(&none, &coded, None), Ok(()));
    assert_eq!(
        o.reclassify_concern(&coded, &class(Some("C0052"), true), Some(" ")),
        Err(RepairOrderError::ReasonRequired)
    );
    assert_eq!(
        o.reclassify_concern(&coded, &class(Some("C0051"), false), Some("误判")),
        Ok(())
    );
    run_stage(&mut o, Stage::Delivery, 200, 215);
    assert_eq!(o.delivered_at(), Some(t(215)));
    assert_eq!(o.can_classify_concern(), Err(RepairOrderError::Delivered));
    assert_eq!(
        o.reclassify_concern(&none, &coded, Some("late")),
        Err(RepairOrderError::Delivered)
    );
    assert_eq!(
        late_handover(o.promised_at().expect("promised"), t(215)),
        None
    );
    assert_eq!(late_handover(t(300), t(361)), Some(61));
}

#[test]
fn timings_overrun_and_eta() {
    let std = default_standard();
    // Reception took 20 of 15 min; diagnosis running for 40 of 30 min at now=60.
    let events = [
        StageEvent {
            stage: Stage::Reception,
            started_at: t(0),
            completed_at: Some(t(20)),
        },
        StageEvent {
            stage: Stage::Diagnosis,
            started_at: t(20),
            completed_at: None,
        },
    ];
    let timings = stage_timings(&std, 90, &events, t(60));
    assert_eq!(
        timings[0],
        StageTiming {
            stage: Stage::Reception,
            elapsed_minutes: 20,
            standard_minutes: 15,
            overrun: true,
            completed: true
        }
    );
    assert_eq!(
        timings[1],
        StageTiming {
            stage: Stage::Diagnosis,
            elapsed_minutes: 40,
            standard_minutes: 30,
            overrun: true,
            completed: false
        }
    );
    let cal = WorkingCalendar::new(
        HolidayPlan::new(),
        OpeningHours::every_day(time(0, 0, 0, 0), time(23, 59, 0, 0)).expect("hours"),
        shanghai(),
    );
    // Remaining: diagnosis 0 (overran) + repair 90 + QI 20 + delivery 15 = 125.
    assert_eq!(
        eta(&std, 90, &events, t(60), &cal, ClockMode::Calendar),
        Ok(t(185))
    );
    // Diagnosis only 10 minutes in: 20 more.
    assert_eq!(
        eta(&std, 90, &events, t(30), &cal, ClockMode::Calendar),
        Ok(t(30 + 20 + 125))
    );
    // Business mode crosses the night: 17:00 + 125 min at a station closing 17:30.
    let station = WorkingCalendar::new(
        HolidayPlan::china(),
        OpeningHours::every_day(time(8, 30, 0, 0), time(17, 30, 0, 0)).expect("hours"),
        shanghai(),
    );
    let now = station
        .instant(date(2026, 3, 3).at(17, 0, 0, 0))
        .expect("now");
    let ev = [
        StageEvent {
            stage: Stage::Reception,
            started_at: now,
            completed_at: Some(now),
        },
        StageEvent {
            stage: Stage::Diagnosis,
            started_at: now,
            completed_at: None,
        },
    ];
    let got = eta(&std, 90, &ev, now, &station, ClockMode::Business).expect("eta");
    assert_eq!(
        got,
        station
            .instant(date(2026, 3, 4).at(10, 35, 0, 0))
            .expect("next day")
    );
}

#[test]
fn courtesy_car_and_follow_up() {
    // The courtesy car follows the one rule of the three guarantees (Art 21): from
    // the start of day 6 of the repair.
    let span = crate::guarantee::repair_time::RepairSpan::new(t(0), None, vec![])
        .expect("a running repair");
    assert!(!span.courtesy_car_due(t(5 * 1440), 5));
    assert!(span.courtesy_car_due(t(5 * 1440 + 1), 5));
    assert_eq!(follow_up_due(&default_standard(), t(0)), Ok(t(3 * 1440)));
    let events = [
        StageEvent {
            stage: Stage::Delivery,
            started_at: t(0),
            completed_at: Some(t(15)),
        },
        StageEvent {
            stage: Stage::FollowUp,
            started_at: t(4000),
            completed_at: Some(t(4400)),
        },
    ];
    let timings = stage_timings(&default_standard(), 0, &events, t(5000));
    assert_eq!(timings[1].elapsed_minutes, 4385);
    assert!(timings[1].overrun);
}

#[derive(Debug, Clone)]
enum Cmd {
    Start(usize),
    Check(usize, usize),
    CheckAll(usize),
    Complete(usize),
    Propose,
    Approve(u32),
    Decline(u32),
    StartWork(u32),
    FinishWork(u32),
    Applicable(usize),
    Advance,
}

fn cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        4 => Just(Cmd::Advance),
        1 => (0usize..6).prop_map(Cmd::Start),
        1 => (0usize..6, 0usize..12).prop_map(|(s, c)| Cmd::Check(s, c)),
        1 => (0usize..6).prop_map(Cmd::Complete),
        1 => (0usize..6).prop_map(Cmd::CheckAll),
        1 => Just(Cmd::Propose),
        1 => (1u32..6).prop_map(Cmd::Approve),
        1 => (1u32..6).prop_map(Cmd::Decline),
        1 => (1u32..6).prop_map(Cmd::StartWork),
        1 => (1u32..6).prop_map(Cmd::FinishWork),
        1 => (0usize..12).prop_map(Cmd::Applicable),
    ]
}

proptest! {
    #[test]
    fn random_commands_keep_the_rules(cmds in proptest::collection::vec(cmd(), 0..300)) {
        let mut o = RepairOrder::new(default_standard()).expect("order");
        for (i, c) in cmds.into_iter().enumerate() {
            let at = t(i as i64);
            let _ = match c {
                Cmd::Start(s) => o.start_stage(Stage::ALL[s], at),
                Cmd::Check(s, k) => {
                    let list = codes(&o, Stage::ALL[s]);
                    if list.is_empty() { Ok(()) } else { o.check(&list[k % list.len()]) }
                }
                Cmd::CheckAll(s) => codes(&o, Stage::ALL[s]).iter().try_for_each(|c| o.check(c)),
                Cmd::Complete(s) => o.complete_stage(Stage::ALL[s], at),
                Cmd::Propose => o.propose_line("OP", 50).map(|_| ()),
                Cmd::Approve(n) => o.approve_line(n),
                Cmd::Decline(n) => o.decline_line(n),
                Cmd::StartWork(n) => o.start_work(n, by(n)),
                Cmd::FinishWork(n) => o.finish_work(n),
                Cmd::Advance => match o.current_stage() {
                    Some(s) => codes(&o, s).iter().try_for_each(|c| o.check(c)).and_then(|()| o.complete_stage(s, at)),
                    None => match o.next_stage() {
                        Some(s) => o.start_stage(s, at),
                        None => Ok(()),
                    },
                },
                Cmd::Applicable(k) => {
                    let list = codes(&o, Stage::QualityInspection);
                    let pick: Vec<&str> = list.iter().take(k).map(String::as_str).collect();
                    o.set_applicable(&pick)
                }
            };
            // No unapproved work ever started.
            for l in o.lines() {
                prop_assert!(l.work == WorkStatus::NotStarted || l.decision == Decision::Approved);
            }
            // Stages strictly in order.
            for w in o.stages().windows(2) {
                if w[1].started_at.is_some() {
                    prop_assert!(w[0].completed_at.is_some());
                    prop_assert!(w[0].completed_at <= w[1].started_at);
                }
            }
            // Every completed stage had its required checkpoints.
            for p in o.stages() {
                if p.completed_at.is_some() {
                    prop_assert_eq!(o.missing_checkpoint(p.stage), None);
                }
            }
            if o.delivered_at().is_some() {
                prop_assert_eq!(o.missing_checkpoint(Stage::Delivery), None);
                prop_assert!(o.lines().iter().all(|l| l.decision != Decision::Proposed));
                prop_assert!(o.lines().iter().all(|l| l.decision != Decision::Approved || l.work == WorkStatus::Done));
            }
        }
    }
}
