//! Schema migrations, one list per backend, embedded in the binary.

use crate::db::{Backend, Db};
use crate::error::StoreResult;
use sqlx::{AssertSqlSafe, Row};

/// One migration: its version, name and SQL for each backend.
struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "service",
        sqlite: include_str!("../migrations/sqlite/0002_service.sql"),
        postgres: include_str!("../migrations/postgres/0002_service.sql"),
    },
    Migration {
        version: 3,
        name: "payment",
        sqlite: include_str!("../migrations/sqlite/0003_payment.sql"),
        postgres: include_str!("../migrations/postgres/0003_payment.sql"),
    },
    Migration {
        version: 4,
        name: "guarantee",
        sqlite: include_str!("../migrations/sqlite/0004_guarantee.sql"),
        postgres: include_str!("../migrations/postgres/0004_guarantee.sql"),
    },
    Migration {
        version: 5,
        name: "stage_standards",
        sqlite: include_str!("../migrations/sqlite/0005_stage_standards.sql"),
        postgres: include_str!("../migrations/postgres/0005_stage_standards.sql"),
    },
    Migration {
        version: 6,
        name: "parts",
        sqlite: include_str!("../migrations/sqlite/0006_parts.sql"),
        postgres: include_str!("../migrations/postgres/0006_parts.sql"),
    },
    Migration {
        version: 7,
        name: "three_guarantees_sources",
        sqlite: include_str!("../migrations/sqlite/0007_three_guarantees_sources.sql"),
        postgres: include_str!("../migrations/postgres/0007_three_guarantees_sources.sql"),
    },
    Migration {
        version: 8,
        name: "pickup_uniqueness",
        sqlite: include_str!("../migrations/sqlite/0008_pickup_uniqueness.sql"),
        postgres: include_str!("../migrations/postgres/0008_pickup_uniqueness.sql"),
    },
    Migration {
        version: 9,
        name: "job",
        sqlite: include_str!("../migrations/sqlite/0009_job.sql"),
        postgres: include_str!("../migrations/postgres/0009_job.sql"),
    },
    Migration {
        version: 10,
        name: "sign_in",
        sqlite: include_str!("../migrations/sqlite/0010_sign_in.sql"),
        postgres: include_str!("../migrations/postgres/0010_sign_in.sql"),
    },
    Migration {
        version: 11,
        name: "payment_ledger",
        sqlite: include_str!("../migrations/sqlite/0011_payment_ledger.sql"),
        postgres: include_str!("../migrations/postgres/0011_payment_ledger.sql"),
    },
    Migration {
        version: 12,
        name: "idempotency",
        sqlite: include_str!("../migrations/sqlite/0012_idempotency.sql"),
        postgres: include_str!("../migrations/postgres/0012_idempotency.sql"),
    },
    Migration {
        version: 13,
        name: "privacy",
        sqlite: include_str!("../migrations/sqlite/0013_privacy.sql"),
        postgres: include_str!("../migrations/postgres/0013_privacy.sql"),
    },
    Migration {
        version: 14,
        name: "import_runs",
        sqlite: include_str!("../migrations/sqlite/0014_import_runs.sql"),
        postgres: include_str!("../migrations/postgres/0014_import_runs.sql"),
    },
    Migration {
        version: 15,
        name: "refund",
        sqlite: include_str!("../migrations/sqlite/0015_refund.sql"),
        postgres: include_str!("../migrations/postgres/0015_refund.sql"),
    },
    Migration {
        version: 17,
        name: "consent",
        sqlite: include_str!("../migrations/sqlite/0017_consent.sql"),
        postgres: include_str!("../migrations/postgres/0017_consent.sql"),
    },
    Migration {
        version: 18,
        name: "privacy_rights",
        sqlite: include_str!("../migrations/sqlite/0018_privacy_rights.sql"),
        postgres: include_str!("../migrations/postgres/0018_privacy_rights.sql"),
    },
    Migration {
        version: 19,
        name: "provider_notices",
        sqlite: include_str!("../migrations/sqlite/0019_provider_notices.sql"),
        postgres: include_str!("../migrations/postgres/0019_provider_notices.sql"),
    },
    Migration {
        version: 20,
        name: "guarantee_model",
        sqlite: include_str!("../migrations/sqlite/0020_guarantee_model.sql"),
        postgres: include_str!("../migrations/postgres/0020_guarantee_model.sql"),
    },
    Migration {
        version: 21,
        name: "complaint",
        sqlite: include_str!("../migrations/sqlite/0021_complaint.sql"),
        postgres: include_str!("../migrations/postgres/0021_complaint.sql"),
    },
    Migration {
        version: 22,
        name: "search",
        sqlite: include_str!("../migrations/sqlite/0022_search.sql"),
        postgres: include_str!("../migrations/postgres/0022_search.sql"),
    },
    Migration {
        version: 23,
        name: "survey",
        sqlite: include_str!("../migrations/sqlite/0023_survey.sql"),
        postgres: include_str!("../migrations/postgres/0023_survey.sql"),
    },
    Migration {
        version: 24,
        name: "kpi",
        sqlite: include_str!("../migrations/sqlite/0024_kpi.sql"),
        postgres: include_str!("../migrations/postgres/0024_kpi.sql"),
    },
    Migration {
        version: 25,
        name: "complaint_counted",
        sqlite: include_str!("../migrations/sqlite/0025_complaint_counted.sql"),
        postgres: include_str!("../migrations/postgres/0025_complaint_counted.sql"),
    },
    Migration {
        version: 26,
        name: "guarantee_cleanup",
        sqlite: include_str!("../migrations/sqlite/0026_guarantee_cleanup.sql"),
        postgres: include_str!("../migrations/postgres/0026_guarantee_cleanup.sql"),
    },
    Migration {
        version: 27,
        name: "provider_statements",
        sqlite: include_str!("../migrations/sqlite/0027_provider_statements.sql"),
        postgres: include_str!("../migrations/postgres/0027_provider_statements.sql"),
    },
    Migration {
        version: 28,
        name: "consent_columns",
        sqlite: include_str!("../migrations/sqlite/0028_consent_columns.sql"),
        postgres: include_str!("../migrations/postgres/0028_consent_columns.sql"),
    },
    Migration {
        version: 30,
        name: "quality_audit",
        sqlite: include_str!("../migrations/sqlite/0030_quality_audit.sql"),
        postgres: include_str!("../migrations/postgres/0030_quality_audit.sql"),
    },
    Migration {
        version: 31,
        name: "audit_photos",
        sqlite: include_str!("../migrations/sqlite/0031_audit_photos.sql"),
        postgres: include_str!("../migrations/postgres/0031_audit_photos.sql"),
    },
    Migration {
        version: 34,
        name: "guarantee_battery",
        sqlite: include_str!("../migrations/sqlite/0034_guarantee_battery.sql"),
        postgres: include_str!("../migrations/postgres/0034_guarantee_battery.sql"),
    },
    Migration {
        version: 35,
        name: "guarantee_battery_held",
        sqlite: include_str!("../migrations/sqlite/0035_guarantee_battery_held.sql"),
        postgres: include_str!("../migrations/postgres/0035_guarantee_battery_held.sql"),
    },
    Migration {
        version: 36,
        name: "complaint_attachment_files",
        sqlite: include_str!("../migrations/sqlite/0036_complaint_attachment_files.sql"),
        postgres: include_str!("../migrations/postgres/0036_complaint_attachment_files.sql"),
    },
    Migration {
        version: 37,
        name: "job_alerts",
        sqlite: include_str!("../migrations/sqlite/0037_job_alerts.sql"),
        postgres: include_str!("../migrations/postgres/0037_job_alerts.sql"),
    },
    Migration {
        version: 39,
        name: "complaint_categories",
        sqlite: include_str!("../migrations/sqlite/0039_complaint_categories.sql"),
        postgres: include_str!("../migrations/postgres/0039_complaint_categories.sql"),
    },
    Migration {
        version: 40,
        name: "guarantee_main_parts",
        sqlite: include_str!("../migrations/sqlite/0040_guarantee_main_parts.sql"),
        postgres: include_str!("../migrations/postgres/0040_guarantee_main_parts.sql"),
    },
    Migration {
        version: 41,
        name: "complaint_provisional",
        sqlite: include_str!("../migrations/sqlite/0041_complaint_provisional.sql"),
        postgres: include_str!("../migrations/postgres/0041_complaint_provisional.sql"),
    },
    Migration {
        version: 42,
        name: "follow_up_trigger_when",
        sqlite: include_str!("../migrations/sqlite/0042_follow_up_trigger_when.sql"),
        postgres: include_str!("../migrations/postgres/0042_follow_up_trigger_when.sql"),
    },
];

/// A fingerprint of the PostgreSQL migrations (their versions and SQL), stable across
/// builds: FNV-1a, written out because the standard library's hasher may change
/// between Rust versions. Names the template that test databases are copied from
/// ([`crate::test_database`]).
pub fn fingerprint() -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for m in MIGRATIONS {
        for byte in m.version.to_le_bytes().iter().chain(m.postgres.as_bytes()) {
            h ^= u64::from(*byte);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// Applies every migration not yet applied, each in its own transaction, and returns
/// how many were applied. Safe to run from several servers at once on PostgreSQL (an
/// advisory lock serialises them).
pub async fn run(db: &Db) -> StoreResult<usize> {
    let mut conn = db.pool.acquire().await?;
    if db.backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_lock(7215001)")
            .execute(&mut *conn)
            .await?;
    }
    let result = apply(db, &mut conn).await;
    if db.backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_unlock(7215001)")
            .execute(&mut *conn)
            .await?;
    }
    result
}

async fn apply(db: &Db, conn: &mut sqlx::AnyConnection) -> StoreResult<usize> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;
    let done: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.try_get::<i64, _>(0))
        .collect::<Result<_, _>>()?;
    let mut applied = 0;
    for m in MIGRATIONS.iter().filter(|m| !done.contains(&m.version)) {
        let sql = match db.backend {
            Backend::Sqlite => m.sqlite,
            Backend::Postgres => m.postgres,
        };
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(m.version)
        .bind(m.name)
        .bind(jiff::Timestamp::now().as_millisecond())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(version = m.version, name = m.name, "migration applied");
        applied += 1;
    }
    Ok(applied)
}

/// Drops every table of the database, migrations' record included, so the next
/// [`run`] starts from nothing. Only for a demo database whose build never finished
/// (see `app::demo::state`): nothing else calls it.
pub async fn drop_everything(db: &Db) -> StoreResult<()> {
    let mut conn = db.pool.acquire().await?;
    match db.backend {
        Backend::Postgres => {
            sqlx::raw_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
                .execute(&mut *conn)
                .await?;
        }
        Backend::Sqlite => {
            let tables: Vec<String> = sqlx::query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<Result<_, _>>()?;
            sqlx::raw_sql("PRAGMA foreign_keys = OFF")
                .execute(&mut *conn)
                .await?;
            for t in tables {
                let sql = format!("DROP TABLE IF EXISTS \"{}\"", t.replace('"', "\"\""));
                sqlx::raw_sql(AssertSqlSafe(sql))
                    .execute(&mut *conn)
                    .await?;
            }
            sqlx::raw_sql("PRAGMA foreign_keys = ON; VACUUM;")
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}
