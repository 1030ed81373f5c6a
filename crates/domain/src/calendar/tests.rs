//! Tests of the calendar rules.

use super::*;
use jiff::civil::time;
use proptest::prelude::*;

fn station() -> WorkingCalendar {
    let hours = OpeningHours::every_day(time(8, 30, 0, 0), time(17, 30, 0, 0)).expect("hours");
    WorkingCalendar::new(HolidayPlan::china(), hours, shanghai())
}

fn office() -> WorkingCalendar {
    let hours = OpeningHours::weekdays(time(9, 0, 0, 0), time(18, 0, 0, 0)).expect("hours");
    WorkingCalendar::new(HolidayPlan::china(), hours, shanghai())
}

fn at(cal: &WorkingCalendar, y: i16, m: i8, d: i8, h: i8, min: i8) -> Timestamp {
    cal.instant(date(y, m, d).at(h, min, 0, 0))
        .expect("instant")
}

#[test]
fn adjusted_workdays_are_weekends_and_holidays_are_closed() {
    for d in CHINA_ADJUSTED_WORKDAYS {
        assert!(
            matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday),
            "{d}"
        );
    }
    let cal = office();
    // 2026-02-14 is a Saturday worked before Spring Festival.
    assert!(cal.is_working_day(date(2026, 2, 14)));
    assert_eq!(
        cal.opening_on(date(2026, 2, 14)),
        Some((time(9, 0, 0, 0), time(18, 0, 0, 0)))
    );
    assert!(!cal.is_working_day(date(2026, 2, 16)));
    assert!(!cal.is_working_day(date(2026, 2, 21))); // Saturday inside the holiday
    assert!(!cal.is_working_day(date(2026, 3, 7))); // ordinary Saturday
    assert!(cal.is_working_day(date(2026, 2, 24)));
    assert!(cal.is_working_day(date(2024, 9, 29))); // Sunday worked
    assert!(!cal.is_working_day(date(2025, 10, 8)));
    assert!(cal.is_working_day(date(2025, 10, 11)));
    assert!(!cal.is_working_day(date(2026, 1, 2)));
    assert!(cal.is_working_day(date(2026, 1, 4)));
}

#[test]
fn plan_has_the_official_day_counts() {
    let plan = HolidayPlan::china();
    let count = |y: i16| {
        plan.iter()
            .filter(|(d, k)| d.year() == y && matches!(k, DayKind::Holiday { .. }))
            .count()
    };
    assert_eq!(count(2024), 1 + 8 + 3 + 5 + 1 + 3 + 7);
    assert_eq!(count(2025), 1 + 8 + 3 + 5 + 3 + 8);
    assert_eq!(count(2026), 3 + 9 + 3 + 5 + 3 + 3 + 7);
}

#[test]
fn text_round_trips_and_errors_name_the_line() {
    let plan = HolidayPlan::china();
    let text = plan.to_text();
    assert!(text.contains("2026-02-15..2026-02-23 holiday 春节\n"));
    assert!(text.contains("2026-02-14 workday\n"));
    assert_eq!(HolidayPlan::parse(&text), Ok(plan));

    let bad = "# plan\n2026-02-15 holiday 春节\n\n2026-02-31 workday\n";
    assert_eq!(
        HolidayPlan::parse(bad),
        Err(CalendarError::Parse {
            line: 4,
            problem: ParseProblem::Date
        })
    );
    assert_eq!(
        HolidayPlan::parse("2026-10-01 holiday"),
        Err(CalendarError::Parse {
            line: 1,
            problem: ParseProblem::NameMissing
        })
    );
    assert_eq!(
        HolidayPlan::parse("2026-10-01 day off"),
        Err(CalendarError::Parse {
            line: 1,
            problem: ParseProblem::Kind
        })
    );
    assert_eq!(
        HolidayPlan::parse("2026-10-01..2026-10-07 holiday 国庆节\n2026-10-03 workday"),
        Err(CalendarError::DuplicateDate {
            line: 2,
            date: date(2026, 10, 3)
        })
    );
    assert_eq!(
        HolidayPlan::parse("2026-10-07..2026-10-01 holiday 国庆节"),
        Err(CalendarError::Parse {
            line: 1,
            problem: ParseProblem::Range
        })
    );
    let v: crate::Violation = CalendarError::Parse {
        line: 4,
        problem: ParseProblem::Date,
    }
    .into();
    assert_eq!(v.rule, "calendar.date_format");
    assert_eq!(v.detail.as_deref(), Some("line 4"));
}

#[test]
fn inverted_hours_are_refused() {
    assert_eq!(
        OpeningHours::every_day(time(18, 0, 0, 0), time(9, 0, 0, 0)),
        Err(CalendarError::HoursInverted {
            weekday: Weekday::Monday
        })
    );
}

#[test]
fn business_duration_skips_nights_weekends_and_holidays() {
    let cal = office();
    // Friday 2026-02-13 17:00 + 120 min: 60 min Friday, then Saturday 02-14 is worked.
    let start = at(&cal, 2026, 2, 13, 17, 0);
    assert_eq!(
        cal.add_business_duration(start, 120),
        Ok(at(&cal, 2026, 2, 14, 10, 0))
    );
    // Saturday 02-14 17:00 + 120 min: Spring Festival 02-15..02-23 closed.
    let start = at(&cal, 2026, 2, 14, 17, 0);
    assert_eq!(
        cal.add_business_duration(start, 120),
        Ok(at(&cal, 2026, 2, 24, 10, 0))
    );
    assert_eq!(
        cal.business_minutes_between(start, at(&cal, 2026, 2, 24, 10, 0)),
        Ok(120)
    );
    // Starting at night moves to the next opening.
    let night = at(&cal, 2026, 3, 2, 22, 0);
    assert_eq!(
        cal.add_business_duration(night, 0),
        Ok(at(&cal, 2026, 3, 3, 9, 0))
    );
    // Exactly to closing stays at closing.
    assert_eq!(
        cal.add_business_duration(at(&cal, 2026, 3, 3, 17, 0), 60),
        Ok(at(&cal, 2026, 3, 3, 18, 0))
    );
    assert_eq!(
        cal.add_business_duration(night, -1),
        Err(CalendarError::DurationRange)
    );
    // Calendar mode counts everything.
    assert_eq!(
        cal.add_duration(ClockMode::Calendar, night, 120),
        Ok(at(&cal, 2026, 3, 3, 0, 0))
    );
    assert_eq!(
        cal.minutes_between(ClockMode::Calendar, night, at(&cal, 2026, 3, 3, 0, 0)),
        Ok(120)
    );
    assert_eq!(
        cal.business_minutes_between(at(&cal, 2026, 3, 3, 10, 0), night),
        Ok(-60)
    );
}

#[test]
fn always_closed_calendar_reports_no_working_time() {
    let cal = WorkingCalendar::new(
        HolidayPlan::new(),
        OpeningHours::new([None; 7]).expect("hours"),
        shanghai(),
    );
    assert_eq!(
        cal.add_business_duration(Timestamp::UNIX_EPOCH, 5),
        Err(CalendarError::NoWorkingTime)
    );
}

fn arb_instant() -> impl Strategy<Value = Timestamp> {
    // 2024-01-01 .. 2026-12-31 in whole seconds.
    (1_704_038_400i64..1_798_675_200i64).prop_map(|s| Timestamp::from_second(s).expect("ts"))
}

proptest! {
    #[test]
    fn add_then_measure_round_trips(start in arb_instant(), minutes in 0i64..20_000, station_hours in any::<bool>()) {
        let cal = if station_hours { station() } else { office() };
        let end = cal.add_business_duration(start, minutes).expect("add");
        prop_assert!(end >= start);
        prop_assert_eq!(cal.business_minutes_between(start, end).expect("between"), minutes);
        // Never in closed time: inside [open, close] of a working day.
        let local = cal.local(end);
        let (open, close) = cal.opening_on(local.date()).expect("working day");
        prop_assert!(open <= local.time() && local.time() <= close);
    }

    #[test]
    fn adding_is_monotonic(start in arb_instant(), a in 0i64..10_000, b in 0i64..10_000) {
        let cal = office();
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(cal.add_business_duration(start, lo).expect("lo") <= cal.add_business_duration(start, hi).expect("hi"));
        let later = start.checked_add(jiff::SignedDuration::from_mins(lo)).expect("later");
        prop_assert!(cal.add_business_duration(start, hi).expect("s") <= cal.add_business_duration(later, hi).expect("l"));
    }
}

/// SPEC §6: the loaded plan runs out on 31 December of its last year; warnings start
/// 60 days before; a day after it is not covered.
#[test]
fn a_plan_ends_with_its_last_year() {
    let plan = HolidayPlan::china();
    assert_eq!(plan.end(), Some(date(2026, 12, 31)));
    assert!(plan.covers(date(2026, 12, 31)));
    assert!(!plan.covers(date(2027, 1, 1)));
    assert_eq!(plan_warning_from(date(2026, 12, 31)), date(2026, 11, 1));
    assert_eq!(HolidayPlan::new().end(), None);
    assert!(!HolidayPlan::new().covers(date(2026, 1, 1)));
}

proptest! {
    /// The warning always starts exactly 60 days before the end, and the end is
    /// covered while the day after is not.
    #[test]
    fn the_warning_is_sixty_days_before_the_end(y in 2000i16..2100, d in 0i64..365) {
        let day = date(y, 1, 1).checked_add(jiff::Span::new().days(d)).expect("day");
        let mut plan = HolidayPlan::new();
        plan.insert(day, DayKind::AdjustedWorkday);
        let end = plan.end().expect("end");
        prop_assert_eq!(end, date(day.year(), 12, 31));
        prop_assert_eq!((end - plan_warning_from(end)).get_days(), 60);
        prop_assert!(plan.covers(end));
        prop_assert!(!plan.covers(end.tomorrow().expect("tomorrow")));
    }
}
