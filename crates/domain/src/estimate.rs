//! Placeholder; filled by the service-loop work.
