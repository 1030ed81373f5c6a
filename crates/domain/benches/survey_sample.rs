//! The monthly sample at network scale (issue 11 target: 5,000 customers out of
//! 1,000,000 in under 5 s): one million candidates over 1,000 stations, a fifth
//! without survey consent and a tenth asked within the window.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use domain::ids::{CustomerId, StationId};
use domain::survey::sampling::{self, Candidate, Plan};
use jiff::civil::date;
use std::hint::black_box;

fn candidates() -> Vec<Candidate> {
    let today = date(2026, 12, 1);
    (0..1_000_000i64)
        .map(|i| {
            let h = sampling::mix(42, i);
            Candidate {
                customer: CustomerId(i + 1),
                // Uneven station sizes: a few big ones, many small.
                station: StationId(1 + ((h % 1000) * (h % 7 + 1) % 1000) as i64),
                consent: !h.is_multiple_of(5),
                last_asked: h
                    .is_multiple_of(10)
                    .then(|| today - jiff::Span::new().days((h % 60) as i64)),
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let cs = candidates();
    let plan = Plan {
        today: date(2026, 12, 1),
        total: 5_000,
        min_per_station: sampling::DEFAULT_MIN_PER_STATION,
        window_days: sampling::DEFAULT_WINDOW_DAYS,
        seed: 202_611,
    };
    // One timed draw, printed, so `cargo test --bench survey_sample` (one pass, no
    // statistics) also gives the figure.
    let started = std::time::Instant::now();
    let picks = sampling::draw(&cs, &plan);
    eprintln!(
        "survey_sample: drew {} of {} in {:.0} ms",
        picks.len(),
        cs.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    let mut g = c.benchmark_group("survey_sample");
    g.sample_size(10);
    g.bench_function("draw_5000_of_1000000", |b| {
        b.iter(|| {
            let picks = sampling::draw(black_box(&cs), black_box(&plan));
            assert_eq!(picks.len(), 5_000);
            picks
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
