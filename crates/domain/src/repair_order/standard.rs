//! The stage standard: which checkpoints each stage has and its standard time, published
//! by version; orders keep the version they were opened with.

use super::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Whether a checkpoint must be checked before its stage completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckRule {
    /// Always required.
    Required,
    /// Never required.
    Optional,
    /// Required when marked applicable to the job.
    WhenApplicable,
}

/// One checkpoint of a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Stable code, unique in the standard, e.g. `reception.walk_around`.
    pub code: String,
    /// Chinese label.
    pub label_zh: String,
    /// English label.
    pub label_en: String,
    /// Whether it is required.
    pub rule: CheckRule,
}

/// The standard time of a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum StandardTime {
    /// A fixed number of minutes.
    Minutes(i64),
    /// The sum of the approved labour lines' standard hours.
    LabourHours,
    /// Within this many days after delivery (follow-up).
    DaysAfterDelivery(i64),
}

/// The standard of one stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageSpec {
    /// Which stage.
    pub stage: Stage,
    /// Its standard time.
    pub time: StandardTime,
    /// Its checkpoints.
    pub checkpoints: Vec<Checkpoint>,
}

/// A versioned set of stage standards (head office edits it; each order keeps the
/// version it was opened with).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageStandard {
    /// Version number, from 1.
    pub version: u32,
    /// One spec per stage, in stage order.
    pub stages: Vec<StageSpec>,
}

impl StageStandard {
    /// Checks: version ≥ 1, all six stages in order, checkpoint codes unique and
    /// non-empty, minutes positive.
    pub fn validate(&self) -> Result<(), RepairOrderError> {
        let bad = |s: &str| Err(RepairOrderError::StandardInvalid(s.to_string()));
        if self.version == 0 {
            return bad("version must be at least 1");
        }
        if self.stages.iter().map(|s| s.stage).ne(Stage::ALL) {
            return bad("stages must be the six stages in order");
        }
        let mut seen = BTreeSet::new();
        for spec in &self.stages {
            match spec.time {
                StandardTime::Minutes(m) | StandardTime::DaysAfterDelivery(m) if m <= 0 => {
                    return bad("standard times must be positive");
                }
                _ => {}
            }
            for c in &spec.checkpoints {
                if c.code.trim().is_empty()
                    || c.label_zh.trim().is_empty()
                    || c.label_en.trim().is_empty()
                {
                    return bad("checkpoint code and labels must not be empty");
                }
                if !seen.insert(c.code.as_str()) {
                    return Err(RepairOrderError::StandardInvalid(format!(
                        "checkpoint {} listed twice",
                        c.code
                    )));
                }
            }
        }
        Ok(())
    }

    /// The spec of `stage`.
    pub fn spec(&self, stage: Stage) -> Option<&StageSpec> {
        self.stages.iter().find(|s| s.stage == stage)
    }

    /// The stage a checkpoint belongs to.
    pub fn stage_of(&self, code: &str) -> Option<Stage> {
        self.stages
            .iter()
            .find(|s| s.checkpoints.iter().any(|c| c.code == code))
            .map(|s| s.stage)
    }

    /// Standard minutes of `stage`, given the approved labour minutes.
    pub fn standard_minutes(&self, stage: Stage, labour_minutes: i64) -> Option<i64> {
        self.spec(stage).map(|s| match s.time {
            StandardTime::Minutes(m) => m,
            StandardTime::LabourHours => labour_minutes,
            StandardTime::DaysAfterDelivery(d) => d * 24 * 60,
        })
    }
}

fn cp(code: &str, zh: &str, en: &str, rule: CheckRule) -> Checkpoint {
    Checkpoint {
        code: code.to_string(),
        label_zh: zh.to_string(),
        label_en: en.to_string(),
        rule,
    }
}

/// The network's standard, version 1 (SPEC §5 table).
pub fn default_standard() -> StageStandard {
    use CheckRule::{Optional as O, Required as R, WhenApplicable as A};
    let spec = |stage, time, checkpoints| StageSpec {
        stage,
        time,
        checkpoints,
    };
    StageStandard {
        version: 1,
        stages: vec![
            spec(
                Stage::Reception,
                StandardTime::Minutes(15),
                vec![
                    cp(
                        "reception.walk_around",
                        "环车检查",
                        "Walk-around with the owner",
                        R,
                    ),
                    cp(
                        "reception.odometer_fuel",
                        "里程与油量（电量）记录",
                        "Odometer and fuel/charge recorded",
                        R,
                    ),
                    cp(
                        "reception.belongings",
                        "贵重物品登记",
                        "Belongings noted",
                        R,
                    ),
                    cp(
                        "reception.covers",
                        "铺设三件套",
                        "Seat, floor and steering covers fitted",
                        R,
                    ),
                    cp(
                        "reception.concern",
                        "客户原话记录",
                        "Owner's concern in their words",
                        R,
                    ),
                ],
            ),
            spec(
                Stage::Diagnosis,
                StandardTime::Minutes(30),
                vec![
                    cp(
                        "diagnosis.concern_verified",
                        "故障现象确认",
                        "Concern verified",
                        R,
                    ),
                    cp(
                        "diagnosis.dtc_read",
                        "读取故障码",
                        "Fault codes (DTCs) read",
                        R,
                    ),
                    cp("diagnosis.cause_found", "故障原因确定", "Cause found", R),
                ],
            ),
            spec(
                Stage::Repair,
                StandardTime::LabourHours,
                vec![
                    cp(
                        "repair.tools_ready",
                        "工具设备准备",
                        "Tools and equipment ready",
                        O,
                    ),
                    cp(
                        "repair.parts_checked",
                        "备件核对",
                        "Parts checked against the order",
                        O,
                    ),
                    cp(
                        "repair.old_parts_kept",
                        "旧件保留",
                        "Old parts kept for the owner",
                        O,
                    ),
                    cp(
                        "repair.torque",
                        "按规定力矩紧固",
                        "Fasteners torqued to specification",
                        O,
                    ),
                    cp(
                        "repair.fluids",
                        "油液加注检查",
                        "Fluids topped up and checked",
                        O,
                    ),
                    cp("repair.dtc_cleared", "清除故障码", "Fault codes cleared", O),
                    cp("repair.test_drive", "路试", "Test drive", O),
                    cp("repair.bay_clean", "工位清洁", "Work bay cleaned", O),
                ],
            ),
            spec(
                Stage::QualityInspection,
                StandardTime::Minutes(20),
                vec![
                    cp(
                        "qi.work_complete",
                        "维修项目完成确认",
                        "All approved work done",
                        A,
                    ),
                    cp("qi.concern_fixed", "故障排除确认", "Concern fixed", A),
                    cp("qi.no_dtc", "无故障码", "No fault codes stored", A),
                    cp("qi.fluid_levels", "油液液位", "Fluid levels correct", A),
                    cp("qi.tyre_pressure", "轮胎气压", "Tyre pressures correct", A),
                    cp("qi.wheel_torque", "车轮螺栓力矩", "Wheel nuts torqued", A),
                    cp("qi.brakes", "制动性能", "Brakes checked", A),
                    cp("qi.lights", "灯光检查", "Lights working", A),
                    cp("qi.no_leaks", "无渗漏", "No leaks", A),
                    cp(
                        "qi.hv_insulation",
                        "高压绝缘检测",
                        "High-voltage insulation tested",
                        A,
                    ),
                    cp("qi.paint_finish", "漆面质量", "Paint finish inspected", A),
                    cp(
                        "qi.service_reset",
                        "保养提示复位",
                        "Service reminder reset",
                        A,
                    ),
                ],
            ),
            spec(
                Stage::Delivery,
                StandardTime::Minutes(15),
                vec![
                    cp(
                        "delivery.work_explained",
                        "讲解维修项目",
                        "Work explained",
                        R,
                    ),
                    cp(
                        "delivery.invoice_explained",
                        "讲解结算单",
                        "Invoice explained",
                        R,
                    ),
                    cp("delivery.old_parts", "旧件展示", "Old parts offered", R),
                    cp("delivery.car_clean", "车辆清洁", "Car clean", R),
                    cp("delivery.covers_removed", "取下三件套", "Covers removed", R),
                    cp(
                        "delivery.next_service",
                        "提醒下次保养",
                        "Next service explained",
                        R,
                    ),
                ],
            ),
            spec(
                Stage::FollowUp,
                StandardTime::DaysAfterDelivery(3),
                vec![cp("follow_up.call", "回访电话", "Follow-up call made", R)],
            ),
        ],
    }
}
