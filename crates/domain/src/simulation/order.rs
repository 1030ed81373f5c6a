//! A station-month's orders: when each car arrives, what service it needs, how long
//! each stage takes around the stage standard, whether it comes back, whether the
//! owner answers the survey and how satisfied they are, and whether they complain.
//!
//! Durations are the standard time times a log-normal scatter that widens as the
//! station's quality falls, plus waits between stages (and, now and then, days
//! waiting for parts), so repair time, on-time delivery and first-time fix all move
//! with the station's quality the way a dashboard would show them.

use super::profile::{StationProfile, season};
use super::rng::Rng;
use crate::appointment::ServiceType;
use crate::complaint::Category;
use crate::repair_order::{Stage, StageStandard};

/// The stages an order goes through before hand-over, in order (follow-up is the
/// survey's business).
pub const WORK_STAGES: [Stage; 5] = [
    Stage::Reception,
    Stage::Diagnosis,
    Stage::Repair,
    Stage::QualityInspection,
    Stage::Delivery,
];

/// Service mix: (type, share in ‰, labour hundredths low–high).
pub const MIX: [(ServiceType, u32, i64, i64); 5] = [
    (ServiceType::Maintenance, 550, 80, 150),
    (ServiceType::Repair, 250, 100, 600),
    (ServiceType::Warranty, 100, 150, 500),
    (ServiceType::AccidentBody, 70, 400, 1_600),
    (ServiceType::EvBatteryCheck, 30, 50, 100),
];

/// Opening hours of the simulated reception desk, minutes after local midnight
/// (08:30–17:00).
pub const RECEPTION_HOURS: (i64, i64) = (8 * 60 + 30, 17 * 60);

/// One stage's wait before it starts and its own duration, minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StagePlan {
    /// Which stage.
    pub stage: Stage,
    /// Minutes after the previous stage completed (0 for reception).
    pub wait: i64,
    /// Minutes from start to completion.
    pub minutes: i64,
}

/// How the owner meets the survey after hand-over.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SurveyOutcome {
    /// The link ran out unanswered.
    Silent,
    /// Declined when called.
    Refused,
    /// Never reached.
    Unreachable,
    /// Answered.
    Answered {
        /// Overall satisfaction 0–1 the answers scatter around.
        satisfaction: f64,
        /// The recommend answer 0–10.
        recommend: u8,
        /// Whether they wrote a comment.
        comment: bool,
        /// Minutes after hand-over they answered.
        after_minutes: i64,
    },
}

/// A complaint the owner files about the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComplaintPlan {
    /// Minutes after hand-over it is received.
    pub after_minutes: i64,
    /// What it is about.
    pub category: Category,
    /// Minutes from receipt to the station's first response (acknowledgement).
    pub response_minutes: i64,
    /// Minutes from receipt to closure.
    pub closure_minutes: i64,
}

/// One simulated repair order.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderPlan {
    /// Day of the month, from 1.
    pub day: i8,
    /// Reception, minutes after local midnight.
    pub minute: i64,
    /// Service type.
    pub service: ServiceType,
    /// Booked in advance (came through an appointment).
    pub booked: bool,
    /// Approved labour, hundredths of an hour.
    pub labour_hundredths: i64,
    /// The five work stages, in order.
    pub stages: [StagePlan; 5],
    /// Promised completion, minutes after reception.
    pub promise_minutes: i64,
    /// Days after hand-over the car comes back with the same concern, if it does.
    pub comeback_after_days: Option<i64>,
    /// The survey.
    pub survey: SurveyOutcome,
    /// A complaint, if one is filed.
    pub complaint: Option<ComplaintPlan>,
    /// What the bill charges before VAT, fen (labour at `rate_fen` plus parts).
    pub net_fen: i64,
    /// The parts fitted, fen before VAT (one parts line on the estimate; 0: none).
    pub parts_fen: i64,
    /// Extra draws for the app (which car, the answers' scatter).
    pub draw: u64,
}

impl OrderPlan {
    /// Minutes from reception to hand-over.
    pub fn total_minutes(&self) -> i64 {
        self.stages.iter().map(|s| s.wait + s.minutes).sum()
    }

    /// Whether the hand-over is at or before the promise.
    pub fn on_time(&self) -> bool {
        self.total_minutes() <= self.promise_minutes
    }
}

/// The month simulated: calendar month and its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthSpec {
    /// Year.
    pub year: i16,
    /// Month 1–12.
    pub month: i8,
    /// Days in the month (28–31).
    pub days: i8,
}

/// The orders station `station` (profile `p`) receives in `m`, at `volume_percent`
/// of its normal volume, under `standard`, with labour charged at `rate_fen` an
/// hour. The same arguments always give the same plans.
pub fn month_orders(
    seed: u64,
    station: i64,
    p: &StationProfile,
    m: MonthSpec,
    volume_percent: u32,
    standard: &StageStandard,
    rate_fen: i64,
) -> Vec<OrderPlan> {
    let ym = (i64::from(m.year) * 12 + i64::from(m.month)) as u64;
    let mut r = Rng::derive(seed, &[0x4F52_4452, station as u64, ym]);
    let mean = f64::from(p.monthly_orders) * season(m.month) * f64::from(volume_percent) / 100.0;
    let n = r.count(mean);
    let mut out: Vec<OrderPlan> = (0..n)
        .map(|_| one_order(&mut r, p, m, standard, rate_fen))
        .collect();
    out.sort_by_key(|o| (o.day, o.minute));
    out
}

fn one_order(
    r: &mut Rng,
    p: &StationProfile,
    m: MonthSpec,
    standard: &StageStandard,
    rate_fen: i64,
) -> OrderPlan {
    let weakness = 1.0 - p.quality; // 0 (excellent) – 0.5 (poor)
    let day = r.between(1, i64::from(m.days.max(1))) as i8;
    let minute = r.between(RECEPTION_HOURS.0, RECEPTION_HOURS.1);
    let shares: Vec<u32> = MIX.iter().map(|x| x.1).collect();
    let (service, _, lo, hi) = MIX[r.weighted(&shares)];
    let labour_hundredths = r.between(lo, hi);
    let labour_minutes = labour_hundredths * 60 / 100;
    let booked = r.chance(0.35 + 0.3 * p.quality);
    let sigma = 0.15 + 0.6 * weakness;
    let slow = 1.0 + 0.8 * weakness;
    let mut standard_total = 0;
    let stages = WORK_STAGES.map(|stage| {
        let std = standard
            .standard_minutes(stage, labour_minutes)
            .unwrap_or(15)
            .max(1);
        standard_total += std;
        let minutes = ((std as f64) * slow * r.spread(sigma)).round().max(1.0) as i64;
        let mut wait = if stage == Stage::Reception {
            0
        } else {
            (-(1.0 - r.unit()).ln() * (5.0 + 40.0 * weakness)).round() as i64
        };
        // Now and then the car waits for parts (longer at weaker stations).
        if stage == Stage::Repair
            && service != ServiceType::Maintenance
            && r.chance(0.03 + 0.25 * weakness)
        {
            wait += r.between(12 * 60, 3 * 24 * 60);
        }
        StagePlan {
            stage,
            wait,
            minutes,
        }
    });
    let promise_minutes =
        ((standard_total as f64 + 60.0) * (1.15 + 0.35 * r.unit())).round() as i64;
    let comeback_p = match service {
        ServiceType::Maintenance | ServiceType::EvBatteryCheck => 0.01 + 0.06 * weakness,
        _ => 0.02 + 0.16 * weakness,
    };
    let comeback_after_days = r.chance(comeback_p).then(|| r.between(2, 45));
    let mut plan = OrderPlan {
        day,
        minute,
        service,
        booked,
        labour_hundredths,
        stages,
        promise_minutes,
        comeback_after_days,
        survey: SurveyOutcome::Silent,
        complaint: None,
        net_fen: 0,
        parts_fen: 0,
        draw: r.next_u64(),
    };
    let parts_fen = match service {
        ServiceType::Maintenance => r.between(20_000, 60_000),
        ServiceType::Warranty | ServiceType::EvBatteryCheck => 0,
        _ => r.between(10_000, 400_000),
    };
    let labour_fen = if service == ServiceType::Warranty {
        0
    } else {
        labour_hundredths * rate_fen / 100
    };
    plan.net_fen = labour_fen + parts_fen;
    plan.parts_fen = parts_fen;
    let late = !plan.on_time();
    let mut satisfaction = 0.35 + 0.6 * p.quality + 0.08 * r.normal();
    if late {
        satisfaction -= 0.15;
    }
    if comeback_after_days.is_some() {
        satisfaction -= 0.2;
    }
    let satisfaction = satisfaction.clamp(0.0, 1.0);
    plan.survey = match r.weighted(&[45, 5, 10, 40]) {
        0 => SurveyOutcome::Answered {
            satisfaction,
            recommend: (satisfaction * 10.0 + 0.8 * r.normal())
                .round()
                .clamp(0.0, 10.0) as u8,
            comment: r.chance(0.3),
            after_minutes: r.between(60, 3 * 24 * 60),
        },
        1 => SurveyOutcome::Refused,
        2 => SurveyOutcome::Unreachable,
        _ => SurveyOutcome::Silent,
    };
    let complaint_p = 0.004 + 0.03 * weakness + if satisfaction < 0.5 { 0.05 } else { 0.0 };
    if r.chance(complaint_p) {
        let categories = [
            Category::RepairQuality,
            Category::ServiceAttitude,
            Category::PriceDispute,
            Category::WaitingTime,
            Category::PartsQuality,
        ];
        let category = categories[r.below(categories.len() as u64) as usize];
        let response_minutes = (20.0 * (1.0 + 3.0 * weakness) * r.spread(0.7))
            .round()
            .max(1.0) as i64;
        let closure_minutes = response_minutes
            + (36.0 * 60.0 * (1.0 + 2.0 * weakness) * r.spread(0.6))
                .round()
                .max(60.0) as i64;
        plan.complaint = Some(ComplaintPlan {
            after_minutes: r.between(60, 10 * 24 * 60),
            category,
            response_minutes,
            closure_minutes,
        });
    }
    plan
}
