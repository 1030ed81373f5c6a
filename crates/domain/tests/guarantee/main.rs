//! The three guarantees (三包) as the 2021 regulation has them: one test per article,
//! one per finding of issue 19, property tests of the counters, and the request.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod articles;
mod battery;
mod findings;
mod props;
mod request;
mod support;
