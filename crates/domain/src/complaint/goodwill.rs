//! Goodwill compensation (善意补偿) offered to settle a complaint: money (fen), parts
//! or a free service, each with a value in fen, approved up to the approver's limit.

use serde::{Deserialize, Serialize};

use super::code_enum;
use crate::Violation;
use crate::role::Role;

code_enum!(
    /// What is given.
    GoodwillKind, "complaint.goodwill_kind_unknown", "kind" {
        /// Money back or paid to the customer.
        Money => "money",
        /// Parts free of charge.
        Parts => "parts",
        /// A free service (maintenance, labour).
        FreeService => "free_service",
    }
);

/// Approval limits in fen per role, as head office sets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoodwillLimits {
    /// Customer relations at a station.
    pub customer_relations_fen: i64,
    /// The station manager.
    pub station_manager_fen: i64,
    /// The regional manager.
    pub regional_manager_fen: i64,
}

impl Default for GoodwillLimits {
    fn default() -> Self {
        Self {
            customer_relations_fen: 50_000,
            station_manager_fen: 200_000,
            regional_manager_fen: 1_000_000,
        }
    }
}

/// The most `role` may approve; `None` means no limit (head office's administrator).
pub fn approval_limit(role: Role, limits: &GoodwillLimits) -> Option<i64> {
    match role {
        Role::Administrator => None,
        Role::RegionalManager => Some(limits.regional_manager_fen),
        Role::StationManager => Some(limits.station_manager_fen),
        Role::CustomerRelations => Some(limits.customer_relations_fen),
        _ => Some(0),
    }
}

/// Whether `role` may approve goodwill worth `value_fen`: a positive value within
/// the role's limit; otherwise the violation on `value` naming the limit.
pub fn check(role: Role, value_fen: i64, limits: &GoodwillLimits) -> Result<(), Violation> {
    if value_fen <= 0 {
        return Err(Violation::new("value", "complaint.goodwill_positive"));
    }
    match approval_limit(role, limits) {
        Some(limit) if value_fen > limit => {
            Err(Violation::new("value", "complaint.goodwill_over_limit")
                .with_detail(crate::money::Money::from_fen(limit).to_string()))
        }
        _ => Ok(()),
    }
}
