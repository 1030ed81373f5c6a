//! Demo data, CSV import and CSV export against a real database: a temporary SQLite
//! file always, and a fresh PostgreSQL database per test when `TEST_DATABASE_URL` is
//! set (e.g. `postgres://postgres@127.0.0.1:5432/test`).
#![allow(clippy::expect_used, clippy::unwrap_used)]

use app::demo::{DemoOptions, Scale};
use app::import::{ImportKind, ImportReport, RowError};
use domain::ids::StationId;
use domain::permission::Reach;
use sqlx::{AssertSqlSafe, Row};
use store::Db;

/// A throw-away database; dropped by [`TestDb::finish`].
struct TestDb {
    db: Db,
    /// SQLite file to delete, or (admin URL, database name) to drop.
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

fn random_hex() -> String {
    let mut b = [0u8; 8];
    rand::fill(&mut b);
    hex::encode(b)
}

impl TestDb {
    async fn sqlite() -> TestDb {
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
    async fn postgres(admin_url: &str) -> TestDb {
        let name = format!("as_test_{}", random_hex());
        let admin = Db::connect(admin_url, 1).await.expect("connect postgres");
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin.pool)
            .await
            .expect("create database");
        admin.pool.close().await;
        let url = with_database(admin_url, &name);
        let db = Db::connect(&url, 5).await.expect("connect test database");
        store::migrate::run(&db).await.expect("migrate postgres");
        TestDb {
            db,
            cleanup: Cleanup::Postgres {
                admin_url: admin_url.to_string(),
                name,
            },
        }
    }

    async fn finish(self) {
        self.db.pool.close().await;
        match self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Postgres { admin_url, name } => {
                if let Ok(admin) = Db::connect(&admin_url, 1).await {
                    let _ = sqlx::query(AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&admin.pool)
                    .await;
                    admin.pool.close().await;
                }
            }
        }
    }
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let cut = base
        .rfind('/')
        .filter(|i| *i > "postgres://".len())
        .unwrap_or(base.len());
    format!("{}/{name}{query}", &base[..cut])
}

/// Every backend to run on: SQLite, plus PostgreSQL when configured.
async fn databases() -> Vec<TestDb> {
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
fn small(seed: u64) -> DemoOptions {
    let csv = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/china_geo/china_admin_divisions_with_coords.csv");
    DemoOptions {
        scale: Scale::Small,
        seed,
        geo_csv: csv.is_file().then_some(csv),
    }
}

async fn count(db: &Db, table: &str) -> i64 {
    sqlx::query(AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(&db.pool)
        .await
        .and_then(|r| r.try_get(0))
        .expect("count")
}

async fn vins(db: &Db) -> Vec<String> {
    sqlx::query("SELECT vin FROM vehicles ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .expect("vins")
        .iter()
        .map(|r| r.try_get::<String, _>(0).expect("vin"))
        .collect()
}

async fn import(db: &Db, kind: ImportKind, csv: &str) -> ImportReport {
    app::import::import_csv(db, kind, csv.as_bytes(), 1_770_000_000_000, &|_| {})
        .await
        .expect("import runs")
}

fn has(errors: &[RowError], row: u64, field: &str, rule: &str) -> bool {
    errors
        .iter()
        .any(|e| e.row == row && e.field == field && e.rule == rule)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_small_builds_with_the_promised_counts_and_accounts() {
    for t in databases().await {
        let db = &t.db;
        let phases = std::sync::Mutex::new(Vec::<String>::new());
        let summary = app::demo::build(db, &small(7), &|phase, _, _| {
            if let Ok(mut p) = phases.lock() {
                p.push(phase.to_string());
            }
        })
        .await
        .expect("demo builds");
        assert_eq!(
            (
                summary.regions,
                summary.stations,
                summary.customers,
                summary.vehicles
            ),
            (8, 12, 300, 360)
        );
        assert_eq!(summary.staff, 120);
        assert_eq!(count(db, "regions").await, 8);
        assert_eq!(count(db, "depots").await, 8);
        assert_eq!(count(db, "stations").await, 12);
        assert_eq!(count(db, "mobile_units").await, 24);
        assert_eq!(count(db, "staff").await, 120);
        assert_eq!(count(db, "customers").await, 300);
        assert_eq!(count(db, "vehicles").await, 360);
        assert_eq!(count(db, "ownerships").await, 360);
        let readings = count(db, "odometer_readings").await;
        assert!((360..=720).contains(&readings), "{readings} readings");
        assert!(
            phases
                .lock()
                .map(|p| p.iter().any(|x| x == "vehicles"))
                .unwrap_or(false)
        );

        // Every role exists; the fixed accounts sit where promised.
        let roles: Vec<String> = sqlx::query("SELECT DISTINCT role FROM staff ORDER BY role")
            .fetch_all(&db.pool)
            .await
            .expect("roles")
            .iter()
            .map(|r| r.try_get(0).expect("role"))
            .collect();
        for role in domain::role::Role::staff() {
            assert!(
                roles.iter().any(|r| r == role.code()),
                "missing {}",
                role.code()
            );
        }
        for (username, role) in app::demo::FIXED_ACCOUNTS {
            let creds =
                store::people::credentials(&mut db.pool.acquire().await.expect("conn"), username)
                    .await
                    .expect("credentials")
                    .unwrap_or_else(|| panic!("no account {username}"));
            assert_eq!(creds.staff.role, role.code(), "{username}");
            let expected_station = match username {
                "advisor2" => Some(2),
                _ if role.unit_kind() == domain::role::UnitKind::Station => Some(1),
                _ => None,
            };
            assert_eq!(creds.staff.station_id, expected_station, "{username}");
            if username == "admin" {
                assert!(app::password::verify(
                    app::demo::DEMO_PASSWORD,
                    &creds.password_hash
                ));
            }
        }
        let regional_region: i64 =
            sqlx::query("SELECT region_id FROM staff WHERE username = 'regional'")
                .fetch_one(&db.pool)
                .await
                .and_then(|r| r.try_get(0))
                .expect("regional");
        let first_station_region: i64 = sqlx::query("SELECT region_id FROM stations WHERE id = 1")
            .fetch_one(&db.pool)
            .await
            .and_then(|r| r.try_get(0))
            .expect("station 1");
        assert_eq!(regional_region, first_station_region);
        let tech_certs: Vec<String> = sqlx::query(
            "SELECT c.credential FROM certificates c JOIN staff s ON s.id = c.staff_id WHERE s.username = 'technician' ORDER BY c.credential",
        )
        .fetch_all(&db.pool)
        .await
        .expect("certs")
        .iter()
        .map(|r| r.try_get(0).expect("credential"))
        .collect();
        assert_eq!(
            tech_certs,
            vec![
                "grade:3".to_string(),
                "qualification:ev_high_voltage".to_string()
            ]
        );

        // The demo owner, every VIN and plate valid, owners of the vehicle's station.
        let owner: (i64, i64) =
            sqlx::query("SELECT id, station_id FROM customers WHERE phone = '+8613800000000'")
                .fetch_one(&db.pool)
                .await
                .and_then(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .expect("demo owner");
        assert_eq!(owner, (1, 1));
        for vin in vins(db).await {
            assert!(domain::vin::Vin::parse(&vin).is_ok(), "bad VIN {vin}");
        }
        let plates = sqlx::query("SELECT plate, is_ev FROM vehicles WHERE plate IS NOT NULL")
            .fetch_all(&db.pool)
            .await
            .expect("plates");
        for r in &plates {
            let plate: String = r.try_get(0).expect("plate");
            let ev: i64 = r.try_get(1).expect("ev");
            let parsed = domain::plate::Plate::parse(&plate).expect("plate parses");
            assert_eq!(parsed.is_new_energy(), ev != 0, "{plate}");
        }
        let foreign = count_where(
            db,
            "vehicles v JOIN customers c ON c.id = v.owner_id WHERE c.station_id <> v.station_id",
        )
        .await;
        assert_eq!(foreign, 0);

        // A second run refuses: the database is no longer empty.
        let again = app::demo::build(db, &small(7), &|_, _, _| {}).await;
        assert!(matches!(again, Err(app::AppError::Refused(_))), "{again:?}");
        t.finish().await;
    }
}

async fn count_where(db: &Db, from: &str) -> i64 {
    sqlx::query(AssertSqlSafe(format!("SELECT COUNT(*) FROM {from}")))
        .fetch_one(&db.pool)
        .await
        .and_then(|r| r.try_get(0))
        .expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_is_deterministic_for_a_seed() {
    let mut lists = Vec::new();
    // Two databases of each backend: the same seed gives the same VINs everywhere.
    for _ in 0..2 {
        for t in databases().await {
            app::demo::build(&t.db, &small(42), &|_, _, _| {})
                .await
                .expect("demo builds");
            lists.push(vins(&t.db).await);
            t.finish().await;
        }
    }
    assert_eq!(lists[0].len(), 360);
    for l in &lists[1..] {
        assert_eq!(l, &lists[0]);
    }
    let mut unique = lists[0].clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 360, "VINs are unique");
    let other = TestDb::sqlite().await;
    app::demo::build(&other.db, &small(43), &|_, _, _| {})
        .await
        .expect("demo builds");
    assert_ne!(
        vins(&other.db).await,
        lists[0],
        "another seed gives other data"
    );
    other.finish().await;
}

const STATIONS_CSV: &str = "code,name_zh,name_en,region_code,address,adcode,city,lon,lat,opening_hours,bays,capabilities,labour_rate_yuan
SH-9001,上海浦东4S店,Shanghai Pudong Service Centre,EAST1,上海市浦东新区世纪大道100号,310115,上海市,121.544346,31.221461,08:30-18:00,12,maintenance;mechanical;ev_high_voltage,180.00
SH-9002,上海闵行4S店,Shanghai Minhang Service Centre,EAST1,上海市闵行区莘庄路8号,310112,上海市,121.381709,31.112813,08:00-17:30,8,maintenance;tyres,165.5
";

fn customers_csv() -> String {
    "name,phone,station_code,channel,quiet_hours,consent_service,consent_marketing
张伟,139 1111 0001,SH-9001,wechat,22:00-08:00,1,0
李娜,13911110002,SH-9001,sms,,yes,no
王芳,+8613911110003,SH-9002,app,,1,1
"
    .to_string()
}

fn vehicle_line(vin: &str, plate: &str, owner: &str, station: &str) -> String {
    format!(
        "{vin},比亚迪,汉,2024,{plate},2024-03-01,2024-03-01,2027-02-28,100000,1,{owner},{station}\n"
    )
}

fn vin(serial: &str) -> String {
    domain::vin::Vin::with_check_digit("LGXFD4H3", serial)
        .expect("vin")
        .to_string()
}

/// A regions-only database: the network the imports refer to.
async fn with_regions(db: &Db) {
    let mut conn = db.pool.acquire().await.expect("conn");
    for (code, zh, en) in [
        ("EAST1", "华东一区", "East China I"),
        ("NORTH", "华北大区", "North China"),
    ] {
        store::network::insert_region(&mut conn, code, zh, en)
            .await
            .expect("region");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_file_of_each_kind_imports_completely() {
    for t in databases().await {
        let db = &t.db;
        with_regions(db).await;
        let r = import(db, ImportKind::Stations, STATIONS_CSV).await;
        assert_eq!(
            r,
            ImportReport {
                imported: 2,
                errors: vec![],
                ..ImportReport::default()
            }
        );
        let r = import(db, ImportKind::Customers, &customers_csv()).await;
        assert_eq!(
            r,
            ImportReport {
                imported: 3,
                errors: vec![],
                ..ImportReport::default()
            }
        );
        let mut vehicles = app::import::template_header(ImportKind::Vehicles).to_string();
        vehicles.push('\n');
        vehicles.push_str(&vehicle_line(
            &vin("TA000001"),
            "沪AD12345",
            "13911110001",
            "SH-9001",
        ));
        vehicles.push_str(&vehicle_line(
            &vin("TA000002"),
            "",
            "13911110003",
            "sh-9002",
        ));
        let r = import(db, ImportKind::Vehicles, &vehicles).await;
        assert_eq!(
            r,
            ImportReport {
                imported: 2,
                errors: vec![],
                ..ImportReport::default()
            }
        );
        assert_eq!(count(db, "vehicles").await, 2);
        assert_eq!(count(db, "ownerships").await, 2);
        let row = sqlx::query(
            "SELECT v.plate, c.phone, s.code, s.labour_rate_fen FROM vehicles v JOIN customers c ON c.id = v.owner_id \
             JOIN stations s ON s.id = v.station_id ORDER BY v.id LIMIT 1",
        )
        .fetch_one(&db.pool)
        .await
        .expect("vehicle");
        assert_eq!(
            row.try_get::<Option<String>, _>(0)
                .expect("plate")
                .as_deref(),
            Some("沪AD12345")
        );
        assert_eq!(
            row.try_get::<String, _>(1).expect("phone"),
            "+8613911110001"
        );
        assert_eq!(row.try_get::<String, _>(2).expect("code"), "SH-9001");
        assert_eq!(row.try_get::<i64, _>(3).expect("rate"), 18_000);
        let owned = count_where(db, "ownerships o JOIN vehicles v ON v.id = o.vehicle_id WHERE o.customer_id = v.owner_id AND o.to_at IS NULL").await;
        assert_eq!(owned, 2);

        let staff = "username,name,role,station_code,region_code,phone,password
sh.advisor,赵敏,service_advisor,SH-9001,,13700000001,secret-pass-1
east.rm,钱磊,regional_manager,,EAST1,13700000002,secret-pass-1
hq.audit,孙丽,quality_auditor,,,13700000003,another-pass
";
        let r = import(db, ImportKind::Staff, staff).await;
        assert_eq!(
            r,
            ImportReport {
                imported: 3,
                errors: vec![],
                ..ImportReport::default()
            }
        );
        let creds =
            store::people::credentials(&mut db.pool.acquire().await.expect("conn"), "east.rm")
                .await
                .expect("credentials")
                .expect("imported account");
        assert!(app::password::verify("secret-pass-1", &creds.password_hash));
        assert_eq!(creds.staff.region_id, Some(1));
        t.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_with_bad_rows_reports_each_and_writes_nothing() {
    for t in databases().await {
        let db = &t.db;
        with_regions(db).await;
        assert_eq!(
            import(db, ImportKind::Stations, STATIONS_CSV)
                .await
                .imported,
            2
        );
        assert_eq!(
            import(db, ImportKind::Customers, &customers_csv())
                .await
                .imported,
            3
        );
        let good = vin("TA000001");
        let mut wrong_check = vin("TA000009");
        let ninth = if wrong_check.as_bytes()[8] == b'0' {
            "1"
        } else {
            "0"
        };
        wrong_check.replace_range(8..9, ninth);
        let mut csv = app::import::template_header(ImportKind::Vehicles).to_string();
        csv.push('\n');
        csv.push_str(&vehicle_line(&good, "沪AD12345", "13911110001", "SH-9001")); // 1: fine
        csv.push_str(&vehicle_line(
            &wrong_check,
            "沪AD12346",
            "13911110001",
            "SH-9001",
        )); // 2: check digit
        csv.push_str(&vehicle_line(
            &vin("TA000003"),
            "沪AD12347",
            "12345",
            "SH-9001",
        )); // 3: bad phone
        csv.push_str(&vehicle_line(
            &vin("TA000004"),
            "沪AD12348",
            "13911110002",
            "XX-0001",
        )); // 4: unknown station
        csv.push_str(&vehicle_line(&good, "沪AD12349", "13911110002", "SH-9002")); // 5: duplicate of row 1
        csv.push_str(&vehicle_line(
            &vin("TA000006"),
            "沪A1234",
            "13988887777",
            "SH-9002",
        )); // 6: plate, unknown owner
        let before = (
            count(db, "vehicles").await,
            count(db, "ownerships").await,
            count(db, "customers").await,
        );
        let r = import(db, ImportKind::Vehicles, &csv).await;
        assert_eq!(r.imported, 0);
        assert!(
            has(&r.errors, 2, "vin", "vin.check_digit"),
            "{:?}",
            r.errors
        );
        assert!(
            has(&r.errors, 3, "owner_phone", "phone.cn_mobile"),
            "{:?}",
            r.errors
        );
        assert!(
            has(&r.errors, 4, "station_code", "station.unknown"),
            "{:?}",
            r.errors
        );
        assert!(
            has(&r.errors, 5, "vin", "import.duplicate_in_file"),
            "{:?}",
            r.errors
        );
        assert!(has(&r.errors, 6, "plate", "plate.length"), "{:?}", r.errors);
        assert!(
            !r.errors.iter().any(|e| e.row == 1),
            "row 1 is fine: {:?}",
            r.errors
        );
        assert_eq!(r.errors.len(), 5, "{:?}", r.errors);
        let after = (
            count(db, "vehicles").await,
            count(db, "ownerships").await,
            count(db, "customers").await,
        );
        assert_eq!(before, after);

        // Against the database: a taken phone, and an owner that does not exist.
        let customers =
            "name,phone,station_code,channel,quiet_hours,consent_service,consent_marketing
重复,13911110001,SH-9001,sms,,1,0
新人,13911110009,SH-9001,fax,25:00-08:00,1,maybe
";
        let r = import(db, ImportKind::Customers, customers).await;
        assert_eq!(r.imported, 0);
        assert!(
            has(&r.errors, 1, "phone", "import.already_exists"),
            "{:?}",
            r.errors
        );
        assert!(
            has(&r.errors, 2, "channel", "customer.channel"),
            "{:?}",
            r.errors
        );
        assert!(
            has(&r.errors, 2, "quiet_hours", "customer.quiet_hours"),
            "{:?}",
            r.errors
        );
        assert!(
            has(&r.errors, 2, "consent_marketing", "import.bool"),
            "{:?}",
            r.errors
        );
        assert_eq!(count(db, "customers").await, 3);
        let mut owners = app::import::template_header(ImportKind::Vehicles).to_string();
        owners.push('\n');
        owners.push_str(&vehicle_line(
            &vin("TA000007"),
            "",
            "13988887777",
            "SH-9001",
        ));
        let r = import(db, ImportKind::Vehicles, &owners).await;
        assert_eq!(
            r.errors,
            vec![RowError {
                row: 1,
                field: "owner_phone".into(),
                rule: "customer.unknown"
            }]
        );
        let r = import(db, ImportKind::Stations, "code,name_zh\nX,Y\n").await;
        assert!(
            has(&r.errors, 0, "lon", "import.missing_column"),
            "{:?}",
            r.errors
        );
        assert_eq!(count(db, "vehicles").await, 0);
        t.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stations_export_holds_only_its_rows_with_masked_phones() {
    for t in databases().await {
        let db = &t.db;
        app::demo::build(db, &small(11), &|_, _, _| {})
            .await
            .expect("demo builds");
        let station: (i64, String) = sqlx::query("SELECT id, code FROM stations WHERE id = 1")
            .fetch_one(&db.pool)
            .await
            .and_then(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .expect("station");
        let own = count_where(db, "vehicles WHERE station_id = 1").await;
        assert!(own > 0 && own < 360);
        let mut out = Vec::new();
        let n = app::export::export_csv(
            db,
            &Reach::Station(StationId(station.0)),
            ImportKind::Vehicles,
            &mut out,
        )
        .await
        .expect("export");
        assert_eq!(n as i64, own);
        let text = String::from_utf8(out).expect("utf-8");
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some(app::import::template_header(ImportKind::Vehicles))
        );
        let rows: Vec<Vec<String>> = lines
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect();
        assert_eq!(rows.len() as i64, own);
        for r in &rows {
            assert_eq!(r[11], station.1, "only the station's own vehicles");
            let phone = &r[10];
            assert!(
                phone.len() == 11 && &phone[3..7] == "****",
                "masked phone {phone}"
            );
        }
        assert!(
            rows.iter().any(|r| r[10] == "138****0000"),
            "the demo owner's car is there, masked"
        );
        assert!(!text.contains("+86"), "no whole numbers");

        // The whole network exports everything; an owner's reach gets their own cars only.
        let mut all = Vec::new();
        let n_all = app::export::export_csv(db, &Reach::All, ImportKind::Vehicles, &mut all)
            .await
            .expect("export all");
        assert_eq!(n_all, 360);
        let mut mine = Vec::new();
        let n_mine = app::export::export_csv(
            db,
            &Reach::Customer(domain::ids::CustomerId(1)),
            ImportKind::Vehicles,
            &mut mine,
        )
        .await
        .expect("export own");
        assert_eq!(
            n_mine as i64,
            count_where(db, "vehicles WHERE owner_id = 1").await
        );
        let mut staff = Vec::new();
        let n_staff = app::export::export_csv(
            db,
            &Reach::Station(StationId(station.0)),
            ImportKind::Staff,
            &mut staff,
        )
        .await
        .expect("export staff");
        assert_eq!(
            n_staff as i64,
            count_where(db, "staff WHERE station_id = 1").await
        );
        t.finish().await;
    }
}
