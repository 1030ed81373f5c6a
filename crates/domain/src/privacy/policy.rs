//! The field-level privacy policy (个人信息保护法; 汽车数据安全管理若干规定; SPEC §1, §15).
//!
//! Every personal field a view can carry is a [`Field`] with a [`DataClass`]. For a
//! role, the caller's relation to the record and the purpose of the access, [`see`]
//! answers whether the field is absent, masked or whole. View models ask this one
//! function (through [`shown`]) instead of deciding masking where they are built, so a
//! new view cannot forget a rule and the matrix test can enumerate the whole policy.

use crate::permission::{Action, role_allows};
use crate::role::{Role, UnitKind};
use serde::Serialize;

/// How sensitive a kind of data is under PIPL and the vehicle-data rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataClass {
    /// 个人信息: names, phones, free text an owner wrote.
    Personal,
    /// 敏感个人信息: ID numbers, precise location and home addresses, signatures.
    SensitivePersonal,
    /// 汽车数据: VIN, plate, odometer (tied to a person through the owner).
    VehicleData,
}

/// A personal field that some view carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// A customer's name.
    CustomerName,
    /// A customer's mobile number.
    CustomerPhone,
    /// A customer's resident ID number.
    CustomerIdNumber,
    /// A pick-up or return address (usually home or work).
    PickupAddress,
    /// A staff member's mobile number.
    StaffPhone,
    /// The name of the person who approved an estimate line.
    ApproverName,
    /// The approver's signature.
    ApproverSignature,
    /// The client address an approval came from.
    ApproverIp,
    /// Free text an owner or staff member typed (rating comments, notes).
    FreeText,
    /// A VIN or plate.
    VehicleIdentity,
}

impl Field {
    /// Every field, for the privacy matrix.
    pub const ALL: [Field; 10] = [
        Field::CustomerName,
        Field::CustomerPhone,
        Field::CustomerIdNumber,
        Field::PickupAddress,
        Field::StaffPhone,
        Field::ApproverName,
        Field::ApproverSignature,
        Field::ApproverIp,
        Field::FreeText,
        Field::VehicleIdentity,
    ];

    /// The stable code written to the audit log (`field` column).
    pub fn code(self) -> &'static str {
        match self {
            Field::CustomerName => "name",
            Field::CustomerPhone => "phone",
            Field::CustomerIdNumber => "id_number",
            Field::PickupAddress => "address",
            Field::StaffPhone => "staff_phone",
            Field::ApproverName => "approver_name",
            Field::ApproverSignature => "approver_signature",
            Field::ApproverIp => "approver_ip",
            Field::FreeText => "free_text",
            Field::VehicleIdentity => "vehicle_identity",
        }
    }

    /// The field named by `code`, if any.
    pub fn from_code(code: &str) -> Option<Field> {
        Self::ALL.into_iter().find(|f| f.code() == code)
    }

    /// The class of data the field holds.
    pub fn class(self) -> DataClass {
        match self {
            Field::CustomerName
            | Field::CustomerPhone
            | Field::StaffPhone
            | Field::ApproverName
            | Field::FreeText => DataClass::Personal,
            Field::CustomerIdNumber
            | Field::PickupAddress
            | Field::ApproverSignature
            | Field::ApproverIp => DataClass::SensitivePersonal,
            Field::VehicleIdentity => DataClass::VehicleData,
        }
    }
}

/// How much of a field a view may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Not in the view at all.
    Absent,
    /// Masked (138****5678, 张**, 上海市浦东新区****).
    Masked,
    /// The whole value.
    Whole,
}

/// Why the data is being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Lists and detail pages: the everyday work of the desk.
    View,
    /// An explicit, audited request for the whole value, with a stated purpose.
    Reveal,
    /// A file leaving the system (CSV export).
    Export,
    /// The owner's own download or pages.
    OwnData,
}

/// How the caller stands to the record, as the use case that loaded it knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// The record is the caller's own (an owner and their data; a staff member and
    /// their own account).
    Own,
    /// The caller is assigned to the record's task (the driver or advisor of a
    /// pick-up, the advisor of the order).
    Assigned,
    /// The record is merely within the caller's reach.
    InReach,
}

/// Whether a role works at the station desk (serves the customer in person).
fn desk(role: Role) -> bool {
    role.unit_kind() == UnitKind::Station
}

/// May `role`, standing in `relation` to a record, see `field` of it for `purpose`,
/// and how much of it. The one answer every view model, reveal and export asks.
pub fn see(role: Role, field: Field, relation: Relation, purpose: Purpose) -> Visibility {
    use Visibility::*;
    // An owner sees their own data whole and nobody else's.
    if role == Role::Owner {
        return if relation == Relation::Own {
            match field {
                // A signature and a client address are evidence kept about an approval;
                // the owner's own export still carries them (it is their data).
                Field::ApproverIp | Field::ApproverSignature if purpose != Purpose::OwnData => {
                    Absent
                }
                _ => Whole,
            }
        } else {
            Absent
        };
    }
    // Staff: one's own staff record is one's own data.
    if relation == Relation::Own && field == Field::StaffPhone {
        return Whole;
    }
    let reveal = role_allows(role, Action::PersonalDataReveal);
    match (field, purpose) {
        (_, Purpose::OwnData) => Absent,
        (Field::VehicleIdentity, Purpose::View | Purpose::Export | Purpose::Reveal) => {
            if role_allows(role, Action::VehicleRead) || role_allows(role, Action::RepairOrderRead)
            {
                Whole
            } else {
                Absent
            }
        }
        (Field::CustomerName, Purpose::View | Purpose::Reveal) => {
            if desk(role) || reveal {
                Whole
            } else {
                Masked
            }
        }
        (Field::CustomerName, Purpose::Export) => Whole,
        (Field::CustomerPhone, Purpose::View | Purpose::Export) => Masked,
        (Field::CustomerPhone, Purpose::Reveal) => {
            if reveal {
                Whole
            } else {
                Masked
            }
        }
        // Sensitive: the ID number is masked only for those who may reveal it and
        // absent for everyone else (a technician never needs it).
        (Field::CustomerIdNumber, Purpose::View | Purpose::Export) => {
            if reveal {
                Masked
            } else {
                Absent
            }
        }
        (Field::CustomerIdNumber, Purpose::Reveal) => {
            if reveal {
                Whole
            } else {
                Absent
            }
        }
        // A home address is masked for everyone; only the pick-up's driver and
        // advisor (assigned) may reveal it.
        (Field::PickupAddress, Purpose::View | Purpose::Export) => Masked,
        (Field::PickupAddress, Purpose::Reveal) => {
            if relation == Relation::Assigned {
                Whole
            } else {
                Masked
            }
        }
        (Field::StaffPhone, Purpose::View | Purpose::Export) => Masked,
        (Field::StaffPhone, Purpose::Reveal) => {
            if role_allows(role, Action::StaffWrite) {
                Whole
            } else {
                Masked
            }
        }
        // Who approved a line: the station that did the work sees a masked name;
        // head office (experts, auditors, the hotline) does not need it at all.
        (Field::ApproverName, Purpose::View | Purpose::Export) => {
            if desk(role) {
                Masked
            } else {
                Absent
            }
        }
        (Field::ApproverName, Purpose::Reveal) => {
            if desk(role) && reveal {
                Whole
            } else {
                Absent
            }
        }
        // Signatures and client addresses are evidence for a dispute: absent from
        // views, whole only on an audited reveal by the station's manager.
        (Field::ApproverSignature | Field::ApproverIp, Purpose::View | Purpose::Export) => Absent,
        (Field::ApproverSignature | Field::ApproverIp, Purpose::Reveal) => {
            if role == Role::StationManager {
                Whole
            } else {
                Absent
            }
        }
        // Free text is shown, with any phone or ID number typed into it masked.
        (Field::FreeText, Purpose::View | Purpose::Export) => Masked,
        (Field::FreeText, Purpose::Reveal) => {
            if reveal {
                Whole
            } else {
                Masked
            }
        }
    }
}

/// A field's value as the policy lets this caller see it: `None` when absent.
pub fn shown(
    role: Role,
    field: Field,
    relation: Relation,
    purpose: Purpose,
    value: &str,
) -> Option<String> {
    match see(role, field, relation, purpose) {
        Visibility::Absent => None,
        Visibility::Whole => Some(value.to_string()),
        Visibility::Masked => Some(mask(field, value)),
    }
}

/// The masked form of a field's value.
pub fn mask(field: Field, value: &str) -> String {
    use crate::mask::{mask_id_number, mask_middle, mask_name};
    match field {
        Field::CustomerPhone | Field::StaffPhone => crate::phone::Phone::parse(value)
            .map(|p| p.masked())
            .unwrap_or_else(|_| mask_middle(value, 3, 4)),
        Field::CustomerIdNumber => mask_id_number(value),
        Field::CustomerName | Field::ApproverName => mask_name(value),
        Field::PickupAddress => mask_address(value),
        Field::ApproverIp => mask_ip(value),
        Field::ApproverSignature => "***".to_string(),
        Field::FreeText => super::text::mask_numbers(value),
        Field::VehicleIdentity => mask_middle(value, 3, 4),
    }
}

/// An address keeps its first six characters (province and city, or the district)
/// and the rest is starred, so a driver's colleague knows roughly where, not the door.
pub fn mask_address(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 6 {
        return "*".repeat(chars.len().max(1));
    }
    let mut out: String = chars[..6].iter().collect();
    out.push_str("****");
    out
}

/// An IPv4 address keeps its first two octets; anything else is starred.
fn mask_ip(s: &str) -> String {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() == 4 {
        format!("{}.{}.*.*", parts[0], parts[1])
    } else {
        "***".to_string()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for f in Field::ALL {
            assert_eq!(Field::from_code(f.code()), Some(f));
        }
    }

    #[test]
    fn owner_sees_own_whole_and_nobody_else() {
        for f in Field::ALL {
            assert_eq!(
                see(Role::Owner, f, Relation::InReach, Purpose::View),
                Visibility::Absent
            );
            assert_eq!(
                see(Role::Owner, f, Relation::Own, Purpose::OwnData),
                Visibility::Whole
            );
        }
    }

    #[test]
    fn phones_are_masked_in_views_and_whole_only_on_reveal_with_the_right() {
        for r in Role::staff() {
            assert_eq!(
                see(r, Field::CustomerPhone, Relation::InReach, Purpose::View),
                Visibility::Masked
            );
            let expect = if role_allows(r, Action::PersonalDataReveal) {
                Visibility::Whole
            } else {
                Visibility::Masked
            };
            assert_eq!(
                see(r, Field::CustomerPhone, Relation::InReach, Purpose::Reveal),
                expect
            );
        }
    }

    #[test]
    fn addresses_whole_only_for_the_assigned() {
        assert_eq!(
            see(
                Role::ServiceAdvisor,
                Field::PickupAddress,
                Relation::InReach,
                Purpose::Reveal
            ),
            Visibility::Masked
        );
        assert_eq!(
            see(
                Role::Technician,
                Field::PickupAddress,
                Relation::Assigned,
                Purpose::Reveal
            ),
            Visibility::Whole
        );
        assert_eq!(
            see(
                Role::Administrator,
                Field::PickupAddress,
                Relation::InReach,
                Purpose::View
            ),
            Visibility::Masked
        );
    }

    #[test]
    fn approvers_are_not_shown_to_head_office() {
        for r in [
            Role::TechnicalExpert,
            Role::QualityAuditor,
            Role::CallCentreAgent,
        ] {
            for f in [
                Field::ApproverName,
                Field::ApproverSignature,
                Field::ApproverIp,
            ] {
                assert_eq!(
                    see(r, f, Relation::InReach, Purpose::View),
                    Visibility::Absent
                );
            }
        }
        assert_eq!(
            shown(
                Role::ServiceAdvisor,
                Field::ApproverName,
                Relation::InReach,
                Purpose::View,
                "王小明"
            ),
            Some("王**".into())
        );
    }

    #[test]
    fn id_numbers_absent_for_roles_that_cannot_reveal() {
        assert_eq!(
            see(
                Role::Technician,
                Field::CustomerIdNumber,
                Relation::InReach,
                Purpose::View
            ),
            Visibility::Absent
        );
        assert_eq!(
            shown(
                Role::ServiceAdvisor,
                Field::CustomerIdNumber,
                Relation::InReach,
                Purpose::View,
                "110101199003077777"
            ),
            Some("110101********7777".into())
        );
    }

    #[test]
    fn masks() {
        assert_eq!(mask_address("上海市浦东新区张江路88号"), "上海市浦东新****");
        assert_eq!(mask_ip("10.1.2.3"), "10.1.*.*");
        assert_eq!(mask(Field::CustomerPhone, "+8613912345671"), "139****5671");
    }
}
