//! The small fixture every test starts from: two regions and stations, one account
//! per role, a customer and a vehicle per station.

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
    // Their consent flags as ledger entries (what the outbox asks at send time).
    store::privacy::consent::append_flags_after(&mut c, 0, "import", "test fixture", 0)
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
