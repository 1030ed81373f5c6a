//! What the demo, import and export tests share: a throw-away database on every
//! configured backend, small demo options, counters and the import call.

use app::demo::DemoOptions;
use app::demo::Scale;
use app::import::ImportKind;
use app::import::ImportReport;
use app::import::RowError;
use sqlx::AssertSqlSafe;
use sqlx::Row;
use store::Db;

/// A throw-away database; dropped by [`TestDb::finish`].
pub(crate) struct TestDb {
    pub(crate) db: Db,
    /// SQLite file to delete, or (admin URL, database name) to drop.
    cleanup: Cleanup,
}

pub(crate) enum Cleanup {
    File(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

pub(crate) fn random_hex() -> String {
    let mut b = [0u8; 8];
    rand::fill(&mut b);
    hex::encode(b)
}

impl TestDb {
    pub(crate) async fn sqlite() -> TestDb {
        let path = std::env::temp_dir().join(format!("as_test_{}.db", random_hex()));
        let db = Db::connect(&format!("sqlite://{}", path.display()), 5)
            .await
            .expect("connect sqlite");
        store::migrate::run(&db).await.expect("migrate sqlite");
        TestDb {
            db,
            cleanup: Cleanup::File(path),
        }
    }

    /// A new PostgreSQL database next to the one `TEST_DATABASE_URL` names.
    pub(crate) async fn postgres(admin_url: &str) -> TestDb {
        let name = format!("as_test_{}", random_hex());
        let url = store::test_database::create(admin_url, &name)
            .await
            .expect("create database from the migrated template");
        let db = Db::connect(&url, 5).await.expect("connect test database");
        TestDb {
            db,
            cleanup: Cleanup::Postgres {
                admin_url: admin_url.to_string(),
                name,
            },
        }
    }

    pub(crate) async fn finish(self) {
        self.db.pool.close().await;
        match self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Postgres { admin_url, name } => {
                let _ = store::test_database::drop(&admin_url, &name).await;
            }
        }
    }
}

/// Every backend to run on: SQLite, plus PostgreSQL when configured.
pub(crate) async fn databases() -> Vec<TestDb> {
    let mut out = vec![TestDb::sqlite().await];
    if let Ok(url) = std::env::var("TEST_DATABASE_URL")
        && !url.trim().is_empty()
    {
        out.push(TestDb::postgres(url.trim()).await);
    }
    out
}

/// Small demo options, with the shared administrative-division CSV when it is there
/// (otherwise the built-in city table).
pub(crate) fn small(seed: u64) -> DemoOptions {
    let csv = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/china_geo/china_admin_divisions_with_coords.csv");
    DemoOptions {
        scale: Scale::Small,
        seed,
        geo_csv: csv.is_file().then_some(csv),
    }
}

pub(crate) async fn count(db: &Db, table: &str) -> i64 {
    sqlx::query(AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(&db.pool)
        .await
        .and_then(|r| r.try_get(0))
        .expect("count")
}

pub(crate) async fn vins(db: &Db) -> Vec<String> {
    sqlx::query("SELECT vin FROM vehicles ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .expect("vins")
        .iter()
        .map(|r| r.try_get::<String, _>(0).expect("vin"))
        .collect()
}

pub(crate) async fn import(db: &Db, kind: ImportKind, csv: &str) -> ImportReport {
    app::import::import_csv(db, kind, csv.as_bytes(), 1_770_000_000_000, &|_| {})
        .await
        .expect("import runs")
}

pub(crate) fn has(errors: &[RowError], row: u64, field: &str, rule: &str) -> bool {
    errors
        .iter()
        .any(|e| e.row == row && e.field == field && e.rule == rule)
}

pub(crate) async fn count_where(db: &Db, from: &str) -> i64 {
    sqlx::query(AssertSqlSafe(format!("SELECT COUNT(*) FROM {from}")))
        .fetch_one(&db.pool)
        .await
        .and_then(|r| r.try_get(0))
        .expect("count")
}
