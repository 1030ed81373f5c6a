//! Tests of the guarantee rules.

use super::*;
use jiff::civil::date;

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
