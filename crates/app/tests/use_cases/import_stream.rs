//! The streamed CSV import on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is
//! set: a file of several batches goes in whole; one bad row in its last batch keeps
//! every batch out; the same file again writes nothing; an interrupted run (its
//! resume point left in `import_runs`) continues after it; empty warranty columns
//! of vehicles take the API's defaults.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::AppSettings;
use app::import::{BATCH_ROWS, ImportKind, ImportReport, Phase, Progress};
use sqlx::Row;
use store::Db;

use crate::common;
use common::Env;

const PREFIX: &str = "import_stream";

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let env = super::Env::sqlite(super::PREFIX, super::AppSettings::default()).await;
                super::$name(&env.app.db).await;
                env.finish().await;
            }
            )*
        }
        mod postgres {
            $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(env) = super::Env::postgres(super::PREFIX, super::AppSettings::default()).await else {
                    eprintln!("TEST_DATABASE_URL not set; skipped");
                    return;
                };
                super::$name(&env.app.db).await;
                env.finish().await;
            }
            )*
        }
    };
}

both!(
    batches_go_in_whole_or_not_at_all,
    an_interrupted_run_continues_after_its_resume_point,
    empty_warranty_columns_take_the_api_defaults,
);

const NOW: i64 = 1_770_000_000_000;

async fn import(db: &Db, kind: ImportKind, csv: &str) -> ImportReport {
    app::import::import_csv(db, kind, csv.as_bytes(), NOW, &|_| {})
        .await
        .expect("import runs")
}

async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {sql}")))
        .fetch_one(&db.pool)
        .await
        .and_then(|r| r.try_get(0))
        .expect("count")
}

/// One region and station SH-9001 for the rows to refer to.
async fn network(db: &Db) {
    let mut conn = db.pool.acquire().await.expect("conn");
    store::network::insert_region(&mut conn, "EAST1", "华东一区", "East China I")
        .await
        .expect("region");
    drop(conn);
    let r = import(
        db,
        ImportKind::Stations,
        "code,name_zh,name_en,region_code,address,adcode,city,lon,lat,opening_hours,bays,capabilities,labour_rate_yuan\n\
         SH-9001,上海浦东4S店,Shanghai Pudong,EAST1,上海市浦东新区世纪大道100号,310115,上海市,121.544346,31.221461,08:30-18:00,12,maintenance,180.00\n",
    )
    .await;
    assert_eq!(r.imported, 1, "{r:?}");
}

fn customers(from: usize, to: usize) -> String {
    let mut csv = app::import::template_header(ImportKind::Customers).to_string();
    csv.push('\n');
    for i in from..to {
        csv.push_str(&format!("客户{i},139{i:08},SH-9001,sms,,1,0\n"));
    }
    csv
}

async fn batches_go_in_whole_or_not_at_all(db: &Db) {
    network(db).await;
    let rows = BATCH_ROWS * 2 + 7;
    // One bad phone in the last batch: the two good batches before it stay out too.
    let mut bad = customers(0, rows - 1);
    bad.push_str("坏号码,12345,SH-9001,sms,,1,0\n");
    let r = import(db, ImportKind::Customers, &bad).await;
    assert_eq!((r.imported, r.error_count), (0, 1), "{r:?}");
    assert_eq!(r.errors[0].row, rows as u64);
    assert_eq!(r.errors[0].field, "phone");
    assert_eq!(count(db, "customers").await, 0);
    assert_eq!(count(db, "import_runs WHERE kind = 'customers'").await, 0);
    // A duplicate across batches (row 1 and the last row) is found too.
    let mut dup = customers(0, rows - 1);
    dup.push_str("重复,13900000000,SH-9001,sms,,1,0\n");
    let r = import(db, ImportKind::Customers, &dup).await;
    assert_eq!(r.error_count, 1, "{r:?}");
    assert_eq!(r.errors[0].rule, "import.duplicate_in_file");
    assert_eq!(count(db, "customers").await, 0);

    let good = customers(0, rows);
    let seen = std::sync::Mutex::new(Vec::<Progress>::new());
    let r = app::import::import_csv(db, ImportKind::Customers, good.as_bytes(), NOW, &|p| {
        seen.lock().unwrap().push(p)
    })
    .await
    .expect("import runs");
    assert_eq!(
        r,
        ImportReport {
            imported: rows as u64,
            ..ImportReport::default()
        }
    );
    let seen = seen.into_inner().unwrap();
    let writes: Vec<u64> = seen
        .iter()
        .filter(|p| p.phase == Phase::Write)
        .map(|p| p.rows)
        .collect();
    assert_eq!(
        writes,
        vec![5_000, 10_000, rows as u64],
        "one step per batch"
    );
    assert!(seen.iter().all(|p| p.lines == rows as u64 + 1));
    assert_eq!(count(db, "customers").await, rows as i64);

    // The same file again: nothing written, and the report says why.
    let r = import(db, ImportKind::Customers, &good).await;
    assert!(r.already_imported, "{r:?}");
    assert_eq!((r.imported, r.resumed_after), (0, rows as u64));
    assert_eq!(count(db, "customers").await, rows as i64);
}

async fn an_interrupted_run_continues_after_its_resume_point(db: &Db) {
    network(db).await;
    let rows = BATCH_ROWS * 2 + 3;
    let file = customers(0, rows);
    // What a run killed after its first batch leaves: that batch, and its resume
    // point in the same transaction.
    let hash = hex_sha256(file.as_bytes());
    let first = customers(0, BATCH_ROWS);
    let r = import(db, ImportKind::Customers, &first).await;
    assert_eq!(r.imported, BATCH_ROWS as u64);
    let mut conn = db.pool.acquire().await.expect("conn");
    let run = store::import::start(&mut conn, &hash, "customers", NOW)
        .await
        .expect("start");
    store::import::advance(
        &mut conn,
        run.id,
        BATCH_ROWS as u64,
        store::import::WRITING,
        NOW,
    )
    .await
    .expect("advance");
    drop(conn);

    let r = import(db, ImportKind::Customers, &file).await;
    assert_eq!(
        r,
        ImportReport {
            imported: (rows - BATCH_ROWS) as u64,
            resumed_after: BATCH_ROWS as u64,
            ..ImportReport::default()
        }
    );
    assert_eq!(count(db, "customers").await, rows as i64);
    let mut conn = db.pool.acquire().await.expect("conn");
    let run = store::import::find(&mut conn, &hash, "customers")
        .await
        .expect("find")
        .expect("the run");
    assert_eq!(
        (run.rows_done, run.state.as_str()),
        (rows as u64, store::import::DONE)
    );
}

async fn empty_warranty_columns_take_the_api_defaults(db: &Db) {
    network(db).await;
    assert_eq!(
        import(db, ImportKind::Customers, &customers(0, 1))
            .await
            .imported,
        1
    );
    let vin = domain::vin::Vin::with_check_digit("LGXFD4H3", "TA000001")
        .expect("vin")
        .to_string();
    let mut csv = app::import::template_header(ImportKind::Vehicles).to_string();
    csv.push('\n');
    csv.push_str(&format!(
        "{vin},比亚迪,汉,2024,,2024-01-01,,,,1,13900000000,SH-9001\n"
    ));
    let r = import(db, ImportKind::Vehicles, &csv).await;
    assert_eq!(r.imported, 1, "{r:?}");
    let row = sqlx::query("SELECT warranty_start, warranty_end, warranty_km FROM vehicles")
        .fetch_one(&db.pool)
        .await
        .expect("vehicle");
    let start: String = row.try_get(0).expect("start");
    let end: String = row.try_get(1).expect("end");
    let km: i64 = row.try_get(2).expect("km");
    assert_eq!(start, "2024-01-01", "starts on the purchase date");
    assert_eq!(
        end,
        domain::vehicle::default_warranty_end(jiff::civil::date(2024, 1, 1))
            .expect("end")
            .to_string()
    );
    assert_eq!(
        end, "2027-01-01",
        "Civil Code Arts 201-202: the corresponding day"
    );
    assert_eq!(km, domain::vehicle::DEFAULT_WARRANTY_KM);
}

fn hex_sha256(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}
