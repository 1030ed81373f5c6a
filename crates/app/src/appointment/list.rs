//! A station's appointments of a week as a list (the desk's third view beside the
//! day and week boards): every appointment of the [`DayView`] in one table, sorted by
//! a column a person chose from [`APPOINTMENT_ORDERS`] and cut into pages. The view
//! holds at most one station's week, so the list is sorted here, by whitelisted key
//! only (never text from the request).

use super::view::{AppointmentCard, DayView};
use crate::{Order, Page, Paged};

/// The columns the list may be sorted by: (key in the page's link, the field).
pub const APPOINTMENT_ORDERS: &[(&str, &str)] = &[
    ("start", "start_ms"),
    ("plate", "plate"),
    ("customer", "customer"),
    ("service", "service_type"),
    ("state", "state"),
];

/// Every appointment of the view, slotted or not, by start.
pub fn cards(v: &DayView) -> Vec<AppointmentCard> {
    let mut all: Vec<AppointmentCard> = v
        .days
        .iter()
        .flat_map(|d| {
            d.slots
                .iter()
                .flat_map(|s| s.appointments.iter())
                .chain(d.unslotted.iter())
        })
        .cloned()
        .collect();
    all.sort_by_key(|a| (a.start_ms, a.id));
    all
}

/// One page of `cards` in `order` (by start when none), with the count of all.
pub fn sorted_page(
    mut cards: Vec<AppointmentCard>,
    order: Option<Order>,
    page: Page,
) -> Paged<AppointmentCard> {
    if let Some(o) = order {
        cards.sort_by(|a, b| {
            let by = match o.key {
                "plate" => a.plate.cmp(&b.plate),
                "customer" => a.customer.cmp(&b.customer),
                "service" => a.service_type.cmp(&b.service_type),
                "state" => a.state.cmp(&b.state),
                _ => a.start_ms.cmp(&b.start_ms),
            };
            let by = if o.desc { by.reverse() } else { by };
            by.then(a.start_ms.cmp(&b.start_ms)).then(a.id.cmp(&b.id))
        });
    }
    let total = i64::try_from(cards.len()).unwrap_or(i64::MAX);
    let skip = usize::try_from(page.offset()).unwrap_or(usize::MAX);
    let take = usize::try_from(page.per_page).unwrap_or(0);
    Paged {
        items: cards.into_iter().skip(skip).take(take).collect(),
        total,
        page: page.page,
        per_page: page.per_page,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn card(id: i64, start_ms: i64, plate: &str) -> AppointmentCard {
        AppointmentCard {
            id,
            start_ms,
            date: jiff::civil::date(2026, 12, 1),
            time: String::new(),
            plate: plate.into(),
            model: String::new(),
            customer: String::new(),
            service_type: "maintenance".into(),
            state: "booked".into(),
            concern: String::new(),
            repair_order_id: None,
            started: false,
        }
    }

    #[test]
    fn sorts_by_the_chosen_column_and_cuts_pages() {
        let all = vec![
            card(1, 30, "京A3"),
            card(2, 10, "京A1"),
            card(3, 20, "京A2"),
        ];
        let by_plate_desc = Order::pick(APPOINTMENT_ORDERS, "plate", "desc");
        let p = sorted_page(all.clone(), by_plate_desc, Page::new(1, 2));
        assert_eq!(p.total, 3);
        assert_eq!(p.items.iter().map(|c| c.id).collect::<Vec<_>>(), vec![1, 3]);
        let p = sorted_page(all.clone(), by_plate_desc, Page::new(2, 2));
        assert_eq!(p.items.iter().map(|c| c.id).collect::<Vec<_>>(), vec![2]);
        // A key off the whitelist is no order at all: the list's own (as given).
        assert!(Order::pick(APPOINTMENT_ORDERS, "concern; DROP", "asc").is_none());
        let p = sorted_page(all, None, Page::new(1, 20));
        assert_eq!(
            p.items.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
    }
}
