//! What happens around a simulated order besides its stages: how the owner consents
//! to the estimate, how soon the station calls back on a hot alert, and how a
//! customer drawn in the monthly sample responds. Seeded like the rest, so a run is
//! reproducible.

use super::order::SurveyOutcome;
use super::rng::Rng;
use crate::estimate::ApprovalChannel;
use crate::survey::alert::DEADLINE_HOURS;

/// How the owner approves the estimate at diagnosis: mostly signing at the desk,
/// some from the owner page, the rest in person with the advisor.
pub fn approval_channel(draw: u64) -> ApprovalChannel {
    match Rng::derive(draw, &[0x4150_5052]).below(10) {
        0..=5 => ApprovalChannel::DeskSignature,
        6..=8 => ApprovalChannel::OwnerPage,
        _ => ApprovalChannel::InPerson,
    }
}

/// Minutes after a hot alert opens that the station calls the customer back and
/// closes it: within hours at a good station, later at a weak one, always inside
/// the 24-hour deadline (the simulated station is reminded by nobody).
pub fn callback_minutes(draw: u64, quality: f64) -> i64 {
    let mut r = Rng::derive(draw, &[0x4341_4C4C]);
    let weakness = (1.0 - quality).clamp(0.0, 1.0);
    let mean = 90.0 + 600.0 * weakness;
    let m = (-(1.0 - r.unit()).ln() * mean).round() as i64;
    m.clamp(10, DEADLINE_HOURS * 60 - 1)
}

/// How customer `customer` of station `station` (working quality `quality`) meets
/// the monthly-sample survey of month `ym` (year × 12 + month): the same shares as
/// after a delivery, satisfaction around the station's quality.
pub fn sample_outcome(
    seed: u64,
    station: i64,
    customer: i64,
    ym: i64,
    quality: f64,
) -> SurveyOutcome {
    let mut r = Rng::derive(
        seed,
        &[0x5341_4D50, station as u64, customer as u64, ym as u64],
    );
    let satisfaction = (0.35 + 0.6 * quality + 0.1 * r.normal()).clamp(0.0, 1.0);
    match r.weighted(&[45, 5, 10, 40]) {
        0 => SurveyOutcome::Answered {
            satisfaction,
            recommend: (satisfaction * 10.0 + 0.8 * r.normal())
                .round()
                .clamp(0.0, 10.0) as u8,
            comment: r.chance(0.3),
            after_minutes: r.between(30, 3 * 24 * 60),
        },
        1 => SurveyOutcome::Refused,
        2 => SurveyOutcome::Unreachable,
        _ => SurveyOutcome::Silent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn callbacks_fall_inside_the_deadline(draw in any::<u64>(), q in 0.5f64..=1.0) {
            let m = callback_minutes(draw, q);
            prop_assert!((10..DEADLINE_HOURS * 60).contains(&m));
        }

        #[test]
        fn sample_answers_stay_on_their_scales(seed in any::<u64>(), c in 1i64..1_000_000, q in 0.5f64..=1.0) {
            if let SurveyOutcome::Answered { satisfaction, recommend, after_minutes, .. } =
                sample_outcome(seed, 3, c, 24_310, q)
            {
                prop_assert!((0.0..=1.0).contains(&satisfaction));
                prop_assert!(recommend <= 10);
                prop_assert!(after_minutes > 0);
            }
        }
    }

    #[test]
    fn a_weak_station_calls_back_later_on_average() {
        let avg = |q: f64| (0..2_000u64).map(|d| callback_minutes(d, q)).sum::<i64>() / 2_000;
        assert!(avg(0.5) > avg(1.0) + 60, "{} vs {}", avg(0.5), avg(1.0));
    }

    #[test]
    fn every_channel_is_used_and_the_draw_decides() {
        let got: std::collections::BTreeSet<&str> =
            (0..200u64).map(|d| approval_channel(d).code()).collect();
        assert_eq!(got.len(), 3);
        assert_eq!(approval_channel(42), approval_channel(42));
    }
}
