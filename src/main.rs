//! The `aftersales` binary: serve, migrate, build demo data, import and export.

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// After-sales service platform for a car maker and its service stations.
///
/// Settings come from a TOML file (`--config`, default `aftersales.toml` if present)
/// and environment variables `AFTERSALES_*`, which win over the file. With no settings,
/// `serve` creates `./aftersales.db` (SQLite) and listens on 127.0.0.1:8080.
#[derive(Debug, Parser)]
#[command(name = "aftersales", version, about, long_about)]
struct Cli {
    /// Settings file (TOML): database_url, listen, webhook_url, webhook_secret, webhook_previous_secret, session_minutes, owner_link_days_after_payment, log_codes, payment_sandbox, payment_sandbox_secret, payment_sandbox_previous_secret, secure_cookies, trusted_proxies, max_connections. No secret has a default: a gateway or payment provider that is turned on without its own secret stops the server at start, naming the setting.
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
    /// The job and timer queue: list, retry dead letters, cancel, run a worker.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
}

#[derive(Debug, Subcommand)]
enum JobsCommand {
    /// Lists jobs and timers, newest first.
    List {
        /// Only rows in this state: queued, running, done, dead or cancelled.
        #[arg(long)]
        state: Option<String>,
        /// Only rows of this kind, e.g. outbox.deliver.
        #[arg(long)]
        kind: Option<String>,
        /// Only this queue: jobs or timers (both by default).
        #[arg(long)]
        queue: Option<String>,
        /// At most this many rows per queue.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Sends a dead or cancelled job (or, with --timer, timer) round again.
    Retry {
        /// Its id.
        id: i64,
        /// The id is a timer's.
        #[arg(long)]
        timer: bool,
    },
    /// Cancels a queued or running job (or, with --timer, timer).
    Cancel {
        /// Its id.
        id: i64,
        /// The id is a timer's.
        #[arg(long)]
        timer: bool,
    },
    /// Runs a job worker only (no web server) until SIGTERM or Ctrl-C.
    Run {
        /// Exit once nothing is due and nothing is running (for batch runs and tests).
        #[arg(long)]
        until_idle: bool,
    },
    /// Arms probe timers (kind job.probe) that record when and by which worker they
    /// fired: a check that the workers are alive and fire each timer once.
    Probe {
        /// How many.
        #[arg(long, default_value_t = 1)]
        count: u64,
        /// Due this many milliseconds from now.
        #[arg(long, default_value_t = 0)]
        delay_ms: i64,
        /// Key prefix; the keys are `<prefix>:<n>`.
        #[arg(long, default_value = "probe")]
        prefix: String,
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

/// The settings file.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    database_url: Option<String>,
    listen: Option<SocketAddr>,
    webhook_url: Option<String>,
    webhook_secret: Option<String>,
    webhook_previous_secret: Option<String>,
    session_minutes: Option<i64>,
    owner_link_days_after_payment: Option<i64>,
    log_codes: Option<bool>,
    payment_sandbox: Option<bool>,
    payment_sandbox_secret: Option<String>,
    payment_sandbox_previous_secret: Option<String>,
    secure_cookies: Option<bool>,
    trusted_proxies: Option<Vec<String>>,
    max_connections: Option<u32>,
}

struct Settings {
    database_url: String,
    listen: SocketAddr,
    app: app::AppSettings,
    max_connections: u32,
    secure_cookies: bool,
    trusted_proxies: Vec<ipnet::IpNet>,
}

/// What the command is for: the demo may invent what a production server must be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Production,
    Demo,
}

fn settings(cli: &Cli, listen: Option<SocketAddr>, purpose: Purpose) -> anyhow::Result<Settings> {
    let path = cli
        .config
        .clone()
        .or_else(|| Some(PathBuf::from("aftersales.toml")).filter(|p| p.exists()));
    let file: FileSettings = match &path {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            toml::from_str(&text).with_context(|| format!("parsing {}", p.display()))?
        }
        None => FileSettings::default(),
    };
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let mut app = app::AppSettings::default();
    if let Some(u) = env("AFTERSALES_WEBHOOK_URL").or(file.webhook_url) {
        app.webhook_url = Some(u);
    }
    if let Some(s) = env("AFTERSALES_WEBHOOK_SECRET").or(file.webhook_secret) {
        let previous = env("AFTERSALES_WEBHOOK_PREVIOUS_SECRET").or(file.webhook_previous_secret);
        app.gateway_keys = Some(app::signing::KeyRing::new(
            "webhook_secret",
            &s,
            "webhook_previous_secret",
            previous.as_deref(),
        )?);
    }
    let sandbox_on = env("AFTERSALES_PAYMENT_SANDBOX")
        .map(|v| v == "true" || v == "1")
        .or(file.payment_sandbox)
        .unwrap_or(false)
        || purpose == Purpose::Demo;
    let sandbox_secret = env("AFTERSALES_PAYMENT_SANDBOX_SECRET").or(file.payment_sandbox_secret);
    app.payment_sandbox = match (sandbox_on, sandbox_secret) {
        (false, _) => None,
        (true, Some(s)) => {
            let previous = env("AFTERSALES_PAYMENT_SANDBOX_PREVIOUS_SECRET")
                .or(file.payment_sandbox_previous_secret);
            Some(app::signing::KeyRing::new(
                "payment_sandbox_secret",
                &s,
                "payment_sandbox_previous_secret",
                previous.as_deref(),
            )?)
        }
        // The demo's own sandbox signs with a key nobody outside this process knows.
        (true, None) if purpose == Purpose::Demo => Some(app::signing::KeyRing::random()),
        (true, None) => anyhow::bail!(
            "payment_sandbox is on but payment_sandbox_secret is not set: the sandbox provider needs its own secret (setting payment_sandbox_secret or AFTERSALES_PAYMENT_SANDBOX_SECRET)"
        ),
    };
    app.check()?;
    let trusted_proxies = match env("AFTERSALES_TRUSTED_PROXIES") {
        Some(v) => v.split(',').map(|p| p.trim().to_string()).collect(),
        None => file.trusted_proxies.unwrap_or_default(),
    }
    .iter()
    .filter(|p| !p.is_empty())
    .map(|p| parse_proxy(p))
    .collect::<anyhow::Result<Vec<_>>>()?;
    if let Some(m) = file.session_minutes {
        app.session_minutes = m;
    }
    if let Some(d) = file.owner_link_days_after_payment {
        if d < 0 {
            anyhow::bail!("owner_link_days_after_payment must be 0 or more days");
        }
        app.owner_link_days_after_payment = d;
    }
    // Sign-in codes in the log are a demo convenience, never a production default.
    app.log_codes = file.log_codes.unwrap_or(purpose == Purpose::Demo);
    let database_url = cli
        .database_url
        .clone()
        .or(file.database_url)
        .unwrap_or_else(|| "sqlite://aftersales.db".into());
    let default_connections = if database_url.starts_with("postgres") {
        32
    } else {
        8
    };
    Ok(Settings {
        database_url,
        listen: listen
            .or(file.listen)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
        app,
        // SQLite serves reads from a few connections best on a small machine; PostgreSQL
        // takes more.
        max_connections: file.max_connections.unwrap_or(default_connections),
        secure_cookies: file.secure_cookies.unwrap_or(false),
        trusted_proxies,
    })
}

/// A trusted proxy: an address (`10.0.0.5`) or a network (`10.0.0.0/8`).
fn parse_proxy(text: &str) -> anyhow::Result<ipnet::IpNet> {
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .with_context(|| {
            format!("trusted_proxies: `{text}` is not an address or a network (e.g. 10.0.0.0/8)")
        })
}

async fn open(s: &Settings) -> anyhow::Result<store::Db> {
    let db = store::Db::connect(&s.database_url, s.max_connections)
        .await
        .with_context(|| format!("connecting to {}", s.database_url))?;
    store::migrate::run(&db)
        .await
        .context("migrating the database")?;
    Ok(db)
}

async fn serve(s: &Settings, db: store::Db) -> anyhow::Result<()> {
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
    let app = app::App::new(db, Arc::new(app::clock::SystemClock), s.app.clone());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker =
        app::job::worker::Worker::new(app.clone(), app::job::handler::Registry::standard());
    let worker = tokio::spawn(worker.run(stopped));
    let state = web::AppState::new(app, metrics)
        .with_secure_cookies(s.secure_cookies)
        .with_trusted_proxies(s.trusted_proxies.clone());
    let listener = tokio::net::TcpListener::bind(s.listen)
        .await
        .with_context(|| format!("listening on {}", s.listen))?;
    tracing::info!("serving on http://{}", s.listen);
    println!(
        "Aftersales is serving on http://{} (staff console at /console, owner pages at /owner, API docs at /api/docs)",
        s.listen
    );
    let served = tokio::select! {
        r = web::serve(state, listener) => r.context("serving"),
        () = shutdown_signal() => Ok(()),
    };
    // Stop claiming; the batch in hand is finished first.
    let _ = stop.send(true);
    let _ = worker.await;
    served
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("shutting down");
}

/// The command line acts as head office.
fn operator() -> domain::permission::Principal {
    domain::permission::Principal {
        id: 0,
        name: "command line".into(),
        role: domain::role::Role::Administrator,
        unit: domain::permission::Unit::HeadOffice,
    }
}

async fn jobs(s: &Settings, db: store::Db, command: &JobsCommand) -> anyhow::Result<()> {
    use app::job::Queue;
    let app = app::App::new(db, Arc::new(app::clock::SystemClock), s.app.clone());
    let grant = operator()
        .grant(domain::permission::Action::JobAdmin)
        .map_err(|_| anyhow::anyhow!("not allowed"))?;
    let queue_of = |timer: bool| if timer { Queue::Timers } else { Queue::Jobs };
    let fail = |e: app::AppError| anyhow::anyhow!("{e}");
    match command {
        JobsCommand::List {
            state,
            kind,
            queue,
            limit,
        } => {
            let state = match state {
                Some(code) => Some(
                    domain::job::JobState::from_code(code)
                        .ok_or_else(|| anyhow::anyhow!("unknown state {code}"))?,
                ),
                None => None,
            };
            let queues = match queue {
                Some(code) => vec![
                    Queue::from_code(code)
                        .ok_or_else(|| anyhow::anyhow!("unknown queue {code}"))?,
                ],
                None => Queue::ALL.to_vec(),
            };
            println!("queue\tid\tkind\tstate\tattempts\tdue_at\tkey\tlast_error");
            for q in queues {
                let rows = app::job::list(&app, &grant, q, state, kind.as_deref(), *limit)
                    .await
                    .map_err(fail)?;
                for r in rows {
                    let due = jiff::Timestamp::from_millisecond(r.due_at)
                        .map(|t| t.to_string())
                        .unwrap_or_default();
                    println!(
                        "{}\t{}\t{}\t{}\t{}/{}\t{}\t{}\t{}",
                        q.table(),
                        r.id,
                        r.kind,
                        r.state,
                        r.attempts,
                        r.max_attempts,
                        due,
                        r.key.unwrap_or_default(),
                        r.last_error.unwrap_or_default().replace(['\n', '\t'], " ")
                    );
                }
            }
            Ok(())
        }
        JobsCommand::Retry { id, timer } => {
            app::job::retry(&app, &grant, queue_of(*timer), *id)
                .await
                .map_err(fail)?;
            println!("{} {id} queued again", queue_of(*timer).table());
            Ok(())
        }
        JobsCommand::Cancel { id, timer } => {
            app::job::cancel(&app, &grant, queue_of(*timer), *id)
                .await
                .map_err(fail)?;
            println!("{} {id} cancelled", queue_of(*timer).table());
            Ok(())
        }
        JobsCommand::Run { until_idle } => {
            let worker =
                app::job::worker::Worker::new(app.clone(), app::job::handler::Registry::standard());
            eprintln!("job worker {} running", worker.name());
            if *until_idle {
                worker.run_until_idle().await.map_err(fail)?;
                return Ok(());
            }
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let handle = tokio::spawn(worker.run(stopped));
            shutdown_signal().await;
            let _ = stop.send(true);
            let _ = handle.await;
            Ok(())
        }
        JobsCommand::Probe {
            count,
            delay_ms,
            prefix,
        } => {
            let due = app.now_ms() + delay_ms;
            let n = app::job::probe::arm_many(&app, prefix, *count, due)
                .await
                .map_err(fail)?;
            println!("{n} probe timer(s) armed");
            Ok(())
        }
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
            let s = settings(&cli, *listen, Purpose::Production)?;
            let db = open(&s).await?;
            serve(&s, db).await
        }
        Command::Migrate => {
            let s = settings(&cli, None, Purpose::Production)?;
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
            // The demo pays through the local sandbox provider.
            let s = settings(&cli, *listen, Purpose::Demo)?;
            let db = open(&s).await?;
            let state = app::demo::state::state(&db).await?;
            if matches!(
                state,
                app::demo::state::DemoState::Empty | app::demo::state::DemoState::Incomplete
            ) {
                let opts = app::demo::DemoOptions {
                    scale: match scale {
                        DemoScale::Small => app::demo::Scale::Small,
                        DemoScale::Full => app::demo::Scale::Full,
                    },
                    seed: *seed,
                    geo_csv: geo.clone(),
                };
                let bar = indicatif::ProgressBar::new(0);
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{msg:>12} [{bar:40}] {pos}/{len} {elapsed}",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                let progress = |phase: &str, done: u64, total: u64| {
                    bar.set_message(phase.to_string());
                    bar.set_length(total);
                    bar.set_position(done);
                };
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
            println!(
                "sign in at /console/login as admin / demo1234 (owner pages: /owner/login with 13800000000)"
            );
            if *no_serve {
                Ok(())
            } else {
                serve(&s, db).await
            }
        }
        Command::Import { kind, file } => {
            let s = settings(&cli, None, Purpose::Production)?;
            let db = open(&s).await?;
            let f =
                std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
            let bar = indicatif::ProgressBar::new_spinner();
            let progress = |n: u64| bar.set_position(n);
            let now = jiff::Timestamp::now().as_millisecond();
            let report =
                app::import::import_csv(&db, kind.import_kind(), f, now, &progress).await?;
            bar.finish_and_clear();
            for e in &report.errors {
                eprintln!("row {}: {}: {}", e.row, e.field, e.rule);
            }
            if report.errors.is_empty() {
                println!("{} row(s) imported", report.imported);
                Ok(())
            } else {
                anyhow::bail!("{} bad row(s); nothing was imported", report.errors.len())
            }
        }
        Command::Token {
            name,
            role,
            station,
            region,
        } => {
            let s = settings(&cli, None, Purpose::Production)?;
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
            let s = settings(&cli, None, Purpose::Production)?;
            let db = open(&s).await?;
            jobs(&s, db, command).await
        }
        Command::Export { kind } => {
            let s = settings(&cli, None, Purpose::Production)?;
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
