//! One regression test per finding of issue 19 that is a domain rule.

use domain::guarantee::main_part::{MainPartError, MainPartList, System};
use domain::guarantee::period::{Article, Coverage, Policy, PolicyError};
use domain::guarantee::repair_time::ExcludedKind;
use domain::guarantee::right::{Art23Fault, Vehicle};
use jiff::civil::date;

use crate::support::*;

#[test]
fn finding01_same_problem_is_the_part_not_the_words_or_the_code() {
    // One ignition coil, described five ways under five codes: one problem, five repairs.
    let words = [
        "misfire",
        "shakes at idle",
        "engine light",
        "jerks uphill",
        "rough start",
    ];
    let v: Vec<_> = words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let d = 20 + 30 * i as i64;
            visit(
                &format!("RO-{i}"),
                (d, 9),
                Some((d, 17)),
                1_000,
                vec![fault("ignition-coil-2").code(w)],
            )
        })
        .collect();
    let a = assess_at(&car(), &v, (300, 0));
    assert_eq!(a.counters.same_problem.get("ignition-coil-2"), Some(&5));
    assert!(right(&a, "art24(1)(4)").is_some());
    // Six water leaks coded alike: three at the windscreen seal, three at door seals.
    let v: Vec<_> = (0..6)
        .map(|i| {
            let part = if i % 2 == 0 {
                "windscreen-seal"
            } else {
                "door-seal"
            };
            let d = 20 + 30 * i;
            visit(
                &format!("RO-{i}"),
                (d, 9),
                Some((d, 17)),
                1_000,
                vec![fault(part).code("W-LEAK")],
            )
        })
        .collect();
    let a = assess_at(&car(), &v, (300, 0));
    assert_eq!(a.counters.same_problem.get("windscreen-seal"), Some(&3));
    assert_eq!(a.counters.same_problem.get("door-seal"), Some(&3));
    assert!(a.rights.is_empty());
}

#[test]
fn finding02_days_waiting_for_the_owner_are_not_repair_time() {
    // Complete after 2 days 6 hours, collected after 7 days: 3 days, no courtesy car.
    let v = [visit(
        "RO-1",
        (100, 9),
        Some((102, 15)),
        5_000,
        vec![fault("turbo-actuator")],
    )];
    let a = assess_at(&car(), &v, (107, 9));
    assert_eq!(a.counters.repair_days, 3);
    assert!(right(&a, "art21").is_none());
    // An owner wait inside the repair (approval pending 3 days) is not counted either.
    let v = [visit_excl(
        "RO-1",
        (100, 9),
        Some((106, 15)),
        5_000,
        vec![fault("turbo-actuator")],
        vec![(ExcludedKind::OwnerWait, (101, 9), (104, 9))],
    )];
    let a = assess_at(&car(), &v, (107, 9));
    assert_eq!(a.counters.repair_days, 4);
    assert!(right(&a, "art21").is_none());
}

#[test]
fn finding03_accident_body_work_raises_no_courtesy_car_duty() {
    let v = [visit(
        "RO-1",
        (100, 9),
        Some((110, 9)),
        5_000,
        vec![fault("front-bumper").paid()],
    )];
    let a = assess_at(&car(), &v, (111, 0));
    assert!(a.rights.is_empty());
    assert_eq!(a.counters.repair_days, 0);
}

#[test]
fn finding04_courtesy_car_runs_through_the_warranty_and_shows_live() {
    // 27 months after the invoice (day 822), outside the 三包 period but inside the
    // 包修期: a quality repair in its 7th day, still in the workshop.
    let v = [visit(
        "RO-1",
        (822, 9),
        None,
        45_000,
        vec![fault("water-pump")],
    )];
    let a = assess_at(&car(), &v, (828, 12));
    let r = right(&a, "art21").expect("courtesy car while open");
    assert_eq!(r.arose_at, at(827, 9));
}

#[test]
fn finding05_the_period_starts_at_delivery_when_it_differs() {
    let policy = Policy::LEGAL;
    let late = Vehicle {
        coverage: Coverage::new(INVOICE, Some(date(2024, 4, 1)), &policy).unwrap(),
        policy,
    };
    // Five repairs of the same part, the fifth 24 months and 10 days after the invoice.
    let days = [100, 200, 300, 400, 741];
    let v: Vec<_> = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            visit(
                &format!("RO-{i}"),
                (*d, 9),
                Some((*d, 15)),
                20_000,
                vec![fault("abs-sensor")],
            )
        })
        .collect();
    assert!(right(&assess_at(&late, &v, (750, 0)), "art24(1)(4)").is_some());
    assert!(right(&assess_at(&car(), &v, (750, 0)), "art24(1)(4)").is_none());
}

#[test]
fn finding06_arts_20_22_23_are_modelled() {
    let v = [visit(
        "RO-1",
        (3, 9),
        Some((4, 9)),
        200,
        vec![
            fault("motor-rotor")
                .in_main_part(System::DriveMotor, "rotor")
                .replace_main_part(),
            fault("fuel-line")
                .in_system(System::Engine)
                .art23(Art23Fault::FuelLeak),
        ],
    )];
    let a = assess_at(&car(), &v, (5, 0));
    for art in ["art20", "art22", "art23"] {
        assert!(right(&a, art).is_some(), "{art}");
    }
}

#[test]
fn finding07_a_new_serious_safety_fault_after_two_repairs_qualifies() {
    let v = [
        visit(
            "RO-1",
            (100, 9),
            Some((101, 9)),
            8_000,
            vec![fault("brake-booster").safety()],
        ),
        visit(
            "RO-2",
            (150, 9),
            Some((151, 9)),
            9_000,
            vec![fault("brake-booster").safety()],
        ),
        visit(
            "RO-3",
            (200, 9),
            None,
            10_000,
            vec![fault("steering-column").safety()],
        ),
    ];
    assert!(right(&assess_at(&car(), &v, (200, 12)), "art24(1)(1)").is_some());
}

#[test]
fn finding08_battery_special_part_transport_and_rescue_can_be_recorded_and_are_left_out() {
    let v = [
        visit("RO-1", (100, 0), Some((120, 0)), 10_000, vec![fault("a")]),
        visit_excl(
            "RO-2",
            (200, 0),
            Some((215, 0)),
            11_000,
            vec![fault("b")],
            vec![
                (ExcludedKind::SpecialPartTransport, (201, 0), (204, 0)),
                (ExcludedKind::RescueTravel, (200, 0), (200, 12)),
            ],
        ),
    ];
    let a = assess_at(&car(), &v, (220, 0));
    // 20 days, then 15 less 3.5 of transport and rescue: 11.5, 12 started days.
    assert_eq!(a.counters.repair_days, 32);
    let v2 = [
        v[0].clone(),
        visit("RO-2", (200, 0), Some((215, 0)), 11_000, vec![fault("b")]),
    ];
    assert_eq!(assess_at(&car(), &v2, (220, 0)).counters.repair_days, 35);
}

#[test]
fn finding09_main_parts_counted_each_on_their_own() {
    // A crankshaft and a cylinder head, each replaced once: not "the engine replaced
    // twice", and no main part replaced twice.
    let v = [
        visit(
            "RO-1",
            (100, 9),
            Some((101, 9)),
            8_000,
            vec![
                fault("crank")
                    .in_main_part(System::Engine, "crankshaft")
                    .replace_main_part(),
            ],
        ),
        visit(
            "RO-2",
            (200, 9),
            Some((201, 9)),
            9_000,
            vec![
                fault("head")
                    .in_main_part(System::Engine, "cylinder_head")
                    .replace_main_part(),
            ],
        ),
        visit(
            "RO-3",
            (300, 9),
            None,
            10_000,
            vec![fault("head").in_main_part(System::Engine, "cylinder_head")],
        ),
    ];
    let a = assess_at(&car(), &v, (300, 12));
    assert!(a.counters.assemblies.is_empty());
    assert_eq!(
        a.counters.main_parts.values().copied().collect::<Vec<_>>(),
        vec![1, 1]
    );
    assert!(right(&a, "art24(1)(2)").is_none() && right(&a, "art24(1)(3)").is_none());
}

#[test]
fn finding10_main_parts_of_all_ten_systems_are_listed_and_unknown_ones_refused() {
    let list = MainPartList::shipped().unwrap();
    for s in System::ALL {
        assert!(list.of(s).count() > 0, "{s:?}");
    }
    assert!(list.part(System::Suspension, "control_arm").is_ok());
    assert!(
        list.part(System::EmissionControl, "catalytic_converter")
            .is_ok()
    );
    let e = list.part(System::Brakes, "wiper").unwrap_err();
    assert!(matches!(e, MainPartError::NotListed { .. }));
    let v: domain::Violation = e.into();
    assert_eq!(v.rule, "guarantee.main_part_unknown");
    // An edited list is data: a line with an unknown system is refused with its line.
    assert_eq!(
        MainPartList::parse("wings|flap|襟翼|flap"),
        Err(MainPartError::UnknownSystem(1))
    );
}

#[test]
fn finding11_quality_is_per_line_and_a_visit_counts_once_per_problem() {
    // One visit repairs two quality problems and does a paid service: each problem once.
    let v = [visit(
        "RO-1",
        (100, 9),
        Some((100, 17)),
        8_000,
        vec![
            fault("wiper-motor"),
            fault("door-lock"),
            fault("oil-change").paid(),
        ],
    )];
    let a = assess_at(&car(), &v, (101, 0));
    assert_eq!(a.counters.same_problem.len(), 2);
    assert!(!a.counters.same_problem.contains_key("oil-change"));
    assert_eq!(a.counters.repair_days, 1);
}

#[test]
fn finding11_a_paid_service_adds_no_days_to_the_total_in_the_dossier_either() {
    // Three days of paid service, then a two-day quality repair: the dossier's column
    // per order adds up to the counter, and the service shows none.
    let v = [
        visit(
            "RO-1",
            (100, 9),
            Some((102, 17)),
            8_000,
            vec![fault("oil-change").paid()],
        ),
        visit(
            "RO-2",
            (110, 9),
            Some((111, 17)),
            8_500,
            vec![fault("wiper-motor")],
        ),
    ];
    let a = assess_at(&car(), &v, (120, 0));
    let now = at(120, 0);
    let per_order: Vec<u32> = v
        .iter()
        .map(|x| x.days_toward_total(&car().coverage, now))
        .collect();
    assert_eq!(per_order, [0, 2]);
    assert_eq!(per_order.iter().sum::<u32>(), a.counters.repair_days);
}

#[test]
fn finding12_settings_below_the_law_are_refused_naming_the_article() {
    let refused = |p: Policy| p.validate().unwrap_err();
    let e = refused(Policy {
        sanbao_months: 12,
        ..Policy::LEGAL
    });
    assert!(matches!(
        e,
        PolicyError::BelowFloor {
            field: "sanbao_months",
            article: Article::Art18,
            ..
        }
    ));
    let v: domain::Violation = e.into();
    assert_eq!(v.detail.as_deref(), Some("art18 24"));
    let e = refused(Policy {
        same_problem_repairs: 6,
        ..Policy::LEGAL
    });
    assert!(matches!(
        e,
        PolicyError::BelowFloor {
            article: Article::Art24_1_4,
            ..
        }
    ));
    let e = refused(Policy {
        courtesy_car_days: 7,
        ..Policy::LEGAL
    });
    assert!(matches!(
        e,
        PolicyError::BelowFloor {
            article: Article::Art21,
            ..
        }
    ));
    let generous = Policy {
        sanbao_months: 36,
        same_problem_repairs: 3,
        courtesy_car_days: 3,
        ..Policy::LEGAL
    };
    assert_eq!(generous.validate(), Ok(()));
    assert!(generous.problems().is_empty());
}

#[test]
fn finding12_every_value_below_the_law_is_named_at_once() {
    let p = Policy {
        sanbao_km: 40_000,
        courtesy_car_days: 6,
        replacements: 0,
        warning_margin_days: 31,
        ..Policy::LEGAL
    };
    let fields: Vec<&str> = p
        .problems()
        .into_iter()
        .map(|e| match e {
            PolicyError::BelowFloor { field, .. } => field,
            PolicyError::MarginInvalid => "warning_margin_days",
        })
        .collect();
    assert_eq!(
        fields,
        [
            "sanbao_km",
            "courtesy_car_days",
            "replacements",
            "warning_margin_days"
        ]
    );
    assert_eq!(
        p.validate(),
        Err(PolicyError::BelowFloor {
            field: "sanbao_km",
            article: Article::Art18,
            floor: 50_000,
        }),
        "validate refuses with the first"
    );
}

#[test]
fn finding13_one_courtesy_rule_using_the_setting() {
    let car3 = car_with(Policy {
        courtesy_car_days: 3,
        ..Policy::LEGAL
    });
    let v = [visit(
        "RO-1",
        (100, 9),
        None,
        8_000,
        vec![fault("ac-compressor")],
    )];
    let a = assess_at(&car3, &v, (103, 10));
    assert_eq!(right(&a, "art21").expect("day 4").arose_at, at(103, 9));
    assert!(right(&assess_at(&car(), &v, (103, 10)), "art21").is_none());
}

#[test]
fn finding14_a_right_never_disappears_when_the_period_ends() {
    let v: Vec<_> = (0..5)
        .map(|i| {
            visit(
                &format!("RO-{i}"),
                (20 + i * 20, 9),
                Some((20 + i * 20, 15)),
                1_000,
                vec![fault("horn")],
            )
        })
        .collect();
    let now = assess_at(&car(), &v, (200, 0));
    // Four years and 90,000 km later the right is still there, with the same date.
    let later = domain::guarantee::right::assess(&car(), &v, at(1_500, 0), on(1_500), 90_000);
    assert_eq!(now.rights, later.rights);
    assert!(!later.rights.is_empty());
    assert!(later.warnings.is_empty());
}

#[test]
fn finding15_warns_from_the_margin_and_no_fault_found_counts_for_nothing() {
    let days = |n: i64| {
        visit(
            "RO-1",
            (100, 0),
            Some((100 + n, 0)),
            8_000,
            vec![fault("x")],
        )
    };
    let w = |n: i64, car: &Vehicle| assess_at(car, &[days(n)], (200, 0)).warnings;
    assert!(w(24, &car()).is_empty());
    assert_eq!(w(25, &car())[0].value, 25);
    assert_eq!(w(30, &car())[0].threshold, 30);
    assert!(
        w(31, &car()).is_empty(),
        "past the line it is a right, not a warning"
    );
    let margin20 = car_with(Policy {
        warning_margin_days: 20,
        ..Policy::LEGAL
    });
    assert_eq!(w(20, &margin20).len(), 1);
    // No fault found: no part diagnosed. It counts toward nothing.
    let mut nff = fault("x");
    nff.part = None;
    let v = [visit("RO-9", (100, 0), Some((128, 0)), 8_000, vec![nff])];
    let a = assess_at(&car(), &v, (200, 0));
    assert_eq!(a.counters.repair_days, 0);
    assert!(a.rights.is_empty());
}
