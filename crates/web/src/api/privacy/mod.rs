//! Personal information: the owner's rights (requests; the complete export is
//! `GET /api/v1/me/data` in `customer`).

pub mod request;
