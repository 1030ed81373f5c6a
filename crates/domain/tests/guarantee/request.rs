//! The request workflow (Arts 25–29).

use domain::calendar::{HolidayPlan, OpeningHours, WorkingCalendar, shanghai};
use domain::guarantee::period::Policy;
use domain::guarantee::request::{
    DeadlineStatus, Request, RequestError, RequestKind, RequestState, replacement_coverage,
    usage_charge,
};
use domain::money::Money;
use jiff::civil::{date, time};

use crate::support::*;

fn calendar() -> WorkingCalendar {
    WorkingCalendar::new(
        HolidayPlan::china(),
        OpeningHours::weekdays(time(9, 0, 0, 0), time(18, 0, 0, 0)).unwrap(),
        shanghai(),
    )
}

fn five_repairs() -> domain::guarantee::right::Assessment {
    let v: Vec<_> = (0..5)
        .map(|i| {
            visit(
                &format!("RO-{i}"),
                (20 + i * 20, 9),
                Some((20 + i * 20, 15)),
                1_000,
                vec![fault("horn")],
            )
        })
        .collect();
    assess_at(&car(), &v, (200, 0))
}

#[test]
fn the_answer_deadline_is_ten_working_days_across_national_day() {
    let a = five_repairs();
    let cited = &a.rights[0];
    // Filed Friday 2024-09-27: Sunday 29 September is a working day (调休), 1–7
    // October are holidays, Saturday 12 October works.
    let mut r = Request::file(
        RequestKind::Refund,
        cited,
        &a.rights,
        date(2024, 9, 27),
        &calendar(),
    )
    .unwrap();
    assert_eq!(r.answer_by, date(2024, 10, 16));
    assert_eq!(r.deadline(date(2024, 10, 16)).1, DeadlineStatus::DueToday);
    assert_eq!(r.deadline(date(2024, 10, 17)).1, DeadlineStatus::Overdue);
    r.accept(date(2024, 10, 8), &calendar()).unwrap();
    let RequestState::Accepted { perform_by, .. } = r.state else {
        panic!("accepted")
    };
    assert_eq!(
        r.deadline(date(2024, 10, 9)),
        (Some(perform_by), DeadlineStatus::Running)
    );
    assert!(perform_by > date(2024, 11, 1));
    assert_eq!(r.perform(date(2024, 10, 7)), Err(RequestError::DateOrder));
    r.perform(date(2024, 10, 30)).unwrap();
    assert_eq!(r.deadline(date(2024, 12, 1)).1, DeadlineStatus::None);
}

#[test]
fn a_request_must_cite_a_replacement_right_that_arose() {
    let a = five_repairs();
    let mut other = a.rights[0].clone();
    other.subject = "part:engine".into();
    assert_eq!(
        Request::file(
            RequestKind::Replacement,
            &other,
            &a.rights,
            on(130),
            &calendar()
        ),
        Err(RequestError::RightNotArisen)
    );
    let open = [visit("RO-1", (100, 9), None, 8_000, vec![fault("ac")])];
    let courtesy = assess_at(&car(), &open, (110, 0));
    assert_eq!(
        Request::file(
            RequestKind::Replacement,
            &courtesy.rights[0],
            &courtesy.rights,
            on(110),
            &calendar()
        ),
        Err(RequestError::NotReplacementRight)
    );
    assert_eq!(
        Request::file(
            RequestKind::Replacement,
            &a.rights[0],
            &a.rights,
            on(99),
            &calendar()
        ),
        Err(RequestError::FiledBeforeRight)
    );
}

#[test]
fn art27_usage_charge_and_new_periods_for_a_replacement_car() {
    // ¥200,000 car, 10,000 km, n = 0.5%: 200,000 × 10,000 / 1,000 × 0.5% = ¥10,000.
    let price = Money::from_fen(20_000_000);
    assert_eq!(
        usage_charge(price, 10_000, 50),
        Ok(Money::from_fen(1_000_000))
    );
    assert_eq!(
        usage_charge(price, 10_000, 80),
        Ok(Money::from_fen(1_600_000))
    );
    assert_eq!(
        usage_charge(price, 10_000, 90),
        Err(RequestError::Coefficient)
    );
    let c = replacement_coverage(date(2025, 6, 1), &Policy::LEGAL).unwrap();
    assert_eq!(
        (c.start, c.sanbao_until),
        (date(2025, 6, 1), date(2027, 6, 1))
    );
}
