//! Scenarios many tests share: the service loop's catalogue and capacity, a walk-in
//! in diagnosis, an estimated order and its delivery.

use crate::TestApp;

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
            kind: domain::permission::ActorKind::Person,
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
        self.walk_in_in_diagnosis_of(self.fx.vehicle_a).await
    }

    /// A car of customer A at station A of its own, numbered `n` (its VIN and plate
    /// follow from `n`): for scenarios that need many bills, since a second order
    /// of one car within the comeback window is free.
    pub async fn another_car(&self, n: u32) -> i64 {
        let vin = domain::vin::Vin::with_check_digit("LSVAM4B2", &format!("AN{:06}", 100_000 + n))
            .unwrap()
            .to_string();
        let f = store::vehicle::VehicleFields {
            vin,
            brand: "大众".into(),
            model: "帕萨特".into(),
            model_year: 2022,
            plate: None,
            purchase_date: "2022-05-01".into(),
            warranty_start: "2022-05-01".into(),
            warranty_end: "2025-05-01".into(),
            warranty_km: 100_000,
            is_ev: false,
            owner_id: self.fx.customer_a,
            station_id: self.fx.station_a,
        };
        let mut c = self.app.db.pool.acquire().await.unwrap();
        store::vehicle::insert(&mut c, &f, 0).await.unwrap()
    }

    /// [`TestApp::delivered_order`] for the car `vehicle_id` (at station A).
    pub async fn delivered_order_of(&self, vehicle_id: i64) -> i64 {
        let g = &head_office(domain::permission::Action::RepairOrderWrite);
        let id = self.walk_in_in_diagnosis_of(vehicle_id).await;
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
        self.deliver(id, &lines).await;
        id
    }

    /// [`TestApp::walk_in_in_diagnosis`] for the car `vehicle_id`.
    pub async fn walk_in_in_diagnosis_of(&self, vehicle_id: i64) -> i64 {
        use app::repair_order as ro;
        use domain::permission::{Action, Principal, Unit};
        use domain::repair_order::{CheckRule, Stage, default_standard};
        let admin = Principal {
            kind: domain::permission::ActorKind::Person,
            id: 1,
            name: "admin".into(),
            role: domain::role::Role::Administrator,
            unit: Unit::HeadOffice,
        };
        let g = admin.grant(Action::RepairOrderWrite).unwrap();
        let input = ro::WalkInInput {
            second_order_reason: None,
            station_id: self.fx.station_a,
            vehicle_id,
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
        kind: domain::permission::ActorKind::Person,
        id: 1,
        name: "admin".into(),
        role: domain::role::Role::Administrator,
        unit: domain::permission::Unit::HeadOffice,
    }
    .grant(action)
    .unwrap()
}
