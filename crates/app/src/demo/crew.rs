//! The demo's crew at the first station and the steps one order goes through on
//! a hand-set clock ([`Day`]), each an ordinary use case; the plans that use them
//! (the working day, the demo's bills and three-guarantees cases) are `day`,
//! `billing` and `guarantee`.

use super::internal;
use crate::clock::ManualClock;
use crate::estimate::{DecisionInput, LineInput};
use crate::rating::RatingInput;
use crate::repair_order::WalkInInput;
use crate::{App, AppResult};
use domain::permission::{Action, Grant, Principal, Unit};
use domain::repair_order::{CheckRule, Stage, default_standard};
use domain::role::Role;
use sqlx::Row;
use store::Db;

/// The station whose day is filled (the fixed accounts work there).
pub(super) const STATION: i64 = 1;

/// Minutes in milliseconds.
pub(super) const MINUTE: i64 = 60_000;

/// The people of the first station who do the work, and a head-office grant for
/// what none of them may do.
pub(super) struct Crew {
    pub(super) advisor: Principal,
    pub(super) manager: Principal,
    pub(super) technician: i64,
    pub(super) head_office: Principal,
}

impl Crew {
    /// The people of the demo's first station.
    pub(super) async fn of(db: &Db) -> AppResult<Crew> {
        Ok(Crew {
            advisor: principal(db, "advisor").await?,
            manager: principal(db, "manager").await?,
            technician: principal(db, "technician").await?.id,
            head_office: Principal {
                kind: domain::permission::ActorKind::Person,
                id: 0,
                name: "demo".into(),
                role: Role::Administrator,
                unit: Unit::HeadOffice,
            },
        })
    }

    /// The grant for `action`: the advisor's, else the manager's, else head office's.
    pub(super) fn grant(&self, action: Action) -> AppResult<Grant> {
        self.advisor
            .grant(action)
            .or_else(|_| self.manager.grant(action))
            .or_else(|_| self.head_office.grant(action))
            .map_err(internal)
    }
}

pub(super) async fn principal(db: &Db, username: &str) -> AppResult<Principal> {
    let mut c = db.pool.acquire().await.map_err(store::StoreError::from)?;
    let id: i64 = sqlx::query("SELECT id FROM staff WHERE username = $1")
        .bind(username)
        .fetch_one(&mut *c)
        .await
        .map_err(store::StoreError::from)?
        .try_get(0)
        .map_err(store::StoreError::from)?;
    let staff = store::people::staff(&mut c, &domain::permission::Reach::All, id).await?;
    crate::auth::staff_principal(&staff).ok_or_else(|| internal(username))
}

/// The use cases one order goes through, on the hand-set clock.
pub(super) struct Day<'a> {
    pub(super) app: &'a App,
    pub(super) clock: &'a ManualClock,
    pub(super) crew: &'a Crew,
}

impl Day<'_> {
    pub(super) fn g(&self) -> AppResult<Grant> {
        self.crew.grant(Action::RepairOrderWrite)
    }

    pub(super) async fn walk_in(&self, car: i64, concern: &str) -> AppResult<i64> {
        let input = WalkInInput {
            station_id: STATION,
            vehicle_id: car,
            vin: None,
            concern: concern.into(),
            concern_code: None,
            service_type: Some("maintenance".into()),
            second_order_reason: None,
        };
        crate::repair_order::open_walk_in(self.app, &self.g()?, &input).await
    }

    /// Ticks the required checkpoints of `stage`.
    pub(super) async fn tick(&self, id: i64, stage: Stage) -> AppResult<()> {
        let g = self.g()?;
        if stage == Stage::QualityInspection {
            crate::repair_order::set_applicable(self.app, &g, id, &["qi.work_complete"]).await?;
            return crate::repair_order::check(self.app, &g, id, "qi.work_complete", None).await;
        }
        let standard = default_standard();
        let spec = standard.spec(stage).ok_or_else(|| internal("stage"))?;
        for c in spec
            .checkpoints
            .iter()
            .filter(|c| c.rule == CheckRule::Required)
        {
            crate::repair_order::check(self.app, &g, id, &c.code, None).await?;
        }
        Ok(())
    }

    pub(super) async fn complete(&self, id: i64, stage: Stage) -> AppResult<()> {
        crate::repair_order::complete_stage(self.app, &self.g()?, id, stage).await?;
        Ok(())
    }

    pub(super) async fn start(&self, id: i64, stage: Stage) -> AppResult<()> {
        crate::repair_order::start_stage(self.app, &self.g()?, id, stage).await
    }

    pub(super) fn later(&self, minutes: i64) {
        self.clock.advance_ms(minutes * MINUTE);
    }

    /// Reception done, a labour line and an oil filter proposed in diagnosis.
    pub(super) async fn estimate(&self, id: i64) -> AppResult<Vec<u32>> {
        self.tick(id, Stage::Reception).await?;
        self.later(10);
        self.complete(id, Stage::Reception).await?;
        self.start(id, Stage::Diagnosis).await?;
        self.later(5);
        self.tick(id, Stage::Diagnosis).await?;
        let g = self.g()?;
        let mut lines = Vec::new();
        for (kind, code, price) in [
            ("labour", "MAINT-10K", None),
            ("part", "OIL-FILTER", Some(6_800)),
        ] {
            let input = LineInput {
                kind: kind.into(),
                code: code.into(),
                hundredths: None,
                unit_price_fen: price,
            };
            lines.push(crate::estimate::add_line(self.app, &g, id, &input).await?);
        }
        Ok(lines)
    }

    /// The owner agrees at the desk, promised `promise` minutes later; repair starts
    /// with the technician on the labour line.
    pub(super) async fn repair(&self, id: i64, lines: &[u32], promise: i64) -> AppResult<()> {
        let g = self.g()?;
        let promised = self.app.now_ms() + promise * MINUTE;
        for (i, no) in lines.iter().enumerate() {
            let d = DecisionInput {
                by: "车主".into(),
                channel: "desk_signature".into(),
                ip: None,
                signature_ref: Some("demo/signature.png".into()),
                promised_at: (i == 0).then_some(promised),
            };
            crate::estimate::approve(self.app, &g, id, *no, &d).await?;
        }
        self.complete(id, Stage::Diagnosis).await?;
        self.start(id, Stage::Repair).await?;
        crate::repair_order::assign_technician(self.app, &g, id, lines[0], self.crew.technician)
            .await?;
        crate::repair_order::start_work(self.app, &g, id, lines[0]).await?;
        Ok(())
    }

    /// The repair finished and inspected; the order waits in delivery.
    pub(super) async fn inspect_and_deliver(
        &self,
        id: i64,
        lines: &[u32],
        inspect: i64,
    ) -> AppResult<()> {
        let g = self.g()?;
        crate::repair_order::finish_work(self.app, &g, id, lines[0]).await?;
        crate::repair_order::fit_part(self.app, &g, id, lines[1]).await?;
        self.complete(id, Stage::Repair).await?;
        self.start(id, Stage::QualityInspection).await?;
        self.later(inspect);
        self.tick(id, Stage::QualityInspection).await?;
        self.complete(id, Stage::QualityInspection).await?;
        self.start(id, Stage::Delivery).await?;
        self.tick(id, Stage::Delivery).await
    }

    /// A past day's order taken to the last step of the hand-over.
    pub(super) async fn to_delivery(&self, id: i64, repair: i64) -> AppResult<()> {
        let lines = self.estimate(id).await?;
        self.later(15);
        self.repair(id, &lines, 300).await?;
        self.later(repair);
        self.inspect_and_deliver(id, &lines, 15).await
    }

    /// The owner pays what is owed at the desk, by WeChat.
    pub(super) async fn pay(&self, id: i64) -> AppResult<()> {
        let g = self.crew.grant(Action::BillingWrite)?;
        let bill =
            crate::billing::view(self.app, &self.crew.grant(Action::BillingRead)?, id).await?;
        let input = crate::billing::DeskPaymentInput {
            method: "wechat".into(),
            reference: format!("DEMO{id:08}").into(),
            amount_fen: bill.outstanding_fen.into(),
        };
        crate::billing::pay_at_desk(self.app, &g, id, &input).await?;
        Ok(())
    }

    pub(super) async fn rate(&self, id: i64, stars: i64) -> AppResult<()> {
        let g = self.crew.grant(Action::RatingWrite)?;
        let input = RatingInput {
            stars: stars.into(),
            comment: (if stars >= 4 {
                "服务很好，准时交车"
            } else {
                "等待时间有点长"
            })
            .into(),
        };
        crate::rating::rate_at_desk(self.app, &g, id, &input).await?;
        Ok(())
    }
}
