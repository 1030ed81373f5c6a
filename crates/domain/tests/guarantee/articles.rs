//! One test per article, the history told in the test's own words.

use domain::guarantee::exclusion::{Exclusion, ExclusionError, ExclusionReason};
use domain::guarantee::main_part::System;
use domain::guarantee::period::{Coverage, Policy};
use domain::guarantee::repair_time::{ExcludedKind, RepairSpan};
use domain::guarantee::right::{Art23Fault, RightKind};
use jiff::civil::date;

use crate::support::*;

#[test]
fn art18_periods_run_from_delivery_when_it_differs_whichever_limit_first() {
    // Invoiced 2024-03-01, delivered 2024-03-20: both periods run from the delivery.
    let c = Coverage::new(INVOICE, Some(date(2024, 3, 20)), &Policy::LEGAL).unwrap();
    assert_eq!(c.start, date(2024, 3, 20));
    assert_eq!(c.sanbao_until, date(2026, 3, 20));
    assert_eq!(c.warranty_until, date(2027, 3, 20));
    assert!(c.in_sanbao(date(2026, 3, 20), 49_999));
    assert!(!c.in_sanbao(date(2026, 3, 21), 10));
    // 50,001 km in the first year: the 三包 period is over, the 包修期 still runs.
    assert!(!c.in_sanbao(date(2025, 1, 1), 50_001));
    assert!(c.in_warranty(date(2025, 1, 1), 50_001));
    assert!(!c.in_warranty(date(2025, 1, 1), 60_001));
}

#[test]
fn art20_a_crankshaft_fault_in_week_six_gives_a_free_engine() {
    // Day 40, 2,100 km: the crankshaft bearing knocks; quality problem of an engine
    // main part inside 60 days / 3,000 km.
    let v = [visit(
        "RO-1",
        (40, 9),
        Some((42, 17)),
        2_100,
        vec![fault("crankshaft-01").in_main_part(System::Engine, "crankshaft")],
    )];
    let a = assess_at(&car(), &v, (43, 0));
    let r = right(&a, "art20").expect("art 20");
    assert_eq!(r.kind, RightKind::FreeAssembly(System::Engine));
    assert_eq!(r.evidence, vec!["RO-1".to_string()]);
    // The same fault at 3,100 km gives nothing under Art 20.
    let v = [visit(
        "RO-1",
        (40, 9),
        Some((42, 17)),
        3_100,
        vec![fault("crankshaft-01").in_main_part(System::Engine, "crankshaft")],
    )];
    assert!(right(&assess_at(&car(), &v, (43, 0)), "art20").is_none());
}

#[test]
fn art21_courtesy_car_from_the_start_of_day_six_of_a_quality_repair() {
    // Agreed day 100 at 09:00; at day 105 08:59 the repair is in its 5th day; one minute
    // later the 6th day starts and the courtesy car is due, while still in the workshop.
    let v = [visit(
        "RO-7",
        (100, 9),
        None,
        12_000,
        vec![fault("egr-valve")],
    )];
    let before = assess(
        &v,
        at(105, 9)
            .checked_sub(jiff::SignedDuration::from_secs(60))
            .unwrap(),
    );
    assert!(right(&before, "art21").is_none());
    let a = assess(&v, at(105, 10));
    let r = right(&a, "art21").expect("art 21 on day 6");
    assert_eq!(r.kind, RightKind::CourtesyCar);
    assert_eq!(r.arose_at, at(105, 9));
    assert_eq!(a.counters.current_repair_days, Some(6));

    fn assess(
        v: &[domain::guarantee::right::Visit],
        now: jiff::Timestamp,
    ) -> domain::guarantee::right::Assessment {
        domain::guarantee::right::assess(&car(), v, now, on(105), 12_000)
    }
}

#[test]
fn art22_a_transmission_gear_to_replace_on_day_five_gives_replacement_or_refund() {
    let v = [visit(
        "RO-2",
        (5, 10),
        Some((6, 10)),
        300,
        vec![
            fault("gear-3rd")
                .in_main_part(System::Transmission, "gear")
                .replace_main_part(),
        ],
    )];
    let a = assess_at(&car(), &v, (7, 0));
    let r = right(&a, "art22").expect("art 22");
    assert_eq!(r.kind, RightKind::ReplacementOrRefund);
    // On day 8 the 7-day window is over.
    let v = [visit(
        "RO-2",
        (8, 10),
        Some((9, 10)),
        300,
        vec![
            fault("gear-3rd")
                .in_main_part(System::Transmission, "gear")
                .replace_main_part(),
        ],
    )];
    assert!(right(&assess_at(&car(), &v, (10, 0)), "art22").is_none());
}

#[test]
fn art23_a_battery_fire_in_the_second_month_gives_replacement_or_refund() {
    let fire = || {
        fault("pack-module-4")
            .in_system(System::TractionBattery)
            .art23(Art23Fault::BatteryFire)
    };
    let v = [visit("RO-3", (45, 9), Some((50, 9)), 2_000, vec![fire()])];
    assert!(right(&assess_at(&car(), &v, (51, 0)), "art23").is_some());
    let v = [visit("RO-3", (65, 9), Some((70, 9)), 2_000, vec![fire()])];
    assert!(right(&assess_at(&car(), &v, (71, 0)), "art23").is_none());
}

#[test]
fn art24_1_1_serious_safety_fault_repaired_twice_and_still_there() {
    let brake = || fault("brake-master-cyl").in_system(System::Brakes).safety();
    let v = [
        visit("RO-1", (100, 9), Some((101, 9)), 8_000, vec![brake()]),
        visit("RO-2", (150, 9), Some((151, 9)), 9_000, vec![brake()]),
    ];
    let a = assess_at(&car(), &v, (160, 0));
    assert!(right(&a, "art24(1)(1)").is_none());
    assert_eq!(a.counters.serious_safety_repairs, 2);
    let mut v = v.to_vec();
    v.push(visit("RO-3", (200, 9), None, 10_000, vec![brake()]));
    let a = assess_at(&car(), &v, (200, 12));
    let r = right(&a, "art24(1)(1)").expect("right");
    assert_eq!(r.evidence, vec!["RO-1", "RO-2", "RO-3"]);
}

#[test]
fn art24_1_2_engine_replaced_twice_and_still_failing() {
    let v = [
        visit(
            "RO-1",
            (100, 9),
            Some((105, 9)),
            8_000,
            vec![fault("engine").replace_assembly(System::Engine)],
        ),
        visit(
            "RO-2",
            (200, 9),
            Some((205, 9)),
            9_000,
            vec![fault("engine").replace_assembly(System::Engine)],
        ),
        visit(
            "RO-3",
            (300, 9),
            None,
            10_000,
            vec![fault("oil-pump").in_system(System::Engine)],
        ),
    ];
    let a = assess_at(&car(), &v, (300, 12));
    let r = right(&a, "art24(1)(2)").expect("right");
    assert_eq!(r.subject, "assembly:engine");
    assert_eq!(a.counters.assemblies.get(&System::Engine), Some(&2));
}

#[test]
fn art24_1_3_the_same_steering_main_part_replaced_twice_and_still_failing() {
    let gear = || fault("steering-gear").in_main_part(System::Steering, "steering_gear");
    let v = [
        visit(
            "RO-1",
            (100, 9),
            Some((101, 9)),
            8_000,
            vec![gear().replace_main_part()],
        ),
        visit(
            "RO-2",
            (200, 9),
            Some((201, 9)),
            9_000,
            vec![gear().replace_main_part()],
        ),
        visit("RO-3", (300, 9), None, 10_000, vec![gear()]),
    ];
    let a = assess_at(&car(), &v, (300, 12));
    let r = right(&a, "art24(1)(3)").expect("right");
    assert_eq!(r.subject, "main_part:steering/steering_gear");
    // Two different steering main parts, each replaced once, then a failure: nothing.
    let v = [
        visit(
            "RO-1",
            (100, 9),
            Some((101, 9)),
            8_000,
            vec![gear().replace_main_part()],
        ),
        visit(
            "RO-2",
            (200, 9),
            Some((201, 9)),
            9_000,
            vec![
                fault("column")
                    .in_main_part(System::Steering, "steering_column")
                    .replace_main_part(),
            ],
        ),
        visit("RO-3", (300, 9), None, 10_000, vec![gear()]),
    ];
    assert!(right(&assess_at(&car(), &v, (300, 12)), "art24(1)(3)").is_none());
}

#[test]
fn art24_1_4_more_than_thirty_days_or_the_same_part_a_fifth_time() {
    // Three repairs of 10 days and one of 1 day 1 hour: 32 days, the line crossed on
    // the second day of the last repair.
    let v = [
        visit("RO-1", (10, 9), Some((20, 9)), 1_000, vec![fault("a")]),
        visit("RO-2", (30, 9), Some((40, 9)), 2_000, vec![fault("b")]),
        visit("RO-3", (50, 9), Some((60, 9)), 3_000, vec![fault("c")]),
        visit("RO-4", (70, 9), Some((71, 10)), 4_000, vec![fault("d")]),
    ];
    let a = assess_at(&car(), &v, (80, 0));
    assert_eq!(a.counters.repair_days, 32);
    let r = a
        .rights
        .iter()
        .find(|r| r.subject == "repair_days")
        .expect("days");
    assert_eq!(r.arose_at, at(70, 9));
    // The window regulator repaired five times: the fifth gives the right.
    let v: Vec<_> = (0..5)
        .map(|i| {
            visit(
                &format!("RO-{i}"),
                (20 + i * 20, 9),
                Some((20 + i * 20, 15)),
                1_000,
                vec![fault("window-regulator")],
            )
        })
        .collect();
    let a = assess_at(&car(), &v[..4], (200, 0));
    assert!(right(&a, "art24(1)(4)").is_none());
    let a = assess_at(&car(), &v, (200, 0));
    assert_eq!(
        right(&a, "art24(1)(4)").expect("right").subject,
        "part:window-regulator"
    );
}

#[test]
fn art24_para2_assembly_and_main_part_replacements_are_not_added_together() {
    // Engine replaced once, then its crankshaft replaced once, then the engine fails:
    // neither the assembly nor the main part was replaced twice.
    let v = [
        visit(
            "RO-1",
            (100, 9),
            Some((105, 9)),
            8_000,
            vec![fault("engine").replace_assembly(System::Engine)],
        ),
        visit(
            "RO-2",
            (200, 9),
            Some((201, 9)),
            9_000,
            vec![
                fault("crank")
                    .in_main_part(System::Engine, "crankshaft")
                    .replace_main_part(),
            ],
        ),
        visit(
            "RO-3",
            (300, 9),
            None,
            10_000,
            vec![fault("crank").in_main_part(System::Engine, "crankshaft")],
        ),
    ];
    let a = assess_at(&car(), &v, (300, 12));
    assert!(right(&a, "art24(1)(2)").is_none());
    assert!(right(&a, "art24(1)(3)").is_none());
    assert_eq!(a.counters.assemblies.get(&System::Engine), Some(&1));
    assert_eq!(a.counters.main_parts.len(), 1);
}

#[test]
fn art24_para3_battery_transport_and_rescue_travel_are_not_repair_days() {
    // 33 days in the workshop, of which 4 days the battery travels to the maker and 1
    // day the rescue truck is on the road: 28 counted days, no right.
    let v = [visit_excl(
        "RO-1",
        (100, 0),
        Some((133, 0)),
        10_000,
        vec![fault("pack-bms").in_main_part(System::TractionBattery, "bms")],
        vec![
            (ExcludedKind::RescueTravel, (100, 0), (101, 0)),
            (ExcludedKind::BatteryTransport, (110, 0), (114, 0)),
        ],
    )];
    let a = assess_at(&car(), &v, (140, 0));
    assert_eq!(a.counters.repair_days, 28);
    assert!(right(&a, "art24(1)(4)").is_none());
    // Art 21 still counts the transport (waiting for parts is included).
    assert!(right(&a, "art21").is_some());
}

#[test]
fn art32_an_excluded_fault_counts_for_nothing_and_needs_evidence() {
    let v: Vec<_> = (0..5)
        .map(|i| {
            visit(
                &format!("RO-{i}"),
                (20 + i * 20, 9),
                Some((20 + i * 20, 15)),
                1_000,
                vec![fault("ecu").excluded()],
            )
        })
        .collect();
    let a = assess_at(&car(), &v, (200, 0));
    assert!(a.rights.is_empty());
    assert_eq!(a.counters.repair_days, 0);
    assert_eq!(
        Exclusion::new(ExclusionReason::UseAgainstManual, "ran without oil", " "),
        Err(ExclusionError::EvidenceMissing)
    );
    let v: domain::Violation = ExclusionError::EvidenceMissing.into();
    assert_eq!(
        (v.field.as_str(), v.detail.as_deref()),
        ("evidence", Some("art32"))
    );
}

#[test]
fn art40_from_agreement_to_completion_in_started_days() {
    // Agreed 09:00 day 0, complete 15:00 day 2 (2 days 6 hours): 3 days. The owner
    // collects on day 9: those days are not repair time.
    let s = RepairSpan::new(at(0, 9), Some(at(2, 15)), vec![]).unwrap();
    assert_eq!(s.repair_days(at(9, 12)), 3);
    assert_eq!(s.counted_days(at(9, 12)), 3);
    assert_eq!(s.repair_days(at(0, 10)), 1);
    // Excluded intervals must lie inside and not overlap.
    use domain::guarantee::repair_time::{Excluded, RepairTimeError};
    let e = |f: (i64, i64), t: (i64, i64)| Excluded {
        kind: ExcludedKind::OwnerWait,
        from: at(f.0, f.1),
        to: at(t.0, t.1),
    };
    assert_eq!(
        RepairSpan::new(at(0, 9), Some(at(2, 15)), vec![e((2, 0), (3, 0))]),
        Err(RepairTimeError::IntervalOutside(0))
    );
    assert_eq!(
        RepairSpan::new(
            at(0, 9),
            Some(at(2, 15)),
            vec![e((1, 0), (1, 5)), e((1, 4), (1, 6))]
        ),
        Err(RepairTimeError::IntervalsOverlap(0, 1))
    );
}
