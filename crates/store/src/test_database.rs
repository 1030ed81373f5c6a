//! Throw-away PostgreSQL databases for test harnesses, each a copy of a migrated
//! template.
//!
//! Why: migrating a new database on PostgreSQL takes about two seconds (thirty-odd
//! migrations, each its own transaction), and the test suites make one database per
//! test, so the PostgreSQL run spent most of its time migrating. `CREATE DATABASE …
//! TEMPLATE` copies a migrated one in a fraction of that. The template's name carries
//! a fingerprint of the migrations ([`crate::migrate::fingerprint`]), so a changed
//! migration makes a new template instead of reusing a stale one, and two checkouts
//! with different migrations can test against one server side by side.

use crate::db::Db;
use crate::error::StoreResult;
use sqlx::AssertSqlSafe;

/// The name of the template database of the current migrations.
pub fn template_name() -> String {
    format!("as_template_{:016x}", crate::migrate::fingerprint())
}

/// The URL of database `name` on the server of `admin_url` (its path replaced, its
/// query kept).
pub fn url_of(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin_url, None),
    };
    let server = base.rsplit_once('/').map_or(base, |(s, _)| s);
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

/// Creates database `name` (letters, digits and `_` only) on the server of
/// `admin_url` as a copy of the migrated template, building the template first if no
/// process has yet. Returns the new database's URL.
pub async fn create(admin_url: &str, name: &str) -> StoreResult<String> {
    let admin = Db::connect(admin_url, 1).await?;
    let result = create_with(&admin, admin_url, name).await;
    admin.pool.close().await;
    result
}

async fn create_with(admin: &Db, admin_url: &str, name: &str) -> StoreResult<String> {
    let template = template_name();
    if !exists(admin, &template).await? {
        build_template(admin, admin_url, &template).await?;
    }
    sqlx::query(AssertSqlSafe(format!(
        "CREATE DATABASE {name} TEMPLATE {template}"
    )))
    .execute(&admin.pool)
    .await?;
    Ok(url_of(admin_url, name))
}

async fn exists(admin: &Db, name: &str) -> StoreResult<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_one(&admin.pool)
        .await?;
    Ok(n > 0)
}

/// Migrates a database under a name of its own and renames it to the template's
/// only when complete, so no process ever copies a half-migrated template. When two
/// processes race, the second rename fails and that copy is dropped.
async fn build_template(admin: &Db, admin_url: &str, template: &str) -> StoreResult<()> {
    let building = format!("{template}_b{:08x}", rand::random::<u32>());
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {building}")))
        .execute(&admin.pool)
        .await?;
    let db = Db::connect(&url_of(admin_url, &building), 1).await?;
    let migrated = crate::migrate::run(&db).await;
    db.pool.close().await;
    let renamed = match migrated {
        Ok(_) => {
            sqlx::query(AssertSqlSafe(format!(
                "ALTER DATABASE {building} RENAME TO {template}"
            )))
            .execute(&admin.pool)
            .await
        }
        Err(e) => {
            drop_database(admin, &building).await?;
            return Err(e);
        }
    };
    if renamed.is_err() {
        drop_database(admin, &building).await?;
        if !exists(admin, template).await? {
            renamed?;
        }
    }
    Ok(())
}

/// Drops database `name` on the server of `admin_url`, closing its connections.
pub async fn drop(admin_url: &str, name: &str) -> StoreResult<()> {
    let admin = Db::connect(admin_url, 1).await?;
    let result = drop_database(&admin, name).await;
    admin.pool.close().await;
    result
}

async fn drop_database(admin: &Db, name: &str) -> StoreResult<()> {
    sqlx::query(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&admin.pool)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_keeps_its_server_and_query_and_changes_its_database() {
        assert_eq!(
            url_of("postgres://postgres@127.0.0.1:5432/test", "as_x"),
            "postgres://postgres@127.0.0.1:5432/as_x"
        );
        assert_eq!(
            url_of("postgres://u@h/test?sslmode=disable", "as_x"),
            "postgres://u@h/as_x?sslmode=disable"
        );
    }

    #[test]
    fn the_template_is_named_after_the_migrations() {
        let name = template_name();
        assert!(name.starts_with("as_template_"), "{name}");
        assert_eq!(name.len(), "as_template_".len() + 16);
        assert_eq!(name, template_name());
    }
}
