//! The three guarantees (三包) as 家用汽车产品修理更换退货责任规定 (SAMR Order No. 43,
//! 2021) has them, at the use-case layer. The rules are the domain's
//! ([`domain::guarantee`]); here they are loaded, authorised, recorded and shown:
//! - [`policy`]: the maker's policy, refused below the legal floors (422 naming the
//!   article);
//! - [`history`]: a vehicle's recorded history as the domain's visits;
//! - [`view`]: the read model per vehicle and per order (rights with article, the date
//!   each arose and their evidence; counters; warnings; the courtesy-car duty live);
//! - [`record`]: the order's clock, excluded intervals, classified faults and Art 32
//!   exclusions, the vehicle's delivery date;
//! - [`request`]: the Arts 25–29 request workflow with its deadlines as timers;
//! - [`owner`]: the owner's own view of a car (the phone page);
//! - [`main_part`]: the main parts of the ten systems as head office edits them.
//!
//! Rights are recomputed from the history on every reading, never stored: the domain
//! judges each event on its own date and reading, so a right once arisen is found again
//! after the period ends (finding 14), and correcting a wrongly classified fault
//! corrects the rights with it. A "no fault found" visit (no part) counts toward no
//! counter and stays in the dossier as evidence.
//!
//! Permissions: reading needs `RepairOrderRead` with the vehicle (or order) within
//! reach; recording on an order `RepairOrderWrite`; the delivery date and requests
//! `VehicleWrite`; the policy `NetworkRead` / `NetworkWrite` at head office.

pub mod battery;
pub mod dossier;
pub mod history;
pub mod main_part;
pub mod owner;
pub mod policy;
pub mod record;
pub mod request;
pub mod view;

pub use policy::{PolicyInput, PolicySetting, set_policy, setting};
pub use view::{OrderGuarantee, ThreeGuarantees, courtesy_car_orders, for_order, for_vehicle};
