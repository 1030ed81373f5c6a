//! The simulator's rules: parameters refused naming the flag, reproducibility from
//! the seed, and every generated value within its bounds.

use super::order::{MonthSpec, SurveyOutcome, month_orders};
use super::profile::profile;
use super::rng::Rng;
use super::*;
use crate::repair_order::default_standard;
use proptest::prelude::*;

const MAY: MonthSpec = MonthSpec {
    year: 2026,
    month: 5,
    days: 31,
};

#[test]
fn bad_flags_name_the_flag() {
    assert_eq!(
        Params::new(0, 12, 100, 7),
        Err(SimulationError::Stations(0))
    );
    assert_eq!(Params::new(5, 0, 100, 7), Err(SimulationError::Months(0)));
    assert_eq!(
        Params::new(5, 121, 100, 7),
        Err(SimulationError::Months(121))
    );
    assert_eq!(Params::new(5, 12, 0, 7), Err(SimulationError::Volume(0)));
    assert!(
        SimulationError::Months(121)
            .to_string()
            .contains("--months")
    );
    let v: Violation = SimulationError::Stations(0).into();
    assert_eq!(
        (v.field.as_str(), v.rule),
        ("stations", "simulation.stations_range")
    );
    let p = Params::new(1_000, 120, 100, 7).expect("in range");
    assert_eq!((p.stations(), p.months(), p.seed()), (1_000, 120, 7));
}

#[test]
fn a_year_of_a_thousand_stations_is_about_three_million_orders() {
    let mean: f64 = (1..=1_000)
        .map(|s| f64::from(profile(7, s).monthly_orders))
        .sum::<f64>()
        * 12.0;
    assert!((2_500_000.0..3_500_000.0).contains(&mean), "{mean}");
}

#[test]
fn better_stations_fix_first_time_and_deliver_on_time_more_often() {
    let std = default_standard();
    let rate = |quality: f64| {
        let p = profile::StationProfile {
            size: profile::Size::Large,
            monthly_orders: 2_000,
            quality,
        };
        let os = month_orders(7, 1, &p, MAY, 100, &std, 20_000);
        let n = os.len() as f64;
        (
            os.iter()
                .filter(|o| o.comeback_after_days.is_none())
                .count() as f64
                / n,
            os.iter().filter(|o| o.on_time()).count() as f64 / n,
        )
    };
    let (good_ffv, good_on_time) = rate(0.98);
    let (poor_ffv, poor_on_time) = rate(0.55);
    assert!(good_ffv > poor_ffv + 0.03, "{good_ffv} vs {poor_ffv}");
    assert!(
        good_on_time > poor_on_time + 0.05,
        "{good_on_time} vs {poor_on_time}"
    );
    assert!(
        good_ffv > 0.9 && good_on_time > 0.8,
        "{good_ffv} {good_on_time}"
    );
}

#[test]
fn generated_answers_pass_the_questionnaire() {
    let q = crate::survey::default::questionnaire().expect("default");
    for (i, s) in [0.0, 0.3, 0.7, 1.0].into_iter().enumerate() {
        let raw = answers::raw_answers(&q, s, (s * 10.0) as u8, true, i as u64);
        for (k, v) in &raw {
            assert!(q.check(k, v).is_ok(), "{k}={v}");
        }
        let parsed = raw
            .iter()
            .filter_map(|(k, v)| q.check(k, v).ok().map(|a| (k.clone(), a)))
            .collect();
        assert!(q.is_complete(&parsed));
    }
}

proptest! {
    #[test]
    fn the_same_seed_gives_the_same_month(seed in any::<u64>(), station in 1i64..5_000) {
        let std = default_standard();
        let p = profile(seed, station);
        prop_assert_eq!(p, profile(seed, station));
        let a = month_orders(seed, station, &p, MAY, 30, &std, 20_000);
        let b = month_orders(seed, station, &p, MAY, 30, &std, 20_000);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn every_plan_is_within_bounds(seed in any::<u64>(), station in 1i64..5_000) {
        let std = default_standard();
        let p = profile(seed, station);
        prop_assert!((0.5..=1.0).contains(&p.quality));
        for o in month_orders(seed, station, &p, MAY, 20, &std, 20_000) {
            prop_assert!((1..=31).contains(&o.day));
            prop_assert!((order::RECEPTION_HOURS.0..=order::RECEPTION_HOURS.1).contains(&o.minute));
            prop_assert!((1..=crate::labour::MAX_HUNDREDTHS).contains(&o.labour_hundredths));
            prop_assert!(o.stages.iter().all(|s| s.wait >= 0 && s.minutes >= 1));
            prop_assert!(o.promise_minutes > 0 && o.net_fen >= 0);
            prop_assert!(o.comeback_after_days.is_none_or(|d| (2..=45).contains(&d)));
            if let SurveyOutcome::Answered { satisfaction, recommend, after_minutes, .. } = o.survey {
                prop_assert!((0.0..=1.0).contains(&satisfaction) && recommend <= 10 && after_minutes > 0);
            }
            if let Some(c) = o.complaint {
                prop_assert!(c.response_minutes >= 1 && c.closure_minutes > c.response_minutes);
            }
        }
    }

    #[test]
    fn draws_stay_in_their_ranges(seed in any::<u64>(), lo in -1_000i64..1_000, width in 0i64..1_000, n in 1u64..1_000) {
        let mut r = Rng::new(seed);
        for _ in 0..50 {
            let u = r.unit();
            prop_assert!((0.0..1.0).contains(&u));
            prop_assert!(r.below(n) < n);
            let v = r.between(lo, lo + width);
            prop_assert!(v >= lo && v <= lo + width);
            prop_assert!(r.spread(0.5) > 0.0);
        }
    }

    #[test]
    fn audit_verdicts_are_one_per_checkpoint(seed in any::<u64>(), q in 0.5f64..=1.0, n in 0usize..80) {
        let v = audit::verdicts(seed, 1, 1, q, n);
        prop_assert_eq!(v.len(), n);
        prop_assert_eq!(v, audit::verdicts(seed, 1, 1, q, n));
    }
}
