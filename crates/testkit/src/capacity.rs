//! Capacity scenarios for contention tests: more vehicles, explicit slot counts and
//! the whole-database invariant (no slot over its bays or technicians; every counter
//! equal to the appointments that hold a place in it).

use crate::TestApp;
use sqlx::Row;

impl TestApp {
    /// Adds `n` vehicles of customer A registered at station A; returns their ids.
    pub async fn vehicles(&self, n: usize) -> Vec<i64> {
        let mut c = self.app.db.pool.acquire().await.unwrap();
        let mut ids = Vec::with_capacity(n);
        for i in 0..n {
            let vin = domain::vin::Vin::with_check_digit("LSVAM4B2", &format!("CN{i:06}"))
                .unwrap()
                .to_string();
            let f = store::vehicle::VehicleFields {
                vin,
                brand: "大众".into(),
                model: "朗逸".into(),
                model_year: 2023,
                plate: None,
                purchase_date: "2023-05-01".into(),
                warranty_start: "2023-05-01".into(),
                warranty_end: "2026-05-01".into(),
                warranty_km: 100_000,
                is_ev: false,
                owner_id: self.fx.customer_a,
                station_id: self.fx.station_a,
            };
            ids.push(store::vehicle::insert(&mut c, &f, 0).await.unwrap());
        }
        ids
    }

    /// Publishes `days` days of capacity at station A from 2026-11-24 with `places`
    /// bays and `places` technicians of the senior class (which every maintenance
    /// job accepts). Needs [`TestApp::service_fixture`] first (the holiday plan).
    pub async fn publish_places(&self, days: u32, places: u16) -> usize {
        use domain::capacity::{QualificationSet, SlotCounts, TechClass};
        use domain::certification::TechnicianGrade;
        let mut counts = SlotCounts::with_bays(places);
        counts.add_technicians(
            TechClass {
                grade: TechnicianGrade::SeniorTechnician,
                qualifications: QualificationSet::EMPTY,
            },
            places,
        );
        let cap = crate::head_office(domain::permission::Action::CapacityAdmin);
        app::capacity::publish(
            &self.app,
            &cap,
            self.fx.station_a,
            "2026-11-24".parse().unwrap(),
            days,
            Some(counts),
        )
        .await
        .unwrap()
    }

    /// Panics unless every slot of every station is within its bays and technicians
    /// and every counter equals the appointments (not cancelled) holding a place in
    /// it. Returns the number of slots checked.
    pub async fn assert_capacity_invariant(&self) -> usize {
        let mut c = self.app.db.pool.acquire().await.unwrap();
        let slots = sqlx::query(
            "SELECT station_id, slot_start, bays, used_bays FROM capacity_slots ORDER BY station_id, slot_start",
        )
        .fetch_all(&mut *c)
        .await
        .unwrap();
        let techs = sqlx::query(
            "SELECT station_id, slot_start, class_index, capacity, used FROM capacity_techs",
        )
        .fetch_all(&mut *c)
        .await
        .unwrap();
        let appts = sqlx::query(
            "SELECT station_id, start_at, slot_minutes, slot_count, tech_class FROM appointments \
             WHERE state <> 'cancelled'",
        )
        .fetch_all(&mut *c)
        .await
        .unwrap();
        let holding = |station: i64, start: i64, class: Option<i64>| {
            appts
                .iter()
                .filter(|a| {
                    let s: i64 = a.get("station_id");
                    let from: i64 = a.get("start_at");
                    let len: i64 = a.get::<i64, _>("slot_count") * a.get::<i64, _>("slot_minutes");
                    let k: i64 = a.get("tech_class");
                    s == station
                        && from <= start
                        && start < from + len * 60_000
                        && class.is_none_or(|c| c == k)
                })
                .count() as i64
        };
        for s in &slots {
            let (station, start): (i64, i64) = (s.get("station_id"), s.get("slot_start"));
            let (bays, used): (i64, i64) = (s.get("bays"), s.get("used_bays"));
            assert!(
                used <= bays,
                "slot {start}: {used} bookings over {bays} bays"
            );
            assert_eq!(
                used,
                holding(station, start, None),
                "bay counter of slot {start}"
            );
        }
        for t in &techs {
            let (station, start, class): (i64, i64, i64) = (
                t.get("station_id"),
                t.get("slot_start"),
                t.get("class_index"),
            );
            let (cap, used): (i64, i64) = (t.get("capacity"), t.get("used"));
            assert!(used <= cap, "slot {start} class {class}: {used} over {cap}");
            assert_eq!(
                used,
                holding(station, start, Some(class)),
                "technician counter of slot {start} class {class}"
            );
        }
        slots.len()
    }
}
