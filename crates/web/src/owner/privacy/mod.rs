//! The owner's rights on the phone: everything kept about them (`export`) and their
//! correction and deletion requests (`request`), on one page (`/owner/data`).

pub mod export;
pub mod request;
