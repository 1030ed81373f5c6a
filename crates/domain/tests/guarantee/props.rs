//! Property tests of the counters and rights.

use std::collections::BTreeSet;

use domain::guarantee::main_part::System;
use domain::guarantee::period::Policy;
use domain::guarantee::repair_time::{Excluded, ExcludedKind, RepairSpan};
use domain::guarantee::right::{Assessment, Line, Visit};
use proptest::prelude::*;

use crate::support::*;

fn arb_line() -> impl Strategy<Value = Line> {
    (0..4usize, 0..6u8, any::<bool>(), any::<bool>(), 0..10u8).prop_map(
        |(p, kind, quality, safety, extra)| {
            let part = ["p0", "p1", "p2", "p3"][p];
            let mut l = fault(part);
            l = match kind {
                0 => l
                    .in_main_part(System::Engine, "crankshaft")
                    .replace_main_part(),
                1 => l.replace_assembly(System::Transmission),
                2 => l.in_main_part(System::Brakes, "booster"),
                3 => l.in_system(System::Transmission),
                _ => l,
            };
            if !quality && extra < 3 {
                l = l.paid();
            }
            if safety {
                l = l.safety();
            }
            if extra == 9 {
                l = l.excluded();
            }
            l
        },
    )
}

/// Up to 12 visits, unique ids, hours from the invoice in the first 900 days.
fn arb_history() -> impl Strategy<Value = Vec<Visit>> {
    prop::collection::vec(
        (
            0..900i64 * 24,
            1..400i64,
            prop::option::weighted(0.85, Just(())),
            0..60_000u32,
            prop::collection::vec(arb_line(), 1..3),
        ),
        0..12,
    )
    .prop_map(|vs| {
        vs.into_iter()
            .enumerate()
            .map(|(i, (start, len, done, km, lines))| {
                let end = done.map(|_| (0, start + len));
                visit(&format!("RO-{i:02}"), (0, start), end, km, lines)
            })
            .collect()
    })
}

fn key_set(a: &Assessment) -> BTreeSet<String> {
    keys(a).into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn adding_an_excluded_interval_never_increases_the_days(
        history in arb_history(),
        pick in any::<prop::sample::Index>(),
        a in 0..1000u32, b in 0..1000u32, kind in 0..4u8,
        now in 0..1000i64 * 24,
    ) {
        prop_assume!(!history.is_empty());
        let base = assess_at(&car(), &history, (0, now));
        let i = pick.index(history.len());
        let v = &history[i];
        let from = v.span.agreed_at();
        let end = v.span.completed_at().unwrap_or(at(0, 1000 * 24));
        let len = end.duration_since(from).as_secs();
        prop_assume!(len > 1);
        let (x, y) = (i64::from(a.min(b)) * len / 1000, i64::from(a.max(b)) * len / 1000);
        prop_assume!(y > x);
        let kind = [ExcludedKind::BatteryTransport, ExcludedKind::SpecialPartTransport, ExcludedKind::RescueTravel, ExcludedKind::OwnerWait][kind as usize];
        let e = Excluded {
            kind,
            from: from.checked_add(jiff::SignedDuration::from_secs(x)).unwrap(),
            to: from.checked_add(jiff::SignedDuration::from_secs(y)).unwrap(),
        };
        let mut changed = history.clone();
        changed[i].span = RepairSpan::new(from, v.span.completed_at(), vec![e]).unwrap();
        let after = assess_at(&car(), &changed, (0, now));
        prop_assert!(after.counters.repair_days <= base.counters.repair_days);
        prop_assert!(changed[i].span.repair_days(at(0, now)) <= v.span.repair_days(at(0, now)));
        prop_assert!(changed[i].span.counted_days(at(0, now)) <= v.span.counted_days(at(0, now)));
    }

    #[test]
    fn permuting_the_visits_gives_the_same_counters_and_rights(
        (history, shuffled) in arb_history().prop_flat_map(|h| (Just(h.clone()), Just(h).prop_shuffle())),
        now in 0..1000i64 * 24,
    ) {
        let a = assess_at(&car(), &history, (0, now));
        let b = assess_at(&car(), &shuffled, (0, now));
        prop_assert_eq!(a, b);
    }

    #[test]
    fn a_right_once_arisen_never_disappears_as_time_and_km_pass(
        history in arb_history(),
        t1 in 0..1000i64 * 24, dt in 0..2000i64 * 24, km in 0..200_000u32,
    ) {
        let early = assess_at(&car(), &history, (0, t1));
        let later = domain::guarantee::right::assess(&car(), &history, at(0, t1 + dt), on((t1 + dt) / 24), km);
        let (e, l) = (key_set(&early), key_set(&later));
        prop_assert!(e.is_subset(&l), "lost {:?}", e.difference(&l).collect::<Vec<_>>());
    }

    #[test]
    fn settings_above_the_floor_never_give_fewer_rights(
        history in arb_history(),
        now in 0..1000i64 * 24,
        months in 24..48u32, wmonths in 36..72u32, km in 50_000..100_000u32,
        courtesy in 1..=5u32, days in 10..=30u32, same in 1..=4u32, safety in 1..=2u32, repl in 1..=2u32,
    ) {
        let generous = Policy {
            sanbao_months: months, sanbao_km: km, warranty_months: wmonths, warranty_km: km + 10_000,
            courtesy_car_days: courtesy, cumulative_repair_days: days, same_problem_repairs: same,
            serious_safety_repairs: safety, replacements: repl, warning_margin_days: days,
            ..Policy::LEGAL
        };
        prop_assert_eq!(generous.validate(), Ok(()));
        let legal = key_set(&assess_at(&car(), &history, (0, now)));
        let more = key_set(&assess_at(&car_with(generous), &history, (0, now)));
        prop_assert!(legal.is_subset(&more), "lost {:?}", legal.difference(&more).collect::<Vec<_>>());
    }
}
