//! Tests of the complaint rules: workflow, the repeated rule, closure, goodwill and
//! the service-level clocks (with property tests of the deadline arithmetic).

#![allow(clippy::expect_used, clippy::unwrap_used)]

use super::closure::{FollowUp, Zero, ZeroStatus, may_close};
use super::goodwill::{GoodwillLimits, check};
use super::sla::{Clock, Level, Pause, Policy, Segment, Stage, Step, checkpoints, next_deadline};
use super::*;
use crate::calendar::{ClockMode, HolidayPlan, OpeningHours, WorkingCalendar, shanghai};
use crate::role::Role;
use jiff::civil::{date, time};
use jiff::tz::TimeZone;
use proptest::prelude::*;

fn station() -> WorkingCalendar {
    let hours = OpeningHours::every_day(time(8, 30, 0, 0), time(17, 30, 0, 0)).expect("hours");
    WorkingCalendar::new(HolidayPlan::china(), hours, shanghai())
}

fn office() -> WorkingCalendar {
    let hours = OpeningHours::weekdays(time(9, 0, 0, 0), time(18, 0, 0, 0)).expect("hours");
    WorkingCalendar::new(HolidayPlan::china(), hours, shanghai())
}

/// A station in another zone (Ürümqi keeps UTC+6 locally).
fn western() -> WorkingCalendar {
    let hours = OpeningHours::weekdays(time(10, 0, 0, 0), time(19, 0, 0, 0)).expect("hours");
    WorkingCalendar::new(
        HolidayPlan::china(),
        hours,
        TimeZone::fixed(jiff::tz::offset(6)),
    )
}

fn at(cal: &WorkingCalendar, y: i16, m: i8, d: i8, h: i8, min: i8) -> Timestamp {
    cal.instant(date(y, m, d).at(h, min, 0, 0))
        .expect("instant")
}

const BREACH: Step = Step {
    percent: 100,
    escalate_to: Some(Level::StationManager),
};

#[test]
fn the_workflow_goes_forward_and_back_only_where_the_process_does() {
    let mut s = State::Received;
    for e in [
        Event::Acknowledge,
        Event::StartAnalysis,
        Event::ProposeSolution,
        Event::CustomerAccepts,
        Event::StartWork,
        Event::FinishWork,
        Event::Close,
    ] {
        s = transition(s, e).expect("forward");
    }
    assert_eq!(s, State::Closed);
    assert_eq!(transition(s, Event::Reopen), Ok(State::Received));
    let back = transition(State::InProgress, Event::Acknowledge).unwrap_err();
    assert_eq!(
        (back.field.as_str(), back.rule),
        ("state", "complaint.transition")
    );
    assert_eq!(
        transition(State::SolutionProposed, Event::CustomerRejects),
        Ok(State::Analysing)
    );
    assert!(transition(State::Received, Event::Close).is_err());
}

#[test]
fn the_third_complaint_within_ninety_days_is_repeated() {
    let now = Timestamp::from_second(1_780_000_000).unwrap();
    let day = 24 * 3600;
    let ago = |d: i64| Timestamp::from_second(now.as_second() - d * day).unwrap();
    assert!(!is_repeated(&[ago(10)], now));
    assert!(is_repeated(&[ago(10), ago(89)], now));
    assert!(!is_repeated(&[ago(10), ago(91)], now));
    assert_eq!(
        effective_severity(Severity::Normal, &[ago(1), ago(2)], now),
        Severity::Urgent(UrgentReason::Repeated)
    );
    assert_eq!(
        effective_severity(
            Severity::Urgent(UrgentReason::Safety),
            &[ago(1), ago(2)],
            now
        ),
        Severity::Urgent(UrgentReason::Safety)
    );
}

#[test]
fn unknown_codes_name_the_field_and_the_rule() {
    let e = Category::parse("weather").unwrap_err();
    assert_eq!(
        (e.field.as_str(), e.rule),
        ("category", "complaint.category_unknown")
    );
    assert_eq!(
        Category::parse("repair_quality"),
        Ok(Category::RepairQuality)
    );
    let e = Severity::parse("urgent", None).unwrap_err();
    assert_eq!(e.rule, "complaint.urgent_reason_required");
    assert_eq!(
        Severity::parse("urgent", Some("media")),
        Ok(Severity::Urgent(UrgentReason::Media))
    );
}

#[test]
fn closing_needs_three_zeros_and_an_accepting_follow_up() {
    let done = ZeroStatus::parse(Zero::Complaint, "done", "refund paid").unwrap();
    let na = ZeroStatus::parse(Zero::Technical, "not_applicable", "no technical cause").unwrap();
    let err = ZeroStatus::parse(Zero::Management, "done", "  ").unwrap_err();
    assert_eq!(err.field, "zeros.management.text");
    let v = may_close(&[(Zero::Complaint, done.clone())], None).unwrap_err();
    let fields: Vec<&str> = v.0.iter().map(|x| x.field.as_str()).collect();
    assert_eq!(fields, ["zeros.management", "zeros.technical", "follow_up"]);
    let mgmt = ZeroStatus::parse(Zero::Management, "done", "training held").unwrap();
    let zeros = [
        (Zero::Complaint, done),
        (Zero::Management, mgmt),
        (Zero::Technical, na),
    ];
    let unhappy = FollowUp::new(2, false).unwrap();
    assert_eq!(
        may_close(&zeros, Some(unhappy)).unwrap_err().0[0].rule,
        "complaint.closure_not_accepted"
    );
    assert!(may_close(&zeros, Some(FollowUp::new(5, true).unwrap())).is_ok());
    assert!(FollowUp::new(6, true).is_err());
    assert!(FollowUp::new(0, true).is_err());
}

#[test]
fn goodwill_is_approved_up_to_the_role_limit() {
    let l = GoodwillLimits::default();
    assert!(check(Role::StationManager, 200_000, &l).is_ok());
    let e = check(Role::StationManager, 200_001, &l).unwrap_err();
    assert_eq!(
        (e.field.as_str(), e.rule),
        ("value", "complaint.goodwill_over_limit")
    );
    assert!(check(Role::Administrator, 99_000_000, &l).is_ok());
    assert!(check(Role::ServiceAdvisor, 1, &l).is_err());
    assert_eq!(
        check(Role::Administrator, 0, &l).unwrap_err().rule,
        "complaint.goodwill_positive"
    );
}

#[test]
fn a_policy_with_zero_targets_or_a_bad_ladder_is_refused() {
    let mut p = Policy::spec_default(ClockMode::Business);
    assert!(p.validate().is_ok());
    p.targets.first_response = 0;
    p.targets.closure = -5;
    p.ladder = vec![(90, Level::HeadOffice)];
    let v = p.validate().unwrap_err();
    let fields: Vec<&str> = v.0.iter().map(|x| x.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "targets.first_response",
            "targets.closure",
            "ladder[0].percent"
        ]
    );
}

/// The policy may change the steps (SPEC §6): a ladder may start later than 100 %,
/// have fewer or other levels, but each bad step is named.
#[test]
fn a_ladder_is_checked_step_by_step() {
    use crate::complaint::sla::ladder_violations;
    let rules = |l: &[(u32, Level)]| -> Vec<(String, &'static str)> {
        ladder_violations(l)
            .into_iter()
            .map(|v| (v.field, v.rule))
            .collect()
    };
    assert!(rules(&[(120, Level::RegionalManager), (300, Level::HeadOffice)]).is_empty());
    assert_eq!(rules(&[]), [("ladder".into(), "complaint.ladder_empty")]);
    assert_eq!(
        rules(&[(100, Level::StationManager), (100, Level::HeadOffice)]),
        [("ladder[1].percent".into(), "complaint.ladder_not_rising")]
    );
    assert_eq!(
        rules(&[(100, Level::StationManager), (1_001, Level::HeadOffice)]),
        [(
            "ladder[1].percent".into(),
            "complaint.ladder_percent_too_high"
        )]
    );
    let six: Vec<(u32, Level)> = (0..6).map(|i| (100 + i * 10, Level::HeadOffice)).collect();
    assert_eq!(
        rules(&six),
        [("ladder".into(), "complaint.ladder_too_long")]
    );
}

proptest::proptest! {
    /// Whatever ladder is accepted starts at 100 % or later, rises strictly, and
    /// its steps are exactly the escalation checkpoints of the policy.
    #[test]
    fn an_accepted_ladder_rises_from_100(
        raw in proptest::collection::vec((0u32..1_200, 0usize..3), 0..7)
    ) {
        let levels = [Level::StationManager, Level::RegionalManager, Level::HeadOffice];
        let ladder: Vec<(u32, Level)> = raw.iter().map(|(p, l)| (*p, levels[*l])).collect();
        let ok = crate::complaint::sla::ladder_violations(&ladder).is_empty();
        let rising = ladder.windows(2).all(|w| w[0].0 < w[1].0);
        let expected = !ladder.is_empty()
            && ladder.len() <= 5
            && ladder[0].0 >= 100
            && rising
            && ladder.iter().all(|l| l.0 <= 1_000);
        proptest::prop_assert_eq!(ok, expected);
        if ok {
            let mut p = Policy::spec_default(ClockMode::Business);
            p.ladder = ladder.clone();
            let esc: Vec<(u32, Level)> = p
                .steps()
                .into_iter()
                .filter_map(|s| Some((s.percent, s.escalate_to?)))
                .collect();
            proptest::prop_assert_eq!(esc, ladder);
        }
    }
}

/// Regression (zammad#4432): a warning due outside business hours must not fall at
/// midnight — in business mode it falls in open time.
#[test]
fn a_warning_never_falls_at_midnight_in_business_mode() {
    let cal = station();
    // Filed 17:00 on a Tuesday; 1 h target: 30 minutes left today.
    let start = at(&cal, 2026, 3, 10, 17, 0);
    let clock = Clock::new(start, &cal, ClockMode::Business);
    let p = Policy::spec_default(ClockMode::Business);
    let cps = checkpoints(&clock, &p, &[], None).unwrap();
    for c in &cps {
        let local = cal.local(c.due);
        let (open, close) = cal.opening_on(local.date()).unwrap();
        assert!(
            open <= local.time() && local.time() <= close,
            "{c:?} at {local}"
        );
    }
    let warn75 = cps
        .iter()
        .find(|c| c.stage == Stage::FirstResponse && c.step.percent == 75)
        .unwrap();
    assert_eq!(warn75.due, at(&cal, 2026, 3, 11, 8, 45));
    // Calendar mode counts the night.
    let cal_clock = Clock::new(start, &cal, ClockMode::Calendar);
    let d = cal_clock.step_at(start, 60, BREACH).unwrap().unwrap();
    assert_eq!(d, at(&cal, 2026, 3, 10, 18, 0));
}

/// Regression: a clock running through the Spring Festival stops for the holiday and
/// counts the make-up Saturday before it.
#[test]
fn the_spring_festival_stops_the_clock() {
    let cal = office();
    // Friday 2026-02-13 17:00; 2026-02-14 (Saturday) is a make-up working day.
    let start = at(&cal, 2026, 2, 13, 17, 0);
    let clock = Clock::new(start, &cal, ClockMode::Business);
    let d = clock.step_at(start, 120, BREACH).unwrap().unwrap();
    assert_eq!(d, at(&cal, 2026, 2, 14, 10, 0));
    // 24 business hours: Fri 1 h + Sat 9 h, then the holiday 15th–23rd, then the 24th 9 h
    // and 5 h on the 25th.
    let d = clock.step_at(start, 24 * 60, BREACH).unwrap().unwrap();
    assert_eq!(d, at(&cal, 2026, 2, 25, 14, 0));
}

/// Regression (glpi#10594): a pause is measured on the business calendar, so a pause
/// over a closed night removes nothing.
#[test]
fn a_pause_removes_only_minutes_that_would_have_counted() {
    let cal = office();
    let start = at(&cal, 2026, 3, 10, 17, 0);
    let mut clock = Clock::new(start, &cal, ClockMode::Business);
    clock.pauses.push(Pause {
        from: at(&cal, 2026, 3, 10, 19, 0),
        to: Some(at(&cal, 2026, 3, 11, 8, 0)),
    });
    let d = clock.step_at(start, 120, BREACH).unwrap().unwrap();
    assert_eq!(d, at(&cal, 2026, 3, 11, 10, 0));
    clock.pauses[0] = Pause {
        from: at(&cal, 2026, 3, 11, 9, 0),
        to: Some(at(&cal, 2026, 3, 11, 9, 30)),
    };
    let d = clock.step_at(start, 120, BREACH).unwrap().unwrap();
    assert_eq!(d, at(&cal, 2026, 3, 11, 10, 30));
    // An open pause stops the clock: no deadline until it ends.
    clock.pauses[0].to = None;
    assert_eq!(clock.step_at(start, 120, BREACH).unwrap(), None);
}

/// Regression: moving a complaint to another station keeps the time counted so far
/// and counts the rest on the new station's calendar, from the original start.
#[test]
fn a_reassignment_keeps_the_counted_time() {
    let a = office();
    let b = western();
    let start = at(&a, 2026, 3, 10, 9, 0);
    let moved = at(&a, 2026, 3, 10, 11, 0); // 2 h counted at the first station
    let clock = Clock {
        segments: vec![
            Segment {
                from: start,
                calendar: &a,
                mode: ClockMode::Business,
            },
            Segment {
                from: moved,
                calendar: &b,
                mode: ClockMode::Business,
            },
        ],
        pauses: vec![],
    };
    assert_eq!(clock.counted(start, moved).unwrap(), 120);
    // 4 h target: 2 h left; the western station opens at 10:00 local (12:00 Beijing).
    let d = clock.step_at(start, 240, BREACH).unwrap().unwrap();
    assert_eq!(d, at(&a, 2026, 3, 10, 14, 0));
}

#[test]
fn the_next_deadline_is_the_earliest_unmet_target() {
    let cal = station();
    let start = at(&cal, 2026, 3, 10, 9, 0);
    let clock = Clock::new(start, &cal, ClockMode::Business);
    let p = Policy::spec_default(ClockMode::Business);
    let cps = checkpoints(&clock, &p, &[], None).unwrap();
    assert_eq!(
        next_deadline(&cps),
        Some((Stage::FirstResponse, at(&cal, 2026, 3, 10, 10, 0)))
    );
    let cps = checkpoints(&clock, &p, &[Stage::FirstResponse], None).unwrap();
    assert_eq!(next_deadline(&cps).unwrap().0, Stage::FullRecord);
    // Solution has no clock before the analysis ends.
    assert!(!cps.iter().any(|c| c.stage == Stage::Solution));
}

fn arb_instant() -> impl Strategy<Value = Timestamp> {
    // 2024-01-01 .. 2026-10-31 (inside the loaded plans).
    (1_704_038_400i64..1_793_404_800).prop_map(|s| Timestamp::from_second(s - s % 60).unwrap())
}

fn arb_calendar() -> impl Strategy<Value = WorkingCalendar> {
    prop_oneof![Just(station()), Just(office()), Just(western())]
}

proptest! {
    #[test]
    fn reach_then_count_round_trips(cal in arb_calendar(), start in arb_instant(), minutes in 0i64..6_000,
                                    pause_at in 0i64..3_000, pause_len in 0i64..3_000) {
        let mut clock = Clock::new(start, &cal, ClockMode::Business);
        let p_from = Timestamp::from_second(start.as_second() + pause_at * 60).unwrap();
        let p_to = Timestamp::from_second(p_from.as_second() + pause_len * 60).unwrap();
        clock.pauses.push(Pause { from: p_from, to: Some(p_to) });
        let end = clock.reach(start, minutes).unwrap().unwrap();
        prop_assert!(end >= start);
        prop_assert_eq!(clock.counted(start, end).unwrap(), minutes);
        // Earliest: a minute before, less had counted.
        if minutes > 0 {
            let before = Timestamp::from_second(end.as_second() - 60).unwrap();
            prop_assert!(clock.counted(start, before).unwrap() < minutes);
        }
        // Never in closed time.
        let local = cal.local(end);
        let (open, close) = cal.opening_on(local.date()).expect("working day");
        prop_assert!(open <= local.time() && local.time() <= close);
    }

    #[test]
    fn calendar_mode_counts_every_minute(start in arb_instant(), minutes in 0i64..100_000) {
        let cal = station();
        let clock = Clock::new(start, &cal, ClockMode::Calendar);
        let end = clock.reach(start, minutes).unwrap().unwrap();
        prop_assert_eq!(end.as_second() - start.as_second(), minutes * 60);
    }

    #[test]
    fn checkpoints_rise_with_the_percentage(start in arb_instant(), mode_b in any::<bool>()) {
        let cal = office();
        let mode = if mode_b { ClockMode::Business } else { ClockMode::Calendar };
        let clock = Clock::new(start, &cal, mode);
        let p = Policy::spec_default(mode);
        let cps = checkpoints(&clock, &p, &[], None).unwrap();
        for stage in [Stage::FirstResponse, Stage::Analysis] {
            let dues: Vec<Timestamp> = cps.iter().filter(|c| c.stage == stage).map(|c| c.due).collect();
            prop_assert_eq!(dues.len(), 5);
            prop_assert!(dues.windows(2).all(|w| w[0] <= w[1]));
            prop_assert!(dues.iter().all(|d| d.as_second() % 60 == 0));
        }
    }

    #[test]
    fn a_later_segment_with_the_same_calendar_changes_nothing(start in arb_instant(), split in 0i64..5_000, minutes in 1i64..3_000) {
        let cal = station();
        let one = Clock::new(start, &cal, ClockMode::Business);
        let mid = Timestamp::from_second(start.as_second() + split * 60).unwrap();
        let two = Clock { segments: vec![
            Segment { from: start, calendar: &cal, mode: ClockMode::Business },
            Segment { from: mid, calendar: &cal, mode: ClockMode::Business },
        ], pauses: vec![] };
        prop_assert_eq!(one.reach(start, minutes).unwrap(), two.reach(start, minutes).unwrap());
    }
}

#[test]
fn stages_sort_in_the_order_the_work_meets_them() {
    let mut codes = vec![
        "closure",
        "analysis",
        "first_response",
        "bogus",
        "solution",
        "full_record",
    ];
    codes.sort_by_key(|c| Stage::order_of(c));
    assert_eq!(
        codes,
        [
            "first_response",
            "full_record",
            "analysis",
            "solution",
            "closure",
            "bogus"
        ]
    );
    assert_eq!(Stage::FirstResponse.position(), 0);
}

/// SPEC §6: a business-hours deadline past the end of the loaded plan (China's plan
/// ends 2026-12-31) is provisional; one within the plan, or counted in calendar
/// hours, is not.
#[test]
fn a_deadline_past_the_plan_is_provisional() {
    let cal = station();
    let p = Policy::spec_default(ClockMode::Business);
    let late = Clock::new(at(&cal, 2026, 12, 30, 17, 0), &cal, ClockMode::Business);
    let due = late
        .step_at(
            at(&cal, 2026, 12, 30, 17, 0),
            p.targets.analysis,
            Step {
                percent: 100,
                escalate_to: Some(Level::StationManager),
            },
        )
        .unwrap()
        .unwrap();
    assert!(due > at(&cal, 2027, 1, 1, 0, 0));
    assert!(late.is_provisional(due));
    assert!(!late.is_provisional(at(&cal, 2026, 12, 31, 9, 0)));
    let calendar = Clock::new(at(&cal, 2026, 12, 30, 17, 0), &cal, ClockMode::Calendar);
    assert!(!calendar.is_provisional(due));
}
