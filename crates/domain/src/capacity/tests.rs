//! Tests of the capacity rules.

use super::*;
use crate::calendar::{HolidayPlan, OpeningHours, shanghai};
use jiff::civil::{date, time};
use proptest::prelude::*;

fn cal() -> WorkingCalendar {
    let hours = OpeningHours::every_day(time(8, 30, 0, 0), time(17, 30, 0, 0)).expect("hours");
    WorkingCalendar::new(HolidayPlan::china(), hours, shanghai())
}

fn at(c: &WorkingCalendar, m: i8, d: i8, h: i8, min: i8) -> Timestamp {
    c.instant(date(2026, m, d).at(h, min, 0, 0))
        .expect("instant")
}

fn general(grade: TechnicianGrade) -> TechClass {
    TechClass {
        grade,
        qualifications: QualificationSet::EMPTY,
    }
}

fn small_station(c: &WorkingCalendar) -> CapacityState {
    let mut counts = SlotCounts::with_bays(2);
    counts.add_technicians(general(TechnicianGrade::Technician), 1);
    counts.add_technicians(
        TechClass {
            grade: TechnicianGrade::SeniorTechnician,
            qualifications: QualificationSet::EMPTY.with(Qualification::EvHighVoltage),
        },
        1,
    );
    CapacityState::publish(c, date(2026, 3, 2), 7, 30, counts).expect("publish")
}

fn ev_job(minutes: i64) -> Job {
    Job {
        duration_minutes: minutes,
        requirement: Requirement {
            min_grade: None,
            qualification: Some(Qualification::EvHighVoltage),
        },
    }
}

fn plain_job(minutes: i64) -> Job {
    Job {
        duration_minutes: minutes,
        requirement: Requirement::default(),
    }
}

#[test]
fn publishes_slots_inside_opening_hours_only() {
    let c = cal();
    let s = small_station(&c);
    assert_eq!(s.slots().len(), 7 * 18);
    assert_eq!(s.slots()[0].start, at(&c, 3, 2, 8, 30));
    assert_eq!(s.slots()[17].start, at(&c, 3, 2, 17, 0));
    // The May Day holiday has no slots.
    let may = CapacityState::publish(&c, date(2026, 5, 1), 5, 30, SlotCounts::with_bays(1))
        .expect("publish");
    assert!(may.slots().is_empty());
    assert_eq!(CapacityState::new(7), Err(CapacityError::SlotLength));
}

#[test]
fn booking_uses_a_bay_and_the_least_skilled_able_technician() {
    let c = cal();
    let mut s = small_station(&c);
    let start = at(&c, 3, 3, 9, 0);
    let b = s.book(&plain_job(60), start).expect("book");
    assert_eq!(b.slots, vec![start, at(&c, 3, 3, 9, 30)]);
    assert_eq!(b.class, general(TechnicianGrade::Technician));
    // The EV technician is still free for an EV job; a second plain job takes him too.
    assert!(fits(&s, &ev_job(60), start));
    s.book(&plain_job(30), start).expect("second");
    assert_eq!(s.plan(&ev_job(30), start), Err(CapacityError::NoBay));
    s.release(&b).expect("release");
    assert_eq!(s.plan(&ev_job(30), start), Err(CapacityError::NoTechnician));
    assert!(fits(&s, &plain_job(30), start));
    // Running past closing: 17:00 + 60 min needs an unpublished slot.
    assert_eq!(
        s.plan(&plain_job(60), at(&c, 3, 3, 17, 0)),
        Err(CapacityError::SlotUnpublished)
    );
    assert_eq!(s.release(&b), Err(CapacityError::ReleaseMismatch));
}

#[test]
fn slots_needed_refuses_bad_starts() {
    let c = cal();
    let now = at(&c, 3, 2, 12, 0);
    assert_eq!(
        slots_needed(&c, 30, at(&c, 3, 2, 11, 30), 30, now),
        Err(CapacityError::InPast)
    );
    assert_eq!(
        slots_needed(&c, 30, at(&c, 5, 2, 10, 0), 30, now),
        Err(CapacityError::NotWorkingDay(date(2026, 5, 2)))
    );
    assert_eq!(
        slots_needed(&c, 30, at(&c, 3, 3, 8, 0), 30, now),
        Err(CapacityError::OutsideOpeningHours)
    );
    assert_eq!(
        slots_needed(&c, 30, at(&c, 3, 3, 9, 15), 30, now),
        Err(CapacityError::NotAligned)
    );
    assert_eq!(
        slots_needed(&c, 30, at(&c, 3, 3, 16, 30), 90, now),
        Err(CapacityError::BeyondClosing)
    );
    assert_eq!(
        slots_needed(&c, 30, at(&c, 3, 3, 16, 30), 0, now),
        Err(CapacityError::DurationInvalid)
    );
    assert_eq!(
        slots_needed(&c, 30, at(&c, 3, 3, 16, 30), 45, now),
        Ok(vec![at(&c, 3, 3, 16, 30), at(&c, 3, 3, 17, 0)])
    );
    let v: crate::Violation = CapacityError::BeyondClosing.into();
    assert_eq!(v.rule, "capacity.beyond_closing");
}

#[test]
fn find_slots_prefers_the_wish_then_nearest() {
    let c = cal();
    let mut s = small_station(&c);
    let now = at(&c, 3, 2, 8, 0);
    let wish = at(&c, 3, 3, 10, 0);
    assert_eq!(find_slots(&c, &s, &ev_job(30), wish, 3, now, 3)[0], wish);
    // Take the EV technician at 10:00; nearest are 9:30 (tie, earlier first) and 10:30.
    s.book(&ev_job(30), wish).expect("book");
    let got = find_slots(&c, &s, &ev_job(30), wish, 3, now, 3);
    assert_eq!(
        got,
        vec![
            at(&c, 3, 3, 9, 30),
            at(&c, 3, 3, 10, 30),
            at(&c, 3, 3, 9, 0)
        ]
    );
    // Never in the past.
    let late_now = at(&c, 3, 3, 9, 45);
    let got = find_slots(&c, &s, &ev_job(30), wish, 3, late_now, 2);
    assert_eq!(got, vec![at(&c, 3, 3, 10, 30), at(&c, 3, 3, 11, 0)]);
    // A wish at night gets the evening's last slot or next morning's first.
    let night = at(&c, 3, 3, 21, 0);
    let got = find_slots(&c, &s, &plain_job(60), night, 3, now, 2);
    assert_eq!(got, vec![at(&c, 3, 3, 16, 30), at(&c, 3, 3, 16, 0)]);
}

#[test]
fn nearest_stations_by_distance() {
    let stations = [
        ("sh", 31.2304, 121.4737),
        ("bj", 39.9042, 116.4074),
        ("sz", 31.2989, 120.5853),
    ];
    let got = nearest_stations((31.2, 121.4), &stations, 2);
    assert_eq!(
        got.iter().map(|x| x.0).collect::<Vec<_>>(),
        vec!["sh", "sz"]
    );
    let d = haversine_km((31.2304, 121.4737), (39.9042, 116.4074));
    assert!((1_060.0..1_075.0).contains(&d), "{d}");
}

proptest! {
    #[test]
    fn bookings_never_exceed_capacity(ops in proptest::collection::vec((0usize..126, 1i64..150, any::<bool>(), any::<bool>()), 0..60)) {
        let c = cal();
        let mut s = small_station(&c);
        let mut booked = Vec::new();
        for (slot, minutes, ev, release) in ops {
            if release && !booked.is_empty() {
                let b: Booking = booked.remove(0);
                prop_assert!(s.release(&b).is_ok());
                continue;
            }
            let start = s.slots()[slot].start;
            let job = if ev { ev_job(minutes) } else { plain_job(minutes) };
            if let Ok(b) = s.book(&job, start) {
                prop_assert!(b.class.can_do(job.requirement));
                booked.push(b);
            }
        }
        for slot in s.slots() {
            prop_assert!(slot.used.bays <= slot.capacity.bays);
            for i in 0..CLASS_COUNT {
                prop_assert!(slot.used.techs[i] <= slot.capacity.techs[i]);
            }
        }
    }

    #[test]
    fn found_slots_fit_and_are_open(wish_slot in 0usize..126, offset in 0i64..1800, minutes in 1i64..200) {
        let c = cal();
        let s = small_station(&c);
        let now = at(&c, 3, 3, 12, 0);
        let wish = s.slots()[wish_slot].start.checked_add(SignedDuration::from_secs(offset)).expect("wish");
        let job = ev_job(minutes);
        for start in find_slots(&c, &s, &job, wish, 2, now, 5) {
            prop_assert!(start >= now);
            prop_assert!(fits(&s, &job, start));
            prop_assert!(c.is_open_at(start));
        }
    }
}
