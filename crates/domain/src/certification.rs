//! Staff certification (SPEC §11): key positions (GKPC), technician grades (GMTC 1–4)
//! and qualifications such as EV high voltage, each with an expiry date.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Technician grade, GMTC 1–4. Higher grades cover the work of lower ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TechnicianGrade {
    /// 1: 技师.
    Technician = 1,
    /// 2: 高级技师.
    SeniorTechnician = 2,
    /// 3: 中级技师 (intermediate master).
    IntermediateMaster = 3,
    /// 4: 高级技师大师 (senior master).
    SeniorMaster = 4,
}

impl TechnicianGrade {
    /// The grade numbered 1–4.
    pub fn from_level(level: i64) -> Option<Self> {
        match level {
            1 => Some(Self::Technician),
            2 => Some(Self::SeniorTechnician),
            3 => Some(Self::IntermediateMaster),
            4 => Some(Self::SeniorMaster),
            _ => None,
        }
    }

    /// The grade's number 1–4.
    pub fn level(self) -> i64 {
        self as i64
    }
}

/// A qualification beyond the grade, needed by some labour operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Qualification {
    /// EV high-voltage work (高压电工作业).
    EvHighVoltage,
    /// Body and paint.
    BodyPaint,
    /// Air-conditioning refrigerant handling.
    AirConditioning,
}

impl Qualification {
    /// Every qualification.
    pub const ALL: [Qualification; 3] =
        [Self::EvHighVoltage, Self::BodyPaint, Self::AirConditioning];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Self::EvHighVoltage => "ev_high_voltage",
            Self::BodyPaint => "body_paint",
            Self::AirConditioning => "air_conditioning",
        }
    }

    /// The qualification named by `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|q| q.code() == code)
    }
}

/// What one certificate attests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Credential {
    /// A key position (GKPC), by role code.
    KeyPosition(crate::role::Role),
    /// A technician grade (GMTC).
    Grade(TechnicianGrade),
    /// A qualification.
    Qualification(Qualification),
}

impl Credential {
    /// Stable code: `grade:3`, `qualification:ev_high_voltage`, `position:service_advisor`.
    pub fn code(self) -> String {
        match self {
            Credential::KeyPosition(r) => format!("position:{}", r.code()),
            Credential::Grade(g) => format!("grade:{}", g.level()),
            Credential::Qualification(q) => format!("qualification:{}", q.code()),
        }
    }

    /// Parses a code made by [`Credential::code`].
    pub fn from_code(code: &str) -> Option<Self> {
        let (kind, value) = code.split_once(':')?;
        match kind {
            "position" => crate::role::Role::from_code(value).map(Credential::KeyPosition),
            "grade" => value
                .parse()
                .ok()
                .and_then(TechnicianGrade::from_level)
                .map(Credential::Grade),
            "qualification" => Qualification::from_code(value).map(Credential::Qualification),
            _ => None,
        }
    }
}

/// A certificate held by a staff member, valid up to and including `expires_on`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    /// What it attests.
    pub credential: Credential,
    /// First day it is valid.
    pub issued_on: Date,
    /// Last day it is valid.
    pub expires_on: Date,
}

impl Certificate {
    /// Whether it is valid on `day`.
    pub fn valid_on(&self, day: Date) -> bool {
        self.issued_on <= day && day <= self.expires_on
    }
}

/// What a labour operation needs of whoever does it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Requirement {
    /// Minimum technician grade, if any.
    pub min_grade: Option<TechnicianGrade>,
    /// Qualification needed, if any.
    pub qualification: Option<Qualification>,
}

/// Why someone may not be assigned to a piece of work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificationError {
    /// No valid certificate of at least the needed grade.
    #[error("needs a valid technician grade of at least {0:?}")]
    GradeMissing(TechnicianGrade),
    /// No valid certificate for the needed qualification.
    #[error("needs a valid {0:?} qualification")]
    QualificationMissing(Qualification),
    /// Nobody is assigned to the work, so nobody's certificates can be checked.
    #[error("no technician is assigned")]
    Unassigned,
}

impl From<CertificationError> for crate::Violation {
    fn from(e: CertificationError) -> Self {
        match e {
            CertificationError::GradeMissing(g) => {
                crate::Violation::new("technician", "certification.grade_missing")
                    .with_detail(g.level().to_string())
            }
            CertificationError::QualificationMissing(q) => {
                crate::Violation::new("technician", "certification.qualification_missing")
                    .with_detail(q.code())
            }
            CertificationError::Unassigned => {
                crate::Violation::new("technician", "certification.unassigned")
            }
        }
    }
}

/// Whether `certificates` cover `requirement` on `day` (先认证后上岗): expired
/// certificates count for nothing.
pub fn check_requirement(
    certificates: &[Certificate],
    requirement: Requirement,
    day: Date,
) -> Result<(), CertificationError> {
    let valid = || certificates.iter().filter(|c| c.valid_on(day));
    if let Some(min) = requirement.min_grade {
        let best = valid()
            .filter_map(|c| match c.credential {
                Credential::Grade(g) => Some(g),
                _ => None,
            })
            .max();
        if best.is_none_or(|g| g < min) {
            return Err(CertificationError::GradeMissing(min));
        }
    }
    if let Some(q) = requirement.qualification
        && !valid().any(|c| c.credential == Credential::Qualification(q))
    {
        return Err(CertificationError::QualificationMissing(q));
    }
    Ok(())
}

/// Proof that the technician assigned to one line holds, on the day work starts, what
/// the line's operation needs (先认证后上岗). Only [`clear`] makes one, and
/// `RepairOrder::start_work` asks for it, so work cannot start on a line nobody
/// certified is assigned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cleared {
    line: u32,
    staff_id: i64,
}

impl Cleared {
    /// The line the clearance is for.
    pub fn line(self) -> u32 {
        self.line
    }

    /// The technician cleared.
    pub fn staff_id(self) -> i64 {
        self.staff_id
    }
}

/// Clears the technician `assigned` to `line` (none: refused) when `certificates`
/// cover `requirement` on `day`.
pub fn clear(
    line: u32,
    assigned: Option<i64>,
    certificates: &[Certificate],
    requirement: Requirement,
    day: Date,
) -> Result<Cleared, CertificationError> {
    let staff_id = assigned.ok_or(CertificationError::Unassigned)?;
    check_requirement(certificates, requirement, day)?;
    Ok(Cleared { line, staff_id })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn cert(c: Credential, to: Date) -> Certificate {
        Certificate {
            credential: c,
            issued_on: date(2024, 1, 1),
            expires_on: to,
        }
    }

    #[test]
    fn higher_grade_covers_lower_and_expiry_stops_it() {
        let certs = [cert(
            Credential::Grade(TechnicianGrade::IntermediateMaster),
            date(2026, 6, 30),
        )];
        let need = Requirement {
            min_grade: Some(TechnicianGrade::SeniorTechnician),
            qualification: None,
        };
        assert_eq!(check_requirement(&certs, need, date(2026, 6, 30)), Ok(()));
        assert_eq!(
            check_requirement(&certs, need, date(2026, 7, 1)),
            Err(CertificationError::GradeMissing(
                TechnicianGrade::SeniorTechnician
            ))
        );
        let need4 = Requirement {
            min_grade: Some(TechnicianGrade::SeniorMaster),
            qualification: None,
        };
        assert!(check_requirement(&certs, need4, date(2025, 1, 1)).is_err());
    }

    #[test]
    fn qualification_is_needed_separately() {
        let certs = [cert(
            Credential::Grade(TechnicianGrade::SeniorMaster),
            date(2030, 1, 1),
        )];
        let need = Requirement {
            min_grade: None,
            qualification: Some(Qualification::EvHighVoltage),
        };
        assert_eq!(
            check_requirement(&certs, need, date(2026, 1, 1)),
            Err(CertificationError::QualificationMissing(
                Qualification::EvHighVoltage
            ))
        );
        let certs2 = [cert(
            Credential::Qualification(Qualification::EvHighVoltage),
            date(2030, 1, 1),
        )];
        assert_eq!(check_requirement(&certs2, need, date(2026, 1, 1)), Ok(()));
    }

    #[test]
    fn work_needs_an_assigned_and_qualified_technician() {
        let need = Requirement {
            min_grade: None,
            qualification: Some(Qualification::EvHighVoltage),
        };
        let ev = [cert(
            Credential::Qualification(Qualification::EvHighVoltage),
            date(2030, 1, 1),
        )];
        let day = date(2026, 1, 1);
        assert_eq!(
            clear(3, None, &ev, need, day),
            Err(CertificationError::Unassigned)
        );
        assert_eq!(
            clear(3, Some(7), &[], need, day),
            Err(CertificationError::QualificationMissing(
                Qualification::EvHighVoltage
            ))
        );
        assert_eq!(
            clear(3, Some(7), &ev, need, day).map(|c| (c.line(), c.staff_id())),
            Ok((3, 7))
        );
    }

    #[test]
    fn credential_codes_round_trip() {
        for c in [
            Credential::Grade(TechnicianGrade::SeniorMaster),
            Credential::Qualification(Qualification::BodyPaint),
            Credential::KeyPosition(crate::role::Role::WarrantyClerk),
        ] {
            assert_eq!(Credential::from_code(&c.code()), Some(c));
        }
        assert_eq!(Credential::from_code("grade:5"), None);
    }
}
