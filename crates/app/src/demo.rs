//! demo use cases.
