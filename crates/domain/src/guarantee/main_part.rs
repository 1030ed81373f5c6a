//! The ten systems and their main parts (GB/T 29632), kept as editable data: the
//! list shipped in `crates/domain/data/main_parts.txt` seeds the database (migration
//! 40), where head office adds, renames and retires parts; the application builds a
//! [`MainPartList`] from the stored rows with [`MainPartList::from_entries`]. The rules
//! stay here: the system is one of the ten, a code has one shape and is unique within
//! its system ([`NewMainPart::parse`]), a retired part stays valid on the faults that
//! name it but no new fault may name it ([`MainPartList::choose`]). Replacing an
//! assembly and replacing one main part are different things and are never added
//! together (Art 24 para 2).

use std::collections::{BTreeMap, BTreeSet};

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
    /// A part head office has retired: valid on the faults recorded with it, not on a
    /// new one.
    #[error("{system:?}/{code} is retired")]
    Retired {
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
                    .with_detail(format!("system.{} “{code}” art24(1)(3)", system.code()))
            }
            MainPartError::Retired { system, code } => {
                V::new("main_part", "guarantee.main_part_retired")
                    .with_detail(format!("system.{} “{code}”", system.code()))
            }
        }
    }
}

/// Longest main-part code.
pub const MAX_CODE_CHARS: usize = 40;

/// Longest main-part name, in characters.
pub const MAX_NAME_CHARS: usize = 60;

/// A system named by its code, refused (`system`, `guarantee.system_unknown`, citing
/// Art 24(1)(3), which lists the ten) when it is not one of the ten.
pub fn parse_system(raw: &str) -> Result<System, crate::Violation> {
    if raw.trim().is_empty() {
        return Err(crate::Violation::new("system", "required"));
    }
    System::from_code(raw.trim()).ok_or_else(|| {
        crate::Violation::new("system", "guarantee.system_unknown").with_detail("art24(1)(3)")
    })
}

/// A part's code: 2–40 characters of `a`–`z`, `0`–`9` and `_`, starting with a letter.
/// It is stored on every classified fault, so it never changes; the names do.
pub fn parse_code(raw: &str) -> Result<String, crate::Violation> {
    let t = raw.trim();
    let mut chars = t.chars();
    let first = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let rest = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if first && rest && (2..=MAX_CODE_CHARS).contains(&t.chars().count()) {
        Ok(t.to_string())
    } else {
        Err(crate::Violation::new("code", "guarantee.main_part_code").with_detail(t.to_string()))
    }
}

impl MainPartNames {
    /// Both names, each one line of 1–60 characters after trimming; every refusal
    /// names its field (`name_zh`, `name_en`).
    pub fn parse(zh: &str, en: &str) -> Result<MainPartNames, Vec<crate::Violation>> {
        let mut errors = Vec::new();
        let mut one = |field: &str, raw: &str| -> String {
            let t = raw.trim();
            if t.is_empty() {
                errors.push(crate::Violation::new(field, "required"));
            } else if t.chars().count() > MAX_NAME_CHARS {
                errors.push(crate::Violation::new(field, "text.length"));
            } else if let Some(c) = t.chars().find(|c| c.is_control()) {
                errors.push(
                    crate::Violation::new(field, "text.control_chars")
                        .with_detail(format!("U+{:04X}", u32::from(c))),
                );
            }
            t.to_string()
        };
        let (zh, en) = (one("name_zh", zh), one("name_en", en));
        if errors.is_empty() {
            Ok(MainPartNames { zh, en })
        } else {
            Err(errors)
        }
    }
}

/// A part head office adds: its system among the ten, its code in shape, its names.
/// Whether the code is free in its system is the stored list's business.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMainPart {
    /// The part.
    pub part: MainPart,
    /// Its names.
    pub names: MainPartNames,
}

impl NewMainPart {
    /// Checks every field at once, each refusal naming its field.
    pub fn parse(
        system: &str,
        code: &str,
        zh: &str,
        en: &str,
    ) -> Result<NewMainPart, Vec<crate::Violation>> {
        let mut errors = Vec::new();
        let system = parse_system(system).map_err(|e| errors.push(e)).ok();
        let code = parse_code(code).map_err(|e| errors.push(e)).ok();
        let names = MainPartNames::parse(zh, en)
            .map_err(|e| errors.extend(e))
            .ok();
        match (system, code, names) {
            (Some(system), Some(code), Some(names)) => Ok(NewMainPart {
                part: MainPart { system, code },
                names,
            }),
            _ => Err(errors),
        }
    }
}

/// One part of a stored list: system code, code, names, whether retired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    /// System code as stored.
    pub system: &'a str,
    /// Part code.
    pub code: &'a str,
    /// 中文名.
    pub zh: &'a str,
    /// English name.
    pub en: &'a str,
    /// Whether head office retired it.
    pub retired: bool,
}

/// The main parts per system.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MainPartList {
    parts: BTreeMap<MainPart, MainPartNames>,
    retired: BTreeSet<MainPart>,
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
        Ok(MainPartList {
            parts,
            retired: BTreeSet::new(),
        })
    }

    /// The list as stored (the n-th entry is "line n" in a refusal): a system not
    /// among the ten or a part twice is refused, as in a file.
    pub fn from_entries<'a>(
        entries: impl IntoIterator<Item = Entry<'a>>,
    ) -> Result<MainPartList, MainPartError> {
        let mut list = MainPartList::default();
        for (i, e) in entries.into_iter().enumerate() {
            let n = i + 1;
            let system = System::from_code(e.system).ok_or(MainPartError::UnknownSystem(n))?;
            let key = MainPart {
                system,
                code: e.code.to_string(),
            };
            let names = MainPartNames {
                zh: e.zh.to_string(),
                en: e.en.to_string(),
            };
            if list.parts.insert(key.clone(), names).is_some() {
                return Err(MainPartError::Duplicate(n));
            }
            if e.retired {
                list.retired.insert(key);
            }
        }
        Ok(list)
    }

    /// The part a new fault names: listed and not retired. A retired part stays in
    /// the list ([`MainPartList::part`]) for the faults recorded before.
    pub fn choose(&self, system: System, code: &str) -> Result<MainPart, MainPartError> {
        let part = self.part(system, code)?;
        if self.retired.contains(&part) {
            return Err(MainPartError::Retired {
                system,
                code: code.to_string(),
            });
        }
        Ok(part)
    }

    /// Whether head office retired a part.
    pub fn is_retired(&self, part: &MainPart) -> bool {
        self.retired.contains(part)
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

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;

    fn entry<'a>(system: &'a str, code: &'a str, retired: bool) -> Entry<'a> {
        Entry {
            system,
            code,
            zh: "名",
            en: "name",
            retired,
        }
    }

    #[test]
    fn a_stored_list_keeps_the_rules_of_the_file() {
        let list = MainPartList::from_entries([
            entry("engine", "crankshaft", false),
            entry("brakes", "caliper", true),
        ])
        .unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(
            MainPartList::from_entries([entry("wings", "flap", false)]),
            Err(MainPartError::UnknownSystem(1))
        );
        assert_eq!(
            MainPartList::from_entries([
                entry("engine", "crankshaft", false),
                entry("engine", "crankshaft", true)
            ]),
            Err(MainPartError::Duplicate(2))
        );
    }

    #[test]
    fn a_retired_part_names_old_faults_but_no_new_one() {
        let list = MainPartList::from_entries([entry("brakes", "caliper", true)]).unwrap();
        let old = list.part(System::Brakes, "caliper").unwrap();
        assert!(list.is_retired(&old));
        assert!(list.names(&old).is_some());
        assert!(matches!(
            list.choose(System::Brakes, "caliper"),
            Err(MainPartError::Retired { .. })
        ));
        assert!(matches!(
            list.choose(System::Brakes, "disc"),
            Err(MainPartError::NotListed { .. })
        ));
    }

    #[test]
    fn a_new_part_is_refused_field_by_field() {
        let ok =
            NewMainPart::parse("body", "tailgate_hinge", " 尾门铰链 ", "tailgate hinge").unwrap();
        assert_eq!(ok.part.system, System::Body);
        assert_eq!(ok.names.zh, "尾门铰链");
        let bad = NewMainPart::parse("wings", "X-1", "", "flap").unwrap_err();
        let fields: Vec<&str> = bad.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["system", "code", "name_zh"]);
        assert_eq!(bad[0].rule, "guarantee.system_unknown");
        assert_eq!(bad[1].rule, "guarantee.main_part_code");
        assert!(parse_code(&"a".repeat(41)).is_err());
        assert!(MainPartNames::parse("名", &"x".repeat(61)).is_err());
    }

    #[test]
    fn the_shipped_list_parses_with_nothing_retired() {
        let list = MainPartList::shipped().unwrap();
        assert!(list.len() > 40);
        assert!(
            System::ALL
                .iter()
                .all(|s| list.of(*s).next().is_some() || s.is_assembly())
        );
    }
}
