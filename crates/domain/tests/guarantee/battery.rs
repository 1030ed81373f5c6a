//! The traction battery's capacity-fade promise (issue 19, "EV"), in the tests' own
//! words: a model promises 70 % for 8 years or 150,000 km.

use domain::guarantee::battery::{
    BatteryCheck, FadeError, FadePromise, FadeVerdict, first_broken, judge,
};
use jiff::civil::date;
use proptest::prelude::*;

fn promise() -> FadePromise {
    FadePromise::new(700, 8, 150_000).unwrap()
}

fn check(on: jiff::civil::Date, km: u32, share: u16) -> BatteryCheck {
    BatteryCheck {
        on,
        odometer_km: km,
        share_permille: share,
    }
}

#[test]
fn a_pack_below_the_promise_inside_the_window_breaks_it() {
    let start = date(2024, 3, 1);
    let v = judge(&promise(), start, &check(date(2027, 5, 1), 60_000, 655)).unwrap();
    assert_eq!(
        v,
        FadeVerdict::Broken {
            short_by_permille: 45
        }
    );
    let kept = judge(&promise(), start, &check(date(2027, 5, 1), 60_000, 700)).unwrap();
    assert_eq!(kept, FadeVerdict::Kept, "exactly the promise keeps it");
}

#[test]
fn after_eight_years_or_150000_km_the_promise_no_longer_covers_the_pack() {
    let start = date(2024, 3, 1);
    assert_eq!(promise().until(start).unwrap(), date(2032, 2, 29));
    let late = judge(&promise(), start, &check(date(2032, 3, 1), 90_000, 500)).unwrap();
    assert_eq!(late, FadeVerdict::Outside, "the day after eight years");
    let far = judge(&promise(), start, &check(date(2026, 3, 1), 150_001, 500)).unwrap();
    assert_eq!(far, FadeVerdict::Outside, "past the kilometres");
    let last = judge(&promise(), start, &check(date(2032, 2, 29), 150_000, 500)).unwrap();
    assert!(
        matches!(last, FadeVerdict::Broken { .. }),
        "the last day still counts"
    );
}

#[test]
fn an_impossible_promise_or_reading_is_refused() {
    assert_eq!(FadePromise::new(0, 8, 150_000), Err(FadeError::Share));
    assert_eq!(FadePromise::new(1001, 8, 150_000), Err(FadeError::Share));
    assert_eq!(FadePromise::new(700, 0, 150_000), Err(FadeError::Window));
    assert_eq!(FadePromise::new(700, 8, 0), Err(FadeError::Window));
    let r = judge(
        &promise(),
        date(2024, 3, 1),
        &check(date(2025, 1, 1), 1, 1200),
    );
    assert_eq!(r, Err(FadeError::Measured));
}

#[test]
fn the_first_broken_check_is_found_whatever_the_order() {
    let start = date(2024, 3, 1);
    let checks = [
        check(date(2028, 1, 1), 90_000, 640),
        check(date(2025, 1, 1), 20_000, 950),
        check(date(2027, 1, 1), 70_000, 690),
    ];
    let first = first_broken(&promise(), start, &checks).unwrap();
    assert_eq!(first.on, date(2027, 1, 1));
}

proptest! {
    /// A lower reading never turns a broken promise into a kept one.
    #[test]
    fn a_lower_reading_never_keeps_a_broken_promise(
        days in 0i64..2900, km in 0u32..150_000, a in 0u16..1100, b in 0u16..1100,
    ) {
        let start = date(2024, 3, 1);
        let on = start.checked_add(jiff::Span::new().days(days)).unwrap();
        let (hi, lo) = (a.max(b), a.min(b));
        let v_hi = judge(&promise(), start, &check(on, km, hi)).unwrap();
        let v_lo = judge(&promise(), start, &check(on, km, lo)).unwrap();
        if matches!(v_hi, FadeVerdict::Broken { .. }) {
            let lo_broken = matches!(v_lo, FadeVerdict::Broken { .. });
            prop_assert!(lo_broken, "{hi} broke the promise, {lo} did not");
        }
    }
}
