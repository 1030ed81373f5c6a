//! Personal information (PIPL; the vehicle-data rules): the field-level policy that
//! every view model asks, reveals of one field for one purpose, lookups that cannot
//! rebuild a number, and the masking of numbers typed into free text.

pub mod consent;
pub mod lookup;
pub mod policy;
pub mod request;
pub mod retention;
pub mod reveal;
pub mod text;

pub use policy::{DataClass, Field, Purpose, Relation, Visibility, see, shown};
