//! import use cases.
