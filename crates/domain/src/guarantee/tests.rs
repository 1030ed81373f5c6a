//! Tests of the guarantee rules.

use super::*;
use jiff::civil::date;
use proptest::prelude::*;

fn order(id: u32, vin: &str, code: Option<&str>, text: &str, on: Date) -> DeliveredOrder<u32> {
    DeliveredOrder {
        order_id: id,
        vin: vin.into(),
        concern_code: code.map(Into::into),
        concern_text: text.into(),
        delivered_on: on,
    }
}

#[test]
fn comeback_within_twelve_months_of_the_same_concern() {
    let vin = "LSVAB4189E2123456";
    let prior = [
        order(1, vin, None, "刹车异响", date(2025, 3, 10)),
        order(2, vin, None, "刹车 异响。", date(2025, 6, 1)),
        order(3, vin, Some("P0300"), "发动机抖动", date(2025, 6, 1)),
        order(4, "LFV00000000000000", None, "刹车异响", date(2025, 8, 1)),
    ];
    assert_eq!(
        find_comeback(vin, None, "刹车异响", date(2026, 3, 1), &prior),
        Some(2)
    );
    assert_eq!(
        find_comeback(vin, None, "刹车异响", date(2026, 6, 1), &prior),
        Some(2)
    );
    assert_eq!(
        find_comeback(vin, None, "刹车异响", date(2026, 6, 2), &prior),
        None
    );
    assert_eq!(
        find_comeback(vin, Some("p0300"), "怠速不稳", date(2025, 9, 1), &prior),
        Some(3)
    );
    assert_eq!(
        find_comeback(vin, Some("P0171"), "发动机抖动", date(2025, 9, 1), &prior),
        None
    );
    assert_eq!(
        find_comeback(vin, None, "空调不冷", date(2025, 9, 1), &prior),
        None
    );
    assert_eq!(
        find_comeback(vin, None, "刹车异响", date(2025, 1, 1), &prior),
        None
    );
    assert_eq!(guarantee_ends(date(2024, 2, 29)), Ok(date(2025, 2, 28)));
}

fn young() -> VehicleUse {
    VehicleUse {
        sold_on: date(2025, 1, 1),
        today: date(2026, 1, 1),
        odometer_km: 20_000,
    }
}

#[test]
fn warnings_one_step_before_and_entitlements_after() {
    let t = Thresholds::default();
    let mut c = Counters {
        cumulative_repair_days: 30,
        ..Counters::default()
    };
    c.same_problem.insert("brake_noise".into(), 5);
    c.same_problem.insert("ac".into(), 3);
    c.serious_safety.insert(
        "steering".into(),
        FaultCount {
            count: 1,
            still_present: true,
        },
    );
    c.major_parts.insert(
        MajorPart::TractionBattery,
        FaultCount {
            count: 2,
            still_present: true,
        },
    );
    c.major_parts.insert(
        MajorPart::Engine,
        FaultCount {
            count: 2,
            still_present: false,
        },
    );
    c.current_repair_days = Some(6);
    let got = evaluate(&c, &t, &young()).expect("evaluate");
    assert_eq!(
        got,
        vec![
            Finding::Warning {
                counter: Counter::CumulativeRepairDays,
                value: 30,
                threshold: 30
            },
            Finding::Entitlement(Entitlement::ReplacementOrRefund {
                counter: Counter::SameProblem("brake_noise".into())
            }),
            Finding::Entitlement(Entitlement::CourtesyCar),
            Finding::Warning {
                counter: Counter::SeriousSafety("steering".into()),
                value: 1,
                threshold: 2
            },
            Finding::Warning {
                counter: Counter::MajorPart(MajorPart::Engine),
                value: 2,
                threshold: 2
            },
            Finding::Entitlement(Entitlement::ReplacementOrRefund {
                counter: Counter::MajorPart(MajorPart::TractionBattery)
            }),
        ]
    );
    c.cumulative_repair_days = 31;
    c.same_problem.insert("brake_noise".into(), 4);
    let got = evaluate(&c, &t, &young()).expect("evaluate");
    assert_eq!(
        got[0],
        Finding::Entitlement(Entitlement::ReplacementOrRefund {
            counter: Counter::CumulativeRepairDays
        })
    );
    assert_eq!(
        got[1],
        Finding::Warning {
            counter: Counter::SameProblem("brake_noise".into()),
            value: 4,
            threshold: 4
        }
    );
}

#[test]
fn nothing_outside_the_period_and_thresholds_are_checked() {
    let t = Thresholds::default();
    let c = Counters {
        cumulative_repair_days: 40,
        ..Counters::default()
    };
    let old = VehicleUse {
        sold_on: date(2023, 1, 1),
        today: date(2025, 1, 2),
        odometer_km: 10_000,
    };
    assert_eq!(evaluate(&c, &t, &old), Ok(vec![]));
    let far = VehicleUse {
        odometer_km: 50_001,
        ..young()
    };
    assert_eq!(within_period(&t, &far), Ok(false));
    assert_eq!(within_period(&t, &young()), Ok(true));
    let bad = Thresholds {
        same_problem_repairs: 0,
        ..t
    };
    assert_eq!(
        evaluate(&c, &bad, &young()),
        Err(GuaranteeError::ThresholdInvalid("same_problem_repairs"))
    );
    let v: crate::Violation = GuaranteeError::ThresholdInvalid("period_km").into();
    assert_eq!(
        (v.field.as_str(), v.rule),
        ("period_km", "guarantee.threshold_invalid")
    );
}

const H: i64 = 60 * 60 * 1000;

fn rec(
    at_day: i64,
    days: Option<i64>,
    code: Option<&str>,
    text: &str,
    quality: bool,
) -> RepairRecord {
    let start = date(2025, 3, 1);
    let received_at_ms = at_day * DAY_MS;
    RepairRecord {
        received_at_ms,
        received_on: start.checked_add(at_day.days()).ok(),
        delivered_at_ms: days.map(|d| received_at_ms + d * DAY_MS - H),
        concern_code: code.map(Into::into),
        concern_text: text.into(),
        quality_repair: quality,
        ..RepairRecord::default()
    }
}

#[test]
fn tally_counts_quality_repairs_inside_the_period_only() {
    let from = date(2025, 3, 1);
    let until = date(2027, 3, 1);
    let now = 100 * DAY_MS;
    let records = vec![
        rec(0, Some(2), None, "刹车异响", true),
        rec(10, Some(1), None, "刹车 异响。", true),
        rec(20, Some(3), Some("p0300"), "发动机抖动", true),
        // Maintenance: not a quality repair, never counted.
        rec(30, Some(9), None, "刹车异响", false),
        // Open for 7 days begun.
        rec(94, None, Some("P0300 "), "怠速不稳", true),
        // Received before the period.
        rec(-10, Some(5), None, "刹车异响", true),
    ];
    let t = tally(&records, from, until, now);
    assert_eq!(t.orders_counted, 4);
    assert_eq!(t.counters.cumulative_repair_days, 2 + 1 + 3 + 6);
    assert_eq!(t.counters.current_repair_days, Some(6));
    assert_eq!(t.counters.same_problem.get("刹车异响"), Some(&2));
    assert_eq!(t.counters.same_problem.get("P0300"), Some(&2));
    assert!(t.counters.serious_safety.is_empty());
    assert!(t.counters.major_parts.is_empty());
}

#[test]
fn serious_safety_fault_repaired_twice_and_back_entitles() {
    let from = date(2025, 3, 1);
    let until = date(2027, 3, 1);
    let safety = |day, days| RepairRecord {
        safety_fault: true,
        ..rec(day, days, Some("C1234"), "转向失灵", true)
    };
    let mut records = vec![safety(0, Some(1))];
    let t = tally(&records, from, until, 200 * DAY_MS);
    assert_eq!(
        t.counters.serious_safety.get("C1234"),
        Some(&FaultCount {
            count: 1,
            still_present: false
        })
    );
    // Back again, not yet flagged at reception: the fault is still there.
    records.push(rec(40, None, Some("c1234"), "转向又失灵", true));
    let t = tally(&records, from, until, 200 * DAY_MS);
    let f = t.counters.serious_safety.get("C1234").copied();
    assert_eq!(
        f,
        Some(FaultCount {
            count: 1,
            still_present: true
        })
    );
    let use_ = VehicleUse {
        sold_on: from,
        today: date(2025, 9, 1),
        odometer_km: 1_000,
    };
    let findings = evaluate(&t.counters, &Thresholds::default(), &use_).expect("evaluate");
    assert!(findings.contains(&Finding::Warning {
        counter: Counter::SeriousSafety("C1234".into()),
        value: 1,
        threshold: 2
    }));
    // Second repair delivered, then a third visit for the same fault.
    records[1] = safety(40, Some(2));
    records.push(rec(80, None, Some("C1234"), "转向", true));
    let t = tally(&records, from, until, 200 * DAY_MS);
    let findings = evaluate(&t.counters, &Thresholds::default(), &use_).expect("evaluate");
    assert!(
        findings.contains(&Finding::Entitlement(Entitlement::ReplacementOrRefund {
            counter: Counter::SeriousSafety("C1234".into())
        }))
    );
}

#[test]
fn main_part_replaced_twice_and_failing_again_entitles() {
    let from = date(2025, 3, 1);
    let until = date(2027, 3, 1);
    let replaced = |day| RepairRecord {
        parts_replaced: [MajorPart::Transmission].into(),
        parts_proposed: [MajorPart::Transmission].into(),
        ..rec(day, Some(3), None, "换挡冲击", true)
    };
    let mut records = vec![replaced(0), replaced(30)];
    let t = tally(&records, from, until, 100 * DAY_MS);
    assert_eq!(
        t.counters.major_parts.get(&MajorPart::Transmission),
        Some(&FaultCount {
            count: 2,
            still_present: false
        })
    );
    // An open order proposing a third replacement: the part fails again.
    records.push(RepairRecord {
        parts_proposed: [MajorPart::Transmission].into(),
        ..rec(60, None, None, "变速箱异响", true)
    });
    // A proposal on an order that is not a quality repair does not count.
    records.push(RepairRecord {
        parts_proposed: [MajorPart::Engine].into(),
        ..rec(61, None, None, "事故", false)
    });
    let t = tally(&records, from, until, 100 * DAY_MS);
    assert_eq!(
        t.counters.major_parts.get(&MajorPart::Transmission),
        Some(&FaultCount {
            count: 2,
            still_present: true
        })
    );
    assert_eq!(t.counters.major_parts.get(&MajorPart::Engine), None);
    assert_eq!(
        MajorPart::from_code("drive_motor"),
        Some(MajorPart::DriveMotor)
    );
    assert_eq!(MajorPart::from_code("wheel"), None);
}

#[test]
fn days_begun_counts_started_days() {
    assert_eq!(days_begun(0, 0), 0);
    assert_eq!(days_begun(0, 1), 1);
    assert_eq!(days_begun(0, DAY_MS), 1);
    assert_eq!(days_begun(0, DAY_MS + 1), 2);
    assert_eq!(days_begun(10, 0), 0);
}

fn arb_record() -> impl Strategy<Value = RepairRecord> {
    (
        -30i64..800,
        proptest::option::of(1i64..40),
        0usize..3,
        any::<bool>(),
        any::<bool>(),
        proptest::collection::btree_set(0usize..4, 0..2),
    )
        .prop_map(|(day, days, problem, quality, safety, parts)| {
            let parts: BTreeSet<MajorPart> = parts.into_iter().map(|i| MajorPart::ALL[i]).collect();
            RepairRecord {
                safety_fault: safety,
                parts_replaced: if days.is_some() {
                    parts.clone()
                } else {
                    BTreeSet::new()
                },
                parts_proposed: parts,
                ..rec(
                    day,
                    days,
                    None,
                    ["刹车异响", "空调不冷", "P0300"][problem],
                    quality,
                )
            }
        })
}

proptest! {
    #[test]
    fn tally_ignores_what_does_not_count_and_adds_up(
        records in proptest::collection::vec(arb_record(), 0..25),
        noise in proptest::collection::vec(arb_record(), 0..10),
    ) {
        let from = date(2025, 3, 1);
        let until = date(2026, 3, 1);
        let now = 900 * DAY_MS;
        let base = tally(&records, from, until, now);
        // Orders that are not quality repairs, or received outside the period,
        // change nothing.
        let mut with_noise = records.clone();
        with_noise.extend(noise.into_iter().map(|r| RepairRecord { quality_repair: false, ..r }));
        with_noise.push(RepairRecord { quality_repair: true, ..rec(400, Some(30), None, "刹车异响", true) });
        prop_assert_eq!(&tally(&with_noise, from, until, now), &base);
        // Every counted order is one repair of exactly one problem.
        let problems: u32 = base.counters.same_problem.values().sum();
        prop_assert_eq!(problems, base.orders_counted);
        // Repair days are at least one per counted order and at least the current one.
        prop_assert!(base.counters.cumulative_repair_days >= base.orders_counted);
        prop_assert!(base.counters.cumulative_repair_days >= base.counters.current_repair_days.unwrap_or(0));
        // No more replacements than counted orders; order does not matter.
        for f in base.counters.major_parts.values() {
            prop_assert!(f.count <= base.orders_counted);
        }
        let mut reversed = records.clone();
        reversed.reverse();
        prop_assert_eq!(tally(&reversed, from, until, now), base);
    }
}
