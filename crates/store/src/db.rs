//! The database handle over SQLite or PostgreSQL.

use crate::error::StoreResult;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use std::str::FromStr;
use std::time::Duration;

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default.
    Sqlite,
    /// The production choice for several app servers.
    Postgres,
}

/// A transaction over either backend.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// The database: a pool and which backend it is.
#[derive(Debug, Clone)]
pub struct Db {
    /// The connection pool.
    pub pool: AnyPool,
    /// Which backend.
    pub backend: Backend,
    /// Where write transactions ([`Db::begin`]) run. On SQLite a pool of one
    /// connection: SQLite lets one writer in at a time anyway, and writers queued on
    /// this pool are handed the connection the moment the previous one commits,
    /// instead of sleeping in SQLite's busy handler (whose back-off of up to 100 ms
    /// made the tail latency). On PostgreSQL the same pool as `pool`.
    writer: AnyPool,
}

impl Db {
    /// Connects to `url` (`sqlite://path` or `postgres://…`), creating a SQLite file if
    /// needed, with WAL, foreign keys and a busy timeout on SQLite.
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<Db> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
            }
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = pool_options(backend, max_connections)
            .connect_with(options.clone())
            .await?;
        let writer = match backend {
            Backend::Sqlite => pool_options(backend, 1).connect_with(options).await?,
            Backend::Postgres => pool.clone(),
        };
        Ok(Db {
            pool,
            backend,
            writer,
        })
    }

    /// Starts a write transaction. On SQLite it runs on the one writer connection and
    /// takes the write lock at once (`BEGIN IMMEDIATE`), so a writer outside this
    /// process (or an autocommit write on `pool`) waits instead of failing when one
    /// upgrades.
    pub async fn begin(&self) -> StoreResult<Tx> {
        Ok(match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.writer.begin().await?,
        })
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }
}

/// Pool settings for either backend; on SQLite every connection gets WAL, foreign keys,
/// a busy timeout and `synchronous=NORMAL` (durable in WAL mode across a crash of the
/// program; only a power cut may lose the last transactions).
fn pool_options(backend: Backend, max_connections: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    conn.execute(
                        "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000; \
                         PRAGMA synchronous=NORMAL; PRAGMA cache_size=-4000; PRAGMA temp_store=MEMORY;",
                    )
                    .await?;
                }
                Ok(())
            })
        })
}
