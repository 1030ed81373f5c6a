//! The owner's privacy on the phone: their consent per purpose (`consent`,
//! `/owner/privacy`), everything kept about them (`export`) and their correction and
//! deletion requests (`request`), on one page (`/owner/data`).

pub mod consent;
pub mod export;
pub mod request;
