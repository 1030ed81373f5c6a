//! The `aftersales` binary: serve, migrate, build demo data, simulate, import and
//! export.
//!
//! This file is the command line and one dispatch over its subcommands; the demo and
//! the simulator (`demo`), the job queue commands (`jobs`), settings and shutdown live
//! in their own modules.

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

mod demo;
mod jobs;
mod settings;
mod shutdown;

use jobs::JobsCommand;
use settings::{Purpose, Settings};

/// mimalloc instead of the system allocator. Why: under load (32 advisors changing
/// stages on PostgreSQL) glibc's malloc and free were a tenth of the machine's CPU,
/// most of it consolidating and unlinking free chunks behind the database driver's
/// many small row buffers; see `crates/web/examples/bench_stage.rs`, which allocates
/// the same way.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// After-sales service platform for a car maker and its service stations.
///
/// Settings come from a TOML file (`--config`, default `aftersales.toml` if present)
/// and environment variables `AFTERSALES_*`, which win over the file. With no settings,
/// `serve` creates `./aftersales.db` (SQLite) and listens on 127.0.0.1:8080.
#[derive(Debug, Parser)]
#[command(name = "aftersales", version, about, long_about)]
struct Cli {
    /// Settings file (TOML): database_url, listen, webhook_url, webhook_secret, webhook_previous_secret, session_minutes, owner_link_days_after_payment, refund_limit_advisor_fen, refund_limit_station_manager_fen, payment_query_minutes, payment_expire_minutes, log_codes, payment_sandbox, payment_sandbox_secret, payment_sandbox_previous_secret, wechat_sandbox, wechat_mch_id, wechat_app_id, wechat_api_v3_key, wechat_platform_serial, wechat_platform_public_key, wechat_platform_previous_serial, wechat_platform_previous_public_key, wechat_merchant_serial, wechat_merchant_private_key, wechat_api_base, wechat_notify_url, alipay_sandbox, alipay_app_id, alipay_seller_id, alipay_public_key, alipay_previous_public_key, alipay_app_private_key, alipay_gateway, alipay_notify_url, secure_cookies, trusted_proxies, max_connections, min_connections, retention_sign_in_attempt_days, retention_outbox_failed_days, retention_audit_log_days, retention_accounting_years, retention_three_guarantees_years (none below its legal floor). No secret has a default: a gateway or payment provider that is turned on without its own secret stops the server at start, naming the setting.
    #[arg(long, global = true, env = "AFTERSALES_CONFIG")]
    config: Option<PathBuf>,
    /// Database URL: `sqlite://aftersales.db` (default) or `postgres://user@host/db`.
    #[arg(long = "db", global = true, env = "AFTERSALES_DATABASE_URL")]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the server (migrating the database first).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "AFTERSALES_LISTEN")]
        listen: Option<SocketAddr>,
    },
    /// Applies database migrations and exits.
    Migrate,
    /// Builds a realistic demo database (if empty) and serves it.
    Demo {
        /// How much data: small starts in seconds; full has 1,000 stations and 1.2 million vehicles.
        #[arg(long, value_enum, default_value_t = DemoScale::Small)]
        scale: DemoScale,
        /// Seed for the generator; the same seed gives the same data.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Prefecture cities CSV (adcode, name, longitude, latitude); defaults to ../shared/data/china_geo.
        #[arg(long)]
        geo: Option<PathBuf>,
        /// Address to listen on.
        #[arg(long, env = "AFTERSALES_LISTEN")]
        listen: Option<SocketAddr>,
        /// Build the data and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Imports a CSV file of stations, staff, customers or vehicles; every bad row is reported and nothing is written unless all rows are good.
    Import {
        /// What the file holds.
        #[arg(value_enum)]
        kind: ListKind,
        /// The CSV file (UTF-8, header row first).
        file: PathBuf,
    },
    /// Issues an API token for an integration and prints its secret once.
    Token {
        /// A label for the token.
        #[arg(long)]
        name: String,
        /// Role code the token acts as, e.g. administrator or service_advisor.
        #[arg(long)]
        role: String,
        /// Station id, for station roles.
        #[arg(long)]
        station: Option<i64>,
        /// Region id, for regional roles.
        #[arg(long)]
        region: Option<i64>,
    },
    /// Exports a list as CSV to standard output (personal data masked).
    Export {
        /// Which list.
        #[arg(value_enum)]
        kind: ListKind,
    },
    /// Replays months of a service network through the real rules into the database:
    /// appointments, repair orders with their stages and comebacks, bills, surveys with
    /// answers, complaints and quarterly audits, then rebuilds the monthly KPI counters.
    /// The months are the ones before the current month; the same seed gives the same
    /// rows. An empty database gets the demo network first (small up to 12 stations,
    /// full beyond); run it on a database no server is writing to.
    Simulate {
        /// How many stations (the first ones by id), 1–10000.
        #[arg(long, default_value_t = 1000, allow_negative_numbers = true)]
        stations: i64,
        /// How many months before the current one, 1–120.
        #[arg(long, default_value_t = 12, allow_negative_numbers = true)]
        months: i64,
        /// Seed for the generator; the same seed gives the same rows.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Arrivals in percent of a station's normal volume (about 250 orders a month), 1–1000.
        #[arg(long, default_value_t = 100, allow_negative_numbers = true)]
        volume: i64,
    },
    /// The job and timer queue: list, retry dead letters, cancel, run a worker.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DemoScale {
    Small,
    Full,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ListKind {
    Stations,
    Staff,
    Customers,
    Vehicles,
}

impl ListKind {
    fn import_kind(self) -> app::import::ImportKind {
        match self {
            ListKind::Stations => app::import::ImportKind::Stations,
            ListKind::Staff => app::import::ImportKind::Staff,
            ListKind::Customers => app::import::ImportKind::Customers,
            ListKind::Vehicles => app::import::ImportKind::Vehicles,
        }
    }
}

async fn open(s: &Settings) -> anyhow::Result<store::Db> {
    let db = store::Db::connect_warm(&s.database_url, s.min_connections, s.max_connections)
        .await
        .with_context(|| format!("connecting to {}", s.database_url))?;
    store::migrate::run(&db)
        .await
        .context("migrating the database")?;
    Ok(db)
}

/// What only the demo server has.
#[derive(Default)]
struct DemoExtras {
    /// The small demo's bills to pay online once the server listens (its providers'
    /// sandboxes answer on this server).
    bills: Option<app::demo::billing::DemoBills>,
    /// The clock a browser test moves forward (`POST /api/v1/demo/clock`).
    clock: Option<Arc<app::clock::DemoClock>>,
}

/// Serves until stopped; `demo` carries what only the demo server has.
async fn serve(s: &Settings, db: store::Db, demo: DemoExtras) -> anyhow::Result<()> {
    let DemoExtras {
        bills: demo_bills,
        clock: demo_clock,
    } = demo;
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .ok();
    if let Some(handle) = metrics.clone() {
        // Histograms keep samples until upkeep folds them in; without it they only grow.
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                handle.run_upkeep();
            }
        });
    }
    app::App::describe_metrics();
    // The demo's clock can be moved forward by a test; production reads the system's.
    let clock: Arc<dyn app::clock::Clock> = match &demo_clock {
        Some(c) => c.clone(),
        None => Arc::new(app::clock::SystemClock),
    };
    let app = app::App::new(db, clock, s.app.clone());
    // The nightly reconciliation re-arms itself; this arms the first night.
    app::billing::nightly::ensure(&app)
        .await
        .context("arming the nightly reconciliation")?;
    // The nightly retention purge re-arms itself; this arms the first one (a no-op
    // when another server or an earlier run armed it already).
    app::privacy::retention::ensure_armed(&app)
        .await
        .context("arming the nightly retention purge")?;
    // The SQLite checkpoint chain re-arms itself; this arms (or joins) it.
    app::job::checkpoint::ensure(&app)
        .await
        .context("arming the database checkpoint")?;
    // The quarterly station stars re-arm themselves; this arms the next quarter.
    app::kpi::stars::ensure(&app)
        .await
        .context("arming the quarterly station stars")?;
    // The warning that the loaded holiday plan runs out; arming again is a no-op.
    app::calendar::plan_end::ensure(&app)
        .await
        .context("arming the holiday plan warning")?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker =
        app::job::worker::Worker::new(app.clone(), app::job::handler::Registry::standard());
    let worker = tokio::spawn(worker.run(stopped));
    let demo_app = app.clone();
    let mut state = web::AppState::new(app, metrics)
        .with_secure_cookies(s.secure_cookies)
        .with_trusted_proxies(s.trusted_proxies.clone());
    if let Some(c) = demo_clock {
        state = state.with_demo_clock(c);
    }
    let listener = tokio::net::TcpListener::bind(s.listen)
        .await
        .with_context(|| format!("listening on {}", s.listen))?;
    if let Some(bills) = demo_bills {
        let mut addr = listener.local_addr().context("the listening address")?;
        if addr.ip().is_unspecified() {
            addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        let base = format!("http://{addr}");
        app::billing::provider_sandbox::serve_sandboxes_at(&demo_app, &base);
        tokio::spawn(async move {
            match app::demo::billing::once_serving(&demo_app, &base, &bills).await {
                Ok(done) => println!("demo bills paid online: {done:?}"),
                Err(e) => tracing::warn!(error = %e, "the demo's online payments failed"),
            }
        });
    }
    tracing::info!("serving on http://{}", s.listen);
    println!(
        "Aftersales is serving on http://{} (staff console at /console, owner pages at /owner, API docs at /api/docs)",
        s.listen
    );
    let served = tokio::select! {
        r = web::serve(state, listener) => r.context("serving"),
        () = shutdown::signal() => Ok(()),
    };
    // Stop claiming; the batch in hand is finished first.
    let _ = stop.send(true);
    let _ = worker.await;
    served
}

/// An error as a sentence: a refused input with its detail (which names the flag).
fn problem(e: &app::AppError) -> String {
    match e {
        app::AppError::Invalid(v) | app::AppError::Refused(v) => {
            v.0.iter()
                .map(|x| {
                    x.detail
                        .clone()
                        .unwrap_or_else(|| format!("{}: {}", x.field, x.rule))
                })
                .collect::<Vec<_>>()
                .join("; ")
        }
        other => other.to_string(),
    }
}

/// The command line acts as head office.
fn operator() -> domain::permission::Principal {
    domain::permission::Principal {
        kind: domain::permission::ActorKind::Person,
        id: 0,
        name: "command line".into(),
        role: domain::role::Role::Administrator,
        unit: domain::permission::Unit::HeadOffice,
    }
}

/// Where the settings of `cli` come from.
fn source(cli: &Cli) -> demo::Source<'_> {
    demo::Source {
        config: cli.config.as_deref(),
        database_url: cli.database_url.as_deref(),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match &cli.command {
        Command::Serve { listen } => {
            let s = settings::read(
                cli.config.as_deref(),
                cli.database_url.as_deref(),
                *listen,
                Purpose::Production,
            )?;
            let db = open(&s).await?;
            serve(&s, db, DemoExtras::default()).await
        }
        Command::Migrate => {
            let s = settings::read(
                cli.config.as_deref(),
                cli.database_url.as_deref(),
                None,
                Purpose::Production,
            )?;
            let db = store::Db::connect(&s.database_url, 2).await?;
            let n = store::migrate::run(&db).await?;
            println!("{n} migration(s) applied");
            Ok(())
        }
        Command::Demo {
            scale,
            seed,
            geo,
            listen,
            no_serve,
        } => {
            let args = demo::DemoArgs {
                scale: *scale,
                seed: *seed,
                geo: geo.clone(),
                listen: *listen,
                no_serve: *no_serve,
            };
            demo::demo(source(&cli), args).await
        }
        Command::Simulate {
            stations,
            months,
            seed,
            volume,
        } => {
            let args = demo::SimulateArgs {
                stations: *stations,
                months: *months,
                seed: *seed,
                volume: *volume,
            };
            demo::simulate(source(&cli), args).await
        }
        Command::Import { kind, file } => {
            let s = settings::read(
                cli.config.as_deref(),
                cli.database_url.as_deref(),
                None,
                Purpose::Production,
            )?;
            let db = open(&s).await?;
            let bar = indicatif::ProgressBar::new(0).with_style(
                indicatif::ProgressStyle::with_template(
                    "{msg:8} [{bar:40}] {pos}/{len} rows ({per_sec}, {eta})",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            let progress = |p: app::import::Progress| {
                bar.set_length(p.lines.saturating_sub(1));
                bar.set_message(match p.phase {
                    app::import::Phase::Check => "checking",
                    app::import::Phase::Write => "writing",
                });
                bar.set_position(p.rows);
            };
            let now = jiff::Timestamp::now().as_millisecond();
            let report = app::import::import_csv(
                &db,
                kind.import_kind(),
                app::import::Source::File(file),
                now,
                &progress,
            )
            .await
            .with_context(|| format!("importing {}", file.display()))?;
            bar.finish_and_clear();
            for e in &report.errors {
                eprintln!("row {}: {}: {}", e.row, e.field, e.rule);
            }
            if report.error_count > report.errors.len() as u64 {
                eprintln!(
                    "… and {} more error(s)",
                    report.error_count - report.errors.len() as u64
                );
            }
            if report.already_imported {
                println!(
                    "this file was imported before ({} row(s)); nothing written",
                    report.resumed_after
                );
                Ok(())
            } else if report.error_count == 0 {
                if report.resumed_after > 0 {
                    println!(
                        "{} row(s) imported, continuing after row {} of an interrupted run",
                        report.imported, report.resumed_after
                    );
                } else {
                    println!("{} row(s) imported", report.imported);
                }
                Ok(())
            } else if report.imported == 0 && report.resumed_after == 0 {
                anyhow::bail!("{} error(s); nothing was imported", report.error_count)
            } else {
                anyhow::bail!(
                    "{} error(s) met while writing (the database changed since the check); \
                     {} row(s) of the file are in, the rest is not",
                    report.error_count,
                    report.resumed_after + report.imported
                )
            }
        }
        Command::Token {
            name,
            role,
            station,
            region,
        } => {
            let s = settings::read(
                cli.config.as_deref(),
                cli.database_url.as_deref(),
                None,
                Purpose::Production,
            )?;
            let db = open(&s).await?;
            let app = app::App::new(db, Arc::new(app::clock::SystemClock), s.app.clone());
            // The command line is the operator's own: it acts as head office.
            let grant = operator()
                .grant(domain::permission::Action::TokenAdmin)
                .map_err(|_| anyhow::anyhow!("not allowed"))?;
            let input = app::auth::TokenInput {
                name: name.clone(),
                role: role.clone(),
                station_id: *station,
                region_id: *region,
            };
            let (_, secret) = app::auth::create_token(&app, &grant, &input)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{secret}");
            Ok(())
        }
        Command::Jobs { command } => {
            let s = settings::read(
                cli.config.as_deref(),
                cli.database_url.as_deref(),
                None,
                Purpose::Production,
            )?;
            let db = open(&s).await?;
            let grant = operator()
                .grant(domain::permission::Action::JobAdmin)
                .map_err(|_| anyhow::anyhow!("not allowed"))?;
            jobs::run(&s, db, &grant, command).await
        }
        Command::Export { kind } => {
            let s = settings::read(
                cli.config.as_deref(),
                cli.database_url.as_deref(),
                None,
                Purpose::Production,
            )?;
            let db = open(&s).await?;
            let out = std::io::stdout();
            let n = app::export::export_csv(
                &db,
                &domain::permission::Reach::All,
                kind.import_kind(),
                out.lock(),
            )
            .await?;
            eprintln!("{n} row(s) exported");
            Ok(())
        }
    }
}
