//! Counters and rights of one vehicle with 200 orders (issue 19 target: < 2 ms p99).
//! Prints p50/p99 of single `assess` calls over 2,000 runs. Run with
//! `cargo bench -p domain --bench guarantee`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use domain::guarantee::main_part::{MainPart, System};
use domain::guarantee::period::{Coverage, Policy};
use domain::guarantee::repair_time::{Excluded, ExcludedKind, RepairSpan};
use domain::guarantee::right::{Action, Line, Vehicle, Visit, assess};
use jiff::civil::date;
use jiff::{SignedDuration, Timestamp, ToSpan};

/// Small deterministic generator so the bench needs no extra crate.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn history(n: usize) -> Vec<Visit> {
    let base: Timestamp = "2024-03-01T00:00:00Z".parse().unwrap();
    let invoice = date(2024, 3, 1);
    let mut rng = Lcg(19);
    (0..n)
        .map(|i| {
            let start = i64::try_from(i).unwrap() * 4 * 24 + 9;
            let len = 2 + i64::try_from(rng.below(200)).unwrap();
            let from = base.checked_add(SignedDuration::from_hours(start)).unwrap();
            let to = from.checked_add(SignedDuration::from_hours(len)).unwrap();
            let excluded = if i % 7 == 0 && len > 4 {
                vec![Excluded {
                    kind: ExcludedKind::SpecialPartTransport,
                    from: from.checked_add(SignedDuration::from_hours(1)).unwrap(),
                    to: from.checked_add(SignedDuration::from_hours(3)).unwrap(),
                }]
            } else {
                vec![]
            };
            let lines = (0..1 + rng.below(3))
                .map(|_| {
                    let k = rng.below(12);
                    let main_part = (k < 3).then(|| MainPart {
                        system: [System::Engine, System::Brakes, System::Steering][k as usize],
                        code: "part".into(),
                    });
                    Line {
                        quality: rng.below(4) != 0,
                        part: Some(format!("part-{k}")),
                        system: main_part.as_ref().map(|p| p.system),
                        action: match &main_part {
                            Some(p) if rng.below(3) == 0 => Action::ReplaceMainPart(p.clone()),
                            _ => Action::Repair,
                        },
                        main_part,
                        code: Some(format!("C{k}")),
                        serious_safety: rng.below(20) == 0,
                        art23: None,
                        exclusion: None,
                    }
                })
                .collect();
            Visit {
                id: format!("RO-{i:04}"),
                opened_on: invoice.checked_add((start / 24).days()).unwrap(),
                odometer_km: u32::try_from(i).unwrap() * 250,
                span: RepairSpan::new(from, Some(to), excluded).unwrap(),
                lines,
            }
        })
        .collect()
}

fn main() {
    let policy = Policy::LEGAL;
    let car = Vehicle {
        coverage: Coverage::new(date(2024, 3, 1), None, &policy).unwrap(),
        policy,
    };
    let visits = history(200);
    let now: Timestamp = "2026-06-01T00:00:00Z".parse().unwrap();
    let today = date(2026, 6, 1);
    let a = assess(&car, &visits, now, today, 50_000);
    println!(
        "200 orders: {} rights, {} counted days, {} problems",
        a.rights.len(),
        a.counters.repair_days,
        a.counters.same_problem.len()
    );
    for _ in 0..200 {
        black_box(assess(&car, black_box(&visits), now, today, 50_000));
    }
    let mut times: Vec<Duration> = (0..2_000)
        .map(|_| {
            let t = Instant::now();
            black_box(assess(&car, black_box(&visits), now, today, 50_000));
            t.elapsed()
        })
        .collect();
    times.sort();
    let p = |q: f64| times[((times.len() as f64 - 1.0) * q) as usize];
    println!(
        "assess, 200 orders: p50 {:?}  p99 {:?}  max {:?}",
        p(0.5),
        p(0.99),
        p(1.0)
    );
}
