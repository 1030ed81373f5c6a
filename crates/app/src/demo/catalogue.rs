//! The service catalogue of the demo: the holiday plan and common labour operations,
//! so the demo can book and repair from the first minute.

use crate::{App, AppResult};
use domain::certification::{Qualification, Requirement, TechnicianGrade};
use domain::guarantee::main_part::System;
use domain::labour::LabourOperation;
use domain::permission::{Action, Principal, Unit};
use domain::role::Role;

/// One operation: code, Chinese name, English name, standard hours in hundredths,
/// minimum grade, qualification, main part replaced (三包).
type Operation = (
    &'static str,
    &'static str,
    &'static str,
    i64,
    Option<TechnicianGrade>,
    Option<Qualification>,
    Option<System>,
);

/// Common operations of a service station.
const OPERATIONS: &[Operation] = &[
    (
        "MAINT-10K",
        "1万公里保养",
        "10,000 km service",
        100,
        None,
        None,
        None,
    ),
    (
        "MAINT-30K",
        "3万公里保养",
        "30,000 km service",
        180,
        None,
        None,
        None,
    ),
    (
        "OIL-CHG",
        "更换机油机滤",
        "Oil and filter change",
        50,
        None,
        None,
        None,
    ),
    (
        "BRAKE-PAD",
        "更换前刹车片",
        "Replace front brake pads",
        150,
        Some(TechnicianGrade::SeniorTechnician),
        None,
        None,
    ),
    (
        "BRAKE-DISC",
        "更换前刹车盘",
        "Replace front brake discs",
        200,
        Some(TechnicianGrade::SeniorTechnician),
        None,
        None,
    ),
    (
        "AC-SERVICE",
        "空调系统检修",
        "Air-conditioning service",
        120,
        None,
        Some(Qualification::AirConditioning),
        None,
    ),
    (
        "DIAG-ENGINE",
        "发动机故障诊断",
        "Engine fault diagnosis",
        100,
        Some(TechnicianGrade::IntermediateMaster),
        None,
        None,
    ),
    (
        "GEARBOX-OIL",
        "更换变速箱油",
        "Gearbox oil change",
        120,
        Some(TechnicianGrade::SeniorTechnician),
        None,
        None,
    ),
    (
        "HV-BATT",
        "动力电池检测",
        "Traction battery check",
        200,
        Some(TechnicianGrade::IntermediateMaster),
        Some(Qualification::EvHighVoltage),
        None,
    ),
    (
        "PAINT-PANEL",
        "单面钣金喷漆",
        "Body panel repair and paint",
        600,
        None,
        Some(Qualification::BodyPaint),
        None,
    ),
    (
        "ENGINE-ASSY",
        "更换发动机总成",
        "Replace engine assembly",
        800,
        Some(TechnicianGrade::IntermediateMaster),
        None,
        Some(System::Engine),
    ),
    (
        "GEARBOX-ASSY",
        "更换变速器总成",
        "Replace transmission assembly",
        600,
        Some(TechnicianGrade::IntermediateMaster),
        None,
        Some(System::Transmission),
    ),
    (
        "HV-BATT-REPL",
        "更换动力蓄电池总成",
        "Replace traction battery pack",
        400,
        Some(TechnicianGrade::IntermediateMaster),
        Some(Qualification::EvHighVoltage),
        Some(System::TractionBattery),
    ),
    (
        "DRIVE-MOTOR-REPL",
        "更换驱动电机总成",
        "Replace drive motor",
        500,
        Some(TechnicianGrade::IntermediateMaster),
        Some(Qualification::EvHighVoltage),
        Some(System::DriveMotor),
    ),
];

/// Common parts: number, Chinese name, English name, catalogue price in fen.
const PARTS: &[(&str, &str, &str, i64)] = &[
    ("OIL-FILTER", "机油滤清器", "Oil filter", 6_800),
    (
        "OIL-5W30",
        "全合成机油 5W-30 (升)",
        "Synthetic oil 5W-30 (litre)",
        9_800,
    ),
    ("AIR-FILTER", "空气滤清器", "Air filter", 12_000),
    ("CABIN-FILTER", "空调滤清器", "Cabin filter", 9_500),
    ("BRAKE-PAD-F", "前刹车片", "Front brake pads", 48_000),
    ("BRAKE-DISC-F", "前刹车盘", "Front brake disc", 65_000),
    ("WIPER-F", "前雨刮片", "Front wiper blades", 15_800),
    ("SPARK-PLUG", "火花塞", "Spark plug", 7_500),
];

/// Seeds the holiday plan, the labour catalogue and the parts catalogue; safe to run again.
pub async fn prepare_service(app: &App) -> AppResult<usize> {
    crate::calendar::ensure_holidays(app).await?;
    let head_office = Principal {
        kind: domain::permission::ActorKind::Person,
        id: 0,
        name: "demo".into(),
        role: Role::Administrator,
        unit: Unit::HeadOffice,
    };
    let grant = head_office.grant(Action::NetworkWrite)?;
    for (code, zh, en, hundredths, min_grade, qualification, major_part) in OPERATIONS {
        let op = LabourOperation::new(
            code,
            zh,
            en,
            *hundredths,
            Requirement {
                min_grade: *min_grade,
                qualification: *qualification,
            },
        )
        .map_err(|e| crate::AppError::Internal(e.to_string()))?
        .with_major_part(*major_part);
        crate::labour::upsert_operation(app, &grant, &op).await?;
    }
    for (number, zh, en, price) in PARTS {
        let input = crate::part::PartInput {
            part_number: (*number).into(),
            name_zh: (*zh).into(),
            name_en: (*en).into(),
            price_fen: (*price).into(),
        };
        crate::part::upsert(app, &grant, &input).await?;
    }
    Ok(OPERATIONS.len() + PARTS.len())
}
