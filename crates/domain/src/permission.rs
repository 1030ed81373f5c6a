//! Permissions as typed capabilities (the lldap pattern).
//!
//! A [`Principal`] is who is asking. Handlers ask it for a [`Grant`] for one
//! [`Action`]; a grant carries the [`Reach`] the data access must be limited to, and
//! the store's functions take a `&Reach`, so a query that forgets the scope cannot be
//! written: there is no way to call them without one.

use crate::ids::{CustomerId, RegionId, StationId};
use crate::role::{Role, UnitKind};
use serde::Serialize;

/// Where a person works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum Unit {
    /// Head office: everything.
    HeadOffice,
    /// One region.
    Region(RegionId),
    /// One station (and the region it belongs to).
    Station(StationId, RegionId),
    /// An owner: their own records.
    Owner(CustomerId),
}

/// What kind of actor a principal is, so that an integration token's actions are never
/// mistaken for those of the person whose id it happens to share (audit log).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// A signed-in person (staff member or owner).
    Person,
    /// An API token used by an integration.
    Token,
    /// The server itself (timers, imports, the demo).
    System,
}

impl ActorKind {
    /// The stable code stored in the audit log.
    pub fn code(self) -> &'static str {
        match self {
            ActorKind::Person => "person",
            ActorKind::Token => "token",
            ActorKind::System => "system",
        }
    }
}

/// Who is asking: a signed-in staff member, owner or integration token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// A person, a token or the system.
    pub kind: ActorKind,
    /// Staff id, customer id or token id, depending on the role.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// The role.
    pub role: Role,
    /// The unit the role works in.
    pub unit: Unit,
}

/// What data a grant reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The whole network.
    All,
    /// The stations of one region.
    Region(RegionId),
    /// One station.
    Station(StationId),
    /// One customer's own records.
    Customer(CustomerId),
}

/// Everything a caller may ask to do, one per kind of access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Read regions, stations, depots, mobile units.
    NetworkRead,
    /// Create or change regions, stations, depots, mobile units.
    NetworkWrite,
    /// Read staff accounts and certificates.
    StaffRead,
    /// Create or change staff accounts and certificates.
    StaffWrite,
    /// Read customers (masked).
    CustomerRead,
    /// Create or change customers.
    CustomerWrite,
    /// See a whole phone or ID number (audited).
    PersonalDataReveal,
    /// Find who is calling by their whole number (audited, rate-limited per user).
    CallerIdentify,
    /// Read vehicles.
    VehicleRead,
    /// Create or change vehicles, record odometer readings, transfer ownership.
    VehicleWrite,
    /// Import lists from CSV.
    Import,
    /// Export lists to CSV.
    Export,
    /// Read the audit log.
    AuditRead,
    /// Issue API tokens for integrations.
    TokenAdmin,
    /// Download everything kept about oneself (owners).
    OwnDataExport,
    /// Read appointments and search free slots.
    AppointmentRead,
    /// Book, reschedule, cancel or mark no-show (owners: their own vehicles).
    AppointmentBook,
    /// Read repair orders: detail, estimate, timeline, the board.
    RepairOrderRead,
    /// Advisor-side repair-order work: open, checkpoints, stages, estimate, approvals at
    /// the desk, assignment, owner link, delivery.
    RepairOrderWrite,
    /// Workshop work: start and finish assigned work, checkpoints with notes.
    WorkshopWork,
    /// Publish a station's slot capacity.
    CapacityAdmin,
    /// Read station KPIs.
    KpiRead,
    /// Read pick-up and delivery jobs (上门取送车) and their hand-overs.
    PickupRead,
    /// Schedule pick-ups and returns, assign drivers, record hand-overs.
    PickupWrite,
    /// Read bills and their payments.
    BillingRead,
    /// Record payments at the desk and start online payments.
    BillingWrite,
    /// Give money back on a bill (up to the role's approval limit, see
    /// [`crate::billing::approval_limit`]).
    BillingRefund,
    /// Read the owners' ratings.
    RatingRead,
    /// Record a rating at the desk on the owner's behalf.
    RatingWrite,
    /// Read the follow-up calls (回访) due and done.
    FollowUpRead,
    /// Record the outcome of a follow-up call.
    FollowUpWrite,
    /// See the job and timer queue, retry dead letters, cancel jobs.
    JobAdmin,
    /// Handle owners' correction and deletion requests (head office; PIPL Arts 46–47).
    PrivacyRequestHandle,
    /// Read complaints, their clocks and the inbox of warnings and escalations
    /// (owners: their own complaints).
    ComplaintRead,
    /// Take complaints in and work them: intake, workflow, zeros, follow-up,
    /// goodwill (up to the role's limit), reassignment.
    ComplaintWrite,
    /// Publish service-level policies (head office).
    ComplaintPolicy,
    /// An owner files a complaint and answers its follow-up.
    ComplaintOwnerFile,
    /// Read callback surveys, their answers, hot alerts and the CSI/NPS figures.
    SurveyRead,
    /// Record a survey by call (answers, refusal, unreachable) and work hot alerts
    /// (close, turn into a complaint).
    SurveyWrite,
    /// Publish questionnaire versions and run the monthly sample (head office).
    SurveyPolicy,
    /// Read quality audits, their scores and corrective actions (stations: their own).
    QualityAuditRead,
    /// Audit a station: fill a checklist, verify or reject corrective actions, publish
    /// checklist versions (head office auditors).
    QualityAuditWrite,
    /// Work a station's corrective actions: state the cause, close with evidence.
    CorrectiveActionWrite,
    /// Rate the station's depot for a quarter (station management and parts).
    DepotRate,
}

impl Action {
    /// Every action, for the authorisation-matrix test and documentation.
    pub const ALL: [Action; 44] = [
        Action::NetworkRead,
        Action::NetworkWrite,
        Action::StaffRead,
        Action::StaffWrite,
        Action::CustomerRead,
        Action::CustomerWrite,
        Action::PersonalDataReveal,
        Action::CallerIdentify,
        Action::VehicleRead,
        Action::VehicleWrite,
        Action::Import,
        Action::Export,
        Action::AuditRead,
        Action::TokenAdmin,
        Action::OwnDataExport,
        Action::AppointmentRead,
        Action::AppointmentBook,
        Action::RepairOrderRead,
        Action::RepairOrderWrite,
        Action::WorkshopWork,
        Action::CapacityAdmin,
        Action::KpiRead,
        Action::PickupRead,
        Action::PickupWrite,
        Action::BillingRead,
        Action::BillingWrite,
        Action::BillingRefund,
        Action::RatingRead,
        Action::RatingWrite,
        Action::FollowUpRead,
        Action::FollowUpWrite,
        Action::JobAdmin,
        Action::PrivacyRequestHandle,
        Action::ComplaintRead,
        Action::ComplaintWrite,
        Action::ComplaintPolicy,
        Action::ComplaintOwnerFile,
        Action::SurveyRead,
        Action::SurveyWrite,
        Action::SurveyPolicy,
        Action::QualityAuditRead,
        Action::QualityAuditWrite,
        Action::CorrectiveActionWrite,
        Action::DepotRate,
    ];
}

/// Whether `role` may perform `action` at all (within its own unit).
pub fn role_allows(role: Role, action: Action) -> bool {
    use Action::*;
    use Role::*;
    match action {
        NetworkRead => role != Owner,
        NetworkWrite | TokenAdmin | Import | JobAdmin => role == Administrator,
        // The audit log of personal data: the administrator and the privacy officer,
        // whose only data right it is.
        AuditRead => matches!(role, Administrator | PrivacyOfficer),
        // Head office answers the owners' requests: erasing records is a network-wide
        // decision, never a station's.
        PrivacyRequestHandle => role == Administrator,
        StaffRead => matches!(
            role,
            StationManager | TechnicalDirector | RegionalManager | Administrator
        ),
        StaffWrite => matches!(role, StationManager | Administrator),
        // The desk areas that serve a vehicle (pick-up, billing, rating, follow-up) are
        // granted to the same roles as the vehicle itself: the people at the desk.
        CustomerRead | VehicleRead | PickupRead | BillingRead | RatingRead | FollowUpRead => {
            !matches!(
                role,
                Owner | TechnicalExpert | QualityAuditor | PrivacyOfficer
            )
        }
        CustomerWrite | VehicleWrite | PickupWrite | BillingWrite | RatingWrite | FollowUpWrite => {
            matches!(
                role,
                ServiceAdvisor
                    | CustomerRelations
                    | StationManager
                    | CallCentreAgent
                    | Administrator
            )
        }
        // The desk gives money back; the approval limit of each role is checked in
        // the use case, head office above every station limit.
        BillingRefund => matches!(role, ServiceAdvisor | StationManager | Administrator),
        PersonalDataReveal => {
            matches!(
                role,
                ServiceAdvisor
                    | CustomerRelations
                    | StationManager
                    | CallCentreAgent
                    | Administrator
            )
        }
        // Identifying a caller by the number on the line is the hotline's and the
        // callback desk's task; everyone else searches by name and visible tail.
        CallerIdentify => matches!(role, CallCentreAgent | CustomerRelations),
        Export => matches!(role, StationManager | RegionalManager | Administrator),
        OwnDataExport => role == Owner,
        AppointmentRead => !matches!(
            role,
            Owner | TechnicalExpert | QualityAuditor | PrivacyOfficer
        ),
        AppointmentBook => matches!(
            role,
            Owner
                | ServiceAdvisor
                | CustomerRelations
                | StationManager
                | CallCentreAgent
                | Administrator
        ),
        RepairOrderRead => !matches!(role, Owner | PrivacyOfficer),
        RepairOrderWrite => matches!(
            role,
            ServiceAdvisor | StationManager | TechnicalDirector | Administrator
        ),
        WorkshopWork => matches!(
            role,
            Technician | StationManager | TechnicalDirector | Administrator
        ),
        CapacityAdmin => matches!(role, StationManager | Administrator),
        // Complaints: the station's customer relations and management, the hotline,
        // the region and head office; the auditor reads; owners read their own.
        ComplaintRead => matches!(
            role,
            Owner
                | CustomerRelations
                | StationManager
                | TechnicalDirector
                | CallCentreAgent
                | RegionalManager
                | QualityAuditor
                | Administrator
        ),
        ComplaintWrite => matches!(
            role,
            CustomerRelations | StationManager | CallCentreAgent | RegionalManager | Administrator
        ),
        ComplaintPolicy => role == Administrator,
        ComplaintOwnerFile => role == Owner,
        // Surveys: the people who call customers back (the station's customer
        // relations, the call centre) and who answer for the figures (management,
        // region, the quality auditor, head office).
        SurveyRead => matches!(
            role,
            CustomerRelations
                | StationManager
                | TechnicalDirector
                | CallCentreAgent
                | RegionalManager
                | QualityAuditor
                | Administrator
        ),
        SurveyWrite => matches!(
            role,
            CustomerRelations | StationManager | CallCentreAgent | RegionalManager | Administrator
        ),
        SurveyPolicy => role == Administrator,
        // Quality audits: head office's auditors audit; the station's management and
        // the region read and work the corrective actions.
        QualityAuditRead => matches!(
            role,
            StationManager
                | TechnicalDirector
                | CustomerRelations
                | RegionalManager
                | QualityAuditor
                | Administrator
        ),
        QualityAuditWrite => matches!(role, QualityAuditor | Administrator),
        CorrectiveActionWrite => {
            matches!(role, StationManager | TechnicalDirector | CustomerRelations)
        }
        DepotRate => matches!(role, StationManager | PartsClerk),
        KpiRead => matches!(
            role,
            StationManager | TechnicalDirector | RegionalManager | QualityAuditor | Administrator
        ),
    }
}

/// Refusal of a grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not allowed")]
pub struct Denied;

/// Proof that a principal may perform one action, and how far it reaches. It can only
/// be made by [`Principal::grant`].
#[derive(Debug, Clone)]
pub struct Grant {
    action: Action,
    reach: Reach,
    principal: Principal,
}

impl Grant {
    /// The action granted.
    pub fn action(&self) -> Action {
        self.action
    }

    /// How far the data access reaches.
    pub fn reach(&self) -> &Reach {
        &self.reach
    }

    /// Who holds it.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// Whether a station (in `region`) is inside the reach.
    pub fn covers_station(&self, station: StationId, region: RegionId) -> bool {
        match self.reach {
            Reach::All => true,
            Reach::Region(r) => r == region,
            Reach::Station(s) => s == station,
            Reach::Customer(_) => false,
        }
    }
}

impl Principal {
    /// The reach of this principal's unit.
    pub fn reach(&self) -> Reach {
        match self.unit {
            Unit::HeadOffice => Reach::All,
            Unit::Region(r) => Reach::Region(r),
            Unit::Station(s, _) => Reach::Station(s),
            Unit::Owner(c) => Reach::Customer(c),
        }
    }

    /// A grant for `action`, or [`Denied`].
    pub fn grant(&self, action: Action) -> Result<Grant, Denied> {
        if !role_allows(self.role, action) {
            return Err(Denied);
        }
        // A role tied to the wrong kind of unit is a broken account: deny rather than guess.
        let unit_ok = matches!(
            (self.role.unit_kind(), self.unit),
            (UnitKind::HeadOffice, Unit::HeadOffice)
                | (UnitKind::Region, Unit::Region(_))
                | (UnitKind::Station, Unit::Station(..))
                | (UnitKind::Owner, Unit::Owner(_))
        );
        if !unit_ok {
            return Err(Denied);
        }
        Ok(Grant {
            action,
            reach: self.reach(),
            principal: self.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(role: Role, unit: Unit) -> Principal {
        Principal {
            kind: ActorKind::Person,
            id: 1,
            name: "t".into(),
            role,
            unit,
        }
    }

    #[test]
    fn station_staff_reach_only_their_station() {
        let advisor = p(
            Role::ServiceAdvisor,
            Unit::Station(StationId(7), RegionId(1)),
        );
        let g = advisor
            .grant(Action::VehicleRead)
            .unwrap_or_else(|_| unreachable!());
        assert_eq!(*g.reach(), Reach::Station(StationId(7)));
        assert!(g.covers_station(StationId(7), RegionId(1)));
        assert!(!g.covers_station(StationId(8), RegionId(1)));
        assert_eq!(advisor.grant(Action::NetworkWrite).err(), Some(Denied));
    }

    #[test]
    fn mis_tied_accounts_are_denied() {
        let wrong = p(Role::ServiceAdvisor, Unit::HeadOffice);
        assert!(wrong.grant(Action::VehicleRead).is_err());
        let admin = p(Role::Administrator, Unit::HeadOffice);
        assert!(admin.grant(Action::NetworkWrite).is_ok());
        let owner = p(Role::Owner, Unit::Owner(CustomerId(3)));
        assert!(owner.grant(Action::VehicleRead).is_err());
        assert!(owner.grant(Action::OwnDataExport).is_ok());
    }

    #[test]
    fn only_administrators_run_the_job_queue() {
        for r in Role::ALL {
            assert_eq!(
                role_allows(r, Action::JobAdmin),
                r == Role::Administrator,
                "{r:?}"
            );
        }
    }

    #[test]
    fn the_privacy_officer_reads_the_audit_log_and_no_records() {
        for a in Action::ALL {
            assert_eq!(
                role_allows(Role::PrivacyOfficer, a),
                matches!(a, Action::AuditRead | Action::NetworkRead),
                "{a:?}"
            );
        }
    }

    #[test]
    fn every_staff_role_can_read_the_network() {
        for r in Role::staff() {
            assert!(role_allows(r, Action::NetworkRead), "{r:?}");
        }
    }
}
