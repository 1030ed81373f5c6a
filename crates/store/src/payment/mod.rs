//! Payment and the end of the service loop (SPEC §4–§5, §10): electronic bills and
//! their payments, the owner's rating, pick-up and delivery with hand-over photos,
//! owner calendar-feed tokens and the follow-up calls. One file per area; every
//! function takes a connection so the use case can run it inside its transaction.
//!
//! State changes are guarded conditional updates (`… WHERE state = 'pending'`) whose
//! affected-row count tells whether this call made the change, so a repeated or
//! concurrent request changes nothing twice.

pub mod bill;
pub mod calendar;
pub mod follow_up;
pub mod pickup;
pub mod rating;
