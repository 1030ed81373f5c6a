//! Personal information in the database: retention (the nightly purge), the owner's
//! correction and deletion requests, and the owner's complete export.

pub mod export;
pub mod request;
pub mod retention;
