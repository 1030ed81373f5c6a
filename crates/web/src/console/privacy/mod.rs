//! Personal information in the console: head office's queue of owners' requests.

pub mod request;
