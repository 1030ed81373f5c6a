//! The demo data: the small demo's promised counts and accounts, and the same data
//! for the same seed.

use super::support::TestDb;
use super::support::count;
use super::support::count_where;
use super::support::databases;
use super::support::small;
use super::support::vins;
use sqlx::Row;

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
