//! One business-hours deadline over a year of calendar (issue 10 target: < 10 µs):
//! the 100 % instant of a 72-hour business target (about 8 working days) from
//! 2,000 start instants spread over 2026, and the same for the shortest target
//! (1 hour). Prints p50/p99 of single calls. Run with
//! `cargo bench -p domain --bench complaint_deadline`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Instant;

use domain::calendar::{ClockMode, HolidayPlan, OpeningHours, WorkingCalendar, shanghai};
use domain::complaint::sla::{Clock, Level, Step};
use jiff::Timestamp;
use jiff::civil::time;

fn main() {
    let hours = OpeningHours::every_day(time(8, 30, 0, 0), time(17, 30, 0, 0)).unwrap();
    let cal = WorkingCalendar::new(HolidayPlan::china(), hours, shanghai());
    let step = Step {
        percent: 100,
        escalate_to: Some(Level::StationManager),
    };
    let year_start = 1_767_196_800i64; // 2026-01-01 00:00 +08:00
    for minutes in [60i64, 72 * 60] {
        let mut samples = Vec::with_capacity(2_000);
        for i in 0..2_000i64 {
            let start = Timestamp::from_second(year_start + i * 15_779).unwrap();
            let clock = Clock::new(start, &cal, ClockMode::Business);
            let t0 = Instant::now();
            let d = clock.step_at(start, minutes, step).unwrap();
            samples.push(t0.elapsed());
            black_box(d);
        }
        samples.sort();
        println!(
            "business deadline, target {minutes} min: p50 {:?}, p99 {:?}",
            samples[samples.len() / 2],
            samples[samples.len() * 99 / 100]
        );
    }
}
