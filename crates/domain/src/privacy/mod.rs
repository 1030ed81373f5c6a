//! Personal information (PIPL; the vehicle-data rules): the field-level policy that
//! every view model asks, and the masking of numbers typed into free text.

pub mod policy;
pub mod text;

pub use policy::{DataClass, Field, Purpose, Relation, Visibility, see, shown};
