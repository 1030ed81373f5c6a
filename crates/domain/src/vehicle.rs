//! Vehicle record rules that every path (API, console, import, demo) shares.

use jiff::civil::{Date, date};

/// The earliest purchase date the network accepts: the maker's first cars on the
/// Chinese market are later, so an earlier date is a typing error (`0001-01-01`).
pub const EARLIEST_PURCHASE: Date = date(1990, 1, 1);

/// The latest warranty date accepted: far beyond any real warranty, and small
/// enough that date arithmetic on it cannot overflow.
pub const LATEST_WARRANTY: Date = date(2100, 12, 31);

/// Years of the maker's warranty (the law asks for at least 3 years, SPEC §15).
pub const WARRANTY_YEARS: i16 = 3;

/// The warranty's distance limit when none is given, in km.
pub const DEFAULT_WARRANTY_KM: i64 = 100_000;

/// The last day a warranty starting on `start` covers when no end is given: the
/// 包修期's end as the regulation counts it ([`crate::guarantee::period::months_end`],
/// Civil Code Arts 201–202), so 2024-01-01 runs through 2027-01-01 and the vehicle
/// page's warranty end and the three-guarantees page's 包修期 end are the same day.
/// `None` only beyond the calendar's end.
pub fn default_warranty_end(start: Date) -> Option<Date> {
    let months = u32::try_from(WARRANTY_YEARS).ok()? * 12;
    crate::guarantee::period::months_end(start, months).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn three_years_to_the_corresponding_day_as_the_civil_code_counts() {
        // Civil Code Arts 201-202: the start day is not counted; a period in months
        // ends on the corresponding day, or the month's last day when there is none.
        assert_eq!(
            default_warranty_end(date(2024, 1, 1)),
            Some(date(2027, 1, 1))
        );
        assert_eq!(
            default_warranty_end(date(2024, 3, 1)),
            Some(date(2027, 3, 1))
        );
        assert_eq!(
            default_warranty_end(date(2024, 2, 29)),
            Some(date(2027, 2, 28))
        );
        assert_eq!(default_warranty_end(Date::MAX), None);
    }

    #[test]
    fn the_vehicle_warranty_end_is_the_legal_warranty_periods_end() {
        use crate::guarantee::period::{Coverage, Policy};
        for start in [date(2024, 1, 1), date(2024, 2, 29), date(2025, 8, 31)] {
            let legal = Coverage::new(start, None, &Policy::LEGAL).map(|c| c.warranty_until);
            assert_eq!(default_warranty_end(start), legal.ok(), "{start}");
        }
    }

    proptest! {
        #[test]
        fn end_is_on_the_anniversary_or_the_months_last_day(days in 0i32..40_000) {
            let start = EARLIEST_PURCHASE.checked_add(jiff::Span::new().days(days)).unwrap_or(EARLIEST_PURCHASE);
            let end = default_warranty_end(start).unwrap_or(start);
            prop_assert!(end > start);
            prop_assert!(end.year() - start.year() == 3);
            prop_assert!(end.day() <= start.day());
        }
    }
}
