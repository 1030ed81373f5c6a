//! Property tests for every parser that reads outside text: it never panics on any
//! string, and for a valid value parse ∘ display is the identity.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::calendar::HolidayPlan;
use domain::money::Money;
use domain::phone::Phone;
use domain::plate::{PROVINCES, Plate};
use domain::text::{Lines, clean};
use domain::vin::Vin;
use proptest::prelude::*;

/// A valid ordinary or new-energy plate, written with the separators people use.
fn arb_plate() -> impl Strategy<Value = String> {
    let province = prop::sample::select(PROVINCES.chars().collect::<Vec<_>>());
    (
        province,
        "[A-Z]",
        prop_oneof![
            "[A-HJ-NP-Z0-9]{5}",
            "[DF][A-HJ-NP-Z0-9][0-9]{4}",
            "[0-9]{5}[DF]"
        ],
        prop_oneof![Just(""), Just("·"), Just(" "), Just("-")],
    )
        .prop_map(|(p, a, serial, sep)| format!("{p}{a}{sep}{serial}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_text_is_safe_for_every_parser(s in any::<String>()) {
        // Only that nothing panics; the results are checked below.
        let _ = Vin::parse(&s);
        let _ = Vin::parse_exact(&s);
        let _ = Plate::parse(&s);
        let _ = Phone::parse(&s);
        let _ = Money::parse_yuan(&s);
        let _ = HolidayPlan::parse(&s);
        let _ = clean(&s, 50, Lines::Many);
    }

    #[test]
    fn accepted_values_read_back_as_themselves(s in "[ 0-9A-Za-z¥,.+·\\-京粤]{0,24}") {
        if let Ok(v) = Vin::parse(&s) {
            prop_assert_eq!(Vin::parse_exact(&v.to_string()), Ok(v));
        }
        if let Ok(p) = Plate::parse(&s) {
            prop_assert_eq!(Plate::parse(&p.to_string()), Ok(p));
        }
        if let Ok(p) = Phone::parse(&s) {
            prop_assert_eq!(Phone::parse(p.e164()), Ok(p.clone()));
            prop_assert_eq!(Phone::parse(p.display_whole()), Ok(p));
        }
        if let Ok(m) = Money::parse_yuan(&s) {
            prop_assert_eq!(Money::parse_yuan(&m.to_string()), Ok(m));
        }
    }

    #[test]
    fn plates_round_trip(text in arb_plate()) {
        let plate = Plate::parse(&text);
        prop_assert!(plate.is_ok(), "{} refused: {:?}", text, plate);
        let plate = plate.unwrap();
        prop_assert_eq!(Plate::parse(&plate.to_string()), Ok(plate.clone()));
        prop_assert!(!plate.as_str().contains(['·', ' ', '-']));
    }

    #[test]
    fn chinese_mobiles_round_trip(rest in "1[3-9][0-9]{9}", spaced in any::<bool>(), prefix in prop_oneof![Just(""), Just("+86"), Just("0086")]) {
        let typed = if spaced { format!("{prefix}{} {} {}", &rest[..3], &rest[3..7], &rest[7..]) } else { format!("{prefix}{rest}") };
        let p = Phone::parse(&typed).unwrap();
        prop_assert_eq!(p.display_whole(), rest.as_str());
        prop_assert_eq!(Phone::parse(p.e164()), Ok(p));
    }

    #[test]
    fn money_round_trips(fen in -100_000_000_000i64..100_000_000_000i64) {
        let m = Money::from_fen(fen);
        prop_assert_eq!(Money::parse_yuan(&m.to_string()), Ok(m));
    }

    #[test]
    fn holiday_plans_round_trip(
        entries in prop::collection::vec((0i32..3_000, 0i32..10, any::<bool>(), "[\\p{Han}A-Za-z]{1,6}"), 0..12)
    ) {
        let base = jiff::civil::date(2020, 1, 1);
        let text: String = entries
            .iter()
            .map(|(day, len, holiday, name)| {
                let first = base.checked_add(jiff::Span::new().days(*day)).unwrap();
                let last = first.checked_add(jiff::Span::new().days(*len)).unwrap();
                if *holiday {
                    format!("{first}..{last} holiday {name}\n")
                } else {
                    format!("{first} workday\n")
                }
            })
            .collect();
        // Overlapping random entries may be refused as duplicates; accepted plans
        // must read back from their own text.
        if let Ok(plan) = HolidayPlan::parse(&text) {
            prop_assert_eq!(HolidayPlan::parse(&plan.to_text()), Ok(plan));
        }
    }

    #[test]
    fn any_accepted_holiday_plan_reads_back(s in "([0-9]{4}-[01][0-9]-[0-3][0-9](\\.\\.2026-0[1-3]-1[0-9])? (holiday [a-z春节 ]{0,4}|workday|x)\n|# c\n|\n){0,6}") {
        if let Ok(plan) = HolidayPlan::parse(&s) {
            prop_assert_eq!(HolidayPlan::parse(&plan.to_text()), Ok(plan));
        }
    }
}
