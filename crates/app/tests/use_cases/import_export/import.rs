//! CSV import: a good file of each kind imports completely; a file with bad rows
//! reports each and writes nothing.

use super::support::count;
use super::support::count_where;
use super::support::databases;
use super::support::has;
use super::support::import;
use app::import::ImportKind;
use app::import::ImportReport;
use app::import::RowError;
use sqlx::Row;
use store::Db;

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
        // After a load the planner's statistics are fresh (PostgreSQL; SQLite keeps none).
        if db.backend == store::Backend::Postgres {
            let analysed = sqlx::query(
                "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'customers'",
            )
            .fetch_one(&db.pool)
            .await
            .expect("statistics");
            assert!(analysed.try_get::<bool, _>(0).expect("flag"), "ANALYZE ran");
        }
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
