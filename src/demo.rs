//! The demo and the simulator: `aftersales demo` builds (or resumes, or refreshes) the
//! demo network with its working day, bills, three-guarantees cars, complaints, six
//! months of simulated history and audits, then serves it with the movable demo clock;
//! `aftersales simulate` replays months of a network through the real rules. Both show
//! a progress bar while they build.

use crate::settings::{self, Purpose};
use crate::{DemoExtras, DemoScale, open, problem, serve};
use anyhow::Context;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the settings come from: the `--config` file and the `--db` URL of the command line.
pub struct Source<'a> {
    /// The settings file, if any.
    pub config: Option<&'a Path>,
    /// The database URL, if given.
    pub database_url: Option<&'a str>,
}

/// What `aftersales demo` was asked for.
pub struct DemoArgs {
    /// How much data.
    pub scale: DemoScale,
    /// The generator's seed.
    pub seed: u64,
    /// Prefecture cities CSV, if not the shared one.
    pub geo: Option<PathBuf>,
    /// Address to listen on.
    pub listen: Option<SocketAddr>,
    /// Build and exit without serving.
    pub no_serve: bool,
}

/// What `aftersales simulate` was asked for.
pub struct SimulateArgs {
    /// How many stations.
    pub stations: i64,
    /// How many months before the current one.
    pub months: i64,
    /// The generator's seed.
    pub seed: u64,
    /// Arrivals in percent of a station's normal volume.
    pub volume: i64,
}

/// A progress bar drawn with `template`.
fn progress_bar(template: &str) -> indicatif::ProgressBar {
    indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template(template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    )
}

/// The callback the builders report their phases to (`phase`, done, total), drawn on `bar`.
fn phases(bar: &indicatif::ProgressBar) -> impl Fn(&str, u64, u64) + '_ {
    move |phase, done, total| {
        bar.set_message(phase.to_string());
        bar.set_length(total);
        bar.set_position(done);
    }
}

/// Builds the demo if the database is empty or holds an incomplete one, refreshes its
/// working day otherwise, and serves it unless told not to.
pub async fn demo(cli: Source<'_>, args: DemoArgs) -> anyhow::Result<()> {
    let DemoArgs {
        scale,
        seed,
        geo,
        listen,
        no_serve,
    } = args;
    // The demo pays through the local sandbox provider.
    let s = settings::read(cli.config, cli.database_url, listen, Purpose::Demo)?;
    let db = open(&s).await?;
    let state = app::demo::state::state(&db).await?;
    let built = matches!(
        state,
        app::demo::state::DemoState::Empty | app::demo::state::DemoState::Incomplete
    );
    if built {
        let opts = app::demo::DemoOptions {
            scale: match scale {
                DemoScale::Small => app::demo::Scale::Small,
                DemoScale::Full => app::demo::Scale::Full,
            },
            seed,
            geo_csv: geo,
        };
        let bar = progress_bar("{msg:>12} [{bar:40}] {pos}/{len} {elapsed}");
        let progress = phases(&bar);
        let summary = if state == app::demo::state::DemoState::Incomplete {
            println!("an earlier demo build stopped midway; building it again");
            app::demo::state::rebuild(&db, &opts, &progress).await?
        } else {
            app::demo::state::build_recorded(&db, &opts, &progress).await?
        };
        bar.finish_and_clear();
        println!("demo data: {summary:?}");
    } else if state == app::demo::state::DemoState::Complete {
        println!("the demo data is already complete; serving it");
    } else {
        println!("the database holds data the demo did not make; serving it as it is");
    }
    let app = app::App::new(db.clone(), Arc::new(app::clock::SystemClock), s.app.clone());
    app::demo::prepare_service(&app)
        .await
        .context("preparing the service catalogue")?;
    let mut demo_bills = None;
    if built && matches!(scale, DemoScale::Small) {
        // A newcomer's first look shows a working day, not empty lists.
        let day = app::demo::refresh::working_day(&db, s.app.clone(), seed, jiff::Timestamp::now())
            .await
            .context("filling the demo's working day")?;
        println!("demo working day: {day:?}");
        // Its money: yesterday's online payment and last night's
        // reconciliation now; today's online payments once serving.
        let bills =
            app::demo::billing::before_serving(&db, s.app.clone(), seed, jiff::Timestamp::now())
                .await
                .context("filling the demo's bills")?;
        println!("demo bills: {bills:?}");
        demo_bills = Some(bills);
        // And the three-guarantees cars at each stage (courtesy car due, one
        // repair short, a right arisen, an open request, an excluded fault).
        // A failure here leaves the demo without those cars, never without a server.
        match app::demo::guarantee::stages(&db, s.app.clone(), jiff::Timestamp::now()).await {
            Ok(gt) => println!("demo three guarantees: {gt:?}"),
            Err(e) => eprintln!("demo three guarantees not made: {e}"),
        }
        // The complaint queue, inboxes and analysis get months of history. A
        // failure here leaves the demo without them, never without a server.
        match app::demo::complaint::stream(&db, s.app.clone(), seed, jiff::Timestamp::now()).await {
            Ok(complaints) => println!("demo complaints: {complaints:?}"),
            Err(e) => eprintln!("demo complaints not filed: {e}"),
        }
        // Six months of simulated history so every dashboard shows trends.
        // A failure here leaves the demo without it, never without a server.
        match app::demo::history::months(&db, s.app.clone(), seed, jiff::Timestamp::now()).await {
            Ok(h) => println!("demo history: {h:?}"),
            Err(e) => eprintln!("demo history not simulated: {e}"),
        }
        // Quality audits with their corrective actions at every step.
        match app::demo::quality_audit::visits(&db, s.app.clone(), jiff::Timestamp::now()).await {
            Ok(n) => println!("demo corrective actions: {n}"),
            Err(e) => eprintln!("demo audits not made: {e}"),
        }
    } else if matches!(scale, DemoScale::Small) && state == app::demo::state::DemoState::Complete {
        // A demo started on a later day shows today, not the day it was built.
        if let Some(done) =
            app::demo::refresh::refresh(&db, s.app.clone(), seed, jiff::Timestamp::now())
                .await
                .context("refreshing the demo's working day")?
        {
            println!("demo working day refreshed: {done:?}");
        }
    }
    println!(
        "sign in at /console/login as admin / demo1234 (owner pages: /owner/login with 13800000000)"
    );
    if no_serve {
        Ok(())
    } else {
        let extras = DemoExtras {
            bills: demo_bills,
            clock: Some(Arc::new(app::clock::DemoClock::new())),
        };
        serve(&s, db, extras).await
    }
}

/// Replays `args.months` months of `args.stations` stations into the database.
pub async fn simulate(cli: Source<'_>, args: SimulateArgs) -> anyhow::Result<()> {
    let SimulateArgs {
        stations,
        months,
        seed,
        volume,
    } = args;
    let opts = app::simulation::Options {
        stations,
        months,
        volume_percent: volume,
        seed,
        spare_station: None,
    };
    // Bad flags are refused before anything is opened.
    if let Err(e) = app::simulation::params(&opts) {
        anyhow::bail!("{}", problem(&e));
    }
    let s = settings::read(cli.config, cli.database_url, None, Purpose::Production)?;
    let db = open(&s).await?;
    let bar = progress_bar("{msg:>10} [{bar:40}] {pos}/{len} {elapsed} (eta {eta})");
    let progress = phases(&bar);
    let sum = app::simulation::run(&db, s.app.clone(), &opts, jiff::Timestamp::now(), &progress)
        .await
        .map_err(|e| anyhow::anyhow!("{}", problem(&e)))?;
    bar.finish_and_clear();
    println!("simulated: {sum:?}");
    Ok(())
}
