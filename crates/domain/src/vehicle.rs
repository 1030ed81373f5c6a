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

/// The last day a warranty starting on `start` covers when no end is given: the day
/// before the third anniversary, so 2024-01-01 runs through 2026-12-31. Computed as
/// "the day before the start, plus three years" so a warranty starting on 1 March
/// after a 29 February ends on 28 February. `None` only beyond the calendar's end.
pub fn default_warranty_end(start: Date) -> Option<Date> {
    start
        .yesterday()
        .ok()?
        .checked_add(jiff::Span::new().years(WARRANTY_YEARS))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn three_years_through_the_day_before_the_anniversary() {
        assert_eq!(
            default_warranty_end(date(2024, 1, 1)),
            Some(date(2026, 12, 31))
        );
        assert_eq!(
            default_warranty_end(date(2024, 3, 1)),
            Some(date(2027, 2, 28))
        );
        assert_eq!(
            default_warranty_end(date(2024, 2, 29)),
            Some(date(2027, 2, 28))
        );
        assert_eq!(default_warranty_end(Date::MAX), None);
    }

    proptest! {
        #[test]
        fn end_is_before_the_anniversary(days in 0i32..40_000) {
            let start = EARLIEST_PURCHASE.checked_add(jiff::Span::new().days(days)).unwrap_or(EARLIEST_PURCHASE);
            let end = default_warranty_end(start).unwrap_or(start);
            prop_assert!(end > start);
            let anniversary = end.tomorrow().unwrap_or(end);
            prop_assert!(anniversary.year() - start.year() == 3);
        }
    }
}
