//! Personal information: the consent ledger and the privacy officer's search of the
//! audit log.

pub mod audit_search;
pub mod consent;
