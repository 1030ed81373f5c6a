//! The traction battery's capacity-fade promise (issue 19, "EV"), in the tests' own
//! words: a model promises 70 % for 8 years or 150,000 km.

use domain::guarantee::battery::{
    BatteryCheck, FadeError, FadePromise, FadeVerdict, HeldCheck, breach, first_broken, judge,
};
use domain::guarantee::period::Article;
use domain::guarantee::right::{Assessment, BATTERY_FADE, RightKind, add_fade};
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

fn held(id: &str, on: jiff::civil::Date, km: u32, share: u16) -> HeldCheck {
    HeldCheck {
        id: id.into(),
        check: check(on, km, share),
        promise: Some(promise()),
    }
}

#[test]
fn a_check_below_the_promise_gives_the_right_to_a_restored_battery_with_its_evidence() {
    let start = date(2024, 3, 1);
    let checks = [
        held("1", date(2025, 3, 1), 20_000, 930),
        held("2", date(2027, 5, 1), 60_000, 655),
    ];
    let b = breach(start, &checks, date(2027, 6, 1)).unwrap();
    assert_eq!(b.check, "2");
    assert_eq!(
        (b.measured_permille, b.promise.min_share_permille()),
        (655, 700)
    );
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
    let mut a = Assessment::default();
    add_fade(&mut a, Some(&b), &tz);
    let r = &a.rights[0];
    assert_eq!(r.kind, RightKind::BatteryRestore);
    assert_eq!(
        (r.article, r.subject.as_str()),
        (Article::Promise, BATTERY_FADE)
    );
    assert_eq!(r.evidence, vec!["check:2".to_string()]);
    assert_eq!(
        r.arose_at.to_zoned(tz).date(),
        date(2027, 5, 1),
        "arose on the check's day"
    );
    assert_eq!(r.fade.as_ref(), Some(&b));
}

#[test]
fn a_check_held_to_no_promise_or_measured_after_today_gives_nothing() {
    let start = date(2024, 3, 1);
    let mut none = held("1", date(2027, 5, 1), 60_000, 500);
    none.promise = None;
    assert_eq!(breach(start, &[none], date(2028, 1, 1)), None);
    let later = held("2", date(2027, 5, 1), 60_000, 500);
    assert_eq!(
        breach(start, std::slice::from_ref(&later), date(2027, 4, 30)),
        None,
        "not yet measured"
    );
    assert!(breach(start, &[later], date(2027, 5, 1)).is_some());
}

#[test]
fn each_check_is_judged_by_the_promise_it_is_held_to() {
    // The model's promise was lowered to 60 % after the first check: the first check
    // stays held to 70 % and its breach stands.
    let start = date(2024, 3, 1);
    let first = held("1", date(2026, 1, 1), 40_000, 680);
    let mut second = held("2", date(2027, 1, 1), 60_000, 650);
    second.promise = Some(FadePromise::new(600, 8, 150_000).unwrap());
    let b = breach(start, &[second, first], date(2027, 2, 1)).unwrap();
    assert_eq!(
        (b.check.as_str(), b.promise.min_share_permille()),
        ("1", 700)
    );
}

proptest! {
    /// A right once arisen never disappears: checks measured after the breach, however
    /// far above the promise (a pack repaired, a better reading), leave it as it was.
    #[test]
    fn a_broken_promise_stays_broken_whatever_later_checks_read(
        first_day in 0i64..2000, short in 1u16..700,
        later in proptest::collection::vec((1i64..900, 0u32..20_000, 0u16..1100), 0..8),
    ) {
        let start = date(2024, 3, 1);
        let on = start.checked_add(jiff::Span::new().days(first_day)).unwrap();
        let base = vec![held("0", on, 10_000, 700 - short)];
        let today = date(2035, 1, 1);
        let before = breach(start, &base, today);
        prop_assert!(before.is_some());
        let mut all = base.clone();
        for (i, (d, km, share)) in later.into_iter().enumerate() {
            let day = on.checked_add(jiff::Span::new().days(d)).unwrap();
            all.push(held(&format!("{}", i + 1), day, 10_000 + km, share));
        }
        all.reverse();
        prop_assert_eq!(breach(start, &all, today), before);
    }
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
