//! Test-only helpers: start the whole app on a temporary SQLite file, or on a fresh
//! PostgreSQL database when `TEST_DATABASE_URL` is set, and a small fixture of the
//! network, people, customers and vehicles.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use app::App;
use app::clock::ManualClock;
use std::sync::Arc;

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

/// Ids of the fixture's records.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// Region of station A.
    pub region_a: i64,
    /// Another region.
    pub region_b: i64,
    /// Station A (region A).
    pub station_a: i64,
    /// Station B (region B).
    pub station_b: i64,
    /// A customer of station A.
    pub customer_a: i64,
    /// A customer of station B.
    pub customer_b: i64,
    /// A vehicle of customer A at station A.
    pub vehicle_a: i64,
    /// Its VIN.
    pub vin_a: String,
    /// A vehicle of customer B at station B.
    pub vehicle_b: i64,
    /// Its VIN.
    pub vin_b: String,
}

/// The password of every fixture account.
pub const PASSWORD: &str = "fixture-pass-1";

/// Reading the manual clock in tests.
pub trait ClockExt {
    /// Now in UTC milliseconds.
    fn now_ms_for_test(&self) -> i64;
}

impl ClockExt for ManualClock {
    fn now_ms_for_test(&self) -> i64 {
        app::clock::Clock::now(self).as_millisecond()
    }
}

/// A running server on a random port over a test database.
pub struct TestApp {
    /// Base URL, e.g. `http://127.0.0.1:39213`.
    pub base: String,
    /// The application (for direct use-case calls).
    pub app: App,
    /// The clock, moved by hand.
    pub clock: Arc<ManualClock>,
    /// The fixture.
    pub fx: Fixture,
    /// Keeps the database alive.
    pub test_db: TestDb,
}

async fn staff(
    db: &store::Db,
    hash: &str,
    username: &str,
    role: &str,
    station: Option<i64>,
    region: Option<i64>,
) {
    let mut c = db.pool.acquire().await.unwrap();
    let s = store::people::NewStaff {
        username: username.into(),
        name: format!("测试{username}"),
        role: role.into(),
        station_id: station,
        region_id: region,
        phone: "+8613900000000".into(),
        password_hash: hash.into(),
    };
    store::people::insert_staff(&mut c, &s, 0).await.unwrap();
}

/// Builds the fixture: two regions, two stations, one account per role (username =
/// role code, tied to station A / region A / head office), a customer and vehicle per station.
pub async fn fixture(db: &store::Db) -> Fixture {
    let mut c = db.pool.acquire().await.unwrap();
    let region_a = store::network::insert_region(&mut c, "NORTH", "华北", "North")
        .await
        .unwrap();
    let region_b = store::network::insert_region(&mut c, "SOUTH", "华南", "South")
        .await
        .unwrap();
    let st = |code: &str, region: i64| store::network::StationFields {
        code: code.into(),
        name_zh: format!("{code}服务站"),
        name_en: format!("{code} Station"),
        region_id: region,
        address: "测试路1号".into(),
        adcode: "110105".into(),
        city: "北京市".into(),
        lon_e6: 116_400_000,
        lat_e6: 39_900_000,
        opening_hours: "08:30-18:00".into(),
        bays: 10,
        capabilities: vec!["maintenance".into()],
        labour_rate_fen: 18_000,
    };
    let station_a = store::network::insert_station(&mut c, &st("BJ-0001", region_a), 0)
        .await
        .unwrap();
    let station_b = store::network::insert_station(&mut c, &st("GZ-0001", region_b), 0)
        .await
        .unwrap();
    drop(c);
    let hash = app::password::hash(PASSWORD).unwrap();
    for role in domain::role::Role::staff() {
        let (s, r) = match role.unit_kind() {
            domain::role::UnitKind::Station => (Some(station_a), None),
            domain::role::UnitKind::Region => (None, Some(region_a)),
            _ => (None, None),
        };
        staff(db, &hash, role.code(), role.code(), s, r).await;
    }
    staff(
        db,
        &hash,
        "advisor_b",
        "service_advisor",
        Some(station_b),
        None,
    )
    .await;
    let mut c = db.pool.acquire().await.unwrap();
    let cust = |name: &str, phone: &str, station: i64| store::customer::CustomerFields {
        name: name.into(),
        phone: phone.into(),
        id_number: Some("110101199003077777".into()),
        station_id: station,
        channel: "sms".into(),
        quiet_hours: Some("22:00-08:00".into()),
        consent_service: true,
        consent_marketing: false,
    };
    let customer_a = store::customer::insert(&mut c, &cust("张三", "+8613800000001", station_a), 0)
        .await
        .unwrap();
    let customer_b = store::customer::insert(&mut c, &cust("李四", "+8613800000002", station_b), 0)
        .await
        .unwrap();
    let vin_a = domain::vin::Vin::with_check_digit("LSVAM4B2", "AN000001")
        .unwrap()
        .to_string();
    let vin_b = domain::vin::Vin::with_check_digit("LGXCE4CB", "BN000002")
        .unwrap()
        .to_string();
    let veh = |vin: &str, owner: i64, station: i64| store::vehicle::VehicleFields {
        vin: vin.into(),
        brand: "大众".into(),
        model: "帕萨特".into(),
        model_year: 2022,
        plate: Some("京A12345".into()),
        purchase_date: "2022-05-01".into(),
        warranty_start: "2022-05-01".into(),
        warranty_end: "2025-05-01".into(),
        warranty_km: 100_000,
        is_ev: false,
        owner_id: owner,
        station_id: station,
    };
    let vehicle_a = store::vehicle::insert(&mut c, &veh(&vin_a, customer_a, station_a), 0)
        .await
        .unwrap();
    let vehicle_b = store::vehicle::insert(&mut c, &veh(&vin_b, customer_b, station_b), 0)
        .await
        .unwrap();
    Fixture {
        region_a,
        region_b,
        station_a,
        station_b,
        customer_a,
        customer_b,
        vehicle_a,
        vin_a,
        vehicle_b,
        vin_b,
    }
}

impl TestApp {
    /// Starts the server over a fresh database with the fixture, the clock at 2026-11-24 09:00 Shanghai.
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(app::AppSettings {
            log_codes: false,
            payment_sandbox: Some(app::signing::KeyRing::random()),
            ..Default::default()
        })
        .await
    }

    /// Starts the server as [`TestApp::spawn`] does, with these settings.
    pub async fn spawn_with(settings: app::AppSettings) -> TestApp {
        TestApp::spawn_with_state(settings, |s| s).await
    }

    /// Starts the server with these settings and the web state adjusted by `web`
    /// (trusted proxies, secure cookies).
    pub async fn spawn_with_state(
        settings: app::AppSettings,
        web: impl FnOnce(web::AppState) -> web::AppState,
    ) -> TestApp {
        let test_db = TestDb::new().await;
        let fx = fixture(&test_db.db).await;
        let clock = Arc::new(ManualClock::new("2026-11-24T01:00:00Z".parse().unwrap()));
        let app = App::new(test_db.db.clone(), clock.clone(), settings);
        let state = web(web::AppState::new(app.clone(), None));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(web::serve(state, listener));
        TestApp {
            base,
            app,
            clock,
            fx,
            test_db,
        }
    }

    /// An HTTP client that keeps cookies.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// A client signed in as `username` through the API, and its CSRF token.
    pub async fn login(&self, username: &str) -> (reqwest::Client, String) {
        let c = self.client();
        let r = c
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&serde_json::json!({"username": username, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "login as {username}");
        let v: serde_json::Value = r.json().await.unwrap();
        (c, v["csrf"].as_str().unwrap().to_string())
    }

    /// An API token acting as `role` at station A / region A / head office.
    pub async fn token(&self, role: domain::role::Role) -> String {
        let admin = domain::permission::Principal {
            id: 1,
            name: "admin".into(),
            role: domain::role::Role::Administrator,
            unit: domain::permission::Unit::HeadOffice,
        };
        let g = admin.grant(domain::permission::Action::TokenAdmin).unwrap();
        let (station_id, region_id) = match role.unit_kind() {
            domain::role::UnitKind::Station => (Some(self.fx.station_a), None),
            domain::role::UnitKind::Region => (None, Some(self.fx.region_a)),
            _ => (None, None),
        };
        let input = app::auth::TokenInput {
            name: format!("test {}", role.code()),
            role: role.code().into(),
            station_id,
            region_id,
        };
        app::auth::create_token(&self.app, &g, &input)
            .await
            .unwrap()
            .1
    }
}

/// What the service-loop fixture added.
#[derive(Debug, Clone)]
pub struct ServiceFixture {
    /// Staff id of the `technician` account (grade 3 + EV high voltage, valid 2025–2027).
    pub technician: i64,
    /// Slots published at station A.
    pub slots: usize,
}

impl TestApp {
    /// Prepares the service loop at station A: seeds the holiday plan, a labour
    /// catalogue (`MAINT-10K` 1.0 h, `BRAKE-PAD` 1.5 h grade 2, `HV-BATT` 2.0 h grade 3 +
    /// EV high voltage), certifies the `technician` account and publishes 14 days of
    /// capacity from 2026-11-24 (10 bays, that one technician).
    pub async fn service_fixture(&self) -> ServiceFixture {
        use domain::certification::{Qualification, Requirement, TechnicianGrade};
        use domain::permission::{Action, Principal, Unit};
        app::calendar::ensure_holidays(&self.app).await.unwrap();
        let admin = Principal {
            id: 1,
            name: "admin".into(),
            role: domain::role::Role::Administrator,
            unit: Unit::HeadOffice,
        };
        let net = admin.grant(Action::NetworkWrite).unwrap();
        for (code, zh, en, h, req) in [
            (
                "MAINT-10K",
                "1万公里保养",
                "10,000 km service",
                100,
                Requirement::default(),
            ),
            (
                "BRAKE-PAD",
                "更换前刹车片",
                "Replace front brake pads",
                150,
                Requirement {
                    min_grade: Some(TechnicianGrade::Technician),
                    qualification: None,
                },
            ),
            (
                "HV-BATT",
                "动力电池检测",
                "Traction battery check",
                200,
                Requirement {
                    min_grade: Some(TechnicianGrade::SeniorTechnician),
                    qualification: Some(Qualification::EvHighVoltage),
                },
            ),
        ] {
            let op = domain::labour::LabourOperation::new(code, zh, en, h, req).unwrap();
            app::labour::upsert_operation(&self.app, &net, &op)
                .await
                .unwrap();
        }
        let mut c = self.app.db.pool.acquire().await.unwrap();
        let filter = store::people::StaffFilter {
            q: Some("technician".into()),
            role: Some("technician".into()),
            station_id: Some(self.fx.station_a),
        };
        let technician = store::people::staff_list(
            &mut c,
            &domain::permission::Reach::All,
            &filter,
            store::Page::new(1, 10),
        )
        .await
        .unwrap()
        .items
        .iter()
        .find(|s| s.username == "technician")
        .unwrap()
        .id;
        for cred in ["grade:3", "qualification:ev_high_voltage"] {
            store::people::insert_certificate(&mut c, technician, cred, "2025-01-01", "2027-12-31")
                .await
                .unwrap();
        }
        drop(c);
        let cap = admin.grant(Action::CapacityAdmin).unwrap();
        let slots = app::capacity::publish(
            &self.app,
            &cap,
            self.fx.station_a,
            "2026-11-24".parse().unwrap(),
            14,
            None,
        )
        .await
        .unwrap();
        ServiceFixture { technician, slots }
    }

    /// A walk-in at station A for vehicle A, taken through reception into diagnosis with
    /// every required checkpoint of both stages ticked, as head office: the start of
    /// most repair-order scenarios. Returns the order id.
    pub async fn walk_in_in_diagnosis(&self) -> i64 {
        use app::repair_order as ro;
        use domain::permission::{Action, Principal, Unit};
        use domain::repair_order::{CheckRule, Stage, default_standard};
        let admin = Principal {
            id: 1,
            name: "admin".into(),
            role: domain::role::Role::Administrator,
            unit: Unit::HeadOffice,
        };
        let g = admin.grant(Action::RepairOrderWrite).unwrap();
        let input = ro::WalkInInput {
            station_id: self.fx.station_a,
            vehicle_id: self.fx.vehicle_a,
            vin: None,
            concern: "做保养".into(),
            concern_code: None,
            service_type: None,
        };
        let id = ro::open_walk_in(&self.app, &g, &input).await.unwrap();
        let standard = default_standard();
        for stage in [Stage::Reception, Stage::Diagnosis] {
            if stage == Stage::Diagnosis {
                ro::start_stage(&self.app, &g, id, stage).await.unwrap();
            }
            for c in standard
                .spec(stage)
                .unwrap()
                .checkpoints
                .iter()
                .filter(|c| c.rule == CheckRule::Required)
            {
                ro::check(&self.app, &g, id, &c.code, None).await.unwrap();
            }
            if stage == Stage::Reception {
                ro::complete_stage(&self.app, &g, id, stage).await.unwrap();
            }
        }
        id
    }

    /// [`TestApp::walk_in_in_diagnosis`] with two proposed part lines (50 + 360 yuan).
    /// Returns the order and its line numbers.
    pub async fn estimated_order(&self) -> (i64, Vec<u32>) {
        let g = &head_office(domain::permission::Action::RepairOrderWrite);
        let id = self.walk_in_in_diagnosis().await;
        let mut lines = Vec::new();
        for (code, qty, price) in [("OIL-FILTER", 100, 5_000), ("OIL-5W30", 450, 8_000)] {
            let input = app::estimate::LineInput {
                kind: "part".into(),
                code: code.into(),
                hundredths: Some(qty),
                unit_price_fen: Some(price),
            };
            lines.push(
                app::estimate::add_line(&self.app, g, id, &input)
                    .await
                    .unwrap(),
            );
        }
        (id, lines)
    }

    /// Takes an [`TestApp::estimated_order`] to the hand-over: both lines approved at
    /// the desk (promised in 6 hours) and fitted, quality inspection and delivery with
    /// their checkpoints; net 41,000 fen, VAT 5,330, gross 46,330.
    pub async fn deliver(&self, id: i64, lines: &[u32]) {
        use app::repair_order as ro;
        use domain::repair_order::Stage;
        let g = &head_office(domain::permission::Action::RepairOrderWrite);
        let a = &self.app;
        let check = |codes: Vec<&'static str>| async move {
            for c in codes {
                ro::check(a, g, id, c, None).await.unwrap();
            }
        };
        let promised = a.now_ms() + 6 * 3_600_000;
        for (i, no) in lines.iter().enumerate() {
            let d = app::estimate::DecisionInput {
                by: "张三".into(),
                channel: "desk_signature".into(),
                ip: None,
                signature_ref: Some("sig/1.png".into()),
                promised_at: (i == 0).then_some(promised),
            };
            app::estimate::approve(a, g, id, *no, &d).await.unwrap();
        }
        ro::complete_stage(a, g, id, Stage::Diagnosis)
            .await
            .unwrap();
        ro::start_stage(a, g, id, Stage::Repair).await.unwrap();
        for no in lines {
            ro::fit_part(a, g, id, *no).await.unwrap();
        }
        ro::complete_stage(a, g, id, Stage::Repair).await.unwrap();
        ro::start_stage(a, g, id, Stage::QualityInspection)
            .await
            .unwrap();
        ro::set_applicable(a, g, id, &["qi.work_complete"])
            .await
            .unwrap();
        check(vec!["qi.work_complete"]).await;
        ro::complete_stage(a, g, id, Stage::QualityInspection)
            .await
            .unwrap();
        ro::start_stage(a, g, id, Stage::Delivery).await.unwrap();
        check(vec![
            "delivery.work_explained",
            "delivery.invoice_explained",
            "delivery.old_parts",
            "delivery.car_clean",
            "delivery.covers_removed",
            "delivery.next_service",
        ])
        .await;
        ro::complete_stage(a, g, id, Stage::Delivery).await.unwrap();
    }

    /// An [`TestApp::estimated_order`] delivered, with an owner link issued. Returns
    /// the order and the link's token.
    pub async fn delivered_order(&self) -> (i64, String) {
        let (id, lines) = self.estimated_order().await;
        self.deliver(id, &lines).await;
        let g = head_office(domain::permission::Action::RepairOrderWrite);
        let token = app::repair_order::issue_owner_link(&self.app, &g, id)
            .await
            .unwrap();
        (id, token)
    }
}

/// A head-office administrator's grant for `action`.
pub fn head_office(action: domain::permission::Action) -> domain::permission::Grant {
    domain::permission::Principal {
        id: 1,
        name: "admin".into(),
        role: domain::role::Role::Administrator,
        unit: domain::permission::Unit::HeadOffice,
    }
    .grant(action)
    .unwrap()
}
