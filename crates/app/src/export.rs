//! export use cases.
