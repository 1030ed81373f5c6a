//! The roles of SPEC §1 and where each one works.

use serde::{Deserialize, Serialize};

/// A staff or owner role. Each staff role belongs to one kind of organisation unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Vehicle owner using the owner pages.
    Owner,
    /// 服务顾问: receives cars, opens repair orders, quotes, hands back.
    ServiceAdvisor,
    /// 维修技师: the diagnosis and repair steps assigned to them.
    Technician,
    /// 备件员: stock, reservations, replenishment.
    PartsClerk,
    /// 索赔员: warranty and goodwill claims.
    WarrantyClerk,
    /// 客户关系员: callbacks and station complaints.
    CustomerRelations,
    /// 服务站长: everything of their station.
    StationManager,
    /// 技术总监: everything of their station, technical lead.
    TechnicalDirector,
    /// 呼叫中心坐席: hotline intake for all stations.
    CallCentreAgent,
    /// 技术专家 (GTAC): technical assistance, knowledge base.
    TechnicalExpert,
    /// 区域经理: the stations of their region.
    RegionalManager,
    /// 质量稽核: audits and mystery-shopper reports.
    QualityAuditor,
    /// Head-office administrator: network, users, policies, standards.
    Administrator,
    /// 个人信息保护负责人 (PIPL Art 52): searches and exports the audit log of
    /// personal data; no other data rights.
    PrivacyOfficer,
}

/// Where a role works: its scope decides which records it may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitKind {
    /// One service station.
    Station,
    /// One region (大区).
    Region,
    /// Head office: the whole network.
    HeadOffice,
    /// A vehicle owner: only their own records.
    Owner,
}

impl Role {
    /// Every role, in the order of SPEC §1.
    pub const ALL: [Role; 14] = [
        Role::Owner,
        Role::ServiceAdvisor,
        Role::Technician,
        Role::PartsClerk,
        Role::WarrantyClerk,
        Role::CustomerRelations,
        Role::StationManager,
        Role::TechnicalDirector,
        Role::CallCentreAgent,
        Role::TechnicalExpert,
        Role::RegionalManager,
        Role::QualityAuditor,
        Role::Administrator,
        Role::PrivacyOfficer,
    ];

    /// Staff roles only (all but owner).
    pub fn staff() -> impl Iterator<Item = Role> {
        Self::ALL.into_iter().filter(|r| *r != Role::Owner)
    }

    /// The stable code stored in the database and used in URLs.
    pub fn code(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::ServiceAdvisor => "service_advisor",
            Role::Technician => "technician",
            Role::PartsClerk => "parts_clerk",
            Role::WarrantyClerk => "warranty_clerk",
            Role::CustomerRelations => "customer_relations",
            Role::StationManager => "station_manager",
            Role::TechnicalDirector => "technical_director",
            Role::CallCentreAgent => "call_centre_agent",
            Role::TechnicalExpert => "technical_expert",
            Role::RegionalManager => "regional_manager",
            Role::QualityAuditor => "quality_auditor",
            Role::Administrator => "administrator",
            Role::PrivacyOfficer => "privacy_officer",
        }
    }

    /// The role named by `code`, if any.
    pub fn from_code(code: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The kind of unit this role is tied to.
    pub fn unit_kind(self) -> UnitKind {
        match self {
            Role::Owner => UnitKind::Owner,
            Role::ServiceAdvisor
            | Role::Technician
            | Role::PartsClerk
            | Role::WarrantyClerk
            | Role::CustomerRelations
            | Role::StationManager
            | Role::TechnicalDirector => UnitKind::Station,
            Role::RegionalManager => UnitKind::Region,
            Role::CallCentreAgent
            | Role::TechnicalExpert
            | Role::QualityAuditor
            | Role::Administrator
            | Role::PrivacyOfficer => UnitKind::HeadOffice,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for r in Role::ALL {
            assert_eq!(Role::from_code(r.code()), Some(r));
            assert!(seen.insert(r.code()));
        }
        assert_eq!(Role::from_code("root"), None);
    }

    #[test]
    fn station_roles_are_station_scoped() {
        assert_eq!(Role::Technician.unit_kind(), UnitKind::Station);
        assert_eq!(Role::RegionalManager.unit_kind(), UnitKind::Region);
        assert_eq!(Role::Administrator.unit_kind(), UnitKind::HeadOffice);
        assert_eq!(Role::staff().count(), 13);
    }
}
