//! Times the monthly survey sample (`app::survey::sample::run_month`: the month's
//! candidates read, the stratified draw, the invitations and their messages written)
//! over an existing, e.g. simulated, database: the figure of the "5,000 out of
//! 1,000,000 customers in under 5 s" target.
//!
//! Each round removes the month's claim, runs the batch in a transaction and rolls it
//! back, so the database is left as it was. A month the simulator already drew is
//! drawn again among the customers its draw left (those it asked are inside the
//! "not asked in the last 90 days" window): the same candidate read, the same number
//! of invitations.
//!
//! `cargo run --release -p app --example bench_sample -- <database-url> <YYYY-MM> [rounds]`

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use domain::survey::Month;
use domain::survey::sampling::DEFAULT_TOTAL;
use sqlx::Row;
use std::time::Instant;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = args.get(1).expect("a database URL");
    let (year, month) = args
        .get(2)
        .and_then(|m| m.split_once('-'))
        .expect("a month YYYY-MM");
    let month = Month {
        year: year.parse().unwrap(),
        month: month.parse().unwrap(),
    };
    let rounds: usize = args.get(3).and_then(|r| r.parse().ok()).unwrap_or(3);
    let db = store::Db::connect(url, 4).await.unwrap();
    let customers: i64 = sqlx::query("SELECT COUNT(*) FROM customers")
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .get(0);
    // The draw's hour: 10:00 in China (UTC+8) on the 1st after the month.
    let now = first_ms(month.next()) + 10 * 3_600_000;
    let mut times = Vec::new();
    for round in 0..rounds {
        let mut tx = db.begin().await.unwrap();
        sqlx::query("DELETE FROM survey_sample_runs WHERE month = $1")
            .bind(month.to_string())
            .execute(&mut *tx)
            .await
            .unwrap();
        // The candidate read alone (the batch below reads them again).
        let from = first_ms(month);
        let start = Instant::now();
        let read = store::survey::sample::candidates(&mut tx, from, first_ms(month.next()), 0)
            .await
            .unwrap()
            .len();
        let read_secs = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let run = app::survey::sample::run_month(&mut tx, month, DEFAULT_TOTAL, now)
            .await
            .unwrap();
        let secs = start.elapsed().as_secs_f64();
        tx.rollback().await.unwrap();
        println!(
            "round {round}: {customers} customers, {} candidates, {} invited in {secs:.2} s \
             (reading the {read} candidates alone: {read_secs:.2} s)",
            run.candidates, run.invited
        );
        times.push(secs);
    }
    times.sort_by(f64::total_cmp);
    println!("sample_s={:.2}", times[times.len() / 2]);
}

/// 00:00 in China (UTC+8) on the first of `month`, UTC ms.
fn first_ms(month: Month) -> i64 {
    month
        .first_day()
        .at(0, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
        .unwrap()
        .timestamp()
        .as_millisecond()
}
