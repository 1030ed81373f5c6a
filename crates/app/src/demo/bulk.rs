//! Multi-row inserts for the demo builder and the CSV import: the store's one
//! helper ([`store::bulk`]), named here so their code reads `Bulk` as before.

pub(crate) use store::bulk::Bulk;
