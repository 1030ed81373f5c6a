//! Personal information in the database: the consent ledger, the privacy officer's
//! search of the audit log, retention (the nightly purge), the owner's correction and
//! deletion requests, and the owner's complete export.

pub mod audit_search;
pub mod consent;
pub mod export;
pub mod request;
pub mod retention;
