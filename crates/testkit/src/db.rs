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
                let admin = store::Db::connect(&admin_url, 1)
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&admin.pool)
                    .await
                    .expect("create test database");
                admin.pool.close().await;
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_string())
                    .unwrap_or(admin_url.clone());
                let url = format!("{base}/{name}");
                let db = store::Db::connect(&url, 16)
                    .await
                    .expect("connect to test database");
                store::migrate::run(&db).await.expect("migrate");
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
                    rt.block_on(async move {
                        let admin = store::Db::connect(&url, 1).await.ok()?;
                        sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .execute(&admin.pool)
                        .await
                        .ok()
                    })
                })
                .join();
            }
        }
    }
}
