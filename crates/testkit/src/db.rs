//! A fresh database per test: a temporary SQLite file, or a new PostgreSQL database
//! made from `TEST_DATABASE_URL`, migrated, and removed when dropped.

/// A fresh, migrated database of the backend under test, dropped (PostgreSQL) or
/// deleted (SQLite) when the value is dropped.
pub struct TestDb {
    /// The database.
    pub db: store::Db,
    /// Its URL, for other processes to open it too.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

fn random_name(prefix: &str) -> String {
    format!("{prefix}_{:016x}", rand::random::<u64>())
}

impl TestDb {
    /// Creates the database.
    pub async fn new() -> TestDb {
        match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            Some(admin_url) => {
                let name = random_name("as_test");
                let url = store::test_database::create(&admin_url, &name)
                    .await
                    .expect("create test database from the migrated template");
                let db = store::Db::connect(&url, 16)
                    .await
                    .expect("connect to test database");
                TestDb {
                    db,
                    url,
                    cleanup: Cleanup::Postgres { admin_url, name },
                }
            }
            None => {
                let path =
                    std::env::temp_dir().join(format!("{}.db", random_name("aftersales_test")));
                let url = format!("sqlite://{}", path.display());
                let db = store::Db::connect(&url, 16).await.expect("open sqlite");
                store::migrate::run(&db).await.expect("migrate");
                TestDb {
                    db,
                    url,
                    cleanup: Cleanup::File(path),
                }
            }
        }
    }

    /// Whether this is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self.cleanup, Cleanup::Postgres { .. })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(p) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
                }
            }
            Cleanup::Postgres { admin_url, name } => {
                let (url, name) = (admin_url.clone(), name.clone());
                // Dropping needs its own runtime: Drop cannot await.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .ok()?;
                    rt.block_on(store::test_database::drop(&url, &name)).ok()
                })
                .join();
            }
        }
    }
}
