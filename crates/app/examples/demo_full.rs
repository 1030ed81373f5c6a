//! Builds the Full demo network into the database named on the command line and prints
//! the time it took: `cargo run --release -p app --example demo_full -- sqlite:///tmp/demo_full.db`.

use app::demo::{DemoOptions, Scale};
use std::io::Write;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .ok_or("usage: demo_full <database url> [small|full] [seed]")?;
    let scale = std::env::args()
        .nth(2)
        .and_then(|s| Scale::from_name(&s))
        .unwrap_or(Scale::Full);
    let seed = std::env::args()
        .nth(3)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let db = store::Db::connect(&url, 4).await?;
    store::migrate::run(&db).await?;
    let opts = DemoOptions {
        scale,
        seed,
        geo_csv: None,
    };
    let started = std::time::Instant::now();
    let summary = app::demo::build(&db, &opts, &|phase, done, total| {
        let mut err = std::io::stderr();
        let _ = writeln!(
            err,
            "{:7.1}s {phase:10} {done:>9}/{total}",
            started.elapsed().as_secs_f64()
        );
    })
    .await?;
    println!("{summary:?}");
    Ok(())
}
