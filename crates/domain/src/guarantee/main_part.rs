//! The ten systems and their main parts (GB/T 29632), kept as editable data: the
//! default list is `crates/domain/data/main_parts.txt`, and a head office may load its
//! own with [`MainPartList::parse`]. Replacing an assembly and replacing one main part
//! are different things and are never added together (Art 24 para 2).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The default list shipped with the product.
pub const DEFAULT_LIST: &str = include_str!("../../data/main_parts.txt");

/// A system whose main parts the regulation lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum System {
    /// 发动机.
    Engine,
    /// 变速器.
    Transmission,
    /// 动力蓄电池.
    TractionBattery,
    /// 行驶驱动电机.
    DriveMotor,
    /// 转向系统.
    Steering,
    /// 制动系统.
    Brakes,
    /// 悬架系统.
    Suspension,
    /// 前/后桥 (drivetrain).
    Drivetrain,
    /// 排放控制.
    EmissionControl,
    /// 车身.
    Body,
}

impl System {
    /// Every system.
    pub const ALL: [System; 10] = [
        System::Engine,
        System::Transmission,
        System::TractionBattery,
        System::DriveMotor,
        System::Steering,
        System::Brakes,
        System::Suspension,
        System::Drivetrain,
        System::EmissionControl,
        System::Body,
    ];

    /// Stable code as used in the data file.
    pub fn code(self) -> &'static str {
        match self {
            System::Engine => "engine",
            System::Transmission => "transmission",
            System::TractionBattery => "traction_battery",
            System::DriveMotor => "drive_motor",
            System::Steering => "steering",
            System::Brakes => "brakes",
            System::Suspension => "suspension",
            System::Drivetrain => "drivetrain",
            System::EmissionControl => "emission_control",
            System::Body => "body",
        }
    }

    /// The system named by `code`.
    pub fn from_code(code: &str) -> Option<System> {
        System::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether the regulation names this system as an assembly (Arts 20, 22, 24(1)(2)):
    /// engine, transmission, traction battery, drive motor.
    pub fn is_assembly(self) -> bool {
        matches!(
            self,
            System::Engine | System::Transmission | System::TractionBattery | System::DriveMotor
        )
    }
}

/// A main part: its system and code within it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MainPart {
    /// The system.
    pub system: System,
    /// Code, unique within the system.
    pub code: String,
}

/// How a main part is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MainPartNames {
    /// Chinese name.
    pub zh: String,
    /// English name.
    pub en: String,
}

/// Why a list or a part is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MainPartError {
    /// A line without four fields.
    #[error("line {0}: expected system|code|中文名|English name")]
    Format(usize),
    /// A system not among the ten.
    #[error("line {0}: unknown system")]
    UnknownSystem(usize),
    /// The same part twice.
    #[error("line {0}: part listed twice")]
    Duplicate(usize),
    /// A part not in the list.
    #[error("{system:?}/{code} is not a main part in the list")]
    NotListed {
        /// System named.
        system: System,
        /// Code named.
        code: String,
    },
}

impl From<MainPartError> for crate::Violation {
    fn from(e: MainPartError) -> Self {
        use crate::Violation as V;
        match e {
            MainPartError::Format(l) => {
                V::new("main_parts", "guarantee.main_part_format").with_detail(format!("line {l}"))
            }
            MainPartError::UnknownSystem(l) => {
                V::new("main_parts", "guarantee.system_unknown").with_detail(format!("line {l}"))
            }
            MainPartError::Duplicate(l) => V::new("main_parts", "guarantee.main_part_duplicate")
                .with_detail(format!("line {l}")),
            MainPartError::NotListed { system, code } => {
                V::new("main_part", "guarantee.main_part_unknown")
                    .with_detail(format!("{}/{code} art24(1)(3)", system.code()))
            }
        }
    }
}

/// The main parts per system.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MainPartList {
    parts: BTreeMap<MainPart, MainPartNames>,
}

impl MainPartList {
    /// The list shipped with the product.
    pub fn shipped() -> Result<MainPartList, MainPartError> {
        MainPartList::parse(DEFAULT_LIST)
    }

    /// Parses `system|code|中文名|English` lines; `#` starts a comment line.
    pub fn parse(text: &str) -> Result<MainPartList, MainPartError> {
        let mut parts = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split('|').map(str::trim).collect();
            let [system, code, zh, en] = fields[..] else {
                return Err(MainPartError::Format(n));
            };
            if code.is_empty() || zh.is_empty() {
                return Err(MainPartError::Format(n));
            }
            let system = System::from_code(system).ok_or(MainPartError::UnknownSystem(n))?;
            let key = MainPart {
                system,
                code: code.to_string(),
            };
            let names = MainPartNames {
                zh: zh.to_string(),
                en: en.to_string(),
            };
            if parts.insert(key, names).is_some() {
                return Err(MainPartError::Duplicate(n));
            }
        }
        Ok(MainPartList { parts })
    }

    /// The part `code` of `system`, refused when not listed.
    pub fn part(&self, system: System, code: &str) -> Result<MainPart, MainPartError> {
        let key = MainPart {
            system,
            code: code.to_string(),
        };
        if self.parts.contains_key(&key) {
            Ok(key)
        } else {
            Err(MainPartError::NotListed {
                system,
                code: code.to_string(),
            })
        }
    }

    /// Names of a listed part.
    pub fn names(&self, part: &MainPart) -> Option<&MainPartNames> {
        self.parts.get(part)
    }

    /// The parts of one system.
    pub fn of(&self, system: System) -> impl Iterator<Item = &MainPart> {
        self.parts.keys().filter(move |p| p.system == system)
    }

    /// Number of listed parts.
    pub fn len(&self) -> usize {
        self.parts.len()
    }

    /// Whether nothing is listed.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }
}
