//! Slot search at a busy station: 20 bays, 40 technicians, 14-day horizon, ~80% load.
//! Prints p50/p99 of single `find_slots` calls, then runs the criterion benchmark.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use domain::calendar::{HolidayPlan, OpeningHours, WorkingCalendar, shanghai};
use domain::capacity::{CapacityState, Job, QualificationSet, SlotCounts, TechClass, find_slots};
use domain::certification::{Qualification, Requirement, TechnicianGrade};
use jiff::civil::{date, time};

/// Small deterministic generator so the bench needs no extra crate.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn requirement(kind: u64) -> Requirement {
    match kind {
        0 => Requirement {
            min_grade: None,
            qualification: Some(Qualification::EvHighVoltage),
        },
        1 => Requirement {
            min_grade: Some(TechnicianGrade::IntermediateMaster),
            qualification: None,
        },
        2 => Requirement {
            min_grade: None,
            qualification: Some(Qualification::BodyPaint),
        },
        _ => Requirement::default(),
    }
}

fn setup() -> (WorkingCalendar, CapacityState, jiff::Timestamp) {
    let hours = OpeningHours::every_day(time(8, 30, 0, 0), time(17, 30, 0, 0)).unwrap();
    let cal = WorkingCalendar::new(HolidayPlan::china(), hours, shanghai());
    let mut counts = SlotCounts::with_bays(20);
    let none = QualificationSet::EMPTY;
    counts.add_technicians(
        TechClass {
            grade: TechnicianGrade::Technician,
            qualifications: none,
        },
        14,
    );
    counts.add_technicians(
        TechClass {
            grade: TechnicianGrade::SeniorTechnician,
            qualifications: none,
        },
        10,
    );
    counts.add_technicians(
        TechClass {
            grade: TechnicianGrade::SeniorTechnician,
            qualifications: none.with(Qualification::BodyPaint),
        },
        4,
    );
    counts.add_technicians(
        TechClass {
            grade: TechnicianGrade::IntermediateMaster,
            qualifications: none.with(Qualification::EvHighVoltage),
        },
        6,
    );
    counts.add_technicians(
        TechClass {
            grade: TechnicianGrade::IntermediateMaster,
            qualifications: none.with(Qualification::AirConditioning),
        },
        4,
    );
    counts.add_technicians(
        TechClass {
            grade: TechnicianGrade::SeniorMaster,
            qualifications: none
                .with(Qualification::EvHighVoltage)
                .with(Qualification::BodyPaint),
        },
        2,
    );
    let mut state = CapacityState::publish(&cal, date(2026, 3, 2), 14, 30, counts).unwrap();
    // Fill to ~80% of bay-slots with random jobs.
    let total: u64 = state.slots().len() as u64 * 20;
    let mut used = 0u64;
    let mut rng = Lcg(42);
    let mut attempts = 0;
    while used * 100 < total * 80 && attempts < 200_000 {
        attempts += 1;
        let i = rng.below(state.slots().len() as u64) as usize;
        let start = state.slots()[i].start;
        let minutes = [30, 60, 60, 90, 120, 180][rng.below(6) as usize];
        let job = Job {
            duration_minutes: minutes,
            requirement: requirement(rng.below(8)),
        };
        if let Ok(b) = state.book(&job, start) {
            used += b.slots.len() as u64;
        }
    }
    let now = cal.instant(date(2026, 3, 2).at(8, 0, 0, 0)).unwrap();
    println!(
        "slots: {}, bay-slot load: {:.1}%",
        state.slots().len(),
        used as f64 * 100.0 / total as f64
    );
    (cal, state, now)
}

fn bench(c: &mut Criterion) {
    let (cal, state, now) = setup();
    let mut rng = Lcg(7);
    let wishes: Vec<_> = (0..1000)
        .map(|_| state.slots()[rng.below(state.slots().len() as u64) as usize].start)
        .collect();
    let jobs: Vec<_> = (0..1000)
        .map(|i| Job {
            duration_minutes: [60, 120, 180][i % 3],
            requirement: requirement(i as u64 % 4),
        })
        .collect();

    let mut times: Vec<Duration> = Vec::with_capacity(1000);
    for (w, j) in wishes.iter().zip(&jobs) {
        let t = Instant::now();
        black_box(find_slots(&cal, &state, j, *w, 14, now, 5));
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "find_slots single calls (n=1000): p50 {:?}, p99 {:?}, max {:?}",
        times[500], times[989], times[999]
    );

    let ev = Job {
        duration_minutes: 120,
        requirement: requirement(0),
    };
    let wish = wishes[0];
    c.bench_function("find_slots_ev_120min_limit5", |b| {
        b.iter(|| find_slots(&cal, &state, black_box(&ev), wish, 14, now, 5))
    });
    // Worst case: nobody can do it, so every slot of the horizon is examined.
    let none = Job {
        duration_minutes: 120,
        requirement: Requirement {
            min_grade: Some(TechnicianGrade::SeniorMaster),
            qualification: Some(Qualification::AirConditioning),
        },
    };
    c.bench_function("find_slots_no_fit_full_scan", |b| {
        b.iter(|| find_slots(&cal, &state, black_box(&none), wish, 14, now, 5))
    });
    let mut k = 0usize;
    c.bench_function("find_slots_mixed_limit5", |b| {
        b.iter(|| {
            k = (k + 1) % wishes.len();
            find_slots(&cal, &state, &jobs[k], wishes[k], 14, now, 5)
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
