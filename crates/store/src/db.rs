//! The database handle over SQLite or PostgreSQL.

use crate::error::{StoreError, StoreResult};
use crate::group_commit::{Group, Grouping, Write};
use crate::transaction::{Transient, again};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Connection, Executor, Row};
use std::future::Future;
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
    /// The queue of one-statement writes committed in groups on `writer`
    /// ([`Db::write_grouped`]).
    group: Group,
}

impl Db {
    /// Connects to `url` (`sqlite://path` or `postgres://…`), creating a SQLite file if
    /// needed, with WAL, foreign keys and a busy timeout on SQLite.
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<Db> {
        Db::connect_warm(url, 0, max_connections).await
    }

    /// Connects as [`Db::connect`] does, opening `min_connections` reading
    /// connections now and keeping that many open while idle (the server: see
    /// [`default_min_connections`]). Why: a pool that opens connections on demand made
    /// the first rush after a start or a quiet spell wait for them (200 simultaneous
    /// bookings: p99 about 160 ms cold against 105 ms warm on PostgreSQL).
    pub async fn connect_warm(
        url: &str,
        min_connections: u32,
        max_connections: u32,
    ) -> StoreResult<Db> {
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
            .min_connections(min_connections.min(max_connections))
            .connect_with(options.clone())
            .await?;
        let writer = match backend {
            Backend::Sqlite => pool_options(backend, 1).connect_with(options).await?,
            Backend::Postgres => pool.clone(),
        };
        let grouping = match backend {
            Backend::Sqlite => Grouping::OneTransaction,
            Backend::Postgres => Grouping::OneStatement,
        };
        let group = Group::start(writer.clone(), grouping);
        Ok(Db {
            pool,
            backend,
            writer,
            group,
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

    /// Runs `attempt` in a write transaction and commits what it hands back; runs it
    /// again on a fresh transaction when it (or the commit) failed with a transient
    /// error, and gives up with [`StoreError::Busy`] after
    /// [`crate::transaction::ATTEMPTS`] (what counts as transient, the pauses). `use_case`
    /// names the counters (`"appointment.book"`). An `Err` from `attempt` rolls back.
    pub async fn run<T, E, F, Fut>(&self, use_case: &'static str, mut attempt: F) -> Result<T, E>
    where
        F: FnMut(Tx) -> Fut,
        Fut: Future<Output = Result<(Tx, T), E>>,
        E: From<StoreError> + Transient,
    {
        let mut n = 1;
        loop {
            let outcome = match self.begin().await {
                Err(e) => Err(E::from(e)),
                Ok(tx) => match attempt(tx).await {
                    Ok((tx, value)) => tx
                        .commit()
                        .await
                        .map(|()| value)
                        .map_err(|e| E::from(StoreError::from(e))),
                    Err(e) => Err(e),
                },
            };
            match outcome {
                Err(e) if e.transient() => {
                    if !again(use_case, n).await {
                        return Err(E::from(StoreError::Busy(use_case)));
                    }
                    n += 1;
                }
                other => return other,
            }
        }
    }

    /// Runs `write`, a write that stands alone (its own statement, no reads or
    /// decisions between its parts), and answers the rows it changed once committed.
    /// On SQLite it is committed in one transaction with the other such writes
    /// waiting for the one writer; on PostgreSQL in one statement with the other
    /// writes of its family waiting, when it says how it combines
    /// ([`crate::group_commit::Combined`]), else on its own ([`crate::group_commit`]).
    pub async fn write_grouped(&self, write: Write) -> StoreResult<u64> {
        if self.backend == Backend::Postgres && write.combined.is_none() {
            return crate::group_commit::single(&self.writer, &write).await;
        }
        self.group.write(write).await
    }

    /// What the group commit ([`Db::write_grouped`]) has done since this database was
    /// opened: groups committed together, their writes, groups that failed.
    pub fn group_commit_tally(&self) -> crate::group_commit::Tally {
        self.group.tally()
    }

    /// Copies the SQLite write-ahead log into the database file as far as no reader
    /// needs it (`PRAGMA wal_checkpoint(PASSIVE)`: it never waits for or blocks a
    /// writer), on a reading connection, so no request's commit pays for it. Answers
    /// the frames in the log and the frames copied; `None` on PostgreSQL, which
    /// checkpoints by itself.
    pub async fn checkpoint(&self) -> StoreResult<Option<Checkpoint>> {
        if self.backend != Backend::Sqlite {
            return Ok(None);
        }
        let row = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&self.pool)
            .await?;
        Ok(Some(Checkpoint {
            busy: row.try_get::<i64, _>(0)? != 0,
            log_frames: row.try_get(1)?,
            copied_frames: row.try_get(2)?,
        }))
    }

    /// Refreshes the planner's statistics after a bulk load (the demo build, a CSV
    /// import). PostgreSQL plans from statistics that autovacuum gathers only some
    /// time after the load; until then an expression index (the phone's visible tail)
    /// looks unselective and a search walks the primary key instead (35 ms against
    /// 0.4 ms at a million customers). SQLite keeps no statistics here on purpose: its
    /// plans follow the schema alone and do not change under a running server.
    /// `tables` names the tables the load wrote (names from the code, never from input);
    /// none means the whole database.
    pub async fn analyze(&self, tables: &[&str]) -> StoreResult<()> {
        if self.backend == Backend::Postgres {
            let sql = format!("ANALYZE {}", tables.join(", "));
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Opens up to `n` reading connections at once and puts them back, so that the
    /// next `n` simultaneous requests find them open: what [`Db::connect_warm`] does
    /// at start, for a pool made with [`Db::connect`] (the benchmarks' test server).
    pub async fn warm(&self, n: u32) -> StoreResult<()> {
        let mut held = Vec::new();
        for _ in 0..n.min(self.pool.options().get_max_connections()) {
            held.push(self.pool.acquire().await?);
        }
        drop(held);
        Ok(())
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }
}

/// The reading connections a server keeps open when its settings do not say: all
/// of them on SQLite (a file handle each), eight on PostgreSQL (a server process
/// each, and several servers and tools share the server's connection limit).
pub fn default_min_connections(backend: Backend, max_connections: u32) -> u32 {
    match backend {
        Backend::Sqlite => max_connections,
        Backend::Postgres => max_connections.min(8),
    }
}

/// Pages of write-ahead log after which a commit checkpoints by itself (SQLite):
/// the net under the timer's checkpoints, ten times SQLite's default.
pub const AUTO_CHECKPOINT_PAGES: u32 = 10_000;

/// How long a pooled connection may sit idle before it is pinged on its way out of
/// the pool (see [`pool_options`]).
pub const PING_AFTER_IDLE: Duration = Duration::from_secs(5);

/// What every SQLite connection is set to (see [`pool_options`]).
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; \
     PRAGMA busy_timeout=10000; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-4000; \
     PRAGMA temp_store=MEMORY; PRAGMA wal_autocheckpoint=10000;";

/// What one checkpoint did (SQLite).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    /// A reader or writer kept part of the log from being copied this time.
    pub busy: bool,
    /// Frames in the log.
    pub log_frames: i64,
    /// Frames copied into the database file (all of them, unless `busy`).
    pub copied_frames: i64,
}

/// Pool settings for either backend; on SQLite every connection gets WAL, foreign keys,
/// a busy timeout and `synchronous=NORMAL` (durable in WAL mode across a crash of the
/// program; only a power cut may lose the last transactions).
///
/// The WAL is checkpointed by the server's timer ([`Db::checkpoint`], every few
/// seconds), not by the commit that happens to cross SQLite's default 1,000 pages:
/// that commit copied the log into the database and synced it before answering,
/// which was the slowest 1 % of every write (5 ms against a 0.5 ms median). The
/// automatic checkpoint stays on, at [`AUTO_CHECKPOINT_PAGES`], as the net for a
/// server whose timer is not running.
///
/// A connection is pinged before it is handed out only when it has sat idle for
/// [`PING_AFTER_IDLE`]: sqlx's default pings every time, one more round trip per
/// acquisition, which in a busy server checks a connection that answered a moment
/// ago (a stage change acquires twice, a read and a write: 2 of its 9 round trips).
/// A connection idle that long may have been dropped by a restart of the database
/// or a firewall, and is checked as before.
fn pool_options(backend: Backend, max_connections: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(30))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_AFTER_IDLE {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    conn.execute(SQLITE_PRAGMAS).await?;
                }
                Ok(())
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connections_checkpoint_at_the_documented_line() {
        assert!(SQLITE_PRAGMAS.contains(&format!("wal_autocheckpoint={AUTO_CHECKPOINT_PAGES};")));
    }
}
