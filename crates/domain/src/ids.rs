//! Typed ids, so a station id can never be passed where a customer id is meant.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The raw integer stored in the database.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    )*};
}

id_type!(
    /// A region (大区).
    RegionId,
    /// A service station.
    StationId,
    /// A regional parts depot.
    DepotId,
    /// A mobile unit (rescue truck or service van).
    MobileUnitId,
    /// A staff account.
    StaffId,
    /// A customer (vehicle owner).
    CustomerId,
    /// A vehicle.
    VehicleId,
);
